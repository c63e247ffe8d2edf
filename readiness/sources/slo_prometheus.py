"""SLO evidence from a live Prometheus: batched queries, SLOs measured concurrently.

Per objective three queries, batched over windows with ``label_replace(...) or ...``: the
error ratio over the SLO window and the seven burn windows (instant), data coverage (a
subquery counting steps with data) and the daily bad/total points of the window (range,
step 1d). The post-mortem look-back is read for the page conditions only where they may
hold (:func:`burn_history`): a few filtered range queries whose answers are the burning
minutes, instead of every page window at every step of a month.

Range answers are reduced as they arrive (series as arrays of doubles, :class:`Points`)
and not kept for the run: a month of history at a 5-minute step is ~8,600 points per
window and SLO, ~150 bytes each as parsed JSON, 16 bytes here.
"""

from __future__ import annotations

import itertools
import math
from array import array
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, overload

from readiness.errors import OnceCache, SourceError
from readiness.rules.slo import (
    CONDITIONS,
    BurnCondition,
    DailyPoint,
    Measurement,
    evaluate_at_text,
    page_hit,
    windows_of,
)
from readiness.rules.slo_alerts import Rule
from readiness.rules.slo_model import (
    Objective,
    UnsupportedSli,
    error_ratio_expr,
    events_expr,
    format_duration,
    parse_duration,
    render_window,
)
from readiness.sources.prometheus import PrometheusClient
from readiness.sources.run import gather

MAX_POINTS = 10_000  # Prometheus refuses range queries above 11,000 points per series
DAY = 86400
#: A page condition's windows are read where their error ratio is above this share of the
#: condition's threshold; the conditions are then judged on the values themselves.
FLOOR = 1 - 1e-6
#: More separate burns than this in the look-back: every page window is read at every step.
MAX_GAPS = 32


def _label(expr: str, key: str, value: str) -> str:
    return f'label_replace({expr}, "{key}", "{value}", "", "")'


def union(parts: Mapping[str, str], key: str = "window") -> str:
    """One query returning every part as a series labelled ``key=<name>``."""
    return " or ".join(_label(expr, key, name) for name, expr in parts.items())


def _value(sample: Any) -> float:
    return float(sample[1])


def _by_label(result: Sequence[Mapping[str, Any]], key: str) -> dict[str, Any]:
    return {str(r["metric"].get(key, "")): r for r in result}


class Points(Sequence[tuple[float, float]]):
    """(time, value) pairs of one range series, in two arrays of doubles."""

    __slots__ = ("_times", "_values")

    def __init__(self, times: array[float], values: array[float]):
        self._times = times
        self._values = values

    @classmethod
    def of(cls, values: Sequence[Sequence[Any]], *, drop_nan: bool = False) -> Points:
        """From a range answer's ``[time, "value"]`` pairs."""
        times = array("d", [float(p[0]) for p in values])
        numbers = array("d", [float(p[1]) for p in values])
        if drop_nan and any(v != v for v in numbers):  # NaN is not equal to itself
            kept = [i for i, v in enumerate(numbers) if v == v]
            times = array("d", [times[i] for i in kept])
            numbers = array("d", [numbers[i] for i in kept])
        return cls(times, numbers)

    def __len__(self) -> int:
        return len(self._times)

    @overload
    def __getitem__(self, index: int) -> tuple[float, float]: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[tuple[float, float]]: ...
    def __getitem__(
        self, index: int | slice
    ) -> tuple[float, float] | Sequence[tuple[float, float]]:
        if isinstance(index, slice):
            return list(zip(self._times[index], self._values[index], strict=True))
        return self._times[index], self._values[index]

    def __iter__(self) -> Iterator[tuple[float, float]]:
        return zip(self._times, self._values, strict=True)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Points({len(self)} points)"


Series = list[tuple[dict[str, str], Points]]


def reduce_range(result: Sequence[Mapping[str, Any]], *, drop_nan: bool = False) -> Series:
    """A range answer reduced to (labels, points) per series."""
    return [
        (
            {str(k): str(v) for k, v in (r.get("metric") or {}).items()},
            Points.of(r["values"], drop_nan=drop_nan),
        )
        for r in result
    ]


