"""The manifest source on real-world manifests and on bad input, with exact findings."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from readiness.errors import SourceError
from readiness.profile.kubernetes import ManifestSet
from readiness.rules import kubernetes as rules
from readiness.rules.kubernetes_model import Inventory, Workload
from readiness.sources.manifests import kustomize_command, load_manifests

# microservices-demo's own images (sorted); its one other workload is redis-cart.
DEMO_BUILT = [
    "adservice",
    "cartservice",
    "checkoutservice",
    "currencyservice",
    "emailservice",
    "frontend",
]


def load(*paths: Path | str, namespace: str = "default") -> Inventory:
    return load_manifests(ManifestSet(name="m", paths=[str(p) for p in paths], namespace=namespace))


def by_name(inv: Inventory) -> dict[str, Workload]:
    return {w.name: w for w in inv.workloads}


@pytest.fixture(scope="module")
def demo(realworld_k8s: Path) -> Inventory:
    return load(realworld_k8s / "microservices-demo" / "kubernetes-manifests", namespace="shop")


@pytest.fixture(scope="module")
def kube_prometheus(realworld_k8s: Path) -> Inventory:
    return load(realworld_k8s / "kube-prometheus" / "manifests")


def test_microservices_demo_inventory(demo: Inventory) -> None:
    assert sorted(by_name(demo)) == [*DEMO_BUILT, "redis-cart"]
    assert {s.ref.name for s in demo.services} >= {"frontend", "frontend-external", "redis-cart"}
    assert demo.ignored == {}
    assert demo.namespaces == ("shop",)


def test_microservices_demo_probes_and_security_pass(demo: Inventory) -> None:
    for w in demo.workloads:
        assert rules.missing_probes(w) == [], w.ref
        assert rules.insecure_security_context(w) == [], w.ref
        assert rules.host_access(w) == [], w.ref
        assert rules.missing_resources(w) == [], w.ref
        assert rules.literal_secrets(w) == [], w.ref


def test_microservices_demo_known_flaws(demo: Inventory) -> None:
    wls = by_name(demo)
    untagged = sorted(w.name for w in demo.workloads if rules.unpinned_tags(w))
    assert untagged == DEMO_BUILT  # redis:alpine carries a tag
    assert all(rules.too_few_replicas(w, demo.hpas, 2) for w in demo.workloads)
    assert demo.pdbs == () and demo.network_policies == ()
    grace = {
        w.name: [f.message for f in rules.ungraceful_shutdown(w, demo.services, demo.ingresses, 10)]
        for w in demo.workloads
    }
    assert grace["cartservice"] == ["shop/Deployment/cartservice gets 5s to shut down"]
    assert grace["frontend"] == [
        "shop/Deployment/frontend container 'server' is behind a load balancer (Service "
        "frontend-external type LoadBalancer) but has no preStop hook"
    ]
    assert grace["redis-cart"] == []
    (labels,) = rules.missing_labels(wls["frontend"], ["app.kubernetes.io/name"])
    assert labels.found == "{app=frontend}"
    assert [
        f.message
        for s in demo.services
        for f in rules.unmonitored(s, demo.service_monitors, demo.workloads)
    ][:1] == ["shop/Service/adservice is not scraped"]


def test_kube_prometheus_known_findings(kube_prometheus: Inventory) -> None:
    wls = by_name(kube_prometheus)
    blackbox, adapter = wls["blackbox-exporter"], wls["prometheus-adapter"]
    assert blackbox.namespace == "monitoring"
    assert len(rules.missing_probes(blackbox)) == 6  # three containers, no probes at all
    assert rules.missing_probes(adapter) == []  # readiness, liveness and startup probes
    assert (
        rules.missing_labels(adapter, ["app.kubernetes.io/name", "app.kubernetes.io/version"]) == []
    )
    assert rules.missing_pdb(adapter, kube_prometheus.pdbs, kube_prometheus.hpas) == []
    assert rules.allowed_disruptions(kube_prometheus.pdbs[0], 2) == 1
    assert rules.uncovered_by_network_policy(adapter, kube_prometheus.network_policies) == []
    assert rules.uncovered_by_network_policy(blackbox, kube_prometheus.network_policies) == []
    assert rules.missing_default_deny("monitoring", kube_prometheus.network_policies) != []
    (token,) = rules.needless_token(
        adapter, kube_prometheus.service_accounts, kube_prometheus.bindings, []
    )
    assert token.found == "token mounted (pod spec)"
    assert rules.unpinned_tags(blackbox) == []
    assert len(rules.missing_digests(blackbox)) == 3
    assert rules.too_few_replicas(blackbox, kube_prometheus.hpas, 2) != []
    assert rules.too_few_replicas(adapter, kube_prometheus.hpas, 2) == []


def test_podinfo_files(realworld_k8s: Path) -> None:
    inv = load(realworld_k8s / "podinfo" / "kustomize")
    (podinfo,) = inv.workloads
    assert rules.effective_replicas(podinfo, inv.hpas) == 2  # from the HPA's minReplicas
    assert rules.missing_hpa(podinfo, inv.hpas, ["podinfo"], 2) == []
    assert rules.scrape_coverage(inv.services[0], inv.service_monitors, inv.workloads) == [
        "pod annotation prometheus.io/scrape on Deployment podinfo"
    ]
    (sec,) = rules.insecure_security_context(podinfo)
    assert "runAsNonRoot: true" in sec.expected
    assert rules.missing_pdb(podinfo, inv.pdbs, inv.hpas)[0].message == (
        "default/Deployment/podinfo (2 replicas) has no PodDisruptionBudget"
    )


def test_kustomize_directory(realworld_k8s: Path, tmp_path: Path) -> None:
    kubectl = kustomize_command()  # a missing kubectl fails this test: setup.sh installs it
    assert Path(kubectl[0]).exists()
    base = tmp_path / "podinfo"
    shutil.copytree(realworld_k8s / "podinfo" / "kustomize", base)
    (base / "kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
        "namespace: web\nlabels:\n- pairs:\n    app.kubernetes.io/name: podinfo\n"
        "resources:\n- deployment.yaml\n- hpa.yaml\n- service.yaml\n"
    )
    inv = load(base)
    (podinfo,) = inv.workloads
    assert str(podinfo.ref) == "web/Deployment/podinfo"
    assert podinfo.labels["app.kubernetes.io/name"] == "podinfo"
    assert [h.ref.namespace for h in inv.hpas] == ["web"]


def test_broken_kustomization_names_the_directory(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text("resources:\n- missing.yaml\n")
    with pytest.raises(SourceError) as err:
        load(tmp_path)
    assert str(tmp_path) in str(err.value) and "kustomize failed" in str(err.value)


HELM_OUTPUT = """---
# Source: shop/templates/serviceaccount.yaml
apiVersion: v1
kind: ServiceAccount
metadata:
  name: shop
