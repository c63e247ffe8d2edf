"""The recorded demo cluster: namespace `shop` with good and flawed workloads.

Workload specs follow GoogleCloudPlatform/microservices-demo (frontend, cartservice)
with the status fields a cluster adds. ``python -m readiness.demo._k8s_cluster OUT``
rewrites the recording; ``synthetic_cluster`` makes large clusters for the benchmark.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

from readiness.demo._k8s_api import record

RECORDED_AT = dt.datetime(2026, 11, 20, 10, 0, 0, tzinfo=dt.UTC)
NAMESPACES = ("shop", "kube-system")
RECORDING = Path(__file__).parent / "k8s_demo" / "shop-cluster.json"

Obj = dict[str, Any]


def ts(minutes_ago: float) -> str:
    return (RECORDED_AT - dt.timedelta(minutes=minutes_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _labels(name: str, version: str, recommended: bool = True) -> dict[str, str]:
    labels = {"app": name}
    if recommended:
        labels |= {"app.kubernetes.io/name": name, "app.kubernetes.io/version": version}
    return labels


def _secure() -> Obj:
    return {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "privileged": False,
        "readOnlyRootFilesystem": True,
    }


def _resources(cpu: str = "100m", mem: str = "64Mi") -> Obj:
    return {"requests": {"cpu": cpu, "memory": mem}, "limits": {"cpu": "500m", "memory": "256Mi"}}


def _probe(path: str, port: int = 8080, delay: int = 5) -> Obj:
    return {"httpGet": {"path": path, "port": port}, "initialDelaySeconds": delay}


def _deployment(
    name: str,
    replicas: int,
    pod_spec: Obj,
    labels: dict[str, str],
    status: Obj,
    generation: int = 3,
    kind: str = "Deployment",
) -> Obj:
    meta = {
        "name": name,
        "namespace": "shop",
        "labels": labels,
        "generation": generation,
        "creationTimestamp": ts(60 * 24 * 30),
    }
    spec: Obj = {
        "selector": {"matchLabels": {"app": name}},
        "template": {"metadata": {"labels": labels}, "spec": pod_spec},
    }
    if kind != "DaemonSet":
        spec["replicas"] = replicas
    return {"apiVersion": "apps/v1", "kind": kind, "metadata": meta, "spec": spec, "status": status}


def _rs(name: str, deployment: str, replicas: int, labels: dict[str, str]) -> Obj:
    return {
        "kind": "ReplicaSet",
        "metadata": {
            "name": name,
            "namespace": "shop",
            "labels": labels,
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "kind": "Deployment",
                    "name": deployment,
                    "controller": True,
                    "uid": f"uid-{deployment}",
                }
            ],
        },
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": deployment}},
            "template": {"metadata": {"labels": labels}, "spec": {"containers": []}},
        },
        "status": {"replicas": replicas},
    }


def _pod(
    name: str,
    owner_kind: str,
    owner: str,
    labels: dict[str, str],
    containers: list[Obj],
    phase: str = "Running",
    created_minutes_ago: float = 60 * 24,
) -> Obj:
    return {
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": "shop",
            "labels": labels,
            "creationTimestamp": ts(created_minutes_ago),
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "kind": owner_kind,
                    "name": owner,
                    "controller": True,
                    "uid": f"uid-{owner}",
                }
            ],
        },
        "spec": {"nodeName": "node-a", "containers": [{"name": c["name"]} for c in containers]},
        "status": {"phase": phase, "containerStatuses": containers}
        if phase != "Pending"
        else {
            "phase": "Pending",
            "conditions": [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable"}],
        },
    }


def _running(
    name: str, restarts: int = 0, last_minutes_ago: float | None = None, reason: str = "Error"
) -> Obj:
    status: Obj = {
        "name": name,
        "ready": True,
        "restartCount": restarts,
        "state": {"running": {"startedAt": ts(last_minutes_ago or 60 * 24)}},
    }
    if last_minutes_ago is not None:
        status["lastState"] = {
            "terminated": {"reason": reason, "exitCode": 137, "finishedAt": ts(last_minutes_ago)}
        }
    return status


def _waiting(
    name: str, reason: str, message: str, restarts: int = 0, last_minutes_ago: float | None = None
) -> Obj:
    status: Obj = {
        "name": name,
        "ready": False,
        "restartCount": restarts,
        "state": {"waiting": {"reason": reason, "message": message}},
    }
    if last_minutes_ago is not None:
        status["lastState"] = {
            "terminated": {"reason": "Error", "exitCode": 1, "finishedAt": ts(last_minutes_ago)}
        }
    return status


def _event(
    name: str,
    kind: str,
    obj: str,
    reason: str,
    message: str,
    minutes_ago: float,
    count: int = 1,
    type_: str = "Warning",
) -> Obj:
    return {
        "kind": "Event",
        "metadata": {"name": name, "namespace": "shop", "creationTimestamp": ts(minutes_ago)},
        "involvedObject": {"kind": kind, "name": obj, "namespace": "shop"},
        "reason": reason,
        "message": message,
        "type": type_,
        "count": count,
        "firstTimestamp": ts(minutes_ago + 30),
        "lastTimestamp": ts(minutes_ago),
    }


def _status(replicas: int, ready: int, updated: int | None = None, generation: int = 3) -> Obj:
    return {
        "observedGeneration": generation,
        "replicas": replicas,
        "updatedReplicas": replicas if updated is None else updated,
        "readyReplicas": ready,
        "availableReplicas": ready,
    }


def demo_objects() -> list[Obj]:
    objs: list[Obj] = []
    digest = "sha256:" + "4f" * 32

    # checkout: follows every practice.
    lab = _labels("checkout", "1.4.0")
    objs.append(
        _deployment(
            "checkout",
            3,
            {
                "serviceAccountName": "checkout",
                "automountServiceAccountToken": False,
                "terminationGracePeriodSeconds": 30,
                "securityContext": {"runAsNonRoot": True, "runAsUser": 1000},
                "topologySpreadConstraints": [
                    {
                        "maxSkew": 1,
                        "topologyKey": "kubernetes.io/hostname",
                        "whenUnsatisfiable": "DoNotSchedule",
                        "labelSelector": {"matchLabels": {"app": "checkout"}},
                    }
                ],
                "containers": [
                    {
                        "name": "server",
                        "image": f"ghcr.io/acme/checkout:1.4.0@{digest}",
                        "ports": [{"containerPort": 8080}],
                        "readinessProbe": _probe("/ready"),
                        "livenessProbe": _probe("/healthz"),
                        "resources": _resources(),
                        "securityContext": _secure(),
                        "lifecycle": {"preStop": {"exec": {"command": ["sleep", "5"]}}},
                        "env": [
                            {
                                "name": "DB_PASSWORD",
                                "valueFrom": {
                                    "secretKeyRef": {"name": "checkout-db", "key": "password"}
                                },
                            },
                            {"name": "PORT", "value": "8080"},
                        ],
                    }
                ],
            },
            lab,
            _status(3, 3),
        )
    )
    objs.append(_rs("checkout-7d9f8c6b5", "checkout", 3, lab))
    for i in range(3):
        objs.append(
            _pod(
                f"checkout-7d9f8c6b5-{i}x{i}q",
                "ReplicaSet",
                "checkout-7d9f8c6b5",
                lab,
                [_running("server")],
            )
        )
    objs.append(
        {
            "kind": "Service",
            "metadata": {"name": "checkout", "namespace": "shop", "labels": lab},
            "spec": {
                "type": "ClusterIP",
                "selector": {"app": "checkout"},
                "ports": [{"name": "http", "port": 80, "targetPort": 8080}],
            },
        }
    )
    objs.append(
        {
            "kind": "ServiceMonitor",
            "metadata": {"name": "checkout", "namespace": "shop"},
            "spec": {
                "selector": {"matchLabels": {"app.kubernetes.io/name": "checkout"}},
                "endpoints": [{"port": "http", "interval": "30s"}],
            },
        }
    )
    objs.append(
        {
            "kind": "PrometheusRule",
            "metadata": {"name": "checkout-alerts", "namespace": "shop"},
            "spec": {
                "groups": [
                    {
                        "name": "checkout",
                        "rules": [
                            {
                                "alert": "CheckoutDown",
                                "expr": 'up{job="checkout"} == 0',
                                "for": "5m",
                            }
                        ],
                    }
                ]
            },
        }
    )
    objs.append(
        {
            "kind": "PodDisruptionBudget",
            "metadata": {"name": "checkout", "namespace": "shop"},
            "spec": {"maxUnavailable": 1, "selector": {"matchLabels": {"app": "checkout"}}},
            "status": {
                "disruptionsAllowed": 1,
                "currentHealthy": 3,
                "desiredHealthy": 2,
                "expectedPods": 3,
            },
        }
    )
    objs.append(
        {
            "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": "checkout", "namespace": "shop"},
            "spec": {
                "scaleTargetRef": {
                    "apiVersion": "apps/v1",
                    "kind": "Deployment",
                    "name": "checkout",
                },
                "minReplicas": 3,
                "maxReplicas": 10,
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
        }
    )
    objs.append(
        {
            "kind": "NetworkPolicy",
            "metadata": {"name": "checkout-ingress", "namespace": "shop"},
            "spec": {
                "podSelector": {"matchLabels": {"app": "checkout"}},
                "policyTypes": ["Ingress"],
                "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "frontend"}}}]}],
            },
        }
    )
    objs.append(
        {
            "kind": "ServiceAccount",
            "metadata": {"name": "checkout", "namespace": "shop"},
            "automountServiceAccountToken": False,
        }
    )

    # frontend (microservices-demo): the new version crash-loops mid-rollout.
    lab = {"app": "frontend"}
    fe_spec = {
        "serviceAccountName": "frontend",
        "securityContext": {
            "fsGroup": 1000,
            "runAsGroup": 1000,
            "runAsNonRoot": True,
            "runAsUser": 1000,
        },
        "containers": [
            {
                "name": "server",
                "image": "ghcr.io/acme/frontend:2.1.0",
                "ports": [{"containerPort": 8080}],
                "readinessProbe": _probe("/_healthz", delay=10),
                "livenessProbe": _probe("/_healthz", delay=10),
                "resources": {
                    "requests": {"cpu": "100m", "memory": "64Mi"},
                    "limits": {"cpu": "200m", "memory": "128Mi"},
                },
                "securityContext": _secure(),
                "env": [
                    {"name": "PORT", "value": "8080"},
                    {"name": "CART_SERVICE_ADDR", "value": "cart:7070"},
                ],
            }
        ],
    }
    objs.append(
        _deployment(
            "frontend",
            2,
            fe_spec,
            lab,
            _status(3, 2, updated=1, generation=7) | {"availableReplicas": 1, "readyReplicas": 1},
            generation=7,
        )
    )
    objs.append(_rs("frontend-5c6d7f8b9", "frontend", 1, lab))
    objs.append(_rs("frontend-6b8c9d7f4", "frontend", 1, lab))
    objs.append(
        _pod(
            "frontend-6b8c9d7f4-k2m4p",
            "ReplicaSet",
            "frontend-6b8c9d7f4",
            lab,
            [_running("server")],
        )
    )
    objs.append(
        _pod(
            "frontend-5c6d7f8b9-t7w9z",
            "ReplicaSet",
            "frontend-5c6d7f8b9",
            lab,
            [
                _waiting(
                    "server",
                    "CrashLoopBackOff",
                    "back-off 5m0s restarting failed container=server",
                    restarts=9,
                    last_minutes_ago=4,
                )
            ],
            created_minutes_ago=50,
        )
    )
    objs.append(
        _event(
            "frontend-5c6d7f8b9-t7w9z.backoff",
            "Pod",
            "frontend-5c6d7f8b9-t7w9z",
            "BackOff",
            "Back-off restarting failed container server in pod frontend-5c6d7f8b9-t7w9z",
            2,
            count=41,
        )
    )
    objs.append(
        _event(
            "frontend.rollout",
            "Deployment",
            "frontend",
            "ProgressDeadlineExceeded",
            'ReplicaSet "frontend-5c6d7f8b9" has timed out progressing.',
            8,
        )
    )
    for svc, typ in (("frontend", "ClusterIP"), ("frontend-external", "LoadBalancer")):
        objs.append(
            {
                "kind": "Service",
                "metadata": {"name": svc, "namespace": "shop", "labels": lab},
                "spec": {
                    "type": typ,
                    "selector": lab,
                    "ports": [{"name": "http", "port": 80, "targetPort": 8080}],
                },
            }
        )
    objs.append({"kind": "ServiceAccount", "metadata": {"name": "frontend", "namespace": "shop"}})
    objs.append(
        {
            "kind": "Ingress",
            "metadata": {
                "name": "web",
                "namespace": "shop",
                "annotations": {
                    "kubectl.kubernetes.io/last-applied-configuration": json.dumps(
                        {
                            "apiVersion": "networking.k8s.io/v1beta1",
                            "kind": "Ingress",
                            "metadata": {"name": "web", "namespace": "shop"},
                            "spec": {"backend": {"serviceName": "frontend", "servicePort": 80}},
                        }
                    )
                },
            },
            "spec": {"defaultBackend": {"service": {"name": "frontend", "port": {"number": 80}}}},
        }
    )

    # cart (microservices-demo cartservice): one replica, untagged image, literal password.
    lab = {"app": "cart"}
    objs.append(
        _deployment(
            "cart",
            1,
            {
                "serviceAccountName": "cart",
                "terminationGracePeriodSeconds": 5,
                "securityContext": {"fsGroup": 1000, "runAsNonRoot": True, "runAsUser": 1000},
                "containers": [
                    {
                        "name": "server",
                        "image": "cartservice",
                        "ports": [{"containerPort": 7070}],
                        "readinessProbe": {"grpc": {"port": 7070}, "initialDelaySeconds": 15},
                        "livenessProbe": {
                            "grpc": {"port": 7070},
                            "initialDelaySeconds": 15,
                            "periodSeconds": 10,
                        },
                        "resources": {
                            "requests": {"cpu": "200m", "memory": "64Mi"},
                            "limits": {"cpu": "300m", "memory": "128Mi"},
                        },
                        "securityContext": _secure(),
                        "env": [
                            {"name": "REDIS_ADDR", "value": "redis-cart:6379"},
                            {"name": "REDIS_PASSWORD", "value": "hunter2-redis-cart"},
                        ],
                    }
                ],
            },
            lab,
            _status(1, 0),
        )
    )
    objs.append(_rs("cart-84d9c7b6f5", "cart", 1, lab))
    objs.append(
        _pod(
            "cart-84d9c7b6f5-9vq2s",
            "ReplicaSet",
            "cart-84d9c7b6f5",
            lab,
            [_waiting("server", "ImagePullBackOff", 'Back-off pulling image "cartservice"')],
            created_minutes_ago=30,
        )
    )
    objs.append(
        _event(
            "cart.pull",
            "Pod",
            "cart-84d9c7b6f5-9vq2s",
            "Failed",
            'Failed to pull image "cartservice": not found',
            3,
            count=12,
        )
    )
    objs.append(
        {
            "kind": "Service",
            "metadata": {"name": "cart", "namespace": "shop", "labels": lab},
            "spec": {"selector": lab, "ports": [{"port": 7070}]},
        }
    )

    # payments: no probes, no securityContext; one replica cannot be scheduled.
    lab = _labels("payments", "0.9.2")
    objs.append(
        _deployment(
            "payments",
            2,
            {
                "automountServiceAccountToken": False,
                "affinity": {
                    "podAntiAffinity": {
                        "preferredDuringSchedulingIgnoredDuringExecution": [
                            {
                                "weight": 100,
                                "podAffinityTerm": {
                                    "topologyKey": "kubernetes.io/hostname",
                                    "labelSelector": {"matchLabels": {"app": "payments"}},
                                },
                            }
                        ]
                    }
                },
                "containers": [
                    {
                        "name": "api",
                        "image": "ghcr.io/acme/payments:0.9.2",
                        "ports": [{"containerPort": 9000}],
                        "resources": {
                            "requests": {"cpu": "4", "memory": "8Gi"},
                            "limits": {"cpu": "4", "memory": "8Gi"},
                        },
                    }
                ],
            },
            lab,
            _status(2, 1),
        )
    )
    objs.append(_rs("payments-6f7d8c9b4", "payments", 2, lab))
    objs.append(
        _pod("payments-6f7d8c9b4-a1b2c", "ReplicaSet", "payments-6f7d8c9b4", lab, [_running("api")])
    )
    objs.append(
        _pod(
            "payments-6f7d8c9b4-d3e4f",
            "ReplicaSet",
            "payments-6f7d8c9b4",
            lab,
            [],
            phase="Pending",
            created_minutes_ago=25,
        )
    )
    objs.append(
        _event(
            "payments.sched",
            "Pod",
            "payments-6f7d8c9b4-d3e4f",
            "FailedScheduling",
            "0/3 nodes are available: 2 Insufficient cpu, 1 node(s) had untolerated "
            "taint {node.kubernetes.io/not-ready: }.",
            1,
            count=19,
        )
    )
    objs.append(
        {
            "kind": "Service",
            "metadata": {
                "name": "payments",
                "namespace": "shop",
                "labels": lab,
                "annotations": {"prometheus.io/scrape": "true"},
            },
            "spec": {"selector": {"app": "payments"}, "ports": [{"port": 9000}]},
        }
    )
    objs.append(
        {
            "kind": "PodDisruptionBudget",
            "metadata": {"name": "payments", "namespace": "shop"},
            "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "payments"}}},
            "status": {
                "disruptionsAllowed": 0,
                "currentHealthy": 1,
                "desiredHealthy": 1,
                "expectedPods": 2,
            },
        }
    )

    # db: StatefulSet restarting (OOMKilled); its budget allows no disruption.
    lab = _labels("db", "15.4")
    db = _deployment(
        "db",
        3,
        {
            "automountServiceAccountToken": False,
            "terminationGracePeriodSeconds": 60,
            "securityContext": {"runAsNonRoot": True, "runAsUser": 999},
            "affinity": {
                "podAntiAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": [
                        {
                            "topologyKey": "kubernetes.io/hostname",
                            "labelSelector": {"matchLabels": {"app": "db"}},
                        }
                    ]
                }
            },
            "containers": [
                {
                    "name": "postgres",
                    "image": f"docker.io/library/postgres:15.4@{digest}",
                    "ports": [{"containerPort": 5432}],
                    "readinessProbe": {"exec": {"command": ["pg_isready"]}, "periodSeconds": 5},
                    "livenessProbe": {
                        "exec": {"command": ["pg_isready"]},
                        "initialDelaySeconds": 60,
                    },
                    "resources": _resources("250m", "512Mi"),
                    "securityContext": _secure(),
                    "env": [
                        {
                            "name": "POSTGRES_PASSWORD",
                            "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}},
                        }
                    ],
                }
            ],
        },
        lab,
        _status(3, 3) | {"currentRevision": "db-5d4c", "updateRevision": "db-5d4c"},
        kind="StatefulSet",
    )
    objs.append(db)
    for i in range(3):
        restarts = [
            _running("postgres", 6, 20, "OOMKilled"),
            _running("postgres"),
            _running("postgres", 2, 60 * 30),
        ][i]
        objs.append(_pod(f"db-{i}", "StatefulSet", "db", lab, [restarts]))
    objs.append(
        {
            "kind": "PodDisruptionBudget",
            "metadata": {"name": "db", "namespace": "shop"},
            "spec": {"minAvailable": 3, "selector": {"matchLabels": {"app": "db"}}},
            "status": {"disruptionsAllowed": 0},
        }
    )
    objs.append(
        {
            "kind": "NetworkPolicy",
            "metadata": {"name": "db", "namespace": "shop"},
            "spec": {
                "podSelector": {"matchLabels": {"app": "db"}},
                "policyTypes": ["Ingress"],
                "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "checkout"}}}]}],
            },
        }
    )

    # log-agent: a DaemonSet with host access and a floating tag.
    lab = _labels("log-agent", "3.1")
    objs.append(
        _deployment(
            "log-agent",
            0,
            {
                "hostNetwork": True,
                "containers": [
                    {
                        "name": "fluent-bit",
                        "image": "fluent/fluent-bit:latest",
                        "securityContext": {"privileged": True},
                        "resources": {
                            "requests": {"cpu": "50m", "memory": "32Mi"},
                            "limits": {"memory": "64Mi"},
                        },
                        "readinessProbe": _probe("/api/v1/health", 2020),
                        "livenessProbe": _probe("/api/v1/health", 2020),
                        "volumeMounts": [{"name": "varlog", "mountPath": "/var/log"}],
                    }
                ],
                "volumes": [{"name": "varlog", "hostPath": {"path": "/var/log"}}],
            },
            lab,
            {
                "observedGeneration": 3,
                "desiredNumberScheduled": 3,
                "currentNumberScheduled": 3,
                "updatedNumberScheduled": 3,
                "numberReady": 3,
                "numberAvailable": 3,
            },
            kind="DaemonSet",
        )
    )

    # namespace-wide policy, RBAC, nodes, a system workload that is ignored.
    objs.append(
        {
            "kind": "NetworkPolicy",
            "metadata": {"name": "default-deny", "namespace": "shop"},
            "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
        }
    )
    objs.append({"kind": "ServiceAccount", "metadata": {"name": "deployer", "namespace": "shop"}})
    objs.append(
        {
            "kind": "ClusterRoleBinding",
            "metadata": {"name": "deployer-admin"},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": "cluster-admin",
            },
            "subjects": [{"kind": "ServiceAccount", "name": "deployer", "namespace": "shop"}],
        }
    )
    objs.append(
        {
            "kind": "ClusterRole",
            "metadata": {"name": "cluster-admin"},
            "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}],
        }
    )
    objs.append(
        {
            "kind": "Role",
            "metadata": {"name": "config-reader", "namespace": "shop"},
            "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["*"]}],
        }
    )
    objs.append(
        {
            "kind": "RoleBinding",
            "metadata": {"name": "config-reader", "namespace": "shop"},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "Role",
                "name": "config-reader",
            },
            "subjects": [{"kind": "ServiceAccount", "name": "frontend", "namespace": "shop"}],
        }
    )
    for node, ready in (("node-a", True), ("node-b", True), ("node-c", False)):
        objs.append(
            {
                "kind": "Node",
                "metadata": {"name": node},
                "spec": {"unschedulable": not ready} if not ready else {},
                "status": {
                    "conditions": [
                        {
                            "type": "MemoryPressure",
                            "status": "False",
                            "reason": "KubeletHasSufficientMemory",
                        },
                        {
                            "type": "DiskPressure",
                            "status": "False",
                            "reason": "KubeletHasNoDiskPressure",
                        },
                        {
                            "type": "Ready",
                            "status": "True" if ready else "Unknown",
                            "reason": "KubeletReady" if ready else "NodeStatusUnknown",
                            "message": "kubelet is posting ready status"
                            if ready
                            else "Kubelet stopped posting node status.",
                            "lastTransitionTime": ts(5 if not ready else 60 * 24 * 7),
                        },
                    ]
                },
            }
        )
    # report: a nightly CronJob running as root, writable, allowed to escalate, that lets
    # runs overlap; its last Job and pod as the cluster keeps them.
    report_labels = _labels("report", "2.0.1")
    objs.append(
        {
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "metadata": {"name": "report", "namespace": "shop", "labels": report_labels},
            "spec": {
                "schedule": "30 2 * * *",
                "jobTemplate": {
                    "spec": {
                        "template": {
                            "metadata": {"labels": report_labels},
                            "spec": {
                                "restartPolicy": "OnFailure",
                                "securityContext": {"runAsUser": 0},
                                "containers": [
                                    {
                                        "name": "report",
                                        "image": "ghcr.io/acme/report:2.0.1",
                                        "resources": _resources(),
                                        "securityContext": {
                                            "allowPrivilegeEscalation": True,
                                            "readOnlyRootFilesystem": False,
                                        },
                                    }
                                ],
                            },
                        }
                    }
                },
            },
            "status": {"lastScheduleTime": ts(60 * 7.5)},
        }
    )
    run = "report-29384430"
    objs.append(
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {
                "name": run,
                "namespace": "shop",
                "labels": report_labels,
                "ownerReferences": [
                    {
                        "apiVersion": "batch/v1",
                        "kind": "CronJob",
                        "name": "report",
                        "controller": True,
                    }
                ],
            },
            "spec": {
                "backoffLimit": 6,
                "template": {
                    "metadata": {"labels": report_labels},
                    "spec": {
                        "containers": [{"name": "report", "image": "ghcr.io/acme/report:2.0.1"}]
                    },
                },
            },
            "status": {"succeeded": 1, "completionTime": ts(60 * 7.4)},
        }
    )
    done = _pod(f"{run}-7xq2p", "Job", run, report_labels, [])
    done["metadata"]["ownerReferences"][0]["apiVersion"] = "batch/v1"
    done["status"] = {"phase": "Succeeded"}
    objs.append(done)
    # db-migrate: a one-off Job that follows every practice.
    migrate_labels = _labels("db-migrate", "1.4.0")
    objs.append(
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {"name": "db-migrate", "namespace": "shop", "labels": migrate_labels},
            "spec": {
                "backoffLimit": 2,
                "activeDeadlineSeconds": 600,
                "ttlSecondsAfterFinished": 86400,
                "template": {
                    "metadata": {"labels": migrate_labels},
                    "spec": {
                        "restartPolicy": "Never",
                        "automountServiceAccountToken": False,
                        "securityContext": {"runAsNonRoot": True, "runAsUser": 1000},
                        "containers": [
                            {
                                "name": "migrate",
                                "image": f"ghcr.io/acme/checkout-migrate:1.4.0@{digest}",
                                "resources": _resources(),
                                "securityContext": _secure(),
                            }
                        ],
                    },
                },
            },
            "status": {"active": 1, "startTime": ts(3)},
        }
    )
    coredns = _deployment(
        "coredns",
        1,
        {"containers": [{"name": "coredns", "image": "coredns/coredns:1.11.1"}]},
        {"k8s-app": "kube-dns"},
        _status(1, 1),
    )
    coredns["metadata"]["namespace"] = "kube-system"
    objs.append(coredns)
    return objs + _delivery_objects()


def _delivery_objects() -> list[Obj]:
    """checkout is released by an Argo Rollout (workloadRef, as in argo-rollouts'
    examples/workload-ref) with a Prometheus analysis step; frontend has no strategy."""
    success_rate = (
        'sum(rate(http_requests_total{service="checkout",code!~"5.."}[2m])) / '
        'sum(rate(http_requests_total{service="checkout"}[2m]))'
    )
    template = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AnalysisTemplate",
        "metadata": {"name": "success-rate", "namespace": "shop", "generation": 1},
        "spec": {
            "metrics": [
                {
                    "name": "success-rate",
                    "interval": "1m",
                    "count": 5,
                    "successCondition": "result[0] >= 0.99",
                    "failureLimit": 1,
                    "provider": {
                        "prometheus": {
                            "address": "http://prometheus.monitoring:9090",
                            "query": success_rate,
                        }
                    },
                }
            ]
        },
    }
    rollout = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "metadata": {
            "name": "checkout",
            "namespace": "shop",
            "labels": _labels("checkout", "1.4.0"),
            "generation": 4,
            "creationTimestamp": ts(60 * 24 * 30),
        },
        "spec": {
            "replicas": 3,
            "workloadRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "checkout"},
            "strategy": {
                "canary": {
                    "abortScaleDownDelaySeconds": 30,
                    "steps": [
                        {"setWeight": 20},
                        {"pause": {"duration": "2m"}},
                        {"analysis": {"templates": [{"templateName": "success-rate"}]}},
                        {"setWeight": 50},
                        {"pause": {"duration": "5m"}},
                    ],
                }
            },
        },
        "status": {
            "phase": "Healthy",
            "observedGeneration": "4",
            "replicas": 3,
            "updatedReplicas": 3,
            "readyReplicas": 3,
            "availableReplicas": 3,
            "currentStepIndex": 5,
            "stableRS": "7c9d8b6f5d",
        },
    }
    return [template, rollout]


def demo_recording() -> dict[str, Any]:
    return {
        "recorded_at": RECORDED_AT.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "lists": record(demo_objects(), NAMESPACES),
    }


def synthetic_cluster(namespaces: int, per_namespace: int) -> dict[str, dict[str, Any]]:
    """A large recorded cluster: ``namespaces`` x ``per_namespace`` Deployments, each with
    a Service, a PodDisruptionBudget and two pods; a default-deny policy per namespace."""
    objs: list[Obj] = []
    names = [f"team-{i:02d}" for i in range(namespaces)]
    for ns in names:
        for j in range(per_namespace):
            name = f"svc-{j:03d}"
            lab = _labels(name, "1.0.0")
            dep = _deployment(
                name,
                2,
                {
                    "containers": [
                        {
                            "name": "app",
                            "image": f"ghcr.io/acme/{name}:1.0.0",
                            "readinessProbe": _probe("/ready"),
                            "livenessProbe": _probe("/healthz"),
                            "resources": _resources(),
                            "securityContext": _secure(),
                        }
                    ]
                },
                lab,
                _status(2, 2),
            )
            dep["metadata"]["namespace"] = ns
            objs.append(dep)
            svc = {
                "kind": "Service",
                "metadata": {"name": name, "namespace": ns, "labels": lab},
                "spec": {"selector": {"app": name}, "ports": [{"port": 80}]},
            }
            objs.append(svc)
            objs.append(
                {
                    "kind": "PodDisruptionBudget",
                    "metadata": {"name": name, "namespace": ns},
                    "spec": {"maxUnavailable": 1, "selector": {"matchLabels": {"app": name}}},
                }
            )
            for k in range(2):
                pod = _pod(f"{name}-{k}", "ReplicaSet", f"{name}-rs", lab, [_running("app")])
                pod["metadata"]["namespace"] = ns
                objs.append(pod)
        objs.append(
            {
                "kind": "NetworkPolicy",
                "metadata": {"name": "default-deny", "namespace": ns},
                "spec": {"podSelector": {}, "policyTypes": ["Ingress"]},
            }
        )
    return record(objs, names)


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else RECORDING
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(demo_recording(), indent=1, sort_keys=True) + "\n")
    print(f"wrote {out}")
