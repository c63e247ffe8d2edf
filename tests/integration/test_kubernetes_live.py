"""The live source: the real kubernetes client against recorded API responses over HTTPS."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from readiness.demo._k8s_api import list_path
from readiness.demo._k8s_cluster import RECORDED_AT
from readiness.demo.tls import make_ca
from readiness.errors import SourceError
from readiness.profile.kubernetes import KubeCluster
from readiness.profile.model import Profile
from readiness.rules import kubernetes as rules
from readiness.rules import kubernetes_live as live
from readiness.rules.kubernetes_model import Inventory
from readiness.sources.kubernetes import KINDS, ClusterReader, collect_cluster
from readiness.sources.kubernetes_targets import load_sources, start_loading
from readiness.sources.run import start_run
from tests.fixtures.kubernetes import K8sApi, ServerFactory, recorded_lists

pytestmark = pytest.mark.integration


def cluster(api: K8sApi, **extra: Any) -> KubeCluster:
    return KubeCluster(**api.cluster(**extra))


@pytest.fixture(scope="module")
def shop(k8s_server_factory: ServerFactory) -> tuple[Inventory, K8sApi]:
    api = k8s_server_factory()
    inv, _ = collect_cluster(cluster(api))
    return inv, api


def test_one_list_per_kind_and_namespace(k8s_server_factory: ServerFactory) -> None:
    api = k8s_server_factory()
    inv, stats = collect_cluster(cluster(api, namespaces=["shop", "kube-system"]))
    namespaced = [k for k in KINDS if k.namespaced]
    expected = {list_path(k.kind, ns) for k in namespaced for ns in ("shop", "kube-system")}
    expected |= {list_path(k.kind, None) for k in KINDS if not k.namespaced}
    assert dict(api.server.requests) == {path: 1 for path in expected}
    assert stats.requests == len(expected) == 2 * len(namespaced) + 4
    assert inv.missing == {}
    assert [str(w.ref) for w in inv.workloads if w.namespace == "kube-system"] == [
        "kube-system/Deployment/coredns"
    ]


def test_cluster_wide_lists(k8s_server_factory: ServerFactory) -> None:
    api = k8s_server_factory()
    inv, stats = collect_cluster(cluster(api, namespaces=[]))
    assert stats.requests == len(KINDS)
    assert "/apis/apps/v1/deployments" in api.server.requests
    assert {w.namespace for w in inv.workloads} == {"shop", "kube-system"}


def test_many_namespaces_use_cluster_wide_lists(k8s_server_factory: ServerFactory) -> None:
    api = k8s_server_factory()
    names = ["shop", "kube-system", "team-a", "team-b"]
    inv, stats = collect_cluster(cluster(api, namespaces=names))
    assert stats.requests == len(KINDS)
    assert all("/namespaces/" not in p for p in api.server.requests)
    assert {w.namespace for w in inv.workloads} == {"shop", "kube-system"}
    only_shop, _ = collect_cluster(cluster(api, namespaces=["shop"], list_scope="cluster"))
    assert {w.namespace for w in only_shop.workloads} == {"shop"}  # filtered client-side


def test_refused_cluster_wide_list_falls_back_per_namespace(
    k8s_server_factory: ServerFactory,
) -> None:
    api = k8s_server_factory(forbidden={list_path("Deployment", None)})
    names = ["shop", "kube-system", "team-a", "team-b"]
    inv, stats = collect_cluster(cluster(api, namespaces=names))
    assert inv.missing == {}
    assert api.server.requests[list_path("Deployment", None)] == 1
    assert all(api.server.requests[list_path("Deployment", ns)] == 1 for ns in names)
    assert stats.requests == len(KINDS) + len(names)
    assert len([w for w in inv.workloads if w.kind == "Deployment"]) == 5


def test_pagination_follows_continue(k8s_server_factory: ServerFactory) -> None:
    api = k8s_server_factory()
    inv, _ = collect_cluster(cluster(api, page_size=2))
    pods_path = list_path("Pod", "shop")
    total = len(recorded_lists()[pods_path]["items"])
    assert len(inv.pods) == total == 12
    assert api.server.requests[pods_path] == math.ceil(total / 2)
    assert len({p.ref.name for p in inv.pods}) == total  # no page read twice


def test_list_items_get_their_kind_and_owners_resolved(shop: tuple[Inventory, K8sApi]) -> None:
    inv, _ = shop
    assert [str(w.ref) for w in inv.workloads if w.namespace == "shop"] == [
        "shop/Deployment/checkout",
        "shop/Deployment/frontend",
        "shop/Deployment/cart",
        "shop/Deployment/payments",
        "shop/StatefulSet/db",
        "shop/DaemonSet/log-agent",
        "shop/Job/db-migrate",
        "shop/CronJob/report",
    ]  # the Job report-29384430 is the CronJob's run, judged as the CronJob
    owners = {p.ref.name: str(p.owner) for p in inv.pods}
    assert owners["report-29384430-7xq2p"] == "shop/CronJob/report"
    assert owners["frontend-5c6d7f8b9-t7w9z"] == "shop/Deployment/frontend"
    assert owners["db-0"] == "shop/StatefulSet/db"
    assert [str(r) for r in inv.prometheus_rules] == ["shop/PrometheusRule/checkout-alerts"]
    assert [m.ref.name for m in inv.service_monitors] == ["checkout"]


def test_live_rules_on_the_recording(shop: tuple[Inventory, K8sApi]) -> None:
    inv, _ = shop
    w = {x.name: x for x in inv.workloads}
    now = RECORDED_AT
    assert live.incomplete_rollout(w["checkout"]) == []
    assert [f.message for f in live.incomplete_rollout(w["frontend"])] == [
        "shop/Deployment/frontend: rollout incomplete 1/2 updated, 1/2 ready, 1/2 available"
    ]
    health = {
        name: [f.message for f in live.unhealthy_pods(w[name], inv.pods, now, 5)] for name in w
    }
    assert health["checkout"] == [] and health["db"] == []
    assert health["frontend"] == [
        "shop/Deployment/frontend pod frontend-5c6d7f8b9-t7w9z container 'server' is "
        "CrashLoopBackOff"
    ]
    assert health["cart"] == [
        "shop/Deployment/cart pod cart-84d9c7b6f5-9vq2s container 'server' is ImagePullBackOff"
    ]
    assert health["payments"] == [
        "shop/Deployment/payments pod payments-6f7d8c9b4-d3e4f has been Pending for 25m"
    ]
    (restart,) = live.restarting(w["db"], inv.pods, now, 3, 60)
    assert "db-0 container 'postgres' restarted 6 times, last 20m ago" in restart.message
    assert [f.message for f in live.unhealthy_nodes(inv.nodes)] == ["node node-c is not Ready"]
    events = live.warning_events(w["frontend"], inv.pods, inv.events, now, 60)
    assert [e["reason"] for e in events] == ["BackOff", "ProgressDeadlineExceeded"]


def test_static_rules_same_as_manifests(shop: tuple[Inventory, K8sApi]) -> None:
    inv, _ = shop
    w = {x.name: x for x in inv.workloads}
    assert rules.missing_pdb(w["checkout"], inv.pdbs, inv.hpas) == []
    (db_pdb,) = rules.missing_pdb(w["db"], inv.pdbs, inv.hpas)
    assert "allows no voluntary disruption" in db_pdb.message
    assert [f.message for f in rules.literal_secrets(w["cart"])] == [
        "shop/Deployment/cart container 'server' sets env REDIS_PASSWORD to a literal value "
        "(a secret-looking name)"
    ]
    assert [f.message for f in rules.rbac_problems(inv.roles, inv.bindings)] == [
        "shop/Role/config-reader rule 0 grants wildcards (verbs: ['*'])",
        "ClusterRoleBinding/deployer-admin gives cluster-admin to ServiceAccount shop/deployer",
    ]
    assert [f.message for f in rules.deprecated_apis(inv.api_uses, "1.31")] == [
        "shop/Ingress/web (last-applied-configuration) uses networking.k8s.io/v1beta1, which "
        "was removed in 1.22"
    ]
    assert rules.missing_default_deny("shop", inv.network_policies) == []


def test_forbidden_kind_names_the_permission(k8s_server_factory: ServerFactory) -> None:
    api = k8s_server_factory(forbidden={list_path("Role", "shop")})
    inv, _ = collect_cluster(cluster(api))
    assert set(inv.missing) == {"Role"}
    with pytest.raises(SourceError) as err:
        inv.require("Deployment", "Role")
    text = str(err.value)
    assert err.value.target == "recorded"
    assert "verb=list resource=roles apiGroup=rbac.authorization.k8s.io" in text
    assert 'cannot list resource "roles"' in text
    assert "deploy/rbac.yaml" in text
    assert inv.workloads  # the other kinds were read


def test_missing_crd_is_absent_not_an_error(k8s_server_factory: ServerFactory) -> None:
    lists = {p: v for p, v in recorded_lists().items() if "monitoring.coreos.com" not in p}
    api = k8s_server_factory(lists=lists)
    inv, _ = collect_cluster(cluster(api))
    assert inv.missing == {}
    assert inv.absent_crds == ("PrometheusRule", "ServiceMonitor")
    assert inv.service_monitors == ()


def test_wrong_token_is_unauthorized(k8s_api: K8sApi) -> None:
    inv, _ = collect_cluster(cluster(k8s_api, token="wrong-token"))
    assert set(inv.missing) == {k.kind for k in KINDS}
    with pytest.raises(SourceError, match=r"unauthorized listing deployments\.apps"):
        inv.require("Deployment")
    assert "wrong-token" not in str(inv.missing)


def test_untrusted_certificate(k8s_api: K8sApi, tmp_path: Path) -> None:
    other = make_ca(tmp_path / "other")
    inv, _ = collect_cluster(cluster(k8s_api, ca_file=str(other.cert_file)))
    with pytest.raises(SourceError, match=r"cannot reach the API server .*CERTIFICATE_VERIFY"):
        inv.require("Node")


def test_unreachable_server_errors_every_kind(unused_port: int) -> None:
    c = KubeCluster(name="gone", api_url=f"https://127.0.0.1:{unused_port}", token="t", timeout=2)
    inv, _ = collect_cluster(c)
    assert set(inv.missing) == {k.kind for k in KINDS}
    with pytest.raises(SourceError, match="gone: cannot reach the API server"):
        inv.require("Pod")


def test_kubeconfig_and_context(k8s_api: K8sApi, tmp_path: Path) -> None:
    path = k8s_api.kubeconfig(tmp_path / "config")
    good = KubeCluster(name="kc", kubeconfig=str(path), context="recorded", namespaces=["shop"])
    inv, _ = collect_cluster(good)
    assert inv.missing == {} and len(inv.workloads) == 8
    bad = KubeCluster(name="kc", kubeconfig=str(path), context="nope")
    with pytest.raises(SourceError, match="cannot load the cluster configuration"):
        collect_cluster(bad)


def test_lists_are_read_without_the_generated_api_classes_and_models(
    k8s_api: K8sApi, tmp_path: Path
) -> None:
    """The client's configuration and pool make the requests; its generated API classes
    and models (seconds to load) are not used: every answer is parsed once into dicts."""
    path = k8s_api.kubeconfig(tmp_path / "config")
    code = (
        "import sys\n"
        "from readiness.profile.kubernetes import KubeCluster\n"
        "from readiness.sources.kubernetes import collect_cluster\n"
        f"c = KubeCluster(name='kc', kubeconfig={str(path)!r}, context='recorded')\n"
        "inv, stats = collect_cluster(c)\n"
        "generated = ('kubernetes.client.api.', 'kubernetes.client.models.')\n"
        "loaded = sorted(m for m in sys.modules if m.startswith(generated))\n"
        "print(len(inv.workloads), len(inv.missing), len(loaded), loaded[:3])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "9 0 0 []", done.stdout


def test_a_read_begun_early_is_waited_for_not_repeated(
    k8s_server_factory: ServerFactory,
) -> None:
    """The plugin starts reading clusters while pytest collects; the checks' own call to
    load_sources gets that read's sources, and each LIST was asked once."""
    api = k8s_server_factory()
    start_run()
    profile = Profile.model_validate(
        {"environment": "test", "targets": {"kubernetes": [api.cluster()]}}
    )
    reader = start_loading(profile)
    assert reader is not None and reader.name == "readiness-kubernetes"
    (source,) = load_sources(profile)  # waits for the read in flight, if still running
    reader.join(timeout=60)
    assert load_sources(profile)[0] is source
    assert source.error is None and source.inventory.workloads
    assert api.server.requests and max(api.server.requests.values()) == 1
    assert start_loading(Profile.model_validate({"environment": "test"})) is None


