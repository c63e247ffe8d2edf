"""The inline SVG error-budget burn-down chart."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from readiness.report.slo_chart import burn_down_svg

SVG = "{http://www.w3.org/2000/svg}"
DAY = 86400


def test_burn_down_chart_has_a_point_per_day_and_the_thresholds() -> None:
    points = [(1_700_000_000 + d * DAY, 1.0 - d * 0.03) for d in range(30)]
    svg = burn_down_svg("api/availability <99.9 %>", points, 0.25, 0.10)
    root = ET.fromstring(svg)
    assert len(root.findall(f"{SVG}circle")) == 30
    texts = [t.text or "" for t in root.iter(f"{SVG}text")]
    assert "freeze 25 %" in texts and "emergency 10 %" in texts
    assert "error budget remaining: 13.00 %" in texts
    assert root.find(f"{SVG}title").text == "api/availability <99.9 %>"  # type: ignore[union-attr]
    line = root.find(f"{SVG}polyline")
    assert line is not None and line.get("stroke") == "#e0a800"  # freeze colour
    assert "2023-11-14" in texts  # first day on the axis


def test_exhausted_budget_goes_below_zero_and_empty_data_says_so() -> None:
    points = [(d * DAY, 1.0 - d * 0.1) for d in range(15)]
    root = ET.fromstring(burn_down_svg("x", points, 0.25, 0.10))
    line = root.find(f"{SVG}polyline")
    assert line is not None and line.get("stroke") == "#333"
    empty = ET.fromstring(burn_down_svg("x", [], 0.25, 0.10))
    assert "no daily data" in "".join(empty.itertext())
