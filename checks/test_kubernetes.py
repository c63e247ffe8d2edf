"""Kubernetes checks: one rule set over live clusters and manifest files.

Targets read `ns/Kind/name` (e.g. `shop/Deployment/cart`); a source that could not be
read yields one target named after it, whose checks end as *error*.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

import pytest

from readiness import Evidence, assert_no_findings, control, parametrize
from readiness.checking import MARKER, profile_of
from readiness.profile.kubernetes import KubernetesPolicy
from readiness.rules import kubernetes as rules
from readiness.rules import kubernetes_live as live
from readiness.rules.kubernetes_model import WORKLOAD_KINDS, Hpa, Workload
from readiness.sources.kubernetes_targets import (
    Case,
    KubeSource,
    load_sources,
    namespace_cases,
    service_cases,
    unique_ids,
    workload_cases,
)

LIVE_ONLY = frozenset({"K8S-ROLLOUT", "K8S-POD-HEALTH", "K8S-RESTARTS", "K8S-NODES"})


_SOURCES = pytest.StashKey[list[KubeSource]]()


def sources(config: pytest.Config) -> list[KubeSource]:
    """Every configured source, read once per run."""
    if _SOURCES not in config.stash:
        config.stash[_SOURCES] = load_sources(profile_of(config))
    return config.stash[_SOURCES]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    profile = profile_of(metafunc.config)
    if not (profile.targets.kubernetes or profile.targets.manifests):
        for name in ("workload", "service", "namespace", "kube_source"):
            parametrize(metafunc, name, [])
        return
    marker = metafunc.definition.get_closest_marker(MARKER)
    live_only = marker is not None and marker.args[0] in LIVE_ONLY
    srcs = [s for s in sources(metafunc.config) if s.live or not live_only]
    if live_only and not srcs:
        reason = "live-only check: no cluster in targets.kubernetes (manifests cannot show it)"
        for name in ("workload", "kube_source"):
            if name in metafunc.fixturenames:
                metafunc.parametrize(
                    name, [pytest.param(None, marks=pytest.mark.skip(reason=reason))], ids=["-"]
                )
        return
    ignore = profile.kubernetes.ignore_namespaces
    parametrize(metafunc, "workload", unique_ids(list(workload_cases(srcs, ignore))))
    parametrize(metafunc, "service", unique_ids(list(service_cases(srcs, ignore))))
    parametrize(metafunc, "namespace", unique_ids(list(namespace_cases(srcs, ignore))))
    parametrize(metafunc, "kube_source", [(s.name, Case(s, error=s.error)) for s in srcs])


@pytest.fixture(scope="session")
def policy(pytestconfig: pytest.Config) -> KubernetesPolicy:
    return profile_of(pytestconfig).kubernetes


def _note(evidence: Evidence, case: Case, **more: Any) -> None:
    evidence.add(**case.source.describe(), **more)


def _replicated(w: Workload, hpas: Iterable[Hpa]) -> int:
    """The workload's effective replicas; skips the check unless it runs two or more."""
    replicas = rules.effective_replicas(w, hpas)
    if replicas is None or replicas < 2:
        pytest.skip(f"not applicable: {w.kind} runs {replicas or 'per-node'} replica(s)")
    return replicas


def _containers(w: Workload) -> list[str]:
    return [f"{'init:' if c.init else ''}{c.name}={c.image}" for c in w.pod.containers]


# ---------------------------------------------------------------- static and live


@control("K8S-PROBES")
def test_probes(workload: Case, policy: KubernetesPolicy, evidence: Evidence) -> None:
    w = workload.wl
    _note(
        evidence,
        workload,
        probes={
            c.name: {
                "readiness": c.readiness_probe.handler if c.readiness_probe else None,
                "liveness": c.liveness_probe.handler if c.liveness_probe else None,
                "startup": c.startup_probe.handler if c.startup_probe else None,
            }
            for c in w.pod.app_containers
        },
    )
    assert_no_findings(rules.missing_probes(w, policy.slow_start_seconds))


