"""A gate over misbehaving targets ends within 2 x the deadline plus the healthy run.

Two real gate runs (``pytest --profile=...`` in a subprocess, reports written) over the
same profile shape, measured in the same run with the same engine and settings:

* healthy: every target (Prometheus, Alertmanager, four HTTP services, a Kubernetes
  API) is a server on 127.0.0.1 that answers at once;
* faulty: the same targets are the fault zoo's (tests/fixtures/faultzoo.py): silent,
  dribbling, blackhole, endless body, non-Kubernetes JSON.

It prints both times, the bound (healthy + 2 x deadline) and the faulty run's share of
it, and how many connections the silent Prometheus saw (every family shares one read).

    python bench/faulty_targets.py [--deadline 5] [--repeat 2]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fixtures.faultzoo import FaultZoo, start_zoo  # noqa: E402

ROLES = {"shop": "html-for-json", "cart": "dribbling", "pay": "blackhole", "feed": "huge-body"}


def profile(zoo: FaultZoo, deadline: float, faulty: bool) -> dict[str, Any]:
    def url(fault: str) -> str:
        return zoo.url(fault if faulty else "healthy")

    return {
        "environment": "bench",
        "limits": {"deadline": deadline},
        "http": {"timeout": deadline},
        "dora": {"record": False},
        "targets": {
            "services": [
                {"name": n, "url": url(f), "health": {"path": "/healthz"}} for n, f in ROLES.items()
            ],
            "prometheus": {"url": url("silent")},
            "alertmanager": {"url": url("dribbling")},
            "kubernetes": [{"name": "k", "api_url": zoo.url("healthy"), "token": "bench-token"}],
        },
    }


def gate(workdir: Path, data: dict[str, Any], name: str) -> float:
    path = workdir / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data))
    started = time.monotonic()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            f"--profile={path}",
            "-p",
            "no:cacheprovider",
            f"--report-dir={workdir / name}",
            "-q",
        ],
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deadline", type=float, default=5.0)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        zoo = start_zoo(workdir / "zoo")
        try:
            healthy, faulty, silent_reads = [], [], []
            for i in range(args.repeat):
                healthy.append(gate(workdir, profile(zoo, args.deadline, False), f"h{i}"))
                before = zoo.servers["silent"].accepted
                faulty.append(gate(workdir, profile(zoo, args.deadline, True), f"f{i}"))
                silent_reads.append(zoo.servers["silent"].accepted - before)
        finally:
            zoo.close()
    h, f = statistics.median(healthy), statistics.median(faulty)
    bound = h + 2 * args.deadline
    print(f"deadline {args.deadline:g}s, median of {args.repeat}")
    print(f"healthy targets: {h:.1f}s")
    print(f"fault zoo:       {f:.1f}s  (bound healthy + 2 x deadline = {bound:.1f}s)")
    print(f"faulty / bound:  {f / bound:.2f}x   faulty / healthy: {f / h:.2f}x")
    print(f"connections to the silent Prometheus per run: {silent_reads}")


if __name__ == "__main__":
    main()
