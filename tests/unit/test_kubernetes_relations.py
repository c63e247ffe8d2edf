"""Objects that point at each other: autoscaler targets, budget selectors, duplicates,
API versions of every object, and the index that makes these relations linear."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from readiness.profile.kubernetes import ManifestSet
from readiness.rules import kubernetes as rules
from readiness.rules import kubernetes_live as live
from readiness.rules import kubernetes_relations as relations
from readiness.rules.kubernetes_index import KubeIndex
from readiness.rules.kubernetes_model import Inventory, LabelSelector, RawObject, build_inventory
from readiness.sources.manifests import load_manifests
from tests.realworld import REALWORLD

WEBSITE = Path("kubernetes-website/content/en/examples")


def load(name: str, *paths: Path) -> Inventory:
    return load_manifests(ManifestSet(name=name, paths=[str(p) for p in paths]))


def messages(findings: list[Any]) -> list[str]:
    return [f.message for f in findings]


def deployment(
    name: str, ns: str = "shop", kind: str = "Deployment", **labels: str
) -> dict[str, Any]:
    pod_labels = {"app": name, **labels}
    return {
        "apiVersion": "apps/v1",
        "kind": kind,
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": pod_labels},
                "spec": {"containers": [{"name": "c", "image": "x:1"}]},
            },
        },
    }


def hpa(name: str, target: str, kind: str = "Deployment", **labels: str) -> dict[str, Any]:
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": name, "namespace": "shop", "labels": labels},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": kind, "name": target},
            "minReplicas": 2,
            "maxReplicas": 5,
        },
    }


def pdb(name: str, selector: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": name, "namespace": "shop"},
        "spec": {"selector": selector, "maxUnavailable": 1},
    }


def index(*objects: dict[str, Any]) -> KubeIndex:
    return KubeIndex(
        build_inventory("t", False, [RawObject(o, f"doc{i}") for i, o in enumerate(objects)])
    )


# ---------------------------------------------------------------- autoscaler targets


def test_upstream_hpa_without_and_with_its_replicaset(realworld_k8s: Path) -> None:
    root = realworld_k8s / WEBSITE / "controllers"
    alone = KubeIndex(load("m", root / "hpa-rs.yaml"))
    (scaler,) = alone.inventory.hpas
    (finding,) = relations.hpa_target_problems(scaler, alone)
    assert finding.message == (
        "default/HorizontalPodAutoscaler/frontend-scaler targets ReplicaSet/frontend, "
        "which does not exist in default"
    )
    together = KubeIndex(load("m", root / "hpa-rs.yaml", root / "frontend.yaml"))
    assert relations.hpa_target_problems(together.inventory.hpas[0], together) == []


def test_two_autoscalers_on_one_workload_are_both_reported() -> None:
    idx = index(deployment("web"), hpa("web", "web"), hpa("web-cpu", "web"))
    found = {
        h.ref.name: messages(relations.hpa_target_problems(h, idx)) for h in idx.inventory.hpas
    }
    assert found == {
        "web": ["shop/HorizontalPodAutoscaler/web and web-cpu all scale Deployment/web"],
        "web-cpu": ["shop/HorizontalPodAutoscaler/web-cpu and web all scale Deployment/web"],
    }
    # The replica rules read the first; the second is no longer silently ignored.
    (w,) = idx.inventory.workloads
    assert [h.ref.name for h in idx.hpas_for(w)] == ["web", "web-cpu"]


def test_autoscaler_named_for_another_workload() -> None:
    idx = index(deployment("cart"), deployment("frontend"), hpa("cart", "frontend"))
    (finding,) = relations.hpa_target_problems(idx.inventory.hpas[0], idx)
    assert finding.message == (
        "shop/HorizontalPodAutoscaler/cart targets Deployment/frontend, but its name and "
        "labels name Deployment/cart"
    )
    by_label = index(
        deployment("cart"), deployment("frontend"), hpa("scaler", "frontend", app="cart")
    )
    assert relations.hpa_target_problems(by_label.inventory.hpas[0], by_label) != []
    agreeing = index(deployment("frontend"), hpa("frontend-hpa", "frontend", app="frontend"))
    assert relations.hpa_target_problems(agreeing.inventory.hpas[0], agreeing) == []


def test_missing_target_suggests_the_named_workload() -> None:
    idx = index(deployment("cart"), hpa("cart", "cartservice"))
    (finding,) = relations.hpa_target_problems(idx.inventory.hpas[0], idx)
    assert finding.found.endswith("(did you mean Deployment/cart?)")


def test_unscalable_target() -> None:
    idx = index(deployment("agent", kind="DaemonSet"), hpa("agent", "agent", kind="DaemonSet"))
    (finding,) = relations.hpa_target_problems(idx.inventory.hpas[0], idx)
    assert finding.message.endswith("which cannot be scaled")


# ---------------------------------------------------------------- budget selectors


def test_upstream_budget_that_selects_nothing_and_is_declared_twice(realworld_k8s: Path) -> None:
    """The website's zookeeper example: its stand-alone zk-pdb selects `zookeeper`, the
    StatefulSet's pods are labelled `zk`; both files declare PodDisruptionBudget zk-pdb."""
    root = realworld_k8s / WEBSITE
    app = load("zookeeper", root / "application/zookeeper/zookeeper.yaml")
    extra = load("policy", root / "policy/zookeeper-pod-disruption-budget-minavailable.yaml")
    own = KubeIndex(app)
    assert relations.pdb_selector_problems(app.pdbs[0], own) == []
    both = KubeIndex(load("m", root / "application/zookeeper", root / "policy"))
    stray = next(p for p in both.inventory.pdbs if p.min_available == "2")
    (finding,) = relations.pdb_selector_problems(stray, both)
    assert finding.message == "default/PodDisruptionBudget/zk-pdb selects no pods"
    assert finding.found == "none of the 1 workload(s) in default has matching pod labels"
    (dupe,) = relations.duplicate_objects("zookeeper", app.api_uses, {"policy": extra.api_uses})
    assert dupe.message == "default/PodDisruptionBudget/zk-pdb is declared 2 times"
    assert "policy: " in dupe.found and "zookeeper.yaml#2" in dupe.found
    assert relations.duplicate_objects("zookeeper", app.api_uses, {}) == []


