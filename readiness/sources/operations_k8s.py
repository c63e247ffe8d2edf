"""Deployments and their ReplicaSets, read live for rollback and shutdown checks.

A minimal LIST-only reader with the official ``kubernetes`` client over the clusters of
``targets.kubernetes``: one LIST of Deployments and one of ReplicaSets per cluster (and
namespace, when the cluster names namespaces).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from readiness.errors import SourceError
from readiness.profile.model import Profile
from readiness.rules.operations import RolloutHistory, ShutdownSpec

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
        pod = (spec.get("template") or {}).get("spec") or {}
        containers = pod.get("containers") or []
        shutdowns.append(
            ShutdownSpec(
                name,
                pod.get("terminationGracePeriodSeconds"),
                tuple(str(c.get("name")) for c in containers),
                tuple(
                    str(c.get("name"))
                    for c in containers
                    if (c.get("lifecycle") or {}).get("preStop")
                ),
            )
        )
    return WorkloadSpecs(tuple(histories), tuple(shutdowns), (cluster,))


def _api_client(cluster: Any) -> Any:
    from kubernetes import client as k8s
    from kubernetes import config as k8s_config

    if cluster.api_url is not None:
        cfg = k8s.Configuration()
        cfg.host = cluster.api_url
        if cluster.token:
            cfg.api_key = {"authorization": f"Bearer {cluster.token}"}
        cfg.ssl_ca_cert = cluster.ca_file
        cfg.verify_ssl = cluster.verify_tls
        return k8s.ApiClient(cfg)
    if cluster.in_cluster:
        cfg = k8s.Configuration()
        k8s_config.load_incluster_config(client_configuration=cfg)  # type: ignore[no-untyped-call]
        return k8s.ApiClient(cfg)
    return k8s_config.new_client_from_config(  # type: ignore[no-untyped-call]
        config_file=cluster.kubeconfig, context=cluster.context
    )


def _list(call: Any, timeout: float, **kwargs: Any) -> list[dict[str, Any]]:
    response = call(_preload_content=False, _request_timeout=timeout, **kwargs)
    body = json.loads(response.data)
    return list(body.get("items") or [])


def read_cluster(cluster: Any) -> WorkloadSpecs:
    from kubernetes import client as k8s

    try:
        api = _api_client(cluster)
        apps = k8s.AppsV1Api(api)
        if cluster.namespaces:
            deployments: list[dict[str, Any]] = []
            replicasets: list[dict[str, Any]] = []
            for ns in cluster.namespaces:
                deployments += _list(apps.list_namespaced_deployment, cluster.timeout, namespace=ns)
                replicasets += _list(
                    apps.list_namespaced_replica_set, cluster.timeout, namespace=ns
                )
        else:
            deployments = _list(apps.list_deployment_for_all_namespaces, cluster.timeout)
            replicasets = _list(apps.list_replica_set_for_all_namespaces, cluster.timeout)
    except SourceError:
        raise
    except Exception as exc:  # the client raises many kinds; all mean "could not read"
        raise SourceError(
            f"kubernetes {cluster.name}", f"cannot list Deployments/ReplicaSets: {exc}"
        ) from None
    return specs_from_objects(cluster.name, deployments, replicasets)


def manifest_shutdowns(manifest_set: Any, base: Path) -> tuple[ShutdownSpec, ...]:
    """Shutdown settings of the workloads in a manifest set (read with the Kubernetes
    family's manifest loader: YAML, kustomize, Helm output)."""
    from readiness.sources.manifests import load_manifests

    inventory = load_manifests(manifest_set, base)
    return tuple(
        ShutdownSpec(
            f"{manifest_set.name}/{w.ref}",
            w.pod.termination_grace,
            tuple(c.name for c in w.pod.app_containers),
            tuple(c.name for c in w.pod.app_containers if c.pre_stop),
        )
        for w in inventory.workloads
    )


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
