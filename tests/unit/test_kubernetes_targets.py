"""Check targets from sources: readable unique ids, failed sources as error targets."""

from __future__ import annotations

import datetime as dt

import pytest

from readiness.errors import SourceError
from readiness.rules.kubernetes_model import RawObject, build_inventory
from readiness.sources.kubernetes_targets import (
    KubeSource,
    namespace_cases,
    service_cases,
    unique_ids,
    workload_cases,
)

NOW = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)


def source(name: str, *names: str, ns: str = "shop", live: bool = False) -> KubeSource:
    objs = [
        RawObject(
            {
                "kind": "Deployment",
                "metadata": {"name": n, "namespace": ns},
                "spec": {"template": {"spec": {"containers": []}}},
            }
        )
        for n in names
    ]
    objs.append(
        RawObject(
            {
                "kind": "Service",
                "metadata": {"name": "web", "namespace": ns},
                "spec": {"selector": {"app": "web"}},
            }
        )
    )
    return KubeSource(name, live, NOW, build_inventory(name, live, objs))


def test_ids_read_ns_kind_name_and_stay_unique() -> None:
    srcs = [
        source("repo", "web", "api"),
        source("prod", "web", live=True),
        source("sys", "dns", ns="kube-system"),
    ]
    ids = [i for i, _ in unique_ids(list(workload_cases(srcs, ["kube-system"])))]
    assert ids == ["shop/Deployment/web", "shop/Deployment/api", "shop/Deployment/web@prod"]
    assert [i for i, _ in unique_ids(list(service_cases(srcs, ["kube-system"])))] == [
        "shop/Service/web",
        "shop/Service/web@prod",
    ]
    assert [i for i, _ in namespace_cases(srcs, ["kube-system"])] == ["shop", "shop"]


def test_failed_source_and_failed_kind_become_error_targets() -> None:
    down = KubeSource("down", True, NOW, error=SourceError("down", "cannot reach"))
    partial = build_inventory(
        "part", True, [], missing={"StatefulSet": SourceError("part", "forbidden: ...")}
    )
    srcs = [down, KubeSource("part", True, NOW, partial)]
    cases = list(workload_cases(srcs, []))
    assert [i for i, _ in cases] == ["down", "part/StatefulSet"]
    for _, case in cases:
        with pytest.raises(SourceError):
            _ = case.wl
    all_down = build_inventory(
        "gone",
        True,
        [],
        missing={
            k: SourceError("gone", "cannot reach")
            for k in (
                "Deployment",
                "StatefulSet",
                "DaemonSet",
                "ReplicaSet",
                "Job",
                "CronJob",
                "Pod",
                "Service",
                "NetworkPolicy",
            )
        },
    )
    gone = [KubeSource("gone", True, NOW, all_down)]
    assert [i for i, _ in workload_cases(gone, [])] == ["gone"]
    assert [i for i, _ in service_cases(gone, [])] == ["gone"]
    assert [i for i, _ in namespace_cases(gone, [])] == ["gone"]
