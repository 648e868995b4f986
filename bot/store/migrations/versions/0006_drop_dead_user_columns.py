"""drop hmis_user.handoff_sent and hmis_user.escalation_level

Neither was ever read: the hand-off to the access duty and the escalation levels are
kept in the outbox, under keys that name the user and the level (bot/jobs.py), so
these two columns stayed at their defaults in every database.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 10:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('hmis_user', schema=None) as batch_op:
        batch_op.drop_column('escalation_level')
        batch_op.drop_column('handoff_sent')


def downgrade() -> None:
    with op.batch_alter_table('hmis_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('handoff_sent', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('escalation_level', sa.Integer(), nullable=False, server_default='0'))
