"""``granularity: group``: one item per (control, namespace), the same per-target report rows."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

CHECKS = """
from readiness import Finding, SourceError, assert_no_findings, control, parametrize
from readiness.checking import profile_of

WORKLOADS = [f"{ns}/Deployment/app-{i}" for ns in ("shop", "pay", "ops") for i in range(8)]

def pytest_generate_tests(metafunc):
    profile_of(metafunc.config)
    parametrize(metafunc, "workload", [(w, w) for w in WORKLOADS])

@control("K8S-PROBES")
def test_probes(workload, evidence):
    evidence.add(workload=workload)
    if workload.endswith("app-3"):
        assert_no_findings([Finding(f"{workload}: no readinessProbe", expected="a probe",
                                    found="none", fix="add one")])

@control("K8S-PDB")
def test_pdb(workload, evidence):
    if workload.startswith("ops/"):
        raise SourceError("cluster", "cannot list poddisruptionbudgets")
    if workload.endswith("app-5"):
        import pytest
        pytest.skip("runs one replica")
"""


def profile(granularity: str, waiver: str = "") -> str:
    expires = (dt.date.today() + dt.timedelta(days=5)).isoformat()
    text = (
        "extends: none\nenvironment: test\ngate: {fail_on: high}\n"
        "families: {kubernetes: {enabled: true}}\n"
        f"granularity: {{kubernetes: {granularity}}}\n"
    )
    if waiver:
        text += (
            f"waivers:\n  - {{control: K8S-PROBES, target: '{waiver}', reason: known, "
            f"approver: lead, expires: {expires}}}\n"
        )
    return text


def run(
    pytester: pytest.Pytester, text: str, *args: str
) -> tuple[pytest.RunResult, dict[str, Any]]:
    pytester.makefile(".yaml", prof=text)
    pytester.makepyfile(test_checks=CHECKS)
    result = pytester.runpytest_subprocess(
        "--profile=prof.yaml", "-p", "no:cacheprovider", *args, "test_checks.py"
    )
    data: dict[str, Any] = json.loads(
        (pytester.path / "reports" / "readiness-report.json").read_text()
    )
    return result, data


def rows(report: dict[str, Any]) -> dict[str, tuple[str, bool, str, Any]]:
    return {
        c["nodeid"]: (c["outcome"], c["blocking"], c["message"], c["evidence"])
        for c in report["checks"]
    }


def test_grouped_items_keep_every_targets_row(pytester: pytest.Pytester) -> None:
    per_target, by_target = run(pytester, profile("target"))
    grouped, by_group = run(pytester, profile("group"))
    per_target.assert_outcomes(passed=35, failed=3, skipped=2, errors=8)
    # 2 controls x 3 namespaces: six items, the same 48 rows
    assert sum(grouped.parseoutcomes().get(k, 0) for k in ("passed", "failed", "errors")) == 6
    assert rows(by_group) == rows(by_target) and len(rows(by_group)) == 48
    assert by_group["summary"] == by_target["summary"]
    # counts are targets judged, as in a per-target run
    assert by_group["selection"]["selected"] == by_target["selection"]["selected"] == 48
    assert by_group["selection"]["total"] == 48
    assert by_group["gate"]["state"] == by_target["gate"]["state"] == "failed"
    junit = (pytester.path / "reports" / "junit.xml").read_text()
    assert junit.count("<testcase") == 48
    assert "K8S-PDB[ops/Deployment/app-0]" in junit
    # a failing target is named in the group's terminal output
    assert "[shop/Deployment/app-3]" in grouped.stdout.str()


def test_waivers_judge_each_target_of_a_group(pytester: pytest.Pytester) -> None:
    _, report = run(pytester, profile("group", waiver="shop/*"))
    outcomes = {c["target"]: c["outcome"] for c in report["checks"] if c["control"] == "K8S-PROBES"}
    assert outcomes["shop/Deployment/app-3"] == "waived"
    assert outcomes["pay/Deployment/app-3"] == "failed"


def test_target_glob_selects_inside_groups_and_makes_the_run_partial(
    pytester: pytest.Pytester,
) -> None:
    _, report = run(pytester, profile("group"), "--target", "pay/*/app-[12]")
    assert sorted(c["nodeid"] for c in report["checks"]) == sorted(
        f"test_checks.py::{fn}[pay/Deployment/app-{i}]"
        for fn in ("test_pdb", "test_probes")
        for i in (1, 2)
    )
    assert report["selection"]["mode"] == "partial"
    assert report["selection"]["selected"] == 4 and report["selection"]["total"] == 48
    assert "--target pay/*/app-[12]" in report["gate"]["reason"]
    assert report["gate"]["state"] == "partial" and not report["gate"]["passed"]


def test_grouped_items_are_few(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", prof=profile("group"))
    pytester.makepyfile(test_checks=CHECKS)
    result = pytester.runpytest_subprocess(
        "--profile=prof.yaml", "-p", "no:cacheprovider", "--collect-only", "-q", "test_checks.py"
    )
    ids = [line for line in result.stdout.lines if "::" in line]
    assert sorted(i.split("::")[1] for i in ids) == sorted(
        f"{fn}[{ns}]" for fn in ("test_pdb", "test_probes") for ns in ("ops", "pay", "shop")
    )


OBJECT_CHECKS = """
from readiness import control, parametrize
from readiness.checking import profile_of

