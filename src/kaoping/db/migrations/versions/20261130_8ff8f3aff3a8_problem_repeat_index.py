"""problem repeat index, filled in for the repeats already stored

Revision ID: 8ff8f3aff3a8
Revises: 7e5dc35567b9
Create Date: 2026-11-30 04:19:39.984116
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8ff8f3aff3a8"
down_revision: str | None = "7e5dc35567b9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# One more than the index of the problem a repeat links to.
_PARENT_PLUS_ONE = (
    "(SELECT parent.repeat_index + 1 FROM problem AS parent WHERE parent.id = problem.repeat_of_id)"
)
_DEEPEST_CHAIN = 10_000  # a loop of links is a data error: stop rather than count for ever


def upgrade() -> None:
    with op.batch_alter_table("problem", schema=None) as batch_op:
        batch_op.add_column(sa.Column("repeat_index", sa.Integer(), server_default="0", nullable=False))
    # Each pass settles one more link of every chain; chains are short, so passes are few.
    fill = sa.text(
        f"UPDATE problem SET repeat_index = {_PARENT_PLUS_ONE} "
        f"WHERE repeat_of_id IS NOT NULL AND repeat_index <> {_PARENT_PLUS_ONE}"
    )
    bind = op.get_bind()
    for _ in range(_DEEPEST_CHAIN):
        if bind.execute(fill).rowcount == 0:
            break


def downgrade() -> None:
    with op.batch_alter_table("problem", schema=None) as batch_op:
        batch_op.drop_column("repeat_index")
