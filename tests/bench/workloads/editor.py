"""The product editor under 8 concurrent signed-in sessions, on the API workloads' SQLite
demo catalog (``size`` products) plus a wide family: variants with 40 attributes, values
in 3 locales, under a two-level product model (colour, then size).

``editor_page``: ``GET /products/{sku}`` of such a variant (fields by group, completeness
and the channel preview in every channel, review status), 8 sessions each opening
variants one after another. ``editor_save``: each session opens a variant and saves one
changed field (``POST /products/{sku}``: the catalog's write path, history, completeness
refreshed inline), then reads the next. Latencies are whole requests on loopback, as the
client sees them (one uvicorn worker), and the server's own time (its ``Server-Timing``). Baseline: ``GET /api/v1/products/{sku}`` of the
same variants at the same concurrency (the API's JSON of the product, no projection).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import shutil
import time
from pathlib import Path

from tests.bench.harness import Measurement, server_time_ms, workload
from tests.bench.workloads.api import Server, _catalog

SESSIONS = 8
PAGE_REQUESTS = 480
SAVE_REQUESTS = 240
WARMUP = 40
WIDE_ATTRIBUTES = 40
LOCALES = ("en_GB", "de_DE", "fr_FR")
VARIANTS = 32  # wide variants, spread over the sessions
PASSWORD = "bench editor 1"


def _wide_catalog(size: int) -> tuple[str, str, list[str]]:
    """A copy of the API workloads' catalog with the wide family added (built once)."""
    from pim.auth.tokens import create_token
    from pim.config import reset_settings
    from pim.db import dispose_engines, session_scope
    from pim.jobs.embedded import EmbeddedRunner

    api_url, _, _ = _catalog(size)
    source = Path(api_url.removeprefix("sqlite:///"))
    path = source.with_name(f"editor-{size}.db")
    url = f"sqlite:///{path}"
    if not path.exists():
        building = path.with_suffix(".building")
        shutil.copyfile(source, building)
        _add_wide_family(f"sqlite:///{building}")
        building.rename(path)
    # The structure added queues jobs (completeness of the new family, search): run them
    # now, or the server's embedded runner holds the write lock during the measurement.
    os.environ["PIM_DATABASE_URL"] = url
    reset_settings()
    dispose_engines()
    EmbeddedRunner().run_until_idle()
    with session_scope(url) as session:
        _, token = create_token(session, "bench-editor-0@pim.local", role="viewer",
                                name=f"bench-{time.time_ns()}")
    dispose_engines()
    return url, token, [f"WIDE-{n:03d}" for n in range(VARIANTS)]


