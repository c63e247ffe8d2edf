"""A live cluster as evidence, read with the official ``kubernetes`` client.

One LIST per kind and namespace (or one cluster-wide LIST per kind), following
``continue`` pagination, run concurrently, parsed once into an :class:`Inventory` that
the run caches. The client's configuration (kubeconfig, in-cluster or URL and token;
TLS, proxy, credential refresh) and connection pool make the requests; each answer is
parsed once from JSON into plain objects, without the client's generated API classes
and models. Only list calls are made: the suite never writes to a cluster. A kind
that cannot be read is recorded with its error, so only the checks that need it fail;
a custom resource whose CRD is not installed (404) is recorded as absent.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

import urllib3
from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes.config.config_exception import ConfigException

from readiness import snapshot
from readiness.errors import SourceError
from readiness.profile.kubernetes import KubeCluster
from readiness.redact import safe_url
from readiness.rules.kubernetes_model import Inventory, Parsed, RawObject, assemble, parse_object
from readiness.sources.deadline import Deadline, guard_pool_manager, guarded
from readiness.sources.run import gather, run_context


@dataclass(frozen=True, slots=True)
class KindSpec:
    kind: str
    plural: str  # resource name in RBAC and URLs
    group: str  # "" for the core group
    version: str
    namespaced: bool = True
    crd: bool = False  # a custom resource: absent (404) when its CRD is not installed

    @property
    def resource(self) -> str:
        return f"{self.plural}.{self.group}" if self.group else self.plural

    def path(self, namespace: str | None) -> str:
        """The LIST path: cluster-wide when ``namespace`` is None."""
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        scope = f"/namespaces/{quote(namespace, safe='')}" if namespace is not None else ""
        return f"{base}{scope}/{self.plural}"


KINDS: tuple[KindSpec, ...] = (
    KindSpec("Deployment", "deployments", "apps", "v1"),
    KindSpec("StatefulSet", "statefulsets", "apps", "v1"),
    KindSpec("DaemonSet", "daemonsets", "apps", "v1"),
    KindSpec("ReplicaSet", "replicasets", "apps", "v1"),
    KindSpec("Job", "jobs", "batch", "v1"),
    KindSpec("CronJob", "cronjobs", "batch", "v1"),
    KindSpec("Pod", "pods", "", "v1"),
    KindSpec("Service", "services", "", "v1"),
    KindSpec("ServiceAccount", "serviceaccounts", "", "v1"),
    KindSpec("Event", "events", "", "v1"),
    KindSpec("Ingress", "ingresses", "networking.k8s.io", "v1"),
    KindSpec("NetworkPolicy", "networkpolicies", "networking.k8s.io", "v1"),
    KindSpec("PodDisruptionBudget", "poddisruptionbudgets", "policy", "v1"),
    KindSpec("HorizontalPodAutoscaler", "horizontalpodautoscalers", "autoscaling", "v2"),
    KindSpec("Role", "roles", "rbac.authorization.k8s.io", "v1"),
    KindSpec("RoleBinding", "rolebindings", "rbac.authorization.k8s.io", "v1"),
    KindSpec("ClusterRole", "clusterroles", "rbac.authorization.k8s.io", "v1", namespaced=False),
    KindSpec("ClusterRoleBinding", "clusterrolebindings", "rbac.authorization.k8s.io", "v1", False),
    KindSpec("Node", "nodes", "", "v1", namespaced=False),
    KindSpec("ServiceMonitor", "servicemonitors", "monitoring.coreos.com", "v1", crd=True),
    KindSpec("PrometheusRule", "prometheusrules", "monitoring.coreos.com", "v1", crd=True),
    # Progressive delivery: Argo Rollouts and Flagger (absent when not installed).
    KindSpec("Rollout", "rollouts", "argoproj.io", "v1alpha1", crd=True),
    KindSpec("AnalysisTemplate", "analysistemplates", "argoproj.io", "v1alpha1", crd=True),
    KindSpec(
        "ClusterAnalysisTemplate",
        "clusteranalysistemplates",
        "argoproj.io",
        "v1alpha1",
        namespaced=False,
        crd=True,
    ),
    KindSpec("Canary", "canaries", "flagger.app", "v1beta1", crd=True),
)


@dataclass(frozen=True, slots=True)
class ListJob:
    spec: KindSpec
    namespace: str | None  # None: cluster-wide


@dataclass(slots=True)
class ListResult:
    job: ListJob
    items: list[dict[str, Any]] = field(default_factory=list)
    pages: int = 0
    absent: bool = False  # CRD not installed


@dataclass(frozen=True, slots=True)
class _Listed:
    """One LIST's objects, parsed."""

    absent: bool
    objects: list[Parsed]


