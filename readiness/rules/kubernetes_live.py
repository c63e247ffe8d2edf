"""Rules that only a live cluster can answer: rollout state, pod health, restarts, nodes.

Pure: time comes in as ``now``; objects come from :mod:`readiness.rules.kubernetes_model`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from readiness.findings import Finding
from readiness.rules.kubernetes import where
from readiness.rules.kubernetes_model import Event, Node, Pod, Workload

BAD_WAITING = frozenset(
    {
        "CrashLoopBackOff",
        "ImagePullBackOff",
        "ErrImagePull",
        "InvalidImageName",
        "CreateContainerConfigError",
        "CreateContainerError",
        "RunContainerError",
    }
)
PRESSURE = ("MemoryPressure", "DiskPressure", "PIDPressure", "NetworkUnavailable")


def pods_of(workload: Workload, pods: Iterable[Pod]) -> list[Pod]:
    """The workload's pods: by controller owner, else by selector in its namespace."""
    if workload.kind == "Pod":  # a bare pod is its own and only pod
        return [p for p in pods if p.ref == workload.ref]
    owned = [p for p in pods if p.owner == workload.ref]
    if owned:
        return owned
    return [
        p
        for p in pods
        if p.owner is None
        and p.ref.namespace == workload.namespace
        and not workload.selector.empty
        and workload.selector.matches(p.labels)
    ]


def incomplete_rollout(workload: Workload) -> list[Finding]:
    s = workload.status
    if s is None:
        return []
    findings = []
    if s.generation is not None and (s.observed_generation or 0) < s.generation:
        findings.append(
            Finding(
                f"{where(workload)}: controller has not observed the latest spec",
                expected=f"status.observedGeneration >= metadata.generation ({s.generation})",
                found=f"observedGeneration={s.observed_generation}",
                fix="check the controller manager and `kubectl rollout status` for this workload",
            )
        )
    counts = {"updated": s.updated, "ready": s.ready, "available": s.available}
    behind = {k: v for k, v in counts.items() if v is not None and v < s.desired}
    if behind:
        findings.append(
            Finding(
                f"{where(workload)}: rollout incomplete "
                + ", ".join(f"{v}/{s.desired} {k}" for k, v in behind.items()),
                expected=f"updated = ready = available = desired = {s.desired}",
                found=", ".join(f"{k}={v}" for k, v in counts.items()),
                fix="wait for the rollout or inspect its pods and events; "
                f"`kubectl rollout undo {workload.kind.lower()}/{workload.name} -n "
                f"{workload.namespace}` if it is stuck",
            )
        )
    if (
        workload.kind == "StatefulSet"
        and s.current_revision
        and s.update_revision
        and s.current_revision != s.update_revision
    ):
        findings.append(
            Finding(
                f"{where(workload)}: StatefulSet revision update not finished",
                expected=f"currentRevision = updateRevision ({s.update_revision})",
                found=f"currentRevision={s.current_revision}",
                fix="wait for the ordered update or inspect the pod that blocks it",
            )
        )
    return findings


