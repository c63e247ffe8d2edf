"""Progressive delivery: which strategy releases a service, and what can abort it.

A service is delivered progressively by an Argo ``Rollout`` (its own pod template, or a
``workloadRef`` to a Deployment), by a Flagger ``Canary`` whose ``targetRef`` names the
workload (Flagger's ``<name>-primary`` Deployment is owned by the Canary), or by a
blue-green pair of Services: two Services selecting the same app that differ only in one
colour/version label. Pure: the index is built from an inventory, the rules return
findings.
"""

from __future__ import annotations

import fnmatch
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from readiness.findings import Finding
from readiness.rules.kubernetes_delivery_model import (
    DELIVERY_KINDS,
    AnalysisTemplate,
    Canary,
    Rollout,
    TemplateRef,
)
from readiness.rules.kubernetes_model import Inventory, Ref, Service, Workload

STRATEGIES_KEY = "kubernetes.progressive_delivery.strategies"
ServicePair = tuple[Service, Service]  # (the one selecting the workload, its counterpart)


@dataclass(frozen=True, slots=True)
class Delivery:
    """Everything that delivers one target progressively."""

    target: Ref
    rollouts: tuple[Rollout, ...] = ()
    canaries: tuple[Canary, ...] = ()
    service_pairs: tuple[ServicePair, ...] = ()
    colour_label: str = ""  # the label the service pairs differ in

    @property
    def empty(self) -> bool:
        return not (self.rollouts or self.canaries or self.service_pairs)

    def describe(self) -> list[str]:
        out = [f"{r.ref} ({r.strategy or 'no strategy'})" for r in self.rollouts]
        out += [f"{c.ref} ({c.variant})" for c in self.canaries]
        out += [
            f"Services {a.ref.name} + {b.ref.name} ({self.colour_label} "
            f"{a.selector.get(self.colour_label)}/{b.selector.get(self.colour_label)})"
            for a, b in self.service_pairs
        ]
        return out


class DeliveryIndex:
    """Rollouts, Canaries, templates and Services of one source, looked up by target."""

    def __init__(self, inventory: Inventory) -> None:
        self.inventory = inventory
        self._rollouts: dict[Ref, list[Rollout]] = defaultdict(list)
        for r in inventory.rollouts:
            if r.workload_ref is not None:
                self._rollouts[r.workload_ref].append(r)
        self._canaries: dict[Ref, list[Canary]] = defaultdict(list)
        self._canary_named: dict[Ref, Canary] = {}
        for c in inventory.canaries:
            self._canaries[c.target].append(c)
            self._canary_named[c.ref] = c
        self._templates: dict[Ref, AnalysisTemplate] = {
            t.ref: t for t in inventory.analysis_templates
        }
        self._services: dict[str, set[str]] = defaultdict(set)
        # Services by namespace, one selector key, and the rest of their selector: the
        # counterparts of a blue-green pair share the rest and differ in that key.
        self._rest: dict[tuple[str, str, frozenset[tuple[str, str]]], list[Service]] = defaultdict(
            list
        )
        for s in inventory.services:
            self._services[s.ref.namespace].add(s.ref.name)
            if len(s.selector) >= 2:
                for key in s.selector:
                    self._rest[(s.ref.namespace, key, _rest(s.selector, key))].append(s)
        self._workloads = {w.ref for w in inventory.workloads}

    def has_workload(self, ref: Ref) -> bool:
        return ref in self._workloads

    def has_service(self, namespace: str, name: str) -> bool:
        return name in self._services.get(namespace, ())

    def template(self, namespace: str, ref: TemplateRef) -> AnalysisTemplate | None:
        key = Ref("" if ref.cluster_scope else namespace, ref.kind, ref.name)
        return self._templates.get(key)

    def for_workload(
        self, w: Workload, colour_labels: Sequence[str], services: Sequence[Service]
    ) -> Delivery:
        """``services``: the Services selecting the workload's pods (the source's index)."""
        rollouts = list(self._rollouts.get(w.ref, []))
        canaries = list(self._canaries.get(w.ref, []))
        if w.owner is not None and w.owner.kind == "Canary":  # Flagger's <name>-primary
            owner = self._canary_named.get(w.owner)
            if owner is not None and owner not in canaries:
                canaries.append(owner)
        label, pairs = self._pairs(w.namespace, services, colour_labels)
        return Delivery(w.ref, tuple(rollouts), tuple(canaries), pairs, label)

    def for_rollout(self, r: Rollout) -> Delivery:
        return Delivery(r.ref, (r,))

    def for_canary(self, c: Canary) -> Delivery:
        return Delivery(c.ref, canaries=(c,))

    def _pairs(
        self, namespace: str, services: Sequence[Service], colour_labels: Sequence[str]
    ) -> tuple[str, tuple[ServicePair, ...]]:
        for label in colour_labels:
            pairs = [
                (mine, other)
                for mine in services
                if label in mine.selector and len(mine.selector) >= 2
                for other in self._rest.get((namespace, label, _rest(mine.selector, label)), [])
                if other.selector[label] != mine.selector[label]
            ]
            if pairs:
                return label, tuple(pairs)
        return "", ()


