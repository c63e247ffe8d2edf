"""Kubernetes rules over typed workload objects: the same for live clusters and manifests.

Pure functions from :mod:`readiness.rules.kubernetes_model` objects to findings; every
finding names namespace/kind/name (and container), what was expected, what was found,
and the fix.
"""

from __future__ import annotations

import fnmatch
import math
import re
from collections.abc import Iterable, Sequence

from readiness.findings import Finding
from readiness.rules.kubernetes_model import (
    ApiUse,
    Binding,
    Container,
    Hpa,
    IngressBackend,
    Inventory,
    NetworkPolicy,
    Pdb,
    Role,
    Service,
    ServiceAccount,
    ServiceMonitor,
    Workload,
)


def where(workload: Workload, container: Container | None = None) -> str:
    if container is None:
        return str(workload.ref)
    kind = "init container" if container.init else "container"
    return f"{workload.ref} {kind} {container.name!r}"


def matches_any(workload: Workload, patterns: Iterable[str]) -> bool:
    """Whether a profile list (names, ns/Kind/name, globs) names this workload."""
    keys = (workload.name, f"{workload.namespace}/{workload.name}", str(workload.ref))
    return any(fnmatch.fnmatchcase(k, p) for p in patterns for k in keys)


# ---------------------------------------------------------------- probes


def missing_probes(workload: Workload, slow_start_seconds: int = 30) -> list[Finding]:
    findings = []
    for c in workload.pod.app_containers:
        if c.readiness_probe is None:
            findings.append(
                Finding(
                    f"{where(workload, c)} has no readinessProbe",
                    expected="a readinessProbe",
                    found="none",
                    fix=f"add readinessProbe to container {c.name!r} (httpGet on a health "
                    "endpoint, or tcpSocket/grpc)",
                )
            )
        if c.liveness_probe is None:
            findings.append(
                Finding(
                    f"{where(workload, c)} has no livenessProbe",
                    expected="a livenessProbe",
                    found="none",
                    fix=f"add livenessProbe to container {c.name!r}",
                )
            )
        elif c.startup_probe is None and c.liveness_probe.initial_delay >= slow_start_seconds:
            findings.append(
                Finding(
                    f"{where(workload, c)} starts slowly but has no startupProbe",
                    expected=f"a startupProbe when the liveness delay is >= {slow_start_seconds}s",
                    found=f"livenessProbe.initialDelaySeconds={c.liveness_probe.initial_delay}",
                    fix="add a startupProbe (failureThreshold x periodSeconds covering the "
                    "start time) and drop the long initialDelaySeconds",
                )
            )
    return findings


# ---------------------------------------------------------------- resources


def missing_resources(workload: Workload, require_cpu_limit: bool = True) -> list[Finding]:
    findings = []
    for c in workload.pod.containers:
        r = c.resources
        wanted = {
            "requests.cpu": r.cpu_request,
            "requests.memory": r.memory_request,
            "limits.memory": r.memory_limit,
        }
        if require_cpu_limit:
            wanted["limits.cpu"] = r.cpu_limit
        absent = [k for k, v in wanted.items() if not v]
        if absent:
            findings.append(
                Finding(
                    f"{where(workload, c)} does not set resources {', '.join(absent)}",
                    expected=", ".join(wanted),
                    found=", ".join(f"{k}={v}" for k, v in wanted.items() if v) or "none",
                    fix=f"set resources.{' and resources.'.join(absent)} on container {c.name!r}",
                )
            )
    return findings


# ---------------------------------------------------------------- security


