"""OpenSLO v1 and v1alpha validation, as strict as the reference validator (``oslo validate``).

The rules follow OpenSLO/go-sdk, which ``oslo`` runs: the JSON decoding rejects unknown
fields and values of the wrong type; then every object's ``metadata.name`` (and every
reference) must be an RFC 1123 label, ``op``/``value`` are forbidden on ratio objectives
and required on threshold ones, budgeting methods, windows, time slices, targets, time
zones and duration shorthands are checked. Every problem of every object is reported.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_LABEL_KEY = re.compile(r"^[a-zA-Z0-9]([-._a-zA-Z0-9]{0,61}[a-zA-Z0-9])?$")
_ANNOTATION_KEY = re.compile(
    r"^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*/)?"
    r"[a-zA-Z0-9]([-._a-zA-Z0-9]{0,61}[a-zA-Z0-9])?$"
)
_SHORTHAND = re.compile(r"^(\d+)([mhdwMQY])$")
SHORTHAND_SECONDS = {
    "m": 60,
    "h": 3600,
    "d": 86400,
    "w": 7 * 86400,
    "M": 30 * 86400,
    "Q": 90 * 86400,
    "Y": 365 * 86400,
}
OPERATORS = ("gt", "lt", "gte", "lte")
V1_KINDS = (
    "SLO",
    "SLI",
    "DataSource",
    "Service",
    "AlertPolicy",
    "AlertCondition",
    "AlertNotificationTarget",
)
V1ALPHA_KINDS = ("SLO", "Service")
_MAX_DESCRIPTION = 1050


@dataclass(frozen=True, slots=True)
class Problem:
    path: str  # within the object: "spec.objectives[0].op"
    message: str

    def render(self) -> str:
        return f"'{self.path}': {self.message}"


def shorthand_seconds(text: str) -> int | None:
    """Seconds of an OpenSLO v1 duration shorthand (``1m``, ``28d``, ``1M``); None if invalid."""
    match = _SHORTHAND.match(text)
    if not match or int(match.group(1)) <= 0:
        return None
    return int(match.group(1)) * SHORTHAND_SECONDS[match.group(2)]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class _Checker:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    # ------------------------------------------------------------------ shapes

    def mapping(
        self, value: Any, path: str, fields: tuple[str, ...], required: bool = False
    ) -> Mapping[str, Any] | None:
        """The mapping at ``path`` with only ``fields`` (unknown ones reported); None if absent."""
        if not self._present(value, path, required, "an object", lambda v: isinstance(v, Mapping)):
            return None
        for key in value:
            if key not in fields:
                self.add(f"{path}.{key}" if path else str(key), f'unknown field "{key}"')
        return cast("Mapping[str, Any]", value)

    def items(self, value: Any, path: str) -> list[tuple[str, Any]]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.add(path, f"expected a list, found {type(value).__name__}")
            return []
        return [(f"{path}[{i}]", v) for i, v in enumerate(value)]

    def _present(
        self, value: Any, where: str, required: bool, expected: str, ok: Callable[[Any], bool]
    ) -> bool:
        """Whether ``value`` is given and of the expected type (reporting why not)."""
        if value is None or value == "":
            if required:
                self.add(where, "property is required but was empty")
            return False
        if not ok(value):
            self.add(where, f"expected {expected}, found {type(value).__name__}")
            return False
        return True

    def string(
        self, obj: Mapping[str, Any], key: str, path: str, required: bool = False
    ) -> str | None:
        value = obj.get(key)
        where = f"{path}.{key}" if path else key
        ok = self._present(value, where, required, "a string", lambda v: isinstance(v, str))
        return value if ok else None

    def number(
        self, obj: Mapping[str, Any], key: str, path: str, required: bool = False
    ) -> float | None:
        value = obj.get(key)
        ok = self._present(value, f"{path}.{key}", required, "a number", _is_number)
        return float(value) if ok and value is not None else None

    def boolean(self, obj: Mapping[str, Any], key: str, path: str) -> bool:
        value = obj.get(key)
        if value is not None and not isinstance(value, bool):
            self.add(f"{path}.{key}", f"expected a boolean, found {type(value).__name__}")
            return False
        return bool(value)

    # ------------------------------------------------------------------ values

    def dns_label(self, value: str | None, path: str) -> None:
        if value is not None and (len(value) > 63 or not DNS_LABEL.match(value)):
            self.add(
                path,
                f"{value!r} must be an RFC 1123 label: lower case alphanumeric characters or "
                "'-', starting and ending with an alphanumeric character, at most 63 long",
            )

    def max_length(self, value: str | None, path: str, limit: int = _MAX_DESCRIPTION) -> None:
        if value is not None and len(value) > limit:
            self.add(path, f"length must be less than or equal to {limit}")

    def shorthand(self, obj: Mapping[str, Any], key: str, path: str, required: bool) -> None:
        text = self.string(obj, key, path, required)
        if text is not None and shorthand_seconds(text) is None:
            self.add(
                f"{path}.{key}", f"invalid duration shorthand {text!r}, expected [0-9]+[mhdwMQY]"
            )

    def one_of(self, value: str | None, path: str, allowed: tuple[str, ...]) -> None:
        if value is not None and value not in allowed:
            self.add(path, f"{value!r} must be one of: {', '.join(allowed)}")

    def exactly_one(self, obj: Mapping[str, Any], keys: tuple[str, ...], path: str) -> None:
        present = [k for k in keys if obj.get(k) is not None]
        if len(present) != 1:
            found = f"{' and '.join(present)} were" if present else "none was"
            self.add(path or ".", f"exactly one of {', '.join(keys)} must be set ({found} given)")

    def at_most_one(self, obj: Mapping[str, Any], keys: tuple[str, ...], path: str) -> None:
        present = [k for k in keys if obj.get(k) is not None]
        if len(present) > 1:
            self.add(path, f"at most one of {', '.join(keys)} may be set ({' and '.join(present)})")

    def forbidden(self, obj: Mapping[str, Any], key: str, path: str, why: str) -> None:
        if obj.get(key) is not None:
            self.add(f"{path}.{key}", f"property is forbidden ({why})")

    def calendar(self, window: Mapping[str, Any], path: str) -> None:
        rolling = self.boolean(window, "isRolling", path)
        calendar = self.mapping(
            window.get("calendar"), f"{path}.calendar", ("startTime", "timeZone")
        )
        if rolling and calendar is not None:
            self.add(path, "'calendar' cannot be set when 'isRolling' is true")
        if not rolling and window.get("calendar") is None:
            self.add(path, "'calendar' must be set when 'isRolling' is false")
        if calendar is None:
            return
        start = calendar.get("startTime")
        if start is not None:
            text = start if isinstance(start, str) else str(start)
            try:
                dt.datetime.strptime(text, "%Y-%m-%d %H:%M:%S")
            except ValueError:
                self.add(
                    f"{path}.calendar.startTime",
                    f"{text!r} is not a date-time like 2006-01-02 15:04:05",
                )
        zone = self.string(calendar, "timeZone", f"{path}.calendar")
        if zone is not None:
            try:
                zoneinfo.ZoneInfo(zone)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                self.add(
                    f"{path}.calendar.timeZone", f"{zone!r} is not an IANA Time Zone Database code"
                )


# ---------------------------------------------------------------------- v1


def _metadata_v1(c: _Checker, value: Any, path: str = "metadata") -> None:
    meta = c.mapping(value, path, ("name", "displayName", "labels", "annotations"), required=True)
    if meta is None:
        return
    c.dns_label(c.string(meta, "name", path, required=True), f"{path}.name")
    c.max_length(c.string(meta, "displayName", path), f"{path}.displayName", 63)
    labels = meta.get("labels")
    if labels is not None:
        if not isinstance(labels, Mapping):
            c.add(f"{path}.labels", "expected an object")
        else:
            for key, val in labels.items():
                if not _LABEL_KEY.match(str(key)):
                    c.add(f"{path}.labels.{key}", "label key is not a valid label name")
                values = val if isinstance(val, list) else [val]
                if not all(isinstance(v, str) for v in values):
                    c.add(f"{path}.labels.{key}", "label values must be strings")
    annotations = meta.get("annotations")
    if annotations is not None:
        if not isinstance(annotations, Mapping):
            c.add(f"{path}.annotations", "expected an object")
        else:
            for key, val in annotations.items():
                if not _ANNOTATION_KEY.match(str(key)) or len(str(key)) > 317:
                    c.add(f"{path}.annotations.{key}", "annotation key is not valid")
                if not isinstance(val, str):
                    c.add(f"{path}.annotations.{key}", "annotation values must be strings")


def _metric_spec(c: _Checker, value: Any, path: str) -> None:
    spec = c.mapping(value, path, ("metricSource",), required=True)
    if spec is None:
        return
    where = f"{path}.metricSource"
    source = c.mapping(spec.get("metricSource"), where, ("metricSourceRef", "type", "spec"), True)
    if source is None:
        return
    c.dns_label(c.string(source, "metricSourceRef", where), f"{where}.metricSourceRef")
    c.string(source, "type", where)
    inner = source.get("spec")
    if not isinstance(inner, Mapping) or not inner:
        c.add(f"{where}.spec", "property is required and must hold at least one key")


def _sli_spec(c: _Checker, value: Any, path: str) -> str:
    """Validate an SLI spec; its kind: ``ratio``, ``threshold`` or ``""``."""
    spec = c.mapping(value, path, ("description", "thresholdMetric", "ratioMetric"), True)
    if spec is None:
        return ""
    c.max_length(c.string(spec, "description", path), f"{path}.description")
    c.exactly_one(spec, ("thresholdMetric", "ratioMetric"), path)
    if spec.get("thresholdMetric") is not None:
        _metric_spec(c, spec.get("thresholdMetric"), f"{path}.thresholdMetric")
        return "threshold"
    where = f"{path}.ratioMetric"
    ratio = c.mapping(
        spec.get("ratioMetric"), where, ("counter", "good", "bad", "total", "rawType", "raw")
    )
    if ratio is None:
        return ""
    c.boolean(ratio, "counter", where)
    c.exactly_one(ratio, ("total", "raw"), where)
    c.at_most_one(ratio, ("raw", "good", "bad"), where)
    if ratio.get("total") is not None:
        if ratio.get("good") is None and ratio.get("bad") is None:
            c.add(where, "one of good or bad must be set beside total")
        for part in ("total", "good", "bad"):
            if ratio.get(part) is not None:
                _metric_spec(c, ratio[part], f"{where}.{part}")
    if ratio.get("raw") is not None:
        _metric_spec(c, ratio["raw"], f"{where}.raw")
        c.one_of(
            c.string(ratio, "rawType", where, True), f"{where}.rawType", ("success", "failure")
        )
    return "ratio"


def _inline_indicator(c: _Checker, value: Any, path: str) -> str:
    inline = c.mapping(value, path, ("metadata", "spec"), required=True)
    if inline is None:
        return ""
    _metadata_v1(c, inline.get("metadata"), f"{path}.metadata")
    return _sli_spec(c, inline.get("spec"), f"{path}.spec")


def _objective_v1(
    c: _Checker, o: Mapping[str, Any], path: str, sli: str, budgeting: str | None
) -> None:
    c.exactly_one(o, ("target", "targetPercent"), path)
    target = c.number(o, "target", path)
    if target is not None and not 0 <= target < 1:
        c.add(f"{path}.target", "must be greater than or equal to 0 and less than 1")
    percent = c.number(o, "targetPercent", path)
    if percent is not None and not 0 <= percent < 100:
        c.add(f"{path}.targetPercent", "must be greater than or equal to 0 and less than 100")
    c.number(o, "value", path)
    op = c.string(o, "op", path)
    if sli == "ratio":
        c.forbidden(o, "op", path, "the SLI is a ratioMetric")
        c.forbidden(o, "value", path, "the SLI is a ratioMetric")
    elif sli == "threshold":
        if o.get("value") is None:
            c.add(f"{path}.value", "property is required (the SLI is a thresholdMetric)")
        if op is None:
            c.add(f"{path}.op", "property is required (the SLI is a thresholdMetric)")
        c.one_of(op, f"{path}.op", OPERATORS)
    if budgeting == "Timeslices":
        slice_target = c.number(o, "timeSliceTarget", path, required=True)
        if slice_target is not None and not 0 < slice_target <= 1:
            c.add(f"{path}.timeSliceTarget", "must be greater than 0 and at most 1")
    if budgeting in ("Timeslices", "RatioTimeslices"):
        c.shorthand(o, "timeSliceWindow", path, required=True)
    else:
        c.number(o, "timeSliceTarget", path)
        c.shorthand(o, "timeSliceWindow", path, required=False)
    weight = c.number(o, "compositeWeight", path)
    if weight is not None and weight <= 0:
        c.add(f"{path}.compositeWeight", "must be greater than 0")


_OBJECTIVE_V1 = (
    "displayName",
    "op",
    "value",
    "target",
    "targetPercent",
    "timeSliceTarget",
    "timeSliceWindow",
    "indicator",
    "indicatorRef",
    "compositeWeight",
)


def _slo_v1(c: _Checker, spec: Mapping[str, Any], slis: Mapping[str, str]) -> None:
    path = "spec"
    c.max_length(c.string(spec, "description", path), f"{path}.description")
    c.string(spec, "service", path, required=True)
    budgeting = c.string(spec, "budgetingMethod", path, required=True)
    c.one_of(budgeting, f"{path}.budgetingMethod", ("Occurrences", "Timeslices", "RatioTimeslices"))
    windows = c.items(spec.get("timeWindow"), f"{path}.timeWindow")
    if len(windows) != 1:
        c.add(f"{path}.timeWindow", f"must hold exactly one window, found {len(windows)}")
    for wpath, w in windows:
        window = c.mapping(w, wpath, ("duration", "isRolling", "calendar"), required=True)
        if window is not None:
            c.shorthand(window, "duration", wpath, required=True)
            c.calendar(window, wpath)
    objectives = c.items(spec.get("objectives"), f"{path}.objectives")
    if not objectives:
        c.add(f"{path}.objectives", "property is required but was empty")
    composite = any(
        isinstance(o, Mapping) and (o.get("indicator") is not None or o.get("indicatorRef"))
        for _, o in objectives
    )
    sli = ""
    if composite:
        if spec.get("indicator") is not None or spec.get("indicatorRef") is not None:
            c.add(
                path,
                "'indicator' or 'indicatorRef' must be set on the spec or on the objectives, "
                "not both",
            )
    else:
        c.exactly_one(spec, ("indicator", "indicatorRef"), path)
        if spec.get("indicator") is not None:
            sli = _inline_indicator(c, spec["indicator"], f"{path}.indicator")
        ref = c.string(spec, "indicatorRef", path)
        c.dns_label(ref, f"{path}.indicatorRef")
        if ref is not None:
            sli = slis.get(ref, "")
    for opath, o in objectives:
        objective = c.mapping(o, opath, _OBJECTIVE_V1, required=True)
        if objective is None:
            continue
        mine = sli
        if composite:
            c.exactly_one(objective, ("indicator", "indicatorRef"), opath)
            if objective.get("indicator") is not None:
                mine = _inline_indicator(c, objective["indicator"], f"{opath}.indicator")
            ref = c.string(objective, "indicatorRef", opath)
            c.dns_label(ref, f"{opath}.indicatorRef")
            mine = slis.get(ref, "") if ref is not None else mine
        _objective_v1(c, objective, opath, mine, budgeting)
    for ppath, p in c.items(spec.get("alertPolicies"), f"{path}.alertPolicies"):
        _embedded(c, p, ppath, "alertPolicyRef", "AlertPolicy", _alert_policy_spec)


def _embedded(
    c: _Checker,
    value: Any,
    path: str,
    ref_key: str,
    kind: str,
    spec_check: Callable[[_Checker, Mapping[str, Any], str], None],
) -> None:
    """A reference (``{alertPolicyRef: name}``) or an inlined object of ``kind``."""
    item = c.mapping(value, path, (ref_key, "kind", "metadata", "spec"), required=True)
    if item is None:
        return
    if item.get(ref_key) is not None:
        if any(item.get(k) is not None for k in ("kind", "metadata", "spec")):
            c.add(path, f"exactly one of {ref_key} or an inlined {kind} (spec) must be set")
        c.dns_label(c.string(item, ref_key, path, True), f"{path}.{ref_key}")
        return
    found = c.string(item, "kind", path, required=True)
    if found is not None and found != kind:
        c.add(f"{path}.kind", f"should be equal to {kind!r}")
    _metadata_v1(c, item.get("metadata"), f"{path}.metadata")
    spec = c.mapping(item.get("spec"), f"{path}.spec", _SPEC_FIELDS[kind], required=True)
    if spec is not None:
        spec_check(c, spec, f"{path}.spec")


def _alert_condition_spec(c: _Checker, spec: Mapping[str, Any], path: str) -> None:
    c.max_length(c.string(spec, "description", path), f"{path}.description")
    c.string(spec, "severity", path, required=True)
    where = f"{path}.condition"
    cond = c.mapping(
        spec.get("condition"),
        where,
        ("kind", "op", "threshold", "lookbackWindow", "alertAfter"),
        required=True,
    )
    if cond is None:
        return
    kind = c.string(cond, "kind", where, required=True)
    c.one_of(kind, f"{where}.kind", ("burnrate",))
    if kind == "burnrate":
        c.one_of(c.string(cond, "op", where, required=True), f"{where}.op", OPERATORS)
        c.number(cond, "threshold", where, required=True)
        c.shorthand(cond, "lookbackWindow", where, required=True)
        c.shorthand(cond, "alertAfter", where, required=False)


def _notification_target_spec(c: _Checker, spec: Mapping[str, Any], path: str) -> None:
    c.max_length(c.string(spec, "description", path), f"{path}.description")
    c.string(spec, "target", path, required=True)


def _alert_policy_spec(c: _Checker, spec: Mapping[str, Any], path: str) -> None:
    c.max_length(c.string(spec, "description", path), f"{path}.description")
    for key in ("alertWhenNoData", "alertWhenBreaching", "alertWhenResolved"):
        c.boolean(spec, key, path)
    conditions = c.items(spec.get("conditions"), f"{path}.conditions")
    if len(conditions) != 1:
        c.add(f"{path}.conditions", f"must hold exactly one condition, found {len(conditions)}")
    for cpath, cond in conditions:
        _embedded(c, cond, cpath, "conditionRef", "AlertCondition", _alert_condition_spec)
    targets = c.items(spec.get("notificationTargets"), f"{path}.notificationTargets")
    if not targets:
        c.add(f"{path}.notificationTargets", "must hold at least one target")
    for tpath, target in targets:
        _embedded(
            c, target, tpath, "targetRef", "AlertNotificationTarget", _notification_target_spec
        )


def _data_source_spec(c: _Checker, spec: Mapping[str, Any], path: str) -> None:
    c.max_length(c.string(spec, "description", path), f"{path}.description")
    c.string(spec, "type", path, required=True)
    if spec.get("connectionDetails") is None:
        c.add(f"{path}.connectionDetails", "property is required but was empty")


def _service_spec(c: _Checker, spec: Mapping[str, Any], path: str) -> None:
    c.max_length(c.string(spec, "description", path), f"{path}.description")


_SPEC_FIELDS: dict[str, tuple[str, ...]] = {
    "SLO": (
        "description",
        "service",
        "indicator",
        "indicatorRef",
        "budgetingMethod",
        "timeWindow",
        "objectives",
        "alertPolicies",
    ),
    "SLI": ("description", "thresholdMetric", "ratioMetric"),
    "Service": ("description",),
    "DataSource": ("description", "type", "connectionDetails"),
    "AlertPolicy": (
        "description",
        "alertWhenNoData",
        "alertWhenBreaching",
        "alertWhenResolved",
        "conditions",
        "notificationTargets",
    ),
    "AlertCondition": ("severity", "condition", "description"),
    "AlertNotificationTarget": ("description", "target"),
}
_SPEC_CHECKS: dict[str, Callable[[_Checker, Mapping[str, Any], str], None]] = {
    "Service": _service_spec,
    "DataSource": _data_source_spec,
    "AlertPolicy": _alert_policy_spec,
    "AlertCondition": _alert_condition_spec,
    "AlertNotificationTarget": _notification_target_spec,
}


def _validate_v1(c: _Checker, obj: Mapping[str, Any], slis: Mapping[str, str]) -> None:
    kind = obj.get("kind")
    _metadata_v1(c, obj.get("metadata"))
    if kind not in V1_KINDS:
        c.add("kind", f"{kind!r} is not an openslo/v1 kind ({', '.join(V1_KINDS)})")
        return
    spec = c.mapping(obj.get("spec"), "spec", _SPEC_FIELDS[kind], required=kind != "Service")
    if spec is None:
        return
    if kind == "SLO":
        _slo_v1(c, spec, slis)
    elif kind == "SLI":
        _sli_spec(c, spec, "spec")
    else:
        _SPEC_CHECKS[kind](c, spec, "spec")


# ---------------------------------------------------------------------- v1alpha


def _alpha_metric(c: _Checker, value: Any, path: str) -> None:
    metric = c.mapping(value, path, ("source", "queryType", "query"), required=True)
    if metric is None:
        return
    for key in ("source", "queryType"):
        text = c.string(metric, key, path, required=True)
        if text is not None and not text.isalpha():
            c.add(f"{path}.{key}", f"{text!r} must contain only letters")
    c.string(metric, "query", path, required=True)


def _slo_v1alpha(c: _Checker, spec: Mapping[str, Any]) -> None:
    path = "spec"
    c.max_length(c.string(spec, "description", path), f"{path}.description")
    c.string(spec, "service", path, required=True)
    budgeting = c.string(spec, "budgetingMethod", path, required=True)
    c.one_of(budgeting, f"{path}.budgetingMethod", ("Occurrences", "Timeslices"))
    objectives = c.items(spec.get("objectives"), f"{path}.objectives")
    ratio = any(isinstance(o, Mapping) and o.get("ratioMetrics") is not None for _, o in objectives)
    if ratio and spec.get("indicator") is not None:
        c.add(path, "only one of 'indicator' and 'objectives[*].ratioMetrics' can be set")
    if not ratio and spec.get("indicator") is None:
        c.add(path, "one of 'indicator' or 'objectives[*].ratioMetrics' must be set")
    indicator = c.mapping(spec.get("indicator"), f"{path}.indicator", ("thresholdMetric",))
    if indicator is not None:
        _alpha_metric(c, indicator.get("thresholdMetric"), f"{path}.indicator.thresholdMetric")
    windows = c.items(spec.get("timeWindows"), f"{path}.timeWindows")
    if len(windows) != 1:
        c.add(f"{path}.timeWindows", f"must hold exactly one window, found {len(windows)}")
    for wpath, w in windows:
        window = c.mapping(w, wpath, ("unit", "count", "isRolling", "calendar"), required=True)
        if window is None:
            continue
        unit = c.string(window, "unit", wpath, required=True)
        c.one_of(unit, f"{wpath}.unit", tuple(ALPHA_UNITS))
        count = c.number(window, "count", wpath)
        if count is None or count <= 0 or count != int(count):
            c.add(f"{wpath}.count", "must be a whole number greater than 0")
        c.calendar(window, wpath)
    fields = ("displayName", "value", "ratioMetrics", "target", "timeSliceTarget", "op")
    for opath, o in objectives:
        objective = c.mapping(o, opath, fields, required=True)
        if objective is None:
            continue
        c.max_length(c.string(objective, "displayName", opath), f"{opath}.displayName")
        metrics = c.mapping(
            objective.get("ratioMetrics"), f"{opath}.ratioMetrics", ("good", "total", "incremental")
        )
        if metrics is not None:
            c.boolean(metrics, "incremental", f"{opath}.ratioMetrics")
            for part in ("good", "total"):
                _alpha_metric(c, metrics.get(part), f"{opath}.ratioMetrics.{part}")
        c.number(objective, "value", opath, required=True)
        target = c.number(objective, "target", opath, required=True)
        if target is not None and not 0 <= target < 1:
            c.add(f"{opath}.target", "must be greater than or equal to 0 and less than 1")
        op = c.string(objective, "op", opath)
        if metrics is None:
            if op is None:
                c.add(f"{opath}.op", "property is required (the SLO uses a thresholdMetric)")
            c.one_of(op, f"{opath}.op", OPERATORS)
        else:
            c.forbidden(objective, "op", opath, "the objective uses ratioMetrics")
        if budgeting == "Timeslices":
            slice_target = c.number(objective, "timeSliceTarget", opath, required=True)
            if slice_target is not None and not 0 <= slice_target <= 1:
                c.add(f"{opath}.timeSliceTarget", "must be between 0 and 1")


ALPHA_UNITS = {
    "Second": 1,
    "Day": 86400,
    "Week": 7 * 86400,
    "Month": 30 * 86400,
    "Quarter": 90 * 86400,
}


def _validate_v1alpha(c: _Checker, obj: Mapping[str, Any]) -> None:
    kind = obj.get("kind")
    meta = c.mapping(obj.get("metadata"), "metadata", ("name", "displayName"), required=True)
    if meta is not None:
        c.dns_label(c.string(meta, "name", "metadata", required=True), "metadata.name")
    if kind not in V1ALPHA_KINDS:
        c.add("kind", f"{kind!r} is not an openslo/v1alpha kind ({', '.join(V1ALPHA_KINDS)})")
        return
    if kind == "Service":
        spec = c.mapping(obj.get("spec"), "spec", ("description",))
        if spec is not None:
            _service_spec(c, spec, "spec")
        return
    fields = ("timeWindows", "budgetingMethod", "description", "indicator", "service", "objectives")
    spec = c.mapping(obj.get("spec"), "spec", fields, required=True)
    if spec is not None:
        _slo_v1alpha(c, spec)


# ---------------------------------------------------------------------- entry point


def sli_kinds(objects: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Named v1 SLI objects of a file -> ``ratio``/``threshold`` (for indicatorRef)."""
    kinds = {}
    for obj in objects:
        if obj.get("kind") != "SLI" or not isinstance(obj.get("spec"), Mapping):
            continue
        meta = obj.get("metadata")
        name = meta.get("name") if isinstance(meta, Mapping) else None
        spec = obj["spec"]
        kinds[str(name)] = "threshold" if spec.get("thresholdMetric") is not None else "ratio"
    return kinds


def validate(obj: Mapping[str, Any], slis: Mapping[str, str] | None = None) -> list[Problem]:
    """Every problem ``oslo validate`` would report for one OpenSLO object."""
    c = _Checker()
    c.mapping(obj, "", ("apiVersion", "kind", "metadata", "spec"))
    version = obj.get("apiVersion")
    if version == "openslo/v1":
        _validate_v1(c, obj, slis or {})
    elif version == "openslo/v1alpha":
        _validate_v1alpha(c, obj)
    else:
        c.add("apiVersion", f"unsupported openslo version {version!r}")
    return c.problems
