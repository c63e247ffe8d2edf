"""SLO checks: attainment, error budget policy, burn rates, alert coverage, data coverage."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from readiness import Evidence, SourceError, assert_no_findings, clock, control, parametrize
from readiness.checking import profile_of
from readiness.collect import Job
from readiness.errors import raise_fresh
from readiness.findings import Finding
from readiness.profile.common import Endpoint
from readiness.profile.model import Profile
from readiness.report.slo_chart import burn_down_svg
from readiness.rules import slo as rules
from readiness.rules.slo_alerts import Rule, coverage, coverage_findings
from readiness.rules.slo_model import Objective
from readiness.sources.api import ApiClient
from readiness.sources.prometheus import PrometheusClient
from readiness.sources.run import run_context
from readiness.sources.slo_prometheus import Settings, collect, loaded_rules
from readiness.sources.slo_specs import SpecError, SpecFile, check_unique, from_native, load_file


@dataclass(frozen=True)
class Specs:
    objectives: tuple[Objective, ...]
    sources: tuple[tuple[str, SpecFile | SpecError], ...]
    at: float
    owners: dict[str, str]  # SLO id -> the spec that defined it first


_SPECS = pytest.StashKey[Specs]()


def _specs(config: pytest.Config) -> Specs:
    if _SPECS in config.stash:
        return config.stash[_SPECS]
    profile = profile_of(config)
    sources: list[tuple[str, SpecFile | SpecError]] = []
    if profile.slos:
        try:
            inline = [
                o
                for i, s in enumerate(profile.slos)
                for o in from_native(s, f"profile {profile.name}", f"slos[{i}]")
            ]
            sources.append(
                ("profile", SpecFile(f"profile {profile.name}", "native", tuple(inline)))
            )
        except SpecError as exc:
            sources.append(("profile", exc))
    base = config.invocation_params.dir
    for name in profile.slo_files:
        path = Path(name) if Path(name).is_absolute() else base / name
        try:
            sources.append((name, load_file(path)))
        except SpecError as exc:
            sources.append((name, exc))
    unique: dict[str, Objective] = {}
    for _, source in sources:
        if isinstance(source, SpecFile):
            for o in source.objectives:
                unique.setdefault(o.id, o)  # a repeated id is reported by SLO-SPEC
    objectives = tuple(unique.values())
    at = profile.slo.evaluate_at.timestamp() if profile.slo.evaluate_at else clock.now().timestamp()
    owners = {o.id: o.source for o in objectives}
    specs = Specs(objectives, tuple(sources), float(int(at)), owners)
    config.stash[_SPECS] = specs
    return specs


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    specs = _specs(metafunc.config)
    parametrize(metafunc, "slo_spec", specs.sources)
    parametrize(metafunc, "slo", ((o.id, o) for o in specs.objectives))


def _conditions(profile: Profile) -> tuple[rules.BurnCondition, ...]:
    return profile.slo.conditions()


def _endpoint(profile: Profile) -> Endpoint:
    endpoint = profile.slo.prometheus or getattr(profile.targets, "prometheus", None)
    if endpoint is None:
        raise SourceError(
            "slo",
            "SLOs are configured but no Prometheus: set slo.prometheus or "
            "targets.prometheus in the profile",
        )
    return endpoint


def _measurements(config: pytest.Config) -> dict[str, rules.Measurement | Exception]:
    def measure() -> dict[str, rules.Measurement | Exception]:
        profile = profile_of(config)
        specs = _specs(config)
        try:
            client = PrometheusClient(ApiClient("prometheus", _endpoint(profile)))
        except SourceError as exc:
            return {o.id: exc for o in specs.objectives}
        policy = profile.slo
        settings = Settings(
            at=specs.at,
            lookback=lambda o: rules.lookback_seconds(o, policy.postmortem_lookback),
            conditions=_conditions(profile),
        )
        return collect(client, specs.objectives, settings, policy.concurrency)

    return run_context().once(("slo-measurements",), measure)  # type: ignore[no-any-return]


def _rules(config: pytest.Config) -> list[Rule] | SourceError:
    def load() -> list[Rule] | SourceError:
        try:
            return loaded_rules(
                PrometheusClient(ApiClient("prometheus", _endpoint(profile_of(config))))
            )
        except SourceError as exc:
            return exc

    return run_context().once(("slo-rules",), load)  # type: ignore[no-any-return]


def readiness_collect(config: pytest.Config, items: Sequence[pytest.Item]) -> list[Job]:
    """SLI measurements and the loaded rules, read in the run's collection phase."""
    return [
        Job("slo", lambda: _read(_measurements, config), "slo measurements"),
        Job("slo", lambda: _read(_rules, config), "slo rules"),
    ]


