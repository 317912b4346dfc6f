"""The evaluation engine alone: a megacity quarter's facts scored at both levels, no database.

``kaoping.domain.evaluation.evaluate`` with the shipped schemes (``data/schemes/*.yaml``) on
synthetic facts shaped like a megacity quarter: 16 districts, each with 18 towns/streets and 3
departments (352 units). Problems are drawn per town × month over the categories, the weighed
channels, repeat indexes and the overdue / no-feedback flags (a skewed category mix, as real
quarters have), half of them with a department that carries 0.2 of the deduction; rows come unit by
unit and month by month, in no order within (as a fact query returns them). The city level
is one run of the quarterly scheme over the districts (the towns' problems added up per district,
~19k fact rows); the district level is 48 runs, one per district and month, of the monthly scheme
over its towns and departments (~66k rows in all). Manual scores, case counters, publicity events
and previous ranks are filled in so every item kind is scored.

Prints wall and process (CPU) time per level — best and median of ``--repeat`` runs — the rows and
µs per row, and a sha256 of every result (score lines' texts included), so a faster engine can be
checked to give the same results (from one more, untimed, run). Not a test: nothing here gates CI.

    .venv/bin/python bench/engine.py [--repeat 3] [--seed 2021] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import hashlib
import pstats
import random
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from decimal import Decimal
from enum import Enum
from fractions import Fraction
from typing import Any

from kaoping.domain.evaluation import evaluate
from kaoping.domain.facts import AdjustmentEvent, EvaluationFacts, ManualScore, Previous, ProblemFact
from kaoping.domain.indicators import CaseCounters
from kaoping.domain.problems import Channel
from kaoping.domain.results import Evaluation
from kaoping.domain.schemes import ItemKind, Scheme
from kaoping.io.schemes import load_scheme_file, packaged_schemes
from kaoping.io.seeds import load_categories

DISTRICTS, TOWNS, DEPARTMENTS, MONTHS = 16, 18, 3, (7, 8, 9)
ROWS_PER_TOWN_MONTH = 72  # distinct kinds of problem a town has in a month, before the split
DEPARTMENT_ODDS = 0.5  # problems with a department, whose deduction it shares (0.2 : 0.8)
SKEW = 1.2  # Zipf exponent of the category mix
CHANNELS = {Channel.THIRD_PARTY: 60, Channel.SUPERVISION: 25, Channel.MEDIA: 10, Channel.LEADER: 5}
REPEATS = {0: 80, 1: 15, 2: 5}
ONE, DEPARTMENT_SHARE = Decimal(1), Decimal("0.2")

Key = tuple[str, Channel, int, bool, bool]  # category, channel, repeat index, overdue, no feedback


@dataclasses.dataclass(frozen=True)
class Level:
    """One level's runs: a scheme and its facts per run."""

    name: str
    runs: list[tuple[Scheme, EvaluationFacts]]

    @property
    def rows(self) -> int:
        return sum(len(f.problems) for _, f in self.runs)


# --- the synthetic quarter ------------------------------------------------------------------------


def district_codes() -> list[str]:
    return [f"3799{d:02d}" for d in range(1, DISTRICTS + 1)]


def towns_of(district: str) -> list[str]:
    return [f"{district}{t:03d}" for t in range(1, TOWNS + 1)]


def departments_of(district: str) -> list[str]:
    return [f"BM{district}{k:02d}" for k in range(1, DEPARTMENTS + 1)]


def draw_problems(rng: random.Random, categories: list[str]) -> dict[tuple[str, int, str | None, Key], int]:
    """Problems per (town, month, department or None, key): a few categories make most of them."""
    weights = [1 / (rank + 1) ** SKEW for rank in range(len(categories))]  # Zipf-like: the hot spots
    channels, channel_weights = list(CHANNELS), list(CHANNELS.values())
    counts: dict[tuple[str, int, str | None, Key], int] = defaultdict(int)
    for district in district_codes():
        departments = departments_of(district)
        for town in towns_of(district):
            for month in MONTHS:
                for _ in range(ROWS_PER_TOWN_MONTH):
                    key = (
                        rng.choices(categories, weights)[0],
                        rng.choices(channels, channel_weights)[0],
                        rng.choices(list(REPEATS), list(REPEATS.values()))[0],
                        rng.random() < 0.1,
                        rng.random() < 0.03,
                    )
                    department = rng.choice(departments) if rng.random() < DEPARTMENT_ODDS else None
                    counts[(town, month, department, key)] += min(1 + int(rng.expovariate(0.5)), 12)
    return counts


