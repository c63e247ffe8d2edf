"""SLO maths and judgement: budget, policy, burn-rate conditions, rapid burns, burn-down."""

from __future__ import annotations

import math

import pytest

from readiness.rules import slo as rules
from readiness.rules.slo_model import (
    Objective,
    Sli,
    error_ratio_expr,
    format_duration,
    metric_names,
    parse_duration,
)

SLI = Sli(
    total='sum(rate(http_requests_total{service="api"}[{{.window}}]))',
    bad='sum(rate(http_requests_total{service="api",code=~"5.."}[{{.window}}]))',
)
OBJ = Objective("api", "availability", 0.999, 30 * 86400, SLI, "test")
DAY = 86400


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("5m", 300), ("1h30m", 5400), ("30d", 2592000), ("4w", 2419200), ("90s", 90)],
)
def test_parse_duration(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "30", "d30", "1x", "0s", "5m!"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(text)


@pytest.mark.parametrize(("seconds", "text"), [(300, "5m"), (2592000, "30d"), (5400, "1h30m")])
def test_format_duration(seconds: int, text: str) -> None:
    assert format_duration(seconds) == text


def test_budget_fields_follow_slo_generator() -> None:
    budget = rules.budget_of(OBJ, 0.0008)
    assert budget.attainment == pytest.approx(0.9992)
    assert budget.consumed == pytest.approx(0.8)
    assert budget.remaining == pytest.approx(0.2)
    assert budget.minutes == pytest.approx(43.2)  # 0.1 % of 30 days
    assert budget.remaining_minutes == pytest.approx(8.64)
    assert budget.error_minutes == pytest.approx(34.56)
    fields = budget.as_dict()
    assert fields["error_budget_remaining_percent"] == pytest.approx(20.0)
    assert fields["gap"] == pytest.approx(0.0002)


@pytest.mark.parametrize(
    ("remaining", "state"),
    [
        (0.8, "ok"),
        (0.25, "ok"),
        (0.2499, "freeze"),
        (0.1, "freeze"),
        (0.05, "emergency"),
        (0.0, "exhausted"),
        (-0.5, "exhausted"),
    ],
)
def test_policy_state(remaining: float, state: str) -> None:
    assert rules.policy_state(remaining, 0.25, 0.10) == state


@pytest.mark.parametrize(
    ("state", "kind", "blocked"),
    [
        ("ok", "feature", False),
        ("ok", "fix", False),
        ("freeze", "feature", True),
        ("freeze", "fix", False),
        ("emergency", "feature", True),
        ("emergency", "fix", False),
        ("exhausted", "feature", True),
        ("exhausted", "fix", True),
    ],
)
def test_release_policy(state: rules.PolicyState, kind: rules.ReleaseKind, blocked: bool) -> None:
    budget = rules.budget_of(OBJ, 0.0009)
    findings = rules.release_findings(OBJ, budget, state, kind, 0.25, 0.10)
    assert bool(findings) is blocked
    if blocked:
        assert "api/availability" in findings[0].message and findings[0].fix
    warnings = rules.budget_level_findings(OBJ, budget, state, kind, 0.25)
    assert bool(warnings) is (state != "ok")
    if warnings:
        verdict = "blocked" if blocked else "allowed"
        assert f"is {verdict} by the policy" in warnings[0].message


def test_attainment_below_target() -> None:
    assert rules.attainment_findings(OBJ, rules.budget_of(OBJ, 0.0009)) == []
    (finding,) = rules.attainment_findings(OBJ, rules.budget_of(OBJ, 0.0015))
    assert "99.85 %" in finding.found and ">= 99.9 %" in finding.expected


@pytest.mark.parametrize(
    ("rates", "firing"),
    [
        ({"1h": 15.0, "5m": 15.0}, ["page 14.4x over 1h and 5m"]),
        ({"1h": 15.0, "5m": 2.0}, []),  # burn already stopped: short window resets
        ({"6h": 7.0, "30m": 6.5}, ["page 6x over 6h and 30m"]),
        ({"1d": 3.5, "2h": 4.0}, ["ticket 3x over 1d and 2h"]),
        ({"3d": 1.2, "6h": 1.1}, ["ticket 1x over 3d and 6h"]),
        ({"1h": None, "5m": 100.0}, []),  # unknown is never a trip
        ({"1h": 14.4, "5m": 14.4}, []),  # strictly above, like the alert rule
    ],
)
def test_conditions(rates: dict[str, float | None], firing: list[str]) -> None:
    states = rules.conditions_now(rates)
    assert [s.condition.label for s in states if s.firing] == firing


def test_burn_findings_by_severity() -> None:
    states = rules.conditions_now({"1h": 50.0, "5m": 40.0, "1d": 4.0, "2h": 49.0})
    page = rules.burn_findings(OBJ, states, "page")
    ticket = rules.burn_findings(OBJ, states, "ticket")
    assert len(page) == 1 and "50x over 1h" in page[0].message
    assert len(ticket) == 1 and "ticket" in ticket[0].message


def test_burn_rates_divide_by_budget() -> None:
    assert rules.burn_rates(OBJ, {"1h": 0.0144, "5m": None}) == {
        "1h": pytest.approx(14.4),
        "5m": None,
    }


def _measurement(
    history: dict[str, tuple[tuple[float, float], ...]] | None = None,
    daily: tuple[rules.DailyPoint, ...] = (),
) -> rules.Measurement:
    return rules.Measurement(
        objective=OBJ,
        at=30 * DAY,
        error_ratio=0.0005,
        window_error_ratios={},
        coverage=1.0,
        coverage_step=3600,
        retention=None,
        daily=daily,
        history=history or {},
    )


def test_rapid_burns_are_episodes() -> None:
    times = [i * 300.0 for i in range(10)]
    hot = {2, 3, 4, 7}
    history = {
        w: tuple((t, 0.02 if i in hot else 0.0001) for i, t in enumerate(times))
        for w in ("5m", "1h", "30m", "6h")
    }
    episodes = rules.rapid_burns(_measurement(history))
    assert [(e.start, e.end) for e in episodes] == [(600.0, 1200.0), (2100.0, 2100.0)]
    assert episodes[0].peak == pytest.approx(20.0)


def test_postmortem_attestation_covers_earlier_burns() -> None:
    episodes = [rules.Episode(1000.0, 2000.0, 20.0, "page"), rules.Episode(9000, 9500, 30, "p")]
    assert len(rules.postmortem_findings(OBJ, episodes, [])) == 2
    att = [rules.Attestation("api/availability", "PM-1", 2500.0)]
    (left,) = rules.postmortem_findings(OBJ, episodes, att)
    assert "PM-1" in left.found and "covers_until" in left.fix
    assert (
        rules.postmortem_findings(
            OBJ, episodes, [rules.Attestation("availability", "PM-2", 9600.0)]
        )
        == []
    )
    other = [rules.Attestation("web/availability", "PM-3", 1e10)]
    assert len(rules.postmortem_findings(OBJ, episodes, other)) == 2


def test_burn_down_ends_at_remaining_budget() -> None:
    daily = tuple(rules.DailyPoint(d * DAY, 0.0 if d < 29 else 0.024, 1.0) for d in range(30))
    points = rules.burn_down(_measurement(daily=daily))
    assert len(points) == 30
    assert points[0][1] == pytest.approx(1.0)
    assert points[-1][1] == pytest.approx(0.2)  # 0.024 / (0.001 * 30)
    assert rules.burn_down(_measurement()) == []


def test_coverage_and_retention() -> None:
    m = rules.Measurement(OBJ, 0, 0.0, {}, coverage=0.8, coverage_step=3600, retention=None)
    (finding,) = rules.coverage_findings(m, 0.95)
    assert "80 %" in finding.message
    assert rules.coverage_findings(m, 0.8) == []
    assert rules.retention_problem(OBJ, 15 * DAY) is not None
    assert rules.retention_problem(OBJ, 400 * DAY) is None


def test_error_ratio_expressions() -> None:
    assert error_ratio_expr(OBJ, "1h") == (
        '(sum(rate(http_requests_total{service="api",code=~"5.."}[1h])) / '
        'sum(rate(http_requests_total{service="api"}[1h])))'
    )
    good = Objective(
        "api",
        "a",
        0.99,
        DAY,
        Sli(total="sum(rate(t[{{.window}}]))", good="sum(rate(g[{{.window}}]))"),
        "x",
    )
    assert error_ratio_expr(good, "5m") == "(1 - sum(rate(g[5m])) / sum(rate(t[5m])))"
    slices = Objective(
        "api",
        "a",
        0.99,
        DAY,
        good.sli,
        "x",
        budgeting="timeslices",
        timeslice_target=0.95,
        timeslice_window=60,
    )
    assert error_ratio_expr(slices, "1h").endswith("< bool 0.95)[1h:1m])")
    assert math.isfinite(slices.budget)
    grouped = Objective(
        "api",
        "a",
        0.99,
        DAY,
        Sli(total="sum by (code) (rate(t[{{.window}}]))", bad="rate(b[{{.window}}])"),
        "x",
    )
    assert error_ratio_expr(grouped, "1h") == (
        "(sum(rate(b[1h])) / sum(sum by (code) (rate(t[1h]))))"
    )


def test_metric_names() -> None:
    assert metric_names(
        'sum by (code) (rate(http_requests_total{code=~"5.."}[5m])) / '
        "sum(rate(http_requests_total[{{.window}}])) > 14.4 * 0.001"
    ) == {"http_requests_total"}
    assert metric_names('slo:sli_error:ratio_rate5m{sloth_id="x"} > (14.4 * 1e-3)') == {
        "slo:sli_error:ratio_rate5m"
    }


@pytest.mark.parametrize(
    ("rates", "severity", "blind"),
    [
        ({"1h": 0.2, "5m": None, "6h": 0.2, "30m": None}, "page", None),  # quiet 5 minutes
        ({"1h": None, "5m": None, "6h": 0.3, "30m": 0.3}, "page", "1h"),
        ({"1d": None, "2h": None, "3d": None, "6h": None}, "ticket", "1d, 3d"),
        ({"1d": 1.0, "2h": 1.0, "3d": 1.0, "6h": 1.0}, "ticket", None),
    ],
)
def test_burn_data_problem(
    rates: dict[str, float | None], severity: str, blind: str | None
) -> None:
    problem = rules.burn_data_problem(OBJ, rules.conditions_now(rates), severity)
    if blind is None:
        assert problem is None
    else:
        assert problem is not None and f"no data over {blind} " in problem