def insecure_security_context(workload: Workload) -> list[Finding]:
    pod = workload.pod.security
    findings = []
    for c in workload.pod.containers:
        s = c.security
        non_root = s.run_as_non_root if s.run_as_non_root is not None else pod.run_as_non_root
        user = s.run_as_user if s.run_as_user is not None else pod.run_as_user
        problems: list[tuple[str, str, str]] = []
        if s.privileged:
            problems.append(("privileged: false", "privileged: true", "privileged: false"))
        if not non_root and not (user is not None and user > 0):
            found = "runAsUser: 0" if user == 0 else "runAsNonRoot unset"
            problems.append(("runAsNonRoot: true", found, "runAsNonRoot: true"))
        if s.allow_privilege_escalation is not False:
            found = "true" if s.allow_privilege_escalation else "unset (defaults to true)"
            problems.append(
                (
                    "allowPrivilegeEscalation: false",
                    f"allowPrivilegeEscalation {found}",
                    "allowPrivilegeEscalation: false",
                )
            )
        if s.read_only_root_filesystem is not True:
            problems.append(
                (
                    "readOnlyRootFilesystem: true",
                    "readOnlyRootFilesystem unset or false",
                    "readOnlyRootFilesystem: true (mount an emptyDir where it must write)",
                )
            )
        if "ALL" not in {d.upper() for d in s.capabilities_drop}:
            problems.append(
                (
                    "capabilities.drop: [ALL]",
                    f"drop: {list(s.capabilities_drop)}",
                    "capabilities: {drop: [ALL]} (add back only what it needs)",
                )
            )
        if problems:
            findings.append(
                Finding(
                    f"{where(workload, c)} securityContext is not restricted",
                    expected="; ".join(p[0] for p in problems),
                    found="; ".join(p[1] for p in problems),
                    fix=f"in containers[{c.name!r}].securityContext set "
                    + "; ".join(p[2] for p in problems),
                )
            )
    return findings


def host_access(workload: Workload) -> list[Finding]:
    pod = workload.pod
    flags = [
        name
        for name, on in (
            ("hostNetwork", pod.host_network),
            ("hostPID", pod.host_pid),
            ("hostIPC", pod.host_ipc),
        )
        if on
    ]
    findings = []
    if flags:
        findings.append(
            Finding(
                f"{where(workload)} shares host namespaces: {', '.join(flags)}",
                expected="no host namespaces",
                found=", ".join(f"{f}: true" for f in flags),
                fix=f"remove {', '.join(flags)} from the pod spec",
            )
        )
    if pod.host_path_volumes:
        findings.append(
            Finding(
                f"{where(workload)} mounts host paths",
                expected="no hostPath volumes",
                found="; ".join(pod.host_path_volumes),
                fix="replace the hostPath volumes with emptyDir, a ConfigMap or a PVC",
            )
        )
    for c in pod.containers:
        if c.host_ports:
            findings.append(
                Finding(
                    f"{where(workload, c)} binds host ports",
                    expected="no hostPort",
                    found=f"hostPort {', '.join(map(str, c.host_ports))}",
                    fix="remove hostPort and expose the container through a Service",
                )
            )
    return findings


# ---------------------------------------------------------------- images


_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")


def split_image(image: str) -> tuple[str, str, str]:
    """(repository, tag, digest) of an image reference; tag '' when none is given."""
    digest = ""
    if "@" in image:
        image, digest = image.split("@", 1)
    last = image.rsplit("/", 1)[-1]
    tag = ""
    if ":" in last:
        image, tag = image.rsplit(":", 1)
    return image, tag, digest


def registry_of(image: str) -> str:
    repo = split_image(image)[0]
    first = repo.split("/", 1)[0]
    if "/" in repo and ("." in first or ":" in first or first == "localhost"):
        return first
    return "docker.io"


def unpinned_tags(workload: Workload) -> list[Finding]:
    findings = []
    for c in workload.pod.containers:
        _, tag, digest = split_image(c.image)
        if digest:
            continue
        if not tag or tag == "latest":
            findings.append(
                Finding(
                    f"{where(workload, c)} image {c.image!r} has "
                    + ("no tag (means latest)" if not tag else "the tag 'latest'"),
                    expected="an explicit version tag (or a digest)",
                    found=f"image: {c.image}",
                    fix=f"set image to {split_image(c.image)[0]}:<version>",
                )
            )
    return findings


