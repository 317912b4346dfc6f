"""Repeat problems (重复问题): the rule, the decision for one pair, the bulk and the single check.

Every hand-built case is asked three ways — the domain's pair decision, the bulk linker and the single
check at intake — and all three must give the expected answer (domain.md §10.5, Q9).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from kaoping.domain.categories import Category, CategoryKind, CategoryLevel
from kaoping.domain.repeats import RepeatMatch, RepeatRule, RepeatSubject, is_repeat_of
from kaoping.geo.repeats import RepeatColumns, RepeatLinks, chain_depth, find_repeat_of, link_repeats
from kaoping.io.seeds import SeedError, load_scheme

T0 = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)
DEFAULT = RepeatRule()  # 30 m, 30 days, the same subclass, open or rectified


# --- factories -------------------------------------------------------------------------------------


def subject(
    x: float = 0.0,
    y: float = 0.0,
    at: datetime = T0,
    key: str = "E0501",
    closed: datetime | None = None,
    voided: bool = False,
) -> RepeatSubject:
    return RepeatSubject(key, x, y, at, closed, voided)


def category(code: str) -> Category:
    kind = CategoryKind.EVENT if code[0] == "E" else CategoryKind.COMPONENT
    return Category(code, kind, CategoryLevel.MINOR, f"类别{code}", parent_code=code[:3])


def columns(subjects: list[RepeatSubject]) -> RepeatColumns:
    def seconds(at: datetime | None) -> float:
        return math.nan if at is None else at.timestamp()

    return RepeatColumns(
        np.array([s.x_m for s in subjects]),
        np.array([s.y_m for s in subjects]),
        np.array([seconds(s.found_at) for s in subjects]),
        np.array([s.key for s in subjects]),
        np.array([seconds(s.closed_at) for s in subjects]),
        np.array([s.voided for s in subjects]),
    )


def links_of(rule: RepeatRule, subjects: list[RepeatSubject]) -> RepeatLinks:
    return link_repeats(rule, columns(subjects))


def single_check(rule: RepeatRule, earlier: list[RepeatSubject], later: RepeatSubject) -> int | None:
    found = find_repeat_of(
        rule,
        columns(earlier),
        links_of(rule, earlier).repeat_index,
        x=later.x_m,
        y=later.y_m,
        found=later.found_at.timestamp(),
        key=later.key,
    )
    return None if found is None else found.position


def assert_repeat(rule: RepeatRule, earlier: RepeatSubject, later: RepeatSubject, expected: bool) -> None:
    """The pair decision, the bulk linker and the single check all answer ``expected``."""
    assert is_repeat_of(rule, later, earlier) is expected
    assert links_of(rule, [earlier, later]).repeat_of.tolist() == [-1, 0 if expected else -1]
    assert single_check(rule, [earlier], later) == (0 if expected else None)


# --- distance and time -----------------------------------------------------------------------------


def test_a_problem_just_inside_the_radius_is_a_repeat() -> None:
    assert_repeat(DEFAULT, subject(), subject(x=29.9, at=T0 + DAY), expected=True)
    assert_repeat(DEFAULT, subject(), subject(x=21.14, y=21.14, at=T0 + DAY), expected=True)  # 29.897 m


def test_a_problem_just_outside_the_radius_is_not_a_repeat() -> None:
    assert_repeat(DEFAULT, subject(), subject(x=30.1, at=T0 + DAY), expected=False)
    assert_repeat(DEFAULT, subject(), subject(x=21.29, y=21.29, at=T0 + DAY), expected=False)  # 30.109 m


def test_the_radius_is_inclusive() -> None:
    assert_repeat(DEFAULT, subject(), subject(y=30.0, at=T0 + DAY), expected=True)


def test_a_problem_just_inside_the_window_is_a_repeat() -> None:
    assert_repeat(DEFAULT, subject(), subject(x=5, at=T0 + 30 * DAY - timedelta(minutes=1)), expected=True)
    assert_repeat(DEFAULT, subject(), subject(x=5, at=T0 + 30 * DAY), expected=True)  # inclusive


def test_a_problem_just_outside_the_window_is_not_a_repeat() -> None:
    assert_repeat(DEFAULT, subject(), subject(x=5, at=T0 + 30 * DAY + timedelta(minutes=1)), expected=False)


def test_a_fractional_window_is_honoured() -> None:
    rule = RepeatRule(window_days=0.5)
    assert_repeat(rule, subject(), subject(at=T0 + timedelta(hours=11, minutes=59)), expected=True)
    assert_repeat(rule, subject(), subject(at=T0 + timedelta(hours=12, minutes=1)), expected=False)


def test_an_earlier_problem_across_a_cell_border_is_found() -> None:
    # The bulk search cuts space into R-wide cells: neighbours across an edge and a corner still meet.
    assert_repeat(DEFAULT, subject(x=29.5), subject(x=30.5, at=T0 + DAY), expected=True)
    assert_repeat(DEFAULT, subject(x=-1, y=-1), subject(x=1, y=1, at=T0 + DAY), expected=True)
    assert_repeat(DEFAULT, subject(x=-20, y=-20), subject(x=1, y=1, at=T0 + DAY), expected=True)


def test_a_later_problem_is_never_repeated_by_an_earlier_one() -> None:
    assert not is_repeat_of(DEFAULT, subject(), subject(at=T0 + DAY))


# --- what "the same problem" means ---------------------------------------------------------------


def test_a_different_category_is_not_a_repeat_under_the_category_rule() -> None:
    assert_repeat(DEFAULT, subject(key="E0501"), subject(key="E0502", at=T0 + DAY), expected=False)


def test_the_major_class_rule_matches_subclasses_of_one_major_class() -> None:
    rule = RepeatRule(match=RepeatMatch.MAJOR_CLASS)
    vending, pitching, graffiti = category("E0501"), category("E0502"), category("E0101")
    assert rule.key_of(vending, None) == rule.key_of(pitching, None) == "E05"
    earlier = subject(key=rule.key_of(vending, None))
    assert_repeat(rule, earlier, subject(key=rule.key_of(pitching, None), at=T0 + DAY), expected=True)
    assert_repeat(rule, earlier, subject(key=rule.key_of(graffiti, None), at=T0 + DAY), expected=False)


def test_the_item_rule_matches_subclasses_of_one_item_and_an_unmapped_subclass_only_itself() -> None:
    rule = RepeatRule(match="item")  # as read from a scheme file
    assert rule.match is RepeatMatch.ITEM
    vending, pitching = category("E0501"), category("E0502")
    assert rule.key_of(vending, "street_vending") == rule.key_of(pitching, "street_vending")
    assert rule.key_of(vending, None) == "E0501" != rule.key_of(pitching, None)
    assert rule.key_of(category("C0101"), None) != rule.key_of(category("C0102"), None)


def test_the_category_rule_keys_by_subclass_code() -> None:
    assert DEFAULT.key_of(category("E0501"), "street_vending") == "E0501"


# --- the earlier problem's state -------------------------------------------------------------------


def test_an_earlier_problem_still_open_counts_unless_the_rule_excludes_open_ones() -> None:
    earlier = subject(closed=T0 + 5 * DAY)  # rectified only after the later one was found
    later = subject(x=10, at=T0 + 2 * DAY)
    assert_repeat(DEFAULT, earlier, later, expected=True)
    assert_repeat(RepeatRule(count_open=False), earlier, later, expected=False)
    assert_repeat(RepeatRule(count_rectified=False), earlier, later, expected=True)
    assert_repeat(RepeatRule(count_open=False), subject(), later, expected=False)  # never closed


def test_an_earlier_problem_already_rectified_counts_unless_the_rule_excludes_rectified_ones() -> None:
    earlier = subject(closed=T0 + DAY)
    later = subject(x=10, at=T0 + 2 * DAY)
    assert_repeat(DEFAULT, earlier, later, expected=True)
    assert_repeat(RepeatRule(count_rectified=False), earlier, later, expected=False)
    assert_repeat(RepeatRule(count_open=False), earlier, later, expected=True)


def test_a_problem_rectified_at_the_very_moment_of_the_later_one_counts_as_rectified() -> None:
    earlier = subject(closed=T0 + DAY)
    later = subject(at=T0 + DAY)
    assert_repeat(RepeatRule(count_open=False), earlier, later, expected=True)
    assert_repeat(RepeatRule(count_rectified=False), earlier, later, expected=False)


def test_a_voided_problem_is_never_repeated() -> None:
    assert_repeat(DEFAULT, subject(voided=True), subject(at=T0 + DAY), expected=False)


# --- chains and ties -------------------------------------------------------------------------------


def test_a_chain_links_each_problem_to_the_latest_earlier_one_with_rising_repeat_indexes() -> None:
    a = subject(x=0)
    b = subject(x=10, at=T0 + 5 * DAY)
    c = subject(x=5, at=T0 + 10 * DAY)  # within R of both: the latest one (b) is its match
    links = links_of(DEFAULT, [a, b, c])
    assert links.repeat_of.tolist() == [-1, 0, 1]
    assert links.repeat_index.tolist() == [0, 1, 2]
    assert links.count == 2
    assert links.is_repeat.tolist() == [False, True, True]
    found = find_repeat_of(
        DEFAULT, columns([a, b]), [0, 1], x=5, y=0, found=c.found_at.timestamp(), key="E0501"
    )
    assert found is not None
    assert (found.position, found.repeat_index) == (1, 2)


def test_a_closer_but_not_matching_later_problem_does_not_hide_an_older_match() -> None:
    a = subject(x=0)
    b = subject(x=40, at=T0 + DAY)  # 35 m from c
    c = subject(x=5, at=T0 + 2 * DAY)
    assert links_of(DEFAULT, [a, b, c]).repeat_of.tolist() == [-1, -1, 0]
    assert single_check(DEFAULT, [a, b], c) == 0


def test_problems_found_at_the_same_moment_do_not_repeat_each_other() -> None:
    a, b = subject(), subject(x=1)
    assert_repeat(DEFAULT, a, b, expected=False)
    assert links_of(DEFAULT, [a, b]).repeat_of.tolist() == [-1, -1]


def test_a_later_problem_links_to_the_last_given_of_tied_earlier_ones() -> None:
    a, b = subject(), subject(x=1)
    c = subject(x=2, at=T0 + DAY)
    links = links_of(DEFAULT, [a, b, c])
    assert links.repeat_of.tolist() == [-1, -1, 1]
    assert links.repeat_index.tolist() == [0, 0, 1]
    assert single_check(DEFAULT, [a, b], c) == 1


def test_problems_stacked_on_one_spot_form_one_chain() -> None:
    stacked = [subject(at=T0 + i * timedelta(hours=1)) for i in range(50)]
    links = links_of(DEFAULT, stacked)
    assert links.repeat_of.tolist() == [-1, *range(49)]
    assert links.repeat_index.tolist() == list(range(50))


def test_a_problem_without_coordinates_neither_repeats_nor_is_repeated() -> None:
    nowhere = subject(x=math.nan)
    links = links_of(DEFAULT, [subject(), nowhere, subject(at=T0 + 2 * DAY)])
    assert links.repeat_of.tolist() == [-1, -1, 0]
    assert links_of(DEFAULT, [subject(), subject(x=math.nan, at=T0 + DAY)]).repeat_of.tolist() == [-1, -1]
    assert single_check(DEFAULT, [subject()], subject(x=math.nan, at=T0 + DAY)) is None


def test_the_bulk_linker_wants_problems_in_time_order() -> None:
    with pytest.raises(ValueError, match="sorted"):
        links_of(DEFAULT, [subject(at=T0 + DAY), subject()])


def test_columns_of_different_lengths_are_refused() -> None:
    with pytest.raises(ValueError, match="equal length"):
        RepeatColumns(np.zeros(2), np.zeros(3), np.zeros(2), np.zeros(2))


def test_no_problems_give_no_links() -> None:
    links = link_repeats(DEFAULT, RepeatColumns(np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0)))
    assert links.repeat_of.size == links.repeat_index.size == 0


def test_chain_depth_follows_long_chains() -> None:
    chain = np.arange(-1, 999)  # problem k repeats k - 1
    assert chain_depth(chain).tolist() == list(range(1000))
    forest = np.array([-1, 0, -1, 1, 2, 3, -1])
    assert chain_depth(forest).tolist() == [0, 1, 0, 2, 1, 3, 0]


# --- bulk, single and the pair decision agree ---------------------------------------------------------


def random_problems(n: int, seed: int, side_m: float) -> RepeatColumns:
    """A dense little district: ``side_m`` metres square, 4 keys, 60 days, times on the hour (so with
    ties), most problems rectified within 20 days and the rest still open, a few voided, a tenth of them
    on cell borders."""
    rng = np.random.default_rng(seed)
    x, y = rng.uniform(0, side_m, n), rng.uniform(0, side_m, n)
    on_border = rng.random(n) < 0.1
    x[on_border] = np.round(x[on_border] / 30) * 30
    found = np.sort(T0.timestamp() + rng.integers(0, 60 * 24, n) * 3600.0)
    closed = np.where(rng.random(n) < 0.8, found + rng.uniform(0, 20, n) * 86400, np.nan)
    return RepeatColumns(x, y, found, rng.integers(0, 4, n), closed, rng.random(n) < 0.03)


RULES = [
    DEFAULT,
    RepeatRule(count_open=False),
    RepeatRule(count_rectified=False),
    RepeatRule(radius_m=12.5, window_days=3),
    RepeatRule(radius_m=60, window_days=10.5),
]


def rule_id(rule: RepeatRule) -> str:
    return f"{rule.radius_m:g}m-{rule.window_days:g}d-open:{rule.count_open}-rectified:{rule.count_rectified}"


@pytest.mark.parametrize("rule", RULES, ids=rule_id)
def test_the_bulk_linker_and_the_single_check_agree_on_random_problems(rule: RepeatRule) -> None:
    problems = random_problems(3000, seed=7, side_m=1200)
    links = link_repeats(rule, problems)
    assert 10 < links.count < 2700  # a test with no repeats, or only repeats, would prove little
    for i in range(len(problems)):
        earlier = RepeatColumns(
            problems.x[:i],
            problems.y[:i],
            problems.found[:i],
            problems.key[:i],
            None if problems.closed is None else problems.closed[:i],
            None if problems.voided is None else problems.voided[:i],
        )
        found = find_repeat_of(
            rule,
            earlier,
            links.repeat_index[:i],
            x=float(problems.x[i]),
            y=float(problems.y[i]),
            found=float(problems.found[i]),
            key=problems.key[i],
        )
        got = (-1, 0) if found is None else (found.position, found.repeat_index)
        assert got == (links.repeat_of[i], links.repeat_index[i]), f"problem {i}"


def as_subjects(problems: RepeatColumns) -> list[RepeatSubject]:
    def moment(seconds: float) -> datetime | None:
        return None if math.isnan(seconds) else datetime.fromtimestamp(seconds, UTC)

    closed = problems.closed if problems.closed is not None else np.full(len(problems), np.nan)
    voided = problems.voided if problems.voided is not None else np.zeros(len(problems), dtype=bool)
    return [
        RepeatSubject(str(k), float(x), float(y), moment(float(t)) or T0, moment(float(c)), bool(v))
        for k, x, y, t, c, v in zip(
            problems.key, problems.x, problems.y, problems.found, closed, voided, strict=True
        )
    ]


@pytest.mark.parametrize("rule", RULES, ids=rule_id)
def test_the_bulk_linker_picks_the_latest_pair_the_domain_accepts(rule: RepeatRule) -> None:
    problems = random_problems(600, seed=11, side_m=400)
    subjects = as_subjects(problems)
    expected = [
        max((j for j in range(i) if is_repeat_of(rule, subjects[i], subjects[j])), default=-1)
        for i in range(len(subjects))
    ]
    assert 10 < sum(j >= 0 for j in expected) < 550
    assert link_repeats(rule, problems).repeat_of.tolist() == expected


# --- the rule --------------------------------------------------------------------------------------


def test_the_rule_describes_itself_in_chinese() -> None:
    assert DEFAULT.describe() == (
        "同一小类的问题在前一问题发现后 30 天内、30 米范围内再次发现, 计为重复问题"
        " (前一问题无论是否已整改均计)"
    )
    rule = RepeatRule(radius_m=50, window_days=7.5, match=RepeatMatch.ITEM, count_open=False)
    assert rule.describe() == (
        "同一考评项目的问题在前一问题发现后 7.5 天内、50 米范围内再次发现, 计为重复问题"
        " (仅计前一问题已整改后再次出现的情形)"
    )
    assert "仅计前一问题尚未整改的情形" in RepeatRule(count_rectified=False).describe()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"radius_m": 0}, "radius_m 应大于 0"),
        ({"window_days": -1}, "window_days 应大于 0"),
        ({"radius_m": math.inf}, "radius_m 应为数值"),
        ({"radius_m": "30"}, "radius_m 应为数值"),
        ({"window_days": True}, "window_days 应为数值"),
        ({"match": "street"}, "match 应为 category, item, major_class 之一"),
        ({"count_open": "yes"}, "count_open 应为 true 或 false"),
        ({"count_open": False, "count_rectified": False}, "不能都为 false"),
    ],
)
def test_an_impossible_rule_is_refused(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RepeatRule(**fields)


# --- the scheme file -------------------------------------------------------------------------------


def scheme_file(tmp_path: Path, repeats: object) -> Path:
    """The packaged scheme with its ``repeats`` block replaced (None: removed)."""
    doc = yaml.safe_load((files("kaoping") / "data" / "scheme.yaml").read_text(encoding="utf-8"))
    if repeats is None:
        del doc["repeats"]
    else:
        doc["repeats"] = repeats
    path = tmp_path / "scheme.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_the_packaged_scheme_counts_repeats_within_30_metres_and_30_days() -> None:
    assert load_scheme().rules.repeat_rule == RepeatRule(30, 30, RepeatMatch.CATEGORY, True, True)


def test_a_scheme_sets_its_own_repeat_rule(tmp_path: Path) -> None:
    path = scheme_file(tmp_path, {"radius_m": 50, "window_days": 90, "match": "item", "count_open": False})
    assert load_scheme(path).rules.repeat_rule == RepeatRule(50, 90, RepeatMatch.ITEM, False, True)


def test_a_scheme_without_a_repeats_block_keeps_the_defaults(tmp_path: Path) -> None:
    assert load_scheme(scheme_file(tmp_path, None)).rules.repeat_rule == DEFAULT


@pytest.mark.parametrize(
    ("repeats", "message"),
    [
        ({"radius": 30}, "未知字段 'radius'"),
        ({"radius_m": 0}, "radius_m 应大于 0"),
        ({"match": "road"}, "match 应为"),
        ([30, 30], "应为映射"),
    ],
)
def test_a_bad_repeats_block_is_refused_naming_the_field(
    tmp_path: Path, repeats: object, message: str
) -> None:
    with pytest.raises(SeedError, match=message) as err:
        load_scheme(scheme_file(tmp_path, repeats))
    assert "repeats" in str(err.value)
