"""Deployments and their ReplicaSets, read live for rollback and shutdown checks.

The Kubernetes family's :class:`ClusterReader` does the LISTs (one per kind, per
namespace or cluster-wide as it decides, paginated) over the clusters of
``targets.kubernetes``, sharing them for the run: when the Kubernetes checks also run
(they read the cluster first, while pytest collects), this family reads the
:func:`~readiness.sources.kubernetes.rollout_view` of the same LIST answers, never a
second LIST. Pod specs are read with its typed model, as are manifest sets.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from readiness.errors import SourceError
from readiness.profile.kubernetes import KubeCluster, ManifestSet
from readiness.profile.model import Profile
from readiness.rules.kubernetes_model import PodSpec, parse_pod_spec
from readiness.rules.operations import RolloutHistory, ShutdownSpec
from readiness.sources.kubernetes import KINDS, SHARED_KINDS, ClusterReader, list_jobs
from readiness.sources.manifests import load_manifests

REVISION = "deployment.kubernetes.io/revision"


@dataclass(frozen=True, slots=True)
class WorkloadSpecs:
    histories: tuple[RolloutHistory, ...] = ()
    shutdowns: tuple[ShutdownSpec, ...] = ()
    clusters: tuple[str, ...] = field(default=())


def _revision(obj: dict[str, Any]) -> int | None:
    value = ((obj.get("metadata") or {}).get("annotations") or {}).get(REVISION)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _shutdown(workload: str, pod: PodSpec) -> ShutdownSpec:
    containers = pod.app_containers
    return ShutdownSpec(
        workload,
        pod.termination_grace,
        tuple(c.name for c in containers),
        tuple(c.name for c in containers if c.pre_stop),
    )


def specs_from_objects(
    cluster: str, deployments: Iterable[dict[str, Any]], replicasets: Iterable[dict[str, Any]]
) -> WorkloadSpecs:
    """Pure: Deployment and ReplicaSet objects (as JSON data) -> rollout and shutdown specs."""
    owned: dict[str, list[int]] = {}
    for rs in replicasets:
        for ref in (rs.get("metadata") or {}).get("ownerReferences") or ():
            if ref.get("kind") == "Deployment":
                revision = _revision(rs)
                if revision is not None:
                    owned.setdefault(str(ref.get("uid")), []).append(revision)
    histories: list[RolloutHistory] = []
    shutdowns: list[ShutdownSpec] = []
    for dep in deployments:
        meta = dep.get("metadata") or {}
        spec = dep.get("spec") or {}
        name = f"{cluster}/{meta.get('namespace', 'default')}/Deployment/{meta.get('name')}"
        revision = _revision(dep)
        revisions = owned.get(str(meta.get("uid")), [])
        previous = sum(1 for r in revisions if revision is not None and r < revision)
        histories.append(RolloutHistory(name, spec.get("revisionHistoryLimit"), revision, previous))
        shutdowns.append(
            _shutdown(name, parse_pod_spec((spec.get("template") or {}).get("spec") or {}))
        )
    return WorkloadSpecs(tuple(histories), tuple(shutdowns), (cluster,))


APPS_KINDS = tuple(k for k in KINDS if k.kind in SHARED_KINDS)


def read_cluster(cluster: KubeCluster) -> WorkloadSpecs:
    wanted = set(cluster.namespaces)
    items: dict[str, list[dict[str, Any]]] = {k.kind: [] for k in APPS_KINDS}
    try:
        reader = ClusterReader(cluster, share_lists=True)  # the Kubernetes family's LISTs
        try:
            for job in list_jobs(cluster, APPS_KINDS):
                items[job.spec.kind] += [
                    item
                    for item in reader.list_shared(job).items
                    if not wanted or (item.get("metadata") or {}).get("namespace") in wanted
                ]
        finally:
            reader.close()
    except SourceError as exc:
        raise SourceError(
            f"kubernetes {cluster.name}", f"cannot list Deployments/ReplicaSets: {exc.reason}"
        ) from None
    return specs_from_objects(cluster.name, items["Deployment"], items["ReplicaSet"])


def manifest_shutdowns(manifest_set: ManifestSet, base: Path) -> tuple[ShutdownSpec, ...]:
    """Shutdown settings of the workloads in a manifest set (read with the Kubernetes
    family's manifest loader: YAML, kustomize, Helm output)."""
    inventory = load_manifests(manifest_set, base)
    return tuple(_shutdown(f"{manifest_set.name}/{w.ref}", w.pod) for w in inventory.workloads)


def live_specs(profile: Profile) -> WorkloadSpecs:
    """Rollout history and shutdown settings of every live cluster (``targets.kubernetes``)."""
    clusters = getattr(profile.targets, "kubernetes", None) or []
    histories: list[RolloutHistory] = []
    shutdowns: list[ShutdownSpec] = []
    for cluster in clusters:
        specs = read_cluster(cluster)
        histories += specs.histories
        shutdowns += specs.shutdowns
    return WorkloadSpecs(tuple(histories), tuple(shutdowns), tuple(c.name for c in clusters))


def manifest_specs(profile: Profile) -> WorkloadSpecs:
    """Shutdown settings of the manifest sets (``targets.manifests``); their relative paths
    are relative to the profile's directory, as for the Kubernetes checks."""
    manifest_sets = getattr(profile.targets, "manifests", None) or []
    base = Path(profile.path).parent if profile.path else Path.cwd()
    shutdowns: list[ShutdownSpec] = []
    for manifest_set in manifest_sets:
        shutdowns += manifest_shutdowns(manifest_set, base)
    return WorkloadSpecs((), tuple(shutdowns), tuple(m.name for m in manifest_sets))
