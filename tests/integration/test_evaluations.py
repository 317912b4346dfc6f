"""Scoring periods into stored revisions on both engines, on the small demo city under a scheme
written for it (tests/schemes): a revision only when something changed, with a diff naming the
unit and the item; published revisions frozen; the lifecycle's illegal steps refused; entered scores
and events checked and counted; explain listing exactly the problems behind each line."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, delete, select, update

from kaoping.db.engine import make_engine
from kaoping.db.evaluations import SqlEvaluationUnitOfWork
from kaoping.db.tables import (
    adjustment_event,
    admin_unit,
    category,
    evaluation_period,
    evaluation_period_step,
    evaluation_revision,
    finding,
    manual_score,
    problem,
)
from kaoping.domain.cases import IllegalTransitionError
from kaoping.domain.facts import EvaluationError
from kaoping.domain.periods import Period
from kaoping.domain.results import LineKind
from kaoping.domain.revisions import PeriodStatus, PeriodStepError
from kaoping.domain.schemes import EvaluatedLevel
from kaoping.io.scheme_sources import SchemeFolders
from kaoping.services.evaluation_entries import add_adjustment_event, set_manual_score
from kaoping.services.evaluation_explain import explain
from kaoping.services.evaluation_ports import AdjustmentEntry, ManualEntry
from kaoping.services.evaluations import (
    PeriodQuery,
    SchemeChoiceError,
    ScoreOutcome,
    get_results,
    list_revisions,
    list_steps,
    publish,
    score_period,
)

TZ = ZoneInfo("Asia/Shanghai")
AT = datetime(2025, 10, 20, 9, 0, tzinfo=TZ)
SCHEMES = SchemeFolders(Path(__file__).parents[1] / "schemes")
CODE = "small-city-quarterly"
Q3 = PeriodQuery(Period.parse("2025Q3"), CODE)
UNIT = "379901"  # 市中区, group 1
D = Decimal


@pytest.fixture(scope="module")
def city(demo_url: str) -> Iterator[Engine]:
    engine = make_engine(demo_url)
    yield engine
    engine.dispose()


VOIDED: list[tuple[int, str]] = []  # (problem id, status before) of the problems a test voided


@pytest.fixture
def demo(city: Engine) -> Iterator[Engine]:
    """The demo city; whatever a test scored, entered or voided is undone afterwards."""
    yield city
    with city.begin() as conn:
        for table in (
            evaluation_period_step,
            evaluation_revision,
            evaluation_period,
            manual_score,
            adjustment_event,
        ):
            conn.execute(delete(table))  # results go with their revision (ON DELETE CASCADE)
        while VOIDED:
            problem_id, status = VOIDED.pop()
            conn.execute(update(problem).where(problem.c.id == problem_id).values(status=status))


def score(engine: Engine, query: PeriodQuery = Q3, reason: str = "", at: datetime = AT) -> ScoreOutcome:
    return score_period(SqlEvaluationUnitOfWork(engine), SCHEMES, query, at=at, tz=TZ, reason=reason)


def void_one(engine: Engine, unit: str, category_code: str, month: int = 7) -> int:
    """Void the first third-party problem of a category found in a district in a month of 2025."""
    start, end = Period.parse(f"2025-{month:02d}").bounds(TZ)
    towns = select(admin_unit.c.id).where(
        admin_unit.c.parent_id.in_(select(admin_unit.c.id).where(admin_unit.c.code == unit))
    )
    with engine.begin() as conn:
        found, status = conn.execute(
            select(problem.c.id, problem.c.status)
            .join(category, category.c.id == problem.c.category_id)
            .where(
                problem.c.town_id.in_(towns),
                category.c.code == category_code,
                problem.c.channel == "third_party",
            )
            .where(problem.c.found_at >= start, problem.c.found_at < end, problem.c.status != "voided")
            .order_by(problem.c.id)
            .limit(1)
        ).one()
        conn.execute(update(problem).where(problem.c.id == found).values(status="voided"))
    VOIDED.append((found, status))
    return int(found)


def walk_to(engine: Engine, status: PeriodStatus) -> None:
    for target in (PeriodStatus.PRELIMINARY, PeriodStatus.APPEAL, PeriodStatus.FINAL, PeriodStatus.PUBLISHED):
        publish(SqlEvaluationUnitOfWork(engine), Q3, target, at=AT, actor="考评办")
        if target is status:
            return


# --- revisions ----------------------------------------------------------------------------------


def test_scoring_stores_revision_one_and_the_same_facts_make_no_second(demo: Engine) -> None:
    first = score(demo)
    assert (first.is_new, first.revision.number, first.period.status) == (True, 1, PeriodStatus.OPEN)
    assert first.revision.scheme_version == "2025.1"
    assert len(first.revision.scheme_hash) == 64
    assert (
        first.revision.facts_at == Period.parse("2025Q4").bounds(TZ)[0]
    )  # cases judged at the quarter's end
    again = score(demo, at=datetime(2025, 11, 1, tzinfo=TZ))
    assert (again.is_new, again.revision.number, again.revision.fingerprint) == (
        False,
        1,
        first.revision.fingerprint,
    )
    assert [r.number for r in list_revisions(SqlEvaluationUnitOfWork(demo), Q3)[1]] == [1]


def test_stored_results_read_back_equal_the_engines_to_the_last_line(demo: Engine) -> None:
    first = score(demo)
    with SqlEvaluationUnitOfWork(demo) as uow:
        stored = uow.evaluations.results(first.period, 1, lines=True)
    assert stored == first.evaluation


def test_voiding_a_problem_makes_a_new_revision_whose_diff_names_the_unit_and_the_item(demo: Engine) -> None:
    first = score(demo)
    void_one(demo, UNIT, "E0501")
    second = score(demo)
    assert (second.is_new, second.revision.number) == (True, 2)
    assert second.revision.fingerprint != first.revision.fingerprint
    [change] = second.changes
    assert change.unit == UNIT
    assert change.group == "group1"
    [item] = change.items
    assert item.item == "street_vending"
    assert item.after is not None
    assert item.before is not None
    assert item.after > item.before
    assert change.total_delta == item.delta


def test_a_published_revision_stays_frozen_when_the_period_is_recomputed(demo: Engine) -> None:
    first = score(demo)
    walk_to(demo, PeriodStatus.PUBLISHED)
    void_one(demo, UNIT, "E0102", month=8)
    with pytest.raises(PeriodStepError, match="重新计算须说明理由"):
        score(demo)
    second = score(demo, reason="申诉 #12 改判")
    assert (second.revision.number, second.revision.status, second.period.status) == (
        2,
        PeriodStatus.FINAL,
        PeriodStatus.FINAL,
    )
    _, revisions = list_revisions(SqlEvaluationUnitOfWork(demo), Q3)
    assert [(r.number, r.status, r.reason) for r in revisions] == [
        (1, PeriodStatus.PUBLISHED, ""),
        (2, PeriodStatus.FINAL, "申诉 #12 改判"),
    ]
    assert revisions[0].published_at == AT
    steps = list_steps(SqlEvaluationUnitOfWork(demo), Q3)
    assert [(s.action.value, s.to_status, s.revision, s.actor) for s in steps] == [
        ("announce", PeriodStatus.PRELIMINARY, 1, "考评办"),
        ("open_appeals", PeriodStatus.APPEAL, 1, "考评办"),
        ("finalise", PeriodStatus.FINAL, 1, "考评办"),
        ("publish", PeriodStatus.PUBLISHED, 1, "考评办"),
        ("recompute", PeriodStatus.FINAL, 2, ""),
    ]
    assert steps[-1].reason == "申诉 #12 改判"
    frozen = get_results(SqlEvaluationUnitOfWork(demo), Q3, 1)
    assert frozen.evaluation.unit(UNIT).total == first.evaluation.unit(UNIT).total
    moved, step = publish(SqlEvaluationUnitOfWork(demo), Q3, at=AT)
    assert (moved.status, step.revision) == (PeriodStatus.PUBLISHED, 2)
    assert get_results(SqlEvaluationUnitOfWork(demo), Q3).revision.is_published


def test_illegal_steps_are_refused_naming_the_allowed_ones(demo: Engine) -> None:
    score(demo)
    with pytest.raises(
        IllegalTransitionError, match="当前状态为「计分中」, 不能执行「正式公布」; 可执行: 公示初评、重新计算"
    ):
        publish(SqlEvaluationUnitOfWork(demo), Q3, PeriodStatus.PUBLISHED, at=AT)
    with pytest.raises(PeriodStepError, match="不能回到「计分中」"):
        publish(SqlEvaluationUnitOfWork(demo), Q3, PeriodStatus.OPEN, at=AT)
    with SqlEvaluationUnitOfWork(demo) as uow:
        assert uow.evaluations.list_periods(Q3.period)[0].status is PeriodStatus.OPEN  # nothing stored


def test_the_previous_published_quarter_gives_rank_changes_and_progress(demo: Engine) -> None:
    q2 = PeriodQuery(Period.parse("2025Q2"), CODE)
    score(demo, q2)
    for _ in range(4):
        publish(SqlEvaluationUnitOfWork(demo), q2, at=AT)
    q2_ranks = {
        u.unit: u.rank
        for g in get_results(SqlEvaluationUnitOfWork(demo), q2).evaluation.groups
        for u in g.units
    }
    third = score(demo).evaluation
    for group in third.groups:
        for unit in group.units:
            assert unit.previous_rank == q2_ranks[unit.unit]


# --- entries ----------------------------------------------------------------------------------------


def entry(unit: str = UNIT, item: str = "dept_review", points: str = "18.5") -> ManualEntry:
    return ManualEntry("", Q3.period, unit, item, D(points), "市城管局", AT, "第三季度部门考评")


def test_a_manual_score_is_checked_against_the_scheme_and_counted_in_a_new_revision(demo: Engine) -> None:
    score(demo)
    for bad, message in [
        (entry(item="garbage_collection"), "'garbage_collection' 不是方案中的人工评分项目"),
        (entry(points="20.5"), "的人工评分 20.5 超出 0 至 20 分"),
        (entry(unit="370102"), "单位 '370102' 不是方案 small-city-quarterly 任何一组的成员"),
    ]:
        with pytest.raises(EvaluationError, match=message):
            set_manual_score(SqlEvaluationUnitOfWork(demo), SCHEMES.schemes(), bad, scheme=CODE)
    set_manual_score(SqlEvaluationUnitOfWork(demo), SCHEMES.schemes(), entry(points="15"), scheme=CODE)
    set_manual_score(SqlEvaluationUnitOfWork(demo), SCHEMES.schemes(), entry(), scheme=CODE)  # replaces
    second = score(demo)
    assert second.revision.number == 2
    assert second.evaluation.unit(UNIT).item("dept_review").points == D("18.5")


def test_an_adopted_publicity_report_is_a_bonus_and_a_wrong_tier_is_refused(demo: Engine) -> None:
    def event(tier: str, count: int = 2) -> AdjustmentEntry:
        return AdjustmentEntry("", Q3.period, UNIT, "publicity", tier, count, None, "宣传科", AT, "大众日报")

    with pytest.raises(EvaluationError, match="宣传报道采用 没有级别 'national' 的分值"):
        add_adjustment_event(SqlEvaluationUnitOfWork(demo), SCHEMES.schemes(), event("national"), scheme=CODE)
    stored = add_adjustment_event(
        SqlEvaluationUnitOfWork(demo), SCHEMES.schemes(), event("provincial"), scheme=CODE
    )
    assert stored.id > 0
    unit = score(demo).evaluation.unit(UNIT)
    assert unit.total - unit.subtotal == D(2)  # 2 provincial reports × 1


# --- explain ------------------------------------------------------------------------------------------


def direct_problems(engine: Engine, unit: str, line_category: str, channel: str, month: int, repeat: int,
                    overdue: bool, no_feedback: bool) -> set[int]:  # fmt: skip
    """The problems of a line's fact key, filtered one by one in Python."""
    start, end = Period.parse(f"2025-{month:02d}").bounds(TZ)
    with engine.connect() as conn:
        towns = set(
            conn.execute(
                select(admin_unit.c.id).where(
                    admin_unit.c.code.like(f"{unit}%"), admin_unit.c.level == "town"
                )
            ).scalars()
        )
        late = set(
            conn.execute(
                select(finding.c.problem_id).where(finding.c.status == "overdue_no_feedback")
            ).scalars()
        )
        rows = conn.execute(
            select(problem, category.c.code.label("category_code")).join(
                category, category.c.id == problem.c.category_id
            )
        ).all()
    return {
        r.id for r in rows
        if r.town_id in towns and r.category_code == line_category and r.channel == channel
        and start <= r.found_at < end and r.status != "voided" and min(r.repeat_index, 3) == repeat
        and bool(r.is_overdue) == overdue and (r.id in late) == no_feedback
    }  # fmt: skip


