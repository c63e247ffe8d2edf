"""Kubernetes checks: one rule set over live clusters and manifest files.

Targets read `ns/Kind/name` (e.g. `shop/Deployment/cart`, `jobs/CronJob/backup`); a
source that could not be read yields one target named after it, whose checks end as
*error*. Jobs, CronJobs and bare Pods are judged for what runs (security, resources,
images, host access, tokens, env); checks about serving (probes, replicas, budgets,
autoscaling, spread, shutdown, rollout) apply to controllers only. Rules that relate
objects ask the source's index, built once.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from readiness import Evidence, assert_no_findings, control, parametrize
from readiness.checking import MARKER, profile_of
from readiness.profile.kubernetes import KubernetesPolicy
from readiness.rules import kubernetes as rules
from readiness.rules import kubernetes_batch as batch
from readiness.rules import kubernetes_delivery as delivery
from readiness.rules import kubernetes_live as live
from readiness.rules import kubernetes_relations as relations
from readiness.rules.kubernetes_index import KubeIndex
from readiness.rules.kubernetes_model import WORKLOAD_KINDS, Workload, hide_source_errors
from readiness.sources.kubernetes_targets import (
    Case,
    KubeSource,
    delivery_cases,
    load_sources,
    namespace_cases,
    object_cases,
    service_cases,
    unique_ids,
    workload_cases,
)

# A check erring on a source's error reports its message without a traceback: formatting
# one costs more than the check (issue: 10,000 errored checks took 45 minutes).
__tracebackhide__ = hide_source_errors

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
        names = ("workload", "service", "namespace", "kube_source", "autoscaler", "budget")
        for name in (*names, "release"):
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
    for name in TARGETS:
        if name in metafunc.fixturenames:
            parametrize(metafunc, name, _targets(metafunc.config, name, srcs, live_only))
    parametrize(metafunc, "kube_source", [(s.name, Case(s, error=s.error)) for s in srcs])


TARGETS = ("workload", "service", "namespace", "autoscaler", "budget", "release")
_TARGETS = pytest.StashKey[dict[tuple[str, bool], list[tuple[str, Case]]]]()


def _targets(
    config: pytest.Config, name: str, srcs: list[KubeSource], live_only: bool
) -> list[tuple[str, Case]]:
    """The (id, case) pairs of one kind of target, listed once per run for every check
    that takes them (and once more for the live-only checks when manifests are read)."""
    cache = config.stash.setdefault(_TARGETS, {})
    if (name, live_only) not in cache:
        policy = profile_of(config).kubernetes
        ignore = policy.ignore_namespaces
        if name == "workload":
            found = workload_cases(srcs, ignore)
        elif name == "service":
            found = service_cases(srcs, ignore)
        elif name == "namespace":
            found = namespace_cases(srcs, ignore)
        elif name == "autoscaler":
            found = object_cases(srcs, ignore, "HorizontalPodAutoscaler")
        elif name == "budget":
            found = object_cases(srcs, ignore, "PodDisruptionBudget")
        else:
            required = policy.progressive_delivery.required
            found = delivery_cases(srcs, ignore, [] if required == "all" else required)
        cache[name, live_only] = unique_ids(list(found))
    return cache[name, live_only]


@pytest.fixture(scope="session")
def policy(pytestconfig: pytest.Config) -> KubernetesPolicy:
    return profile_of(pytestconfig).kubernetes


def _note(evidence: Evidence, case: Case, **more: Any) -> None:
    evidence.add(**case.source.describe(), **more)


def _controller(case: Case) -> Workload:
    """The case's workload; skips the check for Jobs, CronJobs and bare Pods."""
    w = case.wl
    if not w.long_running:
        what = (
            "a bare Pod has no controller" if w.kind == "Pod" else f"a {w.kind} runs to completion"
        )
        pytest.skip(f"not applicable: {what}")
    return w


def _batch(case: Case, *kinds: str) -> Workload:
    w = case.wl
    if w.kind not in kinds:
        pytest.skip(f"not applicable: {w.kind} is not a {' or '.join(kinds)}")
    return w


def _replicated(w: Workload, index: KubeIndex) -> int:
    """The workload's effective replicas; skips the check unless it runs two or more."""
    replicas = rules.effective_replicas(w, index.hpas_for(w))
    if replicas is None or replicas < 2:
        pytest.skip(f"not applicable: {w.kind} runs {replicas or 'per-node'} replica(s)")
    return replicas


