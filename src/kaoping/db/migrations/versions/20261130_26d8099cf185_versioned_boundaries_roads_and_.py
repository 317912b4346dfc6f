"""versioned boundaries roads and assignments

Revision ID: 26d8099cf185
Revises: ed7a3d70eb8d
Create Date: 2026-11-30 02:32:06.838941
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "26d8099cf185"
down_revision: str | None = "ed7a3d70eb8d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Rows from before versioning were in force "since always".
    for table in ("admin_unit", "grid", "road", "role_assignment"):
        op.execute(f"UPDATE {table} SET valid_from = '1970-01-01' WHERE valid_from IS NULL")
    with op.batch_alter_table("admin_unit", schema=None) as batch_op:
        batch_op.add_column(sa.Column("orig_crs", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("orig_geometry", sa.LargeBinary(), nullable=True))
        batch_op.alter_column(
            "valid_from", existing_type=sa.DATE(), nullable=False, server_default=sa.text("'1970-01-01'")
        )
        batch_op.drop_constraint(batch_op.f("uq_admin_unit_code"), type_="unique")
        batch_op.create_index(batch_op.f("ix_admin_unit_code"), ["code"], unique=False)
        batch_op.create_unique_constraint("uq_admin_unit_code_valid_from", ["code", "valid_from"])

    with op.batch_alter_table("grid", schema=None) as batch_op:
        batch_op.add_column(sa.Column("orig_crs", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("orig_geometry", sa.LargeBinary(), nullable=True))
        batch_op.alter_column(
            "valid_from", existing_type=sa.DATE(), nullable=False, server_default=sa.text("'1970-01-01'")
        )
        batch_op.drop_constraint(batch_op.f("uq_grid_code"), type_="unique")
        batch_op.create_index(batch_op.f("ix_grid_code"), ["code"], unique=False)
        batch_op.create_unique_constraint("uq_grid_code_valid_from", ["code", "valid_from"])

    with op.batch_alter_table("road", schema=None) as batch_op:
        batch_op.add_column(sa.Column("orig_crs", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("orig_geometry", sa.LargeBinary(), nullable=True))
        batch_op.alter_column(
            "valid_from", existing_type=sa.DATE(), nullable=False, server_default=sa.text("'1970-01-01'")
        )
        batch_op.drop_constraint(batch_op.f("uq_road_code"), type_="unique")
        batch_op.create_index(batch_op.f("ix_road_code"), ["code"], unique=False)
        batch_op.create_unique_constraint("uq_road_code_valid_from", ["code", "valid_from"])

    with op.batch_alter_table("role_assignment", schema=None) as batch_op:
        batch_op.alter_column(
            "valid_from", existing_type=sa.DATE(), nullable=False, server_default=sa.text("'1970-01-01'")
        )


def downgrade() -> None:
    with op.batch_alter_table("role_assignment", schema=None) as batch_op:
        batch_op.alter_column("valid_from", existing_type=sa.DATE(), nullable=True, server_default=None)

    with op.batch_alter_table("road", schema=None) as batch_op:
        batch_op.drop_constraint("uq_road_code_valid_from", type_="unique")
        batch_op.drop_index(batch_op.f("ix_road_code"))
        batch_op.create_unique_constraint(batch_op.f("uq_road_code"), ["code"])
        batch_op.alter_column("valid_from", existing_type=sa.DATE(), nullable=True, server_default=None)
        batch_op.drop_column("orig_geometry")
        batch_op.drop_column("orig_crs")

    with op.batch_alter_table("grid", schema=None) as batch_op:
        batch_op.drop_constraint("uq_grid_code_valid_from", type_="unique")
        batch_op.drop_index(batch_op.f("ix_grid_code"))
        batch_op.create_unique_constraint(batch_op.f("uq_grid_code"), ["code"])
        batch_op.alter_column("valid_from", existing_type=sa.DATE(), nullable=True, server_default=None)
        batch_op.drop_column("orig_geometry")
        batch_op.drop_column("orig_crs")

    with op.batch_alter_table("admin_unit", schema=None) as batch_op:
        batch_op.drop_constraint("uq_admin_unit_code_valid_from", type_="unique")
        batch_op.drop_index(batch_op.f("ix_admin_unit_code"))
        batch_op.create_unique_constraint(batch_op.f("uq_admin_unit_code"), ["code"])
        batch_op.alter_column("valid_from", existing_type=sa.DATE(), nullable=True, server_default=None)
        batch_op.drop_column("orig_geometry")
        batch_op.drop_column("orig_crs")
