"""A DORA writer process for the concurrency and crash tests (not a test module).

Usage: python dora_writer.py STORE WORKER START COUNT
Records runs WORKER-START .. WORKER-(COUNT-1), each with three deployments in one
batch, and prints each index once its batch is committed.
"""

from __future__ import annotations

import datetime as dt
import sys

from readiness.dora.model import Batch, Deployment, GateRun
from readiness.dora.store import open_store

SERVICES = ("cart", "checkout", "search")
T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def batch(worker: str, i: int) -> Batch:
    at = T0 + dt.timedelta(seconds=i)
    run_id = f"{worker}-{i}"
    run = GateRun(
        id=run_id,
        profile="production",
        environment="production",
        passed=True,
        started_at=at,
        finished_at=at,
        services=SERVICES,
        summary=(("passed", 3),),
    )
    deployments = tuple(
        Deployment(
            id=f"{run_id}:{s}",
            service=s,
            environment="production",
            deployed_at=at,
            version=f"1.{i}",
            commit_time=at - dt.timedelta(hours=1),
            run_id=run_id,
        )
        for s in SERVICES
    )
    return Batch(run=run, deployments=deployments)


def main(argv: list[str]) -> int:
    location, worker, start, count = argv[0], argv[1], int(argv[2]), int(argv[3])
    store = open_store(location)
    new = 0
    try:
        for i in range(start, count):
            written = store.apply(batch(worker, i), T0)
            new += int(written.run_recorded)
            print(i, flush=True)
    finally:
        store.close()
    print(f"new={new}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