def test_server_refuses_writes(k8s_api: K8sApi) -> None:
    reader = ClusterReader(cluster(k8s_api))
    try:
        response = reader.client.rest_client.pool_manager.request(
            "DELETE", f"{k8s_api.url}/api/v1/namespaces/shop/pods/x"
        )
    finally:
        reader.close()
    assert response.status == 405


@pytest.fixture
def unused_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_in_cluster_service_account(
    k8s_api: K8sApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kubernetes.config import incluster_config

    token = tmp_path / "token"
    token.write_text(k8s_api.token)
    monkeypatch.setattr(incluster_config, "SERVICE_TOKEN_FILENAME", str(token))
    monkeypatch.setattr(incluster_config, "SERVICE_CERT_FILENAME", str(k8s_api.ca.cert_file))
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", str(k8s_api.server.server_address[1]))
    inv, stats = collect_cluster(KubeCluster(name="pod", in_cluster=True, namespaces=["shop"]))
    assert inv.missing == {} and stats.requests == len(KINDS)  # one namespace
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST")
    with pytest.raises(SourceError, match="pod: cannot load the cluster configuration"):
        collect_cluster(KubeCluster(name="pod", in_cluster=True))


def test_init_with_kubeconfig_and_context_writes_a_profile_that_reads_that_context(
    k8s_api: K8sApi,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from readiness.cli import main
    from readiness.profile import load_profile

    path = k8s_api.kubeconfig(tmp_path / "config")  # current-context is "other"
    monkeypatch.chdir(tmp_path)
    assert main(["init", "--kubeconfig", str(path), "--context", "recorded"]) == 0
    written = tmp_path / "profiles" / "production.yaml"
    assert main(["profile", "check", str(written)]) == 0
    assert f"{written}: ok" in capsys.readouterr().out
    clusters = load_profile(str(written), env={}).targets.kubernetes
    assert [(c.name, c.kubeconfig, c.context) for c in clusters] == [
        ("recorded", str(path), "recorded")
    ]
    start_run()
    inv, _ = collect_cluster(clusters[0].model_copy(update={"namespaces": ["shop"]}))
    assert inv.missing == {} and len(inv.workloads) == 8  # the chosen context, not "other"
