"""Progressive delivery on argo-rollouts' and Flagger's own examples, good and bad variants."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml

from readiness.demo._k8s_cluster import demo_objects
from readiness.errors import SourceError
from readiness.profile import load_profile
from readiness.profile.kubernetes import ManifestSet, ProgressiveDelivery
from readiness.rules import kubernetes_delivery as delivery
from readiness.rules.kubernetes_delivery import DeliveryIndex
from readiness.rules.kubernetes_index import KubeIndex
from readiness.rules.kubernetes_model import (
    Inventory,
    RawObject,
    Ref,
    Workload,
    build_inventory,
)
from readiness.sources.kubernetes_targets import KubeSource, delivery_cases
from readiness.sources.manifests import load_manifests
from tests.realworld import REALWORLD

ARGO = REALWORLD / "k8s" / "argo-rollouts" / "examples"
FLAGGER = REALWORLD / "k8s" / "flagger"
BOTH = ["canary", "blue-green"]
COLOURS = ProgressiveDelivery().colour_labels
NOW = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)


def docs(*paths: Path) -> list[dict[str, Any]]:
    return [d for p in paths for d in yaml.safe_load_all(p.read_text()) if d]


def inventory(objects: Iterable[dict[str, Any]], namespace: str = "default") -> Inventory:
    return build_inventory("m", False, [RawObject(o) for o in objects], default_ns=namespace)


def load(*paths: Path, namespace: str = "default") -> Inventory:
    ms = ManifestSet(name="m", paths=[str(p) for p in paths], namespace=namespace)
    return load_manifests(ms)


def rollout_delivery(inv: Inventory, name: str) -> delivery.Delivery:
    (r,) = [r for r in inv.rollouts if r.name == name]
    return DeliveryIndex(inv).for_rollout(r)


def workload(inv: Inventory, name: str) -> Workload:
    (w,) = [w for w in inv.workloads if w.name == name]
    return w


def deliver(inv: Inventory, name: str, colours: Sequence[str] = COLOURS) -> delivery.Delivery:
    w = workload(inv, name)
    return DeliveryIndex(inv).for_workload(w, colours, KubeIndex(inv).services_for(w))


def messages(findings: list[delivery.Finding]) -> list[str]:
    return [f.message for f in findings]


# ---------------------------------------------------------------- Argo Rollouts


def test_canary_with_steps_and_no_analysis() -> None:
    inv = load(ARGO / "rollout-canary.yaml")
    (r,) = inv.rollouts
    assert (r.strategy, r.canary_steps, r.workload_ref, r.analyses) == ("canary", 8, None, ())
    found = rollout_delivery(inv, "rollout-canary")
    assert delivery.strategy_problems(found, DeliveryIndex(inv), BOTH) == []
    assert delivery.strategy_problems(found, DeliveryIndex(inv), ["blue-green"]) != []
    assert messages(delivery.analysis_problems(found, DeliveryIndex(inv))) == [
        "default/Rollout/rollout-canary runs no analysis: nothing aborts a bad release "
        "automatically"
    ]


def test_analysis_step_with_its_templates() -> None:
    inv = load(
        ARGO / "rollout-analysis-step.yaml",
        ARGO / "analysis-templates.yaml",
        ARGO / "cluster-analysis-templates.yaml",
    )
    r = next(r for r in inv.rollouts if r.name == "rollout-analysis-step")
    assert [(a.kind, a.name, a.stage) for a in r.analyses] == [
        ("AnalysisTemplate", "random-fail", "step 2"),
        ("ClusterAnalysisTemplate", "always-pass", "step 2"),
    ]
    found = rollout_delivery(inv, "rollout-analysis-step")
    assert delivery.analysis_problems(found, DeliveryIndex(inv)) == []
    summary = delivery.analysis_summary(found, DeliveryIndex(inv))
    metrics = summary["default/Rollout/rollout-analysis-step"]["analysis"]  # type: ignore[index]
    assert metrics["step 2: AnalysisTemplate/random-fail"]["random-fail"]["provider"] == "job"


def test_analysis_step_without_its_templates() -> None:
    inv = load(ARGO / "rollout-analysis-step.yaml")
    found = rollout_delivery(inv, "rollout-analysis-step")
    got = delivery.analysis_problems(found, DeliveryIndex(inv))
    assert messages(got) == [
        "default/Rollout/rollout-analysis-step (step 2) references AnalysisTemplate "
        "'random-fail', which is not in the source",
        "default/Rollout/rollout-analysis-step (step 2) references ClusterAnalysisTemplate "
        "'always-pass', which is not in the source",
    ]
    assert got[0].expected == "AnalysisTemplate random-fail in default"


def test_background_analysis_whose_metrics_cannot_fail() -> None:
    templates = docs(ARGO / "analysis-templates.yaml")
    good = inventory(docs(ARGO / "rollout-background-analysis.yaml") + templates)
    found = rollout_delivery(good, "rollout-background-analysis")
    assert found.rollouts[0].analyses[0].stage == "background analysis"
    assert delivery.analysis_problems(found, DeliveryIndex(good)) == []

    # The same metric from Prometheus without a condition always succeeds.
    no_condition = copy.deepcopy(templates)
    for t in no_condition:
        for m in t["spec"]["metrics"]:
            m["provider"] = {"prometheus": {"query": "vector(1)"}}
    bad = inventory(docs(ARGO / "rollout-background-analysis.yaml") + no_condition)
    got = delivery.analysis_problems(
        rollout_delivery(bad, "rollout-background-analysis"), DeliveryIndex(bad)
    )
    assert messages(got) == [
        "default/Rollout/rollout-background-analysis's analysis has no abort condition: "
        "no metric can fail"
    ]
    assert got[0].found == "metrics random-fail/random-fail always succeed"

    # failureLimit -1 turns failures off.
    disabled = copy.deepcopy(templates)
    for t in disabled:
        for m in t["spec"]["metrics"]:
            m["failureLimit"] = -1
    off = inventory(docs(ARGO / "rollout-background-analysis.yaml") + disabled)
    assert delivery.analysis_problems(
        rollout_delivery(off, "rollout-background-analysis"), DeliveryIndex(off)
    )


def test_blue_green_with_active_and_preview_services() -> None:
    inv = load(ARGO / "rollout-bluegreen.yaml")
    (r,) = inv.rollouts
    assert (r.strategy, r.active_service, r.preview_service, r.auto_promotion) == (
        "blue-green",
        "rollout-bluegreen-active",
        "rollout-bluegreen-preview",
        False,
    )
    found = rollout_delivery(inv, "rollout-bluegreen")
    index = DeliveryIndex(inv)
    assert delivery.strategy_problems(found, index, BOTH) == []
    assert messages(delivery.strategy_problems(found, index, ["canary"])) == [
        "default/Rollout/rollout-bluegreen uses a blue-green strategy, which the profile "
        "does not accept"
    ]
    assert "prePromotionAnalysis" in delivery.analysis_problems(found, index)[0].expected

    without_preview = [
        d
        for d in docs(ARGO / "rollout-bluegreen.yaml")
        if d["metadata"]["name"] != r.preview_service
    ]
    bad = inventory(without_preview)
    got = delivery.strategy_problems(
        rollout_delivery(bad, "rollout-bluegreen"), DeliveryIndex(bad), BOTH
    )
    assert messages(got) == [
        "default/Rollout/rollout-bluegreen's previewService 'rollout-bluegreen-preview' is "
        "not a Service in default"
    ]


def test_workload_ref_judges_the_deployment_through_its_rollout() -> None:
    inv = load(ARGO / "workload-ref" / "workload-ref.yaml")
    found = deliver(inv, "rollout-ref-deployment")
    assert [str(r.ref) for r in found.rollouts] == ["default/Rollout/rollout-ref-deployment"]
    assert delivery.strategy_problems(found, DeliveryIndex(inv), BOTH) == []
    source = KubeSource("m", False, NOW, inv)
    # The Deployment is the target; the Rollout that runs its template is no second one.
    assert [i for i, _ in delivery_cases([source], [])] == [
        "default/Deployment/rollout-ref-deployment"
    ]


def test_required_names_no_source_holds() -> None:
    inv = load(ARGO / "workload-ref" / "workload-ref.yaml")
    source = KubeSource("m", False, NOW, inv)
    required = ["rollout-ref-deployment", "gateway", "rollout-*"]
    cases = dict(delivery_cases([source], [], required))
    assert list(cases) == ["default/Deployment/rollout-ref-deployment", "gateway"]
    assert cases["gateway"].missing == "gateway"
    (f,) = delivery.not_found("gateway", ["m"])
    assert f.expected == "a workload or Rollout named 'gateway' in m"


def test_workload_ref_to_a_missing_deployment() -> None:
    only_rollout = [
        d for d in docs(ARGO / "workload-ref" / "workload-ref.yaml") if d["kind"] == "Rollout"
    ]
    inv = inventory(only_rollout)
    source = KubeSource("m", False, NOW, inv)
    cases = list(delivery_cases([source], []))
    assert [i for i, _ in cases] == ["default/Rollout/rollout-ref-deployment"]
    found = rollout_delivery(inv, "rollout-ref-deployment")
    assert messages(delivery.strategy_problems(found, DeliveryIndex(inv), BOTH)) == [
        "default/Rollout/rollout-ref-deployment runs the template of "
        "default/Deployment/rollout-ref-deployment, which is not in the source"
    ]


def test_rollout_without_strategy_and_canary_without_steps() -> None:
    (raw,) = docs(ARGO / "rollout-canary.yaml")
    no_steps = copy.deepcopy(raw)
    no_steps["spec"]["strategy"]["canary"] = {}
    none = copy.deepcopy(raw)
    none["metadata"]["name"] = "no-strategy"
    none["spec"]["strategy"] = {}
    inv = inventory([no_steps, none])
    index = DeliveryIndex(inv)
    assert messages(
        delivery.strategy_problems(rollout_delivery(inv, "rollout-canary"), index, BOTH)
    ) == [
        "default/Rollout/rollout-canary is a canary without steps: an update goes to 100% at once"
    ]
    assert messages(
        delivery.strategy_problems(rollout_delivery(inv, "no-strategy"), index, BOTH)
    ) == ["default/Rollout/no-strategy declares neither a canary nor a blueGreen strategy"]


# ---------------------------------------------------------------- Flagger


@pytest.fixture(scope="module")
def podinfo() -> list[dict[str, Any]]:
    return docs(
        FLAGGER / "test" / "workloads" / "deployment.yaml",
        FLAGGER / "artifacts" / "examples" / "linkerd-canary.yaml",
    )


def test_flagger_canary_targets_the_deployment(podinfo: list[dict[str, Any]]) -> None:
    inv = inventory(podinfo, namespace="test")
    (c,) = inv.canaries
    assert (c.strategy, c.threshold, [m.name for m in c.metrics]) == (
        "canary",
        10,
        ["request-success-rate", "request-duration"],
    )
    found = deliver(inv, "podinfo", COLOURS)
    assert found.describe() == ["test/Canary/podinfo (canary (weighted traffic steps))"]
    assert delivery.strategy_problems(found, DeliveryIndex(inv), BOTH) == []
    assert delivery.analysis_problems(found, DeliveryIndex(inv)) == []


def test_flagger_skipped_or_unjudged_analysis(podinfo: list[dict[str, Any]]) -> None:
    skipping = copy.deepcopy(podinfo)
    skipping[1]["spec"]["skipAnalysis"] = True
    inv = inventory(skipping, namespace="test")
    found = deliver(inv, "podinfo", COLOURS)
    assert messages(delivery.analysis_problems(found, DeliveryIndex(inv))) == [
        "test/Canary/podinfo skips its analysis (skipAnalysis: true): releases are promoted "
        "unchecked"
    ]
    blind = copy.deepcopy(podinfo)
    analysis = blind[1]["spec"]["analysis"]
    for m in analysis["metrics"]:
        del m["thresholdRange"]
    analysis["webhooks"] = [
        h for h in analysis["webhooks"] if h["type"] not in ("pre-rollout", "rollout")
    ]
    inv = inventory(blind, namespace="test")
    found = deliver(inv, "podinfo", COLOURS)
    got = delivery.analysis_problems(found, DeliveryIndex(inv))
    assert messages(got) == [
        "test/Canary/podinfo's analysis has no abort condition: nothing counts against threshold 10"
    ]


def test_flagger_canary_without_its_target(podinfo: list[dict[str, Any]]) -> None:
    inv = inventory(podinfo[1:], namespace="test")
    source = KubeSource("m", False, NOW, inv)
    cases = dict(delivery_cases([source], []))
    assert list(cases) == ["test/Canary/podinfo"]
    found = DeliveryIndex(inv).for_canary(inv.canaries[0])
    assert messages(delivery.strategy_problems(found, DeliveryIndex(inv), BOTH)) == [
        "test/Canary/podinfo targets test/Deployment/podinfo, which is not in the source"
    ]


def test_flagger_ab_testing_is_a_canary(podinfo: list[dict[str, Any]]) -> None:
    objs = [podinfo[0], *docs(FLAGGER / "artifacts" / "examples" / "istio-abtest.yaml")]
    inv = inventory(objs, namespace="test")
    (c,) = inv.canaries
    assert (c.strategy, c.iterations, c.match) == ("canary", 10, True)
    found = deliver(inv, "podinfo", COLOURS)
    assert delivery.strategy_problems(found, DeliveryIndex(inv), BOTH) == []
    assert delivery.strategy_problems(found, DeliveryIndex(inv), ["blue-green"])[0].found == (
        "A/B testing (canary by header or cookie)"
    )
    # Iterations without match: Flagger's blue/green.
    bg = copy.deepcopy(objs)
    del bg[1]["spec"]["analysis"]["match"]
    inv = inventory(bg, namespace="test")
    assert inv.canaries[0].strategy == "blue-green"


def test_flagger_primary_deployment_is_covered(podinfo: list[dict[str, Any]]) -> None:
    primary = copy.deepcopy(podinfo[0])
    primary["metadata"]["name"] = "podinfo-primary"
    primary["metadata"]["ownerReferences"] = [
        {
            "apiVersion": "flagger.app/v1beta1",
            "kind": "Canary",
            "name": "podinfo",
            "controller": True,
        }
    ]
    inv = inventory([*podinfo, primary], namespace="test")
    found = deliver(inv, "podinfo-primary", COLOURS)
    assert [str(c.ref) for c in found.canaries] == ["test/Canary/podinfo"]


def test_bad_flagger_field_is_a_source_error(podinfo: list[dict[str, Any]]) -> None:
    bad = copy.deepcopy(podinfo)
    bad[1]["spec"]["analysis"]["metrics"][0]["thresholdRange"]["min"] = "high"
    with pytest.raises(SourceError, match="min must be a number"):
        inventory(bad, namespace="test")


# ---------------------------------------------------------------- Services and profile


def _svc(name: str, selector: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name},
        "spec": {"selector": selector},
    }


def test_blue_green_service_pair(podinfo: list[dict[str, Any]]) -> None:
    blue = copy.deepcopy(podinfo[0])
    blue["spec"]["template"]["metadata"]["labels"] = {"app": "podinfo", "color": "blue"}
    pair = [
        blue,
        _svc("podinfo", {"app": "podinfo", "color": "blue"}),
        _svc("podinfo-preview", {"app": "podinfo", "color": "green"}),
    ]
    inv = inventory(pair)
    found = deliver(inv, "podinfo", COLOURS)
    assert found.describe() == ["Services podinfo + podinfo-preview (color blue/green)"]
    assert delivery.strategy_problems(found, DeliveryIndex(inv), BOTH) == []
    assert delivery.strategy_problems(found, DeliveryIndex(inv), ["canary"]) != []
    # One Service, or two that differ in more than the colour: no pair.
    single = inventory(pair[:2])
    assert deliver(single, "podinfo", COLOURS).empty
    other_app = inventory([*pair[:2], _svc("x", {"app": "other", "color": "green"})])
    assert deliver(other_app, "podinfo", COLOURS).empty


def test_nothing_delivers_the_service(podinfo: list[dict[str, Any]]) -> None:
    inv = inventory(podinfo[:1])
    found = deliver(inv, "podinfo", COLOURS)
    (f,) = delivery.strategy_problems(found, DeliveryIndex(inv), BOTH)
    assert (
        f.message
        == "default/Deployment/podinfo is released without a progressive-delivery strategy"
    )
    assert f.found == "none" and "workloadRef: Deployment podinfo" in f.fix
    assert messages(delivery.analysis_problems(found, DeliveryIndex(inv))) == [
        "default/Deployment/podinfo has no Rollout or Canary to analyse its releases"
    ]


def test_absent_crds_are_named() -> None:
    live = build_inventory("prod", True, [], absent_crds=["Canary", "Rollout", "ServiceMonitor"])
    assert delivery.absent_note(live) == (
        "; not installed in cluster prod: Argo Rollouts (rollouts.argoproj.io), "
        "Flagger (canaries.flagger.app) answered 404"
    )
    assert (
        delivery.absent_note(build_inventory("prod", True, [], absent_crds=["ServiceMonitor"]))
        == ""
    )


@pytest.mark.parametrize(
    ("patterns", "named"),
    [
        (["podinfo"], True),
        (["test/podinfo"], True),
        (["test/Deployment/pod*"], True),
        (["shop/*"], False),
    ],
)
def test_required_names(patterns: list[str], named: bool) -> None:
    assert delivery.named(Ref("test", "Deployment", "podinfo"), patterns) is named


def test_profile_section() -> None:
    assert ProgressiveDelivery(required="all").required == "all"
    assert ProgressiveDelivery(required=["cart"], strategies=["canary"]).strategies == ["canary"]
    with pytest.raises(ValueError, match="strategies"):
        ProgressiveDelivery(strategies=["rolling"])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="required"):
        ProgressiveDelivery(required="everything")  # type: ignore[arg-type]


# ---------------------------------------------------------------- the demo


def test_demo_cluster_and_manifests() -> None:
    profile = load_profile("demo", env={})
    policy = profile.kubernetes.progressive_delivery
    cluster = inventory(demo_objects(), namespace="shop")
    index = DeliveryIndex(cluster)
    checkout = deliver(cluster, "checkout", policy.colour_labels)
    assert checkout.describe() == ["shop/Rollout/checkout (canary)"]
    assert delivery.strategy_problems(checkout, index, policy.strategies) == []
    assert delivery.analysis_problems(checkout, index) == []
    frontend = deliver(cluster, "frontend", policy.colour_labels)
    assert frontend.empty and delivery.named(frontend.target, policy.required)

    (ms,) = profile.targets.manifests
    files = load_manifests(ms, Path(profile.path).parent)
    catalog = deliver(files, "catalog", policy.colour_labels)
    assert catalog.describe() == ["web/Canary/catalog (canary (weighted traffic steps))"]
    assert delivery.strategy_problems(catalog, DeliveryIndex(files), policy.strategies) == []
    assert delivery.analysis_problems(catalog, DeliveryIndex(files)) == []
