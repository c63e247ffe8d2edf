"""SLO evidence from a real Prometheus holding 30 days of backfilled, known history.

Expected values are computed from the generated samples themselves (``Samples``), not from
Prometheus. Tolerance: 1e-6 relative on error ratios and burn rates (float rounding in the
OpenMetrics text and in rate()); coverage within one coverage step (1/720).
"""

from __future__ import annotations

import dataclasses
import itertools
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from readiness.demo.slo_history import native_slo, scenarios
from readiness.errors import SourceError
from readiness.profile.common import Endpoint
from readiness.profile.slo import SloSpec
from readiness.rules import slo as rules
from readiness.rules.slo_alerts import coverage, coverage_findings
from readiness.rules.slo_model import Objective, parse_duration
from readiness.sources.api import ApiClient
from readiness.sources.prometheus import PrometheusClient
from readiness.sources.run import gather, start_run
from readiness.sources.slo_prometheus import (
    Points,
    Settings,
    SharedQueries,
    burn_history,
    collect,
    full_history,
    loaded_rules,
    measure,
    retention_seconds,
)
from readiness.sources.slo_specs import from_native, load_file
from tests.fixtures.slo import SLOTH_SPEC, SloLab

pytestmark = pytest.mark.integration
DAY = 86400
REL = 1e-6


def objective(service: str) -> Objective:
    (o,) = from_native(SloSpec.model_validate(native_slo(service)), "test")
    return o


def client(lab: SloLab) -> PrometheusClient:
    return PrometheusClient(ApiClient("prometheus", Endpoint(url=lab.url)))


@pytest.fixture(scope="module")
def measured(slo_lab: SloLab) -> dict[str, rules.Measurement | Exception]:
    objectives = [objective(s.service) for s in scenarios()] + [objective("ghost")]
    settings = Settings(at=slo_lab.end, lookback=lambda o: o.window)
    return collect(client(slo_lab), objectives, settings)


def get(measured: dict[str, rules.Measurement | Exception], service: str) -> rules.Measurement:
    m = measured[f"{service}/availability"]
    assert isinstance(m, rules.Measurement), m
    return m


@pytest.mark.parametrize("service", [s.service for s in scenarios()])
def test_error_ratios_and_burn_rates_match_ground_truth(
    slo_lab: SloLab, measured: dict[str, rules.Measurement | Exception], service: str
) -> None:
    m = get(measured, service)
    truth = slo_lab.samples[service]
    assert m.error_ratio == pytest.approx(truth.error_ratio(slo_lab.end, 30 * DAY), rel=REL)
    for window in rules.BURN_WINDOWS:
        expected = truth.error_ratio(slo_lab.end, parse_duration(window))
        if expected is None:  # no samples in the window: no value, not a zero
            assert m.window_error_ratios[window] is None, window
        else:
            assert m.window_error_ratios[window] == pytest.approx(expected, rel=REL), window
    # the burn-down's last day lands on the window's remaining budget
    points = rules.burn_down(m)
    assert len(points) == 30
    budget = rules.budget_of(m.objective, m.error_ratio)
    assert points[-1][1] == pytest.approx(budget.remaining, abs=1e-3)


@pytest.mark.parametrize(
    ("service", "remaining", "state", "attained"),
    [
        ("healthy", 0.80, "ok", True),
        ("freeze", 0.20, "freeze", True),
        ("emergency", 0.05, "emergency", True),
        ("exhausted", -0.50, "exhausted", False),
        ("burning", 0.7614, "ok", True),
    ],
)
def test_budget_and_policy_state(
    measured: dict[str, rules.Measurement | Exception],
    service: str,
    remaining: float,
    state: str,
    attained: bool,
) -> None:
    m = get(measured, service)
    budget = rules.budget_of(m.objective, m.error_ratio)
    assert budget.remaining == pytest.approx(remaining, abs=1e-3)
    assert rules.policy_state(budget.remaining, 0.25, 0.10) == state
    assert (rules.attainment_findings(m.objective, budget) == []) is attained
    feature = rules.release_findings(m.objective, budget, state, "feature", 0.25, 0.10)  # type: ignore[arg-type]
    fix = rules.release_findings(m.objective, budget, state, "fix", 0.25, 0.10)  # type: ignore[arg-type]
    assert bool(feature) is (state != "ok")
    assert bool(fix) is (state == "exhausted")