class _Unparsable(Exception):
    """An object of a LIST is not valid: the whole source is in error (not one kind)."""

    def __init__(self, error: SourceError):
        super().__init__(str(error))
        self.error = error


@dataclass(frozen=True, slots=True)
class CollectStats:
    requests: int
    objects: int
    seconds: float


def api_client(cluster: KubeCluster) -> k8s.ApiClient:
    """A client for the cluster from the profile: direct URL, in-cluster or kubeconfig."""
    cfg = k8s.Configuration()
    try:
        if cluster.api_url is not None:
            cfg.host = cluster.api_url.rstrip("/")
            if cluster.token:
                cfg.api_key = {"authorization": cluster.token}
                cfg.api_key_prefix = {"authorization": "Bearer"}
        elif cluster.in_cluster:
            k8s_config.load_incluster_config(client_configuration=cfg)  # type: ignore[no-untyped-call]
        else:
            k8s_config.load_kube_config(  # type: ignore[no-untyped-call]
                config_file=cluster.kubeconfig,
                context=cluster.context,
                client_configuration=cfg,
                persist_config=False,
            )
    except (ConfigException, OSError) as exc:
        raise SourceError(cluster.name, f"cannot load the cluster configuration: {exc}") from None
    if cluster.ca_file:
        cfg.ssl_ca_cert = cluster.ca_file
    if not cluster.verify_tls:
        cfg.verify_ssl = False
    cfg.retries = 1
    cfg.connection_pool_maxsize = max(cluster.max_workers, 4)
    client = k8s.ApiClient(cfg)
    guard_pool_manager(client.rest_client.pool_manager)  # reads honour their deadline
    return client


CLUSTER_WIDE_FROM = 4  # list_scope "auto": this many namespaces or more -> one LIST per kind


def cluster_wide(cluster: KubeCluster) -> bool:
    """Whether namespaced kinds are read with one cluster-wide LIST (filtered here)."""
    if not cluster.namespaces or cluster.list_scope == "cluster":
        return True
    if cluster.list_scope == "namespace":
        return False
    return len(cluster.namespaces) >= CLUSTER_WIDE_FROM


#: Kinds whose LISTs another family reads too (operations: rollout history and shutdown
#: settings). Only their :func:`rollout_view` stays in memory for the run: at 10,000
#: workloads the raw objects of every kind (Pods, ReplicaSets, Services, autoscalers,
#: budgets, ...) took ~450 MiB, the typed inventory ~40 MiB.
SHARED_KINDS = frozenset({"Deployment", "ReplicaSet"})


def rollout_view(item: dict[str, Any]) -> dict[str, Any]:
    """What another family reads of a Deployment or ReplicaSet (rollout history, shutdown
    settings): its identity, annotations and owners, and a Deployment's history limit and
    pod spec. The rest of the object (status, the ReplicaSet's template, managed fields) is
    not kept for the run."""
    meta = item.get("metadata") or {}
    view: dict[str, Any] = {
        "kind": item.get("kind"),
        "apiVersion": item.get("apiVersion"),
        "metadata": {
            key: meta[key]
            for key in ("name", "namespace", "uid", "annotations", "ownerReferences")
            if key in meta
        },
    }
    if item.get("kind") == "Deployment":
        spec = item.get("spec") or {}
        template = spec.get("template") or {}
        view["spec"] = {
            "revisionHistoryLimit": spec.get("revisionHistoryLimit"),
            "template": {"spec": template.get("spec") or {}},
        }
    return view