def missing_digests(workload: Workload) -> list[Finding]:
    return [
        Finding(
            f"{where(workload, c)} image {c.image!r} is not pinned by digest",
            expected="image@sha256:<digest>",
            found=f"image: {c.image}",
            fix=f"pin the image: {c.image}@sha256:<digest> (e.g. from `skopeo inspect`)",
        )
        for c in workload.pod.containers
        if not _DIGEST.search(c.image)
    ]


def disallowed_registries(workload: Workload, allowed: Sequence[str]) -> list[Finding]:
    findings = []
    for c in workload.pod.containers:
        repo = split_image(c.image)[0]
        full = (
            repo
            if registry_of(c.image) != "docker.io" or repo.startswith("docker.io/")
            else (f"docker.io/{repo if '/' in repo else 'library/' + repo}")
        )
        if not any(full == a.rstrip("/") or full.startswith(a.rstrip("/") + "/") for a in allowed):
            findings.append(
                Finding(
                    f"{where(workload, c)} pulls {c.image!r} from registry "
                    f"{registry_of(c.image)!r}, which is not allowed",
                    expected=f"one of: {', '.join(allowed)}",
                    found=full,
                    fix="mirror the image into an allowed registry and reference it there",
                )
            )
    return findings


# ---------------------------------------------------------------- availability


def hpa_for(workload: Workload, hpas: Iterable[Hpa]) -> Hpa | None:
    return next(
        (
            h
            for h in hpas
            if h.ref.namespace == workload.namespace
            and h.target_kind == workload.kind
            and h.target_name == workload.name
        ),
        None,
    )


def effective_replicas(workload: Workload, hpas: Iterable[Hpa]) -> int | None:
    """Replicas the workload keeps at least: the HPA's minReplicas when one scales it."""
    hpa = hpa_for(workload, hpas)
    if hpa is not None:
        return hpa.min_replicas
    return workload.replicas


def too_few_replicas(workload: Workload, hpas: Sequence[Hpa], minimum: int) -> list[Finding]:
    replicas = effective_replicas(workload, hpas)
    if replicas is None or replicas >= minimum:
        return []
    hpa = hpa_for(workload, hpas)
    source = f"HPA {hpa.ref.name} minReplicas" if hpa else "spec.replicas"
    return [
        Finding(
            f"{where(workload)} runs {replicas} replica(s)",
            expected=f">= {minimum} replicas",
            found=f"{source}={replicas}",
            fix=f"set {'minReplicas on the HPA' if hpa else 'spec.replicas'} to {minimum} or more",
        )
    ]


def _pods_selected(workload: Workload, selector_ns: str, matches: bool) -> bool:
    return selector_ns == workload.namespace and matches


def pdbs_for(workload: Workload, pdbs: Iterable[Pdb]) -> list[Pdb]:
    return [
        p
        for p in pdbs
        if _pods_selected(workload, p.ref.namespace, p.selector.matches(workload.pod_labels))
        and not p.selector.empty
    ]


def allowed_disruptions(pdb: Pdb, replicas: int) -> int:
    """How many pods the budget lets go at once for ``replicas`` healthy pods."""

    def amount(value: str, round_up: bool) -> int:
        if value.endswith("%"):
            share = replicas * float(value[:-1]) / 100
            return math.ceil(share) if round_up else math.floor(share)
        return int(value)

    if pdb.max_unavailable is not None:
        return max(0, amount(pdb.max_unavailable, round_up=True))
    if pdb.min_available is not None:
        return max(0, replicas - amount(pdb.min_available, round_up=True))
    return replicas


