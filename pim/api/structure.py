"""Catalog structure: attributes (+ options), families, family variants, categories and
channels. Everyone reads; only admins change structure (editors may not).

Structure entities are keyed by code, so writes are ``PUT /{kind}/{code}``: create (201) or
replace (200) with the full representation, idempotent.
"""

# No `from __future__ import annotations`: Litestar reads the routes' return types, which
# name each kind's out model (a closure variable) and must be evaluated where defined.

from typing import Annotated, Any

from litestar import Response, delete, get, put
from litestar.params import FromPath, JSONBody, Parameter
from sqlalchemy.orm import Session

from channels.definition import ChannelDefinition
from pim.api.document import documented_body
from pim.api.openapi import created, problems
from pim.api.schemas import (
    AttributeOut,
    CategoryOut,
    FamilyOut,
    FamilyVariantOut,
    OptionIn,
    OptionOut,
)
from pim.api.sessions import ReadSession, WriteSession
from pim.auth.actor import MANAGE, READ
from pim.catalog.schemas import ATTRIBUTE_CODE, CODE, STRUCTURE_MODELS
from pim.catalog.structure import apply_structure, delete_structure, load_context
from pim.errors import Invalid, NotFound
from pim.workflow.channels import definition_json, get_channel, list_channels
from pim.workflow.completeness import apply_channel_and_recompute

# path segment -> (structure kind, context attribute)
_KINDS = {
    "attributes": ("attribute", "attributes"),
    "families": ("family", "families"),
    "family-variants": ("family_variant", "family_variants"),
    "categories": ("category", "categories"),
}


def _attribute(spec) -> dict[str, Any]:
    return {"code": spec.code, "type": spec.type, "localizable": spec.localizable,
            "scopable": spec.scopable, "owner": spec.owner, "unique": spec.unique,
            "group": spec.group, "unit_family": spec.unit_family,
            "default_unit": spec.default_unit, "validation": spec.validation,
            "labels": spec.labels}


def _family(spec) -> dict[str, Any]:
    return {"code": spec.code, "attributes": spec.attributes, "labels": spec.labels,
            "label_attribute": spec.label_attribute, "image_attribute": spec.image_attribute,
            "requirements": spec.requirements}


def _variant(spec) -> dict[str, Any]:
    return {"code": spec.code, "family": spec.family, "axes": spec.axes,
            "level_attributes": spec.level_attributes, "labels": spec.labels}


def _category(spec) -> dict[str, Any]:
    return {"code": spec.code, "parent": spec.parent, "labels": spec.labels}


_CODE_PATTERNS = {"attribute": ATTRIBUTE_CODE, "family": CODE, "family_variant": CODE,
                  "category": CODE}
ChannelCode = Annotated[str, Parameter(schema_extra={"pattern": r"^[a-z][a-z0-9_-]*$"})]

_OUT = {"attributes": _attribute, "families": _family, "family-variants": _variant,
        "categories": _category}


def read_structure(session: Session, segment: str, code: str | None = None):
    kind, attr = _KINDS[segment]
    entries = getattr(load_context(session), attr)
    if code is None:
        return [_OUT[segment](spec) for spec in entries.values()]
    if code not in entries:
        raise NotFound(f"{kind.replace('_', ' ')} {code!r} does not exist")
    return _OUT[segment](entries[code])


def write_structure(session: Session, segment: str, code: str,
                    data: dict[str, Any]) -> Response:
    kind, attr = _KINDS[segment]
    if "code" in data and data["code"] != code:  # as for channels: never ignored silently
        raise Invalid(f"the code in the body must match the path ({code!r})",
                      errors=[{"field": "code", "message": f"must be {code!r}"}])
    data = {k: v for k, v in data.items() if k != "code"}
    existed = code in getattr(load_context(session), attr)
    apply_structure(session, kind, code, data)
    session.flush()
    return Response(read_structure(session, segment, code), status_code=200 if existed else 201)