def _viewed(result: ListResult) -> ListResult:
    return ListResult(
        result.job,
        [rollout_view(i) for i in result.items],
        result.pages,
        result.absent,
    )


def list_jobs(
    cluster: KubeCluster, kinds: Sequence[KindSpec] = KINDS, wide: bool | None = None
) -> list[ListJob]:
    wide = cluster_wide(cluster) if wide is None else wide
    jobs: list[ListJob] = []
    for spec in kinds:
        if spec.namespaced and not wide:
            jobs.extend(ListJob(spec, ns) for ns in cluster.namespaces)
        else:
            jobs.append(ListJob(spec, None))
    return jobs


def _describe(job: ListJob) -> str:
    scope = f"in namespace {job.namespace}" if job.namespace else "cluster-wide"
    return f"{job.spec.resource} {scope}"


def _error(cluster: str, job: ListJob, status: int, reason: str, body: bytes) -> SourceError:
    """The API's refusal of a LIST, with its message and what to do about it."""
    message = ""
    try:
        message = str(json.loads(body or b"{}").get("message", ""))
    except (ValueError, AttributeError, RecursionError):
        message = body[:200].decode(errors="replace")
    if status == 403:
        scope = f"namespace {job.namespace}" if job.namespace else "the cluster scope"
        group = job.spec.group or '""'
        return SourceError(
            cluster,
            f"forbidden: missing permission verb=list resource={job.spec.plural} "
            f"apiGroup={group} in {scope} ({message}); grant it with deploy/rbac.yaml",
        )
    if status == 401:
        return SourceError(cluster, f"unauthorized listing {_describe(job)}: check the token")
    return SourceError(
        cluster, f"listing {_describe(job)} answered HTTP {status}: {message or reason}"
    )


