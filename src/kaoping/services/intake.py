"""Intake of a single problem: validate, locate, route, set its deadline, check for a repeat, store
it and open what follows it up (a case, or a third-party finding) — or refuse with a Chinese message
that names the field that is wrong.

Every channel that files one problem at a time (the JSON API, the phone form, the CLI) goes through
``report_problem``, so they validate alike. What it computes is stored on the problem and never
recomputed by reports (DESIGN.md decision 3). A report filed late, earlier than problems already
stored, takes over the repeat links of the later ones that now repeat it, in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, tzinfo

from kaoping.domain import cases, findings
from kaoping.domain.calendar import CalendarYearMissingError
from kaoping.domain.categories import Category, CategoryLevel, CategoryTree
from kaoping.domain.deadlines import deadline
from kaoping.domain.errors import InvalidCoordinateError, KaopingError, OutsideGridError, UnknownCategoryError
from kaoping.domain.ids import CaseId, CategoryId, FindingId, ProblemId
from kaoping.domain.problems import Channel, Coordinate, CoordinateSystem, Location, Problem
from kaoping.domain.repeats import RepeatSubject, is_repeat_of
from kaoping.domain.routing import LiabilitySplit, Responsibility, route
from kaoping.domain.scoring import ScoringRules
from kaoping.services.ports import (
    CalendarSource,
    DepartmentSource,
    IntakeStore,
    IntakeUnitOfWork,
    Locator,
    NearbyProblem,
    PhotoRecord,
)

# A phone's clock may run a little ahead of the server's; beyond this a discovery time is refused.
CLOCK_SKEW = timedelta(minutes=10)
MAX_DESCRIPTION = 2000

# Field names as the API and the form call them, with the label a person reads.
FIELD_LABELS = {
    "channel": "来源",
    "category": "问题类别",
    "lon": "经度",
    "lat": "纬度",
    "crs": "坐标系",
    "found_at": "发现时间",
    "description": "问题描述",
    "photo": "照片",
    "location": "位置",
}


class IntakeError(KaopingError):
    """A report that cannot be accepted as it is; ``field`` names the input that is wrong."""

    def __init__(self, message: str, field: str | None = None) -> None:
        label = FIELD_LABELS.get(field or "")
        super().__init__(f"{label} ({field}): {message}" if label else message)
        self.field = field


@dataclass(frozen=True, slots=True)
class ProblemReport:
    """A problem as a reporter sends it: raw values, checked by ``report_problem``.

    ``found_at`` may be an aware datetime, or text in ISO 8601 (a time typed without a zone is read
    in the business timezone); missing, it is the photo's EXIF time, else the time of receipt.
    Missing coordinates are taken from the first photo with EXIF GPS (WGS84)."""

    channel: str
    category: str
    lon: object = None
    lat: object = None
    found_at: datetime | str | None = None
    crs: str = CoordinateSystem.WGS84.value
    description: str = ""
    photos: Sequence[PhotoRecord] = ()


@dataclass(frozen=True)
class IntakeDesk:
    """Everything intake needs besides its transaction; built once per process and shared."""

    locator: Locator
    to_wgs84: Callable[[Coordinate], Coordinate]
    to_metric: Callable[[float, float], tuple[float, float]]  # WGS84 → the city's local metres
    categories: CategoryTree
    rules: ScoringRules
    calendar: CalendarSource
    departments: DepartmentSource
    tz: tzinfo
    split: LiabilitySplit = field(default_factory=LiabilitySplit)
    # Category code → stored id, cached by the caller; None: read from the store on every report.
    category_ids: Callable[[], Mapping[str, CategoryId]] | None = None


@dataclass(frozen=True, slots=True)
class Intake:
    """A stored report and what intake computed for it."""

    problem_id: ProblemId
    channel: Channel
    category: Category
    found_at: datetime
    point: Coordinate  # WGS84
    original: Coordinate  # as reported
    location: Location
    responsibility: Responsibility
    deadline_at: datetime | None  # None: the working calendar has no data for the year (see notes)
    repeat_of: ProblemId | None
    repeat_index: int  # 0: not a repeat; 1: repeats a first report; 2: a repeat of a repeat …
    is_high_score: bool
    notes: tuple[str, ...] = ()
    description: str = ""  # as stored: trimmed
    case_id: CaseId | None = None  # the case that follows it through the loop (every other channel)
    finding_id: FindingId | None = None  # a third-party tester's report: the finding instead
    relinked: tuple[ProblemId, ...] = ()  # later problems that now repeat this late report


@dataclass(frozen=True, slots=True)
class _Checked:
    channel: Channel
    category: Category
    original: Coordinate
    found_at: datetime
    description: str


def report_problem(uow: IntakeUnitOfWork, desk: IntakeDesk, report: ProblemReport, *, at: datetime) -> Intake:
    """Check a report received at ``at``, locate, route and time it, link it to the problem it
    repeats, and store it with its photos; nothing is stored if any check fails."""
    checked = check_report(desk, report, at=at)
    point = desk.to_wgs84(checked.original)
    # Located against the boundaries in force on the day it was found, so an old report filed
    # late lands where responsibility lay then.
    location = desk.locator.locate(point.lon, point.lat, at=checked.found_at.astimezone(desk.tz).date())
    responsibility = route(checked.category, location, desk.departments.departments(), desk.split)
    due, notes = _deadline(desk, checked.category, checked.found_at)
    high = desk.rules.is_high_score(checked.category.code, checked.channel)
    with uow:
        ids = _category_ids(desk, uow.intake, checked.category.code)
        subject, near = _near(uow.intake, desk, checked.category, point, checked.found_at, ids)
        repeat_of, index = _repeat(desk, subject, near)
        problem = Problem(
            None, checked.channel, ids[checked.category.code], checked.found_at, point, checked.original,
            location, deadline_at=due, description=checked.description, is_repeat=repeat_of is not None,
            repeat_of_id=repeat_of, repeat_index=index, is_high_score=high,
        )  # fmt: skip
        problem_id = uow.intake.add(problem, responsibility.department_id)
        uow.intake.add_photos(problem_id, report.photos)
        case_id, finding_id = _follow_up(uow, problem_id, checked, responsibility, due, at)
        relinked = _take_over_later(uow.intake, desk, subject, problem_id, index, near)
        uow.commit()
    return Intake(
        problem_id, checked.channel, checked.category, checked.found_at, point, checked.original,
        location, responsibility, due, repeat_of, index, high, notes, checked.description, case_id,
        finding_id, relinked,
    )  # fmt: skip


def check_report(desk: IntakeDesk, report: ProblemReport, *, at: datetime) -> _Checked:
    """The report's values, checked and parsed; raises the first problem found, naming its field."""
    channel = _channel(report.channel)
    category = _category(desk.categories, report.category)
    original = _coordinate(report)
    found_at = _found_at(report, desk.tz, at)
    description = (report.description or "").strip()
    if len(description) > MAX_DESCRIPTION:
        raise IntakeError(f"不能超过 {MAX_DESCRIPTION} 字 (现有 {len(description)} 字)", "description")
    return _Checked(channel, category, original, found_at, description)