def _serving(case: Case) -> Workload:
    """Controllers and bare Pods: their pods should be up (a Job's pods end by design)."""
    w = case.wl
    if w.batch is not None:
        pytest.skip(f"not applicable: a {w.kind}'s pods run to completion")
    return w


def _containers(w: Workload) -> list[str]:
    return [f"{'init:' if c.init else ''}{c.name}={c.image}" for c in w.pod.containers]


# ---------------------------------------------------------------- static and live


@control("K8S-PROBES")
def test_probes(workload: Case, policy: KubernetesPolicy, evidence: Evidence) -> None:
    w = _controller(workload)
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
    w, inv = _controller(workload), workload.inventory
    inv.require("HorizontalPodAutoscaler")
    if w.kind == "DaemonSet":
        pytest.skip("not applicable: a DaemonSet runs one pod per node")
    hpas = workload.related.hpas_for(w)
    _note(
        evidence,
        workload,
        replicas=w.replicas,
        effective_replicas=rules.effective_replicas(w, hpas),
        minimum=policy.min_replicas,
    )
    assert_no_findings(rules.too_few_replicas(w, hpas, policy.min_replicas))


@control("K8S-PDB")
def test_pdb(workload: Case, evidence: Evidence) -> None:
    w, inv, index = _controller(workload), workload.inventory, workload.related
    inv.require("PodDisruptionBudget", "HorizontalPodAutoscaler")
    replicas = _replicated(w, index)
    pdbs = index.pdbs_for(w)
    _note(evidence, workload, replicas=replicas, budgets=[str(p.ref) for p in pdbs])
    assert_no_findings(rules.missing_pdb(w, pdbs, index.hpas_for(w)))


@control("K8S-HPA")
def test_hpa(workload: Case, policy: KubernetesPolicy, evidence: Evidence) -> None:
    w, inv = _controller(workload), workload.inventory
    inv.require("HorizontalPodAutoscaler")
    hpas = workload.related.hpas_for(w)
    hpa = rules.hpa_for(w, hpas)
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
    assert_no_findings(rules.missing_hpa(w, hpas, policy.scalable, policy.hpa_min_replicas))


@control("K8S-SPREAD")
def test_spread(workload: Case, evidence: Evidence) -> None:
    w, inv = _controller(workload), workload.inventory
    inv.require("HorizontalPodAutoscaler")
    replicas = _replicated(w, workload.related)
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
    w, inv, index = workload.wl, workload.inventory, workload.related
    inv.require("NetworkPolicy")
    policies = index.policies_for(w)
    _note(
        evidence,
        workload,
        policies=[str(p.ref) for p in policies],
        policies_in_namespace=len(index.policies_in(w.namespace)),
    )
    assert_no_findings(rules.uncovered_by_network_policy(w, policies))


@control("K8S-DEFAULT-DENY")
def test_default_deny(namespace: Case, evidence: Evidence) -> None:
    inv = namespace.inventory
    inv.require("NetworkPolicy")
    ns = namespace.namespace
    policies = namespace.related.policies_in(ns)
    _note(evidence, namespace, namespace=ns, policies=[p.ref.name for p in policies])
    assert_no_findings(rules.missing_default_deny(ns, policies))


@control("K8S-SA-TOKEN")
def test_sa_token(workload: Case, policy: KubernetesPolicy, evidence: Evidence) -> None:
    w, inv, index = workload.wl, workload.inventory, workload.related
    inv.require("ServiceAccount", "RoleBinding", "ClusterRoleBinding")
    _note(
        evidence, workload, service_account=w.pod.service_account, automount=w.pod.automount_token
    )
    account = index.service_account(w)
    accounts = [account] if account is not None else []
    assert_no_findings(rules.needless_token(w, accounts, index.bindings_for(w), policy.api_access))


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
    w, inv, index = _controller(workload), workload.inventory, workload.related
    inv.require("Service", "Ingress")
    services = index.services_for(w)
    ingresses = index.ingresses_for(services)
    _note(
        evidence,
        workload,
        termination_grace=w.pod.termination_grace,
        load_balanced=rules.load_balanced(w, services, ingresses),
    )
    assert_no_findings(
        rules.ungraceful_shutdown(w, services, ingresses, policy.min_termination_grace_seconds)
    )


@control("K8S-LABELS")
def test_labels(workload: Case, policy: KubernetesPolicy, evidence: Evidence) -> None:
    w = workload.wl
    _note(evidence, workload, labels=w.labels)
    assert_no_findings(rules.missing_labels(w, policy.required_labels))