def test_budget_selecting_a_whole_namespace() -> None:
    everyone = {"matchLabels": {"app.kubernetes.io/part-of": "shop"}}
    idx = index(
        deployment("cart", **{"app.kubernetes.io/part-of": "shop"}),
        deployment("web", **{"app.kubernetes.io/part-of": "shop"}),
        pdb("shop", everyone),
        pdb("empty", {}),
    )
    found = {
        p.ref.name: messages(relations.pdb_selector_problems(p, idx)) for p in idx.inventory.pdbs
    }
    assert found == {
        "shop": ["shop/PodDisruptionBudget/shop selects the pods of every workload in shop"],
        "empty": [
            "shop/PodDisruptionBudget/empty has an empty selector: it covers every pod in shop"
        ],
    }


def test_overlapping_budgets() -> None:
    idx = index(
        deployment("cart"),
        deployment("web"),
        pdb("cart", {"matchLabels": {"app": "cart"}}),
        pdb(
            "cart-too", {"matchExpressions": [{"key": "app", "operator": "In", "values": ["cart"]}]}
        ),
    )
    first = idx.inventory.pdbs[0]
    (finding,) = relations.pdb_selector_problems(first, idx)
    assert finding.found == "shop/Deployment/cart also by cart-too"


def test_duplicates_within_one_set() -> None:
    inv = build_inventory(
        "one",
        False,
        [RawObject(deployment("a"), "x.yaml#0"), RawObject(deployment("a"), "y.yaml#3")],
    )
    (finding,) = relations.duplicate_objects("one", inv.api_uses, {})
    assert finding.found == "one: x.yaml#0; one: y.yaml#3"


# ---------------------------------------------------------------- API versions of every object


def test_deprecated_api_counts_custom_resources() -> None:
    rules_dir = REALWORLD / "prometheus-rules/kube-prometheus/manifests"
    inv = load("crds", rules_dir)
    assert inv.workloads == () and len(inv.prometheus_rules) == 4
    assert sorted({u.api_version for u in inv.api_uses}) == ["monitoring.coreos.com/v1"]
    assert len(inv.api_uses) == 4  # every PrometheusRule object is checked
    removed = copy.deepcopy(
        {
            "apiVersion": "monitoring.coreos.com/v1",
            "kind": "PrometheusRule",
            "metadata": {"name": "r"},
        }
    )
    assert (
        rules.deprecated_apis(build_inventory("x", False, [RawObject(removed)]).api_uses, "1.31")
        == []
    )