def range_series(
    result: Sequence[Mapping[str, Any]], key: str, *, drop_nan: bool = False
) -> dict[str, Points]:
    """A range answer reduced to its series by label ``key``."""
    return by_label(reduce_range(result, drop_nan=drop_nan), key)


def by_label(series: Series, key: str) -> dict[str, Points]:
    return {labels.get(key, ""): points for labels, points in series}


def retention_seconds(client: PrometheusClient) -> int | None:
    """How much history the server keeps (``storageRetention``); None if it does not say."""
    body = client.api.get_json("/api/v1/status/runtimeinfo")
    info = body.get("data") if isinstance(body, dict) else None
    text = str((info or {}).get("storageRetention", "")).split(" or ")[0].strip()
    try:
        return parse_duration(text)
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class Settings:
    at: float
    lookback: Callable[[Objective], int]
    history_step: int = 300
    coverage_step: int = 3600
    conditions: tuple[BurnCondition, ...] = CONDITIONS

    @property
    def windows(self) -> tuple[str, ...]:
        """Every window a burn-rate condition reads (instant error ratios)."""
        return windows_of(self.conditions)

    @property
    def history_windows(self) -> tuple[str, ...]:
        """The page conditions' windows, read over the post-mortem look-back."""
        return windows_of(self.conditions, "page")


class SharedQueries:
    """Runs each distinct query once per collection, even when SLOs ask concurrently.

    Objectives that share an SLI (one SLI, several targets or owners) send identical
    queries; the first caller runs it, the others wait for its result.
    """

    def __init__(self, client: PrometheusClient):
        self.client = client
        self.name = client.name
        self._cache = OnceCache()
        self.executed = 0

    def _once(
        self, key: tuple[object, ...], run: Callable[[], list[dict[str, Any]]]
    ) -> list[dict[str, Any]]:
        def counted() -> list[dict[str, Any]]:
            result = run()
            self.executed += 1
            return result

        return self._cache.get(key, counted)

    def query(self, promql: str, time: float) -> list[dict[str, Any]]:
        return self._once(("q", promql, time), lambda: self.client.query(promql, time=time))

    def range(self, promql: str, start: float, end: float, step: float, drop_nan: bool) -> Series:
        """A range query's series, kept reduced (see :func:`read_range`)."""

        def read() -> Series:
            series = read_range(self.client, promql, start, end, step, drop_nan=drop_nan)
            self.executed += 1
            return series

        cached: Series = self._cache.get(("r", promql, start, end, step, drop_nan), read)
        return cached


def read_range(
    client: PrometheusClient | SharedQueries,
    promql: str,
    start: float,
    end: float,
    step: float,
    *,
    drop_nan: bool = False,
) -> Series:
    """A range query's series, reduced at once; the raw answer is not kept for the run
    (:class:`SharedQueries` shares the reduced series between objectives)."""
    if isinstance(client, SharedQueries):
        return client.range(promql, start, end, step, drop_nan)
    answer = client.query_range(promql, start, end, step, keep=False)
    return reduce_range(answer, drop_nan=drop_nan)


def read_series(
    client: PrometheusClient | SharedQueries,
    promql: str,
    start: float,
    end: float,
    step: float,
    key: str,
    *,
    drop_nan: bool = False,
) -> dict[str, Points]:
    """A range query's series by label ``key`` (see :func:`read_range`)."""
    return by_label(read_range(client, promql, start, end, step, drop_nan=drop_nan), key)