def field_of(error: KaopingError) -> str | None:
    """The input an intake error is about, so a form can show the message beside it."""
    if isinstance(error, IntakeError):
        return error.field
    if isinstance(error, UnknownCategoryError):
        return "category"
    if isinstance(error, InvalidCoordinateError):
        return "crs" if "坐标系" in error.reason else "lon"
    if isinstance(error, OutsideGridError):
        return "location"
    return None


def _channel(value: str) -> Channel:
    try:
        return Channel((value or "").strip().lower())
    except ValueError:
        known = ", ".join(c.value for c in Channel)
        raise IntakeError(f"未知的问题来源 {value!r}, 可选: {known}", "channel") from None


def _category(categories: CategoryTree, value: str) -> Category:
    if not (value or "").strip():
        raise IntakeError("请选择问题类别 (小类代码或名称)", "category")
    category = categories.get(value)  # UnknownCategoryError names the field itself
    if category.level is not CategoryLevel.MINOR:
        raise IntakeError(f"问题类别 {category.code} {category.name} 是大类, 请选择具体的小类", "category")
    return category


def _coordinate(report: ProblemReport) -> Coordinate:
    if not _blank(report.lon) or not _blank(report.lat):
        return Coordinate.parse(report.lon, report.lat, report.crs or CoordinateSystem.WGS84.value)
    for photo in report.photos:
        if photo.lon is not None and photo.lat is not None:
            return Coordinate(photo.lon, photo.lat, CoordinateSystem.WGS84)  # EXIF GPS is WGS84
    raise IntakeError("缺少位置: 请填写经纬度 (lon, lat), 或上传带 GPS 信息的照片", "lon")


def _found_at(report: ProblemReport, tz: tzinfo, at: datetime) -> datetime:
    value = report.found_at
    if _blank(value):
        taken = next((p.taken_at for p in report.photos if p.taken_at is not None), None)
        value = taken or at
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            raise IntakeError(f"{value!r} 不是有效时间, 应为 2026-03-05T09:30 形式", "found_at") from None
        value = parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=tz)
    if not isinstance(value, datetime):
        raise IntakeError(f"{value!r} 不是时间", "found_at")
    if value.tzinfo is None or value.utcoffset() is None:
        raise IntakeError("发现时间缺少时区", "found_at")
    if value > at + CLOCK_SKEW:
        raise IntakeError(f"{value.astimezone(tz):%Y-%m-%d %H:%M} 晚于当前时间", "found_at")
    return value


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _deadline(
    desk: IntakeDesk, category: Category, found_at: datetime
) -> tuple[datetime | None, tuple[str, ...]]:
    """The handling deadline, counted from discovery on the category's clock. A report is still
    accepted when the calendar lacks the year: its deadline stays open and a note says why."""
    if category.deadline_value is None or category.deadline_unit is None:
        return None, ("该类别未设处置时限",)
    try:
        due = deadline(
            found_at, category.deadline_value, category.deadline_unit, desk.calendar.calendar(), desk.tz
        )
    except CalendarYearMissingError as err:
        return None, (err.message,)
    return due, ()