def district_facts(
    counts: dict[tuple[str, int, str | None, Key], int],
) -> dict[tuple[str, int], list[ProblemFact]]:
    """The district level's rows per (district, month): towns and departments, liability split."""
    rows: dict[tuple[str, int], dict[tuple[str, Key, Decimal], int]] = defaultdict(lambda: defaultdict(int))
    for (town, month, department, key), n in counts.items():
        split = rows[(town[:6], month)]
        if department is None:
            split[(town, key, ONE)] += n
        else:
            split[(town, key, ONE - DEPARTMENT_SHARE)] += n
            split[(department, key, DEPARTMENT_SHARE)] += n
    return {
        at: [ProblemFact(unit, at[1], *key, n, share) for (unit, key, share), n in sorted(split.items())]
        for at, split in rows.items()
    }


def city_facts(counts: dict[tuple[str, int, str | None, Key], int]) -> list[ProblemFact]:
    """The city level's rows: each district's towns added up, whole problems."""
    rows: dict[tuple[str, int, Key], int] = defaultdict(int)
    for (town, month, _, key), n in counts.items():
        rows[(town[:6], month, key)] += n
    return [ProblemFact(unit, month, *key, n) for (unit, month, key), n in sorted(rows.items())]


def as_read(rng: random.Random, facts: list[ProblemFact]) -> tuple[ProblemFact, ...]:
    """The rows in the order a fact query returns them: unit by unit and month by month, the kinds of
    a unit's month in no particular order (the engine sorts them)."""
    blocks: dict[tuple[str, int], list[ProblemFact]] = defaultdict(list)
    for fact in facts:
        blocks[(fact.unit, fact.sub_period)].append(fact)
    rows: list[ProblemFact] = []
    for block in (blocks[at] for at in sorted(blocks)):
        rng.shuffle(block)
        rows += block
    return tuple(rows)