def test_explain_lists_exactly_the_problems_behind_each_line(demo: Engine) -> None:
    score(demo)
    explained = explain(SqlEvaluationUnitOfWork(demo), Q3, UNIT, "street_vending", tz=TZ, limit=1000)
    problem_lines = [x for x in explained.lines if x.line.kind is LineKind.PROBLEMS]
    assert problem_lines
    assert explained.item is not None
    assert sum(x.line.count for x in problem_lines) == explained.item.deducted_problems
    for x in problem_lines:
        line = x.line
        assert line.channel is not None
        assert x.problems is not None
        expected = direct_problems(demo, UNIT, line.category_code, line.channel.value, line.sub_period,
                                   line.repeat_index, line.is_overdue, line.is_no_feedback)  # fmt: skip
        assert {p.id for p in x.problems.shown} == expected, line.text
        assert x.problems.count == line.count
        assert not x.is_stale
        assert all(p.grid_code.startswith(UNIT) for p in x.problems.shown)


def test_explain_shows_a_line_gone_stale_after_a_problem_was_voided(demo: Engine) -> None:
    score(demo)
    voided = void_one(demo, UNIT, "E0501")
    explained = explain(SqlEvaluationUnitOfWork(demo), Q3, UNIT, "street_vending", tz=TZ, limit=1000)
    stale = [x for x in explained.lines if x.is_stale]
    assert len(stale) == 1
    assert stale[0].problems is not None
    assert stale[0].problems.count == stale[0].line.count - 1
    assert voided not in {p.id for p in stale[0].problems.shown}