def missing_pdb(workload: Workload, pdbs: Sequence[Pdb], hpas: Sequence[Hpa]) -> list[Finding]:
    replicas = effective_replicas(workload, hpas) or 0
    matching = pdbs_for(workload, pdbs)
    if not matching:
        return [
            Finding(
                f"{where(workload)} ({replicas} replicas) has no PodDisruptionBudget",
                expected="a PodDisruptionBudget selecting its pods",
                found=f"no budget in namespace {workload.namespace} selects "
                f"{_labels_text(workload.pod_labels)}",
                fix=f"add a PodDisruptionBudget in namespace {workload.namespace} with "
                f"selector {_labels_text(workload.pod_labels)} and maxUnavailable: 1",
            )
        ]
    findings = []
    for pdb in matching:
        allowed = allowed_disruptions(pdb, replicas)
        spec = (
            f"maxUnavailable={pdb.max_unavailable}"
            if pdb.max_unavailable is not None
            else f"minAvailable={pdb.min_available}"
        )
        if allowed < 1:
            findings.append(
                Finding(
                    f"{where(workload)}: PodDisruptionBudget {pdb.ref.name} allows no "
                    "voluntary disruption",
                    expected="at least 1 disruption allowed",
                    found=f"{spec} with {replicas} replicas -> {allowed} allowed",
                    fix="use maxUnavailable: 1 (or lower minAvailable below the replica count)",
                )
            )
        elif pdb.disruptions_allowed == 0:
            findings.append(
                Finding(
                    f"{where(workload)}: PodDisruptionBudget {pdb.ref.name} currently allows "
                    "no disruption",
                    expected="status.disruptionsAllowed >= 1",
                    found="status.disruptionsAllowed=0 (pods not healthy)",
                    fix="restore the workload's pods to Ready; node drains are blocked meanwhile",
                )
            )
    return findings


def missing_hpa(
    workload: Workload, hpas: Sequence[Hpa], scalable: Sequence[str], minimum: int
) -> list[Finding]:
    hpa = hpa_for(workload, hpas)
    if hpa is None:
        if not matches_any(workload, scalable):
            return []
        return [
            Finding(
                f"{where(workload)} is marked scalable but no HorizontalPodAutoscaler targets it",
                expected=f"an HPA with scaleTargetRef {workload.kind}/{workload.name}",
                found="none",
                fix=f"add a HorizontalPodAutoscaler in {workload.namespace} targeting "
                f"{workload.kind} {workload.name} with minReplicas: {minimum}",
            )
        ]
    if hpa.min_replicas < minimum:
        return [
            Finding(
                f"{where(workload)}: HPA {hpa.ref.name} may scale down to "
                f"{hpa.min_replicas} replica(s)",
                expected=f"minReplicas >= {minimum}",
                found=f"minReplicas={hpa.min_replicas}, maxReplicas={hpa.max_replicas}",
                fix=f"set minReplicas: {minimum} on HPA {hpa.ref.name}",
            )
        ]
    return []


def not_spread(workload: Workload) -> list[Finding]:
    if workload.pod.topology_spread or workload.pod.anti_affinity:
        return []
    return [
        Finding(
            f"{where(workload)} does not spread its replicas",
            expected="topologySpreadConstraints or podAntiAffinity",
            found="neither",
            fix="add topologySpreadConstraints with topologyKey kubernetes.io/hostname "
            f"(and topology.kubernetes.io/zone) and labelSelector "
            f"{_labels_text(workload.pod_labels)}",
        )
    ]


# ---------------------------------------------------------------- network


def policies_for(workload: Workload, policies: Iterable[NetworkPolicy]) -> list[NetworkPolicy]:
    return [
        p
        for p in policies
        if p.ref.namespace == workload.namespace and p.pod_selector.matches(workload.pod_labels)
    ]


def uncovered_by_network_policy(
    workload: Workload, policies: Sequence[NetworkPolicy]
) -> list[Finding]:
    if policies_for(workload, policies):
        return []
    return [
        Finding(
            f"{where(workload)} is not selected by any NetworkPolicy",
            expected="a NetworkPolicy whose podSelector matches the pods",
            found=f"pods {_labels_text(workload.pod_labels)}; no NetworkPolicy in "
            f"{workload.namespace} selects them",
            fix=f"add a NetworkPolicy in {workload.namespace} with podSelector "
            f"{_labels_text(workload.pod_labels)} allowing only the needed traffic",
        )
    ]


