"""outbox.reply_to: the LAHSA inbox an answer to the mail belongs in

Every mail went out from one address with no Reply-To, so an Executive Director who
answered the agreement receipt with a corrected agreement reached HMISsupport@ and
was told she had used the wrong inbox. Each mail now names the inbox of its step.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 15:30:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reply_to', sqlmodel.sql.sqltypes.AutoString(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('reply_to')
