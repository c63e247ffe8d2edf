"""CI checks: the check runs, statuses and pipeline jobs of the commit being released."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from readiness import Evidence, assert_no_findings, clock, control, parametrize
from readiness.checking import profile_of
from readiness.errors import SourceError
from readiness.profile.ci import CiTarget
from readiness.profile.model import Profile
from readiness.rules.ci import (
    APPROVAL_CONTROL,
    ApprovalGate,
    CiCommit,
    approval_findings,
    attested_approval_findings,
    describe_approval,
    release_approvals,
    required_check_findings,
    security_scan_findings,
)
from readiness.rules.ci_artifacts import (
    ExpectedBuild,
    artifact_build_findings,
    released_digest,
    unpinned_findings,
)
from readiness.rules.operations_attest import attestation_evidence, attestations_for
from readiness.sources import ci_attestations, ci_github, ci_gitlab

_READERS: dict[str, Callable[[CiTarget], CiCommit]] = {
    "github": ci_github.read_commit,
    "gitlab": ci_gitlab.read_commit,
}
_APPROVALS: dict[str, Callable[[CiTarget], ApprovalGate]] = {
    "github": ci_github.read_approval,
    "gitlab": ci_gitlab.read_approval,
}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    targets = profile_of(metafunc.config).targets.ci
    parametrize(metafunc, "ci_target", ((t.name, t) for t in targets))
    parametrize(metafunc, "scan_target", ((t.name, t) for t in targets if t.security_scans))
    images = [_digest_or_ref(i.ref) for i in profile_of(metafunc.config).targets.images]
    parametrize(
        metafunc,
        "released_artifact",
        (
            (f"{t.name}/{a}", (t, a))
            for t in targets
            for a in dict.fromkeys(t.digests + (images if t.artifacts_from_images else []))
        ),
    )
    parametrize(
        metafunc,
        "approval_target",
        ((f"{t.name}/{t.environment}", t) for t in targets if t.environment),
    )


def _digest_or_ref(ref: str) -> str:
    """An image's digest when its reference is pinned, else the reference itself."""
    try:
        return released_digest(ref)
    except ValueError:
        return ref


@pytest.fixture(scope="session")
def ci_commit() -> Callable[[CiTarget], CiCommit]:
    """The commit as its CI system reports it, read once per target (errors kept as text)."""
    read: dict[str, CiCommit | str] = {}

    def get(target: CiTarget) -> CiCommit:
        if target.name not in read:
            try:
                read[target.name] = _READERS[target.provider](target)
            except SourceError as exc:
                read[target.name] = exc.reason
        found = read[target.name]
        if isinstance(found, str):
            raise SourceError(target.name, found)
        return found

    return get


def _record(evidence: Evidence, commit: CiCommit) -> None:
    evidence.add(
        sha=commit.sha,
        source=commit.where,
        results=[
            {"name": r.name, "kind": r.kind, "state": r.state, "url": r.url, "detail": r.detail}
            for r in commit.results
        ],
    )


@control("CI-REQUIRED-CHECKS")
def test_required_checks_passed(
    ci_target: CiTarget, ci_commit: Callable[[CiTarget], CiCommit], evidence: Evidence
) -> None:
    commit = ci_commit(ci_target)
    _record(evidence, commit)
    evidence.add(required=ci_target.required or ["every check on the commit"])
    assert_no_findings(required_check_findings(commit, ci_target.required))


@control("CI-SECURITY-SCANS")
def test_security_scans_passed(
    scan_target: CiTarget, ci_commit: Callable[[CiTarget], CiCommit], evidence: Evidence
) -> None:
    commit = ci_commit(scan_target)
    _record(evidence, commit)
    evidence.add(security_scans=scan_target.security_scans)
    assert_no_findings(security_scan_findings(commit, scan_target.security_scans))


@control("CI-DEPLOY-APPROVAL")
def test_deployments_wait_for_approval(
    approval_target: CiTarget, profile: Profile, evidence: Evidence
) -> None:
    if approval_target.approval == "attestation":
        _attested_approval(approval_target, profile, evidence)
        return
    gate = _APPROVALS[approval_target.provider](approval_target)
    evidence.add(
        approval_evidence=f"environment protection read from {gate.where}",
        environment=gate.environment,
        source=gate.where,
        configured=gate.exists,
        approvals_required=gate.approvals,
        approvers=list(gate.approvers),
        protection_rules=list(gate.rules),
    )
    assert_no_findings(approval_findings(gate))


def _attested_approval(target: CiTarget, profile: Profile, evidence: Evidence) -> None:
    """No environment protection in the CI system: a manual attestation of this release's
    approval is the evidence (judged like every attestation: status, date, expiry)."""
    today = clock.today()
    version = profile.release.version
    found = attestations_for(
        profile.attestations, APPROVAL_CONTROL, f"{target.name}/{target.environment}"
    )
    used = release_approvals(found, version)
    evidence.add(
        approval_evidence=describe_approval(used[0]) if used else "manual attestation: none",
        environment=target.environment,
        release=version,
        attestations=[attestation_evidence(a, today) for a in found],
    )
    assert_no_findings(
        attested_approval_findings(target.name, target.environment, version, found, today)
    )


_ATTESTATIONS: dict[str, Callable[[CiTarget, str], ci_attestations.Attested]] = {
    "github": ci_attestations.read_github,
    "gitlab": ci_attestations.read_gitlab,
}


def _expected_build(target: CiTarget, commit: CiCommit | None) -> ExpectedBuild:
    """GitHub provenance must name the repository, the commit and (when set) the workflow;
    a GitLab attestation must name a job of the commit's newest pipeline."""
    if commit is None:
        return ExpectedBuild(
            target.name,
            f"github {target.repository}",
            repository=target.repository,
            commit=target.sha,
            workflow=target.workflow or None,
        )
    jobs = frozenset(r.id for r in commit.results if r.kind == "job" and r.id)
    return ExpectedBuild(target.name, commit.where, jobs=jobs)


@control("CI-ARTIFACT-BUILT-BY-PIPELINE")
def test_artifact_built_by_pipeline(
    released_artifact: tuple[CiTarget, str],
    ci_commit: Callable[[CiTarget], CiCommit],
    evidence: Evidence,
) -> None:
    target, artifact = released_artifact
    try:
        digest = released_digest(artifact)
    except ValueError:
        evidence.add(image=artifact, pinned=False)
        assert_no_findings(unpinned_findings(target.name, artifact))
        return
    gitlab = target.provider == "gitlab"
    expected = _expected_build(target, ci_commit(target) if gitlab else None)
    found = _ATTESTATIONS[target.provider](target, digest)
    evidence.add(
        digest=digest,
        source=expected.where,
        expected={
            "repository": expected.repository,
            "commit": expected.commit,
            "workflow": expected.workflow,
            "jobs": sorted(expected.jobs) if expected.jobs is not None else None,
        },
        attestations=[c.describe() for c in found.claims],
        note=found.note or None,
    )
    assert_no_findings(artifact_build_findings(digest, found.claims, expected, found.note))