def _routes(segment: str, out_model, tag: str) -> list:
    """List, read, put and delete routes for one structure kind."""
    kind = _KINDS[segment][0]  # also the operationIds' noun: get_family_variant
    # The code's rule, documented (the service checks it and answers 422 naming `code`).
    Code = Annotated[str, Parameter(schema_extra={"pattern": _CODE_PATTERNS[kind]})]
    # The body is validated by the structure service (as an import's rows are: the same 422
    # naming the field); the document shows the model it validates with.
    body = documented_body(STRUCTURE_MODELS[kind], optional=("code",),
                           name="".join(part.title() for part in kind.split("_")) + "Body",
                           note="The path names the code; one in the body must equal it.")

    @get(f"/{segment}", opt={"roles": READ}, sync_to_thread=True, responses=problems(),
         summary=f"List {tag}", tags=["structure"], operation_id=f"list_{segment}".replace(
             "-", "_"))
    def list_route(reader: ReadSession) -> list[out_model]:
        return read_structure(reader, segment)

    @get(f"/{segment}/{{code:str}}", opt={"roles": READ}, sync_to_thread=True,
         responses=problems(404), summary=f"Read one of the {tag}", tags=["structure"],
         operation_id=f"get_{kind}")
    def get_route(code: Code, reader: ReadSession) -> out_model:
        return read_structure(reader, segment, code)

    @put(f"/{segment}/{{code:str}}", opt={"roles": MANAGE}, sync_to_thread=True,
         responses=problems(404, 409, 422) | created(out_model),
         summary=f"Create (201) or replace (200) one of the {tag}",
         tags=["structure"], operation_id=f"put_{kind}", operation_class=body)
    def put_route(code: Code, data: JSONBody[dict[str, Any]],
                  session: WriteSession) -> Response[out_model]:
        return write_structure(session, segment, code, data)

    @delete(f"/{segment}/{{code:str}}", opt={"roles": MANAGE}, sync_to_thread=True,
            responses=problems(404, 409), summary=f"Delete one of the {tag}",
            tags=["structure"], operation_id=f"delete_{kind}")
    def delete_route(code: Code, session: WriteSession) -> None:
        delete_structure(session, _KINDS[segment][0], code)

    return [list_route, get_route, put_route, delete_route]


def _options(session: Session, attribute: str) -> list[dict[str, Any]]:
    spec = load_context(session).attributes.get(attribute)
    if spec is None:
        raise NotFound(f"attribute {attribute!r} does not exist")
    return [{"attribute": attribute, "code": code, "labels": labels}
            for code, labels in spec.options.items()]


@get("/attributes/{attribute:str}/options", opt={"roles": READ}, sync_to_thread=True,
     responses=problems(404), summary="Options of a select attribute", tags=["structure"])
def list_options_route(attribute: FromPath[str], reader: ReadSession) -> list[OptionOut]:
    return _options(reader, attribute)  # type: ignore[return-value]


@put("/attributes/{attribute:str}/options/{code:str}", opt={"roles": MANAGE},
     sync_to_thread=True, responses=problems(404, 422) | created(OptionOut), tags=["structure"],
     summary="Create (201) or replace (200) an option")
def put_option_route(attribute: FromPath[str], code: FromPath[str], data: JSONBody[OptionIn],
                     session: WriteSession) -> Response[OptionOut]:
    existed = any(o["code"] == code for o in _options(session, attribute))
    apply_structure(session, "attribute_option", code,
                    {"attribute": attribute, **data.model_dump()})
    session.flush()
    out = next(o for o in _options(session, attribute) if o["code"] == code)
    return Response(out, status_code=200 if existed else 201)  # type: ignore[arg-type]


@delete("/attributes/{attribute:str}/options/{code:str}", opt={"roles": MANAGE},
        sync_to_thread=True, responses=problems(404), tags=["structure"],
        summary="Delete an option")
def delete_option_route(attribute: FromPath[str], code: FromPath[str],
                        session: WriteSession) -> None:
    delete_structure(session, "attribute_option", code, attribute=attribute)


# Channels answer with their definition as pydantic writes it (decimals as strings, the
# schema file as `schema`), which the document describes as ChannelDefinition: the model the
# PUT validates with, whose decimals are a number or a decimal string (pim/api/document.py).

def _definitions(definitions: list[ChannelDefinition]) -> list[ChannelDefinition]:
    return [definition_json(d) for d in definitions]  # type: ignore[misc]


def _definition(definition: ChannelDefinition) -> ChannelDefinition:
    return definition_json(definition)  # type: ignore[return-value]


@get("/channels", opt={"roles": READ}, sync_to_thread=True, responses=problems(),
     summary="List channels", tags=["channels"])
def list_channels_route(reader: ReadSession) -> list[ChannelDefinition]:
    return _definitions(list_channels(reader))


@get("/channels/{code:str}", opt={"roles": READ}, sync_to_thread=True,
     responses=problems(404), summary="Read a channel definition", tags=["channels"])
def get_channel_route(code: ChannelCode, reader: ReadSession) -> ChannelDefinition:
    return _definition(get_channel(reader, code))


@put("/channels/{code:str}", opt={"roles": MANAGE}, sync_to_thread=True,
     responses=problems(422), tags=["channels"],
     summary="Create or replace a channel (its completeness is recomputed in the background "
             "when its definition or schema changed)")
def put_channel_route(code: ChannelCode, data: JSONBody[ChannelDefinition],
                      session: WriteSession) -> ChannelDefinition:
    if data.code != code:
        raise Invalid("the channel code in the body must match the path",
                      errors=[{"field": "code", "message": f"must be {code!r}"}])
    apply_channel_and_recompute(session, data)
    return _definition(data)


ROUTES = [
    *_routes("attributes", AttributeOut, "attributes"),
    list_options_route, put_option_route, delete_option_route,
    *_routes("families", FamilyOut, "families"),
    *_routes("family-variants", FamilyVariantOut, "family variants"),
    *_routes("categories", CategoryOut, "categories"),
    list_channels_route, get_channel_route, put_channel_route,
]
