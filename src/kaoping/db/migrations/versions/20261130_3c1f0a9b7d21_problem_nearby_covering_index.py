"""problem: the repeat check's index covers the coordinates

Revision ID: 3c1f0a9b7d21
Revises: 8ff8f3aff3a8
Create Date: 2026-11-30 05:50:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "3c1f0a9b7d21"
down_revision: str | None = "8ff8f3aff3a8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("problem", schema=None) as batch_op:
        batch_op.drop_index("ix_problem_category_id_found_at")
        batch_op.create_index(
            "ix_problem_category_found_at_lon_lat", ["category_id", "found_at", "lon", "lat"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("problem", schema=None) as batch_op:
        batch_op.drop_index("ix_problem_category_found_at_lon_lat")
        batch_op.create_index("ix_problem_category_id_found_at", ["category_id", "found_at"], unique=False)
