"""A year of problems for the demo city, generated with numpy and located by the real geo index.

What makes the year realistic: a category mix from the seed data's weights and seasons; channels
in the seed data's shares; third-party testers who inspect every district with a similar effort
(so their findings measure quality, not size); hot-spot streets; districts that differ in quality
(more problems, more repeats, slower handling); deliberate re-occurrences at the same place, which
the scheme's repeat rule (``kaoping.geo.repeats``) then finds like it would find any other.
Deadlines are counted on the seeded working calendar (holidays, 调休) as the case loop counts them,
and handling times are drawn relative to them, so a problem closed after its deadline is overdue.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import shapely

from kaoping.demo.geography import DemoGeography
from kaoping.domain.calendar import CalendarYearMissingError, WorkCalendar
from kaoping.domain.categories import Category, DeadlineUnit
from kaoping.domain.problems import Channel, CoordinateSystem, ProblemStatus
from kaoping.domain.scoring import ScoringRules
from kaoping.geo.index import GeoIndex, LocatedBatch
from kaoping.geo.repeats import RepeatColumns, link_repeats
from kaoping.wiring.deadline_batch import US_PER_SECOND, WorkingTimeline, due_times_by_limit

HOT_SPOT_FACTOR = 4.0
EXTERNAL_PER_DISTRICT = 11_000  # findings a year by third party, supervision, media and leaders


@dataclass(frozen=True)
class DemoInputs:
    """Everything the generator draws from, already loaded from seed data and the database."""

    geography: DemoGeography
    index: GeoIndex
    categories: Sequence[Category]  # subclasses, with ids in ``category_ids``
    category_ids: dict[str, int]
    category_weights: dict[str, float]
    category_seasons: Mapping[str, Sequence[float]]  # code → 12 monthly factors
    channel_shares: dict[Channel, float]
    rules: ScoringRules
    departments: dict[tuple[str, int | None], int]  # (field, district id | None) → id
    road_names: dict[int, str]  # road id → name
    tz: ZoneInfo
    calendar: WorkCalendar  # the working calendar the demo seeded, deadlines are counted on it


@dataclass(frozen=True)
class GeneratedYear:
    rows: list[tuple[object, ...]]  # storage form, see kaoping.db.problems.BULK_COLUMNS
    unassigned: int  # generated points the locator refused (should be 0)
    repeats: int


def generate_year(inputs: DemoInputs, size_per_year: int, year: int, seed: int) -> GeneratedYear:
    """``size_per_year`` problems found in ``year``, deterministic for ``seed``."""
    rng = np.random.default_rng(seed + 1)  # the geography uses ``seed`` itself
    geo = inputs.geography
    grid_district = np.array([g.community_code[:6] for g in geo.grids])
    grid_weight = _grid_weights(geo, grid_district, rng)
    quality = np.array([geo.quality[d] for d in grid_district])

    n_repeat_base = int(size_per_year * 0.03)
    n = size_per_year - n_repeat_base
    channels = _draw_channels(inputs, n, rng)
    day, seconds, cat_idx, month = _draw_times_and_categories(inputs, n, year, rng)
    grid_idx = _draw_grids(inputs, grid_district, grid_weight, channels, month, rng)
    x, y = _points_in_grids(geo, grid_idx, rng)

    # Re-occurrences: the same category at (almost) the same place some days later; worse districts
    # see more of them.
    origin = _draw_repeat_origins(quality[grid_idx], n_repeat_base, rng)
    lag_days = rng.integers(1, 26, size=origin.size)
    keep = day[origin] + lag_days < _days_in_year(year)
    origin, lag_days = origin[keep], lag_days[keep]
    channels = np.concatenate(
        [
            channels,
            np.where(rng.random(origin.size) < 0.6, _channel_code(Channel.THIRD_PARTY), channels[origin]),
        ]
    )
    grid_idx = np.concatenate([grid_idx, grid_idx[origin]])
    day = np.concatenate([day, day[origin] + lag_days])
    seconds = np.concatenate([seconds, rng.integers(7 * 3600, 19 * 3600, size=origin.size)])
    cat_idx = np.concatenate([cat_idx, cat_idx[origin]])
    jitter = rng.normal(0, 10.0, size=(2, origin.size))
    x = np.concatenate([x, x[origin] + jitter[0]])
    y = np.concatenate([y, y[origin] + jitter[1]])

    order = np.lexsort((seconds, day))  # ids follow discovery time
    channels, grid_idx, day, seconds, cat_idx, x, y = (
        a[order] for a in (channels, grid_idx, day, seconds, cat_idx, x, y)
    )
    found_utc = _utc_seconds(year, day, seconds, inputs.tz)
    handling = _handle(inputs, year, rng, cat_idx, found_utc, quality[grid_idx])
    lon, lat = geo.projection.to_wgs84(x, y)
    located = inputs.index.locate_many(lon, lat)
    repeat_of = _repeat_links(inputs, x, y, found_utc, cat_idx, handling, located.grid_id >= 0)
    rows = _rows(inputs, channels, cat_idx, found_utc, lon, lat, located, handling, repeat_of)
    return GeneratedYear(rows, int(located.unassigned.size), int((repeat_of >= 0).sum()))


_CHANNELS = list(Channel)


def _channel_code(channel: Channel) -> int:
    return _CHANNELS.index(channel)


def _grid_weights(geo: DemoGeography, grid_district: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    hot = set(geo.hot_spot_towns)
    weight = rng.lognormal(0.0, 0.5, size=len(geo.grids))
    weight *= np.array([HOT_SPOT_FACTOR if g.community_code[:9] in hot else 1.0 for g in geo.grids])
    weight *= np.array([geo.quality[d] for d in grid_district]) ** -1.5
    return weight


def _draw_channels(inputs: DemoInputs, n: int, rng: np.random.Generator) -> np.ndarray:
    """Channels in the seed data's shares — except that external inspections (the channels the
    scheme deducts for) find at most ``EXTERNAL_PER_DISTRICT`` problems per district a year: testers
    sample a city, they do not grow with it. Own discovery takes up the rest."""
    p = np.array([inputs.channel_shares.get(c, 0.0) for c in _CHANNELS], dtype=float)
    p /= p.sum()
    external = np.isin(_CHANNELS, list(inputs.rules.channel_weights))
    ceiling = EXTERNAL_PER_DISTRICT * len(inputs.geography.quality) / n
    if p[external].sum() > ceiling:
        p[external] *= ceiling / p[external].sum()
        p[~external] *= (1 - ceiling) / p[~external].sum()
    return rng.choice(len(_CHANNELS), size=n, p=p)


def _draw_grids(
    inputs: DemoInputs,
    grid_district: np.ndarray,
    weight: np.ndarray,
    channels: np.ndarray,
    month: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """External inspections (third party, supervision, media, leaders) spread their effort over
    districts about evenly, so a weaker district yields more findings — and every district has
    better and worse months. Own discovery and citizens follow the grids."""
    geo = inputs.geography
    grid_idx = rng.choice(weight.size, size=channels.size, p=weight / weight.sum())
    districts = sorted(geo.quality)
    members = [np.flatnonzero(grid_district == code) for code in districts]
    effort = np.array([geo.quality[d] ** -0.6 for d in districts])
    findings = effort[:, None] * _monthly_form(len(districts), rng)
    external = np.isin(channels, [_channel_code(c) for c in inputs.rules.channel_weights])
    for m in range(12):
        picks = np.flatnonzero(external & (month == m))
        chosen = rng.choice(len(districts), size=picks.size, p=findings[:, m] / findings[:, m].sum())
        for k, grids in enumerate(members):
            mine = picks[chosen == k]
            w = weight[grids]
            grid_idx[mine] = rng.choice(grids, size=mine.size, p=w / w.sum())
    return grid_idx


def _monthly_form(districts: int, rng: np.random.Generator) -> np.ndarray:
    """districts × 12 factors around 1: a slow random walk (a good month tends to follow a good one)
    plus month-to-month noise."""
    walk = np.cumsum(rng.normal(0.0, 0.06, size=(districts, 12)), axis=1)
    noise = rng.normal(0.0, 0.15, size=(districts, 12))
    factors: np.ndarray = np.exp(walk - walk.mean(axis=1, keepdims=True) + noise)
    return factors


def _days_in_year(year: int) -> int:
    return (date(year + 1, 1, 1) - date(year, 1, 1)).days


def _draw_times_and_categories(
    inputs: DemoInputs, n: int, year: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Day of year, second of day, category index and month (0-11); busier in summer."""
    month_len = np.array(
        [(date(year + m // 12, m % 12 + 1, 1) - date(year, m, 1)).days for m in range(1, 13)]
    )
    profile = month_len * (1.0 + 0.25 * np.sin((np.arange(12) - 3) / 12 * 2 * np.pi))
    month = rng.choice(12, size=n, p=profile / profile.sum())
    day = np.cumsum(np.concatenate([[0], month_len[:-1]]))[month] + rng.integers(0, month_len[month])
    seconds = (rng.normal(11.5, 3.0, size=n).clip(6, 21.9) * 3600).astype(np.int64)
    codes = [c.code for c in inputs.categories]
    base = np.array([inputs.category_weights.get(c, 1.0) for c in codes])
    cat_idx = np.empty(n, dtype=np.int64)
    for m in range(12):
        members = np.flatnonzero(month == m)
        season = np.array([inputs.category_seasons.get(c, [1.0] * 12)[m] for c in codes])
        p = base * season
        cat_idx[members] = rng.choice(len(codes), size=members.size, p=p / p.sum())
    return day, seconds, cat_idx, month


def _points_in_grids(
    geo: DemoGeography, grid_idx: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, ...]:
    """Uniform points inside each chosen grid's bounding box, kept 2 m off its edges."""
    metric = geo.projection.geometry_to_metric(np.array([g.geometry for g in geo.grids], dtype=object))
    bounds = shapely.bounds(metric)[grid_idx]
    u = rng.random((2, grid_idx.size))
    x = bounds[:, 0] + 2 + u[0] * (bounds[:, 2] - bounds[:, 0] - 4)
    y = bounds[:, 1] + 2 + u[1] * (bounds[:, 3] - bounds[:, 1] - 4)
    return x, y


def _draw_repeat_origins(quality: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    p = quality**-1.5
    return rng.choice(quality.size, size=n, p=p / p.sum())


def _utc_seconds(year: int, day: np.ndarray, seconds: np.ndarray, tz: ZoneInfo) -> np.ndarray:
    """Seconds since the epoch (UTC) of a local day-of-year and second-of-day."""
    start = date(year, 1, 1)
    offsets = np.array(
        [
            datetime.combine(start + timedelta(days=int(d)), datetime.min.time(), tz)
            .utcoffset()
            .total_seconds()  # type: ignore[union-attr]
            for d in range(_days_in_year(year) + 31)
        ]
    )
    epoch_day = (start - date(1970, 1, 1)).days
    utc: np.ndarray = (epoch_day + day) * 86400 + seconds - offsets[day].astype(np.int64)
    return utc


def _utc_text(epoch_seconds: np.ndarray) -> list[str]:
    text = np.datetime_as_string(epoch_seconds.astype("datetime64[s]"), unit="us")
    return [s.replace("T", " ") for s in text.tolist()]


@dataclass(frozen=True)
class _Handling:
    """How each problem was handled: times in seconds since the epoch (UTC), flags per problem."""

    deadline: np.ndarray
    closed: np.ndarray  # when it was (or will be) rectified
    is_closed: np.ndarray  # rectified by the end of the year
    voided: np.ndarray
    overdue: np.ndarray


def _handle(
    inputs: DemoInputs,
    year: int,
    rng: np.random.Generator,
    cat_idx: np.ndarray,
    found: np.ndarray,
    quality: np.ndarray,
) -> _Handling:
    deadline = _deadlines(inputs, cat_idx, found)
    # Handling time relative to the time allowed: log-normal, slower in weaker districts; a problem
    # closed after its deadline is overdue.
    ratio = rng.lognormal(-0.8 * quality**1.5, 0.6)
    closed = found + ((deadline - found) * ratio).astype(np.int64)
    as_of = _utc_seconds(year + 1, np.zeros(1, dtype=np.int64), np.zeros(1, dtype=np.int64), inputs.tz)[0]
    is_closed = closed <= as_of
    voided = rng.random(found.size) < 0.01
    overdue = np.where(is_closed, closed > deadline, deadline < as_of) & ~voided
    return _Handling(deadline, closed, is_closed, voided, overdue)


def _deadlines(inputs: DemoInputs, cat_idx: np.ndarray, found: np.ndarray) -> np.ndarray:
    """Handling deadlines on the working calendar as the case loop counts them (epoch seconds)."""
    limits = [(c.deadline_value or 1, c.deadline_unit or DeadlineUnit.WORK_DAYS) for c in inputs.categories]
    times = due_times_by_limit(
        WorkingTimeline.build(inputs.calendar, inputs.tz), found * US_PER_SECOND, cat_idx, limits
    )
    if times.missing_year.any():
        raise CalendarYearMissingError(int(times.missing_year.max()))
    return times.due // US_PER_SECOND  # whole seconds: the seed data's limits are whole numbers


def _repeat_links(
    inputs: DemoInputs,
    x: np.ndarray,
    y: np.ndarray,
    found: np.ndarray,
    cat_idx: np.ndarray,
    handling: _Handling,
    located: np.ndarray,
) -> np.ndarray:
    """Per problem, the index of the earlier problem it repeats under the scheme's rule, or -1.
    Points the locator refused take no part (they are not stored)."""
    rule = inputs.rules.repeat_rule
    items = [inputs.rules.item_of(c.code) for c in inputs.categories]
    keys = [rule.key_of(c, i.code if i else None) for c, i in zip(inputs.categories, items, strict=True)]
    key_codes = np.unique(keys, return_inverse=True)[1]  # per category index
    columns = RepeatColumns(
        np.where(located, x, np.nan),
        y,
        found,
        key_codes[cat_idx],
        np.where(handling.voided, np.nan, handling.closed),
        handling.voided,
    )
    links = link_repeats(rule, columns)
    repeat_of: np.ndarray = links.repeat_of
    return repeat_of


def _rows(
    inputs: DemoInputs,
    channels: np.ndarray,
    cat_idx: np.ndarray,
    found: np.ndarray,
    lon: np.ndarray,
    lat: np.ndarray,
    located: LocatedBatch,
    handling: _Handling,
    repeat_of: np.ndarray,
) -> list[tuple[object, ...]]:
    """Flags and departments, then the rows in storage form (unlocated points dropped)."""
    cats = inputs.categories
    deadline, closed, is_closed = handling.deadline, handling.closed, handling.is_closed
    voided, overdue = handling.voided, handling.overdue
    status = np.where(
        voided,
        ProblemStatus.VOIDED.value,
        np.where(is_closed, ProblemStatus.CLOSED.value, ProblemStatus.DISPATCHED.value),
    )
    high = _high_score_table(inputs)[cat_idx, channels]
    kept = located.grid_id >= 0
    new_id = np.cumsum(kept)  # ids 1..k over the kept rows
    repeat_id = np.where(repeat_of >= 0, new_id[np.maximum(repeat_of, 0)], 0)  # unlocated never match

    found_t, deadline_t, closed_t = _utc_text(found), _utc_text(deadline), _utc_text(closed)
    columns = {
        "channel": [_CHANNELS[c].value for c in channels.tolist()],
        "category_id": [inputs.category_ids[cats[c].code] for c in cat_idx.tolist()],
        "department_id": _departments(inputs, cat_idx, located.district_id),
        "description": _descriptions(inputs, cat_idx, located.road_id),
        "road_distance_m": [None if d != d else round(d, 1) for d in located.road_distance_m.tolist()],
        "road_id": [None if r < 0 else r for r in located.road_id.tolist()],
    }
    rows: list[tuple[object, ...]] = []
    lon_l, lat_l = lon.tolist(), lat.tolist()
    for i in np.flatnonzero(kept).tolist():
        rows.append(
            (
                int(new_id[i]),
                columns["channel"][i],
                columns["category_id"][i],
                found_t[i],
                lon_l[i],
                lat_l[i],
                lon_l[i],
                lat_l[i],
                CoordinateSystem.WGS84.value,
                columns["description"][i],
                int(located.grid_id[i]),
                int(located.community_id[i]),
                int(located.town_id[i]),
                int(located.district_id[i]),
                columns["road_id"][i],
                columns["road_distance_m"][i],
                columns["department_id"][i],
                str(status[i]),
                deadline_t[i],
                closed_t[i] if is_closed[i] and not voided[i] else None,
                1 if repeat_id[i] else 0,
                int(repeat_id[i]) or None,
                int(overdue[i]),
                int(high[i]),
                None,  # source_key: not from a sheet
                0,  # location_approximate
            )
        )
    return rows


def _high_score_table(inputs: DemoInputs) -> np.ndarray:
    """category index × channel index → is a high-score problem (高分问题) under the rules."""
    return np.array([[inputs.rules.is_high_score(c.code, ch) for ch in _CHANNELS] for c in inputs.categories])


def _departments(inputs: DemoInputs, cat_idx: np.ndarray, district_id: np.ndarray) -> list[int | None]:
    """The district's bureau for the category's field, else the city department (属地 fallback)."""
    fields = [c.department_type or "" for c in inputs.categories]
    deps = inputs.departments
    return [
        deps.get((fields[c], d), deps.get((fields[c], None)))
        for c, d in zip(cat_idx.tolist(), district_id.tolist(), strict=True)
    ]


def _descriptions(inputs: DemoInputs, cat_idx: np.ndarray, road_id: np.ndarray) -> list[str]:
    names = [c.name for c in inputs.categories]
    roads = inputs.road_names
    return [
        f"{roads[r]}沿线发现{names[c]}" if r >= 0 else f"巡查发现{names[c]}"
        for c, r in zip(cat_idx.tolist(), road_id.tolist(), strict=True)
    ]