def _category_ids(desk: IntakeDesk, store: IntakeStore, code: str) -> Mapping[str, CategoryId]:
    """The desk's cached ids when they know the category, else the store's (a category added since
    the cache was read)."""
    if desk.category_ids is not None:
        ids = desk.category_ids()
        if code in ids:
            return ids
    return store.category_ids()


def _near(
    store: IntakeStore,
    desk: IntakeDesk,
    category: Category,
    point: Coordinate,
    found_at: datetime,
    ids: Mapping[str, CategoryId],
) -> tuple[RepeatSubject, list[NearbyProblem]]:
    """The report as the repeat rule sees it (local metres), and the stored problems of its kind
    within the rule's window either side of it: earlier ones it may repeat, later ones that may now
    repeat it. One read; a report filed as it is found has nothing later."""
    rule = desk.rules.repeat_rule
    key = _key(desk, category)
    same = [ids[c.code] for c in desk.categories.minors() if c.code in ids and _key(desk, c) == key]
    since, until = found_at - rule.window, found_at + rule.window
    near = store.problems_near(same, point.lon, point.lat, rule.radius_m, since, until)
    x, y = desk.to_metric(point.lon, point.lat)
    return RepeatSubject(key, x, y, found_at), near


def _repeat(
    desk: IntakeDesk, report: RepeatSubject, near: Sequence[NearbyProblem]
) -> tuple[ProblemId | None, int]:
    """The latest earlier problem this one repeats under the scheme's rule (``is_repeat_of`` on the
    same local metres as the bulk linker), and the repeat index; among equal times the later id."""
    rule = desk.rules.repeat_rule
    matches = [e for e in near if is_repeat_of(rule, report, _subject(desk, report.key, e))]
    if not matches:
        return None, 0
    best = max(matches, key=lambda e: (e.found_at, e.id))
    return best.id, best.repeat_index + 1


def _take_over_later(
    store: IntakeStore,
    desk: IntakeDesk,
    report: RepeatSubject,
    problem_id: ProblemId,
    index: int,
    near: Sequence[NearbyProblem],
) -> tuple[ProblemId, ...]:
    """A late report: every later stored problem that repeats it, and repeats nothing later than it
    (the latest earlier match wins, among equal times the later id — this one), now links to it; the
    problems down its chain move their index with it. Returns the problems relinked."""
    relinked = tuple(later.id for later in near if _now_repeats(desk, report, problem_id, later))
    by_id = {p.id: p for p in near}
    for later_id in relinked:
        store.relink_repeat(later_id, problem_id, index + 1, by_id[later_id].repeat_index)
    return relinked


def _now_repeats(
    desk: IntakeDesk, report: RepeatSubject, problem_id: ProblemId, later: NearbyProblem
) -> bool:
    """Whether ``later`` repeats the report just filed and nothing found after it."""
    if later.found_at <= report.found_at:
        return False
    if not is_repeat_of(desk.rules.repeat_rule, _subject(desk, report.key, later), report):
        return False
    if later.repeat_of is None or later.repeat_of_found_at is None:
        return True
    return (later.repeat_of_found_at, later.repeat_of) < (report.found_at, problem_id)


def _follow_up(
    uow: IntakeUnitOfWork,
    problem_id: ProblemId,
    checked: _Checked,
    responsibility: Responsibility,
    due: datetime | None,
    at: datetime,
) -> tuple[CaseId | None, FindingId | None]:
    """What follows the problem up, stored with it: a third-party tester's report becomes a finding
    to rectify by the problem's deadline; any other report a case (上报), led by whom routing says,
    reported when found (never later than received)."""
    if checked.channel is Channel.THIRD_PARTY:
        item = findings.record_finding(FindingId(0), problem_id, checked.found_at)
        return None, uow.findings.add(replace(item, rectify_deadline_at=due))
    case = cases.report_case(CaseId(0), problem_id, min(checked.found_at, at))
    return uow.cases.add(case, responsibility), None


def _key(desk: IntakeDesk, category: Category) -> str:
    item = desk.rules.item_of(category.code)
    return desk.rules.repeat_rule.key_of(category, item.code if item else None)


def _subject(desk: IntakeDesk, key: str, problem: NearbyProblem) -> RepeatSubject:
    x, y = desk.to_metric(problem.lon, problem.lat)
    return RepeatSubject(key, x, y, problem.found_at, problem.closed_at, problem.voided)