@control("K8S-MONITORING")
def test_monitoring(service: Case, evidence: Evidence) -> None:
    inv, index = service.inventory, service.related
    inv.require("ServiceMonitor")
    assert service.service is not None
    monitors = index.monitors_for(service.service)
    behind = index.workloads_behind(service.service)
    _note(evidence, service, scraped_by=rules.scrape_coverage(service.service, monitors, behind))
    assert_no_findings(rules.unmonitored(service.service, monitors, behind))


@control("K8S-SERVICE-SELECTOR")
def test_service_selector(service: Case, evidence: Evidence) -> None:
    inv = service.inventory
    inv.require(*WORKLOAD_KINDS, "Pod")
    assert service.service is not None
    behind = service.related.workloads_behind(service.service)
    _note(
        evidence,
        service,
        selector=service.service.selector,
        type=service.service.type,
        workloads=[str(w.ref) for w in behind],
    )
    assert_no_findings(rules.dangling_service(service.service, behind))


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


@control("K8S-CRONJOB")
def test_cronjob(workload: Case, policy: KubernetesPolicy, evidence: Evidence) -> None:
    w = _batch(workload, "CronJob")
    assert w.batch is not None
    _note(evidence, workload, **vars_of(w.batch))
    assert_no_findings(batch.cronjob_problems(w, policy.job_history_max))


@control("K8S-JOB")
def test_job(workload: Case, evidence: Evidence) -> None:
    w = _batch(workload, "Job", "CronJob")
    assert w.batch is not None
    _note(
        evidence,
        workload,
        backoff_limit=w.batch.backoff_limit,
        active_deadline_seconds=w.batch.active_deadline,
        ttl_seconds_after_finished=w.batch.ttl_after_finished,
    )
    assert_no_findings(batch.job_problems(w))


@control("K8S-HPA-TARGET")
def test_hpa_target(autoscaler: Case, evidence: Evidence) -> None:
    index = autoscaler.related
    autoscaler.inventory.require(*WORKLOAD_KINDS)
    hpa = autoscaler.hpa
    assert hpa is not None
    if hpa.target_kind not in (*relations.SCALABLE_KINDS, *relations.UNSCALABLE_KINDS):
        pytest.skip(
            f"scale target kind {hpa.target_kind or '(none)'} is not one the suite reads; "
            "its existence cannot be checked"
        )
    _note(
        evidence,
        autoscaler,
        scale_target=f"{hpa.target_kind}/{hpa.target_name}",
        autoscalers_on_target=[str(h.ref) for h in index.hpa_targets(hpa)],
    )
    assert_no_findings(relations.hpa_target_problems(hpa, index))


@control("K8S-PDB-SELECTOR")
def test_pdb_selector(budget: Case, evidence: Evidence) -> None:
    index = budget.related
    budget.inventory.require(*WORKLOAD_KINDS, "Pod")
    pdb = budget.pdb
    assert pdb is not None
    _note(
        evidence,
        budget,
        selector=str(pdb.selector),
        selects=[str(w.ref) for w in index.pdb_targets(pdb)][:50],
        workloads_in_namespace=len(index.workloads.in_namespace(pdb.ref.namespace)),
    )
    assert_no_findings(relations.pdb_selector_problems(pdb, index))


@control("K8S-DUPLICATE-OBJECT")
def test_duplicate_objects(
    kube_source: Case, evidence: Evidence, request: pytest.FixtureRequest
) -> None:
    inv = kube_source.inventory
    if inv.live:
        pytest.skip("not applicable: a cluster holds one object per kind/namespace/name")
    sets = [s for s in sources(request.config) if not s.live and s.name != inv.source]
    for other in sets:
        _ = other.inventory  # a set that could not be read cannot be compared
    others = {s.name: s.inventory.api_uses for s in sets}
    _note(evidence, kube_source, objects=len(inv.api_uses), compared_with=sorted(others))
    if not inv.api_uses:
        pytest.skip("the manifest set declares no objects")
    assert_no_findings(relations.duplicate_objects(inv.source, inv.api_uses, others))


def _delivery(case: Case, policy: KubernetesPolicy, config: pytest.Config) -> delivery.Delivery:
    """What delivers the case's service; skips a service not required and not delivered.

    A required service no source holds fails (every source read, none has it).
    """
    if case.missing:
        srcs = sources(config)
        for src in srcs:  # a source, or a kind, not read may hold it
            src.inventory.require(*WORKLOAD_KINDS, "Rollout")
        assert_no_findings(delivery.not_found(case.missing, [s.name for s in srcs]))
    if case.rollout is not None:
        found = case.delivered.for_rollout(case.rollout)
    elif case.canary is not None:
        found = case.delivered.for_canary(case.canary)
    else:
        w = _controller(case)
        colours = policy.progressive_delivery.colour_labels
        found = case.delivered.for_workload(w, colours, case.related.services_for(w))
    required = policy.progressive_delivery.required
    if found.empty and not (required == "all" or delivery.named(found.target, required)):
        pytest.skip(
            "not named in kubernetes.progressive_delivery.required and no Rollout, Canary "
            "or blue-green Service pair delivers it"
        )
    return found