def counters(
    rng: random.Random, units: list[str], channels: list[Channel]
) -> dict[str, dict[Channel, CaseCounters]]:
    result = {}
    for unit in units:
        by_channel = {}
        for ch in channels:
            finished = rng.randint(50, 400)
            closed = rng.randint(finished * 8 // 10, finished)
            by_channel[ch] = CaseCounters(
                disposal_finished=finished,
                open_overdue=rng.randint(0, 20),
                closed=closed,
                closed_on_time=rng.randint(closed * 7 // 10, closed),
                rework=rng.randint(0, 10),
                own=rng.randint(0, 200),
                external=rng.randint(0, 200),
                own_closed_on_time=rng.randint(0, 100),
            )
        result[unit] = by_channel
    return result


def extras(rng: random.Random, scheme: Scheme) -> dict[str, Any]:
    """Manual scores, publicity events and previous ranks for every member of ``scheme``."""
    manual, events, previous = [], [], {}
    for group in scheme.groups.values():
        order = list(group.members)
        rng.shuffle(order)
        for rank, unit in enumerate(order, 1):
            previous[unit] = Previous(rank)
        for unit in group.members:
            for code, maximum in group.maxima.items():
                if scheme.items[code].kind is ItemKind.MANUAL:
                    manual.append(ManualScore(unit, code, maximum * Decimal(rng.randint(140, 200)) / 200))
            events.append(
                AdjustmentEvent(unit, "publicity", rng.choice(("provincial", "city")), rng.randint(0, 4))
            )
    return {"manual": tuple(manual), "adjustments": tuple(events), "previous": previous}


def city_scheme(scheme: Scheme) -> Scheme:
    """The shipped city scheme over the 16 synthetic districts: 6 in the first group, 10 in the second."""
    codes = district_codes()
    first, second = list(scheme.groups.values())
    groups = {
        first.code: dataclasses.replace(first, members=tuple(codes[:6])),
        second.code: dataclasses.replace(second, members=tuple(codes[6:]), rank_only=frozenset(codes[-2:])),
    }
    return dataclasses.replace(scheme, groups=groups)


def district_scheme(scheme: Scheme, district: str) -> Scheme:
    towns, departments = scheme.groups["towns"], scheme.groups["departments"]
    groups = {
        "towns": dataclasses.replace(towns, members=tuple(towns_of(district))),
        "departments": dataclasses.replace(departments, members=tuple(departments_of(district))),
    }
    return dataclasses.replace(scheme, groups=groups)


def build_levels(seed: int) -> list[Level]:
    rng, order = random.Random(seed), random.Random(seed + 1)
    folder = packaged_schemes()
    city = city_scheme(load_scheme_file(folder / "jinan-city-quarterly.yaml"))
    district = load_scheme_file(folder / "district-monthly.yaml")
    tree = load_categories()
    mapped = sorted(set(city.category_items) | set(district.category_items))
    rng.shuffle(mapped)
    counts = draw_problems(rng, mapped)
    names = {
        "severities": {c.code: c.severity for c in tree.minors()},
        "category_names": {c.code: c.name for c in tree.minors()},
        "channel_names": {
            Channel.THIRD_PARTY: "第三方测评",
            Channel.SUPERVISION: "督查检查",
            Channel.MEDIA: "媒体监督",
            Channel.LEADER: "领导交办",
        },
    }
    channels = [Channel.THIRD_PARTY, Channel.HOTLINE, Channel.GRID_WORKER, Channel.SUPERVISOR]
    city_run = EvaluationFacts(
        problems=as_read(order, city_facts(counts)),
        counters=counters(rng, district_codes(), channels),
        sub_periods=MONTHS,
        **names,
        **extras(rng, city),
    )
    per_month = district_facts(counts)
    district_runs = []
    for code in district_codes():
        scheme = district_scheme(district, code)
        units = towns_of(code) + departments_of(code)
        for month in MONTHS:
            facts = EvaluationFacts(
                problems=as_read(order, per_month[(code, month)]),
                counters=counters(rng, units, channels),
                sub_periods=(month,),
                **names,
                **extras(rng, scheme),
            )
            district_runs.append((scheme, facts))
    return [Level("city (1 run)", [(city, city_run)]), Level("district (48 runs)", district_runs)]


# --- measuring ------------------------------------------------------------------------------------


def run(level: Level) -> tuple[float, float]:
    """One scoring of every run of a level, each result dropped as the next run starts (as a
    service storing results would): (wall s, process s)."""
    wall, cpu = time.perf_counter(), time.process_time()
    for scheme, facts in level.runs:
        evaluate(scheme, facts)
    return time.perf_counter() - wall, time.process_time() - cpu


def digest(evaluations: list[Evaluation]) -> str:
    """sha256 over every field of every result, score-line texts included."""
    h = hashlib.sha256()
    for evaluation in evaluations:
        for token in _tokens(evaluation):
            h.update(token.encode())
            h.update(b"\x1f")
    return h.hexdigest()[:16]


def _tokens(value: object) -> Iterator[str]:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        yield type(value).__name__
        for f in dataclasses.fields(value):
            yield f.name
            yield from _tokens(getattr(value, f.name))
    elif isinstance(value, (tuple, list)):
        yield f"[{len(value)}"
        for v in value:
            yield from _tokens(v)
    elif isinstance(value, dict):
        yield f"{{{len(value)}"
        for k, v in value.items():
            yield from _tokens(k)
            yield from _tokens(v)
    elif isinstance(value, (Decimal, Fraction, Enum)):
        yield f"{type(value).__name__}:{value!s}"
    else:
        yield repr(value)


def seconds(values: list[float]) -> str:
    return f"{min(values):.3f} / {statistics.median(values):.3f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument("--profile", action="store_true", help="print the top of a cProfile of one run")
    args = parser.parse_args()
    levels = build_levels(args.seed)
    units = {m for lv in levels for s, _ in lv.runs for g in s.groups.values() for m in g.members}
    print(f"{len(units)} units, seed {args.seed}; best / median of {args.repeat} runs")
    print(f"{'':20s}{'rows':>8s}{'wall':>20s}{'process':>20s}{'µs/row':>10s}  results")
    totals: dict[str, list[float]] = {"wall": [0.0] * args.repeat, "cpu": [0.0] * args.repeat}
    for level in levels:
        walls, cpus = [], []
        for i in range(args.repeat):
            wall, cpu = run(level)
            walls.append(wall)
            cpus.append(cpu)
            totals["wall"][i] += wall
            totals["cpu"][i] += cpu
        per_row = min(walls) / level.rows * 1e6
        figures = f"{seconds(walls):>20s}{seconds(cpus):>20s}{per_row:10.1f}"
        results = digest([evaluate(scheme, facts) for scheme, facts in level.runs])
        print(f"{level.name:20s}{level.rows:8,d}{figures}  {results}")
    rows = sum(lv.rows for lv in levels)
    per_row = min(totals["wall"]) / rows * 1e6
    print(f"{'both':20s}{rows:8,d}{seconds(totals['wall']):>20s}{seconds(totals['cpu']):>20s}{per_row:10.1f}")
    if args.profile:
        profile(lambda: [run(level) for level in levels])


def profile(fn: Callable[[], object]) -> None:
    profiler = cProfile.Profile()
    profiler.runcall(fn)
    pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
