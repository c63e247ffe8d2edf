"""Bulk LISTs vs one GET per object against a recorded cluster with API latency.

2,000 Deployments in 20 namespaces (each with a Service and two Pods: 8,000 objects),
served by the recorded API server over HTTP on 127.0.0.1, in its own process, with a
fixed delay per request (default 50 ms, like a remote API server). Strategies, all with
the real `kubernetes` client:

  get-per-object      one GET per Deployment, Service and Pod (16 concurrent)
  list-ns-sequential  one LIST per kind and namespace, one at a time
  list-ns-concurrent  one LIST per kind and namespace, 16 concurrent
  list-auto           what the suite does for 20 namespaces: one cluster-wide LIST per
                      kind (paginated, filtered to the namespaces), 16 concurrent

Run: python bench/kubernetes.py [--latency 0.05] [--append bench/RESULTS.md]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

from kubernetes import client as k8s

from readiness.demo._k8s_api import RecordedApiServer, Recording
from readiness.demo._k8s_cluster import synthetic_cluster
from readiness.profile.kubernetes import KubeCluster
from readiness.sources.api import gather
from readiness.sources.kubernetes import ClusterReader, api_client

NAMESPACES, PER_NAMESPACE, WORKERS = 20, 100, 16


def refs_of(lists: dict[str, dict[str, Any]]) -> list[tuple[str, str, str]]:
    refs: list[tuple[str, str, str]] = []
    for listing in lists.values():
        kind = str(listing["kind"]).removesuffix("List")
        if kind in ("Deployment", "Service", "Pod"):
            refs.extend(
                (kind, i["metadata"]["namespace"], i["metadata"]["name"]) for i in listing["items"]
            )
    return refs


def per_object(refs: list[tuple[str, str, str]], cluster: KubeCluster) -> tuple[int, int]:
    """What a naive collector does: GET each object it cares about."""
    api = api_client(cluster)
    apps, core = k8s.AppsV1Api(api), k8s.CoreV1Api(api)
    read: dict[str, Callable[..., Any]] = {
        "Deployment": apps.read_namespaced_deployment,
        "Service": core.read_namespaced_service,
        "Pod": core.read_namespaced_pod,
    }

    def get(ref: tuple[str, str, str]) -> int:
        kind, ns, name = ref
        response = read[kind](name, ns, _preload_content=False, _request_timeout=30)
        size = len(response.data)
        response.release_conn()
        return size

    results = gather(get, refs, max_workers=WORKERS)
    errors = [r for r in results if isinstance(r, Exception)]
    if errors:
        raise RuntimeError(f"{len(errors)} GETs failed, e.g. {errors[0]}")
    api.close()  # type: ignore[no-untyped-call]
    return len(refs), len(refs)


def serve(latency: float, urls: Any, stop: Any) -> None:
    """The API server's side, in its own process (as a remote server would be)."""
    lists = synthetic_cluster(NAMESPACES, PER_NAMESPACE)
    server = RecordedApiServer(Recording(lists), latency=latency).start()
    urls.put(server.url)
    stop.wait()
    server.stop()


def bulk(cluster: KubeCluster) -> tuple[int, int]:
    reader = ClusterReader(cluster)
    try:
        inventory, stats = reader.collect()
    finally:
        reader.close()
    if inventory.missing:
        raise RuntimeError(f"LISTs failed: {inventory.missing}")
    return stats.requests, len(inventory.workloads) + len(inventory.services) + len(inventory.pods)


def run(latency: float, repeat: int) -> list[tuple[str, int, int, float]]:
    refs = refs_of(synthetic_cluster(NAMESPACES, PER_NAMESPACE))
    ctx = multiprocessing.get_context("spawn")
    urls, stop = ctx.Queue(), ctx.Event()
    process = ctx.Process(target=serve, args=(latency, urls, stop), daemon=True)
    process.start()
    url = urls.get(timeout=120)
    namespaces = [f"team-{i:02d}" for i in range(NAMESPACES)]
    base: dict[str, Any] = {"name": "bench", "api_url": url, "timeout": 60}
    strategies: dict[str, Callable[[], tuple[int, int]]] = {
        "get-per-object": lambda: per_object(refs, KubeCluster(**base)),
        "list-ns-sequential": lambda: bulk(
            KubeCluster(**base, namespaces=namespaces, max_workers=1, list_scope="namespace")
        ),
        "list-ns-concurrent": lambda: bulk(
            KubeCluster(**base, namespaces=namespaces, list_scope="namespace")
        ),
        "list-auto": lambda: bulk(KubeCluster(**base, namespaces=namespaces)),
    }
    rows = []
    try:
        for name, fn in strategies.items():
            times, requests, objects = [], 0, 0
            if name != "get-per-object":
                fn()  # warm-up: connection pool, imports, first-request costs
            for _ in range(1 if name == "get-per-object" else repeat):
                started = time.perf_counter()
                requests, objects = fn()
                times.append(time.perf_counter() - started)
            rows.append((name, requests, objects, statistics.median(times)))
            print(
                f"{name:18} {requests:6d} requests {objects:6d} objects "
                f"{statistics.median(times):8.2f} s",
                flush=True,
            )
    finally:
        stop.set()
        process.join(10)
    return rows


def table(rows: list[tuple[str, int, int, float]], latency: float) -> str:
    baseline = rows[0][3]
    lines = [
        "| strategy | requests | objects | wall time | vs one GET per object |",
        "|---|---|---|---|---|",
    ]
    for name, requests, objects, seconds in rows:
        lines.append(
            f"| {name} | {requests} | {objects} | {seconds:.2f} s | {baseline / seconds:.1f}x |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--append", help="append a Markdown section to this file")
    args = parser.parse_args()
    rows = run(args.latency, args.repeat)
    text = table(rows, args.latency)
    print(text)
    if args.append:
        load = os.getloadavg()[0]
        with open(args.append, "a", encoding="utf-8") as fh:
            fh.write(
                f"\n## Kubernetes collection (`bench/kubernetes.py`)\n\n"
                f"{NAMESPACES * PER_NAMESPACE:,} Deployments in {NAMESPACES} namespaces (plus a "
                f"Service and two Pods each) served by the recorded API server in its own "
                f"process on 127.0.0.1 "
                f"with {args.latency * 1000:.0f} ms latency per request; the real `kubernetes` "
                f"client, {WORKERS} workers where concurrent, page size 500. 2 cores, load "
                f"average {load:.1f}; median of {args.repeat} after a warm-up (GETs: one "
                f"run).\n\n{text}\n"
            )


if __name__ == "__main__":
    main()