def _rest(selector: dict[str, str], key: str) -> frozenset[tuple[str, str]]:
    return frozenset((k, v) for k, v in selector.items() if k != key)


def named(ref: Ref, patterns: Iterable[str]) -> bool:
    """Whether a profile list (names, ns/name, ns/Kind/name or globs) names this target."""
    keys = (ref.name, f"{ref.namespace}/{ref.name}", str(ref))
    return any(fnmatch.fnmatchcase(k, p) for p in patterns for k in keys)


def not_found(name: str, sources: Sequence[str]) -> list[Finding]:
    """A required service that no source holds cannot be shown to be delivered."""
    return [
        Finding(
            f"required service {name!r} is in no source",
            expected=f"a workload or Rollout named {name!r} in {', '.join(sources)}",
            found="none (kubernetes.progressive_delivery.required names it)",
            fix="correct the name in kubernetes.progressive_delivery.required, or add the "
            "cluster, namespace or manifests that hold the service",
        )
    ]


def unread_template_kinds(delivery: Delivery, index: DeliveryIndex) -> list[str]:
    """Kinds of the analysis templates referenced but not found (maybe not readable)."""
    return sorted(
        {
            ref.kind
            for r in delivery.rollouts
            for ref in r.analyses
            if index.template(r.namespace, ref) is None
        }
    )


def absent_note(inventory: Inventory) -> str:
    """What a cluster said about the delivery CRDs (404: the controller is not installed)."""
    absent = [k for k in DELIVERY_KINDS if k in inventory.absent_crds]
    if not inventory.live or not absent:
        return ""
    tools = []
    if "Rollout" in absent:
        tools.append("Argo Rollouts (rollouts.argoproj.io)")
    if "Canary" in absent:
        tools.append("Flagger (canaries.flagger.app)")
    return f"; not installed in cluster {inventory.source}: {', '.join(tools)} answered 404"


# ---------------------------------------------------------------- strategy


def _rollout_problems(
    r: Rollout, index: DeliveryIndex, accepted: Sequence[str], read_services: bool
) -> list[Finding]:
    found: list[Finding] = []
    if r.strategy is None:
        return [
            Finding(
                f"{r.ref} declares neither a canary nor a blueGreen strategy",
                expected="spec.strategy.canary (with steps) or spec.strategy.blueGreen",
                found="no strategy",
                fix=f"add spec.strategy.canary.steps (setWeight/pause) to {r.ref}",
            )
        ]
    if r.strategy not in accepted:
        found.append(
            Finding(
                f"{r.ref} uses a {r.strategy} strategy, which the profile does not accept",
                expected=f"one of {', '.join(accepted)} ({STRATEGIES_KEY})",
                found=r.strategy,
                fix="change the Rollout's strategy or accept it in the profile",
            )
        )
    if r.strategy == "canary" and not r.canary_steps:
        found.append(
            Finding(
                f"{r.ref} is a canary without steps: an update goes to 100% at once",
                expected="spec.strategy.canary.steps (setWeight, pause, analysis)",
                found="no steps",
                fix="add steps, e.g. setWeight: 20, pause: {duration: 5m}, analysis, setWeight: 50",
            )
        )
    if r.strategy == "blue-green":
        if not r.active_service:
            found.append(
                Finding(
                    f"{r.ref} is blue-green without an activeService",
                    expected="spec.strategy.blueGreen.activeService naming a Service",
                    found="none",
                    fix="set activeService (and previewService) to the Services of the app",
                )
            )
        for field_name, svc in (
            ("activeService", r.active_service),
            ("previewService", r.preview_service),
        ):
            if svc and read_services and not index.has_service(r.namespace, svc):
                found.append(
                    Finding(
                        f"{r.ref}'s {field_name} {svc!r} is not a Service in {r.namespace}",
                        expected=f"a Service {r.namespace}/{svc}",
                        found=f"no Service named {svc!r} in the source",
                        fix=f"create Service {svc} selecting the app's pods, or correct "
                        f"{field_name}",
                    )
                )
    if r.workload_ref is not None and not index.has_workload(r.workload_ref):
        found.append(
            Finding(
                f"{r.ref} runs the template of {r.workload_ref}, which is not in the source",
                expected=f"{r.workload_ref} beside the Rollout",
                found="no such workload",
                fix="declare the referenced Deployment, or correct spec.workloadRef",
            )
        )
    return found


