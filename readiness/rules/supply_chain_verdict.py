"""SC-PRIOR-VERDICT: an earlier stage's signed, full, passing and fresh verdict (pure)."""

from __future__ import annotations

import datetime as dt

from readiness.findings import Finding
from readiness.verdict.attest import Decision


def prior_verdict_findings(
    decision: Decision, target: str, digest: str, environment: str, max_age: dt.timedelta
) -> list[Finding]:
    if decision.accepted is not None:
        return []
    return [
        Finding(
            f"{target} ({digest}) has no passing verdict of the {environment!r} gate",
            expected=(
                f"a signed verdict of a full, passing {environment!r} gate run about "
                f"{digest}, younger than {max_age}"
            ),
            found="; ".join(decision.refusals),
            fix=(
                f"run the {environment} gate on this digest with --attest --attest-push, or "
                "promote the digest that passed it instead of a new build"
            ),
        )
    ]
