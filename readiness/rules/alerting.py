"""Alerting rules quality and presence. Pure: typed evidence in, findings out."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlparse

import promql_parser as pp

from readiness.findings import Finding
from readiness.profile.alerting import RequiredAlert, Watch
from readiness.rules.alerting_model import (
    Rule,
    RuleGroup,
    RuleSet,
    format_duration,
    parse_duration,
)
from readiness.rules.alerting_promql import (
    Analysis,
    Comparison,
    PromQLError,
    Selector,
    analyse,
)
from readiness.rules.alerting_templates import template_error

MAX_EXPANSION_DEPTH = 3


def is_exempt(rule: Rule, exempt: Sequence[str]) -> bool:
    return any(re.fullmatch(p, rule.name) for p in exempt)


# -- validity (what `promtool check rules` refuses) -------------------------------------


def validity_findings(ruleset: RuleSet) -> list[Finding]:
    """Structural problems, unparsable expressions, templates that do not parse."""
    findings = [
        Finding(
            p.render(),
            expected="a valid Prometheus rule file",
            found=p.message,
            fix="fix the rule file; `promtool check rules FILE` shows the same problem",
        )
        for p in ruleset.problems
    ]
    for rule in ruleset.rules:
        try:
            analyse(rule.expr)
        except PromQLError as exc:
            findings.append(
                Finding(
                    f"{rule.where}: could not parse expression: {exc}",
                    expected="a PromQL expression that parses",
                    found=_clip(rule.expr),
                    fix="correct the expression (try it in the Prometheus UI or promtool)",
                )
            )
        if rule.kind != "alerting":
            continue
        for kind, values in (("annotation", rule.annotations), ("label", rule.labels)):
            for key, text in sorted(values.items()):
                error = template_error(text, f"__alert_{rule.name}")
                if error:
                    findings.append(
                        Finding(
                            f"{rule.where}: {kind} {key!r}: {error}",
                            expected="a Go template that parses (e.g. {{ $labels.instance }})",
                            found=_clip(text),
                            fix="use $labels.<name>, $value, $externalLabels and Prometheus "
                            "template functions; close every {{ }} and {{ if }}…{{ end }}",
                        )
                    )
    return findings


# -- per-rule practice -------------------------------------------------------------------


def severity_findings(
    ruleset: RuleSet, allowed: Sequence[str], exempt: Sequence[str] = ()
) -> list[Finding]:
    findings = []
    for rule in ruleset.alerts:
        if is_exempt(rule, exempt):
            continue
        severity = rule.severity
        if severity is None:
            findings.append(
                Finding(
                    f"{rule.where}: no severity label",
                    expected=f"labels.severity one of {', '.join(allowed)}",
                    found="no severity label",
                    fix="add labels: {severity: ...}; Alertmanager routes on it",
                )
            )
        elif severity not in allowed:
            findings.append(
                Finding(
                    f"{rule.where}: severity {severity!r} is not allowed",
                    expected=f"one of {', '.join(allowed)}",
                    found=severity,
                    fix="use one of the severities the routing tree knows",
                )
            )
    return findings + duplicate_findings(ruleset)


def _normalised(expr: str) -> str:
    try:
        return str(pp.parse(expr))
    except (ValueError, RuntimeError):
        return " ".join(expr.split())


def duplicate_findings(ruleset: RuleSet) -> list[Finding]:
    """Same alert name and same expression twice: conflicting or doubled notifications.

    Tiers (one name, different thresholds, different severities) are a common practice
    and not reported.
    """
    by_key: dict[tuple[str, str], list[Rule]] = defaultdict(list)
    for rule in ruleset.alerts:
        by_key[(rule.name, _normalised(rule.expr))].append(rule)
    findings = []
    for (name, _), rules in sorted(by_key.items()):
        if len(rules) < 2:
            continue
        severities = sorted({r.severity or "(none)" for r in rules})
        places = "; ".join(r.where for r in rules)
        if len(severities) > 1:
            findings.append(
                Finding(
                    f"alert {name!r} is defined {len(rules)} times with the same expression "
                    f"and conflicting severities {', '.join(severities)}",
                    expected="one severity per alert condition",
                    found=places,
                    fix="keep one rule, or make the tiers differ by threshold",
                )
            )
        else:
            findings.append(
                Finding(
                    f"alert {name!r} is defined {len(rules)} times with the same expression",
                    expected="each alert defined once",
                    found=places,
                    fix="remove the duplicate; it doubles every notification",
                )
            )
    return findings


def annotation_findings(
    ruleset: RuleSet, required: Sequence[str], exempt: Sequence[str] = ()
) -> list[Finding]:
    findings = []
    for rule in ruleset.alerts:
        if is_exempt(rule, exempt):
            continue
        missing = [k for k in required if not rule.annotations.get(k, "").strip()]
        if missing:
            findings.append(
                Finding(
                    f"{rule.where}: missing annotation(s) {', '.join(missing)}",
                    expected=f"annotations {', '.join(required)}",
                    found=", ".join(sorted(rule.annotations)) or "no annotations",
                    fix="say what is wrong (summary) and what it means (description)",
                )
            )
    return findings


def for_findings(
    ruleset: RuleSet,
    min_for_seconds: float,
    critical: Sequence[str],
    exempt: Sequence[str] = (),
) -> list[Finding]:
    findings = []
    for rule in ruleset.alerts:
        if is_exempt(rule, exempt) or rule.severity in critical:
            continue
        if rule.for_seconds < min_for_seconds:
            findings.append(
                Finding(
                    f"{rule.where}: for {format_duration(rule.for_seconds)} is shorter than "
                    f"{format_duration(min_for_seconds)}",
                    expected=f"for >= {format_duration(min_for_seconds)} for a "
                    f"{rule.severity or 'non-critical'} alert",
                    found=f"for: {format_duration(rule.for_seconds)}",
                    fix="add `for:` so a blip does not notify anyone",
                )
            )
    return findings


def runbook_urls(ruleset: RuleSet) -> list[str]:
    """Runbook URLs that can be fetched as written (no template, http/https)."""
    urls = []
    for rule in ruleset.alerts:
        url = rule.annotations.get("runbook_url", "").strip()
        if url and "{{" not in url and urlparse(url).scheme in ("http", "https"):
            urls.append(url)
    return sorted(set(urls))


def runbook_findings(
    ruleset: RuleSet,
    statuses: Mapping[str, object],
    *,
    required: bool = True,
    exempt: Sequence[str] = (),
) -> list[Finding]:
    """Missing, malformed or unreachable ``runbook_url``s.

    ``statuses`` maps a URL to an object with ``ok`` and ``describe()`` (a RunbookStatus);
    URLs absent from it were not checked.
    """
    findings = []
    for rule in ruleset.alerts:
        if is_exempt(rule, exempt):
            continue
        url = rule.annotations.get("runbook_url", "").strip()
        if not url:
            if required:
                findings.append(
                    Finding(
                        f"{rule.where}: no runbook_url annotation",
                        expected="annotations.runbook_url pointing at the runbook",
                        found="none",
                        fix="write a runbook (what to check, how to mitigate) and link it",
                    )
                )
            continue
        if "{{" in url:
            continue
        parsed = urlparse(url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            findings.append(
                Finding(
                    f"{rule.where}: runbook_url {url!r} is not an http(s) URL",
                    expected="an absolute http(s) URL",
                    found=url,
                    fix="link the runbook with its full URL",
                )
            )
            continue
        status = statuses.get(url)
        if status is not None and not getattr(status, "ok", False):
            describe = getattr(status, "describe", lambda: "unreachable")
            findings.append(
                Finding(
                    f"{rule.where}: runbook {url} is not reachable ({describe()})",
                    expected="the runbook answers 2xx/3xx",
                    found=str(describe()),
                    fix="fix the link or publish the runbook",
                )
            )
    return findings


# -- required alerts ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Candidate:
    rule: Rule
    problems: tuple[str, ...]


@dataclass(slots=True)
class RequirementResult:
    requirement: str
    satisfied_by: list[Rule] = field(default_factory=list)
    candidates: list[Candidate] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.satisfied_by)


def for_service(req: RequiredAlert, service: str) -> RequiredAlert:
    """The requirement with ``{service}`` replaced (escaped where the value is a regex)."""
    esc = re.escape(service)

    def sub(value: str, regex: bool) -> str:
        return value.replace("{service}", esc if regex else service)

    watches = [
        w.model_copy(
            update={
                "selects": {k: sub(v, False) for k, v in w.selects.items()},
                "filters": {k: sub(v, False) for k, v in w.filters.items()},
            }
        )
        for w in req.watches
    ]
    return req.model_copy(
        update={
            "name": None if req.name is None else sub(req.name, True),
            "labels": {k: sub(v, True) for k, v in req.labels.items()},
            "watches": watches,
        }
    )


def describe_requirement(req: RequiredAlert) -> str:
    parts = []
    if req.name:
        parts.append(f"name ~ {req.name}")
    if req.labels:
        parts.append("labels " + ", ".join(f"{k}~{v}" for k, v in req.labels.items()))
    if req.watches:
        parts.append("watching " + " or ".join(describe_watch(w) for w in req.watches))
    if req.min_for:
        parts.append(f"for >= {req.min_for}")
    if req.max_for:
        parts.append(f"for <= {req.max_for}")
    if req.severity:
        parts.append(f"severity {req.severity}")
    return "an alerting rule with " + "; ".join(parts)


def describe_watch(w: Watch) -> str:
    text = w.metric
    if w.function:
        text = f"{w.function}(..{text}..)"
    labels = [f"{k}={v}" for k, v in w.selects.items()] + [
        f"{k} filtered to {v}" for k, v in w.filters.items()
    ]
    if labels:
        text += "{" + ", ".join(labels) + "}"
    if w.op:
        text += f" {w.op} {'' if w.threshold is None else _num(w.threshold)}".rstrip()
    return text


def _num(value: float) -> str:
    return f"{value:g}"


def check_requirement(
    key: str, req: RequiredAlert, ruleset: RuleSet | Sequence[Rule], min_for: float | None = None
) -> RequirementResult:
    """Which alerting rules satisfy ``req``; near misses with what is wrong with them."""
    rules = ruleset.rules if isinstance(ruleset, RuleSet) else tuple(ruleset)
    recording = _recording_index(rules)
    result = RequirementResult(key)
    for rule in rules:
        if rule.kind != "alerting":
            continue
        if req.name is not None and not re.fullmatch(req.name, rule.name):
            continue
        if any(not re.fullmatch(v, rule.labels.get(k, "")) for k, v in req.labels.items()):
            continue
        problems: list[str] = []
        if req.watches:
            analysis = _expanded(rule.expr, recording)
            if analysis is None:
                continue
            outcomes = [_watch_problems(w, analysis) for w in req.watches]
            matched = [p for p in outcomes if p is not None]
            if not matched:
                continue
            problems = min(matched, key=len)
        lower = parse_seconds(req.min_for) if req.min_for else min_for
        if lower is not None and rule.for_seconds < lower:
            problems.append(f"for {format_duration(rule.for_seconds)} < {format_duration(lower)}")
        if req.max_for and rule.for_seconds > parse_seconds(req.max_for):
            problems.append(f"for {format_duration(rule.for_seconds)} > {req.max_for}")
        if req.severity and rule.severity != req.severity:
            problems.append(f"severity {rule.severity or '(none)'} instead of {req.severity}")
        if problems:
            result.candidates.append(Candidate(rule, tuple(problems)))
        else:
            result.satisfied_by.append(rule)
    return result


def parse_seconds(text: str) -> float:
    return parse_duration(text)


def requirement_findings(
    result: RequirementResult, req: RequiredAlert, target: str, total_alerts: int
) -> list[Finding]:
    if result.ok:
        return []
    expected = describe_requirement(req)
    if not result.candidates:
        return [
            Finding(
                f"required alert {result.requirement!r} is missing from {target}",
                expected=expected,
                found=f"none of the {total_alerts} alerting rules matches",
                fix=req.description or "add an alerting rule that meets the requirement",
            )
        ]
    return [
        Finding(
            f"required alert {result.requirement!r}: {c.rule.where} comes close but "
            + "; ".join(c.problems),
            expected=expected,
            found=f"{c.rule.name}: {_clip(c.rule.expr)} (for {format_duration(c.rule.for_seconds)},"
            f" severity {c.rule.severity or '(none)'})",
            fix="adjust the rule so it meets the requirement",
        )
        for c in result.candidates[:5]
    ]


def _recording_index(rules: Iterable[Rule]) -> dict[str, list[str]]:
    index: dict[str, list[str]] = defaultdict(list)
    for rule in rules:
        if rule.kind == "recording":
            index[rule.name].append(rule.expr)
    return index


def _expanded(expr: str, recording: Mapping[str, list[str]]) -> Analysis | None:
    """The analysis of ``expr`` with recording rules it reads expanded (a few levels)."""
    try:
        base = analyse(expr)
    except PromQLError:
        return None
    return _expand(base, recording, 0)


def _expand(analysis: Analysis, recording: Mapping[str, list[str]], depth: int) -> Analysis:
    if depth >= MAX_EXPANSION_DEPTH:
        return analysis
    extra: dict[Selector, list[Selector]] = {}
    comparisons: list[Comparison] = []
    for sel in analysis.selectors:
        for name in sel.metric_names():
            for rexpr in recording.get(name, ()):
                try:
                    inner = _expand(analyse(rexpr), recording, depth + 1)
                except PromQLError:
                    continue
                wrapped = [
                    Selector(s.metric, s.matchers, sel.functions + s.functions, s.text)
                    for s in inner.selectors
                ]
                extra.setdefault(sel, []).extend(wrapped)
                comparisons.extend(inner.comparisons)
    if not extra:
        return analysis
    selectors = list(analysis.selectors) + [s for group in extra.values() for s in group]
    for comp in analysis.comparisons:
        expanded = list(comp.selectors)
        for sel in comp.selectors:
            expanded.extend(extra.get(sel, ()))
        comparisons.append(Comparison(comp.op, comp.threshold, tuple(expanded)))
    functions = set(analysis.functions) | {f for s in selectors for f in s.functions}
    return Analysis(tuple(selectors), tuple(comparisons), frozenset(functions))


_SAME_DIRECTION = {
    ">": (">", ">="),
    ">=": (">", ">="),
    "<": ("<", "<="),
    "<=": ("<", "<="),
    "==": ("==",),
    "!=": ("!=",),
}


def _watch_problems(w: Watch, analysis: Analysis) -> list[str] | None:
    """None: the expression does not watch this at all; else what falls short."""
    selectors = [s for s in analysis.selectors if not s.inside_absent and _selector_fits(w, s)]
    if not selectors:
        return None
    if w.op is None:
        return []
    comparisons = [
        c
        for c in analysis.comparisons
        if c.op in _SAME_DIRECTION[w.op] and any(s in c.selectors for s in selectors)
    ]
    if not comparisons:
        return None
    if w.threshold is None:
        return []
    shortfalls = []
    for comp in comparisons:
        value = _scaled(comp.threshold, w.threshold)
        if _fires_in_time(w.op, value, w.threshold):
            return []
        shortfalls.append(
            f"fires at {comp.op} {_num(comp.threshold)}, expected {w.op} {_num(w.threshold)}"
        )
    return shortfalls[:1]


def _selector_fits(w: Watch, sel: Selector) -> bool:
    if not sel.selects_metric(w.metric):
        return False
    if w.function and not any(re.fullmatch(w.function, f) for f in sel.functions):
        return False
    for label, value in w.selects.items():
        if not all(m.accepts(value) for m in sel.matchers_for(label)):
            return False
    for labels, value in w.filters.items():
        names = labels.split("|")
        explicit = [m for m in sel.matchers if m.name in names]
        if not explicit or not all(m.accepts(value) for m in explicit):
            return False
    return True


def _scaled(rule_value: float, wanted: float) -> float:
    """A percentage in the rule (80) against a ratio in the profile (0.8). A wanted 1 is
    a value (1 second), not 100 %: a ratio requirement is below 1."""
    if 0 < abs(wanted) < 1 and 1 < abs(rule_value) <= 100:
        return rule_value / 100
    return rule_value


def _fires_in_time(op: str, rule_value: float, wanted: float) -> bool:
    eps = 1e-9
    if op in (">", ">="):
        return rule_value <= wanted + eps
    if op in ("<", "<="):
        return rule_value >= wanted - eps
    return abs(rule_value - wanted) <= eps


# -- live ----------------------------------------------------------------------------------


def health_findings(
    groups: Sequence[RuleGroup], reload: tuple[bool, str] = (True, "")
) -> list[Finding]:
    findings = []
    reload_ok, since = reload
    if not reload_ok:
        findings.append(
            Finding(
                "the last configuration reload failed: Prometheus still runs the rules loaded "
                + (f"at {since}" if since else "before it"),
                expected="reloadConfigSuccess true (/api/v1/status/runtimeinfo)",
                found="reloadConfigSuccess false",
                fix="run `promtool check config` / `promtool check rules` on the deployed "
                "files, fix them and reload; the Prometheus log names the error",
            )
        )
    for group in groups:
        if group.last_evaluation is None:
            findings.append(
                Finding(
                    f"{group.source} group {group.name!r} has never been evaluated",
                    expected="every rule group evaluated",
                    found="lastEvaluation unset",
                    fix="check the rule evaluation interval and the Prometheus log",
                )
            )
        for rule in group.rules:
            if rule.health == "ok" and not rule.last_error:
                continue
            if rule.health == "unknown" and not rule.last_error and group.last_evaluation is None:
                continue  # already reported for the group
            findings.append(
                Finding(
                    f"{rule.where}: health {rule.health or '?'}"
                    + (f": {rule.last_error}" if rule.last_error else ""),
                    expected="health ok, no lastError",
                    found=rule.last_error or f"health {rule.health}",
                    fix="fix the expression so it evaluates (see lastError)",
                )
            )
    return findings


def live_selectors(ruleset: RuleSet, produced: Iterable[str] = ()) -> dict[str, list[Rule]]:
    """Selectors whose series must exist, with the rules reading them.

    Skipped: selectors inside ``absent()``, and series that a recording rule of this
    rule set (or one of ``produced``, e.g. the live server's) produces.
    """
    produced = {r.name for r in ruleset.rules if r.kind == "recording"} | set(produced)
    wanted: dict[str, list[Rule]] = defaultdict(list)
    for rule in ruleset.rules:
        try:
            analysis = analyse(rule.expr)
        except PromQLError:
            continue
        for sel in analysis.selectors:
            if sel.inside_absent or any(n in produced for n in sel.metric_names()):
                continue
            wanted[sel.text].append(rule)
    return dict(wanted)


def series_findings(
    selectors: Mapping[str, Sequence[Rule]], exists: Mapping[str, bool], lookback: str
) -> list[Finding]:
    findings = []
    for text, rules in sorted(selectors.items()):
        if exists.get(text, True):
            continue
        names = ", ".join(sorted({r.name for r in rules})[:5])
        findings.append(
            Finding(
                f"{text} matches no series in the last {lookback} (read by {names})",
                expected="every selector of a rule matches existing series",
                found=f"no series for {text}",
                fix="fix the metric name or labels, or make sure the target exporting it is "
                "scraped; wrap intentional absence checks in absent()",
            )
        )
    return findings


def _clip(text: str, limit: int = 160) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
