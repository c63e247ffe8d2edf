"""Progressive-delivery objects, typed: Argo Rollouts and Flagger Canaries.

Parsed once at the edge, like every other kind (see :mod:`kubernetes_model`):
``Rollout``, ``AnalysisTemplate``/``ClusterAnalysisTemplate`` (argoproj.io/v1alpha1) and
``Canary`` (flagger.app/v1beta1). Only what the delivery rules judge is kept: the strategy,
where analysis runs and what can make it fail.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from readiness.rules.kubernetes_model import (
    LabelSelector,
    ParseError,
    Ref,
    _b,
    _i,
    _l,
    _labels,
    _m,
    _s,
    parse_selector,
)

Strategy = Literal["canary", "blue-green"]

ROLLOUT_KINDS = ("Rollout", "AnalysisTemplate", "ClusterAnalysisTemplate")
FLAGGER_KINDS = ("Canary",)
DELIVERY_KINDS = (*ROLLOUT_KINDS, *FLAGGER_KINDS)


# ---------------------------------------------------------------- Argo Rollouts


@dataclass(frozen=True, slots=True)
class TemplateRef:
    """An AnalysisTemplate a Rollout runs, and where in the rollout it runs."""

    name: str
    cluster_scope: bool
    stage: str  # "background", "step 3", "prePromotionAnalysis", ...

    @property
    def kind(self) -> str:
        return "ClusterAnalysisTemplate" if self.cluster_scope else "AnalysisTemplate"


@dataclass(frozen=True, slots=True)
class Metric:
    """One metric of an AnalysisTemplate; ``can_fail`` when a measurement can fail it."""

    name: str
    provider: str
    success_condition: str
    failure_condition: str
    failure_limit: str | None  # an int, or an argument placeholder; None: default 0

    @property
    def judged(self) -> bool:
        """A measurement can be Failed: a condition, or a Job whose failure is the verdict."""
        return bool(self.success_condition or self.failure_condition or self.provider == "job")

    @property
    def disabled(self) -> bool:
        """failureLimit -1 turns failures off (consecutiveSuccessLimit only)."""
        return self.failure_limit is not None and self.failure_limit.strip() == "-1"

    @property
    def can_fail(self) -> bool:
        return self.judged and not self.disabled


@dataclass(frozen=True, slots=True)
class AnalysisTemplate:
    ref: Ref  # kind AnalysisTemplate (namespaced) or ClusterAnalysisTemplate
    metrics: tuple[Metric, ...]


@dataclass(frozen=True, slots=True)
class Rollout:
    ref: Ref
    strategy: Strategy | None
    selector: LabelSelector
    pod_labels: dict[str, str]
    workload_ref: Ref | None  # spec.workloadRef: the Deployment whose template it runs
    canary_steps: int = 0
    analyses: tuple[TemplateRef, ...] = ()
    active_service: str = ""
    preview_service: str = ""
    auto_promotion: bool = True
    abort_scale_down_delay: int | None = None

    @property
    def namespace(self) -> str:
        return self.ref.namespace

    @property
    def name(self) -> str:
        return self.ref.name


def _template_refs(analysis: Mapping[str, Any], stage: str) -> list[TemplateRef]:
    refs = [
        TemplateRef(_s(t, "templateName"), bool(_b(t, "clusterScope")), stage)
        for t in _l(analysis, "templates")
        if _s(t, "templateName")
    ]
    if _s(analysis, "templateName"):  # the single-template form of older Rollouts
        refs.append(TemplateRef(_s(analysis, "templateName"), False, stage))
    return refs


def parse_rollout(raw: Mapping[str, Any], ref: Ref) -> Rollout:
    spec = _m(raw, "spec")
    strategy_spec = _m(spec, "strategy")
    canary, blue_green = _m(strategy_spec, "canary"), _m(strategy_spec, "blueGreen")
    strategy: Strategy | None = None
    analyses: list[TemplateRef] = []
    steps = _l(canary, "steps")
    if "canary" in strategy_spec:
        strategy = "canary"
        analyses += _template_refs(_m(canary, "analysis"), "background analysis")
        for n, step in enumerate(steps, 1):
            analyses += _template_refs(_m(step, "analysis"), f"step {n}")
            for a in _l(_m(step, "experiment"), "analyses"):
                if _s(a, "templateName"):
                    analyses.append(
                        TemplateRef(_s(a, "templateName"), bool(_b(a, "clusterScope")), f"step {n}")
                    )
    elif "blueGreen" in strategy_spec:
        strategy = "blue-green"
        for stage in ("prePromotionAnalysis", "postPromotionAnalysis"):
            analyses += _template_refs(_m(blue_green, stage), stage)
    chosen = canary if strategy == "canary" else blue_green
    workload = _m(spec, "workloadRef")
    return Rollout(
        ref=ref,
        strategy=strategy,
        selector=parse_selector(_m(spec, "selector")),
        pod_labels=_labels(_m(_m(spec, "template"), "metadata"), "labels"),
        workload_ref=Ref(ref.namespace, _s(workload, "kind", "Deployment"), _s(workload, "name"))
        if _s(workload, "name")
        else None,
        canary_steps=len(steps),
        analyses=tuple(analyses),
        active_service=_s(blue_green, "activeService"),
        preview_service=_s(blue_green, "previewService"),
        auto_promotion=_b(blue_green, "autoPromotionEnabled") is not False,
        abort_scale_down_delay=_i(chosen, "abortScaleDownDelaySeconds"),
    )


def parse_analysis_template(raw: Mapping[str, Any], ref: Ref) -> AnalysisTemplate:
    metrics = []
    for m in _l(_m(raw, "spec"), "metrics"):
        provider = _m(m, "provider")
        limit = m.get("failureLimit") if isinstance(m, dict) else None
        metrics.append(
            Metric(
                name=_s(m, "name"),
                provider=next(iter(provider), "") if provider else "",
                success_condition=_s(m, "successCondition"),
                failure_condition=_s(m, "failureCondition"),
                failure_limit=None if limit is None else str(limit),
            )
        )
    return AnalysisTemplate(ref, tuple(metrics))


# ---------------------------------------------------------------- Flagger


@dataclass(frozen=True, slots=True)
class CanaryMetric:
    name: str
    template: str  # templateRef name ("" for a built-in metric)
    threshold_min: float | None
    threshold_max: float | None

    @property
    def has_threshold(self) -> bool:
        return self.threshold_min is not None or self.threshold_max is not None


@dataclass(frozen=True, slots=True)
class CanaryWebhook:
    name: str
    type: str  # pre-rollout, rollout, confirm-rollout, post-rollout, ... (default rollout)

    @property
    def gates(self) -> bool:
        """A failing call of this hook counts against the analysis threshold."""
        return self.type in ("pre-rollout", "rollout")


@dataclass(frozen=True, slots=True)
class Canary:
    """A Flagger Canary: ``targetRef`` names the workload it promotes."""

    ref: Ref
    target: Ref
    analysis: bool  # spec.analysis (or the older spec.canaryAnalysis) is present
    skip_analysis: bool
    step_weight: bool  # stepWeight, stepWeights or maxWeight: traffic shifted in steps
    iterations: int | None
    match: bool  # analysis.match: A/B testing on headers or cookies
    threshold: int  # failed checks before rollback; Flagger's default is 1
    metrics: tuple[CanaryMetric, ...] = ()
    webhooks: tuple[CanaryWebhook, ...] = ()

    @property
    def strategy(self) -> Strategy | None:
        if self.step_weight or (self.iterations and self.match):
            return "canary"  # A/B testing is a canary routed by header or cookie
        if self.iterations:
            return "blue-green"
        return None

    @property
    def variant(self) -> str:
        if self.step_weight:
            return "canary (weighted traffic steps)"
        if self.iterations and self.match:
            return "A/B testing (canary by header or cookie)"
        if self.iterations:
            return "blue/green (iterations, then full switch)"
        return "none (no stepWeight, maxWeight or iterations)"


def _number(data: Mapping[str, Any], key: str) -> float | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ParseError(f"{key} must be a number, found {value!r}")
    try:
        return float(value)
    except ValueError:
        raise ParseError(f"{key} must be a number, found {value!r}") from None


def parse_canary(raw: Mapping[str, Any], ref: Ref) -> Canary:
    spec = _m(raw, "spec")
    has_analysis = "analysis" in spec or "canaryAnalysis" in spec
    analysis = _m(spec, "analysis") if "analysis" in spec else _m(spec, "canaryAnalysis")
    target = _m(spec, "targetRef")
    metrics = tuple(
        CanaryMetric(
            _s(m, "name"),
            _s(_m(m, "templateRef"), "name"),
            _number(_m(m, "thresholdRange"), "min"),
            _number(_m(m, "thresholdRange"), "max"),
        )
        for m in _l(analysis, "metrics")
    )
    webhooks = tuple(
        CanaryWebhook(_s(h, "name"), _s(h, "type", "rollout")) for h in _l(analysis, "webhooks")
    )
    threshold = _i(analysis, "threshold")
    return Canary(
        ref=ref,
        target=Ref(ref.namespace, _s(target, "kind", "Deployment"), _s(target, "name")),
        analysis=has_analysis,
        skip_analysis=bool(_b(spec, "skipAnalysis")),
        step_weight=bool(
            _i(analysis, "stepWeight") or _l(analysis, "stepWeights") or _i(analysis, "maxWeight")
        ),
        iterations=_i(analysis, "iterations"),
        match=bool(_l(analysis, "match")),
        threshold=threshold if threshold and threshold > 0 else 1,
        metrics=metrics,
        webhooks=webhooks,
    )
