"""End to end: pytest --profile runs the kubernetes checks on a recorded cluster and files."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from readiness.demo._k8s_api import list_path
from readiness.plugin import checks_dir
from tests.fixtures.kubernetes import K8sApi, ServerFactory, recorded_lists, run_gate

pytestmark = pytest.mark.integration

CHECKS = str(checks_dir() / "test_kubernetes.py")  # only this family's checks


def outcomes(report: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(c["control"], c["target"]): c for c in report["checks"] if c["family"] == "kubernetes"}


@pytest.fixture(scope="module")
def live_api(k8s_server_factory: ServerFactory) -> K8sApi:
    """The recorded cluster replayed as if recorded now; listing Roles is forbidden."""
    return k8s_server_factory(
        lists=recorded_lists(dt.datetime.now(dt.UTC)),
        forbidden={list_path("Role", "shop")},
    )


@pytest.fixture(scope="module")
def run(
    live_api: K8sApi, realworld_k8s: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    work = tmp_path_factory.mktemp("k8s-e2e")
    profile = {
        "environment": "production",
        "targets": {
            "kubernetes": [
                live_api.cluster(name="prod", token="${E2E_K8S_TOKEN}"),
                {
                    "name": "gone",
                    "api_url": "https://127.0.0.1:9",
                    "token": "gone-token",
                    "timeout": 2,
                },
            ],
            "manifests": [
                {
                    "name": "boutique",
                    "paths": [str(realworld_k8s / "microservices-demo" / "kubernetes-manifests")],
                    "namespace": "boutique",
                }
            ],
        },
        "kubernetes": {"scalable": ["checkout", "frontend"]},
    }
    done, report = run_gate(work, profile, {"E2E_K8S_TOKEN": live_api.token})
    report["_exit"] = done.returncode
    report["_stdout"] = done.stdout
    report["_html"] = (work / "reports" / "readiness-report.html").read_text()
    return report


def test_gate_fails_and_outcomes(run: dict[str, Any]) -> None:
    assert run["_exit"] == 1
    assert run["gate"]["passed"] is False
    got = outcomes(run)
    expect = {
        ("K8S-PROBES", "shop/Deployment/checkout"): "passed",
        ("K8S-PROBES", "shop/Deployment/payments"): "failed",
        ("K8S-PROBES", "boutique/Deployment/frontend"): "passed",
        ("K8S-IMAGE-TAG", "boutique/Deployment/frontend"): "failed",
        ("K8S-IMAGE-TAG", "shop/DaemonSet/log-agent"): "failed",
        ("K8S-IMAGE-DIGEST", "shop/Deployment/frontend"): "warned",
        ("K8S-HOST-NAMESPACES", "shop/DaemonSet/log-agent"): "failed",
        ("K8S-PDB", "shop/Deployment/checkout"): "passed",
        ("K8S-PDB", "shop/StatefulSet/db"): "warned",
        ("K8S-PDB", "boutique/Deployment/frontend"): "skipped",
        ("K8S-HPA", "shop/Deployment/frontend"): "warned",
        ("K8S-REPLICAS", "shop/Deployment/cart"): "failed",
        ("K8S-ENV-SECRETS", "shop/Deployment/cart"): "failed",
        ("K8S-ROLLOUT", "shop/Deployment/checkout"): "passed",
        ("K8S-ROLLOUT", "shop/Deployment/frontend"): "failed",
        ("K8S-POD-HEALTH", "shop/Deployment/cart"): "failed",
        ("K8S-POD-HEALTH", "shop/Deployment/payments"): "failed",
        ("K8S-RESTARTS", "shop/StatefulSet/db"): "failed",
        ("K8S-RESTARTS", "shop/Deployment/checkout"): "passed",
        ("K8S-NODES", "prod"): "failed",
        ("K8S-DEFAULT-DENY", "shop"): "passed",
        ("K8S-DEFAULT-DENY", "boutique"): "warned",
        ("K8S-MONITORING", "shop/Service/checkout"): "passed",
        ("K8S-MONITORING", "shop/Service/payments"): "passed",
        ("K8S-MONITORING", "shop/Service/cart"): "warned",
        ("K8S-SERVICE-SELECTOR", "shop/Service/frontend-external"): "passed",
        ("K8S-SERVICE-SELECTOR", "boutique/Service/redis-cart"): "passed",
        # Jobs and CronJobs from the live cluster: judged for what runs, not for serving.
        ("K8S-SECURITY-CONTEXT", "shop/CronJob/report"): "failed",
        ("K8S-SECURITY-CONTEXT", "shop/Job/db-migrate"): "passed",
        ("K8S-CRONJOB", "shop/CronJob/report"): "warned",
        ("K8S-JOB", "shop/CronJob/report"): "warned",
        ("K8S-JOB", "shop/Job/db-migrate"): "passed",
        ("K8S-CRONJOB", "shop/Job/db-migrate"): "skipped",
        ("K8S-PROBES", "shop/CronJob/report"): "skipped",
        ("K8S-REPLICAS", "shop/Job/db-migrate"): "skipped",
        ("K8S-POD-HEALTH", "shop/CronJob/report"): "skipped",
        ("K8S-HPA-TARGET", "shop/HorizontalPodAutoscaler/checkout"): "passed",
        ("K8S-PDB-SELECTOR", "shop/PodDisruptionBudget/checkout"): "passed",
        ("K8S-DUPLICATE-OBJECT", "prod"): "skipped",
        ("K8S-DUPLICATE-OBJECT", "boutique"): "passed",
        ("K8S-DEPRECATED-API", "prod"): "failed",
        ("K8S-DEPRECATED-API", "boutique"): "passed",
        # A forbidden LIST errors only the checks that need that kind.
        ("K8S-RBAC", "prod"): "error",
        ("K8S-RBAC", "boutique"): "passed",
        # An unreachable API server errors its checks; the run goes on.
        ("K8S-PROBES", "gone"): "error",
        ("K8S-NODES", "gone"): "error",
        ("K8S-DEPRECATED-API", "gone"): "error",
        ("K8S-MONITORING", "gone"): "error",
        ("K8S-DEFAULT-DENY", "gone"): "error",
    }
    wrong = {
        k: got.get(k, {}).get("outcome")
        for k, v in expect.items()
        if got.get(k, {}).get("outcome") != v
    }
    assert wrong == {}, wrong
    manifests_live_only = [k for k in got if k[0] == "K8S-ROLLOUT" and k[1].startswith("boutique")]
    assert manifests_live_only == []


def test_messages_name_target_expected_found_fix(run: dict[str, Any]) -> None:
    got = outcomes(run)
    probes = got[("K8S-PROBES", "shop/Deployment/payments")]["message"]
    assert "shop/Deployment/payments container 'api' has no readinessProbe" in probes
    assert "expected: a readinessProbe" in probes and "fix:" in probes
    rbac = got[("K8S-RBAC", "prod")]["message"]
    assert "verb=list resource=roles" in rbac
    gone = got[("K8S-PROBES", "gone")]["message"]
    assert "gone: cannot reach the API server https://127.0.0.1:9" in gone
    pending = got[("K8S-POD-HEALTH", "shop/Deployment/payments")]
    assert "has been Pending for 25m" in pending["message"]
    reasons = [e["reason"] for e in pending["evidence"]["warning_events"]]
    assert reasons == ["FailedScheduling"]
    assert got[("K8S-PROBES", "shop/Deployment/checkout")]["evidence"]["list_requests"] == 25


def test_secrets_never_in_reports(run: dict[str, Any], live_api: K8sApi) -> None:
    text = json.dumps(run)
    assert live_api.token not in text
    assert live_api.token not in run["_stdout"] and live_api.token not in run["_html"]
    assert "hunter2-redis-cart" not in text and "hunter2-redis-cart" not in run["_html"]


def test_pytester_manifests_only(pytester: pytest.Pytester, realworld_k8s: Path) -> None:
    pytester.makefile(
        ".yaml",
        profile=yaml.safe_dump(
            {
                "environment": "staging",
                "gate": {"fail_on": "critical"},
                "targets": {
                    "manifests": [
                        {
                            "name": "kp",
                            "paths": [str(realworld_k8s / "kube-prometheus" / "manifests")],
                        }
                    ]
                },
            }
        ),
    )
    result = pytester.runpytest_subprocess(
        "--profile=profile.yaml", "-p", "no:cacheprovider", CHECKS
    )
    report = json.loads((pytester.path / "reports" / "readiness-report.json").read_text())
    got = {k: v["outcome"] for k, v in outcomes(report).items()}
    assert got[("K8S-PROBES", "monitoring/Deployment/blackbox-exporter")] == "warned"
    assert got[("K8S-PROBES", "monitoring/Deployment/prometheus-adapter")] == "passed"
    assert got[("K8S-PDB", "monitoring/Deployment/prometheus-adapter")] == "passed"
    assert got[("K8S-PDB", "monitoring/Deployment/blackbox-exporter")] == "skipped"
    assert got[("K8S-ROLLOUT", "-")] == "skipped"  # live-only: no cluster configured
    (rollout,) = [c for c in report["checks"] if c["control"] == "K8S-ROLLOUT"]
    assert "live-only check: no cluster in targets.kubernetes" in rollout["message"]
    # One family's checks only: no blocking finding, but not a release verdict either.
    assert report["gate"]["state"] == "partial" and report["gate"]["passed"] is False
    assert result.ret == 0
