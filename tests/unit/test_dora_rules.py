"""DORA-OPEN-INCIDENT: open incidents declared by hand block a feature release."""

from __future__ import annotations

import datetime as dt

import pytest

from readiness.controls import catalogue
from readiness.dora.model import Incident
from readiness.profile.dora import DEFAULT_SEVERITIES, DoraSettings
from readiness.rules.dora import open_incident_findings

SCALE = DEFAULT_SEVERITIES

NOW = dt.datetime(2026, 11, 24, 12, tzinfo=dt.UTC)


def incident(
    ident: str,
    source: str = "manual",
    resolved: dt.datetime | None = None,
    service: str = "cart",
    severity: str = "SEV1",
) -> Incident:
    return Incident(
        ident,
        service,
        "production",
        NOW - dt.timedelta(hours=3),
        severity=severity,
        title="checkout errors",
        resolved_at=resolved,
        deployment_id="d7",
        source=source,
    )


def test_open_manual_incident_blocks_a_feature_release() -> None:
    (finding,) = open_incident_findings("cart", [incident("INC-1")], "feature", NOW, SCALE)
    assert finding.message == (
        "incident INC-1 (SEV1) on cart in production is open since 2026-11-24T09:00:00Z "
        "(3.0 h): checkout errors"
    )
    assert finding.found == (
        "open incident INC-1, linked to deployment d7; SEV1 blocks a feature release; "
        "its resolve target is 4.0 h"
    )
    assert "readiness dora incident resolve INC-1" in finding.fix


def test_fix_release_gate_incidents_resolved_and_other_services_pass() -> None:
    assert open_incident_findings("cart", [incident("INC-1")], "fix", NOW, SCALE) == []
    assert (
        open_incident_findings("cart", [incident("g", source="gate")], "feature", NOW, SCALE) == []
    )
    assert (
        open_incident_findings("cart", [incident("r", resolved=NOW)], "feature", NOW, SCALE) == []
    )
    assert (
        open_incident_findings("cart", [incident("o", service="pay")], "feature", NOW, SCALE) == []
    )


def test_control_is_in_the_catalogue() -> None:
    control = catalogue()["DORA-OPEN-INCIDENT"]
    assert (control.family, control.severity.label) == ("dora", "high")


def test_only_blocking_severities_block_and_unknown_ones_do() -> None:
    minor = [incident("i3", severity="SEV3"), incident("i4", severity="sev4")]
    assert open_incident_findings("cart", minor, "feature", NOW, SCALE) == []
    (sev2,) = open_incident_findings(
        "cart", [incident("i2", severity="SEV2")], "feature", NOW, SCALE
    )
    assert "SEV2 blocks a feature release; its resolve target is 24.0 h" in sev2.found
    unknown = [incident("u", severity="P1"), incident("n", severity="")]
    found = [f.found for f in open_incident_findings("cart", unknown, "feature", NOW, SCALE)]
    assert found[0].endswith(
        "P1 is not on the severity scale (SEV1, SEV2, SEV3, SEV4), so it blocks"
    )
    assert "no severity is not on the severity scale" in found[1]


def test_scale_is_profile_defined_and_checked() -> None:
    own = DoraSettings.model_validate(
        {
            "severities": [
                {"name": "P1", "acknowledge_minutes": 5, "resolve_hours": 1,
                 "blocks_feature_release": True},
                {"name": "P2", "acknowledge_minutes": 60, "resolve_hours": 48},
            ],
            "incidents": {"severity": "P2"},
        }
    )  # fmt: skip
    level = own.severity("p1")
    assert level is not None and level.resolve_hours == 1
    (finding,) = open_incident_findings(
        "cart", [incident("x", severity="P1")], "feature", NOW, own.severities
    )
    assert "P1 blocks" in finding.found
    with pytest.raises(ValueError, match=r"incidents.severity .SEV2. is not on the severity scale"):
        DoraSettings.model_validate({"severities": [own.severities[0].model_dump()]})
    with pytest.raises(ValueError, match="distinct name"):
        DoraSettings.model_validate({"severities": [own.severities[0].model_dump()] * 2,
                                     "incidents": {"severity": "P1"}})  # fmt: skip
