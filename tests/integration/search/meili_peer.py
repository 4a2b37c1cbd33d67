"""A Meilisearch stand-in on a real socket, for the official client to talk to: no
Meilisearch server can be installed here. It records every request (method, path, query,
JSON body, headers) and answers with responses recorded from Meilisearch 1.x (the shapes
of https://www.meilisearch.com/docs/reference/api: a write answers 202 with a summarized
task, ``GET /tasks/{uid}`` the task, a search its hits and facet distribution). Tasks
succeed unless ``fail_types`` names their type (then they fail with a recorded error) or
``stall`` is set (they stay "processing")."""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

AT = "2026-12-07T15:00:00.000000Z"

# A failed documentAdditionOrUpdate task, as Meilisearch answers GET /tasks/{uid}.
RECORDED_FAILURE = {
    "message": "Document identifier `\"SPK 1\"` is invalid. A document identifier can be of "
               "type integer or string, only composed of alphanumeric characters (a-z A-Z "
               "0-9), hyphens (-) and underscores (_), and can not be more than 511 bytes.",
    "code": "invalid_document_id", "type": "invalid_request",
    "link": "https://docs.meilisearch.com/errors#invalid_document_id",
}


# GET /indexes/{uid}/settings of an index whose settings were never updated (the parts the
# backend reads; Meilisearch answers every setting).
DEFAULT_SETTINGS: dict[str, Any] = {
    "displayedAttributes": ["*"], "searchableAttributes": ["*"], "filterableAttributes": [],
    "sortableAttributes": [], "rankingRules": ["words", "typo", "proximity", "attribute",
                                               "sort", "exactness"],
    "stopWords": [], "synonyms": {}, "distinctAttribute": None,
    "pagination": {"maxTotalHits": 1000}, "faceting": {"maxValuesPerFacet": 100}}


def _not_found(uid: str) -> dict[str, str]:
    return {"message": f"Index `{uid}` not found.", "code": "index_not_found",
            "type": "invalid_request",
            "link": "https://docs.meilisearch.com/errors#index_not_found"}


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    headers: dict[str, str]


@dataclass
class MeiliPeer:
    search_answer: dict[str, Any] = field(default_factory=dict)
    fail_types: set[str] = field(default_factory=set)
    stall: bool = False
    indexes: set[str] = field(default_factory=set)
    settings: dict[str, dict[str, Any]] = field(default_factory=dict)  # index -> applied
    requests: list[Request] = field(default_factory=list)
    tasks: dict[int, dict[str, Any]] = field(default_factory=dict)
    url: str = ""

    def start(self) -> MeiliPeer:
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                body = json.loads(raw) if raw and raw != b"null" else None
                request = Request(self.command, parts.path, parse_qs(parts.query), body,
                                  {k.lower(): v for k, v in self.headers.items()})
                status, answer = peer.answer(request)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def writes(self) -> list[Request]:
        return [r for r in self.requests if not (r.method == "GET" and
                                                 r.path.startswith("/tasks/"))]

    def _task(self, index_uid: str | None, kind: str) -> tuple[int, dict[str, Any]]:
        uid = len(self.tasks)
        status = "failed" if kind in self.fail_types else (
            "processing" if self.stall else "succeeded")
        self.tasks[uid] = {
            "uid": uid, "batchUid": uid, "indexUid": index_uid, "status": status,
            "type": kind, "canceledBy": None, "details": {},
            "error": RECORDED_FAILURE if status == "failed" else None,
            "duration": None if status == "processing" else "PT0.004S", "enqueuedAt": AT,
            "startedAt": AT, "finishedAt": None if status == "processing" else AT}
        return 202, {"taskUid": uid, "indexUid": index_uid, "status": "enqueued",
                     "type": kind, "enqueuedAt": AT}

    def answer(self, r: Request) -> tuple[int, Any]:
        self.requests.append(r)
        if r.method == "GET" and r.path == "/health":
            return 200, {"status": "available"}
        if m := re.fullmatch(r"/tasks/(\d+)", r.path):
            return 200, self.tasks[int(m.group(1))]
        if r.method == "POST" and r.path == "/indexes":
            uid = r.body["uid"]
            if uid in self.indexes:
                code, task = self._task(uid, "indexCreation")
                self.tasks[task["taskUid"]].update(status="failed", error={
                    "message": f"Index `{uid}` already exists.",
                    "code": "index_already_exists", "type": "invalid_request",
                    "link": "https://docs.meilisearch.com/errors#index_already_exists"})
                return code, task
            self.indexes.add(uid)
            return self._task(uid, "indexCreation")
        if r.method == "POST" and r.path == "/swap-indexes":
            return self._task(None, "indexSwap")
        if (m := re.fullmatch(r"/indexes/([^/]+)", r.path)) and r.method == "DELETE":
            self.indexes.discard(m.group(1))
            return self._task(m.group(1), "indexDeletion")
        if m := re.fullmatch(r"/indexes/([^/]+)/settings", r.path):
            uid = m.group(1)
            if r.method == "GET":
                if uid not in self.indexes:
                    return 404, _not_found(uid)
                return 200, {**DEFAULT_SETTINGS, **self.settings.get(uid, {})}
            self.settings.setdefault(uid, {}).update(r.body or {})
            return self._task(uid, "settingsUpdate")
        if m := re.fullmatch(r"/indexes/([^/]+)/documents", r.path):
            return self._task(m.group(1), "documentAdditionOrUpdate")
        if m := re.fullmatch(r"/indexes/([^/]+)/documents/delete", r.path):
            return self._task(m.group(1), "documentDeletion")
        if m := re.fullmatch(r"/indexes/([^/]+)/search", r.path):
            if m.group(1) not in self.indexes:
                return 404, _not_found(m.group(1))
            return 200, {"query": r.body.get("q", ""), "processingTimeMs": 1,
                         "limit": r.body.get("limit"), "offset": r.body.get("offset"),
                         **self.search_answer}
        return 404, {"message": f"no route {r.method} {r.path}", "code": "not_found"}
