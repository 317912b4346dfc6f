"""working calendar

Revision ID: e65b2c192428
Revises: 26d8099cf185
Create Date: 2026-11-30 03:07:41.696039
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "e65b2c192428"
down_revision: str | None = "26d8099cf185"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "calendar_day",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("note", sa.String(length=64), server_default="", nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.CheckConstraint("kind IN ('workday', 'holiday')", name=op.f("ck_calendar_day_kind")),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_calendar_day")),
    )


def downgrade() -> None:
    op.drop_table("calendar_day")
