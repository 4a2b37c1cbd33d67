"""REST API throughput and latency under 32 concurrent connections on loopback.

A uvicorn server subprocess serves ``pim.app:create_app`` over a SQLite demo catalog
(``size`` products, built once and kept under var/bench/); an asyncio httpx client keeps 32
requests in flight. The baseline is a trivial Litestar endpoint served the same way (same
uvicorn settings, same client) in the same run: the ratio says how much of the framework's
ceiling the product routes keep.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from tests.bench.harness import Measurement, wire_hub, workload

CONCURRENCY = 32
GET_REQUESTS = 4000
LIST_REQUESTS = 1500
WARMUP = 200


def trivial_app():
    """The baseline: one handler answering a small JSON document."""
    from litestar import Litestar, get

    @get("/ping", sync_to_thread=False)
    def ping() -> dict[str, str]:
        return {"status": "ok"}

    return Litestar([ping], openapi_config=None)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _catalog(size: int) -> tuple[str, str, list[str]]:
    """SQLite URL, an admin token and the SKUs of a demo catalog of ``size`` products."""
    wire_hub()
    from sqlalchemy import create_engine

    import pim.models as models
    from pim.db import session_factory

    path, url = use_bench_database(f"api-{size}.db")
    if not path.exists() or path.stat().st_size == 0:
        engine = create_engine(url)
        models.Base.metadata.create_all(engine)
        engine.dispose()
        try:
            from pim.demo import load_demo

            load_demo(session_factory(url), products=size, seed=7)
        except Exception:
            path.unlink(missing_ok=True)
            raise
    # The demo's writes leave completeness jobs queued: run them here, or the server's
    # runner works through them during the measurement (the first run after building the
    # catalog timed out).
    from pim.jobs.embedded import EmbeddedRunner

    EmbeddedRunner().run_until_idle()
    _warm_page_cache(path)
    return (url, *bench_token(url))


def use_bench_database(name: str) -> tuple[Path, str]:
    """The path and URL of the SQLite file ``name`` under var/bench, made the hub's database
    (jobs run in this process and in the servers' embedded runners, not through Redis)."""
    from pim.config import reset_settings
    from pim.db import dispose_engines

    root = Path("var/bench").resolve()
    root.mkdir(parents=True, exist_ok=True)
    path = root / name
    url = f"sqlite:///{path}"
    os.environ["PIM_DATABASE_URL"] = url
    os.environ["PIM_VAR_DIR"] = str(root)
    os.environ["PIM_REDIS_URL"] = ""
    reset_settings()
    dispose_engines()
    return path, url


def bench_token(url: str) -> tuple[str, list[str]]:
    """A viewer token made in the catalog at ``url`` (a user of its own), and its SKUs."""
    from sqlalchemy import select

    from pim.auth.service import create_user
    from pim.auth.tokens import create_token
    from pim.catalog.models import Product
    from pim.db import dispose_engines, session_scope

    with session_scope(url) as session:
        email = f"bench-{time.time_ns()}@pim.local"
        create_user(session, email, role="admin")
        _, raw = create_token(session, email, role="viewer", name="bench")
        skus = list(session.scalars(select(Product.sku)))
    dispose_engines()
    return raw, skus


def _warm_page_cache(path: Path) -> None:
    """Read the database file once, so the run measures the server and not the disk (random
    SKUs would otherwise be read from disk on a file that has left the OS cache)."""
    with open(path, "rb") as f:
        while f.read(1 << 22):
            pass


class Server:
    """``uvicorn`` serving an app factory in a subprocess, one worker."""

    def __init__(self, factory: str, env: dict[str, str]):
        self.port = _free_port()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", factory, "--factory", "--host", "127.0.0.1",
             "--port", str(self.port), "--no-access-log", "--log-level", "warning"],
            env={**os.environ, **env})
        self.base = f"http://127.0.0.1:{self.port}"

    def wait(self) -> None:
        import httpx

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited ({self.proc.returncode}) before serving")
            try:
                httpx.get(self.base + "/", timeout=1)
                return
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError("server did not start within 60 s")

    def stop(self, grace: float = 15) -> None:
        """Terminate; kill what is still running after ``grace`` seconds (a server finishing
        its embedded jobs). Never raises: by now the measurement is taken."""
        if self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@contextlib.contextmanager
def hub_and_baseline(env: dict[str, str]) -> Iterator[tuple[Server, Server]]:
    """The hub (``pim.app:create_app``) and the trivial baseline app, each serving with
    ``env`` once it answers; both stopped afterwards, however the block ends."""
    server = Server("pim.app:create_app", env)
    baseline = Server("tests.bench.workloads.api:trivial_app", env)
    try:
        baseline.wait()
        server.wait()
        yield server, baseline
    finally:
        server.stop()
        baseline.stop()


