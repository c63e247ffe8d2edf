"""Families on and off: a family without targets is skipped with one reason and one
line; ``families:`` turns one off or on; overlapping controls are judged once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

CHECKS = Path(__file__).resolve().parents[2] / "checks"
DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 5
      containers:
        - {name: app, image: 'r.example.com/web:1'}
"""
ATTESTATION = {
    "control": "OPS-GRACEFUL-SHUTDOWN",
    "status": "passed",
    "attested_by": "ops@example.com",
    "explanation": "SIGTERM handler drains requests",
    "date": "2026-11-20",
    "expires": "2099-01-01",
}


def run(
    pytester: pytest.Pytester, profile: dict[str, Any], *args: str
) -> tuple[pytest.RunResult, list[dict[str, Any]]]:
    (pytester.path / "k8s").mkdir(exist_ok=True)
    (pytester.path / "k8s" / "web.yaml").write_text(DEPLOYMENT)
    pytester.makefile(".yaml", prof=json.dumps({"environment": "test", **profile}))
    result = pytester.runpytest_subprocess(
        "--profile=prof.yaml", "-p", "no:cacheprovider", str(CHECKS), *args
    )
    report = pytester.path / "reports" / "readiness-report.json"
    checks = json.loads(report.read_text())["checks"] if report.is_file() else []
    return result, checks


MANIFESTS = {"targets": {"manifests": [{"name": "release", "paths": ["k8s"]}]}}


@pytest.mark.parametrize("args", [(), ("-n", "2")], ids=["serial", "xdist"])
def test_families_without_targets_are_skipped_with_one_line_each(
    pytester: pytest.Pytester, args: tuple[str, ...]
) -> None:
    result, checks = run(pytester, MANIFESTS, *args)
    out = result.stdout.str()
    lines = [line for line in out.splitlines() if line.startswith("readiness: family skipped")]
    assert [line.split(":")[2].strip() for line in lines] == [
        "alerting",
        "ci",
        "http",
        "operations",
        "slo",
        "supply_chain",
    ], out
    http_skipped = sum(c["family"] == "http" for c in checks)
    assert (
        f"readiness: family skipped: http: no services in targets ({http_skipped} checks skipped)"
        in lines
    )
    by_family: dict[str, set[str]] = {}
    for c in checks:
        by_family.setdefault(c["family"], set()).add(c["outcome"])
    assert by_family["operations"] == {"skipped"}  # no unrequested attestation failures
    assert by_family["http"] == {"skipped"}
    assert {c["message"] for c in checks if c["family"] == "operations"} == {
        "operations: no operations section, attestations or operations targets in the "
        "profile (families: {operations: {enabled: true}} runs the checklist)"
    }
    assert {c["message"] for c in checks if c["family"] == "http"} == {
        "http: no services in targets"
    }
    kubernetes = [c for c in checks if c["family"] == "kubernetes"]
    assert {"passed", "failed"} <= {c["outcome"] for c in kubernetes}  # the family that runs
    assert "readiness: family skipped: kubernetes" not in out


def test_a_family_turned_off_or_on_by_the_profile(pytester: pytest.Pytester) -> None:
    off = {**MANIFESTS, "families": {"kubernetes": {"enabled": False, "reason": "owned by team B"}}}
    result, checks = run(pytester, off)
    kubernetes = [c for c in checks if c["family"] == "kubernetes"]
    assert kubernetes and {c["outcome"] for c in kubernetes} == {"skipped"}
    assert {c["message"] for c in kubernetes} == {
        "kubernetes: disabled by the profile: owned by team B"
    }
    assert (
        "readiness: family skipped: kubernetes: disabled by the profile: owned by team B"
        in result.stdout.str()
    )

    on = {**MANIFESTS, "families": {"operations": {"enabled": True}}}
    _, checks = run(pytester, on, "-k", "test_operations.py and cicd")
    (cicd,) = [c for c in checks if c["control"] == "OPS-CICD"]
    assert cicd["outcome"] == "failed"  # asked for: the checklist item needs its attestation
    assert "no attestation" in cicd["message"]


def test_graceful_shutdown_is_judged_once_by_kubernetes(pytester: pytest.Pytester) -> None:
    profile = {**MANIFESTS, "attestations": [ATTESTATION]}
    _, checks = run(pytester, profile, "-k", "graceful_shutdown")
    ops = [c for c in checks if c["control"] == "OPS-GRACEFUL-SHUTDOWN"]
    assert [(c["target"], c["outcome"]) for c in ops] == [("attested", "passed")]
    assert ops[0]["evidence"]["workloads_judged_by"] == "K8S-GRACEFUL-SHUTDOWN"
    k8s = [c for c in checks if c["control"] == "K8S-GRACEFUL-SHUTDOWN"]
    assert [(c["target"], c["outcome"]) for c in k8s] == [("shop/Deployment/web", "warned")]
    assert "5s" in k8s[0]["message"] or "5" in k8s[0]["message"]


def test_healthchecks_point_to_the_http_check(pytester: pytest.Pytester) -> None:
    services = [
        {"name": "web", "url": "http://127.0.0.1:9", "health": "/healthz"},
        {"name": "batch", "url": "http://127.0.0.1:9"},
    ]
    profile = {"targets": {"services": services}, "attestations": [ATTESTATION]}
    _, checks = run(pytester, profile, "-k", "healthchecks")
    got = {c["target"]: c for c in checks if c["control"] == "OPS-HEALTHCHECKS"}
    assert got["web"]["outcome"] == "skipped"
    assert got["web"]["message"] == "judged by HTTP-HEALTH [web] in the http family"
    assert got["batch"]["outcome"] == "failed"  # nothing declared: operations says so itself


def test_unknown_family_is_a_profile_error(pytester: pytest.Pytester) -> None:
    result, _ = run(pytester, {"families": {"kubernets": {"enabled": False, "reason": "x"}}})
    assert result.ret == 4
    assert (
        "unknown family 'kubernets'; valid: alerting, ci, dora, http, kubernetes"
        in result.stderr.str()
    )


def test_a_broken_profile_lists_every_problem(pytester: pytest.Pytester) -> None:
    pytester.makefile(
        ".yaml",
        prof="environment: p\ngate: {fail_on: severe}\nreport: {dirr: x}\n"
        "controls: {NOPE-1: {enabled: false, reason: r}}\n",
    )
    result = pytester.runpytest_subprocess("--profile=prof.yaml", "-p", "no:cacheprovider")
    assert result.ret == 4
    err = result.stderr.str()
    assert "3 problems in the profile" in err
    for where in (
        "prof.yaml:2, key 'gate.fail_on'",
        "prof.yaml:3, key 'report.dirr'",
        "prof.yaml:4, key 'controls.NOPE-1'",
    ):
        assert where in err, err
    assert "more problem" not in err
