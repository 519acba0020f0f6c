"""flags: no second foreign key, no detected_at index

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 04:09:29.192564
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel.sql.sqltypes.AutoString)
from alembic import op

import powerlists.columns  # noqa: F401  (autogenerate writes powerlists.columns.UTCDateTime)


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# SQLite keeps foreign keys unnamed: batch mode finds this one by the name this convention gives it.
NAMING = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}


def upgrade() -> None:
    with op.batch_alter_table('flag', schema=None) as batch_op:
        batch_op.drop_index('ix_flag_detected_at')
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_constraint('flag_department_id_fkey', 'flag', type_='foreignkey')
    else:
        with op.batch_alter_table('flag', naming_convention=NAMING) as batch_op:
            batch_op.drop_constraint('fk_flag_department_id_department', type_='foreignkey')


def downgrade() -> None:
    with op.batch_alter_table('flag', schema=None) as batch_op:
        batch_op.create_foreign_key('flag_department_id_fkey', 'department', ['department_id'], ['id'], ondelete='RESTRICT')
        batch_op.create_index('ix_flag_detected_at', ['detected_at'], unique=False)