@control("K8S-PROGRESSIVE-DELIVERY")
def test_progressive_delivery(
    release: Case, policy: KubernetesPolicy, evidence: Evidence, request: pytest.FixtureRequest
) -> None:
    inv = release.inventory
    found = _delivery(release, policy, request.config)
    accepted = policy.progressive_delivery.strategies
    note = delivery.absent_note(inv)
    _note(evidence, release, delivered_by=found.describe(), accepted=accepted)
    findings = delivery.strategy_problems(
        found, release.delivered, accepted, read_services="Service" not in inv.missing, note=note
    )
    if findings:
        inv.require("Rollout", "Canary", "Service")  # a kind not read may hold the strategy
    assert_no_findings(findings)


@control("K8S-ROLLOUT-ANALYSIS")
def test_rollout_analysis(
    release: Case, policy: KubernetesPolicy, evidence: Evidence, request: pytest.FixtureRequest
) -> None:
    inv = release.inventory
    found = _delivery(release, policy, request.config)
    index = release.delivered
    _note(evidence, release, analysis=delivery.analysis_summary(found, index))
    if found.service_pairs and not (found.rollouts or found.canaries):
        pytest.skip(
            "delivered by a blue-green Service pair, switched by hand: no automated "
            "analysis to judge (an Argo Rollout or Flagger Canary adds one)"
        )
    findings = delivery.analysis_problems(found, index, note=delivery.absent_note(inv))
    if findings:  # a kind not read may hold the analysis
        inv.require("Rollout", "Canary", *delivery.unread_template_kinds(found, index))
    assert_no_findings(findings)


# ---------------------------------------------------------------- live only


def _live_evidence(case: Case, policy: KubernetesPolicy, evidence: Evidence) -> None:
    w, index = case.wl, case.related
    pods = index.pods_of(w)
    _note(
        evidence,
        case,
        observed_at=case.source.now.isoformat(),
        pods={p.ref.name: p.phase for p in pods},
        warning_events=live.warning_events(
            w, pods, index.events_about(w, pods), case.source.now, policy.event_window_minutes
        ),
    )


@control("K8S-ROLLOUT")
def test_rollout(workload: Case, policy: KubernetesPolicy, evidence: Evidence) -> None:
    w, inv = _controller(workload), workload.inventory
    inv.require("Pod", "Event")
    _live_evidence(workload, policy, evidence)
    if w.status is not None:
        evidence.add(status=vars_of(w.status))
    assert_no_findings(live.incomplete_rollout(w))


@control("K8S-POD-HEALTH")
def test_pod_health(workload: Case, policy: KubernetesPolicy, evidence: Evidence) -> None:
    w, inv = _serving(workload), workload.inventory
    inv.require("Pod", "Event")
    _live_evidence(workload, policy, evidence)
    pods = workload.related.pods_of(w)
    assert_no_findings(live.unhealthy_pods(w, pods, workload.source.now, policy.pending_minutes))


@control("K8S-RESTARTS")
def test_restarts(workload: Case, policy: KubernetesPolicy, evidence: Evidence) -> None:
    w, inv = _serving(workload), workload.inventory
    inv.require("Pod")
    pods = workload.related.pods_of(w)
    _note(
        evidence,
        workload,
        restarts={f"{p.ref.name}/{c.name}": c.restart_count for p in pods for c in p.containers},
        limit=policy.restart_limit,
        window_minutes=policy.restart_window_minutes,
    )
    assert_no_findings(
        live.restarting(
            w, pods, workload.source.now, policy.restart_limit, policy.restart_window_minutes
        )
    )


@control("K8S-NODES")
def test_nodes(kube_source: Case, evidence: Evidence) -> None:
    inv = kube_source.inventory
    inv.require("Node")
    ready = {n.name: n.condition("Ready") for n in inv.nodes}
    _note(evidence, kube_source, nodes={k: c.status if c else "?" for k, c in ready.items()})
    assert_no_findings(live.unhealthy_nodes(inv.nodes))
