"""problem source key and approximate location

Revision ID: 6fa042d18849
Revises: e65b2c192428
Create Date: 2026-11-30 03:21:15.162605
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "6fa042d18849"
down_revision: str | None = "e65b2c192428"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("problem", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source_key", sa.String(length=40), nullable=True))
        batch_op.add_column(
            sa.Column("location_approximate", sa.Boolean(), server_default="0", nullable=False)
        )
        batch_op.create_unique_constraint(batch_op.f("uq_problem_source_key"), ["source_key"])


def downgrade() -> None:
    with op.batch_alter_table("problem", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_problem_source_key"), type_="unique")
        batch_op.drop_column("location_approximate")
        batch_op.drop_column("source_key")