def test_burning_service_trips_the_page_condition(
    measured: dict[str, rules.Measurement | Exception],
) -> None:
    burning = get(measured, "burning")
    states = rules.conditions_now(rules.burn_rates(burning.objective, burning.window_error_ratios))
    firing = [s.condition.label for s in states if s.firing]
    assert "page 14.4x over 1h and 5m" in firing and "page 6x over 6h and 30m" in firing
    assert rules.burn_findings(burning.objective, states, "page")
    (episode,) = rules.rapid_burns(burning)
    assert episode.end == burning.at and episode.peak == pytest.approx(50, rel=1e-3)
    healthy = get(measured, "healthy")
    quiet = rules.conditions_now(rules.burn_rates(healthy.objective, healthy.window_error_ratios))
    assert not any(s.firing for s in quiet) and rules.rapid_burns(healthy) == []


def test_past_incident_is_a_rapid_burn_needing_a_postmortem(
    slo_lab: SloLab,
    measured: dict[str, rules.Measurement | Exception],
) -> None:
    m = get(measured, "freeze")
    (episode,) = rules.rapid_burns(m)
    # the incident ran from 10 days ago for one day at 18.2x; the 1h window trails it
    assert slo_lab.end - 10 * DAY <= episode.start <= slo_lab.end - 10 * DAY + 3600
    assert episode.peak == pytest.approx(18.2, rel=1e-3)
    assert rules.postmortem_findings(m.objective, [episode], [])
    attested = [rules.Attestation("freeze/availability", "PM-7", episode.end)]
    assert rules.postmortem_findings(m.objective, [episode], attested) == []


def test_data_gap_lowers_coverage(measured: dict[str, rules.Measurement | Exception]) -> None:
    gappy = get(measured, "gappy")
    assert gappy.coverage == pytest.approx(24 / 30, abs=2 / 720)
    assert rules.coverage_findings(gappy, 0.95)
    assert sum(1 for p in gappy.daily if p.total == 0) >= 5
    assert get(measured, "healthy").coverage == pytest.approx(1.0, abs=1 / 720)


def test_stale_sli_cannot_be_judged_for_burn_rates(
    measured: dict[str, rules.Measurement | Exception],
) -> None:
    stale = get(measured, "stale")
    states = rules.conditions_now(rules.burn_rates(stale.objective, stale.window_error_ratios))
    page = rules.burn_data_problem(stale.objective, states, "page")
    ticket = rules.burn_data_problem(stale.objective, states, "ticket")
    assert page is not None and "no data over 1h, 6h" in page
    assert ticket is not None and "no data over 1d, 3d" in ticket
    healthy = get(measured, "healthy")
    fine = rules.conditions_now(rules.burn_rates(healthy.objective, healthy.window_error_ratios))
    assert rules.burn_data_problem(healthy.objective, fine, "page") is None


def test_window_without_data_is_an_error(
    measured: dict[str, rules.Measurement | Exception],
) -> None:
    ghost = measured["ghost/availability"]
    assert isinstance(ghost, SourceError)
    assert "no data over the 30d window" in str(ghost) and 'service="ghost"' in str(ghost)


def test_retention_shorter_than_window_is_an_error(slo_lab: SloLab) -> None:
    prom = client(slo_lab)
    assert retention_seconds(prom) == 400 * DAY
    settings = Settings(at=slo_lab.end, lookback=lambda o: o.window)
    with pytest.raises(SourceError, match="keeps 15d of data, less than the 30d SLO window"):
        measure(prom, objective("healthy"), 15 * DAY, settings)