def measure(
    client: PrometheusClient | SharedQueries,
    objective: Objective,
    retention: int | None,
    settings: Settings,
) -> Measurement:
    if objective.unsupported:
        raise SourceError(objective.id, f"{objective.unsupported} (spec {objective.source})")
    if retention is not None and retention < objective.window:
        raise SourceError(
            objective.id,
            f"{client.name} keeps {format_duration(retention)} of data, less than the "
            f"{objective.window_text} SLO window: the attainment cannot be computed; raise "
            f"--storage.tsdb.retention.time to at least {objective.window_text}",
        )
    at = settings.at
    window = objective.window_text
    windows = {"slo": window, **{w: w for w in settings.windows}}
    instant = union({k: error_ratio_expr(objective, w) for k, w in windows.items()})
    values = _by_label(client.query(instant, time=at), "window")
    ratios: dict[str, float | None] = {}
    for key in windows:
        sample = values.get(key)
        value = _value(sample["value"]) if sample else math.nan
        ratios[key] = None if math.isnan(value) or math.isinf(value) else value
    error_ratio = ratios["slo"]
    if error_ratio is None:
        raise SourceError(
            objective.id,
            f"the SLI has no data over the {window} window ending {evaluate_at_text(at)}: "
            f"{error_ratio_expr(objective, window)} returned "
            f"{'no series' if 'slo' not in values else 'NaN (no events)'}; check the SLI "
            f"queries and that Prometheus scrapes them",
        )
    del ratios["slo"]
    step = settings.coverage_step if objective.window >= DAY else max(60, objective.window // 100)
    coverage_q = (
        f"count_over_time(({events_expr(objective, format_duration(step))})"
        f"[{window}:{format_duration(step)}])"
    )
    found = client.query(coverage_q, time=at)
    expected = objective.window // step
    coverage = min(1.0, _value(found[0]["value"]) / expected) if found else 0.0
    return Measurement(
        objective=objective,
        at=at,
        error_ratio=error_ratio,
        window_error_ratios=ratios,
        coverage=coverage,
        coverage_step=step,
        retention=retention,
        daily=tuple(_daily(client, objective, at)),
        history_step=settings.history_step,
        history=_history(client, objective, at, settings),
    )


def _daily(
    client: PrometheusClient | SharedQueries, objective: Objective, at: float
) -> list[DailyPoint]:
    days = max(1, objective.window // DAY)
    start = at - (days - 1) * DAY
    sli = objective.sli
    if objective.budgeting != "occurrences" or sli.error_ratio is not None:
        parts = {"bad": error_ratio_expr(objective, "1d"), "total": "vector(1)"}
    else:
        kind, query = ("bad", sli.bad) if sli.bad is not None else ("good", sli.good)
        if query is None or not sli.total:
            raise UnsupportedSli(sli)
        parts = {
            kind: f"sum({render_window(query, '1d')})",
            "total": f"sum({render_window(sli.total, '1d')})",
        }
    result = read_series(client, union(parts, "part"), start, at, DAY, "part")
    series = {k: dict(points) for k, points in result.items()}
    points = []
    for i in range(days):
        t = start + i * DAY
        total = series.get("total", {}).get(t)
        if total is None or math.isnan(total):
            points.append(DailyPoint(t, 0.0, 0.0))
            continue
        if "good" in parts:
            good = series.get("good", {}).get(t, math.nan)
            bad = 0.0 if math.isnan(good) else max(0.0, total - good)
        else:
            bad = series.get("bad", {}).get(t, 0.0)
            bad = 0.0 if math.isnan(bad) else bad
        points.append(DailyPoint(t, bad, total))
    return points


def _history(
    client: PrometheusClient | SharedQueries, objective: Objective, at: float, settings: Settings
) -> dict[str, Points]:
    lookback = settings.lookback(objective)
    step = max(settings.history_step, math.ceil(lookback / MAX_POINTS))
    start = at - lookback
    if not settings.history_windows:
        return {}
    try:
        return burn_history(client, objective, settings.conditions, start, at, step)
    except _Unfiltered:
        return full_history(client, objective, settings.history_windows, start, at, step)


def full_history(
    client: PrometheusClient | SharedQueries,
    objective: Objective,
    windows: Sequence[str],
    start: float,
    end: float,
    step: float,
) -> dict[str, Points]:
    """Every page window's error ratio at every step from ``start`` to ``end``."""
    query = union({w: error_ratio_expr(objective, w) for w in windows})
    return read_series(client, query, start, end, step, "window", drop_nan=True)


class _Unfiltered(Exception):
    """The filtered reads cannot stand for the whole history; read all of it."""


def burn_history(
    client: PrometheusClient | SharedQueries,
    objective: Objective,
    conditions: Sequence[BurnCondition],
    start: float,
    end: float,
    step: float,
) -> dict[str, Points]:
    """The page windows' error ratios at every step where a page condition may hold, and
    at the first step with data between two burning steps that are not neighbours.

    :func:`readiness.rules.slo.rapid_burns` finds the same episodes in this as in
    :func:`full_history` (every step): each step where a condition holds is here with the
    values that make it hold, and so is a step with data that separates two episodes.
    Per condition, its short window is read where it is above the threshold (less a
    margin for rounding: the values are judged again), then its long window over the
    span of those steps; a month of history costs a few answers of the burning minutes.
    Raises :class:`_Unfiltered` when this cannot be exact (a window with several
    series, a budget or factor that is not positive, too many separate burns).
    """
    budget = objective.budget
    pages = [c for c in conditions if c.urgency == "page"]
    if budget <= 0 or any(c.factor <= 0 for c in pages):
        raise _Unfiltered
    values: dict[str, dict[float, float]] = {}
    for c in pages:
        floor = c.factor * budget * FLOOR
        first = c.short or c.long
        found = _above(client, objective, first, floor, start, end, step)
        values.setdefault(first, {}).update(found)
        if c.short and found:
            values.setdefault(c.long, {}).update(
                _above(client, objective, c.long, floor, min(found), max(found), step)
            )
    times = sorted({t for points in values.values() for t in points})
    burning = [t for t in times if page_hit(values, t, budget, pages) is not None]
    steps = {t: i for i, t in enumerate(times)}
    gaps = [
        (a, b)
        for a, b in itertools.pairwise(burning)
        if steps[b] == steps[a] + 1 and b - a > step * 1.5
    ]
    if len(gaps) > MAX_GAPS:
        raise _Unfiltered
    windows = windows_of(pages)
    for a, b in gaps:
        for window, (t, value) in _first_data(client, objective, windows, a + step, b - step, step):
            values.setdefault(window, {})[t] = value
    return {w: Points.of(sorted(points.items())) for w, points in sorted(values.items()) if points}


def _above(
    client: PrometheusClient | SharedQueries,
    objective: Objective,
    window: str,
    floor: float,
    start: float,
    end: float,
    step: float,
) -> dict[float, float]:
    """The window's error ratio at the steps where it is above ``floor``."""
    query = f"({error_ratio_expr(objective, window)}) > {floor!r}"
    series = read_range(client, query, start, end, step)
    if len(series) > 1:
        raise _Unfiltered
    return dict(series[0][1]) if series else {}


def _first_data(
    client: PrometheusClient | SharedQueries,
    objective: Objective,
    windows: Sequence[str],
    start: float,
    end: float,
    step: float,
) -> list[tuple[str, tuple[float, float]]]:
    """Every window's value at the first step from ``start`` to ``end`` where one has data
    (none when no step has): its own step first, then the range."""
    parts = {w: error_ratio_expr(objective, w) for w in windows}
    now = _by_label(client.query(union(parts), time=start), "window")
    found = [(w, (start, _value(r["value"]))) for w, r in now.items()]
    found = [(w, point) for w, point in found if point[1] == point[1]]  # NaN: no data
    if found or end <= start:
        return found
    series = read_series(client, union(parts), start, end, step, "window", drop_nan=True)
    first = min((points[0][0] for points in series.values() if points), default=None)
    return [(w, (t, v)) for w, points in series.items() for t, v in points if t == first]


def collect(
    client: PrometheusClient,
    objectives: Sequence[Objective],
    settings: Settings,
    concurrency: int = 8,
) -> dict[str, Measurement | Exception]:
    """Measure every objective concurrently; a failure is kept per objective."""
    try:
        retention: int | None = retention_seconds(client)
    except SourceError as exc:
        return {o.id: exc for o in objectives}
    shared = SharedQueries(client)
    results = gather(lambda o: measure(shared, o, retention, settings), objectives, concurrency)
    return {o.id: r for o, r in zip(objectives, results, strict=True)}


def loaded_rules(client: PrometheusClient) -> list[Rule]:
    rules = []
    for group in client.rules():
        for r in group.get("rules", []):
            rules.append(
                Rule(
                    name=str(r.get("name", "")),
                    kind="alerting" if r.get("type") == "alerting" else "recording",
                    expr=str(r.get("query", "")),
                    group=str(group.get("name", "")),
                    file=str(group.get("file", "")),
                    labels={str(k): str(v) for k, v in (r.get("labels") or {}).items()},
                    annotations={str(k): str(v) for k, v in (r.get("annotations") or {}).items()},
                    health=str(r.get("health", "ok")),
                )
            )
    return rules
