"""A scheme file's groups (members, item maxima, rank-only members), rewards and ranking rules."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from kaoping.domain.schemes import Component, Group, Item, Ranking, RewardSchedule, TierRule
from kaoping.io.schemes_items import Entry, Listed, listed_entries
from kaoping.io.schemes_nodes import Reader, Value, mapping_keys, suggestion

_GROUP_KEYS = {"code", "name", "members", "maxima", "rank_only"}
_REWARD_KEYS = {"top", "bottom"}
_RANKING_KEYS = {"tie_breakers", "tier", "tier_value", "strong_top", "weak_bottom"}


def read_groups(
    r: Reader, at: Value | None, items: Listed[Item], components: Listed[Component]
) -> Listed[Group]:
    """The groups (组): who is ranked together, over which items, out of how much."""
    listed: Listed[Group] = Listed()
    if at is None:
        return listed  # the missing section is refused by the caller
    owner: dict[str, str] = {}  # member code → the group that already lists it
    mentioned: set[str] = set()  # the items some group lists, even a group with a wrong field
    for entry in listed_entries(r, at, _GROUP_KEYS, "组", listed):
        for key in ("members", "maxima"):
            if key not in entry.fields:
                r.refuse(entry.at, "缺少此字段", f"{entry.at.path}.{key}")
        members = _members(r, entry, owner)
        rank_only = _rank_only(r, entry.fields.get("rank_only"), members)
        maxima = _maxima(r, entry.fields.get("maxima"), items)
        mentioned.update(mapping_keys(entry.fields["maxima"]) if "maxima" in entry.fields else ())
        if maxima is not None:
            _check_component_sums(r, entry.fields["maxima"], maxima, items, components)
        if members is None or rank_only is None or maxima is None:
            listed.broken = True
            continue
        listed.keep(entry.code, Group(entry.code, entry.name, tuple(members), maxima, frozenset(rank_only)))
    _check_every_item_grouped(r, items, mentioned)
    return listed


def _members(r: Reader, entry: Entry, owner: dict[str, str]) -> list[str] | None:
    """Unit codes, as written (``379901``, ``BM37990101``); a unit is in one group only."""
    at = entry.fields.get("members")
    if at is None:
        return None
    members: list[str] = []
    fine = True
    for member in r.sequence(at):
        code = r.scalar(member)
        if code is None:
            fine = False
        elif code in members:
            r.refuse(member, f"成员 {code} 在本组中重复")
            fine = False
        elif code in owner:
            r.refuse(member, f"成员 {code} 已在组 {owner[code]} 中, 一个单位只能属于一个组")
            fine = False
        else:
            members.append(code)
            owner[code] = entry.code
    if not members and fine:
        r.refuse(at, "组至少要有一个成员")
        fine = False
    return members if fine else None


def _rank_only(r: Reader, at: Value | None, members: list[str] | None) -> list[str] | None:
    """Members that are ranked but get no reward or penalty (只排名不奖惩); each must be a member."""
    if at is None:
        return []
    codes: list[str] = []
    fine = True
    for entry in r.sequence(at):
        code = r.scalar(entry)
        if code is None:
            fine = False
        elif members is not None and code not in members:
            r.refuse(entry, f"只排名成员 {code} 不在本组 members 中{suggestion(code, members)}")
            fine = False
        else:
            codes.append(code)
    return codes if fine else None


def _maxima(r: Reader, at: Value | None, items: Listed[Item]) -> dict[str, Decimal] | None:
    """Item code → the item's maximum in this group; the group evaluates exactly these items."""
    if at is None:
        return None
    maxima: dict[str, Decimal] = {}
    fine = True
    for code, value in r.entries(at):
        if code not in items.places:
            r.refuse(value, f"考评项目 {code} 不存在{suggestion(code, items.places)}")
            fine = False
            continue
        points = r.decimal(value, positive=True, what="满分")
        if points is None:
            fine = False
        else:
            maxima[code] = points
    if not maxima and fine:
        r.refuse(at, "组至少要评一个考评项目")
        fine = False
    return maxima if fine else None


def _check_component_sums(
    r: Reader,
    at: Value,
    maxima: Mapping[str, Decimal],
    items: Listed[Item],
    components: Listed[Component],
) -> None:
    """In every group, a component's items add up to the component's maximum (第三方测评: 300)."""
    if not components.has_all_sizes or any(code not in items.parents for code in maxima):
        return  # an item's component or a component's maximum was refused already
    totals = dict.fromkeys(components.sizes, Decimal(0))
    for code, points in maxima.items():
        totals[items.parents[code]] += points
    for code, total in totals.items():
        if total != components.sizes[code]:
            r.refuse(at, f"组件 {code} 的项目满分之和为 {total}, 应等于组件满分 {components.sizes[code]}")


