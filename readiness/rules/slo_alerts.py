"""Burn-rate alert coverage: which loaded alerting rules watch an SLO, and which are missing.

An alerting rule belongs to an SLO when it carries Sloth's (``sloth_service``/``sloth_slo``)
or Pyrra's (``slo``) identity, in its labels or its selectors, or when its expression reads
the SLI's metrics. Its windows come from range selectors (``[1h]``), from recording-rule
names (``…ratio_rate1h``, ``…burnrate5m``), from Pyrra's ``long``/``short`` labels and,
one level deep, from the recording rules it reads.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import yaml

from readiness.findings import Finding
from readiness.rules.slo import CONDITIONS, BurnCondition
from readiness.rules.slo_model import Objective, error_ratio_expr, metric_names, parse_duration

_RANGE_RE = re.compile(r"\[\s*(\d+(?:ms|[smhdwy])(?:\d+(?:ms|[smhdwy]))*)\s*(?::[^\]]*)?\]")
_NAME_WINDOW_RE = re.compile(r"(?:rate|burnrate|ratio|window|_)((?:\d+(?:ms|[smhdwy]))+)$")
_MATCHER_RE = re.compile(r"\b([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*\"([^\"]*)\"")
RUNBOOK_KEYS = ("runbook_url", "runbook", "playbook", "playbook_url")
SEVERITY_KEYS = ("severity", "sloth_severity")


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule as Prometheus reports it from /api/v1/rules."""

    name: str
    kind: str  # "alerting" or "recording"
    expr: str
    group: str = ""
    file: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    health: str = "ok"


@dataclass(frozen=True, slots=True)
class AlertMatch:
    rule: Rule
    reason: str
    windows: frozenset[int]

    def as_dict(self) -> dict[str, object]:
        return {
            "alert": self.rule.name,
            "group": self.rule.group,
            "file": self.rule.file,
            "recognised_by": self.reason,
            "windows": sorted(self.windows),
            "severity": severity_of(self.rule),
            "runbook": runbook_of(self.rule),
            "health": self.rule.health,
        }


def severity_of(rule: Rule) -> str:
    for key in SEVERITY_KEYS:
        if rule.labels.get(key):
            return rule.labels[key]
    return ""


def runbook_of(rule: Rule) -> str:
    for source in (rule.annotations, rule.labels):
        for key in RUNBOOK_KEYS:
            if source.get(key):
                return source[key]
    return ""


def _windows_in(text: str) -> set[int]:
    found = set()
    for match in _RANGE_RE.finditer(text):
        try:
            found.add(parse_duration(match.group(1)))
        except ValueError:
            continue
    return found


def _names_in(expr: str) -> set[str]:
    return metric_names(expr)


def rule_windows(rule: Rule, recordings: Mapping[str, Sequence[Rule]]) -> frozenset[int]:
    windows = _windows_in(rule.expr)
    for key in ("long", "short", "sloth_window", "window"):
        value = rule.labels.get(key)
        if value:
            with contextlib.suppress(ValueError):
                windows.add(parse_duration(value))
    for name in _names_in(rule.expr):
        match = _NAME_WINDOW_RE.search(name)
        if match:
            try:
                windows.add(parse_duration(match.group(1)))
                continue
            except ValueError:
                pass
        for recorded in recordings.get(name, ()):
            windows |= _windows_in(recorded.expr)
    return frozenset(windows)


def _identity(rule: Rule) -> dict[str, str]:
    """Labels the rule carries plus equality matchers in its expression."""
    ident = {k: v for k, v in _MATCHER_RE.findall(rule.expr)}
    ident.update(rule.labels)
    return ident


def recognise(
    objective: Objective, rule: Rule, recordings: Mapping[str, Sequence[Rule]]
) -> str | None:
    """Why ``rule`` watches ``objective``, or None."""
    ident = _identity(rule)
    if ident.get("sloth_id") == f"{objective.service}-{objective.name}" or (
        ident.get("sloth_slo") == objective.name
        and ident.get("sloth_service", objective.service) == objective.service
    ):
        return "sloth labels"
    if ident.get("slo") == objective.name and ident.get("service", objective.service) in (
        objective.service,
    ):
        return "slo label" if "service" not in ident else "service and slo labels"
    if any(k.startswith("sloth_") for k in ident) or "slo" in ident:
        return None  # another SLO's generated rule
    mine = objective.sli.metric_names
    if not mine:
        return None
    read = _names_in(rule.expr)
    if read & mine:
        return f"expression reads {', '.join(sorted(read & mine))}"
    for name in read:
        recorded = recordings.get(name, ())
        if len(recorded) == 1 and _names_in(recorded[0].expr) & mine:
            return f"expression reads recording rule {name} over the SLI metrics"
    return None


def _close(have: int, want: int) -> bool:
    return 0.74 <= have / want <= 1.34