def test_explain_without_an_item_gives_every_line_of_the_unit(demo: Engine) -> None:
    score(demo)
    explained = explain(SqlEvaluationUnitOfWork(demo), Q3, UNIT, tz=TZ)
    assert {x.line.ref for x in explained.lines} >= {"dept_review", "garbage_collection", "street_vending"}
    assert all(x.problems is None for x in explained.lines)


# --- levels ---------------------------------------------------------------------------------------

MONTHLY = "small-district-monthly"
JULY = Period.parse("2025-07")


def test_a_two_level_scheme_is_scored_per_level_and_each_level_is_its_own_period(demo: Engine) -> None:
    with pytest.raises(SchemeChoiceError, match=r"考评多个层级 \(town、department\), 请用 --level 指定"):
        score(demo, PeriodQuery(JULY, MONTHLY))
    towns = score(demo, PeriodQuery(JULY, MONTHLY, EvaluatedLevel.TOWN)).evaluation
    departments = score(demo, PeriodQuery(JULY, MONTHLY, EvaluatedLevel.DEPARTMENT)).evaluation
    assert [g.code for g in towns.groups] == ["towns"]  # the group of units not yet stored is left out
    assert [g.code for g in departments.groups] == ["departments"]
    with pytest.raises(SchemeChoiceError, match="有多个考评"):
        get_results(SqlEvaluationUnitOfWork(demo), PeriodQuery(JULY))
    stored = get_results(SqlEvaluationUnitOfWork(demo), PeriodQuery(JULY, level=EvaluatedLevel.DEPARTMENT))
    assert stored.evaluation.unit("BM37990001").total == departments.unit("BM37990001").total