def _canary_problems(c: Canary, index: DeliveryIndex, accepted: Sequence[str]) -> list[Finding]:
    if not index.has_workload(c.target):
        return [
            Finding(
                f"{c.ref} targets {c.target}, which is not in the source",
                expected=f"{c.target} beside the Canary",
                found="no such workload: the Canary promotes nothing",
                fix="declare the targeted workload, or correct spec.targetRef",
            )
        ]
    strategy = c.strategy
    if strategy is None:
        return [
            Finding(
                f"{c.ref} shifts no traffic: its analysis has no stepWeight, maxWeight or "
                "iterations",
                expected="analysis.stepWeight + maxWeight (canary) or analysis.iterations "
                "(blue/green, or A/B testing with match)",
                found=c.variant,
                fix=f"set analysis.stepWeight and analysis.maxWeight on {c.ref}",
            )
        ]
    if strategy not in accepted:
        return [
            Finding(
                f"{c.ref} uses a {strategy} strategy, which the profile does not accept",
                expected=f"one of {', '.join(accepted)} ({STRATEGIES_KEY})",
                found=c.variant,
                fix="change the Canary's analysis or accept the strategy in the profile",
            )
        ]
    return []


def strategy_problems(
    delivery: Delivery,
    index: DeliveryIndex,
    accepted: Sequence[str],
    *,
    read_services: bool = True,
    note: str = "",
) -> list[Finding]:
    """Findings unless one way of delivering the target is sound; none at all is a finding."""
    if delivery.empty:
        return [
            Finding(
                f"{delivery.target} is released without a progressive-delivery strategy",
                expected="an Argo Rollout (canary steps, or blueGreen with activeService and "
                "previewService), a Flagger Canary targeting it, or a blue-green pair of "
                "Services",
                found=f"none{note}",
                fix="install Argo Rollouts or Flagger and declare a Rollout (workloadRef: "
                f"{delivery.target.kind} {delivery.target.name}) or a Canary (targetRef) for it, "
                "or declare two Services selecting it by colour/version",
            )
        ]
    problems: list[list[Finding]] = [
        _rollout_problems(r, index, accepted, read_services) for r in delivery.rollouts
    ]
    problems += [_canary_problems(c, index, accepted) for c in delivery.canaries]
    if delivery.service_pairs:
        problems.append(
            []
            if "blue-green" in accepted
            else [
                Finding(
                    f"{delivery.target} is switched by a blue-green Service pair, which the "
                    "profile does not accept",
                    expected=f"one of {', '.join(accepted)}",
                    found="; ".join(delivery.describe()),
                    fix="deliver it with a canary Rollout or Canary, or accept blue-green",
                )
            ]
        )
    if any(not p for p in problems):
        return []
    return [f for p in problems for f in p]


# ---------------------------------------------------------------- analysis


