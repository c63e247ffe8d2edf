"""At cluster size: an errored check costs no more than a passing one, and no check
argument spells out the cluster's inventory."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

import pytest
from _pytest._code import ExceptionInfo

from readiness.demo._k8s_api import list_path
from readiness.demo._k8s_cluster import synthetic_cluster
from readiness.errors import SourceError
from readiness.rules.kubernetes_model import RawObject, Workload, build_inventory
from readiness.sources.kubernetes_targets import Case, KubeSource, workload_cases
from tests.fixtures.kubernetes import ServerFactory, run_gate

pytestmark = pytest.mark.integration

NAMESPACES, PER_NAMESPACE = 20, 100  # 2,000 Deployments, 4,000 pods


def large_source(missing: bool) -> KubeSource:
    lists = synthetic_cluster(NAMESPACES, PER_NAMESPACE)
    objects = [
        RawObject({"kind": str(listing["kind"]).removesuffix("List"), **item})
        for listing in lists.values()
        for item in listing["items"]
    ]
    lost = {"PodDisruptionBudget": SourceError("big", "forbidden: list poddisruptionbudgets")}
    inv = build_inventory("big", True, objects, missing=lost if missing else None)
    return KubeSource("big", True, dt.datetime.now(dt.UTC), inv)


def test_an_errored_check_does_not_repr_the_inventory(monkeypatch: pytest.MonkeyPatch) -> None:
    """pytest's long traceback shows every frame's arguments and locals: a case over 2,000
    workloads must render as one line, and no workload may be spelled out."""
    source = large_source(missing=True)
    _, case = next(workload_cases([source], []))
    assert len(source.inventory.workloads) == NAMESPACES * PER_NAMESPACE
    reprs = 0
    original = Workload.__repr__

    def counted(self: Workload) -> str:
        nonlocal reprs
        reprs += 1
        return original(self)

    monkeypatch.setattr(Workload, "__repr__", counted)

    def check(workload: Case) -> None:  # what a check does with its parameter
        inv = workload.inventory
        inv.require("PodDisruptionBudget")

    try:
        check(case)
    except SourceError:
        info = ExceptionInfo.from_current()
    text = str(info.getrepr(style="long", funcargs=True, showlocals=True))
    assert "forbidden: list poddisruptionbudgets" in text
    assert reprs <= 2  # the case's own workload at most, never the inventory's 2,000
    assert len(text) < 10_000, len(text)  # the default dataclass repr: megabytes
    assert repr(case) == "Case(team-00/Deployment/svc-000 in 'big')"
    assert (
        repr(source)
        == "KubeSource('big', Inventory(cluster 'big': 2000 workloads, 4000 pods, 2000 services))"
    )


def gate_run(work: Path, api_url: str, token: str, ca: str) -> tuple[float, dict[str, Any]]:
    """One gate run of the K8S-PDB check over the whole cluster; wall time and report."""
    profile = {
        "environment": "production",
        "targets": {
            "kubernetes": [
                {"name": "big", "api_url": api_url, "token": "${SCALE_K8S_TOKEN}", "ca_file": ca}
            ]
        },
    }
    work.mkdir()
    started = time.perf_counter()
    _, report = run_gate(
        work, profile, {"SCALE_K8S_TOKEN": token}, "-k", "test_pdb and not selector", timeout=600
    )
    return time.perf_counter() - started, report


def test_errored_checks_cost_no_more_than_passing_ones(
    k8s_server_factory: ServerFactory, tmp_path: Path
) -> None:
    """2,000 workloads: the same run with every K8S-PDB check passing, then erroring
    (the PodDisruptionBudget LIST forbidden). Relative timing, generous bound."""
    lists = synthetic_cluster(NAMESPACES, PER_NAMESPACE)
    good = k8s_server_factory(lists=lists)
    bad = k8s_server_factory(lists=lists, forbidden={list_path("PodDisruptionBudget", None)})
    ca = str(good.ca.cert_file)
    passing, ok_report = gate_run(tmp_path / "ok", good.url, good.token, ca)
    erroring, bad_report = gate_run(tmp_path / "bad", bad.url, bad.token, ca)
    assert ok_report["summary"]["passed"] == NAMESPACES * PER_NAMESPACE
    assert bad_report["summary"]["error"] == NAMESPACES * PER_NAMESPACE
    message = bad_report["checks"][0]["message"]
    assert "missing permission verb=list resource=poddisruptionbudgets" in message
    assert len(message) < 1000 and "Traceback" not in message
    # Before the short reprs an errored check cost ~0.2 s here (7 minutes for 2,000).
    assert erroring <= 1.5 * passing + 10, (erroring, passing)
