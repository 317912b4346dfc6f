"""The schema, in SQLAlchemy Core. Alembic migrations are generated from and checked against it.

Enums are stored as lowercase strings (their ``StrEnum`` values) so both databases and any future
value work without a type migration. Geometries are WKB in WGS84 (EPSG:4326) — portable, compact
and read back in bulk by shapely.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from kaoping.db.types import UTCDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def versioned() -> list[Column[object]]:
    """Validity of a version of a boundary, road or assignment: in force on days
    valid_from <= d < valid_to (valid_to NULL: still in force). ``orig_crs`` and ``orig_geometry``
    keep what the source file said, before conversion to WGS84."""
    return [
        Column("valid_from", Date, nullable=False, server_default=text("'1970-01-01'")),
        Column("valid_to", Date),
        Column("orig_crs", String(16)),
        Column("orig_geometry", LargeBinary),
    ]


# Points are stored as exact decimals with two places, as schemes publish them.
POINTS = Numeric(12, 2, asdecimal=True)

eval_group = Table(
    "eval_group",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(32), nullable=False, unique=True),
    Column("name", String(64), nullable=False),
)

admin_unit = Table(
    "admin_unit",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(12), nullable=False, index=True),
    Column("name", String(64), nullable=False),
    Column("level", String(16), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("parent_id", Integer, ForeignKey("admin_unit.id"), index=True),
    Column("group_id", Integer, ForeignKey("eval_group.id"), index=True),
    Column("area_m2", Float),
    Column("geometry", LargeBinary),
    *versioned(),
    CheckConstraint("level IN ('city', 'district', 'town', 'community')", name="level"),
    UniqueConstraint("code", "valid_from", name="uq_admin_unit_code_valid_from"),
)

grid = Table(
    "grid",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(15), nullable=False, index=True),
    Column("community_id", Integer, ForeignKey("admin_unit.id"), nullable=False, index=True),
    Column("area_m2", Float, nullable=False),
    Column("geometry", LargeBinary, nullable=False),
    *versioned(),
    UniqueConstraint("code", "valid_from", name="uq_grid_code_valid_from"),
)

road = Table(
    "road",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(32), nullable=False, index=True),
    Column("name", String(64), nullable=False),
    Column("tier", String(16), nullable=False),
    Column("length_m", Float, nullable=False),
    Column("town_id", Integer, ForeignKey("admin_unit.id"), nullable=False, index=True),
    Column("geometry", LargeBinary, nullable=False),
    *versioned(),
    UniqueConstraint("code", "valid_from", name="uq_road_code_valid_from"),
)

department = Table(
    "department",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(32), nullable=False, unique=True),
    Column("name", String(64), nullable=False),
    Column("field", String(32), nullable=False, index=True),
    Column("district_id", Integer, ForeignKey("admin_unit.id"), index=True),
)

person = Table(
    "person",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(64), nullable=False),
    Column("phone", String(32)),
)

role_assignment = Table(
    "role_assignment",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("person_id", Integer, ForeignKey("person.id"), nullable=False, index=True),
    Column("role", String(32), nullable=False),
    Column("unit_id", Integer, ForeignKey("admin_unit.id"), index=True),
    Column("grid_id", Integer, ForeignKey("grid.id"), index=True),
    Column("road_id", Integer, ForeignKey("road.id"), index=True),
    Column("department_id", Integer, ForeignKey("department.id"), index=True),
    Column("valid_from", Date, nullable=False, server_default=text("'1970-01-01'")),
    Column("valid_to", Date),
)

category = Table(
    "category",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(8), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),
    Column("level", String(8), nullable=False),
    Column("name", String(64), nullable=False),
    Column("parent_id", Integer, ForeignKey("category.id")),
    Column("deadline_value", Integer),
    Column("deadline_unit", String(16)),
    Column("department_type", String(32)),
    Column("severity", Integer, nullable=False, server_default="1"),
)

channel = Table(
    "channel",
    metadata,
    Column("code", String(32), primary_key=True),
    Column("name", String(32), nullable=False),
    Column("is_own_discovery", Boolean, nullable=False),
)

evaluation_item = Table(
    "evaluation_item",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(32), nullable=False, unique=True),
    Column("name", String(64), nullable=False),
)

item_category = Table(
    "item_category",
    metadata,
    Column("item_id", Integer, ForeignKey("evaluation_item.id"), primary_key=True),
    Column("category_id", Integer, ForeignKey("category.id"), primary_key=True),
)

period = Table(
    "period",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(16), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),
    Column("starts_at", UTCDateTime, nullable=False),
    Column("ends_at", UTCDateTime, nullable=False),
)

problem = Table(
    "problem",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("channel", String(32), ForeignKey("channel.code"), nullable=False),
    Column("category_id", Integer, ForeignKey("category.id"), nullable=False),
    Column("found_at", UTCDateTime, nullable=False),
    Column("lon", Float, nullable=False),  # WGS84
    Column("lat", Float, nullable=False),
    Column("orig_x", Float, nullable=False),  # as reported, in orig_crs
    Column("orig_y", Float, nullable=False),
    Column("orig_crs", String(16), nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    # Location computed once at intake (DESIGN.md decision 3); reports group by these ids.
    Column("grid_id", Integer, ForeignKey("grid.id"), nullable=False),
    Column("community_id", Integer, ForeignKey("admin_unit.id"), nullable=False),
    Column("town_id", Integer, ForeignKey("admin_unit.id"), nullable=False),
    Column("district_id", Integer, ForeignKey("admin_unit.id"), nullable=False),
    Column("road_id", Integer, ForeignKey("road.id")),
    Column("road_distance_m", Float),
    Column("department_id", Integer, ForeignKey("department.id")),
    Column("status", String(16), nullable=False),
    Column("deadline_at", UTCDateTime),
    Column("closed_at", UTCDateTime),
    Column("is_repeat", Boolean, nullable=False, server_default="0"),
    Column("repeat_of_id", Integer, ForeignKey("problem.id"), index=True),
    # Links from this problem back to the first of its chain: 0 not a repeat, 1 repeats a first
    # report, 2 a repeat of a repeat … (schemes may deduct more the higher it is).
    Column("repeat_index", Integer, nullable=False, server_default="0"),
    Column("is_overdue", Boolean, nullable=False, server_default="0"),
    Column("is_high_score", Boolean, nullable=False, server_default="0"),
    # Bulk import: a hash of the row's own content (not of the file), so importing a sheet again
    # adds nothing; NULL for problems that did not come from a sheet.
    Column("source_key", String(40), unique=True),
    # Placed from an address (road + landmark), not from coordinates.
    Column("location_approximate", Boolean, nullable=False, server_default="0"),
    Index("ix_problem_found_at_district", "found_at", "district_id"),
    Index("ix_problem_town_found_at", "town_id", "found_at"),
    Index("ix_problem_grid_id", "grid_id"),
)

score = Table(
    "score",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("period_id", Integer, ForeignKey("period.id"), nullable=False),
    Column("unit_id", Integer, ForeignKey("admin_unit.id"), nullable=False),
    Column("group_id", Integer, ForeignKey("eval_group.id"), nullable=False),
    Column("item_id", Integer, ForeignKey("evaluation_item.id")),  # NULL: the unit's total
    Column("max_points", POINTS, nullable=False),
    Column("deduction", POINTS, nullable=False),
    Column("raw_deduction", POINTS, nullable=False),
    Column("points", POINTS, nullable=False),
    Column("problems", Integer, nullable=False),
    Column("deducted_problems", Integer, nullable=False),
    Column("repeats", Integer, nullable=False),
    Column("rank", Integer),
    Column("rank_change", Integer),
    UniqueConstraint("period_id", "unit_id", "item_id", name="uq_score_period_unit_item"),
    Index("ix_score_period_group", "period_id", "group_id"),
)

# The working calendar (工作日历): days that differ from, or are named beyond, Monday–Friday work.
# A year counts as known once it has a row; deadlines refuse dates in unknown years.
calendar_day = Table(
    "calendar_day",
    metadata,
    Column("day", Date, primary_key=True),
    Column("kind", String(16), nullable=False),  # workday | holiday (DayKind)
    Column("note", String(64), nullable=False, server_default=""),  # 国庆节, 春节调休上班 …
    Column("source", String(32), nullable=False),  # "manual", or the library and its version
    CheckConstraint("kind IN ('workday', 'holiday')", name="kind"),
)

# The case loop (案件办理, domain/cases.py). A case_file row is the case as it stands now (``case`` is
# an SQL keyword); each step is its own case_transition row, never updated. The lead (from routing)
# and the district are kept on the row so a unit's open cases are one indexed query.
case_file = Table(
    "case_file",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("problem_id", Integer, ForeignKey("problem.id"), nullable=False, unique=True),
    Column("status", String(24), nullable=False),
    Column("reported_at", UTCDateTime, nullable=False),
    Column("changed_at", UTCDateTime, nullable=False),
    Column("filed_at", UTCDateTime),
    Column("dispatched_at", UTCDateTime),
    Column("deadline_at", UTCDateTime),
    Column("requested_deadline", UTCDateTime),
    Column("fed_back_at", UTCDateTime),
    Column("closed_at", UTCDateTime),
    Column("close_type", String(16)),
    Column("dispatch_count", Integer, nullable=False, server_default="0"),
    Column("rework_count", Integer, nullable=False, server_default="0"),
    Column("extension_count", Integer, nullable=False, server_default="0"),
    Column("supervision_count", Integer, nullable=False, server_default="0"),
    Column("is_self_handled", Boolean, nullable=False, server_default="0"),
    Column("holds", JSON, nullable=False),  # [[start, end|null], …] as UTC ISO text (挂账 spans)
    Column("version", Integer, nullable=False),  # compare-and-set: a save names the version it loaded
    Column("lead", String(16), nullable=False),  # department | territory (routing.Lead)
    Column("town_id", Integer, ForeignKey("admin_unit.id"), nullable=False),
    Column("district_id", Integer, ForeignKey("admin_unit.id"), nullable=False),
    Column("department_id", Integer, ForeignKey("department.id")),
    Column("department_share", Numeric(5, 4), nullable=False),
    CheckConstraint("lead IN ('department', 'territory')", name="lead"),
    Index("ix_case_file_town_status", "town_id", "status"),
    Index("ix_case_file_district_status", "district_id", "status"),
    Index("ix_case_file_department_status", "department_id", "status"),
)

case_transition = Table(
    "case_transition",
    metadata,
    Column("id", Integer, primary_key=True),  # increasing: the order of the steps
    Column("case_id", Integer, ForeignKey("case_file.id"), nullable=False, index=True),
    Column("action", String(24), nullable=False),
    Column("from_status", String(24), nullable=False),
    Column("to_status", String(24), nullable=False),
    Column("actor_id", Integer, ForeignKey("person.id"), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("reason", Text, nullable=False, server_default=""),
    Column("attachments", JSON, nullable=False),  # list of file names or URLs
    Column("deadline", UTCDateTime),  # the deadline this step set or asked for
)

# The life of a third-party finding (第三方测评问题, domain/findings.py), stored the same way.
finding = Table(
    "finding",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("problem_id", Integer, ForeignKey("problem.id"), nullable=False, unique=True),
    Column("status", String(24), nullable=False),
    Column("found_at", UTCDateTime, nullable=False),
    Column("changed_at", UTCDateTime, nullable=False),
    Column("rectify_deadline_at", UTCDateTime),
    Column("fed_back_at", UTCDateTime),
    Column("reviewed_at", UTCDateTime),
    Column("marked_overdue_at", UTCDateTime),
    Column("review_failures", Integer, nullable=False, server_default="0"),
    Column("appealed_from", String(24)),
    Index("ix_finding_status_rectify_deadline_at", "status", "rectify_deadline_at"),
)

finding_transition = Table(
    "finding_transition",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("finding_id", Integer, ForeignKey("finding.id"), nullable=False, index=True),
    Column("action", String(24), nullable=False),
    Column("from_status", String(24), nullable=False),
    Column("to_status", String(24), nullable=False),
    Column("actor_id", Integer, ForeignKey("person.id")),  # NULL: the system (逾期未反馈 by the clock)
    Column("at", UTCDateTime, nullable=False),
    Column("reason", Text, nullable=False, server_default=""),
    Column("attachments", JSON, nullable=False),
    Column("deadline", UTCDateTime),
)

# Photos attached to a problem at intake. Files live in the photo folder (``photo_dir``); paths are
# relative to it, so the folder can move. EXIF time and GPS are kept as the camera wrote them.
problem_photo = Table(
    "problem_photo",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("problem_id", Integer, ForeignKey("problem.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("path", String(255), nullable=False),
    Column("thumbnail_path", String(255), nullable=False),
    Column("content_type", String(32), nullable=False),
    Column("size_bytes", Integer, nullable=False),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("taken_at", UTCDateTime),
    Column("lon", Float),  # EXIF GPS, WGS84
    Column("lat", Float),
)

# The repeat check at intake reads earlier problems of a few categories within a time window and a
# lon/lat box: with the coordinates in the index it filters without reading the table.
Index(
    "ix_problem_category_found_at_lon_lat",
    problem.c.category_id,
    problem.c.found_at,
    problem.c.lon,
    problem.c.lat,
)


# --- Evaluation periods, revisions and results (domain/revisions.py, db/evaluations.py) -------------
# A period of one scheme at one level moves through its lifecycle (each step its own row); every
# computation that changed something is a numbered revision holding all its results and score lines,
# never updated except for the stage it reached. Results keep the engine's exact decimals (sums of
# 0.025-point problems times shares), so they are stored with 8 places, not the 2 of ``POINTS``.
EXACT_POINTS = Numeric(20, 8, asdecimal=True)
_PERIOD_STATUSES = "status IN ('open', 'preliminary', 'appeal', 'final', 'published')"

evaluation_period = Table(
    "evaluation_period",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("scheme_code", String(64), nullable=False),
    Column("period_code", String(16), nullable=False, index=True),
    Column("level", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("appeal_until", Date),
    Column("revisions", Integer, nullable=False),  # the latest revision's number
    Column("created_at", UTCDateTime, nullable=False),
    Column("changed_at", UTCDateTime, nullable=False),
    CheckConstraint(_PERIOD_STATUSES, name="status"),
    UniqueConstraint("scheme_code", "period_code", "level", name="uq_evaluation_period_scheme_period_level"),
)

evaluation_period_step = Table(
    "evaluation_period_step",
    metadata,
    Column("id", Integer, primary_key=True),  # increasing: the order of the steps
    Column("period_id", Integer, ForeignKey("evaluation_period.id"), nullable=False, index=True),
    Column("action", String(16), nullable=False),
    Column("from_status", String(16), nullable=False),
    Column("to_status", String(16), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("actor", String(64), nullable=False, server_default=""),
    Column("at", UTCDateTime, nullable=False),
    Column("reason", Text, nullable=False, server_default=""),
)

evaluation_revision = Table(
    "evaluation_revision",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("period_id", Integer, ForeignKey("evaluation_period.id"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("scheme_version", String(32), nullable=False),
    Column("scheme_hash", String(64), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("department_share", Numeric(5, 4), nullable=False),
    Column("facts_at", UTCDateTime, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("published_at", UTCDateTime),
    Column("reason", Text, nullable=False, server_default=""),
    Column("counters", JSON, nullable=False),  # the city's problem counters
    Column("categories", JSON, nullable=False),  # the city's category shares
    CheckConstraint(_PERIOD_STATUSES, name="status"),
    UniqueConstraint("period_id", "number", name="uq_evaluation_revision_period_number"),
)

# One row per group member: totals, ranks, tier and reward as columns (the dashboard sorts and
# filters on them), the rest of the unit's result as JSON.
evaluation_unit_result = Table(
    "evaluation_unit_result",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("revision_id", Integer, ForeignKey("evaluation_revision.id", ondelete="CASCADE"), nullable=False),
    Column("group_code", String(64), nullable=False),
    Column("group_name", String(64), nullable=False),
    Column("unit_code", String(32), nullable=False),
    Column("position", Integer, nullable=False),  # order in the group (by rank, then code)
    Column("is_rank_only", Boolean, nullable=False),
    Column("subtotal", EXACT_POINTS, nullable=False),
    Column("total", EXACT_POINTS, nullable=False),
    Column("rank", Integer, nullable=False),
    Column("previous_rank", Integer),
    Column("is_first_tier", Boolean, nullable=False),
    Column("items_top", Integer, nullable=False),
    Column("items_bottom", Integer, nullable=False),
    Column("reward", EXACT_POINTS, nullable=False),
    Column("details", JSON, nullable=False),  # components, adjustments, counters, indicators, categories
    UniqueConstraint("revision_id", "group_code", "unit_code", name="uq_evaluation_unit_result_revision_id"),
)

evaluation_item_result = Table(
    "evaluation_item_result",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("revision_id", Integer, ForeignKey("evaluation_revision.id", ondelete="CASCADE"), nullable=False),
    Column("group_code", String(64), nullable=False),
    Column("unit_code", String(32), nullable=False),
    Column("item_code", String(64), nullable=False),
    Column("position", Integer, nullable=False),
    Column("name", String(128), nullable=False),
    Column("component", String(64), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("max_points", EXACT_POINTS, nullable=False),
    Column("points", EXACT_POINTS, nullable=False),
    Column("deduction", EXACT_POINTS, nullable=False),
    Column("raw_deduction", EXACT_POINTS, nullable=False),
    Column("problems", Integer, nullable=False),
    Column("deducted_problems", Integer, nullable=False),
    Column("repeats", Integer, nullable=False),
    Column("value", String(64)),  # a rate item's indicator as an exact fraction "911/972"
    Column("problem_share", String(64)),
    Column("rank", Integer, nullable=False),
    Column("item_class", String(16), nullable=False),
    Index("ix_evaluation_item_result_revision_unit", "revision_id", "unit_code"),
)

# One row per rule applied to one kind of fact (domain.results.ScoreLine); a problem line keeps its
# fact key, which is how `kaoping explain` finds the problems behind it.
evaluation_score_line = Table(
    "evaluation_score_line",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("revision_id", Integer, ForeignKey("evaluation_revision.id", ondelete="CASCADE"), nullable=False),
    Column("group_code", String(64), nullable=False),
    Column("unit_code", String(32), nullable=False),
    Column("ref", String(64), nullable=False),  # item or adjustment code
    Column("position", Integer, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("rule", String(64), nullable=False),
    Column("total", EXACT_POINTS, nullable=False),
    Column("text", Text, nullable=False),
    Column("sub_period", Integer, nullable=False),
    Column("category_code", String(8), nullable=False),
    Column("channel", String(32)),
    Column("repeat_index", Integer, nullable=False),
    Column("is_overdue", Boolean, nullable=False),
    Column("is_no_feedback", Boolean, nullable=False),
    Column("share", Numeric(9, 8), nullable=False),
    Column("count", Integer, nullable=False),
    Column("points_each", EXACT_POINTS, nullable=False),
    Index("ix_evaluation_score_line_revision_unit", "revision_id", "unit_code"),
)

# Entered per scheme × period × unit × item (部门考评, 专家评审…); entering again replaces.
manual_score = Table(
    "manual_score",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("scheme_code", String(64), nullable=False),
    Column("period_code", String(16), nullable=False),
    Column("unit_code", String(32), nullable=False),
    Column("item_code", String(64), nullable=False),
    Column("points", EXACT_POINTS, nullable=False),
    Column("entered_by", String(64), nullable=False, server_default=""),
    Column("entered_at", UTCDateTime, nullable=False),
    Column("note", Text, nullable=False, server_default=""),
    UniqueConstraint(
        "scheme_code", "period_code", "unit_code", "item_code", name="uq_manual_score_scheme_code"
    ),
)

# Events a bonus or penalty counts (an adopted publicity report by outlet tier, an exposure…).
adjustment_event = Table(
    "adjustment_event",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("scheme_code", String(64), nullable=False),
    Column("period_code", String(16), nullable=False),
    Column("unit_code", String(32), nullable=False),
    Column("adjustment_code", String(64), nullable=False),
    Column("tier", String(32), nullable=False, server_default=""),
    Column("count", Integer, nullable=False),
    Column("points", EXACT_POINTS),  # entered points each; NULL: the scheme's points for the tier
    Column("entered_by", String(64), nullable=False, server_default=""),
    Column("entered_at", UTCDateTime, nullable=False),
    Column("note", Text, nullable=False, server_default=""),
    Index("ix_adjustment_event_scheme_period", "scheme_code", "period_code"),
)
