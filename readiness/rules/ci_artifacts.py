"""Was the released artifact built by the release commit's pipeline? (pure)

Each provider states it differently: a GitHub artifact attestation carries SLSA v1
provenance naming the repository, the commit, the workflow file and the run; a GitLab
attestation names the CI job (``build_id``) that produced it, and the job belongs to a
pipeline of one commit. A :class:`BuildClaim` holds what one attestation states (None:
not stated), an :class:`ExpectedBuild` what the release needs it to state.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from readiness.findings import Finding

SLSA_PROVENANCE = "https://slsa.dev/provenance/"
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


def released_digest(value: str) -> str:
    """``sha256:HEX`` from a digest or an image reference pinned by digest (ValueError
    for anything else: a tag does not say which bytes were released)."""
    text = value.strip().lower()
    digest = text.rsplit("@", 1)[1] if "@" in text else text
    if not _DIGEST.fullmatch(digest):
        raise ValueError(
            f"{value!r} is not a sha256 digest: give sha256:<64 hex> or an image "
            "reference pinned by digest (registry/repo@sha256:…)"
        )
    return digest


def unpinned_findings(target: str, ref: str) -> list[Finding]:
    """An image of the release referenced by tag: which digest was released is unknown."""
    return [
        Finding(
            f"image {ref} ({target}) is referenced by tag, so the released digest is unknown",
            expected="an image reference pinned by digest (registry/repo@sha256:…)",
            found=ref,
            fix="pin the image by digest in targets.images (the digest the pipeline built "
            "and attested), or list its digest in targets.ci[].artifacts instead",
        )
    ]


@dataclass(frozen=True, slots=True)
class BuildClaim:
    """What one attestation for the digest states about the build."""

    source: str  # e.g. "github attestation 1 of octo/shop"
    predicate_type: str
    subjects: tuple[str, ...] = ()  # sha256:HEX digests the statement covers
    repository: str | None = None  # owner/name (GitHub)
    commit: str | None = None
    workflow: str | None = None  # workflow file path
    ref: str | None = None
    run: str | None = None  # the workflow run (invocation) URL
    job: str | None = None  # GitLab: the CI job (build) id
    status: str | None = None  # GitLab: the attestation's status

    def describe(self) -> str:
        parts = [
            f"{label} {value}"
            for label, value in (
                ("repository", self.repository),
                ("commit", self.commit),
                ("workflow", self.workflow),
                ("ref", self.ref),
                ("run", self.run),
                ("job", self.job),
                ("status", self.status),
            )
            if value
        ]
        return f"{self.source}: {', '.join(parts) or 'no build stated'}"


@dataclass(frozen=True, slots=True)
class ExpectedBuild:
    """What an attestation must state for the release; None: not judged."""

    target: str
    where: str  # e.g. "github octo/shop" or "pipeline 6 of gitlab project g/p"
    repository: str | None = None
    commit: str | None = None
    workflow: str | None = None
    jobs: frozenset[str] | None = None  # GitLab: the jobs of the commit's pipeline


def _norm_repo(value: str) -> str:
    """``owner/name`` of a repository given as that, or as a (git+)URL on any host."""
    text = value.strip().lower().removeprefix("git+").split("@", 1)[0]
    if "://" in text:
        text = text.split("://", 1)[1].partition("/")[2]
    return text.strip("/").removesuffix(".git")


def _run_repo(run: str) -> str | None:
    """``owner/name`` of a workflow run URL (``https://HOST/o/r/actions/runs/N/…``)."""
    path = run.split("://", 1)[-1].partition("/")[2].lower()
    head, found, _ = path.partition("/actions/runs/")
    return head if found else None


def mismatches(claim: BuildClaim, digest: str, expected: ExpectedBuild) -> list[str]:
    """Why ``claim`` does not show ``digest`` was built by the expected pipeline (empty:
    it does)."""
    why: list[str] = []
    if not claim.predicate_type.startswith(SLSA_PROVENANCE):
        why.append(f"predicate {claim.predicate_type or 'none'} is not SLSA provenance")
    if claim.subjects and digest not in claim.subjects:
        why.append(f"its subjects do not include {digest}")
    if claim.status is not None and claim.status != "success":
        why.append(f"status {claim.status}")
    if expected.repository is not None:
        if claim.repository is None:
            why.append("it names no source repository")
        elif _norm_repo(claim.repository) != _norm_repo(expected.repository):
            why.append(f"built from {claim.repository}, not {expected.repository}")
        elif claim.run and _run_repo(claim.run) not in (None, _norm_repo(expected.repository)):
            why.append(f"run {claim.run} belongs to another repository")
    if expected.commit is not None:
        if claim.commit is None:
            why.append("it names no source commit")
        elif claim.commit.lower() != expected.commit.lower():
            why.append(f"built from commit {claim.commit[:12]}, not {expected.commit[:12]}")
    if expected.workflow is not None:
        if claim.workflow is None:
            why.append("it names no workflow")
        elif claim.workflow.lstrip("/") != expected.workflow.lstrip("/"):
            why.append(f"built by workflow {claim.workflow}, not {expected.workflow}")
    if expected.jobs is not None:
        if claim.job is None:
            why.append("it names no CI job")
        elif claim.job not in expected.jobs:
            jobs = ", ".join(sorted(expected.jobs)) or "none"
            why.append(f"built by job {claim.job}, not a job of {expected.where} ({jobs})")
    return why


def artifact_build_findings(
    digest: str, claims: Sequence[BuildClaim], expected: ExpectedBuild, note: str = ""
) -> list[Finding]:
    """At least one attestation for ``digest`` shows it was built by the expected
    pipeline from the release commit; none, or none that matches, is a finding."""
    wanted = ", ".join(
        f"{label} {value}"
        for label, value in (
            ("repository", expected.repository),
            ("commit", expected.commit),
            ("workflow", expected.workflow),
        )
        if value
    )
    wanted = wanted or f"a job of {expected.where}"
    if not claims:
        return [
            Finding(
                f"no build attestation for {digest} ({expected.target})",
                expected=f"SLSA provenance for the digest stating {wanted}",
                found=f"no attestation for the digest in {expected.where}"
                + (f" ({note})" if note else ""),
                fix="attest the build in the release pipeline (GitHub: "
                "actions/attest-build-provenance; GitLab: SLSA provenance, "
                "slsa_provenance_statement), or correct targets.ci[].artifacts",
            )
        ]
    reasons = [(c, mismatches(c, digest, expected)) for c in claims]
    if any(not why for _, why in reasons):
        return []
    found = "; ".join(f"{c.describe()} ({', '.join(why)})" for c, why in reasons)
    return [
        Finding(
            f"{digest} was not built by the release pipeline ({expected.target})",
            expected=f"an attestation stating {wanted}",
            found=found,
            fix="release the artifact the release commit's pipeline built (its digest), "
            "or correct targets.ci[].sha / workflow / artifacts",
        )
    ]
