"""Reading a problem sheet's rows into columns and checking each one: discovery time, category,
channel, coordinate system and coordinates. A row that fails a check is refused with a Chinese
reason (the first one found); a bad option is the user's error and raises instead.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

import numpy as np

from kaoping.domain.categories import CategoryLevel
from kaoping.domain.errors import KaopingError, UnknownCategoryError
from kaoping.domain.problems import Channel
from kaoping.geo.crs import parse_crs
from kaoping.io.problem_sheets import ProblemSheet, parse_found_at_column, parse_numbers, raw_value
from kaoping.wiring.problem_batch import CHANNELS, ImportContext, ProblemBatch

DATE_HINT = "可用 2021/3/5、2021-03-05 09:30、2021年3月5日 或 Excel 日期"


def check_rows(
    sheet: ProblemSheet, context: ImportContext, tz: ZoneInfo, crs: str, channel: str
) -> ProblemBatch:
    """The sheet as columns, each row checked; ``crs`` and ``channel`` are for rows that do not say."""
    n = len(sheet)
    batch = ProblemBatch(
        found=parse_found_at_column(sheet.column("found_at"), tz),
        category=np.full(n, -1, dtype=np.int64),
        channel=np.zeros(n, dtype=np.int64),
        crs=[],
        x=parse_numbers(sheet.column("lon")),
        y=parse_numbers(sheet.column("lat")),
        address=_addresses(sheet),
        description=[d or "" for d in sheet.column("description").to_list()],
        error=[None] * n,
    )
    _check_times(sheet, batch)
    _check_categories(sheet, batch, context)
    _check_channels(sheet, batch, context, channel)
    _check_crs(sheet, batch, crs)
    _check_coordinates(sheet, batch)
    return batch


def _addresses(sheet: ProblemSheet) -> list[str | None]:
    road, landmark, address = (sheet.column(f).to_list() for f in ("road", "landmark", "address"))
    joined = []
    for r, mark, a in zip(road, landmark, address, strict=True):
        parts = [p for p in (r, mark) if p] or ([a] if a else [])
        joined.append(" ".join(parts) if parts else None)
    return joined


def _check_times(sheet: ProblemSheet, batch: ProblemBatch) -> None:
    cells = sheet.column("found_at").to_list()
    bad = np.flatnonzero(np.isnan(batch.found))
    batch.refuse(
        bad,
        lambda i: "发现时间为空" if cells[i] is None else f"发现时间 {cells[i]!r} 无法识别 ({DATE_HINT})",
    )


def _check_categories(sheet: ProblemSheet, batch: ProblemBatch, context: ImportContext) -> None:
    cells = sheet.column("category")
    answers: dict[str | None, int | str] = {}
    for value in cells.unique().to_list():
        answers[value] = _category_answer(value, context)
    for i, value in enumerate(cells.to_list()):
        answer = answers[value]
        if isinstance(answer, str):
            batch.refuse([i], answer)
        else:
            batch.category[i] = answer


def _category_answer(value: str | None, context: ImportContext) -> int | str:
    if value is None:
        return "问题类别为空"
    try:
        found = context.tree.get(value)
    except UnknownCategoryError as err:
        return err.message
    if found.level is not CategoryLevel.MINOR:
        return f"问题类别 {found.code} {found.name} 是大类, 请填写具体的小类"
    if found.code not in context.category_ids:
        return f"问题类别 {found.code} {found.name} 尚未写入数据库 (请先运行 kaoping seed)"
    return context.minor_index[found.code]


def _check_channels(sheet: ProblemSheet, batch: ProblemBatch, context: ImportContext, default: str) -> None:
    fallback = context.channels.get(default.strip().lower()) or context.channels.get(default.strip())
    if fallback is None:
        raise KaopingError(f"未知的问题来源 {default!r}, 可选: {', '.join(c.value for c in Channel)}")
    for i, value in enumerate(sheet.column("channel").to_list()):
        found = (
            fallback if value is None else context.channels.get(value) or context.channels.get(value.lower())
        )
        if found is None:
            batch.refuse([i], f"问题来源 {value!r} 未知, 可选: {', '.join(sorted(context.channels))}")
        else:
            batch.channel[i] = CHANNELS.index(found)


def _check_crs(sheet: ProblemSheet, batch: ProblemBatch, default: str) -> None:
    fallback = parse_crs(default).value  # a bad option is the user's error, not a row's
    for i, value in enumerate(sheet.column("crs").to_list()):
        if value is None:
            batch.crs.append(fallback)
            continue
        try:
            batch.crs.append(parse_crs(value.replace("-", "").replace(" ", "")).value)
        except KaopingError:
            batch.crs.append(fallback)
            batch.refuse([i], f"坐标系 {value!r} 未知, 可选: wgs84, gcj02, bd09, cgcs2000")


def _check_coordinates(sheet: ProblemSheet, batch: ProblemBatch) -> None:
    lon_cells, lat_cells = sheet.column("lon").to_list(), sheet.column("lat").to_list()
    for i in np.flatnonzero(np.isnan(batch.x) | np.isnan(batch.y)).tolist():
        typed = lon_cells[i] is not None or lat_cells[i] is not None
        if typed and (lon_cells[i] is None or lat_cells[i] is None):
            batch.refuse(
                [i], f"经纬度不完整 (经度={raw_value(lon_cells[i])}, 纬度={raw_value(lat_cells[i])})"
            )
        elif typed:
            batch.refuse([i], f"经纬度不是数字 (经度={lon_cells[i]!r}, 纬度={lat_cells[i]!r})")
        elif batch.address[i] is None:
            batch.refuse([i], "缺少经纬度, 也没有道路/地址, 无法定位")
    ok = np.isfinite(batch.x) & np.isfinite(batch.y)
    swapped = ok & (np.abs(batch.y) > 90) & (np.abs(batch.x) <= 90)
    batch.refuse(np.flatnonzero(swapped), "纬度应在 -90 到 90 之间 (经纬度是否填反?)")
    batch.refuse(
        np.flatnonzero(ok & ((np.abs(batch.x) > 180) | (np.abs(batch.y) > 90))), "经纬度超出有效范围"
    )