def missing_default_deny(namespace: str, policies: Sequence[NetworkPolicy]) -> list[Finding]:
    in_ns = [p for p in policies if p.ref.namespace == namespace]
    if any(p.denies_ingress_by_default for p in in_ns):
        return []
    return [
        Finding(
            f"namespace {namespace} has no default-deny NetworkPolicy",
            expected="a NetworkPolicy with podSelector: {} and policyTypes [Ingress(, Egress)] "
            "and no rules",
            found=f"policies: {', '.join(p.ref.name for p in in_ns) or 'none'}",
            fix=f"apply a default-deny NetworkPolicy in namespace {namespace}",
        )
    ]


# ---------------------------------------------------------------- service accounts, RBAC


def bound_service_accounts(bindings: Iterable[Binding]) -> set[tuple[str, str]]:
    return {
        (s.namespace, s.name) for b in bindings for s in b.subjects if s.kind == "ServiceAccount"
    }


def needless_token(
    workload: Workload,
    service_accounts: Sequence[ServiceAccount],
    bindings: Sequence[Binding],
    api_access: Sequence[str],
) -> list[Finding]:
    pod = workload.pod
    sa = next(
        (
            s
            for s in service_accounts
            if s.ref.namespace == workload.namespace and s.ref.name == pod.service_account
        ),
        None,
    )
    if pod.automount_token is not None:
        mounted, source = pod.automount_token, "pod spec"
    elif sa is not None and sa.automount_token is not None:
        mounted, source = sa.automount_token, f"ServiceAccount {sa.ref.name}"
    else:
        mounted, source = True, "default (unset)"
    if not mounted:
        return []
    if matches_any(workload, api_access):
        return []
    if (workload.namespace, pod.service_account) in bound_service_accounts(bindings):
        return []
    return [
        Finding(
            f"{where(workload)} mounts a service-account token it does not appear to use",
            expected="automountServiceAccountToken: false (no RBAC binding names "
            f"ServiceAccount {pod.service_account})",
            found=f"token mounted ({source})",
            fix="set automountServiceAccountToken: false on the pod spec, or list the "
            "workload under kubernetes.api_access if it calls the API",
        )
    ]


_DEFAULT_ROLES = frozenset({"cluster-admin", "admin", "edit", "view"})


def _system(name: str) -> bool:
    return name.startswith("system:") or name in _DEFAULT_ROLES


def rbac_problems(
    roles: Sequence[Role], bindings: Sequence[Binding], ignore_namespaces: Sequence[str] = ()
) -> list[Finding]:
    findings = []
    for role in roles:
        if _system(role.ref.name) or role.aggregated or role.ref.namespace in ignore_namespaces:
            continue
        for i, rule in enumerate(role.rules):
            wild = [
                f"{field}: ['*']"
                for field, values in (("verbs", rule.verbs), ("resources", rule.resources))
                if "*" in values
            ]
            if wild:
                findings.append(
                    Finding(
                        f"{role.ref} rule {i} grants wildcards ({', '.join(wild)})",
                        expected="named verbs and resources",
                        found=f"apiGroups={list(rule.api_groups)} resources="
                        f"{list(rule.resources)} verbs={list(rule.verbs)}",
                        fix=f"replace the wildcards in {role.ref.kind} {role.ref.name} with the "
                        "verbs and resources the workload uses",
                    )
                )
    for b in bindings:
        if b.ref.name.startswith("system:") or b.ref.namespace in ignore_namespaces:
            continue
        if b.role_kind == "ClusterRole" and b.role_name == "cluster-admin":
            for s in b.subjects:
                if s.kind == "ServiceAccount":
                    findings.append(
                        Finding(
                            f"{b.ref} gives cluster-admin to ServiceAccount {s.namespace}/{s.name}",
                            expected="no cluster-admin for service accounts",
                            found=f"roleRef ClusterRole/cluster-admin, subject "
                            f"ServiceAccount {s.namespace}/{s.name}",
                            fix="bind the service account to a narrow Role with only the "
                            "permissions it needs",
                        )
                    )
    return findings


