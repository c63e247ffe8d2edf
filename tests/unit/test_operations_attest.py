"""Attestations: profile parsing (bad input names the entry) and judgement by date."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from readiness.errors import ProfileError
from readiness.profile import load_profile
from readiness.profile.operations import Attestation, frequency_days
from readiness.rules.operations_attest import (
    attestation_evidence,
    attestations_for,
    judge_attestation,
)

TODAY = dt.date(2026, 11, 24)


def _att(**kw: object) -> Attestation:
    data: dict[str, object] = {
        "control": "OPS-ENV-VALIDATION",
        "status": "passed",
        "explanation": "settings validated with pydantic-settings at start",
        "attested_by": "alice@example.com",
        "date": "2026-11-01",
        "frequency": "90d",
    }
    data.update(kw)
    return Attestation.model_validate(data)


@pytest.mark.parametrize(
    ("text", "days"),
    [("90d", 90), ("12w", 84), ("6m", 180), ("1y", 365), ("30 days", 30), ("2 weeks", 14)],
)
def test_frequency_days(text: str, days: int) -> None:
    assert frequency_days(text) == days


@pytest.mark.parametrize("text", ["90", "soon", "d90", "-1d", "1.5d"])
def test_bad_frequency(text: str) -> None:
    with pytest.raises(ValueError, match="is not like '90d'"):
        frequency_days(text)


@pytest.mark.parametrize(
    ("kw", "messages"),
    [
        ({}, []),
        ({"date": "2026-08-01"}, ["expired on 2026-10-30, 25 days ago"]),
        ({"frequency": None, "expires": "2026-11-23"}, ["expired on 2026-11-23, 1 day ago"]),
        ({"status": "failed"}, ["attested as failed by alice@example.com"]),
        ({"date": "2026-12-01"}, ["dated in the future (2026-12-01)"]),
    ],
)
def test_judge_attestation(kw: dict[str, object], messages: list[str]) -> None:
    att = _att(**kw)
    findings = judge_attestation(att.control, [att], TODAY)
    assert len(findings) == len(messages)
    for finding, expected in zip(findings, messages, strict=True):
        assert expected in finding.message


def test_expired_attestation_says_who_must_reattest() -> None:
    (finding,) = judge_attestation("OPS-ENV-VALIDATION", [_att(date="2026-01-10")], TODAY)
    assert finding.message == (
        "attestation of OPS-ENV-VALIDATION by alice@example.com (dated 2026-01-10) expired "
        "on 2026-04-10, 228 days ago"
    )
    assert finding.fix.startswith(
        "alice@example.com (or the control's current owner) must re-attest"
    )


def test_missing_attestation_only_when_required() -> None:
    (finding,) = judge_attestation("OPS-CICD", [], TODAY)
    assert finding.message == "no attestation for control OPS-CICD"
    assert judge_attestation("OPS-CICD", [], TODAY, required=False) == []


def test_restore_drill_too_old_even_if_attestation_valid() -> None:
    att = _att(control="OPS-RESTORE-DRILL", date="2026-06-01", frequency="1y")
    (finding,) = judge_attestation(
        att.control, [att], TODAY, max_age_days=90, what="the restore drill"
    )
    assert finding.message.startswith("the restore drill last done on 2026-06-01")
    assert finding.expected == "within 90 days"


def test_newest_attestation_counts_and_evidence_is_marked() -> None:
    old = _att(date="2025-01-01")
    new = _att(date="2026-11-20", attested_by="bob@example.com")
    found = attestations_for([old, new, _att(control="OPS-CICD")], "OPS-ENV-VALIDATION")
    assert found == [new, old]
    assert judge_attestation("OPS-ENV-VALIDATION", found, TODAY) == []
    shown = attestation_evidence(new, TODAY)
    assert shown["kind"] == "attestation"
    assert shown["attested_by"] == "bob@example.com"
    assert shown["valid_until"] == "2027-02-18" and shown["expired"] is False


BASE = "environment: test\n"


def _profile(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "p.yaml"
    path.write_text(BASE + text)
    return path


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            "- {control: OPS-CICD, status: passed, explanation: x, attested_by: a, frequency: 90d}",
            "key 'attestations[0].date'",
        ),
        (
            "- {control: OPS-NOPE, status: passed, explanation: x, attested_by: a, "
            "date: 2026-01-01, frequency: 90d}",
            "key 'attestations[0].control': Value error, unknown control 'OPS-NOPE'",
        ),
        (
            "- {control: OPS-CICD, status: passed, explanation: x, attested_by: a, "
            "date: 2026-01-01}",
            "give either frequency (e.g. '90d') or expires (a date), exactly one",
        ),
        (
            "- {control: OPS-CICD, status: ok, explanation: x, attested_by: a, "
            "date: 2026-01-01, frequency: 90d}",
            "key 'attestations[0].status'",
        ),
        (
            "- {control: OPS-CICD, status: passed, explanation: x, attested_by: a, "
            "date: 2026-01-01, frequency: weekly}",
            "frequency 'weekly' is not like",
        ),
        (
            "- {control: OPS-CICD, status: passed, explanation: ' ', attested_by: a, "
            "date: 2026-01-01, frequency: 90d}",
            "key 'attestations[0].explanation'",
        ),
    ],
)
def test_malformed_attestations_name_the_entry(tmp_path: Path, entry: str, message: str) -> None:
    path = _profile(tmp_path, f"attestations:\n  {entry}\n")
    with pytest.raises(ProfileError) as err:
        load_profile(str(path), env={})
    assert message in str(err.value)
    assert str(path) in str(err.value)


def test_unknown_control_suggests_the_closest(tmp_path: Path) -> None:
    entry = (
        "- {control: OPS-ENV-VALIDATON, status: passed, explanation: x, attested_by: a, "
        "date: 2026-01-01, frequency: 90d}"
    )
    path = _profile(tmp_path, f"attestations:\n  {entry}\n")
    with pytest.raises(ProfileError, match=r"did you mean OPS-ENV-VALIDATION\?"):
        load_profile(str(path), env={})


def test_backup_location_needs_exactly_one_kind(tmp_path: Path) -> None:
    path = _profile(tmp_path, "targets:\n  backups:\n    - {name: db}\n")
    with pytest.raises(ProfileError, match="backup 'db': give either directory"):
        load_profile(str(path), env={})


def test_sections_have_defaults(tmp_path: Path) -> None:
    profile = load_profile(str(_profile(tmp_path, "")), env={})
    assert profile.operations.backups.retention_days == 30
    assert profile.operations.escalation.levels[-1] == "cto"
    assert profile.attestations == []
    assert profile.targets.loki is None and profile.targets.backups == []


def test_bundled_profiles_load() -> None:
    for name in ("base", "staging", "production", "demo"):
        profile = load_profile(name, env={})
        assert profile.operations.logging.lookback_minutes >= 1


def test_register_states_and_html_table() -> None:
    from readiness.attestations import html_table, register

    rows = register(
        [
            _att(control="OPS-CICD", date="2026-11-01"),
            _att(date="2026-01-01", explanation="<script>alert(1)</script>"),
            _att(control="OPS-ROLLBACK", status="failed"),
            _att(control="OPS-ONCALL", date="2026-12-24"),
            _att(control="CI-DEPLOY-APPROVAL", release="1.4.0<b>"),
        ],
        TODAY,
    )
    approval = rows.pop(0)
    assert (approval["control"], approval["release"]) == ("CI-DEPLOY-APPROVAL", "1.4.0<b>")
    assert "<strong>release 1.4.0&lt;b&gt;</strong>: " in html_table([approval])
    assert "release" not in rows[0]
    assert [(r["control"], r["state"]) for r in rows] == [
        ("OPS-CICD", "valid"),
        ("OPS-ENV-VALIDATION", "expired"),
        ("OPS-ONCALL", "future"),
        ("OPS-ROLLBACK", "failed"),
    ]
    assert rows[0]["title"] == "CI/CD pipeline tested" and rows[0]["kind"] == "attestation"
    html = html_table(rows)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert html.count("<tr>") == 5
    assert "None in this profile" in html_table([])
