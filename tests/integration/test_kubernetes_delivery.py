"""Progressive delivery end to end: pytest --profile over a recorded cluster (with and
without the Argo Rollouts/Flagger CRDs) and over argo-rollouts' and Flagger's examples."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.kubernetes import ServerFactory, recorded_lists, run_gate

pytestmark = pytest.mark.integration

DELIVERY_GROUPS = ("/apis/argoproj.io/", "/apis/flagger.app/")


@pytest.fixture(scope="module")
def run(
    k8s_server_factory: ServerFactory, realworld_k8s: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    lists = recorded_lists(dt.datetime.now(dt.UTC))
    installed = k8s_server_factory(lists=lists)
    bare = k8s_server_factory(
        lists={p: v for p, v in lists.items() if not p.startswith(DELIVERY_GROUPS)}
    )
    flagger = realworld_k8s / "flagger"
    profile = {
        "environment": "production",
        "targets": {
            "kubernetes": [installed.cluster(name="prod"), bare.cluster(name="bare")],
            "manifests": [
                {"name": "argo", "paths": [str(realworld_k8s / "argo-rollouts" / "examples")]},
                {
                    "name": "flagger",
                    "paths": [
                        str(flagger / "test" / "workloads" / "deployment.yaml"),
                        str(flagger / "artifacts" / "examples" / "linkerd-canary.yaml"),
                    ],
                    "namespace": "test",
                },
            ],
        },
        "kubernetes": {
            "progressive_delivery": {
                "required": ["checkout", "frontend", "rollout-*", "podinfo", "gateway"]
            }
        },
    }
    work = tmp_path_factory.mktemp("k8s-delivery")
    done, report = run_gate(
        work, profile, {}, "-k", "test_progressive_delivery or test_rollout_analysis"
    )
    report["_exit"] = done.returncode
    report["_requests"] = {
        "prod": dict(installed.server.requests),
        "bare": dict(bare.server.requests),
    }
    return report


def outcomes(report: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(c["control"], c["target"]): c for c in report["checks"]}


PD, RA = "K8S-PROGRESSIVE-DELIVERY", "K8S-ROLLOUT-ANALYSIS"


def test_outcomes(run: dict[str, Any]) -> None:
    got = outcomes(run)
    expect = {
        # The recorded cluster: checkout is released by a Rollout (workloadRef) with a
        # Prometheus analysis step; frontend by nothing; cart is not required.
        (PD, "shop/Deployment/checkout"): "passed",
        (RA, "shop/Deployment/checkout"): "passed",
        (PD, "shop/Deployment/frontend"): "failed",
        (RA, "shop/Deployment/frontend"): "warned",
        (PD, "shop/Deployment/cart"): "skipped",
        (RA, "shop/Deployment/cart"): "skipped",
        (PD, "shop/StatefulSet/db"): "skipped",
        # The same cluster without the CRDs: nothing delivers anything.
        (PD, "shop/Deployment/checkout@bare"): "failed",
        (RA, "shop/Deployment/checkout@bare"): "warned",
        # A required service no source holds.
        (PD, "gateway"): "failed",
        # argo-rollouts' examples (namespace default).
        (PD, "default/Rollout/rollout-canary"): "passed",
        (RA, "default/Rollout/rollout-canary"): "warned",
        (PD, "default/Rollout/rollout-analysis-step"): "passed",
        (RA, "default/Rollout/rollout-analysis-step"): "passed",
        (RA, "default/Rollout/rollout-background-analysis"): "passed",
        (PD, "default/Rollout/rollout-bluegreen"): "passed",
        (RA, "default/Rollout/rollout-bluegreen"): "warned",
        (PD, "default/Deployment/rollout-ref-deployment"): "passed",
        (RA, "default/Deployment/rollout-ref-deployment"): "warned",
        # Flagger's podinfo Deployment and its linkerd Canary.
        (PD, "test/Deployment/podinfo"): "passed",
        (RA, "test/Deployment/podinfo"): "passed",
    }
    wrong = {
        k: got.get(k, {}).get("outcome")
        for k, v in expect.items()
        if got.get(k, {}).get("outcome") != v
    }
    assert wrong == {}, wrong
    # A Rollout running a Deployment's template is judged as that Deployment only.
    assert (PD, "default/Rollout/rollout-ref-deployment") not in got
    assert (PD, "shop/CronJob/report") not in got  # run-to-completion: no release traffic
    assert run["_exit"] == 1  # frontend's missing strategy blocks (high)


def test_messages_and_evidence(run: dict[str, Any]) -> None:
    got = outcomes(run)
    frontend = got[(PD, "shop/Deployment/frontend")]["message"]
    assert (
        "shop/Deployment/frontend is released without a progressive-delivery strategy" in frontend
    )
    assert "found:    none\n" in frontend + "\n" and "fix:      install Argo Rollouts" in frontend
    bare = got[(PD, "shop/Deployment/checkout@bare")]["message"]
    assert (
        "found:    none; not installed in cluster bare: Argo Rollouts (rollouts.argoproj.io), "
        "Flagger (canaries.flagger.app) answered 404"
    ) in bare
    assert "absent_crds" in got[(PD, "shop/Deployment/checkout@bare")]["evidence"]
    checkout = got[(RA, "shop/Deployment/checkout")]["evidence"]["analysis"][
        "shop/Rollout/checkout"
    ]
    assert checkout["strategy"] == "canary"
    assert checkout["analysis"]["step 3: AnalysisTemplate/success-rate"]["success-rate"] == {
        "provider": "prometheus",
        "successCondition": "result[0] >= 0.99",
        "failureCondition": None,
        "failureLimit": "1",
    }
    assert got[(PD, "shop/Deployment/checkout")]["evidence"]["delivered_by"] == [
        "shop/Rollout/checkout (canary)"
    ]
    gateway = got[(PD, "gateway")]["message"]
    assert "required service 'gateway' is in no source" in gateway
    assert "a workload or Rollout named 'gateway' in argo, flagger, prod, bare" in gateway
    canary = got[(RA, "default/Rollout/rollout-canary")]["message"]
    assert "runs no analysis: nothing aborts a bad release automatically" in canary
    assert (
        "not named in kubernetes.progressive_delivery.required"
        in got[(PD, "shop/Deployment/cart")]["message"]
    )


def test_one_paged_list_per_delivery_kind(run: dict[str, Any]) -> None:
    for name in ("prod", "bare"):
        requests = run["_requests"][name]
        assert requests["/apis/argoproj.io/v1alpha1/namespaces/shop/rollouts"] == 1
        assert requests["/apis/argoproj.io/v1alpha1/clusteranalysistemplates"] == 1
        assert requests["/apis/flagger.app/v1beta1/namespaces/shop/canaries"] == 1
