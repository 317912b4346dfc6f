"""evaluation periods, steps, revisions and results; manual scores and adjustment events

Revision ID: d749c2a3d295
Revises: 3c1f0a9b7d21
Create Date: 2026-11-30 05:22:15.356877
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import kaoping.db.types


revision: str = "d749c2a3d295"
down_revision: str | None = "3c1f0a9b7d21"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "adjustment_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scheme_code", sa.String(length=64), nullable=False),
        sa.Column("period_code", sa.String(length=16), nullable=False),
        sa.Column("unit_code", sa.String(length=32), nullable=False),
        sa.Column("adjustment_code", sa.String(length=64), nullable=False),
        sa.Column("tier", sa.String(length=32), server_default="", nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("points", sa.Numeric(precision=20, scale=8), nullable=True),
        sa.Column("entered_by", sa.String(length=64), server_default="", nullable=False),
        sa.Column("entered_at", kaoping.db.types.UTCDateTime(), nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_adjustment_event")),
    )
    with op.batch_alter_table("adjustment_event", schema=None) as batch_op:
        batch_op.create_index(
            "ix_adjustment_event_scheme_period", ["scheme_code", "period_code"], unique=False
        )

    op.create_table(
        "evaluation_period",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scheme_code", sa.String(length=64), nullable=False),
        sa.Column("period_code", sa.String(length=16), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("appeal_until", sa.Date(), nullable=True),
        sa.Column("revisions", sa.Integer(), nullable=False),
        sa.Column("created_at", kaoping.db.types.UTCDateTime(), nullable=False),
        sa.Column("changed_at", kaoping.db.types.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "status IN ('open', 'preliminary', 'appeal', 'final', 'published')",
            name=op.f("ck_evaluation_period_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_period")),
        sa.UniqueConstraint(
            "scheme_code", "period_code", "level", name="uq_evaluation_period_scheme_period_level"
        ),
    )
    with op.batch_alter_table("evaluation_period", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evaluation_period_period_code"), ["period_code"], unique=False)

    op.create_table(
        "manual_score",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scheme_code", sa.String(length=64), nullable=False),
        sa.Column("period_code", sa.String(length=16), nullable=False),
        sa.Column("unit_code", sa.String(length=32), nullable=False),
        sa.Column("item_code", sa.String(length=64), nullable=False),
        sa.Column("points", sa.Numeric(precision=20, scale=8), nullable=False),
        sa.Column("entered_by", sa.String(length=64), server_default="", nullable=False),
        sa.Column("entered_at", kaoping.db.types.UTCDateTime(), nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_manual_score")),
        sa.UniqueConstraint(
            "scheme_code", "period_code", "unit_code", "item_code", name="uq_manual_score_scheme_code"
        ),
    )
    op.create_table(
        "evaluation_period_step",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=False),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(length=64), server_default="", nullable=False),
        sa.Column("at", kaoping.db.types.UTCDateTime(), nullable=False),
        sa.Column("reason", sa.Text(), server_default="", nullable=False),
        sa.ForeignKeyConstraint(
            ["period_id"],
            ["evaluation_period.id"],
            name=op.f("fk_evaluation_period_step_period_id_evaluation_period"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_period_step")),
    )
    with op.batch_alter_table("evaluation_period_step", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evaluation_period_step_period_id"), ["period_id"], unique=False)

    op.create_table(
        "evaluation_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("scheme_version", sa.String(length=32), nullable=False),
        sa.Column("scheme_hash", sa.String(length=64), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("department_share", sa.Numeric(precision=5, scale=4), nullable=False),
        sa.Column("facts_at", kaoping.db.types.UTCDateTime(), nullable=False),
        sa.Column("created_at", kaoping.db.types.UTCDateTime(), nullable=False),
        sa.Column("published_at", kaoping.db.types.UTCDateTime(), nullable=True),
        sa.Column("reason", sa.Text(), server_default="", nullable=False),
        sa.Column("counters", sa.JSON(), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.CheckConstraint(
            "status IN ('open', 'preliminary', 'appeal', 'final', 'published')",
            name=op.f("ck_evaluation_revision_status"),
        ),
        sa.ForeignKeyConstraint(
            ["period_id"],
            ["evaluation_period.id"],
            name=op.f("fk_evaluation_revision_period_id_evaluation_period"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_revision")),
        sa.UniqueConstraint("period_id", "number", name="uq_evaluation_revision_period_number"),
    )
    op.create_table(
        "evaluation_item_result",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("revision_id", sa.Integer(), nullable=False),
        sa.Column("group_code", sa.String(length=64), nullable=False),
        sa.Column("unit_code", sa.String(length=32), nullable=False),
        sa.Column("item_code", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("component", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("max_points", sa.Numeric(precision=20, scale=8), nullable=False),
        sa.Column("points", sa.Numeric(precision=20, scale=8), nullable=False),
        sa.Column("deduction", sa.Numeric(precision=20, scale=8), nullable=False),
        sa.Column("raw_deduction", sa.Numeric(precision=20, scale=8), nullable=False),
        sa.Column("problems", sa.Integer(), nullable=False),
        sa.Column("deducted_problems", sa.Integer(), nullable=False),
        sa.Column("repeats", sa.Integer(), nullable=False),
        sa.Column("value", sa.String(length=64), nullable=True),
        sa.Column("problem_share", sa.String(length=64), nullable=True),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("item_class", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["revision_id"],
            ["evaluation_revision.id"],
            name=op.f("fk_evaluation_item_result_revision_id_evaluation_revision"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_item_result")),
    )
    with op.batch_alter_table("evaluation_item_result", schema=None) as batch_op:
        batch_op.create_index(
            "ix_evaluation_item_result_revision_unit", ["revision_id", "unit_code"], unique=False
        )

    op.create_table(
        "evaluation_score_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("revision_id", sa.Integer(), nullable=False),
        sa.Column("group_code", sa.String(length=64), nullable=False),
        sa.Column("unit_code", sa.String(length=32), nullable=False),
        sa.Column("ref", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("rule", sa.String(length=64), nullable=False),
        sa.Column("total", sa.Numeric(precision=20, scale=8), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("sub_period", sa.Integer(), nullable=False),
        sa.Column("category_code", sa.String(length=8), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=True),
        sa.Column("repeat_index", sa.Integer(), nullable=False),
        sa.Column("is_overdue", sa.Boolean(), nullable=False),
        sa.Column("is_no_feedback", sa.Boolean(), nullable=False),
        sa.Column("share", sa.Numeric(precision=9, scale=8), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("points_each", sa.Numeric(precision=20, scale=8), nullable=False),
        sa.ForeignKeyConstraint(
            ["revision_id"],
            ["evaluation_revision.id"],
            name=op.f("fk_evaluation_score_line_revision_id_evaluation_revision"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_score_line")),
    )
    with op.batch_alter_table("evaluation_score_line", schema=None) as batch_op:
        batch_op.create_index(
            "ix_evaluation_score_line_revision_unit", ["revision_id", "unit_code"], unique=False
        )

    op.create_table(
        "evaluation_unit_result",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("revision_id", sa.Integer(), nullable=False),
        sa.Column("group_code", sa.String(length=64), nullable=False),
        sa.Column("group_name", sa.String(length=64), nullable=False),
        sa.Column("unit_code", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("is_rank_only", sa.Boolean(), nullable=False),
        sa.Column("subtotal", sa.Numeric(precision=20, scale=8), nullable=False),
        sa.Column("total", sa.Numeric(precision=20, scale=8), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("previous_rank", sa.Integer(), nullable=True),
        sa.Column("is_first_tier", sa.Boolean(), nullable=False),
        sa.Column("items_top", sa.Integer(), nullable=False),
        sa.Column("items_bottom", sa.Integer(), nullable=False),
        sa.Column("reward", sa.Numeric(precision=20, scale=8), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["revision_id"],
            ["evaluation_revision.id"],
            name=op.f("fk_evaluation_unit_result_revision_id_evaluation_revision"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_unit_result")),
        sa.UniqueConstraint(
            "revision_id", "group_code", "unit_code", name="uq_evaluation_unit_result_revision_id"
        ),
    )


def downgrade() -> None:
    op.drop_table("evaluation_unit_result")
    with op.batch_alter_table("evaluation_score_line", schema=None) as batch_op:
        batch_op.drop_index("ix_evaluation_score_line_revision_unit")

    op.drop_table("evaluation_score_line")
    with op.batch_alter_table("evaluation_item_result", schema=None) as batch_op:
        batch_op.drop_index("ix_evaluation_item_result_revision_unit")

    op.drop_table("evaluation_item_result")
    op.drop_table("evaluation_revision")
    with op.batch_alter_table("evaluation_period_step", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evaluation_period_step_period_id"))

    op.drop_table("evaluation_period_step")
    op.drop_table("manual_score")
    with op.batch_alter_table("evaluation_period", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evaluation_period_period_code"))

    op.drop_table("evaluation_period")
    with op.batch_alter_table("adjustment_event", schema=None) as batch_op:
        batch_op.drop_index("ix_adjustment_event_scheme_period")

    op.drop_table("adjustment_event")