def _read(read: Callable[[pytest.Config], object], config: pytest.Config) -> None:
    """Errors stay in the run's cache, raised to the checks that read them."""
    with contextlib.suppress(SourceError):
        read(config)


@pytest.fixture(scope="session")
def slo_measurements(pytestconfig: pytest.Config) -> dict[str, rules.Measurement | Exception]:
    return _measurements(pytestconfig)


@pytest.fixture(scope="session")
def slo_rules(pytestconfig: pytest.Config) -> list[Rule] | SourceError:
    return _rules(pytestconfig)


@pytest.fixture
def measurement(
    slo: Objective, slo_measurements: dict[str, rules.Measurement | Exception]
) -> rules.Measurement:
    found = slo_measurements[slo.id]
    if isinstance(found, Exception):
        raise_fresh(found)
    return found


def _summary(m: rules.Measurement, profile: Profile) -> dict[str, Any]:
    o = m.objective
    budget = rules.budget_of(o, m.error_ratio)
    state = rules.policy_state(
        budget.remaining, profile.slo.freeze_below / 100, profile.slo.emergency_below / 100
    )
    rates = rules.burn_rates(o, m.window_error_ratios)
    return {
        "slo": o.id,
        "source": o.source,
        "budgeting_method": o.budgeting,
        "window": o.window_text,
        "evaluated_at": rules.evaluate_at_text(m.at),
        **budget.as_dict(),
        "policy_state": state,
        "release_kind": profile.release.kind,
        "burn_rates": {w: None if r is None else round(r, 4) for w, r in rates.items()},
        "data_coverage": round(m.coverage, 4),
    }


@control("SLO-SPEC")
def test_slo_spec(
    slo_spec: SpecFile | SpecError, pytestconfig: pytest.Config, evidence: Evidence
) -> None:
    if isinstance(slo_spec, SpecError):
        evidence.add(file=slo_spec.file, key=slo_spec.key, reason=slo_spec.reason)
        raise_fresh(slo_spec)
    evidence.add(
        file=slo_spec.path,
        format=slo_spec.format,
        slos=[o.id for o in slo_spec.objectives],
        not_evaluable={o.id: o.unsupported for o in slo_spec.objectives if o.unsupported},
    )
    owners = _specs(pytestconfig).owners
    repeated = check_unique(slo_spec.objectives) + sorted(
        o.id for o in slo_spec.objectives if owners.get(o.id, o.source) != o.source
    )
    assert_no_findings(
        [
            Finding(
                f"SLO {dup} is defined more than once",
                expected="unique service/objective names across the profile and spec files",
                found=f"{dup} in {slo_spec.path} and in {owners.get(dup, slo_spec.path)}",
                fix="rename or remove one of the objectives; only the first one is checked",
            )
            for dup in repeated
        ]
    )


@control("SLO-ATTAINMENT")
def test_slo_attainment(
    measurement: rules.Measurement, profile: Profile, evidence: Evidence
) -> None:
    evidence.add(**_summary(measurement, profile))
    budget = rules.budget_of(measurement.objective, measurement.error_ratio)
    assert_no_findings(rules.attainment_findings(measurement.objective, budget))


@control("SLO-BUDGET")
def test_slo_budget(measurement: rules.Measurement, profile: Profile, evidence: Evidence) -> None:
    o, policy = measurement.objective, profile.slo
    summary = _summary(measurement, profile)
    points = rules.burn_down(measurement)
    evidence.add(
        **summary,
        freeze_below_percent=policy.freeze_below,
        emergency_below_percent=policy.emergency_below,
        burn_down=[
            {"day": rules.evaluate_at_text(t)[:10], "remaining": round(v, 6)} for t, v in points
        ],
    )
    evidence.attach_html(
        burn_down_svg(
            f"{o.id}: error budget over {o.window_text} (target {o.target * 100:g} %)",
            points,
            policy.freeze_below / 100,
            policy.emergency_below / 100,
        )
    )
    budget = rules.budget_of(o, measurement.error_ratio)
    assert_no_findings(
        rules.release_findings(
            o,
            budget,
            summary["policy_state"],
            profile.release.kind,
            policy.freeze_below / 100,
            policy.emergency_below / 100,
        )
    )


