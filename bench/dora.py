"""DORA store at scale: 1,000,000 deployments and 50,000 incidents (50 services, two
years), on SQLite and on a throwaway PostgreSQL. Measures bulk load, 30-day metrics for
one service and for all (goal: < 1 s each), and recording throughput of whole gate runs
(one transaction each) from 1 and from 8 processes.

    python bench/dora.py [--deployments 1000000] [--incidents 50000] [--repeat 3]
                         [--backend sqlite --backend postgresql] [--out bench/RESULTS.md]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from readiness.dora.recorder import measure  # noqa: E402
from readiness.dora.store import open_store  # noqa: E402

NOW = dt.datetime(2026, 11, 24, tzinfo=dt.UTC)
SPAN_DAYS = 730
SERVICES = [f"svc-{n:02d}" for n in range(50)]
DEPLOYMENT_COLUMNS = (
    "id, service, environment, deployed_at, version, commit_sha, commit_time, "
    "first_commit_time, run_id, kind, recorded_at"
)
INCIDENT_COLUMNS = (
    "id, service, environment, opened_at, severity, title, resolved_at, deployment_id, "
    "source, opened_by_run, resolved_by_run, recorded_at"
)
WRITER = ROOT / "tests" / "integration" / "dora_writer.py"


def rows(
    deployments: int, incidents: int, seed: int = 1
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    rng = random.Random(seed)
    end = int(NOW.timestamp())
    start = end - SPAN_DAYS * 86400
    kinds = ["planned"] * 18 + ["rollback", "hotfix"]
    deps = []
    for n in range(deployments):
        at = rng.randint(start, end)
        lead = rng.randint(600, 14 * 86400)
        deps.append(
            (
                f"d{n}",
                SERVICES[n % len(SERVICES)],
                "production",
                at,
                "1.0",
                "",
                at - lead // 3,
                at - lead,
                "",
                kinds[n % len(kinds)],
                end,
            )
        )
    incs = []
    for n in range(incidents):
        d = deps[rng.randrange(deployments)]
        opened = d[3] + rng.randint(60, 7200)
        resolved = opened + rng.randint(300, 3 * 86400) if n % 50 else None
        incs.append(
            (f"i{n}", d[1], "production", opened, "SEV2", "", resolved, d[0], "manual", "", "", end)
        )
    return deps, incs


def load(location: str, deps: list[tuple[Any, ...]], incs: list[tuple[Any, ...]]) -> float:
    store = open_store(location)
    t0 = time.perf_counter()
    try:
        with store._tx() as cur:  # type: ignore[attr-defined]
            if location.startswith("postgresql://"):
                with cur.copy(f"COPY deployments ({DEPLOYMENT_COLUMNS}) FROM STDIN") as copy:
                    for r in deps:
                        copy.write_row(r)
                with cur.copy(f"COPY incidents ({INCIDENT_COLUMNS}) FROM STDIN") as copy:
                    for r in incs:
                        copy.write_row(r)
                cur.execute("ANALYZE deployments")
                cur.execute("ANALYZE incidents")
            else:
                cur.executemany(
                    f"INSERT INTO deployments ({DEPLOYMENT_COLUMNS}) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    deps,
                )
                cur.executemany(
                    f"INSERT INTO incidents ({INCIDENT_COLUMNS}) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    incs,
                )
        if not location.startswith("postgresql://"):
            with store._tx() as cur:  # type: ignore[attr-defined]
                cur.execute("ANALYZE")
    finally:
        store.close()
    return time.perf_counter() - t0


def best(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def metrics_times(location: str, repeat: int) -> dict[str, float]:
    store = open_store(location)
    try:

        def one() -> object:
            return measure(store, NOW, 30, [SERVICES[7]], "production")

        def every() -> object:
            return measure(store, NOW, 30, [], "production")

        def every_with_trends() -> object:
            return measure(store, NOW, 30, [], "production", weeks=8, per_service=True)

        sample = measure(store, NOW, 30, [], "production")["metrics"]
        print(
            f"  30-day sample: {sample['deployment_frequency']['deployments']} deployments, "
            f"{sample['time_to_restore']['sample']} restores",
            flush=True,
        )
        return {
            "one service, 30 days": best(one, repeat),
            "all services, 30 days": best(every, repeat),
            "all services + per service + 8 weekly points": best(every_with_trends, repeat),
        }
    finally:
        store.close()


def record_throughput(location: str, workers: int, per_worker: int) -> float:
    """Gate runs (1 run + 3 deployments, one transaction each) per second."""
    open_store(location).close()
    t0 = time.perf_counter()
    procs = [
        subprocess.Popen(
            [sys.executable, str(WRITER), location, f"bench{workers}w{n}", "0", str(per_worker)],
            stdout=subprocess.DEVNULL,
        )
        for n in range(workers)
    ]
    for p in procs:
        if p.wait() != 0:
            raise SystemExit(f"writer failed on {location}")
    return workers * per_worker / (time.perf_counter() - t0)


@contextmanager
def backend(name: str, workdir: Path) -> Iterator[Callable[[], str]]:
    if name == "sqlite":
        counter = iter(range(1000))
        yield lambda: str(workdir / f"dora-{next(counter)}.sqlite")
        return
    from tests.fixtures.dora import running_postgres

    with running_postgres() as server:
        yield server.new_database


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--deployments", type=int, default=1_000_000)
    parser.add_argument("--incidents", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--runs", type=int, default=500, help="gate runs per writer")
    parser.add_argument("--backend", action="append", choices=["sqlite", "postgresql"])
    parser.add_argument("--out", type=Path, help="append a Markdown section to this file")
    args = parser.parse_args()
    backends = args.backend or ["sqlite", "postgresql"]
    t0 = time.perf_counter()
    deps, incs = rows(args.deployments, args.incidents)
    print(
        f"generated {len(deps)} deployments, {len(incs)} incidents in "
        f"{time.perf_counter() - t0:.1f} s",
        flush=True,
    )
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="dora-bench-") as tmp:
        for name in backends:
            with backend(name, Path(tmp)) as new_location:
                location = new_location()
                print(f"{name}: loading", flush=True)
                res = {"bulk load (s)": load(location, deps, incs)}
                res.update(metrics_times(location, args.repeat))
                for workers in (1, 8):
                    res[f"record runs/s, {workers} writer(s)"] = record_throughput(
                        new_location(), workers, args.runs
                    )
                results[name] = res
                for key, value in res.items():
                    print(f"  {key}: {value:.3f}", flush=True)
    text = report(results, args)
    print(text)
    if args.out:
        with args.out.open("a", encoding="utf-8") as fh:
            fh.write("\n" + text)
    return 0


def report(results: dict[str, dict[str, float]], args: argparse.Namespace) -> str:
    names = list(results)
    keys = list(next(iter(results.values())))
    lines = [
        "## DORA store (bench/dora.py)",
        "",
        f"{args.deployments:,} deployments and {args.incidents:,} incidents, 50 services over "
        f"two years (~{args.deployments * 30 // SPAN_DAYS:,} deployments in a 30-day window); "
        f"metrics: best of {args.repeat}, from the store to the five metrics (query + maths); "
        f"recording: whole gate runs (1 run + 3 deployments, one transaction each), "
        f"{args.runs} per writer process. {_machine()}",
        "",
        "| measure | "
        + " | ".join(names)
        + (" | PostgreSQL / SQLite |" if len(names) == 2 else " |"),
        "|---|" + "---|" * len(names) + ("---|" if len(names) == 2 else ""),
    ]
    for key in keys:
        throughput = "runs/s" in key
        cells = [
            f"{results[n][key]:.0f}" if throughput else f"{results[n][key]:.3f}" for n in names
        ]
        unit = "" if throughput or "(s)" in key else " (s)"
        ratio = ""
        if len(names) == 2:
            a, b = results[names[0]][key], results[names[1]][key]
            ratio = f" | {b / a:.2f}" if a else " | n/a"
        lines.append(f"| {key}{unit} | " + " | ".join(cells) + ratio + " |")
    goal = all(results[n][k] < 1.0 for n in names for k in keys if "30 days" in k)
    lines += [
        "",
        f"Goal (< 1 s for the 30-day metrics, one service and all): "
        f"{'met' if goal else 'NOT met'}.",
        "",
    ]
    return "\n".join(lines)


def _machine() -> str:
    import os
    import platform

    return f"Machine: {os.cpu_count()} cores, Python {platform.python_version()}."


if __name__ == "__main__":
    sys.exit(main())
