"""One pass over a unit's fact rows (问题统计): per item its problems and problem lines, the unit's
problem counters and its problems per category — everything the engine reads from the rows.

A period's rows are tens of thousands, of a few hundred kinds (category × channel × repeat index ×
flags × liability share). ``PriceTable`` prices each kind once — its item and what one problem of
it costs (``kaoping.domain.deductions``) — and remembers the answer for every run scored under the
same rules, items and severities (a district's monthly scheme is run for every district and month),
so a row costs one look-up and one multiplication.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from kaoping.domain.deductions import base_points, cost_of
from kaoping.domain.fact_rows import CHANNELS, Row
from kaoping.domain.problems import Channel
from kaoping.domain.results import Explain, LineKind, ProblemCounters, ScoreLine, make_score_line
from kaoping.domain.schemes import DeductionRules, Item, Scheme

ZERO = Decimal(0)
PROBLEMS = LineKind.PROBLEMS
RowKey = tuple[str, str, int, bool, bool, Decimal]  # category, channel code, repeat index, flags, share
# What a row of one kind costs, as the loop reads it: the item's code (None: the category is in no
# item), the points each (None: its channel does not deduct), the rule, 高分, the channel.
Entry = tuple[str | None, Decimal | None, str, bool, Channel]


@dataclass(slots=True)
class _Shared:
    """Entries priced under some rules and items (kept, so their ids are not reused while this
    lives) and severities (a copy, compared with each run's)."""

    rules: DeductionRules
    items: Mapping[str, Item]
    severities: dict[str, int]
    entries: dict[RowKey, Entry]


# Entries per (rules, items), shared by every run under them with the same severities (the facts
# of one read share them). Bounded: a process scoring many schemes starts over now and then.
_SHARED: dict[tuple[int, int], _Shared] = {}
_SHARED_SCHEMES = 32


def _shared_entries(scheme: Scheme, severities: Mapping[str, int]) -> dict[RowKey, Entry]:
    rules, items = scheme.deductions, scheme.items
    found = _SHARED.get((id(rules), id(items)))
    if found is not None and found.rules is rules and found.items is items and found.severities == severities:
        return found.entries
    if len(_SHARED) >= _SHARED_SCHEMES:
        _SHARED.clear()
    shared = _Shared(rules, items, dict(severities), {})
    _SHARED[(id(rules), id(items))] = shared
    return shared.entries


class PriceTable:
    """The item and price of each kind of problem under one scheme and the facts' severities.

    Keys carry merged (normalised) shares, as ``merge_rows`` writes them: equal shares written
    differently (0.80, 0.8) would otherwise share a price written like the first one."""

    __slots__ = ("entries", "scheme", "severities")

    def __init__(self, scheme: Scheme, severities: Mapping[str, int]) -> None:
        self.scheme = scheme
        self.severities = severities
        self.entries = _shared_entries(scheme, severities)  # read directly by ``tally``

    def resolve(self, key: RowKey) -> Entry:
        """Price one kind of problem (a row's key without unit and month) and remember it."""
        category, code, repeat, overdue, no_feedback, share = key
        channel = CHANNELS[code]
        item = self.scheme.item_of(category)
        entry: Entry = (None, None, "", False, channel)
        if item is not None:
            base, rule = base_points(self.scheme, item, category, self.severities)
            cost = cost_of(self.scheme, base, rule, channel, repeat, overdue, no_feedback, share)
            if cost is None:
                entry = (item.code, None, rule, False, channel)
            else:
                entry = (item.code, cost.each, rule, cost.is_high_score, channel)
        self.entries[key] = entry
        return entry


@dataclass(slots=True)
class ItemTally:
    """One deduction item's share of a unit's rows."""

    problems: int = 0  # problems of the item's categories, deducting or not
    repeats: int = 0
    deducted: int = 0
    lines: list[ScoreLine] = field(default_factory=list)  # one per row that costs points, in row order
    total: Decimal = ZERO  # the lines' points


@dataclass(frozen=True, slots=True)
class UnitTally:
    items: Mapping[str, ItemTally]  # item code → its tally (items without rows are absent)
    counters: ProblemCounters  # without the city shares
    categories: Mapping[str, int]  # category code → problems
    total: int


def tally(
    table: PriceTable, maxima: Mapping[str, Decimal], rows: Iterable[Row], explain: Explain
) -> UnitTally:
    """Count and price a unit's rows for the items of its group (``maxima``): 扣分/高分 only for
    problems that cost points in that group. One loop, written out: it runs once per row."""
    total = repeats = overdue = no_feedback = deducted = high = 0
    items: dict[str, ItemTally] = {}
    categories: dict[str, int] = {}
    entries = table.entries
    for key, n in rows:
        month, category, _, repeat, is_overdue, is_no_feedback, share = key
        total += n
        categories[category] = categories.get(category, 0) + n
        repeats += n if repeat > 0 else 0
        overdue += n if is_overdue else 0
        no_feedback += n if is_no_feedback else 0
        kind = key[1:]
        code, each, rule, is_high, channel = entries.get(kind) or table.resolve(kind)
        if code not in maxima:  # in no item, or in none of this group's
            continue
        mine = items.get(code)  # type: ignore[arg-type]
        if mine is None:
            mine = items[code] = ItemTally()  # type: ignore[index]
        mine.problems += n
        mine.repeats += n if repeat > 0 else 0
        if not each:  # a channel without weight, or no points
            continue
        line_total = each * n
        line = make_score_line(
            PROBLEMS,
            code,
            rule,
            line_total,
            explain,  # the text, written out when first read
            month,
            category,
            channel,
            repeat,
            is_overdue,
            is_no_feedback,
            share,
            n,
            each,
        )
        mine.lines.append(line)
        mine.total += line_total
        mine.deducted += n
        deducted += n
        high += n if is_high else 0
    deduction = sum((t.total for t in items.values()), ZERO)  # exact: any grouping gives the same sum
    counters = ProblemCounters(total, deducted, repeats, high, overdue, no_feedback, deduction)
    return UnitTally(items, counters, categories, total)
