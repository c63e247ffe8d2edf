"""The gate's pure rules: outcomes, waivers, stale waivers, redaction."""

from __future__ import annotations

import datetime as dt

import pytest

from readiness.controls import Severity
from readiness.gate import Outcome, judge, matching_waiver, stale_waivers
from readiness.profile.model import Gate, Waiver
from readiness.redact import Redactor

TODAY = dt.date(2026, 11, 24)
ACTIVE = Waiver(control="X-1", target="shop/*", reason="r", approver="ann", expires=TODAY)
EXPIRED = Waiver(
    control="X-1", target="shop/*", reason="old", approver="bob", expires=dt.date(2026, 11, 23)
)


@pytest.mark.parametrize(
    ("raw", "severity", "fail_on", "errors_block", "waiver", "outcome", "blocking"),
    [
        ("passed", Severity.CRITICAL, "high", True, None, Outcome.PASSED, False),
        ("skipped", Severity.CRITICAL, "high", True, None, Outcome.SKIPPED, False),
        ("failed", Severity.HIGH, "high", True, None, Outcome.FAILED, True),
        ("failed", Severity.CRITICAL, "high", True, None, Outcome.FAILED, True),
        ("failed", Severity.MEDIUM, "high", True, None, Outcome.WARNED, False),
        ("failed", Severity.MEDIUM, "medium", True, None, Outcome.FAILED, True),
        ("failed", Severity.INFO, "low", True, None, Outcome.WARNED, False),
        ("failed", Severity.CRITICAL, "high", True, ACTIVE, Outcome.WAIVED, False),
        ("failed", Severity.CRITICAL, "high", True, EXPIRED, Outcome.FAILED, True),
        ("failed", Severity.LOW, "high", True, EXPIRED, Outcome.WARNED, False),
        ("error", Severity.LOW, "critical", True, None, Outcome.ERROR, True),
        ("error", Severity.CRITICAL, "high", False, None, Outcome.ERROR, False),
    ],
)
def test_judge(raw, severity, fail_on, errors_block, waiver, outcome, blocking) -> None:
    verdict = judge(raw, severity, Gate(fail_on=fail_on, errors_block=errors_block), waiver, TODAY)
    assert (verdict.outcome, verdict.blocking) == (outcome, blocking)


def test_expired_waiver_says_so() -> None:
    verdict = judge("failed", Severity.HIGH, Gate(), EXPIRED, TODAY)
    assert "waiver expired on 2026-11-23" in verdict.note
    assert "bob" in verdict.note


def test_active_waiver_note_names_approver_and_expiry() -> None:
    verdict = judge("failed", Severity.HIGH, Gate(), ACTIVE, TODAY)
    assert verdict.note == "waived until 2026-11-24 by ann: r"


def test_matching_waiver_prefers_the_active_one_and_matches_globs() -> None:
    assert matching_waiver([EXPIRED, ACTIVE], "X-1", "shop/cart") is ACTIVE
    assert matching_waiver([ACTIVE], "X-1", "bank/cart") is None
    assert matching_waiver([ACTIVE], "X-2", "shop/cart") is None


def test_stale_waivers() -> None:
    unused = Waiver(control="X-9", target="*", reason="r", approver="a", expires=TODAY)
    results = [
        ("X-1", "shop/a", Outcome.PASSED),
        ("X-1", "shop/b", Outcome.PASSED),
    ]
    stale = stale_waivers([ACTIVE, unused], results)
    assert [s.waiver for s in stale] == [ACTIVE, unused]
    assert stale[0].reason == "its checks passed: the waiver can be removed"
    assert stale[1].reason == "matched no check in this run"
    assert stale_waivers([ACTIVE], [("X-1", "shop/a", Outcome.WAIVED)]) == []


def test_redactor_masks_every_secret_in_values_never_keys() -> None:
    redact = Redactor(["s3cret", "s3cret-longer"])
    assert redact.text("token=s3cret-longer and s3cret") == "token=*** and ***"
    assert redact.data({"a": ["x s3cret"], "schema": 1}) == {"a": ["x ***"], "schema": 1}
