"""Replays recorded Kubernetes API responses over real HTTP(S) on loopback.

No API server can run on these machines, so the demo, the tests and the benchmark point
the real ``kubernetes`` client at this server. It serves List objects exactly as an API
server does: ``resourceVersion``, ``limit``/``continue`` pagination with opaque tokens
and ``remainingItemCount``, ``Status`` bodies for 401/403/404, cluster-wide LISTs merged
from the namespaced recordings, empty lists for namespaces without objects. Only GET is
answered; single objects too (GET .../name), for comparison with bulk LISTs. It counts
the requests it receives.

A recording is JSON: ``{"recorded_at": "...", "lists": {"/apis/apps/v1/namespaces/shop/
deployments": {List object}, ...}}``. With ``shift_time`` every timestamp is moved by
(now - recorded_at), so a recording replays as if it had just been taken.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from readiness.demo._replay import ReplayServer

_TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
_NAMESPACED = re.compile(r"^(?P<prefix>/apis?/.+?)/namespaces/(?P<ns>[^/]+)/(?P<plural>[^/]+)$")


def load_recording(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def shift_timestamps(data: Any, delta: dt.timedelta) -> Any:
    if isinstance(data, dict):
        return {k: shift_timestamps(v, delta) for k, v in data.items()}
    if isinstance(data, list):
        return [shift_timestamps(v, delta) for v in data]
    if isinstance(data, str) and _TS.match(data):
        when = dt.datetime.fromisoformat(data.replace("Z", "+00:00")) + delta
        return when.strftime("%Y-%m-%dT%H:%M:%SZ")
    return data


def status_body(code: int, reason: str, message: str, details: Mapping[str, Any]) -> bytes:
    return json.dumps(
        {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": message,
            "reason": reason,
            "details": dict(details),
            "code": code,
        }
    ).encode()


@dataclass
class Recording:
    """The lists a recorded cluster serves, plus cluster-wide views computed from them."""

    lists: dict[str, dict[str, Any]]
    forbidden: set[str] = field(default_factory=set)  # paths answered 403
    user: str = "system:serviceaccount:readiness:readiness"

    def lookup(self, path: str) -> dict[str, Any] | None:
        if path in self.lists:
            return self.lists[path]
        wanted = _NAMESPACED.match(path)
        if wanted:  # a namespace without recorded objects of a served kind: an empty list
            for key, value in self.lists.items():
                m = _NAMESPACED.match(key)
                if m and (m["prefix"], m["plural"]) == (wanted["prefix"], wanted["plural"]):
                    return {**value, "items": []}
            return None
        # Cluster-wide LIST of a namespaced kind: merge every namespace's list.
        merged: list[Any] = []
        template: dict[str, Any] | None = None
        for key, value in self.lists.items():
            m = _NAMESPACED.match(key)
            if m and f"{m['prefix']}/{m['plural']}" == path:
                template = template or value
                merged.extend(value.get("items", []))
        if template is None:
            return None
        return {**template, "items": merged}


_JSON = {"Content-Type": "application/json"}


class RecordedApiServer(ReplayServer):
    thread_name = "k8s-replay"

    def __init__(
        self,
        recording: Recording,
        port: int = 0,
        token: str | None = None,
        cert: tuple[Path, Path] | None = None,
        latency: float = 0.0,
    ):
        super().__init__(port, token, cert)
        self.recording = recording
        self.latency = latency

    def before_answer(self) -> None:
        if self.latency:
            time.sleep(self.latency)

    def _headers(self) -> Mapping[str, str]:
        return {**_JSON, "Audit-Id": f"replay-{self.total}"}

    def answer(self, path: str, query: dict[str, str]) -> tuple[int, bytes, Mapping[str, str]]:
        code, body = self.respond(path, query)
        return code, body, self._headers()

    def unauthorized(self, path: str) -> tuple[int, bytes, Mapping[str, str]]:
        return 401, status_body(401, "Unauthorized", "Unauthorized", {}), self._headers()

    def refused(self) -> tuple[int, bytes, Mapping[str, str]]:
        body = status_body(405, "MethodNotAllowed", "this replay server only reads", {})
        return 405, body, self._headers()

    def reset_counts(self) -> None:
        with self._lock:
            self.requests.clear()

    def respond(self, path: str, query: Mapping[str, str]) -> tuple[int, bytes]:
        rec = self.recording
        if path in rec.forbidden:
            m = _NAMESPACED.match(path)
            plural = m["plural"] if m else path.rsplit("/", 1)[-1]
            group = path.split("/")[2] if path.startswith("/apis/") else ""
            resource = f"{plural}.{group}" if group else plural
            where = f' in the namespace "{m["ns"]}"' if m else " at the cluster scope"
            return 403, status_body(
                403,
                "Forbidden",
                f'{resource} is forbidden: User "{rec.user}" cannot list resource '
                f'"{plural}" in API group "{group}"{where}',
                {"group": group, "kind": plural},
            )
        listing = rec.lookup(path)
        if listing is not None:
            return 200, json.dumps(paginate(path, listing, query)).encode()
        parent, _, name = path.rpartition("/")
        collection = rec.lists.get(parent)
        if collection is not None:
            for item in collection.get("items", []):
                if item.get("metadata", {}).get("name") == name:
                    kind = str(collection.get("kind", "List")).removesuffix("List")
                    obj = {"kind": kind, "apiVersion": collection.get("apiVersion"), **item}
                    return 200, json.dumps(obj).encode()
            plural = parent.rsplit("/", 1)[-1]
            return 404, status_body(
                404, "NotFound", f'{plural} "{name}" not found', {"name": name, "kind": plural}
            )
        return 404, status_body(
            404, "NotFound", "the server could not find the requested resource", {}
        )


def paginate(path: str, listing: Mapping[str, Any], query: Mapping[str, str]) -> dict[str, Any]:
    """One page of a List object, as the API server cuts it for ``limit``/``continue``."""
    items: list[Any] = list(listing.get("items", []))
    meta = dict(listing.get("metadata") or {})
    start = 0
    token = query.get("continue")
    if token:
        try:
            state = json.loads(base64.urlsafe_b64decode(token.encode()))
            start = int(state["start"])
            meta["resourceVersion"] = str(state["rv"])
        except (ValueError, KeyError, TypeError):
            start = 0
    limit = int(query.get("limit") or 0)
    end = len(items) if limit <= 0 else min(len(items), start + limit)
    page_meta: dict[str, Any] = {"resourceVersion": meta.get("resourceVersion", "1")}
    if end < len(items):
        page_meta["continue"] = base64.urlsafe_b64encode(
            json.dumps(
                {
                    "v": "meta.k8s.io/v1",
                    "rv": page_meta["resourceVersion"],
                    "start": end,
                    "path": path,
                }
            ).encode()
        ).decode()
        page_meta["remainingItemCount"] = len(items) - end
    return {
        "kind": listing.get("kind", "List"),
        "apiVersion": listing.get("apiVersion", "v1"),
        "metadata": page_meta,
        "items": items[start:end],
    }


# ---------------------------------------------------------------- making recordings

_GROUPS = {
    "Deployment": ("apps/v1", "deployments"),
    "StatefulSet": ("apps/v1", "statefulsets"),
    "DaemonSet": ("apps/v1", "daemonsets"),
    "ReplicaSet": ("apps/v1", "replicasets"),
    "Job": ("batch/v1", "jobs"),
    "CronJob": ("batch/v1", "cronjobs"),
    "Pod": ("v1", "pods"),
    "Service": ("v1", "services"),
    "ServiceAccount": ("v1", "serviceaccounts"),
    "Event": ("v1", "events"),
    "Node": ("v1", "nodes"),
    "Ingress": ("networking.k8s.io/v1", "ingresses"),
    "NetworkPolicy": ("networking.k8s.io/v1", "networkpolicies"),
    "PodDisruptionBudget": ("policy/v1", "poddisruptionbudgets"),
    "HorizontalPodAutoscaler": ("autoscaling/v2", "horizontalpodautoscalers"),
    "Role": ("rbac.authorization.k8s.io/v1", "roles"),
    "RoleBinding": ("rbac.authorization.k8s.io/v1", "rolebindings"),
    "ClusterRole": ("rbac.authorization.k8s.io/v1", "clusterroles"),
    "ClusterRoleBinding": ("rbac.authorization.k8s.io/v1", "clusterrolebindings"),
    "ServiceMonitor": ("monitoring.coreos.com/v1", "servicemonitors"),
    "PrometheusRule": ("monitoring.coreos.com/v1", "prometheusrules"),
    "Rollout": ("argoproj.io/v1alpha1", "rollouts"),
    "AnalysisTemplate": ("argoproj.io/v1alpha1", "analysistemplates"),
    "ClusterAnalysisTemplate": ("argoproj.io/v1alpha1", "clusteranalysistemplates"),
    "Canary": ("flagger.app/v1beta1", "canaries"),
}
CLUSTER_SCOPED = frozenset({"Node", "ClusterRole", "ClusterRoleBinding", "ClusterAnalysisTemplate"})
CRD_KINDS = frozenset(
    {
        "ServiceMonitor",
        "PrometheusRule",
        "Rollout",
        "AnalysisTemplate",
        "ClusterAnalysisTemplate",
        "Canary",
    }
)
CORE_KINDS = tuple(k for k in _GROUPS if k not in CRD_KINDS)


def list_path(kind: str, namespace: str | None) -> str:
    api_version, plural = _GROUPS[kind]
    root = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
    if namespace is None or kind in CLUSTER_SCOPED:
        return f"{root}/{plural}"
    return f"{root}/namespaces/{namespace}/{plural}"


def record(
    objects: Iterable[Mapping[str, Any]],
    namespaces: Iterable[str],
    resource_version: int = 48213,
    with_crds: bool = True,
) -> dict[str, dict[str, Any]]:
    """List objects per kind and namespace from full objects, as an API server returns them.

    Every kind gets a list for every namespace (empty ones too), items lose their own
    kind/apiVersion (List items carry none) and gain uid/resourceVersion.
    """
    namespaces = list(namespaces)
    kinds = list(_GROUPS) if with_crds else list(CORE_KINDS)
    lists: dict[str, dict[str, Any]] = {}
    for kind in kinds:
        api_version = _GROUPS[kind][0]
        scopes: list[str | None] = [None] if kind in CLUSTER_SCOPED else list(namespaces)
        for ns in scopes:
            lists[list_path(kind, ns)] = {
                "kind": f"{kind}List",
                "apiVersion": api_version,
                "metadata": {"resourceVersion": str(resource_version)},
                "items": [],
            }
    for n, obj in enumerate(objects):
        kind = str(obj["kind"])
        meta = dict(obj.get("metadata") or {})
        ns = None if kind in CLUSTER_SCOPED else str(meta.get("namespace", "default"))
        if ns is not None:
            meta["namespace"] = ns
        meta.setdefault("uid", f"00000000-0000-4000-8000-{n:012d}")
        meta.setdefault("resourceVersion", str(resource_version - 1000 + n))
        item = {k: v for k, v in obj.items() if k not in ("kind", "apiVersion")}
        item["metadata"] = meta
        path = list_path(kind, ns)
        if path not in lists:
            continue
        lists[path]["items"].append(item)
    return lists
