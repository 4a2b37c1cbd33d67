"""renditions: record the renditions of channels applied before renditions were drawn

Channels applied since 0007 record their renditions themselves (``apply_channel``); those in
a database from before it are recorded here, so their rendition URLs answer at once.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 15:20:00
"""
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import pim.db
from channels.renditions import Rendition

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CHANNELS = sa.table('channels', sa.column('code', sa.String),
                     sa.column('definition', pim.db.JSONType))
_SPECS = sa.table('rendition_specs', sa.column('spec_hash', sa.String),
                  sa.column('spec', pim.db.JSONType),
                  sa.column('created_at', pim.db.UTCDateTime(timezone=True)))
_NAMED = sa.table('channel_renditions', sa.column('channel_code', sa.String),
                  sa.column('name', sa.String), sa.column('spec_hash', sa.String))


def upgrade() -> None:
    connection = op.get_bind()
    known = set(connection.scalars(sa.select(_SPECS.c.spec_hash)))
    named = {tuple(row) for row in connection.execute(
        sa.select(_NAMED.c.channel_code, _NAMED.c.name))}
    now = datetime.now(UTC)
    for code, definition in connection.execute(sa.select(_CHANNELS.c.code,
                                                         _CHANNELS.c.definition)):
        for name, raw in ((definition or {}).get('renditions') or {}).items():
            try:
                spec = Rendition.model_validate(raw)
            except ValueError:
                continue  # a spec the renderer cannot draw: re-apply the channel to see why
            if spec.spec_hash not in known:
                connection.execute(_SPECS.insert().values(
                    spec_hash=spec.spec_hash, spec=spec.model_dump(mode='json'),
                    created_at=now))
                known.add(spec.spec_hash)
            if (code, name) not in named:
                connection.execute(_NAMED.insert().values(
                    channel_code=code, name=name, spec_hash=spec.spec_hash))


def downgrade() -> None:
    pass  # the rows are recorded by apply_channel too; 0007's downgrade drops the tables
