"""CI-DEPLOY-APPROVAL by manual attestation: the release's own approval, judged by date."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from readiness.profile.ci import CiTarget
from readiness.profile.operations import Attestation
from readiness.rules.ci import (
    attested_approval_findings,
    describe_approval,
    release_approvals,
)
from readiness.rules.operations_attest import attestations_for

TODAY = dt.date(2026, 12, 7)


def approval(release: str, **changes: Any) -> Attestation:
    fields: dict[str, Any] = {
        "control": "CI-DEPLOY-APPROVAL",
        "target": "shop/production",
        "release": release,
        "status": "passed",
        "explanation": f"CAB approved {release} (CHG-9001)",
        "attested_by": "ana@example.com",
        "date": dt.date(2026, 12, 1),
        "expires": dt.date(2026, 12, 31),
    }
    return Attestation(**(fields | changes))


def judge(version: str, *atts: Attestation) -> list[str]:
    found = attestations_for(atts, "CI-DEPLOY-APPROVAL", "shop/production")
    findings = attested_approval_findings("shop", "production", version, found, TODAY)
    return [f.render() for f in findings]


def test_the_release_approval_passes_and_is_named() -> None:
    att = approval("1.4.0")
    assert judge("1.4.0", approval("1.3.0"), att) == []
    (used,) = release_approvals([att], "1.4.0")
    assert describe_approval(used) == (
        "manual attestation by ana@example.com on 2026-12-01 for release 1.4.0 "
        "(passed, valid until 2026-12-31): CAB approved 1.4.0 (CHG-9001)"
    )


def test_an_approval_of_another_release_does_not_count() -> None:
    (message,) = judge("1.4.0", approval("1.3.0"), approval("", target="*"))
    assert "no approval of release 1.4.0 for deployment to production (shop)" in message
    assert "1.3.0 (by ana@example.com on 2026-12-01)" in message
    assert "no release (by ana@example.com" in message
    assert "release: '1.4.0'" in message  # the fix shows the attestation to record


def test_no_attestation_and_no_version_fail() -> None:
    (none,) = judge("1.4.0")
    assert "no approval attestation for this target" in none
    (unversioned,) = judge("", approval("1.4.0"))
    assert "release has no version" in unversioned


@pytest.mark.parametrize(
    ("changes", "said"),
    [
        ({"status": "failed"}, "attested as failed"),
        ({"date": dt.date(2026, 11, 1), "expires": dt.date(2026, 11, 30)}, "expired on"),
        ({"date": dt.date(2026, 12, 20)}, "dated in the future"),
    ],
)
def test_the_release_approval_is_judged_like_every_attestation(
    changes: dict[str, Any], said: str
) -> None:
    (message,) = judge("1.4.0", approval("1.4.0", **changes))
    assert said in message


def test_an_approval_for_another_target_does_not_count() -> None:
    (message,) = judge("1.4.0", approval("1.4.0", target="billing/production"))
    assert "no approval attestation for this target" in message


def test_attestation_mode_needs_an_environment() -> None:
    with pytest.raises(ValueError, match="names the approved environment"):
        CiTarget(name="shop", provider="github", repository="o/r", sha="a" * 40,
                 approval="attestation")  # fmt: skip
