"""Rollback history and graceful shutdown read live with the real ``kubernetes`` client.

No Kubernetes API server can run here: a local HTTP server answers with recorded
Deployment and ReplicaSet LIST responses (the shapes of apps/v1).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from readiness.demo._operations_api import RecordedApiServer, Route
from readiness.errors import SourceError
from readiness.profile.kubernetes import KubeCluster
from readiness.rules import operations as rules
from readiness.sources.operations_k8s import read_cluster
from tests.fixtures.operations import Start, run_checks

pytestmark = pytest.mark.integration


def _deployment(name: str, uid: str, revision: str, history: int | None, grace: int | None) -> Any:
    spec: dict[str, Any] = {
        "replicas": 2,
        "selector": {"matchLabels": {"app": name}},
        "template": {
            "metadata": {"labels": {"app": name}},
            "spec": {
                "containers": [
                    {
                        "name": "app",
                        "image": f"registry.example.com/shop/{name}:1.4.0",
                        "lifecycle": {"preStop": {"exec": {"command": ["sleep", "5"]}}},
                    }
                ],
            },
        },
    }
    if history is not None:
        spec["revisionHistoryLimit"] = history
    if grace is not None:
        spec["template"]["spec"]["terminationGracePeriodSeconds"] = grace
    return {
        "metadata": {
            "name": name,
            "namespace": "shop",
            "uid": uid,
            "resourceVersion": "4242",
            "generation": int(revision),
            "annotations": {"deployment.kubernetes.io/revision": revision},
        },
        "spec": spec,
        "status": {"observedGeneration": int(revision), "replicas": 2, "readyReplicas": 2},
    }


def _replicaset(owner: str, uid: str, revision: str) -> Any:
    return {
        "metadata": {
            "name": f"{owner}-{revision}abc",
            "namespace": "shop",
            "uid": f"rs-{owner}-{revision}",
            "annotations": {"deployment.kubernetes.io/revision": revision},
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "kind": "Deployment",
                    "name": owner,
                    "uid": uid,
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "spec": {"replicas": 0},
        "status": {"replicas": 0},
    }


def _list(kind: str, items: list[Any]) -> Route:
    body = {
        "kind": kind,
        "apiVersion": "apps/v1",
        "metadata": {"resourceVersion": "4242"},
        "items": items,
    }

    def route(q: dict[str, str], h: dict[str, str]) -> tuple[int, str, bytes]:
        return 200, "application/json", json.dumps(body).encode()

    return route


def _server(start: Start) -> RecordedApiServer:
    deployments = [
        _deployment("checkout", "u1", "4", None, 45),
        _deployment("cart", "u2", "1", 0, 2),
    ]
    replicasets = [
        _replicaset("checkout", "u1", "4"),
        _replicaset("checkout", "u1", "3"),
        _replicaset("cart", "u2", "1"),
    ]
    return start(
        "kube-apiserver",
        {
            "/apis/apps/v1/deployments": _list("DeploymentList", deployments),
            "/apis/apps/v1/replicasets": _list("ReplicaSetList", replicasets),
            "/apis/apps/v1/namespaces/shop/deployments": _list("DeploymentList", deployments),
            "/apis/apps/v1/namespaces/shop/replicasets": _list("ReplicaSetList", replicasets),
        },
    )


@pytest.mark.parametrize("namespaces", [[], ["shop"]])
def test_rollout_history_and_shutdown_from_the_api(
    recorded_api: Start, namespaces: list[str]
) -> None:
    server = _server(recorded_api)
    cluster = KubeCluster(name="prod", api_url=server.url, token="t0ken", namespaces=namespaces)
    specs = read_cluster(cluster)
    by_name = {h.workload: h for h in specs.histories}
    checkout = by_name["prod/shop/Deployment/checkout"]
    assert (checkout.revision, checkout.previous_revisions) == (4, 1)
    assert rules.rollout_history_findings(checkout, 1) == []
    cart = by_name["prod/shop/Deployment/cart"]
    assert [f.message for f in rules.rollout_history_findings(cart, 1)] == [
        "prod/shop/Deployment/cart keeps 0 old revisions",
        "prod/shop/Deployment/cart has no previous revision to roll back to",
    ]
    shutdown = {s.workload: s for s in specs.shutdowns}
    assert rules.shutdown_findings(shutdown["prod/shop/Deployment/checkout"], 10, True) == []
    (short,) = rules.shutdown_findings(shutdown["prod/shop/Deployment/cart"], 10, True)
    assert short.message == "prod/shop/Deployment/cart gets 2s to shut down"
    expected = (
        "/apis/apps/v1/namespaces/shop/deployments" if namespaces else "/apis/apps/v1/deployments"
    )
    assert expected in server.requests


def test_unreachable_api_server_is_a_source_error() -> None:
    from readiness.demo.procs import free_port

    cluster = KubeCluster(name="gone", api_url=f"http://127.0.0.1:{free_port()}", timeout=2)
    with pytest.raises(SourceError, match="kubernetes gone: cannot list"):
        read_cluster(cluster)


def test_checks_read_the_cluster_end_to_end(pytester: pytest.Pytester, recorded_api: Start) -> None:
    server = _server(recorded_api)
    profile = {
        "environment": "test",
        "targets": {
            "kubernetes": [{"name": "prod", "api_url": server.url}],
            "manifests": [{"name": "release", "paths": ["k8s"]}],
        },
        # With the kubernetes family off, the operations check judges the workloads itself.
        "families": {"kubernetes": {"enabled": False, "reason": "judged by operations here"}},
        "attestations": [
            {
                "control": "OPS-GRACEFUL-SHUTDOWN",
                "status": "passed",
                "attested_by": "ops@example.com",
                "explanation": "SIGTERM handler drains requests",
                "date": "2026-11-20",
                "expires": "2099-01-01",
            },
        ],
    }
    (pytester.path / "k8s").mkdir()
    (pytester.path / "k8s" / "web.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\n"
        "spec:\n  selector: {matchLabels: {app: web}}\n  template:\n"
        "    metadata: {labels: {app: web}}\n    spec:\n"
        "      terminationGracePeriodSeconds: 60\n"
        "      containers:\n        - {name: app, image: 'r.example.com/web:1'}\n"
    )
    _, got = run_checks(
        pytester, profile, "-k", "rollback_revisions or graceful_shutdown or backup"
    )
    revisions = got[("OPS-ROLLBACK-REVISIONS", "kubernetes")]
    assert revisions["outcome"] == "failed"
    assert "cart has no previous revision" in revisions["message"]
    shutdown = got[("OPS-GRACEFUL-SHUTDOWN", "kubernetes")]
    assert shutdown["outcome"] == "failed"
    assert shutdown["message"].startswith("prod/shop/Deployment/cart gets 2s to shut down")
    assert shutdown["evidence"]["kind"] == "automated"
    backups = got[("OPS-BACKUP-FRESHNESS", "attested")]
    assert backups["outcome"] == "failed"
    assert backups["message"].startswith("no attestation for the database backups")
    assert backups["evidence"] == {"kind": "attestation", "control": "OPS-BACKUP-FRESHNESS"}
    assert got[("OPS-BACKUP-RETENTION", "-")]["outcome"] == "skipped"
    manifests = got[("OPS-GRACEFUL-SHUTDOWN", "manifests")]
    assert manifests["outcome"] == "passed"
    assert manifests["evidence"]["workloads"] == [
        {
            "workload": "release/shop/Deployment/web",
            "terminationGracePeriodSeconds": 60,
            "preStop": [],
        }
    ]
    (attested,) = shutdown["evidence"]["attestations"]
    assert attested["kind"] == "attestation" and attested["attested_by"] == "ops@example.com"


def test_shutdown_settings_from_manifest_files(tmp_path: Path) -> None:
    from readiness.profile.kubernetes import ManifestSet
    from readiness.sources.operations_k8s import manifest_shutdowns

    (tmp_path / "deploy.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: cart, namespace: shop}\n"
        "spec:\n  selector: {matchLabels: {app: cart}}\n  template:\n"
        "    metadata: {labels: {app: cart}}\n    spec:\n"
        "      terminationGracePeriodSeconds: 3\n"
        "      containers:\n        - {name: app, image: 'r.example.com/cart:1'}\n"
    )
    (spec,) = manifest_shutdowns(ManifestSet(name="release", paths=["deploy.yaml"]), tmp_path)
    assert spec.workload == "release/shop/Deployment/cart"
    (short,) = rules.shutdown_findings(spec, 10, False)
    assert short.found == "terminationGracePeriodSeconds: 3"
    assert len(rules.shutdown_findings(spec, 1, True)) == 1


@pytest.mark.parametrize("first", ["kubernetes", "operations"])
def test_both_families_share_one_list_and_the_run_keeps_only_its_rollout_view(
    recorded_api: Start, first: str
) -> None:
    """The Kubernetes family parses whole Deployments and ReplicaSets; the operations family
    reads their rollout view from the run's cache, so the run keeps neither the status nor
    a ReplicaSet's template (at 10,000 workloads the raw objects were most of the memory)."""
    from readiness.sources.kubernetes import ClusterReader, collect_cluster, list_jobs
    from readiness.sources.operations_k8s import APPS_KINDS

    server = _server(recorded_api)
    cluster = KubeCluster(name="prod", api_url=server.url, token="t0ken", namespaces=["shop"])
    if first == "kubernetes":
        inventory, _ = collect_cluster(cluster)
        specs = read_cluster(cluster)
    else:
        specs = read_cluster(cluster)
        inventory, _ = collect_cluster(cluster)
    listed = server.requests.count("/apis/apps/v1/namespaces/shop/deployments")
    # Shared first as a view only, the Kubernetes family lists whole objects again.
    assert listed == (1 if first == "kubernetes" else 2)
    checkout = next(w for w in inventory.workloads if w.name == "checkout")
    assert checkout.status is not None and checkout.pod.termination_grace == 45
    by_name = {h.workload: h for h in specs.histories}
    assert by_name["prod/shop/Deployment/checkout"].previous_revisions == 1
    reader = ClusterReader(cluster, share_lists=True)
    try:
        views = {j.spec.kind: reader.list_shared(j).items for j in list_jobs(cluster, APPS_KINDS)}
    finally:
        reader.close()
    assert server.requests.count("/apis/apps/v1/namespaces/shop/deployments") == listed
    assert {d["metadata"]["name"] for d in views["Deployment"]} == {"checkout", "cart"}
    assert all("status" not in o for kind in views.values() for o in kind)
    assert all("spec" not in rs for rs in views["ReplicaSet"])
    assert views["Deployment"][0]["spec"]["template"]["spec"]["containers"][0]["name"] == "app"


def test_the_cluster_read_keeps_no_object_as_json(recorded_api: Start) -> None:
    """Each LIST is parsed into typed objects as it arrives and its JSON freed: at 10,000
    workloads the JSON of every kind was most of the run's memory."""
    import gc

    from readiness.sources.kubernetes import collect_cluster

    server = _server(recorded_api)
    cluster = KubeCluster(name="prod", api_url=server.url, token="t0ken", namespaces=["shop"])

    def whole_objects() -> set[int]:
        return {
            id(o)
            for o in gc.get_objects()
            if isinstance(o, dict) and "metadata" in o and "status" in o
        }

    before = whole_objects()  # the recorded API's own objects
    inventory, stats = collect_cluster(cluster)
    gc.collect()
    assert stats.objects == 5 and {w.name for w in inventory.workloads} == {"checkout", "cart"}
    assert whole_objects() - before == set()
