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

Run: python -m bench.kubernetes [--latency 0.05] [--append bench/RESULTS.md]

With --judge: the rules that relate objects (budgets, autoscalers, NetworkPolicies,
Services and ingresses, pods and events of each workload) over 2,000 and 10,000
Deployments in 20 namespaces, judged through the source's index (built once) against
the same rules scanning every object for every workload (the baseline; at 10,000 it is
measured on an even sample of workloads and Services and scaled to all of them).

Run: python -m bench.kubernetes --judge [--append bench/RESULTS.md]

With --errors: the gate (`pytest --profile`, K8S-PDB only) over 2,000 Deployments,
once with every check passing and once with every check erroring (the
PodDisruptionBudget LIST forbidden): an errored check must cost no more than a passing one.

Run: python -m bench.kubernetes --errors [--append bench/RESULTS.md]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from kubernetes import client as k8s

from readiness.demo._k8s_api import RecordedApiServer, Recording, list_path
from readiness.demo._k8s_cluster import synthetic_cluster
from readiness.profile.kubernetes import KubeCluster
from readiness.rules import kubernetes as rules
from readiness.rules import kubernetes_live as live
from readiness.rules.kubernetes_index import KubeIndex
from readiness.rules.kubernetes_model import Inventory, RawObject, build_inventory
from readiness.sources.kubernetes import ClusterReader, api_client
from readiness.sources.run import gather

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


# ---------------------------------------------------------------- judging


def inventory_of(namespaces: int, per_namespace: int) -> tuple[Inventory, float]:
    lists = synthetic_cluster(namespaces, per_namespace)
    objects = [
        RawObject({"kind": str(listing["kind"]).removesuffix("List"), **item})
        for listing in lists.values()
        for item in listing["items"]
    ]
    started = time.perf_counter()
    inv = build_inventory("bench", True, objects)
    return inv, time.perf_counter() - started


def judge_indexed(inv: Inventory, now: dt.datetime) -> int:
    """What the relation checks do: ask the index, judge the candidates."""
    index = KubeIndex(inv)
    findings = 0
    for w in inv.workloads:
        hpas, pdbs = index.hpas_for(w), index.pdbs_for(w)
        services = index.services_for(w)
        pods = index.pods_of(w)
        findings += len(rules.too_few_replicas(w, hpas, 2))
        findings += len(rules.missing_pdb(w, pdbs, hpas))
        findings += len(rules.uncovered_by_network_policy(w, index.policies_for(w)))
        findings += len(rules.ungraceful_shutdown(w, services, index.ingresses_for(services), 10))
        findings += len(live.unhealthy_pods(w, pods, now, 5))
        findings += len(live.restarting(w, pods, now, 3, 60))
        findings += len(live.warning_events(w, pods, index.events_about(w, pods), now, 60))
    for s in inv.services:
        behind = index.workloads_behind(s)
        findings += len(rules.dangling_service(s, behind))
        findings += len(rules.unmonitored(s, index.monitors_for(s), behind))
    return findings


def judge_scanning(inv: Inventory, now: dt.datetime, every: int) -> int:
    """The same rules handed every object of the source (every ``every``-th target)."""
    findings = 0
    for w in inv.workloads[::every]:
        findings += len(rules.too_few_replicas(w, inv.hpas, 2))
        findings += len(rules.missing_pdb(w, inv.pdbs, inv.hpas))
        findings += len(rules.uncovered_by_network_policy(w, inv.network_policies))
        findings += len(rules.ungraceful_shutdown(w, inv.services, inv.ingresses, 10))
        findings += len(live.unhealthy_pods(w, inv.pods, now, 5))
        findings += len(live.restarting(w, inv.pods, now, 3, 60))
        findings += len(live.warning_events(w, inv.pods, inv.events, now, 60))
    for s in inv.services[::every]:
        findings += len(rules.dangling_service(s, inv.workloads))
        findings += len(rules.unmonitored(s, inv.service_monitors, inv.workloads))
    return findings


def judge(repeat: int) -> list[tuple[int, int, float, float, float, int]]:
    """(workloads, objects, parse s, indexed s, scanning s (scaled), sample step) per size."""
    now = dt.datetime.now(dt.UTC)
    rows = []
    for per_namespace, every in ((100, 1), (500, 20)):
        inv, parse = inventory_of(NAMESPACES, per_namespace)
        objects = len(inv.workloads) + len(inv.pods) + len(inv.services) + len(inv.pdbs)
        runs = [_timed(partial(judge_indexed, inv, now)) for _ in range(repeat)]
        indexed = statistics.median(seconds for seconds, _ in runs)
        scanned, found = _timed(partial(judge_scanning, inv, now, every))
        scanning = scanned * every
        if every == 1 and found != runs[0][1]:
            raise RuntimeError(f"index and scanning disagree: {runs[0][1]} vs {found} findings")
        rows.append((len(inv.workloads), objects, parse, indexed, scanning, every))
        print(
            f"{len(inv.workloads):6d} workloads: parse {parse:.2f} s, indexed {indexed:.2f} s, "
            f"scanning {scanning:.1f} s{' (scaled)' if every > 1 else ''}",
            flush=True,
        )
    return rows


