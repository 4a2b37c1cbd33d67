"""Channels in the database: apply a definition, read it back."""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from channels.definition import ChannelDefinition, load_schema
from channels.patterns import check_schema_patterns
from pim.db import utcnow
from pim.errors import Invalid, NotFound
from pim.media.renditions import register_channel_renditions
from pim.workflow.models import Channel


def definition_json(definition: ChannelDefinition) -> dict:
    return definition.model_dump(mode="json", by_alias=True)


def channel_schema(definition: ChannelDefinition) -> dict:
    """The channel's JSON Schema file; a name outside schemas/, a missing file, one that is
    not JSON or holds a pattern RE2 cannot compile is refused naming ``schema``."""
    try:
        schema = load_schema(definition.schema_file)
        check_schema_patterns(schema)
        return schema
    except (OSError, ValueError) as error:  # JSONDecodeError, SchemaPatternError
        reason = "no such schema file" if isinstance(error, FileNotFoundError) else str(error)
        raise Invalid(f"channel {definition.code}: schema {definition.schema_file!r}: {reason}",
                      errors=[{"field": "schema", "message": reason}]) from None


def config_hash(definition: ChannelDefinition) -> str:
    """Changes when the definition or its schema changes: completeness is then stale."""
    payload = {"definition": definition_json(definition),
               "schema": channel_schema(definition)}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def apply_channel(session: Session, definition: ChannelDefinition) -> bool:
    """Create or update a channel; True when its configuration changed. Its renditions are
    recorded with the media slice, which draws the specs new to it after commit."""
    register_channel_renditions(session, definition.code, definition.renditions)
    digest = config_hash(definition)
    row = session.get(Channel, definition.code)
    if row is None:
        session.add(Channel(code=definition.code, kind=definition.kind, label=definition.label,
                            definition=definition_json(definition), config_hash=digest))
        session.flush()
        return True
    if row.config_hash == digest:
        return False
    row.kind, row.label = definition.kind, definition.label
    row.definition, row.config_hash, row.updated_at = definition_json(definition), digest, utcnow()
    session.flush()
    return True


def get_channel(session: Session, code: str) -> ChannelDefinition:
    row = session.get(Channel, code)
    if row is None:
        raise NotFound(f"channel {code!r} does not exist")
    return ChannelDefinition.model_validate(row.definition)


def channel_codes(session: Session) -> list[str]:
    """Every channel's code: the scopes a scopable value may name (connected to the
    catalog's ``listeners.channel_codes`` in ``pim.wiring``)."""
    return list(session.scalars(select(Channel.code)))


def list_channels(session: Session) -> list[ChannelDefinition]:
    return [ChannelDefinition.model_validate(row.definition)
            for row in session.scalars(select(Channel).order_by(Channel.code))]
