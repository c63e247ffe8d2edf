"""DORA checks: what the recorded history says about this release."""

from __future__ import annotations

import datetime as dt

import pytest

from readiness import Evidence, assert_no_findings, clock, control, parametrize
from readiness.checking import profile_of
from readiness.dora.model import Incident, iso
from readiness.dora.plugin import store_location
from readiness.dora.recorder import profile_services
from readiness.profile.model import Profile
from readiness.rules.dora import (
    open_incident_findings,
    postmortem_findings,
    postmortems_due,
    staging_first_findings,
)
from readiness.sources import dora as source


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    profile = profile_of(metafunc.config)
    services = profile_services(profile) if profile.dora.gate_open_incidents else []
    parametrize(metafunc, "dora_service", [(s, s) for s in services])
    judged = profile_services(profile) if profile.dora.postmortems.enabled else []
    parametrize(metafunc, "postmortem_service", [(s, s) for s in judged])
    rule = profile.dora.staging_first
    applies = rule.enabled and profile.environment in rule.environments
    version = profile.release.version
    parametrize(metafunc, "release_version", [(version or "-", version)] if applies else [])


@pytest.fixture(scope="session")
def open_incidents(pytestconfig: pytest.Config, profile: Profile) -> dict[str, list[Incident]]:
    return source.open_incidents(
        store_location(pytestconfig), profile_services(profile), profile.environment
    )


@pytest.fixture(scope="session")
def recent_incidents(pytestconfig: pytest.Config, profile: Profile) -> dict[str, list[Incident]]:
    """Incidents of the profile's services resolved (or open) within the look-back."""
    now = clock.now()
    since = now - dt.timedelta(days=profile.dora.postmortems.lookback_days)
    return source.incidents(
        store_location(pytestconfig), profile_services(profile), profile.environment, since, now
    )


@control("DORA-OPEN-INCIDENT")
def test_no_open_incident(
    dora_service: str,
    open_incidents: dict[str, list[Incident]],
    profile: Profile,
    evidence: Evidence,
) -> None:
    incidents = open_incidents.get(dora_service, [])
    evidence.add(
        release_kind=profile.release.kind,
        open_incidents=[
            {
                "id": i.id,
                "severity": i.severity,
                "opened_at": iso(i.opened_at),
                "source": i.source,
                "deployment": i.deployment_id,
            }
            for i in incidents
        ],
    )
    now = clock.now()
    scale = profile.dora.severities
    assert_no_findings(
        open_incident_findings(dora_service, incidents, profile.release.kind, now, scale)
    )


@control("DORA-STAGING-FIRST")
def test_passed_staging_first(
    release_version: str, pytestconfig: pytest.Config, profile: Profile, evidence: Evidence
) -> None:
    rule = profile.dora.staging_first
    since = clock.now() - dt.timedelta(days=rule.within_days)
    runs = (
        source.passed_runs(store_location(pytestconfig), rule.staging, release_version, since)
        if release_version
        else []
    )
    evidence.add(
        version=release_version,
        staging=rule.staging,
        since=iso(since),
        passed_runs=[{"id": r.id, "finished_at": iso(r.finished_at)} for r in runs[:10]],
    )
    assert_no_findings(staging_first_findings(release_version, rule.staging, runs, since))


@control("DORA-POSTMORTEM")
def test_postmortems_linked(
    postmortem_service: str,
    recent_incidents: dict[str, list[Incident]],
    profile: Profile,
    evidence: Evidence,
) -> None:
    policy = profile.dora.postmortems
    now = clock.now()
    severities = profile.dora.postmortem_severities()
    scale = [s.name for s in profile.dora.severities]
    due = postmortems_due(
        recent_incidents.get(postmortem_service, []),
        severities,
        scale,
        policy.due_days,
        now,
        policy.include_gate_incidents,
    )
    evidence.add(
        severities=severities,
        due_days=policy.due_days,
        lookback_days=policy.lookback_days,
        incidents=[
            {
                "id": p.incident.id,
                "severity": p.incident.severity,
                "resolved_at": iso(p.incident.resolved_at),
                "due": iso(p.due),
                "state": p.state,
                "postmortem": p.incident.postmortem_url or None,
                "linked_at": iso(p.incident.postmortem_at),
            }
            for p in due
        ],
    )
    assert_no_findings(postmortem_findings(postmortem_service, due, policy.due_days, now))
