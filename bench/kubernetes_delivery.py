"""What progressive delivery adds to a Kubernetes run: four LISTs and two rules.

Collection: the suite's list-auto read of 2,000 Deployments in 20 namespaces (8,000
objects, `bench/kubernetes.py`'s recorded API server in its own process, 50 ms per
request), with every kind the suite reads against the same read without the four
delivery kinds (Rollout, AnalysisTemplate, ClusterAnalysisTemplate, Canary): the baseline.

Judging: 2,000 and 10,000 Deployments with every other one released by an Argo Rollout
(workloadRef, an analysis step on an AnalysisTemplate) and every Service paired with a
preview Service; timed: the delivery index, K8S-PROGRESSIVE-DELIVERY's and
K8S-ROLLOUT-ANALYSIS's rules for every workload (the Services selecting each workload
come from the source's relation index, built once per run and not timed here), against
the relation rules every run already applies (`bench/kubernetes.py --judge`'s indexed
side) as the baseline.

Run: python -m bench.kubernetes_delivery [--repeat 5] [--append bench/RESULTS.md]
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import os
import statistics
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from bench.kubernetes import NAMESPACES, PER_NAMESPACE, judge_indexed, serve
from readiness.demo._k8s_cluster import synthetic_cluster
from readiness.profile.kubernetes import KubeCluster, ProgressiveDelivery
from readiness.rules import kubernetes_delivery as delivery
from readiness.rules.kubernetes_delivery_model import DELIVERY_KINDS
from readiness.rules.kubernetes_index import KubeIndex
from readiness.rules.kubernetes_model import Inventory, RawObject, build_inventory
from readiness.sources.kubernetes import KINDS, ClusterReader

ACCEPTED = ["canary", "blue-green"]


def collect(cluster: KubeCluster, with_delivery: bool) -> int:
    kinds = KINDS if with_delivery else tuple(k for k in KINDS if k.kind not in DELIVERY_KINDS)
    reader = ClusterReader(cluster)
    try:
        inventory, stats = reader.collect(kinds)
    finally:
        reader.close()
    if inventory.missing:
        raise RuntimeError(f"LISTs failed: {inventory.missing}")
    return stats.requests


def collection(latency: float, repeat: int) -> list[tuple[str, int, float]]:
    ctx = multiprocessing.get_context("spawn")
    urls, stop = ctx.Queue(), ctx.Event()
    process = ctx.Process(target=serve, args=(latency, urls, stop), daemon=True)
    process.start()
    url = urls.get(timeout=120)
    namespaces = [f"team-{i:02d}" for i in range(NAMESPACES)]
    cluster = KubeCluster(name="bench", api_url=url, timeout=60, namespaces=namespaces)
    sides = {"without delivery kinds": False, "with": True}
    times: dict[str, list[float]] = {name: [] for name in sides}
    requests: dict[str, int] = {}
    try:
        for with_delivery in sides.values():
            collect(cluster, with_delivery)  # warm-up
        for _ in range(repeat):  # interleaved: load on the shared cores hits both sides
            for name, with_delivery in sides.items():
                started = time.perf_counter()
                requests[name] = collect(cluster, with_delivery)
                times[name].append(time.perf_counter() - started)
    finally:
        stop.set()
        process.join(10)
    rows = [(name, requests[name], statistics.median(times[name])) for name in sides]
    for name, count, seconds in rows:
        print(f"{name:24} {count:4d} requests {seconds:6.2f} s", flush=True)
    return rows


def released_inventory(per_namespace: int) -> Inventory:
    """The synthetic cluster, every other Deployment behind a Rollout, Services paired."""
    lists = synthetic_cluster(NAMESPACES, per_namespace)
    raw: list[dict[str, Any]] = [
        {"kind": str(listing["kind"]).removesuffix("List"), **item}
        for listing in lists.values()
        for item in listing["items"]
    ]
    extra: list[dict[str, Any]] = []
    for obj in raw:
        meta = obj["metadata"]
        if obj["kind"] == "Deployment":
            template = obj["spec"]["template"]["metadata"]
            template["labels"] = {**template["labels"], "slot": "a"}
            if int(meta["name"].rsplit("-", 1)[1]) % 2 == 0:
                extra.append(_rollout(meta["namespace"], meta["name"]))
        if obj["kind"] == "Service":
            preview = {**obj, "metadata": {**meta, "name": f"{meta['name']}-preview"}}
            preview["spec"] = {**obj["spec"], "selector": {**obj["spec"]["selector"], "slot": "b"}}
            obj["spec"] = {**obj["spec"], "selector": {**obj["spec"]["selector"], "slot": "a"}}
            extra.append(preview)
    for ns in {o["metadata"]["namespace"] for o in raw if "namespace" in o["metadata"]}:
        extra.append(
            {
                "kind": "AnalysisTemplate",
                "metadata": {"name": "success-rate", "namespace": ns},
                "spec": {
                    "metrics": [
                        {
                            "name": "success-rate",
                            "successCondition": "result[0] >= 0.99",
                            "provider": {"prometheus": {"query": "vector(1)"}},
                        }
                    ]
                },
            }
        )
    return build_inventory("bench", True, [RawObject(o) for o in raw + extra])


def _rollout(namespace: str, name: str) -> dict[str, Any]:
    return {
        "kind": "Rollout",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "workloadRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
            "strategy": {
                "canary": {
                    "steps": [
                        {"setWeight": 20},
                        {"analysis": {"templates": [{"templateName": "success-rate"}]}},
                    ]
                }
            },
        },
    }


def judge_delivery(inv: Inventory, related: KubeIndex) -> int:
    index = delivery.DeliveryIndex(inv)
    labels = ProgressiveDelivery().colour_labels
    findings = 0
    for w in inv.workloads:
        found = index.for_workload(w, labels, related.services_for(w))
        findings += len(delivery.strategy_problems(found, index, ACCEPTED))
        if found.rollouts or found.canaries:  # a Service pair alone: analysis skipped
            findings += len(delivery.analysis_problems(found, index))
    return findings


def judging(repeat: int) -> list[tuple[int, float, float, int]]:
    now = dt.datetime.now(dt.UTC)
    rows = []
    for per_namespace in (100, 500):
        inv = released_inventory(per_namespace)
        base = statistics.median(_timed(partial(judge_indexed, inv, now)) for _ in range(repeat))
        related = KubeIndex(inv)  # the source's relation index: built once per run anyway
        new = statistics.median(
            _timed(partial(judge_delivery, inv, related)) for _ in range(repeat)
        )
        findings = judge_delivery(inv, related)
        rows.append((len(inv.workloads), base, new, findings))
        print(
            f"{len(inv.workloads):6d} workloads: relation rules {base:.2f} s, "
            f"delivery {new:.3f} s, {findings} findings",
            flush=True,
        )
    return rows


def _timed(fn: Callable[[], int]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def tables(coll: list[tuple[str, int, float]], judged: list[tuple[int, float, float, int]]) -> str:
    base = coll[0][2]
    lines = [
        "| collection | requests | wall time | vs without |",
        "|---|---|---|---|",
        *(f"| {n} | {r} | {s:.2f} s | {s / base:.2f}x |" for n, r, s in coll),
        "",
        "| workloads | relation rules (baseline) | delivery index + rules | vs baseline | "
        "findings |",
        "|---|---|---|---|---|",
        *(f"| {w:,} | {b:.2f} s | {d:.3f} s | {d / b:.2f}x | {f} |" for w, b, d, f in judged),
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--append", help="append a Markdown section to this file")
    args = parser.parse_args()
    text = tables(collection(args.latency, args.repeat), judging(args.repeat))
    print(text)
    if args.append:
        with open(args.append, "a", encoding="utf-8") as fh:
            fh.write(
                "\n## Progressive delivery's cost (`bench/kubernetes_delivery.py`)\n\n"
                f"{NAMESPACES * PER_NAMESPACE:,} Deployments in {NAMESPACES} namespaces from "
                f"the recorded API server in its own process, {args.latency * 1000:.0f} ms "
                "per request, list-auto (one cluster-wide LIST per kind); judging: every "
                "other Deployment behind a Rollout with an analysis step, every Service "
                "paired with a preview Service. 2 cores, load average "
                f"{os.getloadavg()[0]:.1f}; median of {args.repeat}.\n\n{text}\n"
            )


if __name__ == "__main__":
    main()