def _add_wide_family(url: str) -> None:
    from pim.auth.service import create_user
    from pim.catalog.product_models import write_product_models
    from pim.catalog.products import CatalogCache, WritePolicy, write_products
    from pim.catalog.structure import apply_structure
    from pim.db import dispose_engines, session_scope
    from pim.records import ProductRecord

    extra = [f"spec_{n:02d}" for n in range(WIDE_ATTRIBUTES - 8)]
    with session_scope(url) as session:
        for position, code in enumerate(extra):
            kind = ("text", "number", "textarea")[position % 3]
            apply_structure(session, "attribute", code, {
                "type": kind, "localizable": kind != "number", "group": "specs",
                "labels": {"en_GB": code.replace("_", " ").capitalize()},
                "sort_order": 100 + position})
        attributes = ["name", "description", "brand", "ean", "price", "image", "colour",
                      "size", *extra]
        apply_structure(session, "family", "wide", {
            "attributes": attributes, "labels": {"en_GB": "Wide"}, "label_attribute": "name",
            "image_attribute": "image",
            "requirements": {"webshop-uk": ["name", "description", "price", "brand"]}})
        apply_structure(session, "family_variant", "wide_colour_size", {
            "family": "wide", "axes": [["colour"], ["size"]],
            "level_attributes": [["colour", "image"], ["size", "ean", *extra[:10]]]})
        for role in ("editor",):
            for n in range(SESSIONS):
                create_user(session, f"bench-{role}-{n}@pim.local", role=role,
                            password=PASSWORD)

    def localized(text: str) -> list[dict]:
        return [{"locale": locale, "scope": None, "data": f"{text} ({locale})"}
                for locale in LOCALES]

    root_values = {"name": localized("Wide jacket"), "description": localized("<p>Wide</p>"),
                   "brand": [{"locale": None, "scope": None, "data": "Northwind"}],
                   "price": [{"locale": None, "scope": None,
                              "data": [{"amount": "49.00", "currency": "GBP"}]}]}
    for index, code in enumerate(extra[10:]):
        kind = ("text", "number", "textarea")[(index + 10) % 3]
        root_values[code] = ([{"locale": None, "scope": None, "data": str(index)}]
                             if kind == "number" else localized(f"value {index}"))
    models = [ProductRecord(sku="WIDE-MODEL", kind="product_model",
                            family_variant="wide_colour_size", values=root_values,
                            categories=["clothing_men"])]
    models += [ProductRecord(sku=f"WIDE-MODEL-{colour}", kind="product_model",
                             parent="WIDE-MODEL", values={
                                 "colour": [{"locale": None, "scope": None, "data": colour}]})
               for colour in ("black", "navy")]
    variants = []
    for n in range(VARIANTS):
        values = {"size": [{"locale": None, "scope": None,
                            "data": ("xs", "s", "m", "l", "xl")[n % 5]}]}
        for index, code in enumerate(extra[:10]):
            kind = ("text", "number", "textarea")[index % 3]
            values[code] = ([{"locale": None, "scope": None, "data": str(n)}]
                            if kind == "number" else localized(f"variant {n} {index}"))
        variants.append(ProductRecord(sku=f"WIDE-{n:03d}",
                                      parent=f"WIDE-MODEL-{('black', 'navy')[n % 2]}",
                                      values=values))
    with session_scope(url) as session:
        cache = CatalogCache(session)
        write_product_models(session, models, actor="bench", source="bench",
                             policy=WritePolicy("system"), cache=cache)
        results = write_products(session, variants, actor="bench", source="bench",
                                 policy=WritePolicy("system"), cache=cache)
        refused = [r for r in results if not r.ok]
        if refused:
            raise RuntimeError(f"wide variant refused: {refused[0].errors}")
    dispose_engines()


def _form_of(html: str) -> dict[str, str]:
    token = re.search(r'name="_csrf_token" value="([^"]+)"', html)
    version = re.search(r'name="version" value="(\d+)"', html)
    if not token or not version:
        raise RuntimeError("the editor page carries no form")
    return {"_csrf_token": token.group(1), "version": version.group(1),
            "locale": "en_GB", "channel": "webshop-uk"}


async def _sessions(base: str) -> list:
    import httpx

    clients = []
    for n in range(SESSIONS):
        client = httpx.AsyncClient(base_url=base, timeout=60)
        form = await client.get("/sign-in")
        token = re.search(r'name="_csrf_token" value="([^"]+)"', form.text)
        response = await client.post("/sign-in", data={
            "email": f"bench-editor-{n}@pim.local", "password": PASSWORD, "next": "/",
            "_csrf_token": token.group(1) if token else ""})
        if response.status_code != 303:
            raise RuntimeError(f"sign-in failed: {response.status_code}")
        clients.append(client)
    return clients