def _rollout_analysis(r: Rollout, index: DeliveryIndex) -> list[Finding]:
    where = (
        "prePromotionAnalysis or postPromotionAnalysis"
        if r.strategy == "blue-green"
        else "steps[].analysis or strategy.canary.analysis"
    )
    if not r.analyses:
        return [
            Finding(
                f"{r.ref} runs no analysis: nothing aborts a bad release automatically",
                expected=f"{where} referencing an AnalysisTemplate",
                found="no analysis"
                + (
                    f"; abortScaleDownDelaySeconds {r.abort_scale_down_delay} only says "
                    "what happens after an abort"
                    if r.abort_scale_down_delay is not None
                    else ""
                ),
                fix=f"add {where} with an AnalysisTemplate whose metrics have a "
                "successCondition or failureCondition (and a failureLimit)",
            )
        ]
    found: list[Finding] = []
    judged: list[str] = []
    unjudged: list[str] = []
    for ref in r.analyses:
        template = index.template(r.namespace, ref)
        if template is None:
            found.append(
                Finding(
                    f"{r.ref} ({ref.stage}) references {ref.kind} {ref.name!r}, which is not in "
                    "the source",
                    expected=f"{ref.kind} {ref.name}"
                    + ("" if ref.cluster_scope else f" in {r.namespace}"),
                    found="none: the AnalysisRun would fail to start",
                    fix=f"declare {ref.kind} {ref.name}, or correct templateName",
                )
            )
            continue
        for m in template.metrics:
            (judged if m.can_fail else unjudged).append(f"{template.ref.name}/{m.name}")
    if not found and not judged:
        found.append(
            Finding(
                f"{r.ref}'s analysis has no abort condition: no metric can fail",
                expected="a metric with successCondition or failureCondition (or a job "
                "provider), with failureLimit other than -1",
                found=f"metrics {', '.join(unjudged) or 'none'} always succeed",
                fix="add successCondition (e.g. result[0] >= 0.95) and failureLimit to the "
                "template's metrics",
            )
        )
    return found


def _canary_analysis(c: Canary) -> list[Finding]:
    if not c.analysis:
        return [
            Finding(
                f"{c.ref} has no analysis",
                expected="spec.analysis with metrics (thresholdRange) or webhooks",
                found="no spec.analysis",
                fix="add spec.analysis with interval, threshold and metrics",
            )
        ]
    if c.skip_analysis:
        return [
            Finding(
                f"{c.ref} skips its analysis (skipAnalysis: true): releases are promoted unchecked",
                expected="skipAnalysis false",
                found="skipAnalysis: true",
                fix=f"remove skipAnalysis from {c.ref}",
            )
        ]
    gating = [m.name for m in c.metrics if m.has_threshold]
    gating += [f"webhook {h.name} ({h.type})" for h in c.webhooks if h.gates]
    if not gating:
        return [
            Finding(
                f"{c.ref}'s analysis has no abort condition: nothing counts against threshold "
                f"{c.threshold}",
                expected="a metric with thresholdRange (min/max) or a pre-rollout/rollout webhook",
                found=f"metrics {', '.join(m.name for m in c.metrics) or 'none'} without "
                "thresholdRange; no gating webhook",
                fix="add metrics such as request-success-rate with thresholdRange.min: 99",
            )
        ]
    return []


def analysis_problems(delivery: Delivery, index: DeliveryIndex, note: str = "") -> list[Finding]:
    """Findings unless one Rollout or Canary of the target analyses and can abort."""
    if not (delivery.rollouts or delivery.canaries):
        return [
            Finding(
                f"{delivery.target} has no Rollout or Canary to analyse its releases",
                expected="an Argo Rollout or Flagger Canary with an analysis that can abort "
                "the release",
                found=f"none{note}",
                fix="install Argo Rollouts or Flagger and declare a Rollout or Canary with "
                "analysis for it",
            )
        ]
    problems = [_rollout_analysis(r, index) for r in delivery.rollouts]
    problems += [_canary_analysis(c) for c in delivery.canaries]
    if any(not p for p in problems):
        return []
    return [f for p in problems for f in p]


def analysis_summary(delivery: Delivery, index: DeliveryIndex) -> dict[str, object]:
    """Evidence: what each Rollout and Canary analyses, and its abort conditions."""
    out: dict[str, object] = {}
    for r in delivery.rollouts:
        metrics: dict[str, object] = {}
        for ref in r.analyses:
            template = index.template(r.namespace, ref)
            metrics[f"{ref.stage}: {ref.kind}/{ref.name}"] = (
                None
                if template is None
                else {
                    m.name: {
                        "provider": m.provider,
                        "successCondition": m.success_condition or None,
                        "failureCondition": m.failure_condition or None,
                        "failureLimit": m.failure_limit,
                    }
                    for m in template.metrics
                }
            )
        out[str(r.ref)] = {
            "strategy": r.strategy,
            "analysis": metrics,
            "abortScaleDownDelaySeconds": r.abort_scale_down_delay,
        }
    for c in delivery.canaries:
        out[str(c.ref)] = {
            "strategy": c.variant,
            "skipAnalysis": c.skip_analysis,
            "threshold": c.threshold,
            "metrics": {
                m.name: {"min": m.threshold_min, "max": m.threshold_max} for m in c.metrics
            },
            "webhooks": {h.name: h.type for h in c.webhooks},
        }
    return out