---
# Source: shop/templates/configmap.yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: shop-config
data: {a: b}
---
# Source: shop/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop
  labels: {helm.sh/chart: shop-0.1.0}
spec:
  replicas: 2
  selector: {matchLabels: {app: shop}}
  template:
    metadata: {labels: {app: shop}}
    spec:
      containers:
      - name: shop
        image: "ghcr.io/acme/shop:0.1.0"
---
# Source: shop/templates/tests/test-connection.yaml
apiVersion: v1
kind: Pod
metadata:
  name: "shop-test-connection"
  annotations: {"helm.sh/hook": test}
spec:
  containers: [{name: wget, image: busybox}]
"""


def test_helm_output_and_unknown_kinds_counted(tmp_path: Path) -> None:
    (tmp_path / "rendered.yaml").write_text(HELM_OUTPUT)
    inv = load(tmp_path)
    # The chart's test hook is a bare Pod: judged like any other pod that would run.
    assert [str(w.ref) for w in inv.workloads] == [
        "default/Deployment/shop",
        "default/Pod/shop-test-connection",
    ]
    assert inv.ignored == {"ConfigMap": 1}
    assert [str(s.ref) for s in inv.service_accounts] == ["default/ServiceAccount/shop"]


def test_list_kinds_and_json(tmp_path: Path) -> None:
    items = [
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": f"d{i}", "namespace": "ns"},
            "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "x:1"}]}}},
        }
        for i in range(3)
    ]
    (tmp_path / "list.json").write_text(
        json.dumps({"apiVersion": "v1", "kind": "List", "items": items})
    )
    (tmp_path / "dl.yaml").write_text(
        json.dumps({"apiVersion": "apps/v1", "kind": "DeploymentList", "items": items[:1]})
    )
    (tmp_path / "notes.txt").write_text("not a manifest")
    inv = load(tmp_path)
    assert sorted(str(w.ref) for w in inv.workloads) == [
        "ns/Deployment/d0",
        "ns/Deployment/d0",
        "ns/Deployment/d1",
        "ns/Deployment/d2",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("kind: Service\nmetadata: {name: a}\n---\nkind: [unclosed\n", "a.yaml document 1"),
        (
            "kind: Service\nmetadata: {name: a}\n---\n- just\n- a list\n",
            "a.yaml document 1: expected a Kubernetes object",
        ),
        ("---\nmetadata: {name: nokind}\n", "a.yaml document 0: no kind"),
        (
            "kind: Deployment\nmetadata: {name: x}\nspec: {replicas: many}\n",
            "a.yaml#0: replicas must be an integer",
        ),
        ("kind: Deployment\nmetadata: {labels: {}}\n", "Deployment without metadata.name"),
    ],
)
def test_malformed_documents_name_file_and_index(tmp_path: Path, text: str, expected: str) -> None:
    (tmp_path / "a.yaml").write_text(text)
    with pytest.raises(SourceError) as err:
        load(tmp_path / "a.yaml")
    assert err.value.target == "m"
    assert expected in str(err.value)


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no such file or directory"):
        load(tmp_path / "nope")