@control("SLO-BUDGET-LEVEL")
def test_slo_budget_level(
    measurement: rules.Measurement, profile: Profile, evidence: Evidence
) -> None:
    summary = _summary(measurement, profile)
    evidence.add(**summary)
    budget = rules.budget_of(measurement.objective, measurement.error_ratio)
    assert_no_findings(
        rules.budget_level_findings(
            measurement.objective,
            budget,
            summary["policy_state"],
            profile.release.kind,
            profile.slo.freeze_below / 100,
        )
    )


def _burn(
    measurement: rules.Measurement, profile: Profile, evidence: Evidence, severity: str
) -> list[Finding]:
    conditions = _conditions(profile)
    if not any(c.urgency == severity for c in conditions):
        pytest.skip(
            f"slo.burn_rate_alerts has no {severity} condition (page: {severity == 'page'})"
        )
    states = rules.conditions_now(
        rules.burn_rates(measurement.objective, measurement.window_error_ratios), conditions
    )
    evidence.add(**_summary(measurement, profile), conditions=[s.as_dict() for s in states])
    problem = rules.burn_data_problem(measurement.objective, states, severity)
    if problem:
        raise SourceError(measurement.objective.id, problem)
    return rules.burn_findings(measurement.objective, states, severity)


@control("SLO-BURN-RATE")
def test_slo_burn_rate(
    measurement: rules.Measurement, profile: Profile, evidence: Evidence
) -> None:
    assert_no_findings(_burn(measurement, profile, evidence, "page"))


@control("SLO-BURN-TICKET")
def test_slo_burn_ticket(
    measurement: rules.Measurement, profile: Profile, evidence: Evidence
) -> None:
    assert_no_findings(_burn(measurement, profile, evidence, "ticket"))


@control("SLO-POSTMORTEM")
def test_slo_postmortem(
    measurement: rules.Measurement, profile: Profile, evidence: Evidence
) -> None:
    episodes = rules.rapid_burns(measurement, _conditions(profile))
    attested = [
        rules.Attestation(p.slo, p.reference, p.covers_until.timestamp())
        for p in profile.slo.postmortems
    ]
    evidence.add(
        slo=measurement.objective.id,
        lookback=rules.evaluate_at_text(
            measurement.at
            - rules.lookback_seconds(measurement.objective, profile.slo.postmortem_lookback)
        ),
        rapid_burns=[e.as_dict() for e in episodes],
        postmortems=[
            p.model_dump(mode="json")
            for p in profile.slo.postmortems
            if p.slo in (measurement.objective.id, measurement.objective.name)
        ],
    )
    assert_no_findings(rules.postmortem_findings(measurement.objective, episodes, attested))


@control("SLO-ALERTS")
def test_slo_alerts(
    slo: Objective, slo_rules: list[Rule] | SourceError, profile: Profile, evidence: Evidence
) -> None:
    if slo.unsupported:
        raise SourceError(
            slo.id,
            f"{slo.unsupported} (spec {slo.source}): its burn-rate alerts can be neither "
            "recognised from the SLI's metrics nor suggested",
        )
    if isinstance(slo_rules, SourceError):
        raise_fresh(slo_rules)
    cov = coverage(slo, slo_rules, _conditions(profile))
    declared = slo.alerting
    evidence.add(
        slo=slo.id,
        spec_alerting={
            "name": declared.name,
            "page": declared.page,
            "ticket": declared.ticket,
            "policies": list(declared.policies),
        },
        **cov.as_dict(),
    )
    hint = profile.slo.runbook_hint.replace("<service>", slo.service)
    assert_no_findings(coverage_findings(cov, profile.slo.require_runbook, hint))


@control("SLO-DATA")
def test_slo_data(measurement: rules.Measurement, profile: Profile, evidence: Evidence) -> None:
    evidence.add(
        slo=measurement.objective.id,
        window=measurement.objective.window_text,
        data_coverage=round(measurement.coverage, 4),
        coverage_step_seconds=measurement.coverage_step,
        retention_seconds=measurement.retention,
        days_without_data=[
            rules.evaluate_at_text(p.end)[:10] for p in measurement.daily if p.total <= 0
        ],
    )
    assert_no_findings(rules.coverage_findings(measurement, profile.slo.min_data_coverage / 100))
