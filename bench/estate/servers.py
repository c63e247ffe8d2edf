"""HTTPS servers of the estate, one asyncio process each:

    python3 servers.py services OUT SHARD   # ~50 services, one port each
    python3 servers.py k8s OUT              # Kubernetes API stand-in
    python3 servers.py runbooks OUT         # runbook pages + Alertmanager webhook sink

Each reads OUT/plan.json, listens on free 127.0.0.1 ports, writes
OUT/run/<name>.json ({"ports": {label: port}}) once listening and serves until
SIGTERM. Every response waits the configured latency; GET /_stats returns the
request count per path (DELETE /_stats resets it), without delay or auth.
"""

import asyncio
import base64
import hashlib
import json
import os
import signal
import ssl
import sys
import time
from collections import Counter
from http import HTTPStatus
from pathlib import Path
from urllib.parse import parse_qs

JSON = "application/json"
SECURITY_HEADERS = {
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
}
HTML = {"Content-Type": "text/html; charset=utf-8"}


class Http:
    """Minimal HTTP/1.1 keep-alive server over TLS on many ports. Responses wait delay(label) s;
    app(method, path, query, headers, body, label) -> (status, headers, body: bytes | str | dict)."""

    def __init__(self, app, ctx, delay):
        self.app, self.ctx, self.delay, self.stats = app, ctx, delay, Counter()

    async def listen(self, label):
        server = await asyncio.start_server(
            lambda r, w: self.serve(r, w, label), "127.0.0.1", 0, ssl=self.ctx, backlog=1024
        )
        return server.sockets[0].getsockname()[1]

    async def serve(self, reader, writer, label):
        try:
            while line := await reader.readline():
                method, target, version = line.decode("latin-1").split()
                headers = {}
                while (h := await reader.readline()).strip():
                    k, _, v = h.decode("latin-1").partition(":")
                    headers[k.strip().lower()] = v.strip()
                body = await reader.readexactly(int(headers.get("content-length") or 0))
                path, _, qs = target.partition("?")
                query = {k: v[-1] for k, v in parse_qs(qs).items()}
                if path == "/_stats":
                    if method == "DELETE":
                        self.stats.clear()
                    status, extra, payload, delay = (
                        200,
                        {},
                        {"total": sum(self.stats.values()), "paths": self.stats},
                        0,
                    )
                else:
                    self.stats[f"{label['name']} {path}" if label else path] += 1
                    status, extra, payload = self.app(method, path, query, headers, body, label)
                    delay = self.delay(label)
                if isinstance(payload, (dict, list)):
                    payload, extra = json.dumps(payload).encode(), {"Content-Type": JSON, **extra}
                elif isinstance(payload, str):
                    payload = payload.encode()
                if delay:
                    await asyncio.sleep(delay)
                keep = version == "HTTP/1.1" and headers.get("connection", "").lower() != "close"
                head = [
                    f"HTTP/1.1 {status} {HTTPStatus(status).phrase}",
                    "Server: estate",
                    f"Content-Length: {len(payload)}",
                    f"Connection: {'keep-alive' if keep else 'close'}",
                ]
                head += [f"{k}: {v}" for k, v in extra.items()]
                writer.write(
                    "\r\n".join(head).encode()
                    + b"\r\n\r\n"
                    + (b"" if method == "HEAD" else payload)
                )
                await writer.drain()
                if not keep:
                    break
        except (OSError, ValueError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()


def services_app(plan):
    served, started = Counter(), time.time()

    def metrics(svc, delay):
        name = svc["name"]
        codes = {c: n for (s, c), n in served.items() if s == name}
        total = sum(codes.values())
        lines = [
            "# HELP http_requests_total HTTP requests served, by status code.",
            "# TYPE http_requests_total counter",
        ]
        lines += [
            f'http_requests_total{{service="{name}",code="{c}"}} {n}'
            for c, n in sorted(codes.items())
        ]
        lines += [
            "# HELP http_request_duration_seconds HTTP request latency.",
            "# TYPE http_request_duration_seconds histogram",
        ]
        for le in ("0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "+Inf"):
            n = total if le == "+Inf" or float(le) >= delay else 0
            lines.append(f'http_request_duration_seconds_bucket{{service="{name}",le="{le}"}} {n}')
        lines += [
            f'http_request_duration_seconds_sum{{service="{name}"}} {total * delay}',
            f'http_request_duration_seconds_count{{service="{name}"}} {total}',
            "# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.",
            "# TYPE process_start_time_seconds gauge",
            f"process_start_time_seconds {started}",
            "# HELP service_build_info Build information.",
            "# TYPE service_build_info gauge",
            f'service_build_info{{service="{name}",version="{svc["version"]}"}} 1',
        ]
        return "\n".join(lines) + "\n"

    def app(method, path, query, headers, body, svc):
        flaws = svc["flaws"]
        extra = {
            k: v
            for k, v in SECURITY_HEADERS.items()
            if not (k == "Strict-Transport-Security" and "no_hsts" in flaws)
        }
        if path == "/health":
            status, payload = (
                (500, {"status": "error", "error": "database unreachable"})
                if "health_500" in flaws
                else (200, {"status": "ok"})
            )
        elif path == "/ready":
            status, payload = 200, {"status": "ready"}
        elif path == "/metrics":
            status, payload = 200, metrics(svc, delay(plan, svc))
            extra["Content-Type"] = "text/plain; version=0.0.4; charset=utf-8"
        elif path == "/admin":
            password = "admin" if "default_credentials" in flaws else svc["admin_password"]
            good = "Basic " + base64.b64encode(f"admin:{password}".encode()).decode()
            if headers.get("authorization") == good:
                status, payload = 200, {"service": svc["name"], "admin": True}
            else:
                status, payload = 401, {"error": "unauthorized"}
                extra["WWW-Authenticate"] = f'Basic realm="{svc["name"]}"'
        elif path == "/":
            status, payload = 200, {"service": svc["name"], "version": svc["version"]}
        else:
            status, payload = 404, {"error": "not found"}
        served[svc["name"], str(status)] += 1
        return status, extra, payload

    return app


# --- Kubernetes API stand-in ---------------------------------------------------------------

RESOURCES = {  # plural -> (path prefix, apiVersion, kind)
    "deployments": ("/apis/apps/v1", "apps/v1", "Deployment"),
    "pods": ("/api/v1", "v1", "Pod"),
    "services": ("/api/v1", "v1", "Service"),
    "serviceaccounts": ("/api/v1", "v1", "ServiceAccount"),
    "poddisruptionbudgets": ("/apis/policy/v1", "policy/v1", "PodDisruptionBudget"),
    "horizontalpodautoscalers": (
        "/apis/autoscaling/v2",
        "autoscaling/v2",
        "HorizontalPodAutoscaler",
    ),
    "networkpolicies": ("/apis/networking.k8s.io/v1", "networking.k8s.io/v1", "NetworkPolicy"),
    "namespaces": ("/api/v1", "v1", "Namespace"),
    # added in bench/estate (not in the lab): kinds a real API server always serves, so a
    # gate listing them gets real (ReplicaSets, Nodes) or empty lists instead of 404s
    "replicasets": ("/apis/apps/v1", "apps/v1", "ReplicaSet"),
    "nodes": ("/api/v1", "v1", "Node"),
    "statefulsets": ("/apis/apps/v1", "apps/v1", "StatefulSet"),
    "daemonsets": ("/apis/apps/v1", "apps/v1", "DaemonSet"),
    "events": ("/api/v1", "v1", "Event"),
    "ingresses": ("/apis/networking.k8s.io/v1", "networking.k8s.io/v1", "Ingress"),
    "jobs": ("/apis/batch/v1", "batch/v1", "Job"),
    "cronjobs": ("/apis/batch/v1", "batch/v1", "CronJob"),
    "roles": ("/apis/rbac.authorization.k8s.io/v1", "rbac.authorization.k8s.io/v1", "Role"),
    "rolebindings": (
        "/apis/rbac.authorization.k8s.io/v1",
        "rbac.authorization.k8s.io/v1",
        "RoleBinding",
    ),
    "clusterroles": (
        "/apis/rbac.authorization.k8s.io/v1",
        "rbac.authorization.k8s.io/v1",
        "ClusterRole",
    ),
    "clusterrolebindings": (
        "/apis/rbac.authorization.k8s.io/v1",
        "rbac.authorization.k8s.io/v1",
        "ClusterRoleBinding",
    ),
}
NODES = 12


def _h(*parts, n=32):
    return hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest()[:n]


def _uid(kind, ns, name):
    u = _h(kind, ns, name)
    return f"{u[:8]}-{u[8:12]}-{u[12:16]}-{u[16:20]}-{u[20:32]}"


def k8s_objects(plan):
    """Yield (plural, namespace, name, labels, object) for the whole cluster."""
    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(plan["created"] - 90 * 86400))
    rv = iter(range(1000, 10**9))

    def meta(kind, ns, name, labels=None, **extra):
        m = {
            "name": name,
            "namespace": ns,
            "uid": _uid(kind, ns, name),
            "resourceVersion": str(next(rv)),
            "creationTimestamp": created,
            "labels": labels or {},
        }
        return (
            {**m, **extra} if ns else {k: v for k, v in {**m, **extra}.items() if k != "namespace"}
        )

    for i in range(NODES):
        node = f"node-{i:02d}"
        yield (
            "nodes",
            "",
            node,
            {},
            {
                "metadata": meta("Node", "", node, {"kubernetes.io/hostname": node}),
                "spec": {},
                "status": {
                    "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady"}],
                    "nodeInfo": {"kubeletVersion": "v1.29.4"},
                },
            },
        )
    for ns in plan["namespaces"]:
        n = ns["name"]
        yield (
            "namespaces",
            "",
            n,
            {},
            {
                "metadata": meta("Namespace", "", n, {"kubernetes.io/metadata.name": n}),
                "spec": {"finalizers": ["kubernetes"]},
                "status": {"phase": "Active"},
            },
        )
        yield (
            "serviceaccounts",
            n,
            "default",
            {},
            {"metadata": meta("ServiceAccount", n, "default")},
        )
        if "no_network_policy" not in ns["flaws"]:
            for pol, spec in (
                ("default-deny", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}),
                (
                    "allow-same-namespace",
                    {
                        "podSelector": {},
                        "policyTypes": ["Ingress"],
                        "ingress": [{"from": [{"podSelector": {}}]}],
                    },
                ),
            ):
                yield (
                    "networkpolicies",
                    n,
                    pol,
                    {},
                    {"metadata": meta("NetworkPolicy", n, pol), "spec": spec},
                )
    for w in plan["workloads"]:
        ns, name, flaws, replicas = w["namespace"], w["name"], w["flaws"], w["replicas"]
        labels = {"app": name, "app.kubernetes.io/name": name, "team": ns}
        probe = {
            "httpGet": {"path": "/health", "port": "http", "scheme": "HTTP"},
            "periodSeconds": 10,
            "timeoutSeconds": 1,
            "successThreshold": 1,
            "failureThreshold": 3,
        }
        res = {"requests": {"cpu": "100m", "memory": "128Mi"}}
        if "no_limits" not in flaws:
            res["limits"] = {"cpu": "500m", "memory": "256Mi"}
        csc = {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        }
        tag = "latest" if "latest_tag" in flaws else f"1.{w['index'] % 17}.{w['index'] % 5}"
        image = f"registry.example.com/{ns}/{name}"
        container = {
            "name": "app",
            "image": f"{image}:{tag}",
            "imagePullPolicy": "IfNotPresent",
            "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
            "resources": res,
            "securityContext": csc,
        }
        if "no_probes" not in flaws:
            ready_probe = {**probe, "httpGet": {**probe["httpGet"], "path": "/ready"}}
            container.update(livenessProbe=probe, readinessProbe=ready_probe)
        psc = {"seccompProfile": {"type": "RuntimeDefault"}, "fsGroup": 10001}
        if "no_run_as_non_root" not in flaws:
            psc.update(runAsNonRoot=True, runAsUser=10001)
        pod_spec = {
            "serviceAccountName": name,
            "automountServiceAccountToken": False,
            "securityContext": psc,
            "containers": [container],
            "restartPolicy": "Always",
            "terminationGracePeriodSeconds": 30,
        }
        ready = {"replicas": replicas, "readyReplicas": replicas, "availableReplicas": replicas}
        yield (
            "deployments",
            ns,
            name,
            labels,
            {
                "metadata": meta(
                    "Deployment",
                    ns,
                    name,
                    labels,
                    generation=3,
                    annotations={"deployment.kubernetes.io/revision": "3"},
                ),
                "spec": {
                    "replicas": replicas,
                    "selector": {"matchLabels": {"app": name}},
                    "revisionHistoryLimit": 10,
                    "strategy": {
                        "type": "RollingUpdate",
                        "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
                    },
                    "template": {"metadata": {"labels": labels}, "spec": pod_spec},
                },
                "status": {
                    "observedGeneration": 3,
                    "updatedReplicas": replicas,
                    **ready,
                    "conditions": [
                        {
                            "type": "Available",
                            "status": "True",
                            "reason": "MinimumReplicasAvailable",
                        },
                        {
                            "type": "Progressing",
                            "status": "True",
                            "reason": "NewReplicaSetAvailable",
                        },
                    ],
                },
            },
        )
        rs = f"{name}-{_h('rs', ns, name, n=10)}"
        rs_labels = {**labels, "pod-template-hash": rs.rsplit("-", 1)[1]}
        yield (
            "replicasets",
            ns,
            rs,
            rs_labels,
            {
                "metadata": meta(
                    "ReplicaSet",
                    ns,
                    rs,
                    rs_labels,
                    generation=1,
                    ownerReferences=[
                        {
                            "apiVersion": "apps/v1",
                            "kind": "Deployment",
                            "name": name,
                            "controller": True,
                            "blockOwnerDeletion": True,
                            "uid": _uid("Deployment", ns, name),
                        }
                    ],
                    annotations={"deployment.kubernetes.io/revision": "3"},
                ),
                "spec": {
                    "replicas": replicas,
                    "selector": {"matchLabels": {"app": name}},
                    "template": {"metadata": {"labels": rs_labels}, "spec": pod_spec},
                },
                "status": {"replicas": replicas, **ready, "observedGeneration": 1},
            },
        )
        for r in range(replicas):
            pod = f"{rs}-{_h('pod', ns, name, r, n=5)}"
            plabels = {**labels, "pod-template-hash": rs.rsplit("-", 1)[1]}
            owner = [
                {
                    "apiVersion": "apps/v1",
                    "kind": "ReplicaSet",
                    "name": rs,
                    "controller": True,
                    "blockOwnerDeletion": True,
                    "uid": _uid("ReplicaSet", ns, rs),
                }
            ]
            yield (
                "pods",
                ns,
                pod,
                plabels,
                {
                    "metadata": meta("Pod", ns, pod, plabels, ownerReferences=owner),
                    "spec": {**pod_spec, "nodeName": f"node-{(w['index'] + r) % 12:02d}"},
                    "status": {
                        "phase": "Running",
                        "podIP": f"10.{w['index'] // 250}.{w['index'] % 250}.{r + 2}",
                        "startTime": created,
                        "qosClass": "Burstable",
                        "conditions": [
                            {"type": t, "status": "True"}
                            for t in ("Initialized", "Ready", "ContainersReady", "PodScheduled")
                        ],
                        "containerStatuses": [
                            {
                                "name": "app",
                                "ready": True,
                                "started": True,
                                "restartCount": 0,
                                "image": container["image"],
                                "imageID": f"{image}@sha256:{_h('img', name, tag, n=64)}",
                                "state": {"running": {"startedAt": created}},
                            }
                        ],
                    },
                },
            )
        yield (
            "services",
            ns,
            name,
            labels,
            {
                "metadata": meta("Service", ns, name, labels),
                "spec": {
                    "type": "ClusterIP",
                    "clusterIP": f"10.96.{w['index'] // 250}.{w['index'] % 250 + 1}",
                    "selector": {"app": name},
                    "ports": [
                        {"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}
                    ],
                },
            },
        )
        yield (
            "serviceaccounts",
            ns,
            name,
            labels,
            {
                "metadata": meta("ServiceAccount", ns, name, labels),
                "automountServiceAccountToken": False,
            },
        )
        if "no_pdb" not in flaws:
            yield (
                "poddisruptionbudgets",
                ns,
                name,
                labels,
                {
                    "metadata": meta("PodDisruptionBudget", ns, name, labels),
                    "spec": {"maxUnavailable": 1, "selector": {"matchLabels": {"app": name}}},
                    "status": {
                        "currentHealthy": replicas,
                        "desiredHealthy": replicas - 1,
                        "disruptionsAllowed": 1,
                        "expectedPods": replicas,
                        "observedGeneration": 1,
                    },
                },
            )
        if "no_hpa" not in flaws:
            yield (
                "horizontalpodautoscalers",
                ns,
                name,
                labels,
                {
                    "metadata": meta("HorizontalPodAutoscaler", ns, name, labels),
                    "spec": {
                        "scaleTargetRef": {
                            "apiVersion": "apps/v1",
                            "kind": "Deployment",
                            "name": name,
                        },
                        "minReplicas": replicas,
                        "maxReplicas": replicas * 4,
                        "metrics": [
                            {
                                "type": "Resource",
                                "resource": {
                                    "name": "cpu",
                                    "target": {"type": "Utilization", "averageUtilization": 70},
                                },
                            }
                        ],
                    },
                    "status": {"currentReplicas": replicas, "desiredReplicas": replicas},
                },
            )


def k8s_status(code, reason, message):
    return (
        code,
        {},
        {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": message,
            "reason": reason,
            "code": code,
        },
    )


def k8s_app(plan):
    token = plan["k8s_token"]
    lists, single = {}, {}  # (plural, ns or "") -> [(labels, bytes)]; (plural, ns, name) -> bytes
    for plural, ns, name, labels, obj in k8s_objects(plan):
        raw = json.dumps(obj, separators=(",", ":")).encode()
        for key in {(plural, ""), (plural, ns)}:
            lists.setdefault(key, []).append((labels, raw))
        single[plural, ns, name] = raw
    list_rv = str(1000 + len(single))
    counts = {plural: len(items) for (plural, ns), items in lists.items() if not ns}

    def page(plural, items, query):
        prefix, api, kind = RESOURCES[plural]
        if sel := query.get("labelSelector"):
            want = dict(kv.split("=", 1) for kv in sel.replace("==", "=").split(","))
            items = [i for i in items if all(i[0].get(k) == v for k, v in want.items())]
        try:
            start = (
                json.loads(base64.urlsafe_b64decode(query["continue"]))["start"]
                if "continue" in query
                else 0
            )
            limit = int(query.get("limit") or 0)
        except (ValueError, KeyError):
            return k8s_status(400, "BadRequest", "invalid continue token or limit")
        end = start + limit if limit > 0 else len(items)
        meta = {"resourceVersion": list_rv}
        if end < len(items):
            token_ = json.dumps({"v": "meta.k8s.io/v1", "rv": int(list_rv), "start": end}).encode()
            meta.update(
                {
                    "continue": base64.urlsafe_b64encode(token_).decode(),
                    "remainingItemCount": len(items) - end,
                }
            )
        head = json.dumps({"kind": kind + "List", "apiVersion": api, "metadata": meta})[
            :-1
        ].encode()
        return (
            200,
            {"Content-Type": JSON},
            head + b',"items":[' + b",".join(i[1] for i in items[start:end]) + b"]}",
        )

    def app(method, path, query, headers, body, label):
        if headers.get("authorization") != f"Bearer {token}":
            return k8s_status(401, "Unauthorized", "Unauthorized")
        if path in ("/healthz", "/readyz", "/livez"):
            return 200, {"Content-Type": "text/plain"}, "ok"
        if path == "/version":
            return (
                200,
                {},
                {"major": "1", "minor": "29", "gitVersion": "v1.29.4", "platform": "linux/amd64"},
            )
        parts = path.strip("/").split("/")
        n = {"api": 2, "apis": 3}.get(parts[0], 99)
        prefix, rest = "/" + "/".join(parts[:n]), parts[n:]
        ns, plural, name = "", None, None
        if rest[:1] == ["namespaces"] and len(rest) <= 2:
            plural, name = "namespaces", (rest[1] if len(rest) == 2 else None)
        elif rest[:1] == ["namespaces"] and len(rest) in (3, 4):
            ns, plural, name = rest[1], rest[2], (rest[3] if len(rest) == 4 else None)
        elif len(rest) == 1:
            plural = rest[0]
        if (
            plural not in RESOURCES
            or RESOURCES[plural][0] != prefix
            or method not in ("GET", "HEAD")
        ):
            return k8s_status(404, "NotFound", "the server could not find the requested resource")
        if name is None:
            return page(plural, lists.get((plural, ns), []), query)
        raw = single.get((plural, ns, name))
        if raw is None:
            return k8s_status(404, "NotFound", f'{plural} "{name}" not found')
        _, api, kind = RESOURCES[plural]
        return (
            200,
            {"Content-Type": JSON},
            f'{{"kind":"{kind}","apiVersion":"{api}",'.encode() + raw[1:],
        )

    app.counts = counts
    return app


def runbooks_app(plan):
    missing = set(plan["runbooks_missing"])

    def app(method, path, query, headers, body, label):
        slug = path.removeprefix("/runbooks/")
        if path.startswith("/hooks/") and method == "POST":  # Alertmanager webhooks
            return 200, {}, {"status": "received"}
        if path.startswith("/runbooks/") and slug and slug not in missing:
            return (
                200,
                HTML,
                f"<!doctype html><title>{slug}</title><h1>Runbook {slug}</h1><p>Diagnose, mitigate.</p>",
            )
        return 404, HTML, "<h1>404 Not Found</h1>"

    return app


def delay(plan, svc=None):
    return plan["slow_ms" if svc and "slow" in svc["flaws"] else "latency_ms"] / 1000


async def main(kind, out, shard=0):
    plan = json.loads((out / "plan.json").read_text())
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(out / "tls" / "server.pem", out / "tls" / "server.key")
    app = {"services": services_app, "k8s": k8s_app, "runbooks": runbooks_app}[kind](plan)
    http = Http(app, ctx, lambda label: delay(plan, label))
    if kind == "services":
        name = f"services-{shard}"
        ports = {s["name"]: await http.listen(s) for s in plan["services"] if s["shard"] == shard}
    else:
        name, ports = kind, {kind: await http.listen(None)}
    tmp = out / "run" / f".{name}.json"
    tmp.write_text(
        json.dumps(
            {"pid": os.getpid(), "ports": ports, "counts": getattr(http.app, "counts", None)}
        )
    )
    tmp.rename(out / "run" / f"{name}.json")
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    await stop.wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 0))