async def _run(base: str, token: str, skus: list[str], mode: str
               ) -> tuple[float, list[float], list[float], float, list[float]]:
    """(seconds, latencies, server times, baseline seconds, baseline latencies), in ms."""
    import httpx

    clients = await _sessions(base)
    run = time.time_ns()
    writes = itertools.count()  # with ``run``, every save changes its field
    total = PAGE_REQUESTS if mode == "page" else SAVE_REQUESTS
    latencies: list[float] = []
    server: list[float] = []

    async def editor_worker(n: int, count: int, record: bool) -> None:
        client = clients[n]
        own = [sku for i, sku in enumerate(skus) if i % SESSIONS == n]
        for i in range(count):
            sku = own[i % len(own)]
            started = time.perf_counter()
            page = await client.get(f"/products/{sku}")
            if page.status_code != 200:
                raise RuntimeError(f"{sku}: {page.status_code} {page.text[:300]}")
            if mode == "page":
                if record:
                    latencies.append((time.perf_counter() - started) * 1000)
                    server.append(server_time_ms(page.headers))
                continue
            data = {**_form_of(page.text), f"v.spec_{i % 4 * 3:02d}": f"saved {run} {next(writes)}"}
            started = time.perf_counter()
            saved = await client.post(f"/products/{sku}", data=data,
                                      headers={"HX-Request": "true"})
            if saved.status_code != 200 or "Saved as version" not in saved.text:
                notice = re.search(r'<div class="alert[^>]*>([^<]*)<', saved.text)
                raise RuntimeError(f"save {sku}: {saved.status_code} "
                                   f"{notice.group(1) if notice else saved.text[:300]}")
            if record:
                latencies.append((time.perf_counter() - started) * 1000)
                server.append(server_time_ms(saved.headers))

    await asyncio.gather(*(editor_worker(n, WARMUP // SESSIONS, False) for n in range(SESSIONS)))
    started = time.perf_counter()
    await asyncio.gather(*(editor_worker(n, total // SESSIONS, True) for n in range(SESSIONS)))
    seconds = time.perf_counter() - started
    for client in clients:
        await client.aclose()

    base_latencies: list[float] = []
    async with httpx.AsyncClient(base_url=base, timeout=60,
                                 headers={"Authorization": f"Bearer {token}"}) as api:
        async def api_worker(n: int) -> None:
            own = [sku for i, sku in enumerate(skus) if i % SESSIONS == n]
            for i in range(PAGE_REQUESTS // SESSIONS):
                began = time.perf_counter()
                response = await api.get(f"/api/v1/products/{own[i % len(own)]}")
                if response.status_code != 200:
                    raise RuntimeError(f"API: {response.status_code}")
                base_latencies.append((time.perf_counter() - began) * 1000)

        began = time.perf_counter()
        await asyncio.gather(*(api_worker(n) for n in range(SESSIONS)))
        base_seconds = time.perf_counter() - began
    return seconds, latencies, server, base_seconds, base_latencies


def _stop(server: Server) -> None:
    """Stop the server; one still finishing its embedded jobs after a minute is killed (the
    measurement is taken by then)."""
    import subprocess

    server.proc.terminate()
    try:
        server.proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        server.proc.kill()
        server.proc.wait()


def _measure(size: int, mode: str) -> Measurement:
    url, token, skus = _wide_catalog(size)
    env = {"PIM_DATABASE_URL": url, "PIM_API_RATE_LIMIT": "0", "PIM_REDIS_URL": "",
           "PIM_VAR_DIR": str(Path(url.removeprefix("sqlite:///")).parent)}
    server = Server("pim.app:create_app", env)
    try:
        server.wait()
        seconds, latencies, server_ms, base_seconds, base_latencies = asyncio.run(
            _run(server.base, token, skus, mode))
    finally:
        _stop(server)
    what = "editor pages" if mode == "page" else "saves (each after its page)"
    return Measurement(
        items=len(latencies), seconds=seconds, latencies_ms=latencies, server_ms=server_ms,
        baseline_seconds=base_seconds, baseline_items=len(base_latencies),
        baseline_latencies_ms=base_latencies,
        notes=f"{size} products + {VARIANTS} variants of {WIDE_ATTRIBUTES} attributes in "
              f"{len(LOCALES)} locales, SQLite, {SESSIONS} sessions, 1 uvicorn worker, "
              f"{os.cpu_count()} CPUs; {what}; baseline: API GET of the same variants")


@workload("editor_page", size=100_000, unit="requests")
def editor_page(size: int) -> Measurement:
    return _measure(size, "page")


@workload("editor_save", size=100_000, unit="requests")
def editor_save(size: int) -> Measurement:
    return _measure(size, "save")