def _age(now: dt.datetime, then: dt.datetime | None) -> str:
    if then is None:
        return "unknown time"
    minutes = int((now - then).total_seconds() // 60)
    return f"{minutes // 60}h{minutes % 60:02d}m" if minutes >= 60 else f"{minutes}m"


def unhealthy_pods(
    workload: Workload, pods: Sequence[Pod], now: dt.datetime, pending_minutes: int
) -> list[Finding]:
    findings = []
    for pod in pods_of(workload, pods):
        for c in pod.containers:
            if c.waiting_reason in BAD_WAITING:
                findings.append(
                    Finding(
                        f"{where(workload)} pod {pod.ref.name} container {c.name!r} is "
                        f"{c.waiting_reason}",
                        expected="container running and ready",
                        found=f"waiting: {c.waiting_reason}"
                        + (f" ({c.waiting_message[:160]})" if c.waiting_message else "")
                        + f", restarts={c.restart_count}",
                        fix="check `kubectl describe pod` and `kubectl logs --previous`; fix "
                        "the image reference or the crash",
                    )
                )
        stuck = now - dt.timedelta(minutes=pending_minutes)
        if pod.phase == "Pending" and pod.created is not None and pod.created < stuck:
            findings.append(
                Finding(
                    f"{where(workload)} pod {pod.ref.name} has been Pending for "
                    f"{_age(now, pod.created)}",
                    expected=f"Running within {pending_minutes}m",
                    found=f"phase Pending since {pod.created.isoformat()}",
                    fix="read the pod's scheduling events (insufficient resources, node "
                    "selector, taints, unbound PVC)",
                )
            )
        if pod.phase in ("Failed", "Unknown"):
            findings.append(
                Finding(
                    f"{where(workload)} pod {pod.ref.name} is {pod.phase}",
                    expected="phase Running",
                    found=f"phase {pod.phase}" + (f" ({pod.reason})" if pod.reason else ""),
                    fix="inspect and delete the failed pod; find why it failed (evicted, "
                    "node lost)",
                )
            )
    return findings


def restarting(
    workload: Workload,
    pods: Sequence[Pod],
    now: dt.datetime,
    limit: int,
    window_minutes: int,
) -> list[Finding]:
    since = now - dt.timedelta(minutes=window_minutes)
    findings = []
    for pod in pods_of(workload, pods):
        for c in pod.containers:
            last = c.last_terminated_at
            if last is not None and last >= since and c.restart_count > limit:
                findings.append(
                    Finding(
                        f"{where(workload)} pod {pod.ref.name} container {c.name!r} "
                        f"restarted {c.restart_count} times, last {_age(now, last)}"
                        " ago",
                        expected=f"<= {limit} restarts, none in the last {window_minutes}m",
                        found=f"restartCount={c.restart_count}, last termination "
                        f"{c.last_terminated_reason or 'unknown'} at "
                        f"{last.isoformat()}",
                        fix=f"`kubectl logs -n {pod.ref.namespace} {pod.ref.name} -c {c.name} "
                        "--previous` and fix the crash or the failing liveness probe",
                    )
                )
    return findings


def unhealthy_nodes(nodes: Sequence[Node]) -> list[Finding]:
    findings = []
    for node in nodes:
        ready = node.condition("Ready")
        if ready is None or ready.status != "True":
            findings.append(
                Finding(
                    f"node {node.name} is not Ready",
                    expected="condition Ready=True",
                    found=(
                        f"Ready={ready.status} ({ready.reason}: {ready.message[:160]})"
                        if ready
                        else "no Ready condition"
                    ),
                    fix=f"`kubectl describe node {node.name}`; repair or cordon and replace it",
                )
            )
        for kind in PRESSURE:
            cond = node.condition(kind)
            if cond is not None and cond.status == "True":
                findings.append(
                    Finding(
                        f"node {node.name} reports {kind}",
                        expected=f"{kind}=False",
                        found=f"{kind}=True ({cond.reason})",
                        fix="free the resource on the node or move workloads away from it",
                    )
                )
    return findings


def warning_events(
    workload: Workload,
    pods: Sequence[Pod],
    events: Sequence[Event],
    now: dt.datetime,
    window_minutes: int,
    limit: int = 20,
) -> list[dict[str, Any]]:
    """Recent Warning events about the workload, its ReplicaSets or pods (evidence only)."""
    since = now - dt.timedelta(minutes=window_minutes)
    pod_names = {p.ref.name for p in pods_of(workload, pods)}
    picked = []
    for e in events:
        if e.type != "Warning" or e.involved.namespace != workload.namespace:
            continue
        if e.last_seen is not None and e.last_seen < since:
            continue
        inv = e.involved
        about = (
            (inv.kind == workload.kind and inv.name == workload.name)
            or (inv.kind == "Pod" and inv.name in pod_names)
            or (inv.kind == "ReplicaSet" and inv.name.startswith(f"{workload.name}-"))
        )
        if about:
            picked.append(e)
    picked.sort(key=lambda e: e.last_seen or now, reverse=True)
    return [
        {
            "object": f"{e.involved.kind}/{e.involved.name}",
            "reason": e.reason,
            "message": e.message[:300],
            "count": e.count,
            "last_seen": e.last_seen.isoformat() if e.last_seen else None,
        }
        for e in picked[:limit]
    ]
