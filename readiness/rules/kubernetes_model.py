"""Typed Kubernetes objects, parsed once at the edge from API or manifest JSON.

Both the live source (LIST responses) and the manifest source (YAML/JSON documents)
hand raw objects to :func:`build_inventory`; the rules only ever see these frozen
dataclasses. Parsing is pure: no I/O.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from readiness.errors import SourceError

if TYPE_CHECKING:
    from readiness.rules.kubernetes_delivery_model import AnalysisTemplate, Canary, Rollout

# Controllers that keep pods running (probes, replicas, budgets and rollouts apply).
CONTROLLER_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet")
# Run-to-completion workloads: judged for what runs, not for serving traffic.
BATCH_KINDS = ("Job", "CronJob")
WORKLOAD_KINDS = (*CONTROLLER_KINDS, *BATCH_KINDS)

# Kinds the suite reads; anything else in a manifest set is ignored and counted.
KNOWN_KINDS = frozenset(
    {
        *WORKLOAD_KINDS,
        "Pod",
        "Service",
        "Ingress",
        "PodDisruptionBudget",
        "HorizontalPodAutoscaler",
        "NetworkPolicy",
        "ServiceAccount",
        "Role",
        "RoleBinding",
        "ClusterRole",
        "ClusterRoleBinding",
        "Node",
        "Event",
        "ServiceMonitor",
        "PrometheusRule",
        "Rollout",  # argoproj.io: progressive delivery (kubernetes_delivery_model)
        "AnalysisTemplate",
        "ClusterAnalysisTemplate",
        "Canary",  # flagger.app
    }
)


class ParseError(ValueError):
    """An object that does not have the shape its kind requires."""


def hide_source_errors(excinfo: Any) -> bool:
    """A module's ``__tracebackhide__``: pytest shows no frame of it for a SourceError.

    A source that could not be read errs every check that needs it; formatting a long
    traceback parses each frame's source file again, per errored check (~0.3 s each at
    cluster size). The error's own message says all; any other exception keeps its
    traceback.
    """
    return isinstance(getattr(excinfo, "value", None), SourceError)


__tracebackhide__ = hide_source_errors


# ---------------------------------------------------------------- raw access helpers


def _m(data: Any, key: str) -> Mapping[str, Any]:
    value = data.get(key) if isinstance(data, dict) else None
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ParseError(f"{key} must be a mapping, found {type(value).__name__}")
    return value


def _l(data: Any, key: str) -> list[Any]:
    value = data.get(key) if isinstance(data, dict) else None
    if value is None:
        return []
    if not isinstance(value, list):
        raise ParseError(f"{key} must be a list, found {type(value).__name__}")
    return value


def _s(data: Any, key: str, default: str = "") -> str:
    value = data.get(key) if isinstance(data, dict) else None
    return default if value is None else str(value)


def _opt_s(data: Any, key: str) -> str | None:
    value = data.get(key) if isinstance(data, dict) else None
    return None if value is None else str(value)


def _i(data: Any, key: str) -> int | None:
    value = data.get(key) if isinstance(data, dict) else None
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ParseError(f"{key} must be an integer, found {value!r}")
    try:
        return int(value)
    except ValueError:
        raise ParseError(f"{key} must be an integer, found {value!r}") from None


def _b(data: Any, key: str) -> bool | None:
    value = data.get(key) if isinstance(data, dict) else None
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ParseError(f"{key} must be true or false, found {value!r}")


def _labels(data: Any, key: str) -> dict[str, str]:
    return {str(k): str(v) for k, v in _m(data, key).items()}


def parse_time(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ParseError(f"not an RFC 3339 timestamp: {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


# ---------------------------------------------------------------- building blocks


@dataclass(frozen=True, slots=True)
class Ref:
    namespace: str
    kind: str
    name: str

    def __str__(self) -> str:
        return (
            f"{self.namespace}/{self.kind}/{self.name}"
            if self.namespace
            else (f"{self.kind}/{self.name}")
        )


@dataclass(frozen=True, slots=True)
class Requirement:
    key: str
    operator: str
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        present = self.key in labels
        if self.operator == "In":
            return present and labels[self.key] in self.values
        if self.operator == "NotIn":
            return not present or labels[self.key] not in self.values
        if self.operator == "Exists":
            return present
        if self.operator == "DoesNotExist":
            return not present
        return False


@dataclass(frozen=True, slots=True)
class LabelSelector:
    """A Kubernetes label selector. ``empty`` selects everything (podSelector: {})."""

    match_labels: tuple[tuple[str, str], ...] = ()
    expressions: tuple[Requirement, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.match_labels and not self.expressions

    def matches(self, labels: Mapping[str, str]) -> bool:
        return all(labels.get(k) == v for k, v in self.match_labels) and all(
            e.matches(labels) for e in self.expressions
        )

    def __str__(self) -> str:
        parts = [f"{k}={v}" for k, v in self.match_labels]
        parts += [f"{e.key} {e.operator} ({','.join(e.values)})" for e in self.expressions]
        return ",".join(parts) or "{} (everything)"


def parse_selector(data: Mapping[str, Any]) -> LabelSelector:
    exprs = tuple(
        Requirement(_s(e, "key"), _s(e, "operator"), tuple(str(v) for v in _l(e, "values")))
        for e in _l(data, "matchExpressions")
    )
    return LabelSelector(tuple(sorted(_labels(data, "matchLabels").items())), exprs)


@dataclass(frozen=True, slots=True)
class Probe:
    handler: str  # httpGet, tcpSocket, exec, grpc
    initial_delay: int = 0
    period: int = 10
    failure_threshold: int = 3


def _probe(data: Mapping[str, Any], key: str) -> Probe | None:
    raw = _m(data, key)
    if key not in data or data.get(key) is None:
        return None
    handler = next((h for h in ("httpGet", "tcpSocket", "exec", "grpc") if h in raw), "")
    return Probe(
        handler,
        _i(raw, "initialDelaySeconds") or 0,
        _i(raw, "periodSeconds") or 10,
        _i(raw, "failureThreshold") or 3,
    )


@dataclass(frozen=True, slots=True)
class Resources:
    cpu_request: str | None = None
    memory_request: str | None = None
    cpu_limit: str | None = None
    memory_limit: str | None = None


@dataclass(frozen=True, slots=True)
class SecurityContext:
    run_as_non_root: bool | None = None
    run_as_user: int | None = None
    allow_privilege_escalation: bool | None = None
    read_only_root_filesystem: bool | None = None
    privileged: bool | None = None
    capabilities_drop: tuple[str, ...] = ()
    capabilities_add: tuple[str, ...] = ()


def _security_context(data: Mapping[str, Any]) -> SecurityContext:
    caps = _m(data, "capabilities")
    return SecurityContext(
        run_as_non_root=_b(data, "runAsNonRoot"),
        run_as_user=_i(data, "runAsUser"),
        allow_privilege_escalation=_b(data, "allowPrivilegeEscalation"),
        read_only_root_filesystem=_b(data, "readOnlyRootFilesystem"),
        privileged=_b(data, "privileged"),
        capabilities_drop=tuple(str(c) for c in _l(caps, "drop")),
        capabilities_add=tuple(str(c) for c in _l(caps, "add")),
    )


@dataclass(frozen=True, slots=True)
class EnvVar:
    name: str
    value: str | None  # a literal value; None when it comes from valueFrom
    source: str = ""  # secretKeyRef, configMapKeyRef, fieldRef, ...


@dataclass(frozen=True, slots=True)
class Container:
    name: str
    image: str
    init: bool = False
    readiness_probe: Probe | None = None
    liveness_probe: Probe | None = None
    startup_probe: Probe | None = None
    resources: Resources = Resources()
    security: SecurityContext = SecurityContext()
    env: tuple[EnvVar, ...] = ()
    host_ports: tuple[int, ...] = ()
    has_ports: bool = False
    pre_stop: bool = False


def _container(data: Mapping[str, Any], init: bool) -> Container:
    res = _m(data, "resources")
    requests, limits = _m(res, "requests"), _m(res, "limits")
    env: list[EnvVar] = []
    for e in _l(data, "env"):
        value_from = _m(e, "valueFrom")
        source = next(iter(value_from), "") if value_from else ""
        env.append(EnvVar(_s(e, "name"), None if value_from else _s(e, "value"), str(source)))
    ports = _l(data, "ports")
    return Container(
        name=_s(data, "name"),
        image=_s(data, "image"),
        init=init,
        readiness_probe=_probe(data, "readinessProbe"),
        liveness_probe=_probe(data, "livenessProbe"),
        startup_probe=_probe(data, "startupProbe"),
        resources=Resources(
            _opt_s(requests, "cpu"),
            _opt_s(requests, "memory"),
            _opt_s(limits, "cpu"),
            _opt_s(limits, "memory"),
        ),
        security=_security_context(_m(data, "securityContext")),
        env=tuple(env),
        host_ports=tuple(p for p in (_i(p, "hostPort") for p in ports) if p),
        has_ports=bool(ports),
        pre_stop="preStop" in _m(data, "lifecycle"),
    )


@dataclass(frozen=True, slots=True)
class PodSpec:
    containers: tuple[Container, ...]
    security: SecurityContext = SecurityContext()
    host_network: bool = False
    host_pid: bool = False
    host_ipc: bool = False
    host_path_volumes: tuple[str, ...] = ()
    service_account: str = "default"
    automount_token: bool | None = None
    termination_grace: int | None = None
    topology_spread: bool = False
    anti_affinity: bool = False

    @property
    def app_containers(self) -> tuple[Container, ...]:
        return tuple(c for c in self.containers if not c.init)


def parse_pod_spec(spec: Mapping[str, Any]) -> PodSpec:
    containers = [_container(c, init=True) for c in _l(spec, "initContainers")]
    containers += [_container(c, init=False) for c in _l(spec, "containers")]
    anti = _m(_m(spec, "affinity"), "podAntiAffinity")
    return PodSpec(
        containers=tuple(containers),
        security=_security_context(_m(spec, "securityContext")),
        host_network=bool(_b(spec, "hostNetwork")),
        host_pid=bool(_b(spec, "hostPID")),
        host_ipc=bool(_b(spec, "hostIPC")),
        host_path_volumes=tuple(
            f"{_s(v, 'name')}: {_s(_m(v, 'hostPath'), 'path')}"
            for v in _l(spec, "volumes")
            if "hostPath" in v
        ),
        service_account=_s(spec, "serviceAccountName") or _s(spec, "serviceAccount") or "default",
        automount_token=_b(spec, "automountServiceAccountToken"),
        termination_grace=_i(spec, "terminationGracePeriodSeconds"),
        topology_spread=bool(_l(spec, "topologySpreadConstraints")),
        anti_affinity=bool(
            _l(anti, "requiredDuringSchedulingIgnoredDuringExecution")
            or _l(anti, "preferredDuringSchedulingIgnoredDuringExecution")
        ),
    )


# ---------------------------------------------------------------- objects


@dataclass(frozen=True, slots=True)
class RolloutStatus:
    """Status fields a controller writes; only live objects have them."""

    generation: int | None
    observed_generation: int | None
    desired: int
    current: int | None
    updated: int | None
    ready: int | None
    available: int | None
    current_revision: str = ""
    update_revision: str = ""


@dataclass(frozen=True, slots=True)
class BatchSpec:
    """What a Job (or a CronJob and its job template) says about its runs."""

    schedule: str | None = None  # CronJob only
    concurrency_policy: str | None = None
    starting_deadline: int | None = None
    successful_history: int | None = None
    failed_history: int | None = None
    suspend: bool = False
    backoff_limit: int | None = None
    active_deadline: int | None = None
    ttl_after_finished: int | None = None


def parse_batch(kind: str, spec: Mapping[str, Any]) -> BatchSpec:
    job = _m(_m(spec, "jobTemplate"), "spec") if kind == "CronJob" else spec
    cron = spec if kind == "CronJob" else {}
    return BatchSpec(
        schedule=_opt_s(cron, "schedule"),
        concurrency_policy=_opt_s(cron, "concurrencyPolicy"),
        starting_deadline=_i(cron, "startingDeadlineSeconds"),
        successful_history=_i(cron, "successfulJobsHistoryLimit"),
        failed_history=_i(cron, "failedJobsHistoryLimit"),
        suspend=bool(_b(spec, "suspend")),
        backoff_limit=_i(job, "backoffLimit"),
        active_deadline=_i(job, "activeDeadlineSeconds"),
        ttl_after_finished=_i(job, "ttlSecondsAfterFinished"),
    )


@dataclass(frozen=True, slots=True, repr=False)
class Workload:
    """A pod template and what runs it: a controller, a Job or CronJob, or a bare Pod."""

    ref: Ref
    api_version: str
    labels: dict[str, str]
    annotations: dict[str, str]
    pod_labels: dict[str, str]
    pod_annotations: dict[str, str]
    selector: LabelSelector
    replicas: int | None  # None for DaemonSet
    pod: PodSpec
    status: RolloutStatus | None = None
    owner: Ref | None = None
    batch: BatchSpec | None = None  # Job and CronJob

    def __repr__(self) -> str:
        return f"Workload({self.ref})"

    @property
    def long_running(self) -> bool:
        """A controller keeping pods up (not a Job, CronJob or bare Pod)."""
        return self.ref.kind in CONTROLLER_KINDS

    @property
    def namespace(self) -> str:
        return self.ref.namespace

    @property
    def kind(self) -> str:
        return self.ref.kind

    @property
    def name(self) -> str:
        return self.ref.name


@dataclass(frozen=True, slots=True)
class ContainerState:
    name: str
    restart_count: int
    ready: bool
    waiting_reason: str = ""
    waiting_message: str = ""
    last_terminated_at: dt.datetime | None = None
    last_terminated_reason: str = ""


@dataclass(frozen=True, slots=True)
class Pod:
    ref: Ref
    labels: dict[str, str]
    owner: Ref | None
    phase: str
    created: dt.datetime | None
    containers: tuple[ContainerState, ...]
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Service:
    ref: Ref
    labels: dict[str, str]
    annotations: dict[str, str]
    selector: dict[str, str]
    type: str


@dataclass(frozen=True, slots=True)
class IngressBackend:
    ref: Ref
    services: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Pdb:
    ref: Ref
    selector: LabelSelector
    min_available: str | None
    max_unavailable: str | None
    disruptions_allowed: int | None = None


@dataclass(frozen=True, slots=True)
class Hpa:
    ref: Ref
    labels: dict[str, str]
    target_kind: str
    target_name: str
    min_replicas: int
    max_replicas: int


@dataclass(frozen=True, slots=True)
class NetworkPolicy:
    ref: Ref
    pod_selector: LabelSelector
    policy_types: tuple[str, ...]
    ingress_rules: int
    egress_rules: int

    @property
    def denies_ingress_by_default(self) -> bool:
        return (
            self.pod_selector.empty and "Ingress" in self.policy_types and not (self.ingress_rules)
        )

    @property
    def denies_egress_by_default(self) -> bool:
        return self.pod_selector.empty and "Egress" in self.policy_types and not (self.egress_rules)


@dataclass(frozen=True, slots=True)
class ServiceAccount:
    ref: Ref
    automount_token: bool | None


@dataclass(frozen=True, slots=True)
class PolicyRule:
    verbs: tuple[str, ...]
    resources: tuple[str, ...]
    api_groups: tuple[str, ...]
    non_resource_urls: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Role:
    ref: Ref  # kind Role or ClusterRole; ClusterRoles have no namespace
    rules: tuple[PolicyRule, ...]
    aggregated: bool = False


@dataclass(frozen=True, slots=True)
class Subject:
    kind: str
    name: str
    namespace: str = ""


@dataclass(frozen=True, slots=True)
class Binding:
    ref: Ref  # RoleBinding or ClusterRoleBinding
    role_kind: str
    role_name: str
    subjects: tuple[Subject, ...]


@dataclass(frozen=True, slots=True)
class ServiceMonitor:
    ref: Ref
    selector: LabelSelector
    any_namespace: bool
    namespaces: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class NodeCondition:
    type: str
    status: str
    reason: str = ""
    message: str = ""


@dataclass(frozen=True, slots=True)
class Node:
    name: str
    conditions: tuple[NodeCondition, ...]
    unschedulable: bool = False

    def condition(self, kind: str) -> NodeCondition | None:
        return next((c for c in self.conditions if c.type == kind), None)


@dataclass(frozen=True, slots=True)
class Event:
    namespace: str
    type: str
    reason: str
    message: str
    involved: Ref
    count: int
    last_seen: dt.datetime | None


@dataclass(frozen=True, slots=True)
class ApiUse:
    """Which apiVersion an object was written with (manifest, or last-applied config)."""

    ref: Ref
    api_version: str
    where: str = ""


@dataclass(frozen=True, slots=True, repr=False)
class Inventory:
    """Everything one source (a cluster or a manifest set) holds, typed.

    Its repr is one short line: pytest formats the arguments of a failing check, and an
    inventory of a large cluster must not be spelled out there.
    """

    source: str
    live: bool
    workloads: tuple[Workload, ...] = ()
    pods: tuple[Pod, ...] = ()
    services: tuple[Service, ...] = ()
    ingresses: tuple[IngressBackend, ...] = ()
    pdbs: tuple[Pdb, ...] = ()
    hpas: tuple[Hpa, ...] = ()
    network_policies: tuple[NetworkPolicy, ...] = ()
    service_accounts: tuple[ServiceAccount, ...] = ()
    roles: tuple[Role, ...] = ()
    bindings: tuple[Binding, ...] = ()
    service_monitors: tuple[ServiceMonitor, ...] = ()
    prometheus_rules: tuple[Ref, ...] = ()
    rollouts: tuple[Rollout, ...] = ()
    analysis_templates: tuple[AnalysisTemplate, ...] = ()
    canaries: tuple[Canary, ...] = ()
    nodes: tuple[Node, ...] = ()
    events: tuple[Event, ...] = ()
    api_uses: tuple[ApiUse, ...] = ()
    namespaces: tuple[str, ...] = ()
    ignored: dict[str, int] = field(default_factory=dict)
    missing: dict[str, SourceError] = field(default_factory=dict)  # kinds that failed
    absent_crds: tuple[str, ...] = ()

    def __repr__(self) -> str:
        kind = "cluster" if self.live else "manifests"
        return (
            f"Inventory({kind} {self.source!r}: {len(self.workloads)} workloads, "
            f"{len(self.pods)} pods, {len(self.services)} services)"
        )

    def require(self, *kinds: str) -> None:
        """Raise the SourceError of the first of ``kinds`` this source could not read."""
        for kind in kinds:
            error = self.missing.get(kind)
            if error is not None:
                # A fresh exception each time: re-raising one instance grows its traceback.
                raise SourceError(error.target, error.reason) from None


# ---------------------------------------------------------------- parsing


def _meta(raw: Mapping[str, Any]) -> Mapping[str, Any]:
    return _m(raw, "metadata")


def _ref(raw: Mapping[str, Any], kind: str, default_ns: str, namespaced: bool = True) -> Ref:
    meta = _meta(raw)
    name = _s(meta, "name")
    if not name:
        raise ParseError(f"{kind} without metadata.name")
    return Ref(_s(meta, "namespace") or default_ns if namespaced else "", kind, name)


def _controller(raw: Mapping[str, Any], namespace: str) -> Ref | None:
    for owner in _l(_meta(raw), "ownerReferences"):
        if _b(owner, "controller") is not False:
            return Ref(namespace, _s(owner, "kind"), _s(owner, "name"))
    return None


def _intstr(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    return None if value is None else str(value)


def _pod_template(kind: str, raw: Mapping[str, Any]) -> Mapping[str, Any]:
    spec = _m(raw, "spec")
    if kind == "Pod":  # a bare pod is its own template
        return {"metadata": _meta(raw), "spec": spec}
    if kind == "CronJob":
        return _m(_m(_m(spec, "jobTemplate"), "spec"), "template")
    return _m(spec, "template")


def _rollout(kind: str, raw: Mapping[str, Any], replicas: int | None) -> RolloutStatus:
    meta, status = _meta(raw), _m(raw, "status")
    if kind == "DaemonSet":
        return RolloutStatus(
            generation=_i(meta, "generation"),
            observed_generation=_i(status, "observedGeneration"),
            desired=_i(status, "desiredNumberScheduled") or 0,
            current=_i(status, "currentNumberScheduled"),
            updated=_i(status, "updatedNumberScheduled") or 0,
            ready=_i(status, "numberReady") or 0,
            available=_i(status, "numberAvailable") or 0,
        )
    return RolloutStatus(
        generation=_i(meta, "generation"),
        observed_generation=_i(status, "observedGeneration"),
        desired=replicas if replicas is not None else 1,
        current=_i(status, "replicas") or 0,
        updated=_i(status, "updatedReplicas") or 0,
        ready=_i(status, "readyReplicas") or 0,
        # Zero counts are omitted from status; StatefulSets before 1.22 had no
        # availableReplicas at all, ready is the closest they report.
        available=_i(status, "availableReplicas") or 0
        if kind != "StatefulSet" or "availableReplicas" in status
        else _i(status, "readyReplicas") or 0,
        current_revision=_s(status, "currentRevision"),
        update_revision=_s(status, "updateRevision"),
    )


def parse_workload(raw: Mapping[str, Any], default_ns: str) -> Workload:
    """A controller, Job, CronJob or bare Pod as the pod template it runs."""
    kind = _s(raw, "kind")
    ref = _ref(raw, kind, default_ns)
    meta, spec = _meta(raw), _m(raw, "spec")
    template = _pod_template(kind, raw)
    replicas: int | None = None
    if kind in CONTROLLER_KINDS and kind != "DaemonSet":
        replicas = _i(spec, "replicas") if "replicas" in spec else 1
    elif kind == "Pod":
        replicas = 1
    # Live controllers always carry status, even empty; only they have a rollout.
    live = "status" in raw and kind in CONTROLLER_KINDS
    return Workload(
        ref=ref,
        api_version=_s(raw, "apiVersion"),
        labels=_labels(meta, "labels"),
        annotations=_labels(meta, "annotations"),
        pod_labels=_labels(_m(template, "metadata"), "labels"),
        pod_annotations=_labels(_m(template, "metadata"), "annotations"),
        selector=parse_selector(_m(spec, "selector")) if kind != "Pod" else LabelSelector(),
        replicas=replicas,
        pod=parse_pod_spec(_m(template, "spec")),
        status=_rollout(kind, raw, replicas) if live else None,
        owner=_controller(raw, ref.namespace),
        batch=parse_batch(kind, spec) if kind in BATCH_KINDS else None,
    )


def parse_pod(raw: Mapping[str, Any], default_ns: str) -> Pod:
    ref = _ref(raw, "Pod", default_ns)
    status = _m(raw, "status")
    states = []
    for cs in [*_l(status, "initContainerStatuses"), *_l(status, "containerStatuses")]:
        waiting = _m(_m(cs, "state"), "waiting")
        last = _m(_m(cs, "lastState"), "terminated")
        states.append(
            ContainerState(
                name=_s(cs, "name"),
                restart_count=_i(cs, "restartCount") or 0,
                ready=bool(_b(cs, "ready")),
                waiting_reason=_s(waiting, "reason"),
                waiting_message=_s(waiting, "message"),
                last_terminated_at=parse_time(_opt_s(last, "finishedAt")),
                last_terminated_reason=_s(last, "reason"),
            )
        )
    return Pod(
        ref=ref,
        labels=_labels(_meta(raw), "labels"),
        owner=_controller(raw, ref.namespace),
        phase=_s(status, "phase"),
        created=parse_time(_opt_s(_meta(raw), "creationTimestamp")),
        containers=tuple(states),
        reason=_s(status, "reason"),
    )


def parse_service(raw: Mapping[str, Any], default_ns: str) -> Service:
    meta, spec = _meta(raw), _m(raw, "spec")
    return Service(
        ref=_ref(raw, "Service", default_ns),
        labels=_labels(meta, "labels"),
        annotations=_labels(meta, "annotations"),
        selector=_labels(spec, "selector"),
        type=_s(spec, "type", "ClusterIP"),
    )


def parse_ingress(raw: Mapping[str, Any], default_ns: str) -> IngressBackend:
    spec = _m(raw, "spec")
    names: set[str] = set()
    default = _m(_m(spec, "defaultBackend"), "service")
    if default:
        names.add(_s(default, "name"))
    for rule in _l(spec, "rules"):
        for path in _l(_m(rule, "http"), "paths"):
            backend = _m(path, "backend")
            svc = _m(backend, "service")
            names.add(_s(svc, "name") or _s(backend, "serviceName"))
    return IngressBackend(_ref(raw, "Ingress", default_ns), tuple(sorted(n for n in names if n)))


def parse_pdb(raw: Mapping[str, Any], default_ns: str) -> Pdb:
    spec, status = _m(raw, "spec"), _m(raw, "status")
    return Pdb(
        ref=_ref(raw, "PodDisruptionBudget", default_ns),
        selector=parse_selector(_m(spec, "selector")),
        min_available=_intstr(spec, "minAvailable"),
        max_unavailable=_intstr(spec, "maxUnavailable"),
        disruptions_allowed=_i(status, "disruptionsAllowed") if status else None,
    )


def parse_hpa(raw: Mapping[str, Any], default_ns: str) -> Hpa:
    spec = _m(raw, "spec")
    target = _m(spec, "scaleTargetRef")
    return Hpa(
        ref=_ref(raw, "HorizontalPodAutoscaler", default_ns),
        labels=_labels(_meta(raw), "labels"),
        target_kind=_s(target, "kind"),
        target_name=_s(target, "name"),
        min_replicas=_i(spec, "minReplicas") or 1,
        max_replicas=_i(spec, "maxReplicas") or 1,
    )


def parse_network_policy(raw: Mapping[str, Any], default_ns: str) -> NetworkPolicy:
    spec = _m(raw, "spec")
    types = tuple(str(t) for t in _l(spec, "policyTypes"))
    if not types:
        types = ("Ingress", "Egress") if "egress" in spec else ("Ingress",)
    return NetworkPolicy(
        ref=_ref(raw, "NetworkPolicy", default_ns),
        pod_selector=parse_selector(_m(spec, "podSelector")),
        policy_types=types,
        ingress_rules=len(_l(spec, "ingress")),
        egress_rules=len(_l(spec, "egress")),
    )


def parse_role(raw: Mapping[str, Any], default_ns: str) -> Role:
    kind = _s(raw, "kind")
    rules = tuple(
        PolicyRule(
            verbs=tuple(str(v) for v in _l(r, "verbs")),
            resources=tuple(str(v) for v in _l(r, "resources")),
            api_groups=tuple(str(v) for v in _l(r, "apiGroups")),
            non_resource_urls=tuple(str(v) for v in _l(r, "nonResourceURLs")),
        )
        for r in _l(raw, "rules")
    )
    return Role(
        _ref(raw, kind, default_ns, namespaced=kind == "Role"),
        rules,
        aggregated="aggregationRule" in raw,
    )


def parse_binding(raw: Mapping[str, Any], default_ns: str) -> Binding:
    kind = _s(raw, "kind")
    ref = _ref(raw, kind, default_ns, namespaced=kind == "RoleBinding")
    role = _m(raw, "roleRef")
    subjects = tuple(
        Subject(_s(s, "kind"), _s(s, "name"), _s(s, "namespace") or ref.namespace)
        for s in _l(raw, "subjects")
    )
    return Binding(ref, _s(role, "kind"), _s(role, "name"), subjects)


def parse_service_monitor(raw: Mapping[str, Any], default_ns: str) -> ServiceMonitor:
    spec = _m(raw, "spec")
    ns_sel = _m(spec, "namespaceSelector")
    return ServiceMonitor(
        ref=_ref(raw, "ServiceMonitor", default_ns),
        selector=parse_selector(_m(spec, "selector")),
        any_namespace=bool(_b(ns_sel, "any")),
        namespaces=tuple(str(n) for n in _l(ns_sel, "matchNames")),
    )


def parse_node(raw: Mapping[str, Any]) -> Node:
    return Node(
        name=_s(_meta(raw), "name"),
        conditions=tuple(
            NodeCondition(_s(c, "type"), _s(c, "status"), _s(c, "reason"), _s(c, "message"))
            for c in _l(_m(raw, "status"), "conditions")
        ),
        unschedulable=bool(_b(_m(raw, "spec"), "unschedulable")),
    )


def parse_event(raw: Mapping[str, Any], default_ns: str) -> Event:
    meta = _meta(raw)
    involved = _m(raw, "involvedObject") or _m(raw, "regarding")
    namespace = _s(meta, "namespace") or default_ns
    last = (
        _opt_s(raw, "lastTimestamp")
        or _opt_s(raw, "eventTime")
        or _opt_s(_m(raw, "series"), "lastObservedTime")
        or _opt_s(meta, "creationTimestamp")
    )
    return Event(
        namespace=namespace,
        type=_s(raw, "type"),
        reason=_s(raw, "reason"),
        message=_s(raw, "message") or _s(raw, "note"),
        involved=Ref(
            _s(involved, "namespace") or namespace, _s(involved, "kind"), _s(involved, "name")
        ),
        count=_i(raw, "count") or 1,
        last_seen=parse_time(last),
    )


def _api_uses(raw: Mapping[str, Any], ref: Ref, live: bool, where: str) -> list[ApiUse]:
    """The apiVersions the object was written with.

    A manifest states it. A live object is served in whatever version was asked for, so
    the versions its writers used come from the last-applied configuration and from
    ``metadata.managedFields`` (one entry per manager and version).
    """
    if not live:
        return [ApiUse(ref, _s(raw, "apiVersion"), where)]
    uses: dict[str, ApiUse] = {}
    meta = _meta(raw)
    applied = _labels(meta, "annotations").get("kubectl.kubernetes.io/last-applied-configuration")
    if applied:
        try:
            version = json.loads(applied).get("apiVersion")
        except (ValueError, AttributeError):
            version = None
        if version:
            uses[str(version)] = ApiUse(ref, str(version), "last-applied-configuration")
    for entry in _l(meta, "managedFields"):
        version = _s(entry, "apiVersion")
        if version and version not in uses:
            manager = _s(entry, "manager") or "unknown"
            uses[version] = ApiUse(ref, version, f"managedFields manager {manager}")
    return list(uses.values())


@dataclass(slots=True)
class RawObject:
    """One object as read, with where it came from (file#doc or the LIST it was in)."""

    data: Mapping[str, Any]
    where: str = ""


@dataclass(slots=True)
class Parsed:
    """One object's share of an inventory (:func:`parse_object`); the raw object is not
    kept, so a large source can be parsed page by page and its pages freed."""

    kind: str
    value: Any = None  # the typed object (None: a kind the rules do not read)
    bare: Workload | None = None  # a pod no controller owns: a workload of its own
    api_uses: tuple[ApiUse, ...] = ()


def parse_object(source: str, live: bool, obj: RawObject, default_ns: str = "default") -> Parsed:
    """Parse one raw object (:class:`SourceError` naming where it came from if it is not
    a valid object of its kind)."""
    raw = obj.data
    kind = _s(raw, "kind")
    if kind not in KNOWN_KINDS:
        name = _s(_meta(raw), "name") if isinstance(raw.get("metadata"), dict) else ""
        if name and not live:  # its API version is still checked (PSP, CRDs, ...)
            other = Ref(_s(_meta(raw), "namespace"), kind, name)  # scope unknown here
            return Parsed(kind, api_uses=(ApiUse(other, _s(raw, "apiVersion"), obj.where),))
        return Parsed(kind)
    try:
        parsed = _parse(kind, raw, default_ns)
        bare = (
            parse_workload(raw, default_ns)
            if isinstance(parsed, Pod) and parsed.owner is None
            else None
        )
    except ParseError as exc:
        raise SourceError(source, f"{obj.where or kind}: {exc}") from None
    ref = parsed if isinstance(parsed, Ref) else getattr(parsed, "ref", None)
    uses = tuple(_api_uses(raw, ref, live, obj.where)) if isinstance(ref, Ref) else ()
    return Parsed(kind, parsed, bare, uses)


def build_inventory(
    source: str,
    live: bool,
    objects: Iterable[RawObject],
    default_ns: str = "default",
    namespaces: Iterable[str] = (),
    missing: Mapping[str, SourceError] | None = None,
    absent_crds: Iterable[str] = (),
) -> Inventory:
    """Parse raw objects into an :class:`Inventory`; unknown kinds are counted, not kept."""
    parsed = (parse_object(source, live, obj, default_ns) for obj in objects)
    return assemble(source, live, parsed, namespaces, missing, absent_crds)


def assemble(
    source: str,
    live: bool,
    objects: Iterable[Parsed],
    namespaces: Iterable[str] = (),
    missing: Mapping[str, SourceError] | None = None,
    absent_crds: Iterable[str] = (),
) -> Inventory:
    """The :class:`Inventory` of parsed objects, in their order."""
    buckets: dict[str, list[Any]] = {}
    ignored: Counter[str] = Counter()
    api_uses: list[ApiUse] = []
    parents: dict[Ref, Ref] = {}  # owned ReplicaSet/Job -> its Deployment/CronJob
    bare: list[Workload] = []  # pods no controller owns are workloads of their own
    for obj in objects:
        kind, parsed = obj.kind, obj.value
        api_uses.extend(obj.api_uses)
        if parsed is None:
            ignored[kind or "(no kind)"] += 1
            continue
        if obj.bare is not None:
            bare.append(obj.bare)
        buckets.setdefault(kind, []).append(parsed)
        if kind in ("ReplicaSet", "Job") and isinstance(parsed, Workload) and parsed.owner:
            parents[parsed.ref] = parsed.owner

    workloads = [
        w
        for kind in WORKLOAD_KINDS
        for w in buckets.get(kind, [])
        if w.ref not in parents  # judged as the Deployment or CronJob that owns it
    ] + bare
    pods = []
    for pod in buckets.get("Pod", []):
        owner = parents.get(pod.owner, pod.owner) if pod.owner is not None else None
        pods.append(
            Pod(pod.ref, pod.labels, owner, pod.phase, pod.created, pod.containers, pod.reason)
        )
    ns = set(namespaces) or {w.namespace for w in workloads} | {
        s.ref.namespace for s in buckets.get("Service", [])
    }
    return Inventory(
        source=source,
        live=live,
        workloads=tuple(workloads),
        pods=tuple(pods),
        services=tuple(buckets.get("Service", [])),
        ingresses=tuple(buckets.get("Ingress", [])),
        pdbs=tuple(buckets.get("PodDisruptionBudget", [])),
        hpas=tuple(buckets.get("HorizontalPodAutoscaler", [])),
        network_policies=tuple(buckets.get("NetworkPolicy", [])),
        service_accounts=tuple(buckets.get("ServiceAccount", [])),
        roles=tuple(buckets.get("Role", []) + buckets.get("ClusterRole", [])),
        bindings=tuple(buckets.get("RoleBinding", []) + buckets.get("ClusterRoleBinding", [])),
        service_monitors=tuple(buckets.get("ServiceMonitor", [])),
        prometheus_rules=tuple(buckets.get("PrometheusRule", [])),
        rollouts=tuple(buckets.get("Rollout", [])),
        analysis_templates=tuple(
            buckets.get("AnalysisTemplate", []) + buckets.get("ClusterAnalysisTemplate", [])
        ),
        canaries=tuple(buckets.get("Canary", [])),
        nodes=tuple(buckets.get("Node", [])),
        events=tuple(buckets.get("Event", [])),
        api_uses=tuple(api_uses),
        namespaces=tuple(sorted(n for n in ns if n)),
        ignored=dict(sorted(ignored.items())),
        missing=dict(missing or {}),
        absent_crds=tuple(absent_crds),
    )


def _parse(kind: str, raw: Mapping[str, Any], ns: str) -> Any:
    if kind in WORKLOAD_KINDS:
        return parse_workload(raw, ns)
    if kind == "Pod":
        return parse_pod(raw, ns)
    if kind == "Service":
        return parse_service(raw, ns)
    if kind == "Ingress":
        return parse_ingress(raw, ns)
    if kind == "PodDisruptionBudget":
        return parse_pdb(raw, ns)
    if kind == "HorizontalPodAutoscaler":
        return parse_hpa(raw, ns)
    if kind == "NetworkPolicy":
        return parse_network_policy(raw, ns)
    if kind == "ServiceAccount":
        return ServiceAccount(_ref(raw, kind, ns), _b(raw, "automountServiceAccountToken"))
    if kind in ("Role", "ClusterRole"):
        return parse_role(raw, ns)
    if kind in ("RoleBinding", "ClusterRoleBinding"):
        return parse_binding(raw, ns)
    if kind == "ServiceMonitor":
        return parse_service_monitor(raw, ns)
    if kind == "PrometheusRule":
        return _ref(raw, kind, ns)
    if kind in ("Rollout", "AnalysisTemplate", "ClusterAnalysisTemplate", "Canary"):
        return _parse_delivery(kind, raw, ns)
    if kind == "Node":
        return parse_node(raw)
    return parse_event(raw, ns)


def _parse_delivery(kind: str, raw: Mapping[str, Any], ns: str) -> Any:
    # Imported here: the delivery model builds on this module's helpers.
    from readiness.rules import kubernetes_delivery_model as delivery

    ref = _ref(raw, kind, ns, namespaced=kind != "ClusterAnalysisTemplate")
    if kind == "Rollout":
        return delivery.parse_rollout(raw, ref)
    if kind == "Canary":
        return delivery.parse_canary(raw, ref)
    return delivery.parse_analysis_template(raw, ref)