# ---------------------------------------------------------------- env secrets

_SECRET_NAME = re.compile(
    r"(PASSW(OR)?D|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|CREDENTIALS?|"
    r"AUTH_?KEY|CLIENT_?SECRET)",
    re.I,
)
_HARMLESS_SUFFIX = re.compile(
    r"_(FILE|PATH|DIR|URL|URI|ADDR|HOST|PORT|NAME|ENDPOINT|ENABLED|TTL|TIMEOUT|LENGTH|"
    r"HEADER|TYPE|REF|KEY_ID|ID)$",
    re.I,
)
_SECRET_VALUE = re.compile(
    r"(AKIA[0-9A-Z]{16}|-----BEGIN [A-Z ]*PRIVATE KEY|gh[pousr]_[A-Za-z0-9]{30,}|"
    r"xox[abpr]-[A-Za-z0-9-]{10,}|sk_live_[A-Za-z0-9]{10,}|"
    r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.|[a-z][a-z0-9+.-]*://[^/:@\s]+:[^/@\s]+@)"
)
_PLACEHOLDER = re.compile(
    r"^(\$\(.*\)|\$\{.*\}|true|false|yes|no|none|null|changeme|-?\d{1,6})$", re.I
)


def literal_secrets(workload: Workload) -> list[Finding]:
    findings = []
    for c in workload.pod.containers:
        for e in c.env:
            if not e.value or _PLACEHOLDER.match(e.value.strip()):
                continue
            by_name = bool(_SECRET_NAME.search(e.name)) and not _HARMLESS_SUFFIX.search(e.name)
            by_value = bool(_SECRET_VALUE.search(e.value))
            if by_name or by_value:
                why = "a secret-looking name" if by_name else "a credential-shaped value"
                findings.append(
                    Finding(
                        f"{where(workload, c)} sets env {e.name} to a literal value ({why})",
                        expected="valueFrom.secretKeyRef",
                        found=f"literal value of {len(e.value)} characters (not shown)",
                        fix=f"store {e.name} in a Secret, reference it with "
                        "valueFrom.secretKeyRef, and rotate the exposed value",
                    )
                )
    return findings


# ---------------------------------------------------------------- API versions

# (apiVersion, kind or "*") -> (removed in 1.x, replacement)
REMOVED_APIS: dict[tuple[str, str], tuple[int, str]] = {
    ("extensions/v1beta1", "Deployment"): (16, "apps/v1"),
    ("extensions/v1beta1", "DaemonSet"): (16, "apps/v1"),
    ("extensions/v1beta1", "ReplicaSet"): (16, "apps/v1"),
    ("extensions/v1beta1", "NetworkPolicy"): (16, "networking.k8s.io/v1"),
    ("extensions/v1beta1", "PodSecurityPolicy"): (16, "policy/v1beta1"),
    ("extensions/v1beta1", "Ingress"): (22, "networking.k8s.io/v1"),
    ("apps/v1beta1", "*"): (16, "apps/v1"),
    ("apps/v1beta2", "*"): (16, "apps/v1"),
    ("networking.k8s.io/v1beta1", "*"): (22, "networking.k8s.io/v1"),
    ("rbac.authorization.k8s.io/v1alpha1", "*"): (22, "rbac.authorization.k8s.io/v1"),
    ("rbac.authorization.k8s.io/v1beta1", "*"): (22, "rbac.authorization.k8s.io/v1"),
    ("apiextensions.k8s.io/v1beta1", "*"): (22, "apiextensions.k8s.io/v1"),
    ("admissionregistration.k8s.io/v1beta1", "*"): (22, "admissionregistration.k8s.io/v1"),
    ("scheduling.k8s.io/v1beta1", "*"): (22, "scheduling.k8s.io/v1"),
    ("coordination.k8s.io/v1beta1", "*"): (22, "coordination.k8s.io/v1"),
    ("certificates.k8s.io/v1beta1", "*"): (22, "certificates.k8s.io/v1"),
    ("storage.k8s.io/v1beta1", "*"): (22, "storage.k8s.io/v1"),
    ("policy/v1beta1", "PodDisruptionBudget"): (25, "policy/v1"),
    ("policy/v1beta1", "PodSecurityPolicy"): (25, "Pod Security Admission"),
    ("batch/v1beta1", "*"): (25, "batch/v1"),
    ("autoscaling/v2beta1", "*"): (25, "autoscaling/v2"),
    ("autoscaling/v2beta2", "*"): (26, "autoscaling/v2"),
    ("discovery.k8s.io/v1beta1", "*"): (25, "discovery.k8s.io/v1"),
    ("events.k8s.io/v1beta1", "*"): (25, "events.k8s.io/v1"),
    ("node.k8s.io/v1beta1", "*"): (25, "node.k8s.io/v1"),
    ("flowcontrol.apiserver.k8s.io/v1beta1", "*"): (26, "flowcontrol.apiserver.k8s.io/v1"),
    ("flowcontrol.apiserver.k8s.io/v1beta2", "*"): (29, "flowcontrol.apiserver.k8s.io/v1"),
    ("flowcontrol.apiserver.k8s.io/v1beta3", "*"): (32, "flowcontrol.apiserver.k8s.io/v1"),
}