@control("K8S-RESOURCES")
def test_resources(workload: Case, policy: KubernetesPolicy, evidence: Evidence) -> None:
    w = workload.wl
    _note(evidence, workload, resources={c.name: vars_of(c.resources) for c in w.pod.containers})
    assert_no_findings(rules.missing_resources(w, policy.require_cpu_limit))


def vars_of(obj: Any) -> dict[str, Any]:
    return dataclasses.asdict(obj)


@control("K8S-SECURITY-CONTEXT")
def test_security_context(workload: Case, evidence: Evidence) -> None:
    w = workload.wl
    _note(
        evidence,
        workload,
        pod_security=vars_of(w.pod.security),
        containers={c.name: vars_of(c.security) for c in w.pod.containers},
    )
    assert_no_findings(rules.insecure_security_context(w))


@control("K8S-HOST-NAMESPACES")
def test_host_namespaces(workload: Case, evidence: Evidence) -> None:
    w = workload.wl
    _note(
        evidence,
        workload,
        host_network=w.pod.host_network,
        host_pid=w.pod.host_pid,
        host_ipc=w.pod.host_ipc,
        host_paths=list(w.pod.host_path_volumes),
    )
    assert_no_findings(rules.host_access(w))


@control("K8S-IMAGE-TAG")
def test_image_tag(workload: Case, evidence: Evidence) -> None:
    w = workload.wl
    _note(evidence, workload, images=_containers(w))
    assert_no_findings(rules.unpinned_tags(w))


@control("K8S-IMAGE-DIGEST")
def test_image_digest(workload: Case, evidence: Evidence) -> None:
    w = workload.wl
    _note(evidence, workload, images=_containers(w))
    assert_no_findings(rules.missing_digests(w))


@control("K8S-IMAGE-REGISTRY")
def test_image_registry(workload: Case, policy: KubernetesPolicy, evidence: Evidence) -> None:
    w = workload.wl
    if not policy.allowed_registries:
        pytest.skip("no kubernetes.allowed_registries in the profile")
    _note(evidence, workload, images=_containers(w), allowed=policy.allowed_registries)
    assert_no_findings(rules.disallowed_registries(w, policy.allowed_registries))


@control("K8S-REPLICAS")
def test_replicas(workload: Case, policy: KubernetesPolicy, evidence: Evidence) -> None:
    w, inv = workload.wl, workload.inventory
    inv.require("HorizontalPodAutoscaler")
    if w.kind == "DaemonSet":
        pytest.skip("not applicable: a DaemonSet runs one pod per node")
    _note(
        evidence,
        workload,
        replicas=w.replicas,
        effective_replicas=rules.effective_replicas(w, inv.hpas),
        minimum=policy.min_replicas,
    )
    assert_no_findings(rules.too_few_replicas(w, inv.hpas, policy.min_replicas))


@control("K8S-PDB")
def test_pdb(workload: Case, evidence: Evidence) -> None:
    w, inv = workload.wl, workload.inventory
    inv.require("PodDisruptionBudget", "HorizontalPodAutoscaler")
    replicas = _replicated(w, inv.hpas)
    _note(
        evidence,
        workload,
        replicas=replicas,
        budgets=[str(p.ref) for p in rules.pdbs_for(w, inv.pdbs)],
    )
    assert_no_findings(rules.missing_pdb(w, inv.pdbs, inv.hpas))


@control("K8S-HPA")
def test_hpa(workload: Case, policy: KubernetesPolicy, evidence: Evidence) -> None:
    w, inv = workload.wl, workload.inventory
    inv.require("HorizontalPodAutoscaler")
    hpa = rules.hpa_for(w, inv.hpas)
    scalable = rules.matches_any(w, policy.scalable)
    if hpa is None and not scalable:
        pytest.skip("not marked scalable in kubernetes.scalable and no HPA targets it")
    _note(
        evidence,
        workload,
        scalable=scalable,
        hpa=str(hpa.ref) if hpa else None,
        min_replicas=hpa.min_replicas if hpa else None,
    )
    assert_no_findings(rules.missing_hpa(w, inv.hpas, policy.scalable, policy.hpa_min_replicas))