async def _load(base: str, paths: list[str], headers: dict[str, str]) -> tuple[float, list]:
    import httpx

    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    latencies: list[float] = []
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits,
                                 timeout=30) as client:
        queue = list(reversed(paths))

        async def worker(record: bool) -> None:
            while queue:
                path = queue.pop()
                started = time.perf_counter()
                response = await client.get(path)
                if response.status_code != 200:
                    raise RuntimeError(f"{path}: {response.status_code} {response.text[:200]}")
                if record:
                    latencies.append((time.perf_counter() - started) * 1000)

        queue[:] = list(reversed(paths[:WARMUP]))
        await asyncio.gather(*(worker(False) for _ in range(CONCURRENCY)))
        queue[:] = list(reversed(paths[WARMUP:]))
        started = time.perf_counter()
        await asyncio.gather(*(worker(True) for _ in range(CONCURRENCY)))
        return time.perf_counter() - started, latencies


WRK_SCRIPT = """
local paths = {}
local i = 0
function init(args)
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
  if args[2] ~= "" then wrk.headers["Authorization"] = args[2] end
  i = math.random(#paths)
end
function request()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
function done(summary, latency, requests)
  io.write(string.format("RESULT %d %d %d\\n", summary.requests, summary.duration,
                         summary.errors.status + summary.errors.connect + summary.errors.read
                         + summary.errors.timeout))
  for p = 1, 1000 do io.write(string.format("Q %f\\n", latency:percentile(p / 10) / 1000)) end
end
"""
WRK_SECONDS = 10


def _wrk(base: str, paths: list[str], auth: str) -> tuple[int, float, list[float]]:
    """(requests, seconds, latency quantiles in ms) from wrk, 2 threads, 32 connections."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        script, listing = Path(tmp, "paths.lua"), Path(tmp, "paths.txt")
        script.write_text(WRK_SCRIPT)
        listing.write_text("\n".join(paths) + "\n")
        for seconds in (2, WRK_SECONDS):  # the first run warms the server up
            out = subprocess.run(
                ["wrk", "-t2", f"-c{CONCURRENCY}", f"-d{seconds}s", "-s", str(script),
                 base + paths[0], "--", str(listing), auth],
                capture_output=True, text=True, check=True).stdout
    result = next(line for line in out.splitlines() if line.startswith("RESULT")).split()
    requests, micros, errors = int(result[1]), int(result[2]), int(result[3])
    if errors or not requests:
        raise RuntimeError(f"wrk saw {errors} errors:\n{out[:2000]}")
    quantiles = [float(line.split()[1]) for line in out.splitlines() if line.startswith("Q ")]
    return requests, micros / 1e6, quantiles


def _measure(size: int, make_paths) -> Measurement:
    url, token, skus = _catalog(size)
    env = {"PIM_DATABASE_URL": url, "PIM_API_RATE_LIMIT": "0", "PIM_REDIS_URL": ""}
    with hub_and_baseline(env) as (server, baseline):
        paths = make_paths(skus)
        if shutil.which("wrk"):
            count, seconds, latencies = _wrk(server.base, paths, f"Bearer {token}")
            base_count, base_seconds, base_latencies = _wrk(baseline.base, ["/ping"], "")
            client = f"wrk -t2 -c{CONCURRENCY} for {WRK_SECONDS}s (latencies: quantiles)"
        else:
            seconds, latencies = asyncio.run(
                _load(server.base, paths, {"Authorization": f"Bearer {token}"}))
            base_seconds, base_latencies = asyncio.run(
                _load(baseline.base, ["/ping"] * len(paths), {}))
            count = base_count = len(paths) - WARMUP
            client = "httpx asyncio client (install wrk for a faster load generator)"
    return Measurement(items=count, seconds=seconds, baseline_seconds=base_seconds,
                       baseline_items=base_count, latencies_ms=latencies,
                       baseline_latencies_ms=base_latencies,
                       notes=f"{size} products, SQLite, {CONCURRENCY} connections, "
                             f"1 uvicorn worker; {client}")


@workload("api_product_get", size=100_000, unit="requests")
def api_product_get(size: int) -> Measurement:
    rng = random.Random(3)
    return _measure(size, lambda skus: [
        f"/api/v1/products/{rng.choice(skus)}" for _ in range(GET_REQUESTS + WARMUP)])


@workload("api_product_list", size=100_000, unit="requests")
def api_product_list(size: int) -> Measurement:
    rng = random.Random(4)
    families = ["electronics", "apparel", "spare_parts"]
    return _measure(size, lambda skus: [
        f"/api/v1/products?limit=50&family={rng.choice(families)}" if n % 2 else
        "/api/v1/products?limit=50" for n in range(LIST_REQUESTS + WARMUP)])