def covers(windows: frozenset[int], condition: BurnCondition) -> bool:
    return all(any(_close(w, parse_duration(want)) for w in windows) for want in condition.windows)


@dataclass(frozen=True, slots=True)
class Coverage:
    objective: Objective
    alerts: tuple[AlertMatch, ...]
    covered: Mapping[str, tuple[str, ...]]  # condition label -> alert names
    missing: tuple[BurnCondition, ...]
    conditions: tuple[BurnCondition, ...] = CONDITIONS

    def as_dict(self) -> dict[str, object]:
        return {
            "alerts": [a.as_dict() for a in self.alerts],
            "conditions": {c.label: list(self.covered.get(c.label, ())) for c in self.conditions},
            "missing": [c.label for c in self.missing],
        }


def coverage(
    objective: Objective,
    rules: Sequence[Rule],
    conditions: Sequence[BurnCondition] = CONDITIONS,
) -> Coverage:
    recordings: dict[str, list[Rule]] = {}
    for r in rules:
        if r.kind == "recording":
            recordings.setdefault(r.name, []).append(r)
    matches = []
    for r in rules:
        if r.kind != "alerting":
            continue
        reason = recognise(objective, r, recordings)
        if reason:
            matches.append(AlertMatch(r, reason, rule_windows(r, recordings)))
    covered = {
        c.label: tuple(m.rule.name for m in matches if covers(m.windows, c)) for c in conditions
    }
    missing = tuple(c for c in conditions if not covered[c.label])
    return Coverage(objective, tuple(matches), covered, missing, tuple(conditions))


def alert_name(objective: Objective) -> str:
    words = re.split(r"[^a-zA-Z0-9]+", f"{objective.service} {objective.name}")
    return "".join(w[:1].upper() + w[1:] for w in words if w) + "ErrorBudgetBurn"


def burn_rate_rules(
    objective: Objective,
    runbook_url: str,
    conditions: Sequence[BurnCondition] = CONDITIONS,
) -> list[dict[str, object]]:
    """Prometheus alerting rules implementing ``conditions`` for ``objective``."""
    rules: list[dict[str, object]] = []
    for severity in dict.fromkeys(c.severity_label for c in conditions):
        mine = [c for c in conditions if c.severity_label == severity]
        parts = []
        for c in mine:
            threshold = f"({c.factor:g} * {objective.budget:.6g})"
            parts.append(
                "("
                + "\n and ".join(
                    f"{error_ratio_expr(objective, w)} > {threshold}" for w in c.windows
                )
                + ")"
            )
        rules.append(
            {
                "alert": alert_name(objective),
                "expr": "\nor\n".join(parts),
                "labels": {
                    "severity": severity,
                    "service": objective.service,
                    "slo": objective.name,
                },
                "annotations": {
                    "summary": f"{objective.id} burns its {objective.window_text} error "
                    f"budget too fast ({severity})",
                    "runbook_url": runbook_url,
                },
            }
        )
    return rules


class _BlockDumper(yaml.SafeDumper):
    """Multi-line strings (rule expressions) as ``|`` blocks, as people write them."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _str)


def coverage_findings(cov: Coverage, require_runbook: bool, runbook_hint: str) -> list[Finding]:
    objective = cov.objective
    findings = []
    if cov.missing:
        suggestion = yaml.dump(
            burn_rate_rules(objective, runbook_hint, cov.missing),
            Dumper=_BlockDumper,
            sort_keys=False,
            width=200,
        )
        found = (
            "no burn-rate alerting rule for this SLO is loaded"
            if not cov.alerts
            else "rules "
            + ", ".join(sorted({a.rule.name for a in cov.alerts}))
            + " cover only "
            + (", ".join(c for c, n in cov.covered.items() if n) or "nothing")
        )
        findings.append(
            Finding(
                f"SLO {objective.id} lacks burn-rate alerts for: "
                + "; ".join(c.label for c in cov.missing),
                expected="multiwindow multi-burn-rate alerts: "
                + "; ".join(c.label for c in cov.conditions),
                found=found,
                fix="load rules such as (or generate them with sloth/pyrra):\n"
                + suggestion.rstrip(),
            )
        )
    for match in cov.alerts:
        problems = []
        if not severity_of(match.rule):
            problems.append("no severity label")
        if require_runbook and not runbook_of(match.rule):
            problems.append("no runbook_url annotation")
        if match.rule.health == "err":
            problems.append("its last evaluation failed")
        if problems:
            findings.append(
                Finding(
                    f"burn-rate alert {match.rule.name} of SLO {objective.id}: "
                    + "; ".join(problems),
                    expected="severity label and runbook_url annotation on every burn-rate alert",
                    found=f"labels {dict(match.rule.labels)}, annotations "
                    f"{sorted(match.rule.annotations)} in {match.rule.file or match.rule.group}",
                    fix="add labels: {severity: <an allowed severity>} and annotations: "
                    "{runbook_url: https://…} to the rule",
                )
            )
    return findings
