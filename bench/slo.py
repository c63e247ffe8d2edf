"""Benchmark: 50 SLOs x 7 burn windows against a real Prometheus with 30 days of history.

Sequential: one instant query per (SLO, window), one after the other (350 queries).
Batched: one query per SLO returning all seven windows (``label_replace(...) or ...``),
SLOs queried concurrently (8 workers), as ``readiness.sources.slo_prometheus`` does.
Shared: the same, with identical queries run once (``SharedQueries``): the 50 SLOs are
10 services x 5 targets, so 10 distinct SLIs. All must return the same numbers.
Run: ``python bench/slo.py [--repeat 3] [--services 10 --per-service 5]``.
"""

from __future__ import annotations

import argparse
import math
import statistics
import tempfile
import time
from pathlib import Path

from readiness.demo.procs import free_port
from readiness.demo.slo_history import (
    ServiceHistory,
    load_history,
    native_slo,
    start_prometheus,
)
from readiness.profile.common import Endpoint
from readiness.profile.slo import SloSpec
from readiness.rules.slo import BURN_WINDOWS
from readiness.rules.slo_model import Objective, error_ratio_expr
from readiness.sources.api import ApiClient
from readiness.sources.prometheus import PrometheusClient
from readiness.sources.run import gather
from readiness.sources.slo_prometheus import SharedQueries, union
from readiness.sources.slo_specs import from_native

TARGETS = (99.0, 99.5, 99.9, 99.95, 99.99)


def objectives(services: int, per_service: int) -> list[Objective]:
    out = []
    for i in range(services):
        spec = native_slo(f"svc{i:02d}")
        base = spec["objectives"][0]  # type: ignore[index]
        spec["objectives"] = [
            {**base, "name": f"availability-{t:g}", "target": t} for t in TARGETS[:per_service]
        ]
        out.extend(from_native(SloSpec.model_validate(spec), "bench"))
    return out


def sequential(client: PrometheusClient, objs: list[Objective], at: float) -> dict[str, float]:
    out = {}
    for o in objs:
        for w in BURN_WINDOWS:
            result = client.query(error_ratio_expr(o, w), time=at)
            out[f"{o.id}@{w}"] = float(result[0]["value"][1]) if result else math.nan
    return out


def batched(
    client: PrometheusClient | SharedQueries, objs: list[Objective], at: float
) -> dict[str, float]:
    def one(o: Objective) -> dict[str, float]:
        query = union({w: error_ratio_expr(o, w) for w in BURN_WINDOWS})
        return {
            f"{o.id}@{r['metric']['window']}": float(r["value"][1])
            for r in client.query(query, time=at)
        }

    out: dict[str, float] = {}
    for part in gather(one, objs, max_workers=8):
        if isinstance(part, Exception):
            raise part
        out.update(part)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--services", type=int, default=10, help="distinct SLIs")
    parser.add_argument("--per-service", type=int, default=5, choices=range(1, 6))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        end = int(time.time()) - 60
        t0 = time.perf_counter()
        services = [ServiceHistory(f"svc{i:02d}", 0.0002 * (i + 1)) for i in range(args.services)]
        load_history(work, services, end)
        setup = time.perf_counter() - t0
        port = free_port()
        proc = start_prometheus(work, port)
        try:
            url = f"http://127.0.0.1:{port}"
            client = PrometheusClient(ApiClient("bench", Endpoint(url=url, timeout=60)))
            objs = objectives(args.services, args.per_service)
            end -= end % 60
            seq_times, bat_times, shared_times = [], [], []
            for _ in range(args.repeat):
                t = time.perf_counter()
                seq = sequential(client, objs, end)
                seq_times.append(time.perf_counter() - t)
                t = time.perf_counter()
                bat = batched(client, objs, end)
                bat_times.append(time.perf_counter() - t)
                shared = SharedQueries(client)
                t = time.perf_counter()
                dedup = batched(shared, objs, end)
                shared_times.append(time.perf_counter() - t)
            for result in (bat, dedup):
                assert seq.keys() == result.keys(), "batched and sequential disagree on series"
                for key, value in seq.items():
                    assert math.isclose(value, result[key], rel_tol=1e-9), key
        finally:
            proc.stop()
    s, b = statistics.median(seq_times), statistics.median(bat_times)
    d = statistics.median(shared_times)
    print(f"history: {args.services} services x 2 series x 30 days @ 1 min, backfill {setup:.1f} s")
    print(
        f"{len(objs)} SLOs x {len(BURN_WINDOWS)} windows = {len(objs) * len(BURN_WINDOWS)} "
        f"values, median of {args.repeat}"
    )
    print(f"sequential: {len(objs) * len(BURN_WINDOWS)} queries  {s:.3f} s")
    print(f"batched+concurrent: {len(objs)} queries, 8 workers  {b:.3f} s")
    print(f"ratio: {s / b:.1f}x")
    print(
        f"batched+concurrent, identical SLI queries shared: {shared.executed} queries  "
        f"{d:.3f} s  ratio: {s / d:.1f}x"
    )


if __name__ == "__main__":
    main()
