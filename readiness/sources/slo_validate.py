"""Sloth and Pyrra spec validation, rule for rule as their own validators.

Sloth: ``pkg/common/validation/slo.go`` (what ``sloth validate`` runs): names, objective
in (0, 100], exactly one of events/raw SLI (plugins aside), error and total queries not the
same, every query templated on ``{{ .window }}`` and valid PromQL, an alert name unless
both alerts are disabled, Prometheus-valid label and annotation keys and values.

Pyrra: ``ServiceLevelObjective.validate`` (its admission webhook): a name, a target in
[0, 100] (a target below 1 is only a warning there), a Prometheus duration window, one
indicator; ratio metrics are plain vector selectors, a latency success metric carries a
float ``le`` matcher, every metric parses.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import promql_parser

from readiness.rules.slo_model import parse_duration, render_window
from readiness.sources.slo_openslo import Problem

SLOTH_NAME = re.compile(r"^[A-Za-z0-9][-A-Za-z0-9_.]*[A-Za-z0-9]$")
SLOTH_WINDOW = re.compile(r"\{\{ *\.window *\}\}")
LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
_PROM_DURATION = re.compile(r"^((\d+)y)?((\d+)w)?((\d+)d)?((\d+)h)?((\d+)m)?((\d+)s)?((\d+)ms)?$")


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _promql(query: str) -> str | None:
    """The parse error of ``query`` (rendered for the 1m window), None when it parses."""
    try:
        promql_parser.parse(render_window(query, "1m"))
    except (ValueError, RuntimeError) as exc:
        return str(exc)
    return None


def _labels(found: list[Problem], value: Any, path: str, what: str, annotations: bool) -> None:
    if not isinstance(value, Mapping):
        return
    for key, val in value.items():
        if str(key) == "__name__" and not annotations:
            found.append(Problem(f"{path}.{key}", f'the {what} key "__name__" is not allowed'))
        elif not LABEL_NAME.match(str(key)):
            found.append(Problem(f"{path}.{key}", f"the {what} key {key!r} is not valid"))
        if _text(val) == "":
            found.append(Problem(f"{path}.{key}", f"the {what} value is required"))


def sloth_problems(doc: Mapping[str, Any], crd: bool) -> list[Problem]:
    """What ``sloth validate`` rejects in one Sloth spec (``prometheus/v1`` file or CRD)."""
    found: list[Problem] = []
    spec = doc.get("spec") if crd else doc
    base = "spec" if crd else ""
    if not isinstance(spec, Mapping):
        return [Problem(base or ".", "the spec is required")]

    def at(key: str) -> str:
        return f"{base}.{key}" if base else key

    service = _text(spec.get("service"))
    if not SLOTH_NAME.match(service):
        found.append(Problem(at("service"), f"invalid SLO service {service!r}: " + _NAME_RULE))
    _labels(found, spec.get("labels"), at("labels"), "label", annotations=False)
    slos = spec.get("slos")
    if not isinstance(slos, list) or not slos:
        return [*found, Problem(at("slos"), "at least one SLO is required")]
    keys = ("errorQuery", "totalQuery", "errorRatioQuery") if crd else _SNAKE
    for i, slo in enumerate(slos):
        path = at(f"slos[{i}]")
        if not isinstance(slo, Mapping):
            found.append(Problem(path, "expected a mapping"))
            continue
        name = _text(slo.get("name"))
        if not SLOTH_NAME.match(name):
            found.append(Problem(f"{path}.name", f"invalid SLO name {name!r}: " + _NAME_RULE))
        try:
            objective = float(slo.get("objective"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            objective = 0.0
        if not 0 < objective <= 100:
            found.append(Problem(f"{path}.objective", "objective must >0 and <=100"))
        _labels(found, slo.get("labels"), f"{path}.labels", "label", annotations=False)
        found += _sloth_sli(slo.get("sli"), f"{path}.sli", keys)
        found += _sloth_alerting(slo.get("alerting"), f"{path}.alerting", crd)
    return found


_NAME_RULE = (
    "must start and end with an alphanumeric and can only contain alphanumeric, '.', '_', and '-'"
)
_SNAKE = ("error_query", "total_query", "error_ratio_query")


def _sloth_sli(sli: Any, path: str, keys: tuple[str, str, str]) -> list[Problem]:
    if not isinstance(sli, Mapping):
        return [Problem(path, "at least one SLI type is required")]
    events, raw = sli.get("events"), sli.get("raw")
    if events is None and raw is None:
        if sli.get("plugin") is not None:
            plugin = sli["plugin"]
            if not isinstance(plugin, Mapping) or not _text(plugin.get("id")):
                return [Problem(f"{path}.plugin.id", "plugin ID is required")]
            return []
        return [Problem(path, "at least one SLI type is required")]
    if events is not None and raw is not None:
        return [Problem(path, "only one SLI type is allowed")]
    found: list[Problem] = []
    queries: list[tuple[str, str]] = []
    if isinstance(events, Mapping):
        error, total = _text(events.get(keys[0])), _text(events.get(keys[1]))
        if error == total:
            found.append(
                Problem(f"{path}.events", "both error and total queries can't be the same")
            )
        queries = [(f"{path}.events.{keys[0]}", error), (f"{path}.events.{keys[1]}", total)]
    elif isinstance(raw, Mapping):
        queries = [(f"{path}.raw.{keys[2]}", _text(raw.get(keys[2])))]
    else:
        return [Problem(path, "the SLI type must be a mapping")]
    for where, query in queries:
        if not query:
            found.append(Problem(where, "query template is required"))
        elif not SLOTH_WINDOW.search(query):
            found.append(Problem(where, "template must contain the {{ .window }} variable"))
        elif (error_text := _promql(query)) is not None:
            found.append(Problem(where, f"invalid PromQL: {error_text}"))
    return found


def _sloth_alerting(alerting: Any, path: str, crd: bool) -> list[Problem]:
    if alerting is not None and not isinstance(alerting, Mapping):
        return [Problem(path, "expected a mapping")]
    alerting = alerting or {}
    found: list[Problem] = []
    _labels(found, alerting.get("labels"), f"{path}.labels", "label", annotations=False)
    _labels(found, alerting.get("annotations"), f"{path}.annotations", "annotation", True)
    for key in ("pageAlert", "ticketAlert") if crd else ("page_alert", "ticket_alert"):
        meta = alerting.get(key)
        meta = meta if isinstance(meta, Mapping) else {}
        if meta.get("disable") is True:
            continue
        if not _text(alerting.get("name")):
            found.append(Problem(f"{path}.name", f"{key}: alert name is required"))
        _labels(found, meta.get("labels"), f"{path}.{key}.labels", "label", annotations=False)
        _labels(found, meta.get("annotations"), f"{path}.{key}.annotations", "annotation", True)
    return found


# ---------------------------------------------------------------------- Pyrra


def _selector(metric: str) -> tuple[Any | None, str | None]:
    try:
        return promql_parser.parse(metric), None
    except (ValueError, RuntimeError) as exc:
        return None, str(exc)


def pyrra_problems(doc: Mapping[str, Any]) -> list[Problem]:
    """What Pyrra's admission webhook rejects (its first error, as it reports one)."""
    meta = doc.get("metadata") if isinstance(doc.get("metadata"), Mapping) else {}
    spec = (doc.get("spec") if isinstance(doc.get("spec"), Mapping) else None) or {}
    if not _text((meta or {}).get("name")):
        return [Problem("metadata.name", "name must be set")]
    target_text = _text(spec.get("target"))
    if not target_text:
        return [Problem("spec.target", "target must be set")]
    try:
        target = float(target_text)
    except ValueError:
        return [Problem("spec.target", f"{target_text!r} is not a number")]
    if not 0 <= target <= 100:
        return [Problem("spec.target", "target must be between 0 and 100")]
    window = _text(spec.get("window"))
    if not window:
        return [Problem("spec.window", "window must be set")]
    if not _PROM_DURATION.match(window) or window in ("", "0"):
        return [Problem("spec.window", f"{window!r} is not a duration")]
    found = spec.get("indicator")
    indicator: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    kinds = [k for k in ("ratio", "latency", "latencyNative", "bool_gauge") if indicator.get(k)]
    if not kinds:
        return [
            Problem(
                "spec.indicator", "one of ratio, latency, latencyNative or bool_gauge must be set"
            )
        ]
    return _pyrra_indicator(indicator, kinds[0])


