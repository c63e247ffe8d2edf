"""Pure parts of the live source and the replay server: LIST planning and pagination."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest

from readiness.demo._k8s_api import Recording, paginate, record, shift_timestamps
from readiness.profile.kubernetes import KubeCluster
from readiness.sources.kubernetes import KINDS, cluster_wide, list_jobs

NAMESPACED = sum(k.namespaced for k in KINDS)
CLUSTER_SCOPED = 4  # Node, ClusterRole, ClusterRoleBinding, ClusterAnalysisTemplate


@pytest.mark.parametrize(
    ("namespaces", "scope", "wide", "jobs"),
    [
        ([], "auto", True, len(KINDS)),
        (["a"], "auto", False, NAMESPACED + CLUSTER_SCOPED),
        (["a", "b", "c"], "auto", False, 3 * NAMESPACED + CLUSTER_SCOPED),
        (["a", "b", "c", "d"], "auto", True, len(KINDS)),
        (["a", "b", "c", "d"], "namespace", False, 4 * NAMESPACED + CLUSTER_SCOPED),
        (["a"], "cluster", True, len(KINDS)),
    ],
)
def test_list_plan(namespaces: list[str], scope: str, wide: bool, jobs: int) -> None:
    cluster = KubeCluster(name="c", api_url="https://x", namespaces=namespaces, list_scope=scope)
    assert cluster_wide(cluster) is wide
    planned = list_jobs(cluster)
    assert len(planned) == jobs
    assert len({(j.spec.kind, j.namespace) for j in planned}) == jobs  # each LIST once
    assert {j.spec.kind for j in planned} == {k.kind for k in KINDS}


def test_paginate_like_the_api_server() -> None:
    listing = {
        "kind": "PodList",
        "apiVersion": "v1",
        "metadata": {"resourceVersion": "42"},
        "items": [{"metadata": {"name": f"p{i}"}} for i in range(5)],
    }
    names, token, pages = [], None, 0
    while True:
        page = paginate(
            "/api/v1/pods", listing, {"limit": "2", **({"continue": token} if token else {})}
        )
        pages += 1
        names += [i["metadata"]["name"] for i in page["items"]]
        token = page["metadata"].get("continue")
        if not token:
            assert "remainingItemCount" not in page["metadata"]
            break
        state = json.loads(base64.urlsafe_b64decode(token))
        assert state["rv"] == "42"
        assert page["metadata"]["remainingItemCount"] == 5 - len(names)
    assert names == [f"p{i}" for i in range(5)] and pages == 3
    whole = paginate("/api/v1/pods", listing, {})
    assert len(whole["items"]) == 5 and "continue" not in whole["metadata"]


def test_record_strips_kind_and_merges_cluster_wide() -> None:
    objs = [
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d", "namespace": ns}}
        for ns in ("a", "b")
    ]
    lists = record(objs, ["a", "b"])
    item = lists["/apis/apps/v1/namespaces/a/deployments"]["items"][0]
    assert "kind" not in item and item["metadata"]["uid"]
    assert lists["/api/v1/nodes"]["items"] == []
    merged = Recording(lists).lookup("/apis/apps/v1/deployments")
    assert merged is not None and len(merged["items"]) == 2
    assert Recording(lists).lookup("/apis/apps/v1/namespaces/zz/deployments") == {
        **lists["/apis/apps/v1/namespaces/a/deployments"],
        "items": [],
    }
    assert Recording(lists).lookup("/apis/example.com/v1/widgets") is None


def test_shift_timestamps() -> None:
    data = {"a": ["2026-11-20T10:00:00Z", {"b": "2026-11-20T09:59:00Z"}], "c": "not a time"}
    moved = shift_timestamps(data, dt.timedelta(hours=1))
    assert moved == {
        "a": ["2026-11-20T11:00:00Z", {"b": "2026-11-20T10:59:00Z"}],
        "c": "not a time",
    }