def _minor(version: str) -> int:
    return int(version.split(".", 1)[1])


def deprecated_apis(uses: Iterable[ApiUse], target_version: str) -> list[Finding]:
    target = _minor(target_version)
    findings = []
    for use in uses:
        entry = REMOVED_APIS.get((use.api_version, use.ref.kind)) or REMOVED_APIS.get(
            (use.api_version, "*")
        )
        if entry is None:
            continue
        removed, replacement = entry
        state = "was removed" if removed <= target else "is deprecated and will be removed"
        origin = f" ({use.where})" if use.where else ""
        findings.append(
            Finding(
                f"{use.ref}{origin} uses {use.api_version}, which {state} in 1.{removed}",
                expected=f"an API version served by Kubernetes {target_version}",
                found=f"apiVersion: {use.api_version}",
                fix=f"migrate {use.ref.kind} {use.ref.name} to {replacement}",
            )
        )
    return findings


# ---------------------------------------------------------------- graceful shutdown


def services_for(workload: Workload, services: Iterable[Service]) -> list[Service]:
    return [
        s
        for s in services
        if s.ref.namespace == workload.namespace
        and s.selector
        and all(workload.pod_labels.get(k) == v for k, v in s.selector.items())
    ]


def load_balanced(
    workload: Workload, services: Sequence[Service], ingresses: Sequence[IngressBackend]
) -> list[str]:
    """Why traffic reaches the workload through a load balancer (empty: it does not)."""
    reasons = []
    for s in services_for(workload, services):
        if s.type in ("LoadBalancer", "NodePort"):
            reasons.append(f"Service {s.ref.name} type {s.type}")
        for ing in ingresses:
            if ing.ref.namespace == s.ref.namespace and s.ref.name in ing.services:
                reasons.append(f"Ingress {ing.ref.name} -> Service {s.ref.name}")
    return reasons


def ungraceful_shutdown(
    workload: Workload,
    services: Sequence[Service],
    ingresses: Sequence[IngressBackend],
    min_grace_seconds: int,
) -> list[Finding]:
    findings = []
    grace = workload.pod.termination_grace
    effective = 30 if grace is None else grace
    if effective < min_grace_seconds:
        findings.append(
            Finding(
                f"{where(workload)} gets {effective}s to shut down",
                expected=f"terminationGracePeriodSeconds >= {min_grace_seconds}",
                found=f"terminationGracePeriodSeconds: {grace}",
                fix=f"raise terminationGracePeriodSeconds to {min_grace_seconds} or more "
                "(longer than the longest request)",
            )
        )
    behind = load_balanced(workload, services, ingresses)
    if behind:
        for c in workload.pod.app_containers:
            if c.has_ports and not c.pre_stop:
                findings.append(
                    Finding(
                        f"{where(workload, c)} is behind a load balancer "
                        f"({'; '.join(behind)}) but has no preStop hook",
                        expected="lifecycle.preStop (e.g. sleep 5) to let endpoints drain",
                        found="no preStop hook",
                        fix=f"add lifecycle.preStop to container {c.name!r}, e.g. "
                        "exec: [sleep, '5'] or sleep: {seconds: 5}",
                    )
                )
    return findings