def test_unreachable_prometheus_is_an_error_for_every_slo() -> None:
    dead = PrometheusClient(
        ApiClient("prometheus", Endpoint(url="http://127.0.0.1:9", timeout=1, retries=0))
    )
    result = collect(dead, [objective("healthy")], Settings(at=0, lookback=lambda o: 3600))
    assert isinstance(result["healthy/availability"], SourceError)


def test_alert_coverage_against_loaded_rules(slo_lab: SloLab) -> None:
    loaded = loaded_rules(client(slo_lab))
    for service in ("healthy", "freeze", "burning"):
        cov = coverage(objective(service), loaded)
        assert cov.missing == () and coverage_findings(cov, True, "x") == [], service
    emergency = coverage_findings(coverage(objective("emergency"), loaded), True, "x")
    assert len(emergency) == 2
    assert all(f.message.endswith("no runbook_url annotation") for f in emergency)
    (missing,) = coverage_findings(coverage(objective("exhausted"), loaded), True, "https://rb")
    assert "ExhaustedAvailabilityErrorBudgetBurn" in missing.fix
    (sloth_objective,) = load_file(SLOTH_SPEC).objectives
    sloth = coverage(sloth_objective, loaded)
    assert sloth.missing == () and {a.reason for a in sloth.alerts} == {"sloth labels"}


