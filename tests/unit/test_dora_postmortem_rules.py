"""DORA-POSTMORTEM (pure): which resolved incidents need a post-mortem and when it is due."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from readiness.dora.model import DoraError, Incident, postmortem_link
from readiness.profile.dora import DoraSettings
from readiness.rules.dora import needs_postmortem, postmortem_findings, postmortems_due

NOW = dt.datetime(2026, 12, 7, 12, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
SCALE = ["SEV1", "SEV2", "SEV3", "SEV4"]


def resolved(ident: str, severity: str, days_ago: float, **extra: Any) -> Incident:
    at = NOW - days_ago * DAY
    return Incident(ident, "cart", "production", at - DAY, severity, resolved_at=at, **extra)


@pytest.mark.parametrize(
    ("severity", "needed"),
    [("SEV1", True), ("sev2", True), ("SEV3", False), ("", True), ("P0", True)],
)
def test_major_unknown_or_missing_severities_need_one(severity: str, needed: bool) -> None:
    assert needs_postmortem(resolved("I", severity, 1), ["SEV1", "SEV2"], SCALE) is needed


def test_due_after_due_days_and_only_overdue_fails() -> None:
    incidents = [
        resolved("late", "SEV1", 8),
        resolved("soon", "SEV2", 6),
        Incident("open", "cart", "production", NOW - DAY, "SEV1"),  # not resolved
        resolved("gate", "SEV2", 30, source="gate"),
        resolved("done", "SEV2", 30, postmortem_url="https://w.example/1",
                 postmortem_at=NOW - 29 * DAY),
    ]  # fmt: skip
    due = postmortems_due(incidents, ["SEV1", "SEV2"], SCALE, 7, NOW)
    assert [(p.incident.id, p.state) for p in due] == [
        ("done", "linked"),
        ("late", "overdue"),
        ("soon", "due"),
    ]
    (finding,) = postmortem_findings("cart", due, 7, NOW)
    assert finding.message.startswith("incident late (SEV1) on cart in production")
    assert "24.0 h past its due date" in finding.message
    assert "within 7 days of resolution (by 2026-12-06T12:00:00Z)" in finding.expected
    with_gate = postmortems_due(incidents, ["SEV1", "SEV2"], SCALE, 7, NOW, include_gate=True)
    assert ("gate", "overdue") in [(p.incident.id, p.state) for p in with_gate]


def test_severities_default_to_the_blocking_levels_and_must_be_on_the_scale() -> None:
    assert DoraSettings().postmortem_severities() == ["SEV1", "SEV2"]
    only = DoraSettings.model_validate({"postmortems": {"severities": ["sev1"]}})
    assert only.postmortem_severities() == ["SEV1"]
    with pytest.raises(ValueError, match=r"postmortems\.severities SEV9 not on the severity scale"):
        DoraSettings.model_validate({"postmortems": {"severities": ["SEV9"]}})


def test_links_are_http_and_stored_without_credentials() -> None:
    assert (
        postmortem_link(" https://u:p@w.example/pm?t=s3cr3t ") == "https://***@w.example/pm?t=***"
    )
    assert postmortem_link("http://w.example/pm/1") == "http://w.example/pm/1"
    for bad in ("file:///etc/passwd", "https://", "wiki/pm/1", "https://[::1"):
        with pytest.raises(DoraError, match="is not an http"):
            postmortem_link(bad)
