"""Kubernetes rules on small hand-written objects: each rule passes and fails."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest

from readiness.rules import kubernetes as rules
from readiness.rules import kubernetes_live as live
from readiness.rules.kubernetes_model import Inventory, RawObject, Workload, build_inventory

NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)


def ts(minutes_ago: float) -> str:
    return (NOW - dt.timedelta(minutes=minutes_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


def good_container(**over: Any) -> dict[str, Any]:
    c: dict[str, Any] = {
        "name": "app",
        "image": "ghcr.io/acme/app:1.2.3@sha256:" + "ab" * 32,
        "ports": [{"containerPort": 8080}],
        "readinessProbe": {"httpGet": {"path": "/ready", "port": 8080}},
        "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080}},
        "resources": {
            "requests": {"cpu": "100m", "memory": "64Mi"},
            "limits": {"cpu": "1", "memory": "128Mi"},
        },
        "securityContext": {
            "runAsNonRoot": True,
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
        "lifecycle": {"preStop": {"sleep": {"seconds": 5}}},
        "env": [{"name": "PORT", "value": "8080"}],
    }
    c.update(over)
    return c


def deployment(name: str = "web", replicas: int | None = 3, **pod: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {"containers": [good_container()], **pod}
    d: dict[str, Any] = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": name,
            "namespace": "shop",
            "labels": {"app.kubernetes.io/name": name, "app.kubernetes.io/version": "1.2.3"},
        },
        "spec": {
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": spec},
        },
    }
    if replicas is not None:
        d["spec"]["replicas"] = replicas
    return d


def with_container(d: dict[str, Any], **over: Any) -> dict[str, Any]:
    d = copy.deepcopy(d)
    c = d["spec"]["template"]["spec"]["containers"][0]
    for k, v in over.items():
        if v is None:
            c.pop(k, None)
        else:
            c[k] = v
    return d


def inventory(*objects: dict[str, Any], live_source: bool = False) -> Inventory:
    return build_inventory(
        "test", live_source, [RawObject(o, f"doc{i}") for i, o in enumerate(objects)]
    )


def wl(obj: dict[str, Any]) -> Workload:
    return inventory(obj).workloads[0]


def messages(findings: list[Any]) -> list[str]:
    return [f.message for f in findings]


# ---------------------------------------------------------------- probes


@pytest.mark.parametrize(
    ("over", "expected"),
    [
        ({}, []),
        ({"readinessProbe": None}, ["shop/Deployment/web container 'app' has no readinessProbe"]),
        ({"livenessProbe": None}, ["shop/Deployment/web container 'app' has no livenessProbe"]),
        (
            {"livenessProbe": {"tcpSocket": {"port": 8080}, "initialDelaySeconds": 90}},
            ["shop/Deployment/web container 'app' starts slowly but has no startupProbe"],
        ),
        (
            {
                "livenessProbe": {"tcpSocket": {"port": 8080}, "initialDelaySeconds": 90},
                "startupProbe": {"tcpSocket": {"port": 8080}, "failureThreshold": 30},
            },
            [],
        ),
    ],
)
def test_probes(over: dict[str, Any], expected: list[str]) -> None:
    assert messages(rules.missing_probes(wl(with_container(deployment(), **over)), 30)) == expected


def test_init_containers_need_no_probes() -> None:
    d = deployment(initContainers=[{"name": "migrate", "image": "x:1", "resources": {}}])
    assert rules.missing_probes(wl(d)) == []


# ---------------------------------------------------------------- resources


def test_resources_pass_and_fail() -> None:
    assert rules.missing_resources(wl(deployment())) == []
    bare = with_container(deployment(), resources={"requests": {"cpu": "100m"}})
    (finding,) = rules.missing_resources(wl(bare))
    assert "requests.memory, limits.memory, limits.cpu" in finding.message
    assert finding.found == "requests.cpu=100m"
    no_cpu_limit = with_container(
        deployment(),
        resources={"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"memory": "1Gi"}},
    )
    assert rules.missing_resources(wl(no_cpu_limit), require_cpu_limit=False) == []
    assert len(rules.missing_resources(wl(no_cpu_limit), require_cpu_limit=True)) == 1


# ---------------------------------------------------------------- security


@pytest.mark.parametrize(
    ("ctx", "pod_ctx", "found_part"),
    [
        ({"privileged": True}, {}, "privileged: true"),
        ({"allowPrivilegeEscalation": True}, {}, "allowPrivilegeEscalation true"),
        ({"runAsNonRoot": None}, {}, "runAsNonRoot unset"),
        ({"runAsNonRoot": None, "runAsUser": 0}, {}, "runAsUser: 0"),
        ({"readOnlyRootFilesystem": False}, {}, "readOnlyRootFilesystem unset or false"),
        ({"capabilities": {"drop": ["NET_RAW"]}}, {}, "drop: ['NET_RAW']"),
    ],
)
def test_security_context_fails(
    ctx: dict[str, Any], pod_ctx: dict[str, Any], found_part: str
) -> None:
    base = good_container()["securityContext"]
    merged = {k: v for k, v in {**base, **ctx}.items() if v is not None}
    d = with_container(deployment(securityContext=pod_ctx), securityContext=merged)
    (finding,) = rules.insecure_security_context(wl(d))
    assert found_part in finding.found
    assert "shop/Deployment/web container 'app'" in finding.message


def test_security_context_pod_level_non_root_counts() -> None:
    ctx = {k: v for k, v in good_container()["securityContext"].items() if k != "runAsNonRoot"}
    d = with_container(deployment(securityContext={"runAsUser": 1000}), securityContext=ctx)
    assert rules.insecure_security_context(wl(d)) == []


def test_host_access() -> None:
    assert rules.host_access(wl(deployment())) == []
    d = deployment(
        hostNetwork=True, hostPID=True, volumes=[{"name": "logs", "hostPath": {"path": "/var/log"}}]
    )
    d = with_container(d, ports=[{"containerPort": 80, "hostPort": 80}])
    found = messages(rules.host_access(wl(d)))
    assert found == [
        "shop/Deployment/web shares host namespaces: hostNetwork, hostPID",
        "shop/Deployment/web mounts host paths",
        "shop/Deployment/web container 'app' binds host ports",
    ]


# ---------------------------------------------------------------- images


@pytest.mark.parametrize(
    ("image", "tag_ok", "digest_ok", "registry"),
    [
        ("nginx", False, False, "docker.io"),
        ("nginx:latest", False, False, "docker.io"),
        ("nginx:1.27", True, False, "docker.io"),
        ("localhost:5000/app", False, False, "localhost:5000"),
        ("localhost:5000/app:2", True, False, "localhost:5000"),
        ("ghcr.io/acme/app@sha256:" + "cd" * 32, True, True, "ghcr.io"),
        ("quay.io/prometheus/blackbox-exporter:v0.28.0", True, False, "quay.io"),
    ],
)
def test_images(image: str, tag_ok: bool, digest_ok: bool, registry: str) -> None:
    w = wl(with_container(deployment(), image=image))
    assert (rules.unpinned_tags(w) == []) is tag_ok
    assert (rules.missing_digests(w) == []) is digest_ok
    assert rules.registry_of(image) == registry


def test_allowed_registries() -> None:
    w = wl(with_container(deployment(), image="nginx:1.27"))
    (finding,) = rules.disallowed_registries(w, ["ghcr.io/acme"])
    assert finding.found == "docker.io/library/nginx"
    ok = wl(with_container(deployment(), image="ghcr.io/acme/app:1"))
    assert rules.disallowed_registries(ok, ["ghcr.io/acme/"]) == []
    assert rules.disallowed_registries(ok, ["ghcr.io/other"]) != []


# ---------------------------------------------------------------- availability


HPA = {
    "apiVersion": "autoscaling/v2",
    "kind": "HorizontalPodAutoscaler",
    "metadata": {"name": "web", "namespace": "shop"},
    "spec": {
        "scaleTargetRef": {"kind": "Deployment", "name": "web"},
        "minReplicas": 1,
        "maxReplicas": 5,
    },
}


def test_replicas_default_one_and_hpa_minimum() -> None:
    inv = inventory(deployment(replicas=None))
    (finding,) = rules.too_few_replicas(inv.workloads[0], inv.hpas, 2)
    assert finding.found == "spec.replicas=1"
    inv = inventory(deployment(replicas=4), HPA)
    (finding,) = rules.too_few_replicas(inv.workloads[0], inv.hpas, 2)
    assert finding.found == "HPA web minReplicas=1"
    assert rules.too_few_replicas(wl(deployment(replicas=2)), [], 2) == []


def pdb(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {"selector": {"matchLabels": {"app": "web"}}, **spec},
    }


@pytest.mark.parametrize(
    ("spec", "replicas", "allowed"),
    [
        ({"maxUnavailable": 1}, 3, 1),
        ({"maxUnavailable": 0}, 3, 0),
        ({"maxUnavailable": "50%"}, 3, 2),
        ({"minAvailable": 2}, 3, 1),
        ({"minAvailable": 3}, 3, 0),
        ({"minAvailable": "100%"}, 4, 0),
        ({"minAvailable": "50%"}, 4, 2),
    ],
)
def test_pdb_allowed_disruptions(spec: dict[str, Any], replicas: int, allowed: int) -> None:
    inv = inventory(deployment(replicas=replicas), pdb(**spec))
    assert rules.allowed_disruptions(inv.pdbs[0], replicas) == allowed
    findings = rules.missing_pdb(inv.workloads[0], inv.pdbs, inv.hpas)
    assert (findings == []) is (allowed >= 1)


def test_pdb_missing_or_other_namespace() -> None:
    other_ns = pdb(maxUnavailable=1)
    other_ns["metadata"]["namespace"] = "other"
    inv = inventory(deployment(), other_ns)
    (finding,) = rules.missing_pdb(inv.workloads[0], inv.pdbs, inv.hpas)
    assert "has no PodDisruptionBudget" in finding.message
    assert "maxUnavailable: 1" in finding.fix


def test_pdb_live_status_zero() -> None:
    p = pdb(maxUnavailable=1)
    p["status"] = {"disruptionsAllowed": 0}
    inv = inventory(deployment(), p)
    (finding,) = rules.missing_pdb(inv.workloads[0], inv.pdbs, inv.hpas)
    assert "currently allows no disruption" in finding.message


def test_hpa() -> None:
    inv = inventory(deployment())
    assert rules.missing_hpa(inv.workloads[0], inv.hpas, [], 2) == []
    (finding,) = rules.missing_hpa(inv.workloads[0], inv.hpas, ["shop/*"], 2)
    assert "marked scalable" in finding.message
    inv = inventory(deployment(), HPA)
    (finding,) = rules.missing_hpa(inv.workloads[0], inv.hpas, [], 2)
    assert finding.found == "minReplicas=1, maxReplicas=5"
    good = {**HPA, "spec": {**HPA["spec"], "minReplicas": 2}}
    inv = inventory(deployment(), good)
    assert rules.missing_hpa(inv.workloads[0], inv.hpas, ["web"], 2) == []


def test_spread() -> None:
    assert rules.not_spread(wl(deployment())) != []
    spread = deployment(topologySpreadConstraints=[{"maxSkew": 1, "topologyKey": "zone"}])
    assert rules.not_spread(wl(spread)) == []
    anti = deployment(
        affinity={
            "podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 1}]}
        }
    )
    assert rules.not_spread(wl(anti)) == []


# ---------------------------------------------------------------- network


def netpol(name: str, selector: dict[str, Any], **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": "shop"},
        "spec": {"podSelector": selector, **spec},
    }


def test_network_policy_coverage() -> None:
    inv = inventory(deployment(), netpol("other", {"matchLabels": {"app": "db"}}))
    (finding,) = rules.uncovered_by_network_policy(inv.workloads[0], inv.network_policies)
    assert "no NetworkPolicy in shop selects them" in finding.found
    expr = {"matchExpressions": [{"key": "app", "operator": "In", "values": ["web", "api"]}]}
    inv = inventory(deployment(), netpol("web", expr))
    assert rules.uncovered_by_network_policy(inv.workloads[0], inv.network_policies) == []


def test_default_deny() -> None:
    allow_all = netpol("allow", {}, policyTypes=["Ingress"], ingress=[{}])
    inv = inventory(deployment(), allow_all)
    assert rules.missing_default_deny("shop", inv.network_policies) != []
    inv = inventory(deployment(), netpol("deny", {}, policyTypes=["Ingress", "Egress"]))
    assert rules.missing_default_deny("shop", inv.network_policies) == []
    inv = inventory(deployment(), netpol("deny", {}))  # no policyTypes: Ingress implied
    assert rules.missing_default_deny("shop", inv.network_policies) == []


# ---------------------------------------------------------------- tokens and RBAC


def test_sa_token() -> None:
    inv = inventory(deployment())
    (finding,) = rules.needless_token(inv.workloads[0], inv.service_accounts, inv.bindings, [])
    assert finding.found == "token mounted (default (unset))"
    assert rules.needless_token(inv.workloads[0], (), (), ["web"]) == []
    inv = inventory(deployment(automountServiceAccountToken=False))
    assert rules.needless_token(inv.workloads[0], (), (), []) == []
    sa = {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {"name": "web", "namespace": "shop"},
        "automountServiceAccountToken": False,
    }
    inv = inventory(deployment(serviceAccountName="web"), sa)
    assert rules.needless_token(inv.workloads[0], inv.service_accounts, (), []) == []
    binding = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"name": "b", "namespace": "shop"},
        "roleRef": {"kind": "Role", "name": "r"},
        "subjects": [{"kind": "ServiceAccount", "name": "api"}],
    }
    inv = inventory(deployment(serviceAccountName="api"), binding)
    assert rules.needless_token(inv.workloads[0], (), inv.bindings, []) == []


def test_rbac() -> None:
    role = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": {"name": "r", "namespace": "shop"},
        "rules": [
            {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]},
            {"apiGroups": [""], "resources": ["*"], "verbs": ["get"]},
        ],
    }
    crb = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {"name": "ci-admin"},
        "roleRef": {"kind": "ClusterRole", "name": "cluster-admin"},
        "subjects": [
            {"kind": "ServiceAccount", "name": "ci", "namespace": "tools"},
            {"kind": "Group", "name": "ops"},
        ],
    }
    system = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": "system:controller:x"},
        "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}],
    }
    inv = inventory(role, crb, system)
    assert messages(rules.rbac_problems(inv.roles, inv.bindings)) == [
        "shop/Role/r rule 1 grants wildcards (resources: ['*'])",
        "ClusterRoleBinding/ci-admin gives cluster-admin to ServiceAccount tools/ci",
    ]
    assert messages(rules.rbac_problems(inv.roles, inv.bindings, ["shop"])) == [
        "ClusterRoleBinding/ci-admin gives cluster-admin to ServiceAccount tools/ci",
    ]


# ---------------------------------------------------------------- env secrets


@pytest.mark.parametrize(
    ("env", "flagged"),
    [
        ({"name": "DB_PASSWORD", "value": "hunter2-hunter2"}, True),
        ({"name": "API_KEY", "value": "abcdef123456"}, True),
        ({"name": "DATABASE_URL", "value": "postgres://app:s3cret@db:5432/app"}, True),
        ({"name": "AWS_KEY", "value": "AKIAIOSFODNN7EXAMPLE"}, True),
        ({"name": "DB_PASSWORD_FILE", "value": "/run/secrets/db"}, False),
        ({"name": "TOKEN_URL", "value": "https://auth.example/token"}, False),
        (
            {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "pw"}}},
            False,
        ),
        ({"name": "ENABLE_AUTH_KEY", "value": "true"}, False),
        ({"name": "PORT", "value": "8080"}, False),
    ],
)
def test_env_secrets(env: dict[str, Any], flagged: bool) -> None:
    w = wl(with_container(deployment(), env=[env]))
    findings = rules.literal_secrets(w)
    assert bool(findings) is flagged
    for f in findings:
        assert env.get("value", "") not in f.render()  # the value never appears


# ---------------------------------------------------------------- API versions


def test_deprecated_apis() -> None:
    old = deployment()
    old["apiVersion"] = "extensions/v1beta1"
    hpa = {**HPA, "apiVersion": "autoscaling/v2beta2"}
    flow = {
        "apiVersion": "flowcontrol.apiserver.k8s.io/v1beta3",
        "kind": "FlowSchema",
        "metadata": {"name": "f"},
    }
    inv = build_inventory(
        "t",
        False,
        [RawObject(old, "a.yaml#0"), RawObject(hpa, "a.yaml#1"), RawObject(flow, "a.yaml#2")],
    )
    found = messages(rules.deprecated_apis(inv.api_uses, "1.29"))
    assert found == [
        "shop/Deployment/web (a.yaml#0) uses extensions/v1beta1, which was removed in 1.16",
        "shop/HorizontalPodAutoscaler/web (a.yaml#1) uses autoscaling/v2beta2, which was "
        "removed in 1.26",
        "FlowSchema/f (a.yaml#2) uses flowcontrol.apiserver.k8s.io/v1beta3, which is "
        "deprecated and will be removed in 1.32",
    ]
    assert inv.ignored == {"FlowSchema": 1}  # not judged otherwise, but its version is
    assert rules.deprecated_apis(inventory(deployment()).api_uses, "1.31") == []


# ---------------------------------------------------------------- shutdown, monitoring, labels


def service(name: str = "web", typ: str = "ClusterIP", **meta: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": "shop", "labels": {"app": "web"}, **meta},
        "spec": {"type": typ, "selector": {"app": "web"}},
    }


def test_graceful_shutdown() -> None:
    no_hook = with_container(deployment(terminationGracePeriodSeconds=5), lifecycle=None)
    inv = inventory(no_hook, service("web-lb", "LoadBalancer"))
    found = messages(rules.ungraceful_shutdown(inv.workloads[0], inv.services, inv.ingresses, 10))
    assert found == [
        "shop/Deployment/web gets 5s to shut down",
        "shop/Deployment/web container 'app' is behind a load balancer (Service web-lb type "
        "LoadBalancer) but has no preStop hook",
    ]
    inv = inventory(with_container(deployment(), lifecycle=None), service())
    assert rules.ungraceful_shutdown(inv.workloads[0], inv.services, inv.ingresses, 10) == []
    ingress = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": "edge", "namespace": "shop"},
        "spec": {
            "rules": [{"http": {"paths": [{"path": "/", "backend": {"service": {"name": "web"}}}]}}]
        },
    }
    inv = inventory(with_container(deployment(), lifecycle=None), service(), ingress)
    (finding,) = rules.ungraceful_shutdown(inv.workloads[0], inv.services, inv.ingresses, 10)
    assert "Ingress edge -> Service web" in finding.message


def test_monitoring() -> None:
    inv = inventory(deployment(), service())
    (finding,) = rules.unmonitored(inv.services[0], inv.service_monitors, inv.workloads)
    assert finding.message == "shop/Service/web is not scraped"
    sm = {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": {"name": "web", "namespace": "monitoring"},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "namespaceSelector": {"matchNames": ["shop"]},
        },
    }
    inv = inventory(deployment(), service(), sm)
    assert rules.scrape_coverage(inv.services[0], inv.service_monitors, inv.workloads) == [
        "ServiceMonitor monitoring/web"
    ]
    annotated = service(annotations={"prometheus.io/scrape": "true"})
    inv = inventory(deployment(), annotated)
    assert rules.unmonitored(inv.services[0], inv.service_monitors, inv.workloads) == []


def test_labels() -> None:
    assert rules.missing_labels(wl(deployment()), ["app.kubernetes.io/name"]) == []
    d = deployment()
    d["metadata"]["labels"] = {"app": "web"}
    (finding,) = rules.missing_labels(
        wl(d), ["app.kubernetes.io/name", "app.kubernetes.io/version"]
    )
    assert "app.kubernetes.io/name, app.kubernetes.io/version" in finding.message


# ---------------------------------------------------------------- live rules


def live_deployment(status: dict[str, Any], generation: int = 2) -> dict[str, Any]:
    d = deployment(replicas=3)
    d["metadata"]["generation"] = generation
    d["status"] = status
    return d


def pod(
    name: str, phase: str = "Running", created: float = 600, **container: Any
) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": "shop",
            "labels": {"app": "web"},
            "creationTimestamp": ts(created),
            "ownerReferences": [{"kind": "ReplicaSet", "name": "web-1", "controller": True}],
        },
        "status": {
            "phase": phase,
            "containerStatuses": [
                {"name": "app", "ready": phase == "Running", "restartCount": 0, **container}
            ],
        },
    }


RS = {
    "apiVersion": "apps/v1",
    "kind": "ReplicaSet",
    "metadata": {
        "name": "web-1",
        "namespace": "shop",
        "ownerReferences": [{"kind": "Deployment", "name": "web", "controller": True}],
    },
    "spec": {"replicas": 3, "template": {"spec": {"containers": []}}},
}


def test_rollout() -> None:
    done = {
        "observedGeneration": 2,
        "replicas": 3,
        "updatedReplicas": 3,
        "readyReplicas": 3,
        "availableReplicas": 3,
    }
    assert live.incomplete_rollout(wl(live_deployment(done))) == []
    assert live.incomplete_rollout(wl(deployment())) == []  # no status: manifests
    stuck = {**done, "observedGeneration": 1, "updatedReplicas": 1, "readyReplicas": 2}
    found = messages(live.incomplete_rollout(wl(live_deployment(stuck))))
    assert found == [
        "shop/Deployment/web: controller has not observed the latest spec",
        "shop/Deployment/web: rollout incomplete 1/3 updated, 2/3 ready",
    ]


def test_pod_health() -> None:
    inv = inventory(
        live_deployment({}),
        RS,
        pod("web-1-a"),
        pod("web-1-b", state={"waiting": {"reason": "CrashLoopBackOff", "message": "back-off"}}),
        pod("web-1-c", phase="Pending", created=30),
        pod("web-1-d", phase="Pending", created=2),
        live_source=True,
    )
    found = messages(live.unhealthy_pods(inv.workloads[0], inv.pods, NOW, 10))
    assert found == [
        "shop/Deployment/web pod web-1-b container 'app' is CrashLoopBackOff",
        "shop/Deployment/web pod web-1-c has been Pending for 30m",
    ]


def test_restarts_count_only_recent() -> None:
    recent = {
        "restartCount": 5,
        "lastState": {"terminated": {"reason": "OOMKilled", "finishedAt": ts(10)}},
    }
    old = {"restartCount": 50, "lastState": {"terminated": {"finishedAt": ts(600)}}}
    inv = inventory(
        live_deployment({}), RS, pod("web-1-a", **recent), pod("web-1-b", **old), live_source=True
    )
    (finding,) = live.restarting(inv.workloads[0], inv.pods, NOW, 3, 60)
    assert "web-1-a container 'app' restarted 5 times, last 10m ago" in finding.message
    assert "OOMKilled" in finding.found
    assert live.restarting(inv.workloads[0], inv.pods, NOW, 5, 60) == []


def test_nodes() -> None:
    nodes = [
        {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {"name": "a"},
            "status": {"conditions": [{"type": "Ready", "status": "True"}]},
        },
        {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {"name": "b"},
            "status": {
                "conditions": [
                    {"type": "Ready", "status": "False", "reason": "KubeletDown"},
                    {"type": "DiskPressure", "status": "True"},
                ]
            },
        },
    ]
    inv = inventory(*nodes, live_source=True)
    assert messages(live.unhealthy_nodes(inv.nodes)) == [
        "node b is not Ready",
        "node b reports DiskPressure",
    ]


def test_warning_events_for_the_workload_only() -> None:
    def event(kind: str, name: str, minutes: float, typ: str = "Warning") -> dict[str, Any]:
        return {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": f"{name}.{minutes}", "namespace": "shop"},
            "involvedObject": {"kind": kind, "name": name, "namespace": "shop"},
            "type": typ,
            "reason": "BackOff",
            "message": "m",
            "lastTimestamp": ts(minutes),
        }

    inv = inventory(
        live_deployment({}),
        RS,
        pod("web-1-a"),
        event("Pod", "web-1-a", 5),
        event("Pod", "other-1", 5),
        event("Pod", "web-1-a", 120),
        event("Deployment", "web", 1, "Normal"),
        event("ReplicaSet", "web-1", 3),
        live_source=True,
    )
    got = live.warning_events(inv.workloads[0], inv.pods, inv.events, NOW, 60)
    assert [e["object"] for e in got] == ["ReplicaSet/web-1", "Pod/web-1-a"]


def test_dangling_service() -> None:
    inv = inventory(deployment(), service())
    assert rules.dangling_service(inv.services[0], inv.workloads) == []
    renamed = service()
    renamed["spec"]["selector"] = {"app": "web-v2"}
    inv = inventory(deployment(), renamed)
    (finding,) = rules.dangling_service(inv.services[0], inv.workloads)
    assert finding.message == "shop/Service/web selects no workload"
    assert "{app=web-v2}" in finding.expected
    external = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "db", "namespace": "shop"},
        "spec": {"type": "ExternalName", "externalName": "db.example.com"},
    }
    assert rules.dangling_service(inventory(external).services[0], ()) == []


def test_live_api_versions_from_last_applied_and_managed_fields() -> None:
    d = deployment()
    d["metadata"]["managedFields"] = [
        {"manager": "kube-controller-manager", "operation": "Update", "apiVersion": "apps/v1"},
        {"manager": "old-deployer", "operation": "Update", "apiVersion": "apps/v1beta2"},
    ]
    d["metadata"]["annotations"] = {
        "kubectl.kubernetes.io/last-applied-configuration": '{"apiVersion": "apps/v1"}'
    }
    inv = inventory(d, live_source=True)
    assert [(u.api_version, u.where) for u in inv.api_uses] == [
        ("apps/v1", "last-applied-configuration"),
        ("apps/v1beta2", "managedFields manager old-deployer"),
    ]
    (finding,) = rules.deprecated_apis(inv.api_uses, "1.31")
    assert finding.message == (
        "shop/Deployment/web (managedFields manager old-deployer) uses apps/v1beta2, which "
        "was removed in 1.16"
    )
    assert inventory(deployment(), live_source=True).api_uses == ()


def test_rollout_counts_omitted_from_status_are_zero() -> None:
    # The API server omits zero counts: nothing updated, ready or available yet.
    w = wl(live_deployment({"observedGeneration": 2, "replicas": 3}))
    (finding,) = live.incomplete_rollout(w)
    assert finding.message == (
        "shop/Deployment/web: rollout incomplete 0/3 updated, 0/3 ready, 0/3 available"
    )


def test_rollout_not_observed_when_status_is_empty() -> None:
    messages_ = messages(live.incomplete_rollout(wl(live_deployment({}))))
    assert messages_[0] == "shop/Deployment/web: controller has not observed the latest spec"