def test_suggested_rule_passes_promtool(slo_lab: SloLab, tmp_path: Path) -> None:
    (missing,) = coverage_findings(
        coverage(objective("exhausted"), loaded_rules(client(slo_lab))), True, "https://rb"
    )
    rules_yaml = yaml.safe_load(missing.fix.split("\n", 1)[1])
    path = tmp_path / "suggested.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "slo", "rules": rules_yaml}]}))
    proc = subprocess.run(
        ["promtool", "check", "rules", str(path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "SUCCESS: 2 rules found" in proc.stdout


def test_identical_queries_run_once(slo_lab: SloLab) -> None:
    shared = SharedQueries(client(slo_lab))
    spec = native_slo("healthy")
    base = spec["objectives"][0]  # type: ignore[index]
    spec["objectives"] = [{**base, "name": f"a{t}", "target": t} for t in (99.0, 99.5, 99.9)]
    objectives = from_native(SloSpec.model_validate(spec), "test")
    settings = Settings(at=slo_lab.end, lookback=lambda o: o.window)
    results = gather(lambda o: measure(shared, o, 400 * DAY, settings), objectives, 3)
    assert all(isinstance(r, rules.Measurement) for r in results)
    # windows, coverage and daily once for all three; the history is read where each
    # target's page conditions may hold (its budget sets the threshold)
    single = SharedQueries(client(slo_lab))
    measure(single, objectives[0], 400 * DAY, settings)
    assert single.executed > 3
    assert shared.executed == 3 + 3 * (single.executed - 3)
    ratios = {r.error_ratio for r in results if isinstance(r, rules.Measurement)}
    assert len(ratios) == 1


def test_range_answers_are_reduced_and_not_kept_for_the_run(
    slo_lab: SloLab, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the reduced series stay in memory: a month of history is arrays of doubles,
    and the parsed range answers are not kept in the run's shared answers."""
    reads: list[str] = []
    read_json = ApiClient._read_json

    def counted(self: ApiClient, path: str, params: Any) -> Any:
        reads.append(path)
        return read_json(self, path, params)

    monkeypatch.setattr(ApiClient, "_read_json", counted)
    start_run()
    settings = Settings(at=slo_lab.end, lookback=lambda o: o.window)
    for _ in range(2):  # the same run measures twice
        (m,) = collect(client(slo_lab), [objective("healthy")], settings).values()
        assert isinstance(m, rules.Measurement), m
    assert all(isinstance(points, Points) for points in m.history.values())
    # Instant queries and the runtime info once for the run; the range queries each time:
    # the daily points and the page conditions' short windows (nothing burned: no long ones).
    assert reads.count("/api/v1/query_range") == 2 * 3
    assert reads.count("/api/v1/query") == 2 and reads.count("/api/v1/status/runtimeinfo") == 1


@pytest.mark.parametrize(
    "conditions",
    [
        rules.CONDITIONS,
        # burning wherever the 5m window has data; the 6h window has data 6 hours longer
        # (a gap of data splits a burn only where another window still has data)
        (rules.BurnCondition("page", 0.1, "5m"), rules.BurnCondition("page", 1e6, "6h")),
        (rules.BurnCondition("page", 0.1, "5m"),),
        (rules.BurnCondition("page", 1.2, "1h", "5m"),),
    ],
    ids=["default", "5m-and-6h", "5m", "1h-and-5m"],
)
def test_burn_history_finds_the_episodes_of_the_whole_history(
    slo_lab: SloLab, conditions: tuple[rules.BurnCondition, ...]
) -> None:
    """Read only where a page condition may hold, the history gives the same episodes
    (start, end, peak, condition) as every window at every step."""
    lab = client(slo_lab)
    start, step = slo_lab.end - 30 * DAY, 300
    windows = rules.windows_of(conditions, "page")
    split: dict[str, int] = {}
    for s in scenarios():
        o = objective(s.service)
        full = rules.Measurement(o, slo_lab.end, 0.0, {}, 1.0, 3600, None)
        full = dataclasses.replace(
            full, history=full_history(lab, o, windows, start, slo_lab.end, step)
        )
        read = dataclasses.replace(
            full, history=burn_history(lab, o, conditions, start, slo_lab.end, step)
        )
        expected = rules.rapid_burns(full, conditions)
        assert rules.rapid_burns(read, conditions) == expected, s.service
        read_points = sum(len(p) for p in read.history.values())
        assert read_points <= sum(len(p) for p in full.history.values())
        if not expected:
            assert read_points == 0
        split[s.service] = len(expected)
    if len(conditions) == 2 and conditions[0].factor == 0.1:
        assert split["gappy"] == 2  # the 6h window's data after the gap separates the two
    if len(conditions) == 1 and conditions[0].short is None:
        assert split["gappy"] == 1  # nothing has data in the gap: one burn across it


def test_openslo_timeslices_against_real_data(slo_lab: SloLab, tmp_path: Path) -> None:
    spec = tmp_path / "timeslices.yaml"
    spec.write_text(
        """
apiVersion: openslo/v1
kind: SLO
metadata: {name: minutes}
spec:
  service: burning
  indicator:
    metadata: {name: good-minutes}
    spec:
      ratioMetric:
        counter: true
        good: {metricSource: {type: Prometheus,
               spec: {query: 'sum(http_requests_total{service="burning",code="200"})'}}}
        total: {metricSource: {type: Prometheus,
                spec: {query: 'sum(http_requests_total{service="burning"})'}}}
  timeWindow: [{duration: 30d, isRolling: true}]
  budgetingMethod: Timeslices
  objectives: [{target: 0.999, timeSliceTarget: 0.99, timeSliceWindow: 1m}]
"""
    )
    (o,) = load_file(spec).objectives
    m = measure(client(slo_lab), o, None, Settings(at=slo_lab.end, lookback=lambda o: 6 * 3600))
    # ground truth: one-minute slices whose good ratio fell below 99 %: the 2-hour incident
    points = slo_lab.samples["burning"].points
    bad = sum(
        1
        for (_, g0, b0), (t, g1, b1) in itertools.pairwise(points)
        if t > slo_lab.end - 30 * DAY and (g1 - g0) / ((g1 - g0) + (b1 - b0)) < 0.99
    )
    assert bad == 120
    assert m.error_ratio == pytest.approx(bad / (30 * DAY / 60), rel=0.01)
    # the hour holds 61 slice ends (a closed range); the newest minute is after the incident
    assert m.window_error_ratios["1h"] == pytest.approx(60 / 61)
    assert m.window_error_ratios["3d"] == pytest.approx(120 / (3 * 1440), rel=0.01)