# ---------------------------------------------------------------- monitoring


def scrape_coverage(
    service: Service,
    monitors: Sequence[ServiceMonitor],
    workloads: Sequence[Workload],
) -> list[str]:
    """How the service is scraped: ServiceMonitors or annotations (empty: not at all)."""
    how = [
        f"ServiceMonitor {m.ref.namespace}/{m.ref.name}"
        for m in monitors
        if (
            m.any_namespace
            or service.ref.namespace in m.namespaces
            or (not m.namespaces and m.ref.namespace == service.ref.namespace)
        )
        and not m.selector.empty
        and m.selector.matches(service.labels)
    ]
    if service.annotations.get("prometheus.io/scrape") == "true":
        how.append("Service annotation prometheus.io/scrape")
    if service.selector:
        for w in workloads:
            if (
                w.namespace == service.ref.namespace
                and all(w.pod_labels.get(k) == v for k, v in service.selector.items())
                and w.pod_annotations.get("prometheus.io/scrape") == "true"
            ):
                how.append(f"pod annotation prometheus.io/scrape on {w.kind} {w.name}")
    return how


def unmonitored(
    service: Service, monitors: Sequence[ServiceMonitor], workloads: Sequence[Workload]
) -> list[Finding]:
    if scrape_coverage(service, monitors, workloads):
        return []
    return [
        Finding(
            f"{service.ref} is not scraped",
            expected="a ServiceMonitor selecting the Service, or prometheus.io/scrape: 'true'",
            found=f"labels {_labels_text(service.labels)}; no ServiceMonitor selects them "
            "and no prometheus.io/scrape annotation",
            fix=f"add a ServiceMonitor in {service.ref.namespace} with selector.matchLabels "
            f"{_labels_text(service.labels)}",
        )
    ]


def workloads_behind(service: Service, workloads: Sequence[Workload]) -> list[Workload]:
    if not service.selector:
        return []
    return [
        w
        for w in workloads
        if w.namespace == service.ref.namespace
        and all(w.pod_labels.get(k) == v for k, v in service.selector.items())
    ]


def dangling_service(service: Service, workloads: Sequence[Workload]) -> list[Finding]:
    """A Service whose selector matches no workload's pods routes traffic nowhere."""
    if not service.selector or service.type == "ExternalName":
        return []
    if workloads_behind(service, workloads):
        return []
    return [
        Finding(
            f"{service.ref} selects no workload",
            expected=f"a workload in {service.ref.namespace} whose pod labels include "
            f"{_labels_text(service.selector)}",
            found="no matching pod template",
            fix="correct spec.selector (or the workload's pod labels), or remove the Service",
        )
    ]


# ---------------------------------------------------------------- labels


def missing_labels(workload: Workload, required: Sequence[str]) -> list[Finding]:
    absent = [k for k in required if not workload.labels.get(k)]
    if not absent:
        return []
    return [
        Finding(
            f"{where(workload)} lacks recommended labels: {', '.join(absent)}",
            expected=", ".join(required),
            found=_labels_text(workload.labels),
            fix="add to metadata.labels (and the pod template): "
            + ", ".join(f"{k}: <value>" for k in absent),
        )
    ]


def _labels_text(labels: dict[str, str]) -> str:
    return "{" + ", ".join(f"{k}={v}" for k, v in sorted(labels.items())) + "}" if labels else "{}"


def namespaces_with_workloads(inventory: Inventory, ignore: Sequence[str]) -> list[str]:
    seen = {w.namespace for w in inventory.workloads} | set(inventory.namespaces)
    return sorted(n for n in seen if n and n not in ignore)