def _check_every_item_grouped(r: Reader, items: Listed[Item], mentioned: set[str]) -> None:
    """An item no group lists is never scored: a forgotten line, not a choice."""
    for code, at in items.places.items():
        if code not in mentioned:
            r.refuse(at, f"考评项目 {code} 不在任何组中 (在某组的 maxima 中列出它, 或删去它)")


# --- rewards and ranking -------------------------------------------------------------------------


def read_rewards(r: Reader, at: Value | None, groups: Listed[Group]) -> dict[str, RewardSchedule] | None:
    """Group code → money by rank (万元): ``top`` to the first places, ``bottom`` paid by the last."""
    rewards: dict[str, RewardSchedule] = {}
    fine = True
    for code, value in r.entries(at) if at is not None else []:
        if code not in groups.places:
            r.refuse(value, f"组 {code} 不存在{suggestion(code, groups.places)}")
            fine = False
            continue
        schedule = _schedule(r, value)
        if schedule is None:
            fine = False
            continue
        group = groups.objects.get(code)
        eligible = None if group is None else len(group.members) - len(group.rank_only)
        if eligible is not None and len(schedule.top) + len(schedule.bottom) > eligible:
            r.refuse(
                value,
                f"奖励 {len(schedule.top)} 名加扣罚 {len(schedule.bottom)} 名, "
                f"超过本组参与奖惩的 {eligible} 个成员",
            )
            fine = False
        rewards[code] = schedule
    return rewards if fine else None


def _schedule(r: Reader, at: Value) -> RewardSchedule | None:
    fields = r.fields(at, _REWARD_KEYS)
    amounts: dict[str, tuple[Decimal, ...]] = {}
    fine = True
    for key in ("top", "bottom"):
        values = (
            [r.decimal(v, positive=True, what="金额") for v in r.sequence(fields[key])]
            if key in fields
            else []
        )
        fine = fine and None not in values
        amounts[key] = tuple(v for v in values if v is not None)
    return RewardSchedule(amounts["top"], amounts["bottom"]) if fine else None


def read_ranking(
    r: Reader, at: Value | None, items: Listed[Item], components: Listed[Component]
) -> Ranking | None:
    """Tie-breakers, the tier rule (第一梯队) and the item-class thresholds (优势/弱势项目)."""
    if at is None:
        return Ranking()
    issues = len(r.issues)
    fields = r.fields(at, _RANKING_KEYS)
    breakers = _tie_breakers(r, fields.get("tie_breakers"), items, components)
    tier = r.choice(fields["tier"], TierRule, "梯队规则") if "tier" in fields else TierRule.TOP_N
    value = r.decimal(fields["tier_value"], positive=True) if "tier_value" in fields else Decimal(3)
    if tier is TierRule.TOP_N and value is not None and value != value.to_integral_value():
        r.refuse(fields["tier_value"], f"top_n 梯队的名次数应为整数, 实为 {value}")
    strong = r.integer(fields["strong_top"], 1) if "strong_top" in fields else 3
    weak = r.integer(fields["weak_bottom"], 1) if "weak_bottom" in fields else 3
    if tier is None or value is None or strong is None or weak is None or len(r.issues) > issues:
        return None
    return Ranking(tuple(breakers), tier, value, strong, weak)


def _tie_breakers(
    r: Reader, at: Value | None, items: Listed[Item], components: Listed[Component]
) -> list[str]:
    """``component:<code>`` or ``item:<code>``, compared in order after the total, higher first."""
    known = {"component": components.places, "item": items.places}
    breakers: list[str] = []
    for entry in r.sequence(at) if at is not None else []:
        text = r.scalar(entry)
        if text is None:
            continue
        kind, _, code = text.partition(":")
        if kind not in known:
            r.refuse(entry, f"并列比较项应写成 component:<组件代码> 或 item:<项目代码>, 实为 {text!r}")
        elif code not in known[kind]:
            what = "组件" if kind == "component" else "考评项目"
            r.refuse(entry, f"{what} {code} 不存在{suggestion(code, known[kind])}")
        else:
            breakers.append(text)
    return breakers
