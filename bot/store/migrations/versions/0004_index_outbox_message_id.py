"""index outbox.message_id and program.thread_id

Every incoming message is matched to its thread by its In-Reply-To/References
against outbox.message_id (org_by_thread, handoff_user, bounces). Unindexed, that
was a scan of the whole outbox, rows with their rendered text and HTML, per
message: bench/backlog.py's decide stage went from ~26 ms a message at N=200 to
~59 ms at N=2,000.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 11:40:00
"""
from alembic import op


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_message_id'), ['message_id'], unique=False)

    with op.batch_alter_table('program', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_program_thread_id'), ['thread_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('program', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_program_thread_id'))

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_message_id'))