def departments_of(engine: Engine, ids: set[int]) -> set[int | None]:
    with engine.connect() as conn:
        stmt = select(problem.c.department_id).where(problem.c.id.in_(sorted(ids)))
        return set(conn.execute(stmt).scalars())


@pytest.mark.parametrize(
    ("level", "unit"), [(EvaluatedLevel.TOWN, "379901001"), (EvaluatedLevel.DEPARTMENT, "BM37990001")]
)
def test_explain_follows_the_liability_split_at_each_level(
    demo: Engine, level: EvaluatedLevel, unit: str
) -> None:
    query = PeriodQuery(JULY, MONTHLY, level)
    score(demo, query)
    explained = explain(SqlEvaluationUnitOfWork(demo), query, unit, "garbage", tz=TZ, limit=1000)
    lines = [x for x in explained.lines if x.problems is not None]
    assert lines
    for x in lines:
        assert x.problems is not None
        ids = {p.id for p in x.problems.shown}
        assert len(ids) == x.problems.count == x.line.count, x.line.text
        expected_share = D("0.8") if level is EvaluatedLevel.TOWN else D("0.2")
        if x.line.share == 1:  # a town's own problems, with no department to share them
            assert departments_of(demo, ids) == {None}
        else:
            assert x.line.share == expected_share
            assert None not in departments_of(demo, ids)
