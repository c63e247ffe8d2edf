"""The one internal SLO model every spec format (native, OpenSLO, Sloth, Pyrra) becomes.

An SLI is kept as PromQL templated on the window (Sloth's ``{{.window}}``), so the same
objective can be evaluated over 30 days, over 5 minutes, or per timeslice.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Literal

import promql_parser

from readiness.errors import SourceError

WINDOW_PLACEHOLDER = "{{.window}}"
_PLACEHOLDER_RE = re.compile(r"\{\{\s*\.window\s*\}\}")
_DURATION_RE = re.compile(r"(\d+)(ms|[smhdwy])")
_UNIT_SECONDS = {
    "ms": 0.001,
    "s": 1,
    "m": 60,
    "h": 3600,
    "d": 86400,
    "w": 7 * 86400,
    "y": 365 * 86400,
}

Budgeting = Literal["occurrences", "timeslices", "ratio_timeslices"]


def parse_duration(text: str) -> int:
    """Seconds in a Prometheus duration (``30d``, ``1h30m``, ``4w``); ValueError if malformed."""
    text = str(text).strip()
    pos = 0
    total = 0.0
    for match in _DURATION_RE.finditer(text):
        if match.start() != pos:
            break
        total += int(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        pos = match.end()
    if not text or pos != len(text) or total <= 0:
        raise ValueError(f"{text!r} is not a duration such as 5m, 1h, 30d or 4w")
    return int(total)


def format_duration(seconds: float) -> str:
    """The shortest Prometheus duration for whole seconds: 2592000 -> ``30d``."""
    seconds = int(seconds)
    if seconds <= 0:
        return "0s"
    parts = []
    for unit in ("d", "h", "m", "s"):
        size = int(_UNIT_SECONDS[unit])
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return "".join(parts)


def render_window(query: str, window: str) -> str:
    """The templated query for one window: ``rate(x[{{.window}}])`` -> ``rate(x[5m])``."""
    return _PLACEHOLDER_RE.sub(window, query)


def has_window(query: str) -> bool:
    return bool(_PLACEHOLDER_RE.search(query))


@dataclass(frozen=True, slots=True)
class Sli:
    """A ratio SLI: bad/total or good/total events, PromQL templated on the window.

    ``source`` is the metric backend the spec names; only ``prometheus`` is evaluated.
    """

    total: str = ""
    bad: str | None = None
    good: str | None = None
    error_ratio: str | None = None  # Sloth's raw SLI: the error ratio itself
    source: str = "prometheus"

    @property
    def metric_names(self) -> frozenset[str]:
        names: set[str] = set()
        for query in (self.total, self.bad, self.good, self.error_ratio):
            if query:
                names.update(metric_names(query))
        return frozenset(names)


class UnsupportedSli(SourceError):
    """An SLI readiness cannot turn into PromQL (no query, or a non-Prometheus source)."""

    def __init__(self, sli: Sli):
        super().__init__(
            f"SLI ({sli.source})",
            f"the SLI has no Prometheus good, bad or error-ratio query (metric source "
            f"{sli.source!r}): it cannot be evaluated or turned into alerting rules",
        )


@dataclass(frozen=True, slots=True)
class DeclaredAlerting:
    """Burn-rate alerts a spec asks its generator (Sloth, OpenSLO AlertPolicy) to create."""

    name: str = ""
    page: bool = True
    ticket: bool = True
    policies: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Objective:
    service: str
    name: str
    target: float  # ratio in (0, 1): 99.9 % -> 0.999
    window: int  # seconds, rolling
    sli: Sli
    source: str  # "profile" or the spec file
    budgeting: Budgeting = "occurrences"
    timeslice_target: float | None = None  # ratio a slice must reach to count as good
    timeslice_window: int | None = None  # seconds
    description: str = ""
    alerting: DeclaredAlerting = field(default_factory=DeclaredAlerting)
    unsupported: str = ""  # why this objective cannot be evaluated (e.g. a non-Prometheus SLI)

    @property
    def id(self) -> str:
        return f"{self.service}/{self.name}"

    @property
    def budget(self) -> float:
        return 1.0 - self.target

    @property
    def window_text(self) -> str:
        return format_duration(self.window)


_WORDS = (
    "sum avg min max count stddev stdvar topk bottomk quantile count_values group by "
    "without on ignoring group_left group_right bool and or unless offset rate irate "
    "increase delta idelta abs ceil floor round clamp clamp_min clamp_max "
    "histogram_quantile label_replace label_join vector scalar time sort sort_desc "
    "absent absent_over_time avg_over_time min_over_time max_over_time sum_over_time "
    "count_over_time last_over_time quantile_over_time stddev_over_time changes resets "
    "deriv predict_linear exp ln log2 log10 sqrt timestamp inf nan atan2"
)
_PROMQL_WORDS = frozenset(_WORDS.split(" "))


def metric_names(query: str) -> set[str]:
    """Metric names a PromQL expression reads (best effort, for recognising alert rules)."""
    return set(_metric_names(query))


@functools.lru_cache(maxsize=4096)  # every SLO's check asks again about every rule of the run
def _metric_names(query: str) -> frozenset[str]:
    text = _PLACEHOLDER_RE.sub("5m", query)
    text = re.sub(r"\{[^}]*\}", "{}", text)  # drop label matchers
    text = re.sub(r"\"[^\"]*\"|'[^']*'", "", text)
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    names = set()
    for match in re.finditer(r"[a-zA-Z_:][a-zA-Z0-9_:]*", text):
        word = match.group(0)
        after = text[match.end() :].lstrip()
        if word in _PROMQL_WORDS or after.startswith("("):
            continue
        before = text[: match.start()]
        if before and (before[-1].isdigit() or before[-1] == "."):
            continue  # a duration unit or a float literal
        names.add(word)
    return frozenset(names)


def _sum(query: str, window: str) -> str:
    """The query summed to one series without labels (unless it already is a plain sum)."""
    rendered = render_window(query, window).strip()
    return rendered if _is_plain_sum(query) else f"sum({rendered})"


@functools.lru_cache(maxsize=1024)
def _is_plain_sum(query: str) -> bool:
    try:
        expr = promql_parser.parse(render_window(query, "5m"))
    except (ValueError, RuntimeError):
        return False
    return (
        isinstance(expr, promql_parser.AggregateExpr)
        and str(expr.op) == "sum"
        and expr.modifier is None
    )


def occurrence_error_ratio(sli: Sli, window: str) -> str:
    """PromQL: bad events / all events over ``window``, as one series without labels."""
    if sli.error_ratio is not None:
        return f"max({render_window(sli.error_ratio, window).strip()})"
    if sli.total and sli.bad is not None:
        return f"({_sum(sli.bad, window)} / {_sum(sli.total, window)})"
    if sli.total and sli.good is not None:
        return f"(1 - {_sum(sli.good, window)} / {_sum(sli.total, window)})"
    raise UnsupportedSli(sli)


def error_ratio_expr(objective: Objective, window: str) -> str:
    """PromQL for the share of the error budget's unit (events or slices) that was bad."""
    if objective.budgeting == "occurrences":
        return occurrence_error_ratio(objective.sli, window)
    slice_ = format_duration(objective.timeslice_window or 60)
    good_ratio = f"(1 - {occurrence_error_ratio(objective.sli, slice_)})"
    if objective.budgeting == "ratio_timeslices":
        return f"(1 - avg_over_time({good_ratio}[{window}:{slice_}]))"
    threshold = (
        objective.timeslice_target if objective.timeslice_target is not None else (objective.target)
    )
    return f"avg_over_time(({good_ratio} < bool {threshold:g})[{window}:{slice_}])"


def events_expr(objective: Objective, window: str) -> str:
    """PromQL that exists whenever the SLI has data over ``window`` (for coverage)."""
    if objective.sli.error_ratio is not None:
        return occurrence_error_ratio(objective.sli, window)
    return _sum(objective.sli.total, window)
