"""throttle: fixed-window rate-limit counters shared by all web workers

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27 08:00:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel.sql.sqltypes.AutoString)
from alembic import op

import powerlists.columns  # noqa: F401  (autogenerate writes powerlists.columns.UTCDateTime)


revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('throttle',
    sa.Column('bucket', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('window_start', powerlists.columns.UTCDateTime(timezone=True), nullable=False),
    sa.Column('hits', sa.Integer(), nullable=False),
    # The window first, so that the daily prune of old windows walks the key's index.
    sa.PrimaryKeyConstraint('window_start', 'bucket')
    )


def downgrade() -> None:
    op.drop_table('throttle')
