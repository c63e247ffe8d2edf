"""Inline SVG charts of weekly DORA points, and the report's HTML section."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from html import escape
from typing import Any

from readiness.dora.metrics import HOUR, describe_duration, describe_rate
from readiness.dora.model import RECEIPT_NAME

WIDTH, HEIGHT = 300, 130
LEFT, RIGHT, TOP, BOTTOM = 44, 10, 22, 24
_LEVEL_COLOURS = {"elite": "#1a7f37", "high": "#2da44e", "medium": "#9a6700", "low": "#cf222e"}


def line_chart(
    title: str,
    labels: Sequence[str],
    values: Sequence[float | None],
    fmt: Callable[[float], str],
    colour: str = "#0969da",
) -> str:
    """A small line chart; missing points (None) break the line and show no marker."""
    n = len(values)
    known = [v for v in values if v is not None]
    top = max(known) if known else 0.0
    top = top if top > 0 else 1.0
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM

    def x(i: int) -> float:
        return LEFT + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)

    def y(v: float) -> float:
        return TOP + plot_h * (1 - v / top)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}" '
        'style="font:10px sans-serif;margin:4px">',
        f'<text x="{LEFT}" y="13" font-weight="bold">{escape(title)}</text>',
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" y2="{TOP + plot_h}" '
        'stroke="#8c959f"/>',
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}" stroke="#8c959f"/>',
        f'<text x="{LEFT - 3}" y="{TOP + 4}" text-anchor="end">{escape(fmt(top))}</text>',
        f'<text x="{LEFT - 3}" y="{TOP + plot_h}" text-anchor="end">0</text>',
    ]
    segment: list[str] = []
    segments: list[list[str]] = []
    for i, v in enumerate(values):
        if v is None:
            if segment:
                segments.append(segment)
            segment = []
            continue
        segment.append(f"{x(i):.1f},{y(v):.1f}")
    if segment:
        segments.append(segment)
    for seg in segments:
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{" ".join(seg)}"/>'
        )
    for i, v in enumerate(values):
        if v is not None:
            parts.append(
                f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="2.5" fill="{colour}">'
                f"<title>{escape(labels[i])}: {escape(fmt(v))}</title></circle>"
            )
    if labels:
        parts.append(f'<text x="{LEFT}" y="{HEIGHT - 6}">{escape(labels[0])}</text>')
        parts.append(
            f'<text x="{WIDTH - RIGHT}" y="{HEIGHT - 6}" text-anchor="end">'
            f"{escape(labels[-1])}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _hours(v: float) -> str:
    return f"{v / HOUR:.1f} h" if v < 48 * HOUR else f"{v / 86400:.1f} d"


def trend_charts(weekly: Sequence[Mapping[str, Any]]) -> list[str]:
    labels = [str(p["week_ending"])[:10] for p in weekly]

    def series(key: str) -> list[float | None]:
        return [None if p[key] is None else float(p[key]) for p in weekly]

    return [
        line_chart("Deployments per week", labels, series("deployments"), lambda v: f"{v:.0f}"),
        line_chart("Lead time (median)", labels, series("lead_time_median_seconds"), _hours),
        line_chart(
            "Change failure rate",
            labels,
            series("change_failure_rate"),
            lambda v: f"{v * 100:.0f} %",
            "#cf222e",
        ),
        line_chart(
            "Time to restore (median)",
            labels,
            series("time_to_restore_median_seconds"),
            _hours,
            "#8250df",
        ),
        line_chart(
            "Rework rate", labels, series("rework_rate"), lambda v: f"{v * 100:.0f} %", "#9a6700"
        ),
    ]


def _level_cell(sample: int, level: str | None) -> str:
    if level is None:
        return f"<td>{level_text(sample, level)}</td>"
    colour = _LEVEL_COLOURS.get(level, "#000")
    return f'<td style="color:{colour};font-weight:bold">{escape(level)}</td>'


NO_DATA = "no data"


def metric_rows(m: Mapping[str, Any]) -> list[tuple[str, str, str, int, str | None]]:
    """(metric, value, detail, sample, level) for a metrics dict (``DoraMetrics.as_dict``).
    A metric without samples reads "no data" and has no level."""
    return [
        (name, NO_DATA if n == 0 else value, detail, n, None if n == 0 else level)
        for name, value, detail, n, level in _rows(m)
    ]


def level_text(sample: int, level: str | None) -> str:
    """The level column: the level, "no data" without samples, "n/a" for a metric
    without published levels."""
    if sample == 0:
        return NO_DATA
    return level or "n/a"


def _per_severity(groups: Mapping[str, Mapping[str, Any]]) -> str:
    """ "; SEV1: median 2h, mean 3h (n=4)" for each severity with restored incidents."""
    return "".join(
        f"; {name}: median {describe_duration(g['median_seconds'])}, "
        f"mean {describe_duration(g['mean_seconds'])} (n={g['sample']})"
        for name, g in groups.items()
    )


def _rows(m: Mapping[str, Any]) -> list[tuple[str, str, str, int, str | None]]:
    f, lt, cfr, ttr, rw = (
        m["deployment_frequency"],
        m["lead_time"],
        m["change_failure_rate"],
        m["time_to_restore"],
        m["rework_rate"],
    )
    return [
        (
            "Deployment frequency",
            f"{f['per_day']:.2f} / day",
            f"{f['deployments']} deployments, {f['per_week']:.1f} / week",
            f["sample"],
            f["level"],
        ),
        (
            "Lead time for changes",
            describe_duration(lt["median_seconds"]),
            f"p90 {describe_duration(lt['p90_seconds'])}",
            lt["sample"],
            lt["level"],
        ),
        (
            "Change failure rate",
            describe_rate(cfr["rate"]),
            f"{cfr['failed_deployments']} of {cfr['sample']} deployments caused an incident",
            cfr["sample"],
            cfr["level"],
        ),
        (
            "Time to restore",
            describe_duration(ttr["median_seconds"]),
            f"mean {describe_duration(ttr.get('mean_seconds'))}, "
            f"p90 {describe_duration(ttr['p90_seconds'])}, {ttr['still_open']} still open"
            + _per_severity(ttr.get("by_severity") or {}),
            ttr["sample"],
            ttr["level"],
        ),
        (
            "Rework rate",
            describe_rate(rw["rate"]),
            f"{rw['rollbacks']} rollbacks, {rw['hotfixes']} hotfixes",
            rw["sample"],
            rw["level"],
        ),
    ]


def metrics_table(m: Mapping[str, Any]) -> str:
    rows = "".join(
        f"<tr><th>{escape(name)}</th><td>{escape(value)}</td><td>{escape(detail)}</td>"
        f"<td>{sample}</td>{_level_cell(sample, level)}</tr>"
        for name, value, detail, sample, level in metric_rows(m)
    )
    return (
        '<table class="rd"><tr><th>metric</th><th>value</th><th>detail</th>'
        f"<th>sample</th><th>DORA level</th></tr>{rows}</table>"
    )


def html_section(dora: Mapping[str, Any]) -> str:
    """The report's DORA section from ``report["dora"]``."""
    parts = ["<h3>DORA metrics</h3>"]
    written = dora.get("recorded")
    if dora.get("pending"):
        parts.append(
            "<p><b>Recorded after this report was written</b> (the outcome is in "
            f"{RECEIPT_NAME} beside it); the metrics below are the history before this "
            "run.</p>"
        )
    elif not written:
        parts.append(
            f"<p><b>Not recorded:</b> {escape(str(dora.get('record_error') or 'recording off'))}"
            "</p>"
        )
    metrics = dora.get("metrics")
    if metrics:
        window = metrics["window"]
        scope = ", ".join(metrics["services"]) or "all services"
        parts.append(
            f"<p>{escape(scope)} in {escape(str(metrics['environment'] or 'every environment'))}"
            f", {window['days']:g} days to {escape(str(window['until']))} "
            f"(store {escape(str(dora.get('store', '')))})</p>"
        )
        parts.append(metrics_table(metrics))
        for service, per in dora.get("per_service", {}).items():
            parts.append(f"<h4>{escape(service)}</h4>{metrics_table(per)}")
    weekly = dora.get("weekly")
    if weekly:
        parts.append("<h4>Weekly trends</h4><div>" + "".join(trend_charts(weekly)) + "</div>")
    return '<div class="rd-dora">' + "".join(parts) + "</div>"
