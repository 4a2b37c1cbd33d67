"""webhook batches: the sender lease, the circuit, claim indexes

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-08 04:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import pim.db

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('webhook_subscriptions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('send_generation', sa.Integer(), server_default='0',
                                      nullable=False))
        batch_op.add_column(sa.Column('sender', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('sender_until', pim.db.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('circuit_failures', sa.Integer(), server_default='0',
                                      nullable=False))
        batch_op.add_column(sa.Column('circuit_open_until', pim.db.UTCDateTime(timezone=True),
                                      nullable=True))
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_webhook_deliveries_subscription_due',
                              ['subscription_id', 'status', 'next_attempt_at'], unique=False)
        # status joins the ordering index: without it, SQLite answered "is an earlier
        # delivery of this product pending?" from the index above, scanning every pending
        # delivery of the subscription per candidate (160 ms a claim at 2,000 pending; 13 ms)
        batch_op.drop_index('ix_webhook_deliveries_order')
        batch_op.create_index('ix_webhook_deliveries_order',
                              ['subscription_id', 'ordering_key', 'status', 'sequence'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_webhook_deliveries_order')
        batch_op.create_index('ix_webhook_deliveries_order',
                              ['subscription_id', 'ordering_key', 'sequence'], unique=False)
        batch_op.drop_index('ix_webhook_deliveries_subscription_due')
    with op.batch_alter_table('webhook_subscriptions', schema=None) as batch_op:
        batch_op.drop_column('circuit_open_until')
        batch_op.drop_column('circuit_failures')
        batch_op.drop_column('sender_until')
        batch_op.drop_column('sender')
        batch_op.drop_column('send_generation')
