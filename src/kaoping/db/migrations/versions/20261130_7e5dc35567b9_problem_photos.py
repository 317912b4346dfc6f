"""problem photos, and an index for the repeat check at intake

Revision ID: 7e5dc35567b9
Revises: bfeb10139778
Create Date: 2026-11-30 03:22:49.302606
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import kaoping.db.types


revision: str = "7e5dc35567b9"
down_revision: str | None = "bfeb10139778"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "problem_photo",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("problem_id", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(length=255), nullable=False),
        sa.Column("thumbnail_path", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=32), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("taken_at", kaoping.db.types.UTCDateTime(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["problem_id"],
            ["problem.id"],
            name=op.f("fk_problem_photo_problem_id_problem"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_problem_photo")),
    )
    with op.batch_alter_table("problem_photo", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_problem_photo_problem_id"), ["problem_id"], unique=False)
    with op.batch_alter_table("problem", schema=None) as batch_op:
        batch_op.create_index("ix_problem_category_id_found_at", ["category_id", "found_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("problem", schema=None) as batch_op:
        batch_op.drop_index("ix_problem_category_id_found_at")
    with op.batch_alter_table("problem_photo", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_problem_photo_problem_id"))
    op.drop_table("problem_photo")
