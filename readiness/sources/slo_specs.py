"""SLO specifications from files and from the profile, into the one internal model.

Formats, recognised by their header: native (``slos: [{service, objectives}]``),
OpenSLO (``apiVersion: openslo/v1`` and ``openslo/v1alpha``; SLO, SLI, AlertPolicy kinds),
Sloth (``version: prometheus/v1`` and the ``sloth.slok.dev/v1`` PrometheusServiceLevel
CRD) and Pyrra (``pyrra.dev/v1alpha1`` ServiceLevelObjective). Errors name file and key.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import promql_parser
from pydantic import ValidationError

from readiness import safeload
from readiness.errors import SourceError
from readiness.profile.slo import SloSpec
from readiness.rules.slo_model import (
    WINDOW_PLACEHOLDER,
    DeclaredAlerting,
    Objective,
    Sli,
    has_window,
    parse_duration,
    render_window,
)
from readiness.sources.slo_openslo import (
    ALPHA_UNITS,
    Problem,
    shorthand_seconds,
    sli_kinds,
    validate,
)
from readiness.sources.slo_validate import pyrra_problems, sloth_problems

DEFAULT_WINDOW = 30 * 86400
_GROUPING = r"(?:(?:by|without)\s*\([^)]*\)\s*)?"
_AGGREGATION_RE = re.compile(
    rf"^(\s*[a-z_]+\s*{_GROUPING}\(\s*)(.*?)(\s*\)\s*{_GROUPING})$", re.DOTALL
)


class SpecError(SourceError):
    """An SLO spec that cannot be read: names the file and the key."""

    def __init__(self, file: str, key: str, message: str):
        self.file = file
        self.key = key
        super().__init__(file, f"key '{key}': {message}" if key else message)


@dataclass(frozen=True, slots=True)
class SpecFile:
    path: str
    format: str
    objectives: tuple[Objective, ...]


class _Doc:
    """Typed access to one YAML mapping, raising SpecError with the full key path."""

    def __init__(self, data: Any, file: str, key: str):
        if not isinstance(data, dict):
            raise SpecError(file, key, f"expected a mapping, found {type(data).__name__}")
        self.data = data
        self.file = file
        self.key = key

    def path(self, name: str) -> str:
        return f"{self.key}.{name}" if self.key else name

    def has(self, name: str) -> bool:
        return self.data.get(name) is not None

    def text(self, name: str, default: str | None = None) -> str:
        value = self.data.get(name, default)
        if value is None:
            raise SpecError(self.file, self.path(name), "is required")
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise SpecError(self.file, self.path(name), "must be a string")
        return str(value)

    def num(self, name: str) -> float:
        value = self.data.get(name)
        if value is None:
            raise SpecError(self.file, self.path(name), "is required")
        try:
            return float(value)
        except (TypeError, ValueError):
            raise SpecError(self.file, self.path(name), f"{value!r} is not a number") from None

    def query(self, name: str) -> str:
        """The PromQL at ``name``, normalised (see :func:`normalise_query`)."""
        return normalise_query(self.text(name), self.file, self.path(name))

    def doc(self, name: str) -> _Doc:
        if name not in self.data or self.data[name] is None:
            raise SpecError(self.file, self.path(name), "is required")
        return _Doc(self.data[name], self.file, self.path(name))

    def opt_doc(self, name: str) -> _Doc | None:
        return self.doc(name) if self.has(name) else None

    def docs(self, name: str, required: bool = True) -> list[_Doc]:
        value = self.data.get(name)
        if value is None:
            if required:
                raise SpecError(self.file, self.path(name), "is required")
            return []
        if not isinstance(value, list):
            raise SpecError(self.file, self.path(name), "must be a list")
        return [_Doc(v, self.file, f"{self.path(name)}[{i}]") for i, v in enumerate(value)]

    def window(self, name: str, default: int | None = None) -> int:
        if not self.has(name) and default is not None:
            return default
        text = self.text(name)
        try:
            return parse_duration(text)
        except ValueError as exc:
            raise SpecError(self.file, self.path(name), str(exc)) from None


def _percent(doc: _Doc, name: str) -> float:
    value = doc.num(name)
    if not 0 < value < 100:
        raise SpecError(
            doc.file,
            doc.path(name),
            f"{value:g} is not a percentage between 0 and 100 (exclusive), e.g. 99.9",
        )
    if value <= 1:
        raise SpecError(
            doc.file, doc.path(name), f"{value:g} looks like a ratio; give a percentage (99.9)"
        )
    return round(value / 100, 12)


def _tool_percent(doc: _Doc, name: str) -> tuple[float, str]:
    """A Sloth/Pyrra target as those tools read it: a percentage (0.9 means 0.9 %), already
    validated; a 100 % target leaves no error budget, so it cannot be judged."""
    value = doc.num(name)
    if value >= 100:
        return 0.0, f"a {value:g} % target leaves no error budget to judge"
    return round(value / 100, 12), ""


def _ratio(doc: _Doc, name: str) -> float:
    value = doc.num(name)
    if not 0 < value < 1:
        raise SpecError(doc.file, doc.path(name), f"{value:g} is not a ratio in (0, 1), e.g. 0.999")
    return value


def normalise_query(query: str, file: str, key: str) -> str:
    """A window-templated PromQL query; plain counter selectors become their rate."""
    query = query.strip()
    if not query:
        raise SpecError(file, key, "query is empty")
    if has_window(query):
        try:
            promql_parser.parse(render_window(query, "5m"))
        except (ValueError, RuntimeError) as exc:
            raise SpecError(file, key, f"invalid PromQL: {exc}") from None
        return query
    try:
        expr = promql_parser.parse(query)
    except (ValueError, RuntimeError) as exc:
        raise SpecError(file, key, f"invalid PromQL: {exc}") from None
    if isinstance(expr, promql_parser.VectorSelector):
        return f"rate({query}[{WINDOW_PLACEHOLDER}])"
    if isinstance(expr, promql_parser.AggregateExpr) and isinstance(
        expr.expr, promql_parser.VectorSelector
    ):
        match = _AGGREGATION_RE.match(query)
        if match:
            head, inner, tail = match.groups()
            return f"{head}rate({inner}[{WINDOW_PLACEHOLDER}]){tail}"
    raise SpecError(
        file,
        key,
        "the query must use {{.window}} in its range selectors, or be a counter selector "
        "(optionally inside one aggregation such as sum(...))",
    )


# ---------------------------------------------------------------- native


def from_native(spec: SloSpec, source: str, key: str = "slos") -> list[Objective]:
    out = []
    for i, o in enumerate(spec.objectives):
        okey = f"{key}.objectives[{i}]"
        doc = _Doc({"target": o.target, "window": o.window}, source, okey)
        sli_key = f"{okey}.sli"
        bad = normalise_query(o.sli.error, source, f"{sli_key}.error") if o.sli.error else None
        good = normalise_query(o.sli.good, source, f"{sli_key}.good") if o.sli.good else None
        out.append(
            Objective(
                service=spec.service,
                name=o.name,
                target=_percent(doc, "target"),
                window=doc.window("window"),
                sli=Sli(
                    total=normalise_query(o.sli.total, source, f"{sli_key}.total"),
                    bad=bad,
                    good=good,
                ),
                source=source,
                description=o.description,
            )
        )
    return out


def _native_file(data: dict[str, Any], file: str) -> list[Objective]:
    items = data.get("slos")
    if not isinstance(items, list):
        raise SpecError(file, "slos", "must be a list of {service, objectives}")
    out: list[Objective] = []
    for i, item in enumerate(items):
        try:
            spec = SloSpec.model_validate(item)
        except ValidationError as exc:
            err = exc.errors()[0]
            loc = ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in err["loc"]).replace(
                ".[", "["
            )
            raise SpecError(file, f"slos[{i}].{loc}" if loc else f"slos[{i}]", err["msg"]) from None
        out.extend(from_native(spec, file, f"slos[{i}]"))
    return out


# ---------------------------------------------------------------- sloth


def _sloth(doc: _Doc, crd: bool) -> list[Objective]:
    spec = doc.doc("spec") if crd else doc
    service = spec.text("service")
    out = []
    for o in spec.docs("slos"):
        name = o.text("name")
        sli = o.doc("sli")
        events = sli.opt_doc("events")
        raw = sli.opt_doc("raw")
        err_key, total_key, raw_key = (
            ("errorQuery", "totalQuery", "errorRatioQuery")
            if crd
            else ("error_query", "total_query", "error_ratio_query")
        )
        unsupported = ""
        if events is not None:
            the_sli = Sli(total=events.query(total_key), bad=events.query(err_key))
        elif raw is not None:
            the_sli = Sli(error_ratio=raw.query(raw_key))
        elif sli.has("plugin"):
            the_sli = Sli(source="sloth-plugin")
            unsupported = "Sloth SLI plugins are not evaluated; use events or raw queries"
        else:
            raise SpecError(doc.file, sli.key, "needs events, raw or plugin")
        alerting = o.opt_doc("alerting")
        declared = DeclaredAlerting()
        if alerting is not None:
            page_key, ticket_key = (
                ("pageAlert", "ticketAlert")
                if crd
                else (
                    "page_alert",
                    "ticket_alert",
                )
            )
            page = alerting.opt_doc(page_key)
            ticket = alerting.opt_doc(ticket_key)
            declared = DeclaredAlerting(
                name=alerting.text("name", ""),
                page=not (page is not None and bool(page.data.get("disable"))),
                ticket=not (ticket is not None and bool(ticket.data.get("disable"))),
            )
        target, full = _tool_percent(o, "objective")
        out.append(
            Objective(
                service=service,
                name=name,
                target=target,
                window=DEFAULT_WINDOW,
                sli=the_sli,
                source=doc.file,
                description=o.text("description", ""),
                alerting=declared,
                unsupported=unsupported or full,
            )
        )
    return out


# ---------------------------------------------------------------- pyrra


def _pyrra(doc: _Doc) -> list[Objective]:
    meta = doc.doc("metadata")
    spec = doc.doc("spec")
    name = meta.text("name")
    labels = meta.data.get("labels") or {}
    service = str(labels.get("service") or meta.data.get("namespace") or name)
    indicator = spec.doc("indicator")
    unsupported = ""
    if indicator.has("ratio"):
        ratio = indicator.doc("ratio")
        errors, total = ratio.doc("errors"), ratio.doc("total")
        sli = Sli(total=total.query("metric"), bad=errors.query("metric"))
    elif indicator.has("latency"):
        latency = indicator.doc("latency")
        success, total = latency.doc("success"), latency.doc("total")
        sli = Sli(total=total.query("metric"), good=success.query("metric"))
    else:
        kinds = ", ".join(sorted(indicator.data)) or "nothing"
        sli = Sli(source="pyrra")
        unsupported = f"Pyrra indicator {kinds} is not evaluated (ratio and latency are)"
    target, full = _tool_percent(spec, "target")
    return [
        Objective(
            service=service,
            name=name,
            target=target,
            window=spec.window("window", DEFAULT_WINDOW),
            sli=sli,
            source=doc.file,
            description=spec.text("description", ""),
            unsupported=unsupported or full,
        )
    ]


# ---------------------------------------------------------------- OpenSLO


_BUDGETING = {
    "occurrences": "occurrences",
    "timeslices": "timeslices",
    "ratiotimeslices": "ratio_timeslices",
}


def _openslo_source(metric: _Doc) -> tuple[str, str | None]:
    """(source type, query) of a v1 metricSource."""
    source = metric.doc("metricSource")
    kind = source.text("type", "").strip()
    spec = source.opt_doc("spec")
    query = None
    if spec is not None and spec.has("query"):
        query = spec.text("query")
    elif spec is not None and spec.has("promql"):
        query = spec.text("promql")
    return kind, query


def _openslo_sli(indicator: _Doc) -> tuple[Sli, str]:
    spec = indicator.doc("spec")
    if spec.has("thresholdMetric"):
        return Sli(source="threshold"), (
            "OpenSLO thresholdMetric SLIs are not evaluated; use a ratioMetric"
        )
    ratio = spec.doc("ratioMetric")
    queries: dict[str, str] = {}
    if ratio.has("raw"):
        raw = ratio.doc("raw")
        kind, query = _openslo_source(raw)
        if kind.lower() != "prometheus" or query is None:
            return Sli(source=kind or "unknown"), (
                f"metric source type {kind or '(none)'!r} is not Prometheus; cannot evaluate"
            )
        ratio_query = normalise_query(query, raw.file, raw.path("metricSource.spec.query"))
        if ratio.text("rawType") == "success":
            ratio_query = f"(1 - ({ratio_query}))"
        return Sli(error_ratio=ratio_query), ""
    for part in ("good", "bad", "total"):
        metric = ratio.opt_doc(part)
        if metric is None:
            continue
        kind, query = _openslo_source(metric)
        if kind.lower() != "prometheus":
            return Sli(source=kind or "unknown"), (
                f"metric source type {kind or '(none)'!r} is not Prometheus; cannot evaluate"
            )
        if query is None:
            raise SpecError(metric.file, metric.path("metricSource.spec.query"), "is required")
        queries[part] = normalise_query(query, metric.file, metric.path("metricSource.spec.query"))
    if "total" not in queries:
        raise SpecError(ratio.file, ratio.path("total"), "is required")
    if ("good" in queries) == ("bad" in queries):
        raise SpecError(ratio.file, ratio.key, "give exactly one of good or bad, beside total")
    return Sli(total=queries["total"], good=queries.get("good"), bad=queries.get("bad")), ""


def _shorthand(doc: _Doc, name: str, default: int | None = None) -> int:
    """Seconds of an OpenSLO duration shorthand (``28d``, ``1M``, ``1m``: minutes)."""
    if not doc.has(name) and default is not None:
        return default
    seconds = shorthand_seconds(doc.text(name))
    if seconds is None:
        raise SpecError(doc.file, doc.path(name), f"{doc.text(name)!r} is not like 28d or 1M")
    return seconds


def _openslo_v1(docs: Sequence[_Doc]) -> list[Objective]:
    slis = {d.doc("metadata").text("name"): d for d in docs if d.data.get("kind") == "SLI"}
    policies = {d.doc("metadata").text("name") for d in docs if d.data.get("kind") == "AlertPolicy"}
    out: list[Objective] = []
    for doc in docs:
        if doc.data.get("kind") != "SLO":
            continue
        meta = doc.doc("metadata")
        spec = doc.doc("spec")
        name = meta.text("name")
        if spec.has("indicator"):
            indicator = spec.doc("indicator")
        elif spec.has("indicatorRef"):
            ref = spec.text("indicatorRef")
            if ref not in slis:
                raise SpecError(doc.file, spec.path("indicatorRef"), f"no SLI named {ref!r}")
            indicator = slis[ref]
        else:
            raise SpecError(doc.file, spec.path("indicator"), "is required (or indicatorRef)")
        sli, unsupported = _openslo_sli(indicator)
        windows = spec.docs("timeWindow")
        if not windows:
            raise SpecError(doc.file, spec.path("timeWindow"), "needs one window")
        window = _shorthand(windows[0], "duration")
        method = spec.text("budgetingMethod", "Occurrences")
        budgeting = _BUDGETING.get(method.lower())
        if budgeting is None:
            raise SpecError(
                doc.file,
                spec.path("budgetingMethod"),
                f"{method!r} is not Occurrences, Timeslices or RatioTimeslices",
            )
        alert_refs = []
        for i, p in enumerate(spec.data.get("alertPolicies") or []):
            if isinstance(p, str):
                alert_refs.append(p)
            elif isinstance(p, dict):
                ref = str(p.get("alertPolicyRef") or (p.get("metadata") or {}).get("name") or "")
                if ref:
                    alert_refs.append(str(ref))
            else:
                raise SpecError(doc.file, spec.path(f"alertPolicies[{i}]"), "is not a policy")
        unknown = [r for r in alert_refs if policies and r not in policies]
        if unknown:
            raise SpecError(doc.file, spec.path("alertPolicies"), f"unknown {unknown}")
        objectives = spec.docs("objectives")
        for i, o in enumerate(objectives):
            has_pct = o.has("targetPercent")
            target = _percent(o, "targetPercent") if has_pct else _ratio(o, "target")
            label = o.text("name", "") or o.text("displayName", "")
            oname = name if len(objectives) == 1 else f"{name}-{label or i}"
            ts_window = _shorthand(o, "timeSliceWindow", 60) if budgeting != "occurrences" else None
            ts_target = _ratio(o, "timeSliceTarget") if o.has("timeSliceTarget") else None
            out.append(
                Objective(
                    service=spec.text("service"),
                    name=oname,
                    target=target,
                    window=window,
                    sli=sli,
                    source=doc.file,
                    budgeting=budgeting,  # type: ignore[arg-type]
                    timeslice_target=ts_target,
                    timeslice_window=ts_window,
                    description=spec.text("description", ""),
                    alerting=DeclaredAlerting(policies=tuple(alert_refs)),
                    unsupported=unsupported,
                )
            )
    return out


def _openslo_v1alpha(doc: _Doc) -> list[Objective]:
    if doc.data.get("kind") != "SLO":
        return []
    meta = doc.doc("metadata")
    spec = doc.doc("spec")
    name = meta.text("name")
    windows = spec.docs("timeWindows")
    if not windows:
        raise SpecError(doc.file, spec.path("timeWindows"), "needs one window")
    w = windows[0]
    unit = ALPHA_UNITS.get(w.text("unit"))
    if unit is None:
        raise SpecError(doc.file, w.path("unit"), f"unknown unit {w.text('unit')!r}")
    window = int(w.num("count")) * unit
    out = []
    slices = spec.text("budgetingMethod", "Occurrences") == "Timeslices"
    objectives = spec.docs("objectives")
    for i, o in enumerate(objectives):
        ratio = o.opt_doc("ratioMetrics")
        sli, unsupported = (
            Sli(source="threshold"),
            ("OpenSLO thresholdMetric SLIs are not evaluated; use ratioMetrics"),
        )
        if ratio is not None:
            good, total = ratio.doc("good"), ratio.doc("total")
            source = good.text("source")
            if source.lower() == "prometheus" and total.text("source").lower() == "prometheus":
                sli, unsupported = Sli(total=total.query("query"), good=good.query("query")), ""
            else:
                sli, unsupported = (
                    Sli(source=source),
                    (f"metric source {source!r} is not Prometheus; cannot evaluate"),
                )
        label = o.text("displayName", "")
        out.append(
            Objective(
                service=spec.text("service"),
                name=name if len(objectives) == 1 else f"{name}-{label or i}",
                target=_ratio(o, "target"),
                window=window,
                sli=sli,
                source=doc.file,
                budgeting="timeslices" if slices else "occurrences",
                timeslice_target=_ratio(o, "timeSliceTarget") if slices else None,
                timeslice_window=60 if slices else None,
                description=spec.text("description", ""),
                unsupported=unsupported,
            )
        )
    return out


# ---------------------------------------------------------------- files


def _documents(path: Path) -> list[Any]:
    try:
        text = safeload.read_text(path)
        docs = [d for d in safeload.load_yaml_all(text, str(path)) if d is not None]
    except safeload.SafeLoadError as exc:
        where = f" at line {exc.line}" if exc.line is not None else ""
        reason = (
            f"invalid YAML{where}: {exc.problem}"
            if exc.problem
            else f"cannot read SLO spec{where}: {exc.reason}"
        )
        raise SpecError(str(path), "", reason) from None
    flat: list[Any] = []
    for d in docs:
        flat.extend(d if isinstance(d, list) else [d])
    return flat


def _raise_problems(file: str, what: str, problems: Sequence[tuple[_Doc, Problem]]) -> None:
    if not problems:
        return
    first_doc, first = problems[0]
    text = "; ".join(
        f"{d.data.get('kind') or 'spec'} {d.key or ''} {p.render()}".replace("  ", " ")
        for d, p in problems
    )
    raise SpecError(file, first_doc.path(first.path), f"invalid {what}: {text}")


def _validate_tools(file: str, docs: Sequence[_Doc]) -> None:
    """Sloth and Pyrra specs, rejected for what ``sloth validate`` and Pyrra's webhook
    reject (see :mod:`readiness.sources.slo_validate`)."""
    sloth, pyrra = [], []
    for d in docs:
        api = str(d.data.get("apiVersion", ""))
        if str(d.data.get("version", "")) == "prometheus/v1":
            sloth += [(d, p) for p in sloth_problems(d.data, crd=False)]
        elif api.startswith("sloth.slok.dev/"):
            sloth += [(d, p) for p in sloth_problems(d.data, crd=True)]
        elif api.startswith("pyrra.dev/"):
            pyrra += [(d, p) for p in pyrra_problems(d.data)]
    _raise_problems(file, "Sloth spec (as sloth validate)", sloth)
    _raise_problems(file, "Pyrra spec (as its admission webhook)", pyrra)


def _validate_openslo(file: str, docs: Sequence[_Doc]) -> None:
    """Every OpenSLO object of the file, validated as ``oslo validate`` does; all problems."""
    objects = [d.data for d in docs if str(d.data.get("apiVersion", "")).startswith("openslo/")]
    slis = sli_kinds(objects)
    problems = [
        (d, p)
        for d in docs
        if str(d.data.get("apiVersion", "")).startswith("openslo/")
        for p in validate(d.data, slis)
    ]
    _raise_problems(file, "OpenSLO", problems)


def load_file(path: Path) -> SpecFile:
    file = str(path)
    raw = _documents(path)
    if not raw:
        raise SpecError(file, "", "the file holds no SLO spec")
    docs = [_Doc(d, file, f"[{i}]" if len(raw) > 1 else "") for i, d in enumerate(raw)]
    first = docs[0].data
    api = str(first.get("apiVersion", ""))
    if "slos" in first and "version" not in first and not api:
        return SpecFile(file, "native", tuple(_native_file(first, file)))
    _validate_openslo(file, docs)
    _validate_tools(file, docs)
    if str(first.get("version", "")) == "prometheus/v1":
        return SpecFile(file, "sloth", tuple(o for d in docs for o in _sloth(d, crd=False)))
    out: list[Objective] = []
    formats = set()
    openslo_v1 = []
    for d in docs:
        api = str(d.data.get("apiVersion", ""))
        if api == "openslo/v1":
            openslo_v1.append(d)
            formats.add("openslo")
        elif api == "openslo/v1alpha":
            out.extend(_openslo_v1alpha(d))
            formats.add("openslo")
        elif api.startswith("sloth.slok.dev/"):
            out.extend(_sloth(d, crd=True))
            formats.add("sloth")
        elif api.startswith("pyrra.dev/"):
            out.extend(_pyrra(d))
            formats.add("pyrra")
        else:
            raise SpecError(
                file,
                d.path("apiVersion") if api else d.key,
                f"unsupported apiVersion {api!r}: expected openslo/v1, openslo/v1alpha, "
                "sloth.slok.dev/v1, pyrra.dev/v1alpha1, a Sloth prometheus/v1 file or a "
                "native `slos:` list"
                if api
                else "not an SLO spec: no apiVersion, no Sloth `version`, no native `slos:`",
            )
    out.extend(_openslo_v1(openslo_v1))
    if not out:
        raise SpecError(file, "", "the file defines no SLO (only other kinds)")
    return SpecFile(file, "+".join(sorted(formats)), tuple(out))


def resolve(paths: Iterable[str], base: Path) -> list[Path]:
    return [(base / p) if not Path(p).is_absolute() else Path(p) for p in paths]


def check_unique(objectives: Iterable[Objective]) -> list[str]:
    """Ids defined more than once (they would shadow each other in reports)."""
    seen: dict[str, int] = {}
    for o in objectives:
        seen[o.id] = seen.get(o.id, 0) + 1
    return sorted(k for k, n in seen.items() if n > 1)
