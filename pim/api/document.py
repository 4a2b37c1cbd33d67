"""The OpenAPI document as served: Litestar's, with every request body documented by the
model that validates it.

Litestar writes its own schema for a pydantic model and drops much of what pydantic checks:
patterns, ``extra="forbid"``, a list's bounds (a ``max_length`` lands on the ``oneOf`` around
it), decimals (a number whose default is the string ``"0"``, which made the document
invalid). A client generated from such a document, or a fuzzer, sends bodies the API then
refuses. So each model a JSON request body names, wherever it is nested, is documented with
pydantic's own JSON Schema in validation mode (JSON Schema 2020-12, the dialect of OpenAPI
3.1): exactly what the route accepts. Response schemas stay Litestar's.

A route that reads its body as a mapping because a service validates it (structure PUTs,
so the API refuses with the same 422 as an import) names the model with
``documented_body``; the document then shows that model.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from litestar import Request
from litestar.openapi.plugins import JsonRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import OpenAPIMediaType, Operation, Reference, RequestBody
from pydantic import BaseModel

COMPONENTS = "#/components/schemas/"
_PACKAGES = ("pim.", "channels.", "importers.", "exporters.")


@dataclass(frozen=True)
class BodyModel:
    model: type[BaseModel]
    optional: tuple[str, ...]  # fields the path gives (a body may leave them out)
    note: str


_DOCUMENTED_BODIES: dict[str, BodyModel] = {}


def documented_body(model: type[BaseModel], *, name: str, optional: tuple[str, ...] = (),
                    note: str = "") -> type[Operation]:
    """An operation class whose JSON request body is documented as ``model`` (component
    ``name``), ``optional`` fields not required (e.g. ``code``: the path names it)."""
    _DOCUMENTED_BODIES[name] = BodyModel(model, optional, note)

    @dataclass
    class BodyOperation(Operation):
        def __post_init__(self) -> None:
            self.request_body = RequestBody(required=True, content={
                "application/json": OpenAPIMediaType(schema=Reference(ref=COMPONENTS + name))})

    BodyOperation.__name__ = f"{name}Operation"
    return BodyOperation


def finish_document(document: dict[str, Any]) -> dict[str, Any]:
    """A copy of Litestar's document with request body models documented by pydantic."""
    document = copy.deepcopy(document)
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    bodies = {name: BodyModel(model, (), "")
              for name, model in _request_models(document).items()}
    for name, body in {**bodies, **_DOCUMENTED_BODIES}.items():
        if body is _DOCUMENTED_BODIES.get(name) and not _referenced(document, name):
            continue  # a documented body of a route this app does not serve
        schema = body.model.model_json_schema(mode="validation",
                                              ref_template=COMPONENTS + "{model}")
        schemas.update(schema.pop("$defs", {}))
        for field in body.optional:
            schema["required"] = [f for f in schema.get("required", ()) if f != field]
        if body.note:
            schema["description"] = body.note
        schemas[name] = schema
    return document


def _request_models(document: dict[str, Any]) -> dict[str, type[BaseModel]]:
    """The pydantic model behind each component a JSON request body refers to."""
    models = _our_models()
    wanted: dict[str, type[BaseModel]] = {}
    for operation in _operations(document):
        content = operation.get("requestBody", {}).get("content", {})
        schema = content.get("application/json", {}).get("schema", {})
        for ref in _refs(schema):
            name = ref.removeprefix(COMPONENTS)
            if name in _DOCUMENTED_BODIES:
                continue
            found = models.get(name, [])
            if len(found) > 1:
                raise RuntimeError(f"two models are named {name}: {found}; rename one")
            if found:
                wanted[name] = found[0]
    return wanted


def _operations(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for item in document.get("paths", {}).values():
        for method in ("get", "put", "post", "patch", "delete"):
            if method in item:
                yield item[method]


def _refs(schema: Any) -> Iterator[str]:
    if isinstance(schema, dict):
        if isinstance(schema.get("$ref"), str):
            yield schema["$ref"]
        for value in schema.values():
            yield from _refs(value)
    elif isinstance(schema, list):
        for value in schema:
            yield from _refs(value)


def _referenced(document: dict[str, Any], name: str) -> bool:
    return any(ref == COMPONENTS + name for ref in _refs(document.get("paths", {})))


def _our_models() -> dict[str, list[type[BaseModel]]]:
    found: dict[str, list[type[BaseModel]]] = {}
    pending = list(BaseModel.__subclasses__())
    seen: set[type] = set()
    while pending:
        model = pending.pop()
        if model in seen:
            continue
        seen.add(model)
        pending.extend(model.__subclasses__())
        if model.__module__.startswith(_PACKAGES) and "[" not in model.__name__:
            found.setdefault(model.__name__, []).append(model)
    return found


class DocumentFinisher:
    """``finish_document`` once per document Litestar builds (it builds one per app)."""

    def __init__(self) -> None:
        self._source: dict[str, Any] | None = None
        self._finished: dict[str, Any] = {}

    def __call__(self, document: dict[str, Any]) -> dict[str, Any]:
        if document is not self._source:
            self._finished = finish_document(document)
            self._source = document
        return self._finished


class FinishedJson(JsonRenderPlugin):
    """``/schema/openapi.json``: the finished document."""

    def __init__(self, finisher: DocumentFinisher, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.finisher = finisher

    def render_json(self, request: Request, openapi_schema: dict[str, Any]) -> bytes:  # type: ignore[override]
        return super().render_json(request, self.finisher(openapi_schema))


class FinishedSwagger(SwaggerRenderPlugin):
    """Swagger UI, which embeds the document in its page: the finished one too."""

    def __init__(self, finisher: DocumentFinisher, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.finisher = finisher

    def render_json(self, request: Request, openapi_schema: dict[str, Any]) -> bytes:  # type: ignore[override]
        return super().render_json(request, self.finisher(openapi_schema))