def test_removed_cronjob_api_of_the_upstream_example(realworld_k8s: Path) -> None:
    inv = load("m", realworld_k8s / WEBSITE / "application/job/cronjob.yaml")
    (finding,) = rules.deprecated_apis(inv.api_uses, "1.31")
    assert finding.message.startswith("default/CronJob/hello (") and finding.message.endswith(
        "uses batch/v1beta1, which was removed in 1.25"
    )
    assert rules.deprecated_apis(inv.api_uses, "1.24")[0].message.endswith(
        "is deprecated and will be removed in 1.25"
    )


# ---------------------------------------------------------------- the index


def estate(namespaces: int, per_namespace: int) -> Inventory:
    objs: list[RawObject] = []
    for n in range(namespaces):
        ns = f"team-{n:02d}"
        for j in range(per_namespace):
            name = f"svc-{j:03d}"
            objs.append(RawObject(deployment(name, ns=ns, tier="web")))
            objs.append(
                RawObject(
                    {
                        **pdb(name, {"matchLabels": {"app": name, "tier": "web"}}),
                        "metadata": {"name": name, "namespace": ns},
                    }
                )
            )
            objs.append(
                RawObject(
                    {
                        "kind": "Service",
                        "metadata": {"name": name, "namespace": ns},
                        "spec": {"selector": {"app": name}},
                    }
                )
            )
            for k in range(2):
                objs.append(
                    RawObject(
                        {
                            "kind": "Pod",
                            "metadata": {
                                "name": f"{name}-{k}",
                                "namespace": ns,
                                "labels": {"app": name},
                                "ownerReferences": [
                                    {
                                        "kind": "ReplicaSet",
                                        "name": f"{name}-7d9f",
                                        "controller": True,
                                    }
                                ],
                            },
                            "spec": {"containers": [{"name": "c", "image": "x:1"}]},
                            "status": {"phase": "Running"},
                        }
                    )
                )
            objs.append(
                RawObject(
                    {
                        "kind": "ReplicaSet",
                        "metadata": {
                            "name": f"{name}-7d9f",
                            "namespace": ns,
                            "ownerReferences": [
                                {"kind": "Deployment", "name": name, "controller": True}
                            ],
                        },
                        "spec": {"template": {"spec": {"containers": []}}},
                    }
                )
            )
        objs.append(
            RawObject(
                {
                    "kind": "NetworkPolicy",
                    "metadata": {"name": "deny", "namespace": ns},
                    "spec": {"podSelector": {}, "policyTypes": ["Ingress"]},
                }
            )
        )
    return build_inventory("estate", True, objs)


def test_index_agrees_with_the_rules_scanning_everything() -> None:
    inv = estate(3, 6)
    idx = KubeIndex(inv)
    for w in inv.workloads:
        assert idx.pdbs_for(w) == rules.pdbs_for(w, inv.pdbs)
        assert idx.policies_for(w) == rules.policies_for(w, inv.network_policies)
        assert idx.services_for(w) == rules.services_for(w, inv.services)
        assert idx.pods_of(w) == live.pods_of(w, inv.pods) and len(idx.pods_of(w)) == 2
    for s in inv.services:
        assert idx.workloads_behind(s) == rules.workloads_behind(s, inv.workloads)


def matches_counted(monkeypatch: pytest.MonkeyPatch, inv: Inventory) -> int:
    """Label matches made to index ``inv`` and look up every workload's relations."""
    calls = 0
    original = LabelSelector.matches

    def counting(self: LabelSelector, labels: Any) -> bool:
        nonlocal calls
        calls += 1
        return original(self, labels)

    monkeypatch.setattr(LabelSelector, "matches", counting)
    idx = KubeIndex(inv)
    for w in inv.workloads:
        idx.pdbs_for(w), idx.policies_for(w), idx.services_for(w), idx.pods_of(w)
    monkeypatch.setattr(LabelSelector, "matches", original)
    return calls


def test_relations_are_linear_in_the_objects(monkeypatch: pytest.MonkeyPatch) -> None:
    """Twice the workloads in one namespace, twice the label matches (not four times)."""
    small = matches_counted(monkeypatch, estate(1, 100))
    large = matches_counted(monkeypatch, estate(1, 200))
    assert small > 0
    assert large <= 2.2 * small
    # What the scanning rules cost on the larger estate, for contrast: quadratic.
    inv = estate(1, 200)
    scanned = sum(len(inv.pdbs) for _ in inv.workloads)
    assert scanned > 50 * large