def _timed(fn: Callable[[], int]) -> tuple[float, int]:
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def judge_table(rows: list[tuple[int, int, float, float, float, int]]) -> str:
    lines = [
        "| workloads | objects | parse | judged through the index | scanning every object "
        "| index vs scanning |",
        "|---|---|---|---|---|---|",
    ]
    for workloads, objects, parse, indexed, scanning, every in rows:
        note = f" (1 in {every} targets, scaled)" if every > 1 else ""
        lines.append(
            f"| {workloads:,} | {objects:,} | {parse:.2f} s | {indexed:.2f} s | "
            f"{scanning:.1f} s{note} | {scanning / indexed:.0f}x |"
        )
    (small, *_, large) = rows
    lines.append(
        f"\n{large[0] // small[0]}x the workloads: the index takes "
        f"{large[3] / small[3]:.1f}x the time, scanning "
        f"{large[4] / small[4]:.0f}x."
    )
    return "\n".join(lines)


# ---------------------------------------------------------------- errored checks


def gate_seconds(url: str, work: Path) -> tuple[float, dict[str, int]]:
    """Wall time of one gate run of K8S-PDB over the cluster at ``url``; its summary."""
    from readiness.plugin import checks_dir

    work.mkdir(parents=True)
    profile = {
        "environment": "production",
        "targets": {"kubernetes": [{"name": "big", "api_url": url}]},
    }
    (work / "profile.yaml").write_text(json.dumps(profile))
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--profile=profile.yaml",
            "-p",
            "no:cacheprovider",
            "-q",
            "-k",
            "test_pdb and not selector",
            str(checks_dir() / "test_kubernetes.py"),
        ],
        cwd=work,
        capture_output=True,
        timeout=1800,
        check=False,
    )
    seconds = time.perf_counter() - started
    report = json.loads((work / "reports" / "readiness-report.json").read_text())
    return seconds, report["summary"]


def errors(repeat: int) -> list[tuple[str, float, dict[str, int]]]:
    lists = synthetic_cluster(NAMESPACES, PER_NAMESPACE)
    servers = {
        "every check passes": RecordedApiServer(Recording(lists)).start(),
        "every check errs (LIST forbidden)": RecordedApiServer(
            Recording(lists, {list_path("PodDisruptionBudget", None)})
        ).start(),
    }
    rows = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for name, server in servers.items():
                runs = [
                    gate_seconds(server.url, Path(tmp) / f"{len(rows)}-{i}") for i in range(repeat)
                ]
                seconds = statistics.median(r[0] for r in runs)
                rows.append((name, seconds, runs[0][1]))
                print(f"{name:36} {seconds:7.1f} s {runs[0][1]}", flush=True)
    finally:
        for server in servers.values():
            server.stop()
    return rows


def errors_table(rows: list[tuple[str, float, dict[str, int]]]) -> str:
    base = rows[0][1]
    lines = ["| run | checks passed / error | wall time | vs passing |", "|---|---|---|---|"]
    for name, seconds, summary in rows:
        lines.append(
            f"| {name} | {summary['passed']} / {summary['error']} | {seconds:.1f} s | "
            f"{seconds / base:.2f}x |"
        )
    return "\n".join(lines)


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
    parser.add_argument("--judge", action="store_true", help="time the rules, not the LISTs")
    parser.add_argument("--errors", action="store_true", help="errored vs passing gate runs")
    args = parser.parse_args()
    if args.errors:
        text = errors_table(errors(args.repeat))
        print(text)
        if args.append:
            with open(args.append, "a", encoding="utf-8") as fh:
                fh.write(
                    "\n## Kubernetes errored checks (`bench/kubernetes.py --errors`)\n\n"
                    f"The gate (`pytest --profile`, K8S-PDB selected) over "
                    f"{NAMESPACES * PER_NAMESPACE:,} Deployments served by the recorded API "
                    "server on 127.0.0.1, in a fresh pytest process per run; median of "
                    f"{args.repeat}, load average {os.getloadavg()[0]:.1f}.\n\n{text}\n"
                )
        return
    if args.judge:
        judged = judge(args.repeat)
        text = judge_table(judged)
        print(text)
        if args.append:
            load = os.getloadavg()[0]
            with open(args.append, "a", encoding="utf-8") as fh:
                fh.write(
                    "\n## Kubernetes rules at cluster size (`bench/kubernetes.py --judge`)\n\n"
                    f"Deployments in {NAMESPACES} namespaces, each with a Service, a "
                    "PodDisruptionBudget and two pods, a default-deny NetworkPolicy per "
                    "namespace, parsed from the synthetic recording. Timed: every rule "
                    "relating objects (replicas/HPA, PDB, NetworkPolicy, graceful shutdown "
                    "behind Services and ingresses, pod health, restarts, warning events, "
                    "Service selectors and scraping) for every workload and Service, in one "
                    f"process. 2 cores, load average {load:.1f}; index: median of "
                    f"{args.repeat}, building the index included.\n\n{text}\n"
                )
        return
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