@control("K8S-SPREAD")
def test_spread(workload: Case, evidence: Evidence) -> None:
    w, inv = workload.wl, workload.inventory
    inv.require("HorizontalPodAutoscaler")
    replicas = _replicated(w, inv.hpas)
    _note(
        evidence,
        workload,
        replicas=replicas,
        topology_spread=w.pod.topology_spread,
        anti_affinity=w.pod.anti_affinity,
    )
    assert_no_findings(rules.not_spread(w))


@control("K8S-NETWORK-POLICY")
def test_network_policy(workload: Case, evidence: Evidence) -> None:
    w, inv = workload.wl, workload.inventory
    inv.require("NetworkPolicy")
    _note(
        evidence,
        workload,
        policies=[str(p.ref) for p in rules.policies_for(w, inv.network_policies)],
    )
    assert_no_findings(rules.uncovered_by_network_policy(w, inv.network_policies))


@control("K8S-DEFAULT-DENY")
def test_default_deny(namespace: Case, evidence: Evidence) -> None:
    inv = namespace.inventory
    inv.require("NetworkPolicy")
    ns = namespace.namespace
    _note(
        evidence,
        namespace,
        namespace=ns,
        policies=[p.ref.name for p in inv.network_policies if p.ref.namespace == ns],
    )
    assert_no_findings(rules.missing_default_deny(ns, inv.network_policies))


@control("K8S-SA-TOKEN")
def test_sa_token(workload: Case, policy: KubernetesPolicy, evidence: Evidence) -> None:
    w, inv = workload.wl, workload.inventory
    inv.require("ServiceAccount", "RoleBinding", "ClusterRoleBinding")
    _note(
        evidence, workload, service_account=w.pod.service_account, automount=w.pod.automount_token
    )
    assert_no_findings(
        rules.needless_token(w, inv.service_accounts, inv.bindings, policy.api_access)
    )


@control("K8S-ENV-SECRETS")
def test_env_secrets(workload: Case, evidence: Evidence) -> None:
    w = workload.wl
    _note(
        evidence,
        workload,
        env={
            c.name: [f"{e.name}={'<literal>' if e.value is not None else e.source}" for e in c.env]
            for c in w.pod.containers
        },
    )
    assert_no_findings(rules.literal_secrets(w))


@control("K8S-GRACEFUL-SHUTDOWN")
def test_graceful_shutdown(workload: Case, policy: KubernetesPolicy, evidence: Evidence) -> None:
    w, inv = workload.wl, workload.inventory
    inv.require("Service", "Ingress")
    _note(
        evidence,
        workload,
        termination_grace=w.pod.termination_grace,
        load_balanced=rules.load_balanced(w, inv.services, inv.ingresses),
    )
    assert_no_findings(
        rules.ungraceful_shutdown(
            w, inv.services, inv.ingresses, policy.min_termination_grace_seconds
        )
    )


@control("K8S-LABELS")
def test_labels(workload: Case, policy: KubernetesPolicy, evidence: Evidence) -> None:
    w = workload.wl
    _note(evidence, workload, labels=w.labels)
    assert_no_findings(rules.missing_labels(w, policy.required_labels))


@control("K8S-MONITORING")
def test_monitoring(service: Case, evidence: Evidence) -> None:
    inv = service.inventory
    inv.require("ServiceMonitor")
    assert service.service is not None
    _note(
        evidence,
        service,
        scraped_by=rules.scrape_coverage(service.service, inv.service_monitors, inv.workloads),
    )
    assert_no_findings(rules.unmonitored(service.service, inv.service_monitors, inv.workloads))