def _metric(indicator: Mapping[str, Any], kind: str, part: str) -> str:
    block = indicator.get(kind)
    inner = block.get(part) if isinstance(block, Mapping) else None
    return _text(inner.get("metric")) if isinstance(inner, Mapping) else ""


def _parsed(
    indicator: Mapping[str, Any], kind: str, parts: tuple[str, ...]
) -> tuple[dict[str, Any], Problem | None]:
    """The parsed metrics of ``parts``, or the first problem: one not set, one not PromQL."""
    path = f"spec.indicator.{kind}"
    texts = {part: _metric(indicator, kind, part) for part in parts}
    for part in parts:
        if not texts[part]:
            return {}, Problem(f"{path}.{part}.metric", f"{kind} {part} metric must be set")
    parsed = {}
    for part in parts:
        expr, error = _selector(texts[part])
        if error is not None:
            message = f"failed to parse {kind} {part} metric: {error}"
            return {}, Problem(f"{path}.{part}.metric", message)
        parsed[part] = expr
    return parsed, None


def _pyrra_indicator(indicator: Mapping[str, Any], kind: str) -> list[Problem]:
    path = f"spec.indicator.{kind}"
    block = indicator[kind] if isinstance(indicator[kind], Mapping) else {}
    if kind == "bool_gauge":
        metric = _text(block.get("metric"))
        if not metric:
            return [Problem(f"{path}.metric", "boolGauge metric must be set")]
        _, error = _selector(metric)
        if error is not None:
            return [Problem(f"{path}.metric", f"failed to parse boolGauge metric: {error}")]
        return []
    parts = {"ratio": ("total", "errors"), "latency": ("total", "success")}.get(kind, ("total",))
    parsed, problem = _parsed(indicator, kind, parts)
    if problem is not None:
        return [problem]
    if kind == "ratio":
        for part, expr in parsed.items():
            if not isinstance(expr, promql_parser.VectorSelector):
                got = type(expr).__name__
                message = f"ratio {part} metric must be a vector selector, but got {got}"
                return [Problem(f"{path}.{part}.metric", message)]
    elif kind == "latency":
        success = parsed["success"]
        if isinstance(success, promql_parser.VectorSelector):
            le = [m for m in success.matchers.matchers if m.name == "le"]
            where = f"{path}.success.metric"
            if not le:
                return [Problem(where, "latency success metric must contain a le label matcher")]
            try:
                float(le[0].value)
            except ValueError:
                return [Problem(where, "the le label matcher needs a float value")]
    else:  # latencyNative
        latency = _text(block.get("latency"))
        if not latency:
            return [Problem(f"{path}.latency", "latencyNative latency objective must be set")]
        try:
            parse_duration(latency)
        except ValueError:
            message = "latencyNative latency objective must be a valid duration"
            return [Problem(f"{path}.latency", message)]
    return []