def pytest_generate_tests(metafunc):
    profile_of(metafunc.config)
    for name, kind in (("autoscaler", "HorizontalPodAutoscaler"),
                       ("budget", "PodDisruptionBudget"), ("release", "Deployment")):
        ids = [f"{ns}/{kind}/app-{i}" for ns in ("shop", "pay") for i in range(3)]
        parametrize(metafunc, name, [(t, t) for t in ids])

@control("K8S-HPA-TARGET")
def test_hpa_target(autoscaler, evidence):
    evidence.add(hpa=autoscaler)

@control("K8S-PDB-SELECTOR")
def test_pdb_selector(budget, evidence):
    assert not budget.endswith("app-1"), f"{budget}: selects nothing"

@control("K8S-PROGRESSIVE-DELIVERY")
def test_progressive_delivery(release, evidence, request):
    evidence.add(release=release, profile=bool(request.config))
"""


def test_autoscalers_budgets_and_releases_are_grouped_by_namespace_too(
    pytester: pytest.Pytester,
) -> None:
    pytester.makefile(".yaml", prof=profile("group"))
    pytester.makepyfile(test_checks=OBJECT_CHECKS)
    collected = pytester.runpytest_subprocess(
        "--profile=prof.yaml", "-p", "no:cacheprovider", "--collect-only", "-q", "test_checks.py"
    )
    ids = [line.split("::")[1] for line in collected.stdout.lines if "::" in line]
    assert sorted(ids) == sorted(
        f"{fn}[{ns}]"
        for fn in ("test_hpa_target", "test_pdb_selector", "test_progressive_delivery")
        for ns in ("pay", "shop")
    )
    pytester.runpytest_subprocess("--profile=prof.yaml", "-p", "no:cacheprovider", "test_checks.py")
    report = json.loads((pytester.path / "reports" / "readiness-report.json").read_text())
    outcomes = {c["id"]: c["outcome"] for c in report["checks"]}
    assert len(outcomes) == 18  # one row per target, as per target
    assert outcomes["K8S-PDB-SELECTOR[pay/PodDisruptionBudget/app-1]"] == "warned"  # medium
    assert outcomes["K8S-PDB-SELECTOR[pay/PodDisruptionBudget/app-2]"] == "passed"
    assert outcomes["K8S-PROGRESSIVE-DELIVERY[shop/Deployment/app-0]"] == "passed"