@control("K8S-SERVICE-SELECTOR")
def test_service_selector(service: Case, evidence: Evidence) -> None:
    inv = service.inventory
    inv.require(*WORKLOAD_KINDS)
    assert service.service is not None
    _note(
        evidence,
        service,
        selector=service.service.selector,
        type=service.service.type,
        workloads=[str(w.ref) for w in rules.workloads_behind(service.service, inv.workloads)],
    )
    assert_no_findings(rules.dangling_service(service.service, inv.workloads))


@control("K8S-RBAC")
def test_rbac(kube_source: Case, policy: KubernetesPolicy, evidence: Evidence) -> None:
    inv = kube_source.inventory
    inv.require("Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding")
    _note(evidence, kube_source, roles=len(inv.roles), bindings=len(inv.bindings))
    assert_no_findings(rules.rbac_problems(inv.roles, inv.bindings, policy.ignore_namespaces))


@control("K8S-DEPRECATED-API")
def test_deprecated_api(kube_source: Case, policy: KubernetesPolicy, evidence: Evidence) -> None:
    inv = kube_source.inventory
    _note(
        evidence,
        kube_source,
        objects_checked=len(inv.api_uses),
        target_version=policy.target_version,
    )
    findings = rules.deprecated_apis(inv.api_uses, policy.target_version)
    if not findings:
        inv.require(*inv.missing)  # every object counts: a kind not read is a blind spot
    assert_no_findings(findings)


# ---------------------------------------------------------------- live only


def _live_evidence(case: Case, policy: KubernetesPolicy, evidence: Evidence) -> None:
    w, inv = case.wl, case.inventory
    pods = live.pods_of(w, inv.pods)
    _note(
        evidence,
        case,
        observed_at=case.source.now.isoformat(),
        pods={p.ref.name: p.phase for p in pods},
        warning_events=live.warning_events(
            w, inv.pods, inv.events, case.source.now, policy.event_window_minutes
        ),
    )


@control("K8S-ROLLOUT")
def test_rollout(workload: Case, policy: KubernetesPolicy, evidence: Evidence) -> None:
    w, inv = workload.wl, workload.inventory
    inv.require("Pod", "Event")
    _live_evidence(workload, policy, evidence)
    if w.status is not None:
        evidence.add(status=vars_of(w.status))
    assert_no_findings(live.incomplete_rollout(w))


@control("K8S-POD-HEALTH")
def test_pod_health(workload: Case, policy: KubernetesPolicy, evidence: Evidence) -> None:
    w, inv = workload.wl, workload.inventory
    inv.require("Pod", "Event")
    _live_evidence(workload, policy, evidence)
    assert_no_findings(
        live.unhealthy_pods(w, inv.pods, workload.source.now, policy.pending_minutes)
    )


@control("K8S-RESTARTS")
def test_restarts(workload: Case, policy: KubernetesPolicy, evidence: Evidence) -> None:
    w, inv = workload.wl, workload.inventory
    inv.require("Pod")
    pods = live.pods_of(w, inv.pods)
    _note(
        evidence,
        workload,
        restarts={f"{p.ref.name}/{c.name}": c.restart_count for p in pods for c in p.containers},
        limit=policy.restart_limit,
        window_minutes=policy.restart_window_minutes,
    )
    assert_no_findings(
        live.restarting(
            w, inv.pods, workload.source.now, policy.restart_limit, policy.restart_window_minutes
        )
    )


@control("K8S-NODES")
def test_nodes(kube_source: Case, evidence: Evidence) -> None:
    inv = kube_source.inventory
    inv.require("Node")
    ready = {n.name: n.condition("Ready") for n in inv.nodes}
    _note(evidence, kube_source, nodes={k: c.status if c else "?" for k, c in ready.items()})
    assert_no_findings(live.unhealthy_nodes(inv.nodes))