class ClusterReader:
    """Bulk, paginated, concurrent LISTs against one cluster."""

    def __init__(
        self,
        cluster: KubeCluster,
        client: k8s.ApiClient | None = None,
        *,
        share_lists: bool = False,
    ):
        self.cluster = cluster
        self.client = client or api_client(cluster)
        self.share_lists = share_lists  # one LIST per kind and scope per run, for every family
        self._lock = threading.Lock()
        self.requests = 0

    def _headers(self) -> dict[str, str]:
        """The client's headers and credentials (token, refreshed by the client when its
        kubeconfig says how); client certificates are in its connection pool."""
        headers = {**self.client.default_headers, "Accept": "application/json"}
        for setting in self.client.configuration.auth_settings().values():
            if setting.get("in") == "header" and setting.get("value"):
                headers[str(setting["key"])] = str(setting["value"])
        return headers

    def _call(self, job: ListJob, token: str | None) -> dict[str, Any] | None:
        """One page of a LIST, parsed once into plain dicts (None: CRD not installed).

        The request goes through the ``kubernetes`` client's configuration (host, auth,
        TLS, proxy, retries) and connection pool; its generated API classes and models
        are not used: loading them costs seconds, and the rules read plain objects.
        """
        query: dict[str, str | int] = {"limit": self.cluster.page_size}
        if token:
            query["continue"] = token
        host = str(self.client.configuration.host)
        url = f"{host}{job.spec.path(job.namespace)}?{urlencode(query)}"
        with self._lock:
            self.requests += 1
        deadline = Deadline(run_context().limits.deadline)
        with guarded(deadline):
            per_call = deadline.timeout(self.cluster.timeout)
            response = self.client.rest_client.pool_manager.request(
                "GET",
                url,
                headers=self._headers(),
                timeout=urllib3.Timeout(connect=per_call, read=per_call),
                preload_content=False,
            )
            try:
                data = self._read_capped(job, response, deadline)
            finally:
                response.release_conn()
        if response.status == 404 and job.spec.crd:
            return None
        if not 200 <= response.status < 300:
            raise _error(self.cluster.name, job, response.status, response.reason or "", data)
        try:
            body = json.loads(data)
        except (ValueError, RecursionError):
            raise SourceError(
                self.cluster.name,
                f"listing {_describe(job)} at {safe_url(host)}: "
                "the API answered, but not like Kubernetes (not JSON)",
            ) from None
        if not _is_list(body):
            raise SourceError(
                self.cluster.name,
                f"listing {_describe(job)} at {safe_url(host)}: "
                "the API answered, but not like Kubernetes (no List object with items); "
                "check api_url points at the API server",
            )
        listed: dict[str, Any] = body
        return listed

    def _read_capped(self, job: ListJob, response: Any, deadline: Deadline) -> bytes:
        """The page's body, streamed within the deadline and the size cap."""
        cap = run_context().limits.cap("kubernetes")
        chunks: list[bytes] = []
        size = 0
        where = f"listing {_describe(job)} at {safe_url(self.client.configuration.host)}"
        try:
            for chunk in response.stream(64 * 1024, decode_content=True):
                size += len(chunk)
                if size > cap:
                    raise SourceError(
                        self.cluster.name, f"{where}: answer over the {cap / 2**20:g} MiB cap"
                    )
                chunks.append(chunk)
        except urllib3.exceptions.HTTPError:
            if deadline.expired():
                raise SourceError(
                    self.cluster.name, f"{where}: no complete answer within {deadline.seconds:g}s"
                ) from None
            raise
        return b"".join(chunks)

    def list_all(self, job: ListJob) -> ListResult:
        """Every object of one kind in one scope, whole, page by page (``continue`` tokens).

        With ``share_lists``, a :data:`SHARED_KINDS` LIST also leaves its
        :func:`rollout_view` in the run's cache for the other families
        (:meth:`list_shared`), so they need no second LIST.
        """
        if not self.share_lists or job.spec.kind not in SHARED_KINDS:
            return self._list_all(job)
        whole: list[ListResult] = []

        def read() -> ListResult:
            whole.append(self._list_all(job))
            return _viewed(whole[0])

        run_context().once(self._shared_key(job), read)
        # Shared first by a reader that needed only the view: this one lists again.
        return whole[0] if whole else self._list_all(job)

    def list_shared(self, job: ListJob) -> ListResult:
        """The :func:`rollout_view` of every object of a :data:`SHARED_KINDS` LIST, read once
        per run whichever family asks first."""
        shared: ListResult = run_context().once(
            self._shared_key(job), lambda: _viewed(self._list_all(job))
        )
        return shared

    def _shared_key(self, job: ListJob) -> tuple[str, ...]:
        return (
            "kubernetes-list",
            self.cluster.name,
            str(self.client.configuration.host),
            job.spec.resource,
            job.namespace or "",
        )

    def _list_all(self, job: ListJob) -> ListResult:
        """Every page of one LIST, kept in (or served from) an evidence snapshot."""
        key = ("LIST", str(self.client.configuration.host), job.spec.resource, job.namespace or "")
        listed: ListResult = snapshot.through(
            "kubernetes", self.cluster.name, key, lambda: self._list_pages(job)
        )
        return listed

    def _list_pages(self, job: ListJob) -> ListResult:
        result = ListResult(job)
        token: str | None = None
        try:
            while True:
                body = self._call(job, token)
                if body is None:
                    result.absent = True
                    return result
                result.pages += 1
                api_version = str(body.get("apiVersion", job.spec.version))
                for item in body.get("items") or []:
                    if isinstance(item, dict):
                        # List items carry no kind/apiVersion of their own.
                        item.setdefault("kind", job.spec.kind)
                        item.setdefault("apiVersion", api_version)
                        result.items.append(item)
                token = (body.get("metadata") or {}).get("continue") or None
                if not token:
                    return result
        except urllib3.exceptions.HTTPError as exc:
            raise SourceError(
                self.cluster.name,
                f"cannot reach the API server {self.client.configuration.host} listing "
                f"{_describe(job)}: {_reason(exc)}",
            ) from None

    def collect(self, kinds: Sequence[KindSpec] = KINDS) -> tuple[Inventory, CollectStats]:
        started = time.perf_counter()
        jobs = list_jobs(self.cluster, kinds)
        results = list(gather(self._read, jobs, max_workers=self.cluster.max_workers))
        wanted = set(self.cluster.namespaces)
        if wanted and cluster_wide(self.cluster):
            # A cluster-wide LIST refused (e.g. only namespaced Roles granted): fall back
            # to one LIST per namespace for that kind.
            refused = [
                j.spec
                for j, r in zip(jobs, results, strict=True)
                if j.spec.namespaced and isinstance(r, SourceError) and "forbidden" in r.reason
            ]
            if refused:
                retry = list_jobs(self.cluster, refused, wide=False)
                kept = [(j, r) for j, r in zip(jobs, results, strict=True) if j.spec not in refused]
                again = gather(self._read, retry, max_workers=self.cluster.max_workers)
                jobs = [j for j, _ in kept] + retry
                results = [r for _, r in kept] + list(again)
        parsed: list[Parsed] = []
        missing: dict[str, SourceError] = {}
        absent: set[str] = set()
        for job, res in zip(jobs, results, strict=True):
            if isinstance(res, _Unparsable):  # raised fresh, once
                raise SourceError(res.error.target, res.error.reason) from None
            if isinstance(res, SourceError):
                missing.setdefault(job.spec.kind, res)
            elif isinstance(res, Exception):
                missing.setdefault(
                    job.spec.kind,
                    SourceError(
                        self.cluster.name,
                        f"listing {_describe(job)} failed: {type(res).__name__}: {res}",
                    ),
                )
            else:
                if res.absent:
                    absent.add(job.spec.kind)
                parsed += res.objects
        inventory = assemble(
            self.cluster.name,
            True,
            parsed,
            namespaces=self.cluster.namespaces,
            missing=missing,
            absent_crds=sorted(absent),
        )
        stats = CollectStats(self.requests, len(parsed), time.perf_counter() - started)
        return inventory, stats

    def _read(self, job: ListJob) -> _Listed:
        """One LIST, parsed as soon as it is read: only the typed objects are kept (and, of
        :data:`SHARED_KINDS`, the :func:`rollout_view` in the run's cache)."""
        res = self.list_all(job)
        wanted = set(self.cluster.namespaces)
        where = f"LIST {_describe(job)}"
        items = res.items
        if wanted and job.namespace is None and job.spec.namespaced:
            items = [i for i in items if (i.get("metadata") or {}).get("namespace") in wanted]
        try:
            objects = [parse_object(self.cluster.name, True, RawObject(i, where)) for i in items]
        except SourceError as exc:
            raise _Unparsable(exc) from None
        return _Listed(res.absent, objects)

    def close(self) -> None:
        self.client.close()  # type: ignore[no-untyped-call]


def _is_list(body: Any) -> bool:
    """A Kubernetes List: ``items`` and a ``…List`` kind or an apiVersion."""
    if not isinstance(body, dict) or not isinstance(body.get("items"), list):
        return False
    return str(body.get("kind", "")).endswith("List") or "apiVersion" in body


def _reason(exc: Exception) -> str:
    inner = getattr(exc, "reason", None)
    text = str(inner or exc)
    return text[:300]


def collect_cluster(cluster: KubeCluster) -> tuple[Inventory, CollectStats]:
    """Read a cluster once; the caller caches the result for the run."""
    reader = ClusterReader(cluster, share_lists=True)
    try:
        return reader.collect()
    finally:
        reader.close()
