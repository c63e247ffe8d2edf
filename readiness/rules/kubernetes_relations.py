"""Rules about how objects point at each other: autoscaler targets, budget selectors,
and objects declared twice.

Pure: they read a source's :class:`KubeIndex` (built once) and typed objects.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

from readiness.findings import Finding
from readiness.rules.kubernetes_index import KubeIndex
from readiness.rules.kubernetes_model import ApiUse, Hpa, Pdb, Workload

SCALABLE_KINDS = ("Deployment", "StatefulSet", "ReplicaSet")
# Kinds the suite reads that have no scale subresource.
UNSCALABLE_KINDS = ("DaemonSet", "Job", "CronJob", "Pod")


def _hints(hpa: Hpa) -> list[str]:
    """Workload names the autoscaler's own name and labels point at."""
    names = [hpa.ref.name]
    for key in ("app.kubernetes.io/name", "app.kubernetes.io/instance", "app"):
        value = hpa.labels.get(key)
        if value and value not in names:
            names.append(value)
    return names


def suggested_target(hpa: Hpa, index: KubeIndex) -> Workload | None:
    """A scalable workload the autoscaler's name or labels name, other than its target."""
    for name in _hints(hpa):
        if name == hpa.target_name:
            return None  # the name agrees with the target
        for w in index.named(hpa.ref.namespace, name):
            if w.kind in SCALABLE_KINDS:
                return w
    return None


def hpa_target_problems(hpa: Hpa, index: KubeIndex) -> list[Finding]:
    """The scale target exists, is scalable, is the one meant, and has no other HPA."""
    target = f"{hpa.target_kind}/{hpa.target_name}"
    findings = []
    if hpa.target_kind in UNSCALABLE_KINDS:
        findings.append(
            Finding(
                f"{hpa.ref} targets {target}, which cannot be scaled",
                expected=f"a scaleTargetRef of kind {', '.join(SCALABLE_KINDS)}",
                found=f"scaleTargetRef {target}",
                fix="point scaleTargetRef at the Deployment or StatefulSet to scale, or "
                "remove the autoscaler",
            )
        )
        return findings
    exists = any(w.kind == hpa.target_kind for w in index.named(hpa.ref.namespace, hpa.target_name))
    suggested = suggested_target(hpa, index)
    if not exists:
        hint = f" (did you mean {suggested.kind}/{suggested.name}?)" if suggested else ""
        findings.append(
            Finding(
                f"{hpa.ref} targets {target}, which does not exist in {hpa.ref.namespace}",
                expected=f"a {hpa.target_kind} named {hpa.target_name} in {hpa.ref.namespace}",
                found=f"no {hpa.target_kind} {hpa.target_name} among the source's workloads" + hint,
                fix="correct spec.scaleTargetRef (kind and name) or remove the autoscaler",
            )
        )
    elif suggested is not None:
        findings.append(
            Finding(
                f"{hpa.ref} targets {target}, but its name and labels name "
                f"{suggested.kind}/{suggested.name}",
                expected=f"scaleTargetRef {suggested.kind}/{suggested.name} (or an autoscaler "
                f"named after {target})",
                found=f"scaleTargetRef {target}; names {', '.join(_hints(hpa))}",
                fix="point scaleTargetRef at the workload the autoscaler is meant for, or "
                "rename it after its target",
            )
        )
    rivals = [h for h in index.hpa_targets(hpa) if h.ref != hpa.ref]
    if rivals:
        findings.append(
            Finding(
                f"{hpa.ref} and {', '.join(h.ref.name for h in rivals)} all scale {target}",
                expected="one HorizontalPodAutoscaler per workload",
                found=f"{len(rivals) + 1} autoscalers with scaleTargetRef {target}",
                fix="merge the metrics into one autoscaler and delete the others (two "
                "autoscalers fight over the replica count)",
            )
        )
    return findings


def pdb_selector_problems(pdb: Pdb, index: KubeIndex) -> list[Finding]:
    """The budget selects some pods, not every pod of its namespace, and overlaps no other."""
    ns = pdb.ref.namespace
    if pdb.selector.empty:
        return [
            Finding(
                f"{pdb.ref} has an empty selector: it covers every pod in {ns}",
                expected="a selector naming one workload's pod labels",
                found="selector: {} (policy/v1 selects all pods of the namespace)",
                fix="set spec.selector.matchLabels to the pod labels of the workload to protect",
            )
        ]
    matched = index.pdb_targets(pdb)
    in_ns = index.workloads.in_namespace(ns)
    if not matched:
        return [
            Finding(
                f"{pdb.ref} selects no pods",
                expected=f"a workload in {ns} whose pod labels match {pdb.selector}",
                found=f"none of the {len(in_ns)} workload(s) in {ns} has matching pod labels",
                fix="correct spec.selector to the pod template labels (a renamed label "
                "leaves the budget protecting nothing), or delete it",
            )
        ]
    findings = []
    if len(in_ns) >= 2 and len(matched) == len(in_ns):
        findings.append(
            Finding(
                f"{pdb.ref} selects the pods of every workload in {ns}",
                expected="a selector naming one workload's pods",
                found=f"selector {pdb.selector} matches all {len(in_ns)} workloads: "
                + ", ".join(str(w.ref) for w in matched[:5])
                + (" ..." if len(matched) > 5 else ""),
                fix="narrow spec.selector (e.g. app.kubernetes.io/name) to one workload; a "
                "shared label such as part-of makes one budget govern them all",
            )
        )
    overlap = sorted(
        {
            (str(w.ref), other.ref.name)
            for w in matched
            for other in index.pdbs_for(w)
            if other.ref != pdb.ref
        }
    )
    if overlap:
        findings.append(
            Finding(
                f"{pdb.ref} overlaps other budgets",
                expected="each pod selected by at most one PodDisruptionBudget",
                found="; ".join(f"{w} also by {other}" for w, other in overlap[:5])
                + (" ..." if len(overlap) > 5 else ""),
                fix="make the selectors disjoint: the eviction API refuses to evict a pod "
                "that more than one budget selects, which blocks node drains",
            )
        )
    return findings


def _key(use: ApiUse) -> tuple[str, str, str]:
    return (use.ref.kind, use.ref.namespace, use.ref.name)


def duplicate_objects(
    source: str, objects: Sequence[ApiUse], others: Mapping[str, Sequence[ApiUse]]
) -> list[Finding]:
    """Objects declared twice with one kind/namespace/name, in this set or across sets.

    ``objects`` holds one entry per object the set declares (with where it is);
    ``others`` the same for every other manifest set. The last one applied wins, so one
    of the two definitions is silently lost.
    """
    mine: dict[tuple[str, str, str], list[ApiUse]] = defaultdict(list)
    for use in objects:
        mine[_key(use)].append(use)
    elsewhere: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for name, uses in others.items():
        for use in uses:
            if _key(use) in mine:
                elsewhere[_key(use)].append(f"{name}: {use.where}" if use.where else name)
    findings = []
    for key, uses in mine.items():
        twice = [u.where for u in uses[1:]] if len(uses) > 1 else []
        also = elsewhere.get(key, [])
        if not twice and not also:
            continue
        ref = uses[0].ref
        places = [f"{source}: {u.where}" for u in uses] + also
        findings.append(
            Finding(
                f"{ref} is declared {len(places)} times",
                expected="one definition per kind/namespace/name",
                found="; ".join(places[:6]) + (" ..." if len(places) > 6 else ""),
                fix="keep one definition (remove the copy or rename it); whichever is "
                "applied last silently replaces the other",
            )
        )
    return findings
