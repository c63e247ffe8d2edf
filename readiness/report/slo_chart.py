"""Inline SVG error-budget burn-down chart (daily points over the SLO window)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from html import escape

WIDTH, HEIGHT = 560, 220
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 24, 36


def burn_down_svg(
    title: str,
    points: Sequence[tuple[float, float]],
    freeze_below: float,
    emergency_below: float,
) -> str:
    """Budget remaining (ratio, 1.0 = untouched) per day, with the policy thresholds."""
    if not points:
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="40" role="img">'
            f'<text x="4" y="24" font-size="12">{escape(title)}: no daily data</text></svg>'
        )
    values = [v for _, v in points]
    lo = min(0.0, min(values))
    hi = max(1.0, max(values))
    t0, t1 = points[0][0], points[-1][0]
    span = max(t1 - t0, 1.0)
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM

    def x(t: float) -> float:
        return LEFT + (t - t0) / span * plot_w

    def y(v: float) -> float:
        return TOP + (hi - v) / (hi - lo) * plot_h

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="slo-burndown" width="{WIDTH}" '
        f'height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<text x="{LEFT}" y="14" font-size="12" font-family="sans-serif">{escape(title)}</text>',
        f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="none" '
        'stroke="#999" stroke-width="0.5"/>',
    ]
    for level, colour, name in (
        (freeze_below, "#e0a800", "freeze"),
        (emergency_below, "#d9534f", "emergency"),
        (0.0, "#333", "exhausted"),
    ):
        yy = y(level)
        parts.append(
            f'<line x1="{LEFT}" y1="{yy:.1f}" x2="{WIDTH - RIGHT}" y2="{yy:.1f}" '
            f'stroke="{colour}" stroke-dasharray="4 3" stroke-width="1"/>'
            f'<text x="{WIDTH - RIGHT - 2}" y="{yy - 3:.1f}" font-size="9" text-anchor="end" '
            f'fill="{colour}" font-family="sans-serif">{name} {level * 100:g} %</text>'
        )
    for v in sorted({lo, 0.0, 0.5, 1.0, hi}):
        parts.append(
            f'<text x="{LEFT - 4}" y="{y(v) + 3:.1f}" font-size="9" text-anchor="end" '
            f'font-family="sans-serif">{v * 100:.0f}%</text>'
        )
    for t, anchor in ((t0, "start"), (t1, "end")):
        label = dt.datetime.fromtimestamp(t, dt.UTC).strftime("%Y-%m-%d")
        parts.append(
            f'<text x="{x(t):.1f}" y="{HEIGHT - BOTTOM + 14}" font-size="9" '
            f'text-anchor="{anchor}" font-family="sans-serif">{label}</text>'
        )
    path = " ".join(f"{x(t):.1f},{y(v):.1f}" for t, v in points)
    last = values[-1]
    colour = (
        "#333"
        if last <= 0
        else "#d9534f"
        if last < emergency_below
        else "#e0a800"
        if last < freeze_below
        else "#2e7d32"
    )
    parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{path}"/>')
    for t, v in points:
        day = dt.datetime.fromtimestamp(t, dt.UTC).strftime("%Y-%m-%d")
        parts.append(
            f'<circle cx="{x(t):.1f}" cy="{y(v):.1f}" r="2" fill="{colour}">'
            f"<title>{day}: {v * 100:.2f} % left</title></circle>"
        )
    parts.append(
        f'<text x="{LEFT}" y="{HEIGHT - 6}" font-size="10" font-family="sans-serif">'
        f"error budget remaining: {last * 100:.2f} %</text>"
    )
    parts.append("</svg>")
    return "".join(parts)
