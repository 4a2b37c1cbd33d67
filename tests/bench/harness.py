"""Benchmark harness: named workloads, each run in its own process so peak RSS is its own.

A workload is a function ``(size: int) -> Measurement`` registered with ``@workload``. It
times its own work and, in the same run, the raw baseline it is compared with (for example a
bare ``csv.writer`` over the same rows). ``make bench`` runs them all and prints a table;
``python -m tests.bench NAME [--size N]`` runs one.
"""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

WORKLOADS: dict[str, tuple[Callable[[int], Measurement], int, str]] = {}


@dataclass
class Measurement:
    items: int  # rows, products, requests, deliveries: whatever `unit` counts
    seconds: float
    baseline_seconds: float | None = None  # the raw limit over the same items, same run
    baseline_items: int | None = None  # when the baseline counts differently
    latencies_ms: list[float] = field(default_factory=list)
    baseline_latencies_ms: list[float] = field(default_factory=list)
    # HTTP workloads: the server's own time per request (its Server-Timing ``app``), beside
    # the client's latency, which adds the queueing behind the other sessions.
    server_ms: list[float] = field(default_factory=list)
    notes: str = ""


def server_time_ms(headers) -> float:
    """The ``app`` duration of a response's ``Server-Timing`` header (``pim.api.timing``)."""
    for metric in headers.get("server-timing", "").split(","):
        name, _, params = metric.strip().partition(";")
        if name == "app" and params.startswith("dur="):
            return float(params[4:])
    raise RuntimeError(f"no server time in {headers.get('server-timing')!r}")


def wire_hub() -> None:
    """Wire the hub's slices (``pim.wiring``), as every entry point of the hub does: called
    by the workloads that run its services, not by the pure ones, whose peak RSS stays
    their own."""
    from pim.wiring import connect_listeners

    connect_listeners()


def workload(name: str, *, size: int, unit: str = "items"):
    """Register a workload run at ``size`` items by default."""

    def register(fn: Callable[[int], Measurement]):
        WORKLOADS[name] = (fn, size, unit)
        return fn

    return register


def load_all() -> None:
    from tests.bench import workloads

    for info in pkgutil.iter_modules(workloads.__path__):
        importlib.import_module(f"tests.bench.workloads.{info.name}")


def percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def summarise(name: str, unit: str, m: Measurement, peak_rss_mb: float) -> dict:
    rate = m.items / m.seconds if m.seconds else None
    row = {
        "workload": name,
        "unit": unit,
        "items": m.items,
        "seconds": round(m.seconds, 3),
        "per_second": round(rate, 1) if rate else None,
        "p50_ms": percentile(m.latencies_ms, 50),
        "p99_ms": percentile(m.latencies_ms, 99),
        "server_p50_ms": percentile(m.server_ms, 50),
        "server_p99_ms": percentile(m.server_ms, 99),
        "peak_rss_mb": round(peak_rss_mb, 1),
        "notes": m.notes,
    }
    if m.baseline_seconds:
        base_items = m.baseline_items or m.items
        base_rate = base_items / m.baseline_seconds
        row["baseline_per_second"] = round(base_rate, 1)
        # ratio < 1 means slower than the raw baseline; 1/ratio is "times slower".
        row["ratio_to_baseline"] = round(rate / base_rate, 3) if rate else None
        if m.baseline_latencies_ms:
            row["baseline_p50_ms"] = percentile(m.baseline_latencies_ms, 50)
            row["baseline_p99_ms"] = percentile(m.baseline_latencies_ms, 99)
    if m.latencies_ms:
        row["mean_ms"] = round(statistics.fmean(m.latencies_ms), 3)
    return row


def run_in_child(name: str, size: int | None) -> dict:
    """Run one workload in a fresh interpreter; the child reports its own peak RSS."""
    cmd = [sys.executable, "-m", "tests.bench", "--child", name]
    if size:
        cmd += ["--size", str(size)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=None, text=True)
    out, _ = proc.communicate()
    if proc.returncode != 0:
        return {"workload": name, "error": f"exit {proc.returncode}"}
    data = json.loads(out.strip().splitlines()[-1])
    return data


def child_main(name: str, size: int | None) -> None:
    import resource

    load_all()
    fn, default_size, unit = WORKLOADS[name]
    m = fn(size or default_size)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(summarise(name, unit, m, peak)))


def print_table(rows: list[dict]) -> None:
    cols = [
        ("workload", 28),
        ("items", 8),
        ("per_second", 11),
        ("baseline_per_second", 12),
        ("ratio_to_baseline", 7),
        ("p50_ms", 8),
        ("p99_ms", 8),
        ("server_p50_ms", 8),
        ("server_p99_ms", 8),
        ("peak_rss_mb", 8),
    ]
    heads = ["workload", "items", "per s", "baseline/s", "ratio", "p50 ms", "p99 ms",
             "srv p50", "srv p99", "RSS MB"]
    print("  ".join(h.ljust(w) for h, (_, w) in zip(heads, cols, strict=True)))
    for row in rows:
        if "error" in row:
            print(f"{row['workload'].ljust(28)}  ERROR {row['error']}")
            continue
        cells = []
        for key, width in cols:
            value = row.get(key)
            cells.append(("" if value is None else str(value)).ljust(width))
        print("  ".join(cells))


def main(argv: list[str] | None = None) -> int:
    import argparse
    import platform

    parser = argparse.ArgumentParser(prog="python -m tests.bench")
    parser.add_argument("names", nargs="*", help="workloads to run (default: all)")
    parser.add_argument("--size", type=int, default=None)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--json", default="var/bench.json")
    args = parser.parse_args(argv)
    if args.child:
        child_main(args.names[0], args.size)
        return 0
    load_all()
    names = args.names or sorted(WORKLOADS)
    rows = []
    for name in names:
        print(f"running {name} ...", file=sys.stderr, flush=True)
        started = time.perf_counter()
        rows.append(run_in_child(name, args.size))
        print(f"  done in {time.perf_counter() - started:.1f}s", file=sys.stderr, flush=True)
    machine = {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    print_table(rows)
    os.makedirs(os.path.dirname(args.json) or ".", exist_ok=True)
    with open(args.json, "w") as fh:
        json.dump({"machine": machine, "results": [asdict_safe(r) for r in rows]}, fh, indent=2)
    print(f"\nwritten {args.json} ({machine['platform']}, {machine['cpus']} CPUs)")
    return 1 if any("error" in r for r in rows) else 0


def asdict_safe(row):
    return asdict(row) if hasattr(row, "__dataclass_fields__") else row
