"""CI rules (pure): judge the checks, statuses and jobs of the commit being released."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase

from readiness.findings import Finding
from readiness.profile.operations import Attestation
from readiness.rules.operations_attest import judge_attestation

APPROVAL_CONTROL = "CI-DEPLOY-APPROVAL"

#: The one state that passes; everything else (failure, pending, skipped, neutral,
#: cancelled, manual, allowed-to-fail failures …) is named in the finding.
PASSED = "success"


@dataclass(frozen=True, slots=True)
class CiResult:
    """One check run, commit status or pipeline job, in the provider's own words."""

    name: str
    kind: str  # "check run", "status", "job", "pipeline"
    state: str  # normalised: success, failure, pending, skipped, neutral, cancelled, …
    url: str = ""
    detail: str = ""  # e.g. "allowed to fail", the failure reason
    id: str = ""  # the provider's id (GitLab: the job id)

    def describe(self) -> str:
        extra = f", {self.detail}" if self.detail else ""
        at = f" ({self.url})" if self.url else ""
        return f"{self.kind} {self.name!r}: {self.state}{extra}{at}"


@dataclass(frozen=True, slots=True)
class CiCommit:
    """What the CI system says about one commit."""

    target: str
    sha: str
    results: tuple[CiResult, ...]
    where: str  # e.g. "github.com/o/r" or "pipeline 6 of project 1"


def _matches(pattern: str, results: Sequence[CiResult]) -> list[CiResult]:
    return [r for r in results if fnmatchcase(r.name, pattern)]


def _not_green(commit: CiCommit, result: CiResult, what: str) -> Finding:
    return Finding(
        f"{what} {result.name!r} on {commit.sha[:12]} ({commit.target}) did not pass",
        expected=f"{result.kind} {result.name!r} {PASSED}",
        found=result.describe(),
        fix="fix the failure and re-run it on this commit, or release a commit whose "
        "checks all passed",
    )


def _missing(commit: CiCommit, pattern: str, what: str) -> Finding:
    seen = ", ".join(sorted({r.name for r in commit.results})) or "none"
    return Finding(
        f"{what} {pattern!r} did not run on {commit.sha[:12]} ({commit.target})",
        expected=f"a {what} named {pattern!r} that passed on the release commit",
        found=f"no check, status or job of that name in {commit.where} (seen: {seen})",
        fix="run it in the commit's pipeline, or correct the name in the profile "
        "(targets.ci[].required / security_scans)",
    )


def _judge(commit: CiCommit, patterns: Sequence[str], what: str) -> list[Finding]:
    findings: list[Finding] = []
    for pattern in patterns:
        found = _matches(pattern, commit.results)
        if not found:
            findings.append(_missing(commit, pattern, what))
        findings += [_not_green(commit, r, what) for r in found if r.state != PASSED]
    return findings


def required_check_findings(commit: CiCommit, required: Sequence[str]) -> list[Finding]:
    """Every required check ran and passed; with none named, every check on the commit
    passed, and there is at least one (no CI result is no evidence)."""
    if required:
        return _judge(commit, required, "required check")
    if not commit.results:
        return [
            Finding(
                f"no CI result for {commit.sha[:12]} ({commit.target})",
                expected="checks, statuses or a pipeline that passed on the release commit",
                found=f"nothing recorded in {commit.where}",
                fix="release a commit that went through CI, or check targets.ci[].sha",
            )
        ]
    return [_not_green(commit, r, "check") for r in commit.results if r.state != PASSED]


def security_scan_findings(commit: CiCommit, scans: Sequence[str]) -> list[Finding]:
    """Each named security scan ran on the commit and passed (allowed-to-fail is a fail)."""
    return _judge(commit, scans, "security scan")


@dataclass(frozen=True, slots=True)
class ApprovalGate:
    """What the CI system says about approving deployments to one environment."""

    target: str
    environment: str
    where: str
    exists: bool  # configured (GitHub) or protected (GitLab)
    approvals: int  # approvals required before a deployment runs
    approvers: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()  # every protection rule found, by type


def approval_findings(gate: ApprovalGate) -> list[Finding]:
    """A deployment to the environment waits for at least one approval."""
    if gate.approvals > 0:
        return []
    found = (
        f"protection rules: {', '.join(gate.rules) or 'none'}"
        if gate.exists
        else "the environment is not configured or not protected"
    )
    return [
        Finding(
            f"deployments to {gate.environment} ({gate.target}) need no approval",
            expected="a required-reviewers rule (GitHub) or an approval rule (GitLab) on "
            f"the {gate.environment} environment",
            found=f"{found} in {gate.where}",
            fix="add required reviewers to the environment (GitHub: Settings > "
            "Environments) or protect it with approval rules (GitLab: protected "
            "environments, required approvals >= 1); where neither is used, set "
            "approval: attestation and attest each release's approval",
        )
    ]


def release_approvals(attestations: Sequence[Attestation], version: str) -> list[Attestation]:
    """The approval attestations (newest first) that name ``version``."""
    return [a for a in attestations if version and a.release == version]


def describe_approval(att: Attestation) -> str:
    """Which evidence approved the release, for the report."""
    return (
        f"manual attestation by {att.attested_by} on {att.date} for release {att.release} "
        f"({att.status}, valid until {att.valid_until}): {att.explanation}"
    )


def attested_approval_findings(
    target: str,
    environment: str,
    version: str,
    attestations: Sequence[Attestation],
    today: dt.date,
) -> list[Finding]:
    """The deployment of ``version`` to ``environment`` was approved by hand: the newest
    attestation of CI-DEPLOY-APPROVAL for this target naming the version passed, is not
    dated in the future and has not expired (``attestations`` newest first)."""
    record = (
        f"attestations: [{{control: {APPROVAL_CONTROL}, target: {target}/{environment}, "
        f"release: '{version or 'VERSION'}', status: passed, explanation, attested_by, "
        "date, expires}]"
    )
    if not version:
        return [
            Finding(
                f"the release has no version, so no approval of a deployment to "
                f"{environment} ({target}) can be matched to it",
                expected="release.version set and an approval attestation naming it",
                found="release.version is empty",
                fix="set release.version in the profile, then record the approval: " + record,
            )
        ]
    mine = release_approvals(attestations, version)
    if not mine:
        others = ", ".join(
            f"{a.release or 'no release'} (by {a.attested_by} on {a.date})" for a in attestations
        )
        return [
            Finding(
                f"no approval of release {version} for deployment to {environment} ({target})",
                expected=f"an attestation of {APPROVAL_CONTROL} with release: {version}",
                found=f"approval attestations for other releases: {others}"
                if others
                else "no approval attestation for this target",
                fix="have the approver record the approval of this release: " + record,
            )
        ]
    return judge_attestation(
        APPROVAL_CONTROL,
        mine,
        today,
        what=f"approval of release {version} for deployment to {environment} ({target})",
    )
