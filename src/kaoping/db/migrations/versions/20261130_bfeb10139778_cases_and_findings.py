"""cases and findings

Revision ID: bfeb10139778
Revises: 6fa042d18849
Create Date: 2026-11-30 03:22:42.071711
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import kaoping.db.types


revision: str = "bfeb10139778"
down_revision: str | None = "6fa042d18849"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("problem_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("reported_at", kaoping.db.types.UTCDateTime(), nullable=False),
        sa.Column("changed_at", kaoping.db.types.UTCDateTime(), nullable=False),
        sa.Column("filed_at", kaoping.db.types.UTCDateTime(), nullable=True),
        sa.Column("dispatched_at", kaoping.db.types.UTCDateTime(), nullable=True),
        sa.Column("deadline_at", kaoping.db.types.UTCDateTime(), nullable=True),
        sa.Column("requested_deadline", kaoping.db.types.UTCDateTime(), nullable=True),
        sa.Column("fed_back_at", kaoping.db.types.UTCDateTime(), nullable=True),
        sa.Column("closed_at", kaoping.db.types.UTCDateTime(), nullable=True),
        sa.Column("close_type", sa.String(length=16), nullable=True),
        sa.Column("dispatch_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("rework_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("extension_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("supervision_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("is_self_handled", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("holds", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("lead", sa.String(length=16), nullable=False),
        sa.Column("town_id", sa.Integer(), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("department_share", sa.Numeric(precision=5, scale=4), nullable=False),
        sa.CheckConstraint("lead IN ('department', 'territory')", name=op.f("ck_case_file_lead")),
        sa.ForeignKeyConstraint(
            ["department_id"], ["department.id"], name=op.f("fk_case_file_department_id_department")
        ),
        sa.ForeignKeyConstraint(
            ["district_id"], ["admin_unit.id"], name=op.f("fk_case_file_district_id_admin_unit")
        ),
        sa.ForeignKeyConstraint(["problem_id"], ["problem.id"], name=op.f("fk_case_file_problem_id_problem")),
        sa.ForeignKeyConstraint(["town_id"], ["admin_unit.id"], name=op.f("fk_case_file_town_id_admin_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_file")),
        sa.UniqueConstraint("problem_id", name=op.f("uq_case_file_problem_id")),
    )
    with op.batch_alter_table("case_file", schema=None) as batch_op:
        batch_op.create_index("ix_case_file_department_status", ["department_id", "status"], unique=False)
        batch_op.create_index("ix_case_file_district_status", ["district_id", "status"], unique=False)
        batch_op.create_index("ix_case_file_town_status", ["town_id", "status"], unique=False)

    op.create_table(
        "finding",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("problem_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("found_at", kaoping.db.types.UTCDateTime(), nullable=False),
        sa.Column("changed_at", kaoping.db.types.UTCDateTime(), nullable=False),
        sa.Column("rectify_deadline_at", kaoping.db.types.UTCDateTime(), nullable=True),
        sa.Column("fed_back_at", kaoping.db.types.UTCDateTime(), nullable=True),
        sa.Column("reviewed_at", kaoping.db.types.UTCDateTime(), nullable=True),
        sa.Column("marked_overdue_at", kaoping.db.types.UTCDateTime(), nullable=True),
        sa.Column("review_failures", sa.Integer(), server_default="0", nullable=False),
        sa.Column("appealed_from", sa.String(length=24), nullable=True),
        sa.ForeignKeyConstraint(["problem_id"], ["problem.id"], name=op.f("fk_finding_problem_id_problem")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finding")),
        sa.UniqueConstraint("problem_id", name=op.f("uq_finding_problem_id")),
    )
    with op.batch_alter_table("finding", schema=None) as batch_op:
        batch_op.create_index(
            "ix_finding_status_rectify_deadline_at", ["status", "rectify_deadline_at"], unique=False
        )

    op.create_table(
        "case_transition",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=24), nullable=False),
        sa.Column("from_status", sa.String(length=24), nullable=False),
        sa.Column("to_status", sa.String(length=24), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("at", kaoping.db.types.UTCDateTime(), nullable=False),
        sa.Column("reason", sa.Text(), server_default="", nullable=False),
        sa.Column("attachments", sa.JSON(), nullable=False),
        sa.Column("deadline", kaoping.db.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["actor_id"], ["person.id"], name=op.f("fk_case_transition_actor_id_person")),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case_file.id"], name=op.f("fk_case_transition_case_id_case_file")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_transition")),
    )
    with op.batch_alter_table("case_transition", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_transition_case_id"), ["case_id"], unique=False)

    op.create_table(
        "finding_transition",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("finding_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=24), nullable=False),
        sa.Column("from_status", sa.String(length=24), nullable=False),
        sa.Column("to_status", sa.String(length=24), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("at", kaoping.db.types.UTCDateTime(), nullable=False),
        sa.Column("reason", sa.Text(), server_default="", nullable=False),
        sa.Column("attachments", sa.JSON(), nullable=False),
        sa.Column("deadline", kaoping.db.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["person.id"], name=op.f("fk_finding_transition_actor_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["finding_id"], ["finding.id"], name=op.f("fk_finding_transition_finding_id_finding")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finding_transition")),
    )
    with op.batch_alter_table("finding_transition", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_finding_transition_finding_id"), ["finding_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("finding_transition", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_finding_transition_finding_id"))

    op.drop_table("finding_transition")
    with op.batch_alter_table("case_transition", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_transition_case_id"))

    op.drop_table("case_transition")
    with op.batch_alter_table("finding", schema=None) as batch_op:
        batch_op.drop_index("ix_finding_status_rectify_deadline_at")

    op.drop_table("finding")
    with op.batch_alter_table("case_file", schema=None) as batch_op:
        batch_op.drop_index("ix_case_file_town_status")
        batch_op.drop_index("ix_case_file_district_status")
        batch_op.drop_index("ix_case_file_department_status")

    op.drop_table("case_file")
