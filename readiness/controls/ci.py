"""Controls of the ci family: the CI result of the commit being released."""

from readiness.controls.model import Control, Severity

_F = "ci"

CONTROLS = (
    Control(
        "CI-REQUIRED-CHECKS",
        "The release commit passed every required CI check",
        _F,
        Severity.HIGH,
        "The practices ask for all tests passing in CI before a release. A pipeline "
        "definition in the repository proves nothing about the commit being shipped: "
        "only the check runs, commit statuses or pipeline jobs recorded for that commit "
        "do. A required check that is missing, skipped, still running or neutral has "
        "not shown the commit works.",
        "Release a commit whose required checks all passed (targets.ci[].sha), or run "
        "the missing checks on it; name the required checks in targets.ci[].required.",
        (
            "NIST SP 800-53 SA-11",
            "NIST SP 800-53 CM-3",
            "NIST SSDF PW.8.2",
            "SOC 2 CC8.1",
            "DORA: continuous delivery",
        ),
    ),
    Control(
        "CI-SECURITY-SCANS",
        "The release commit's security scans ran and passed",
        _F,
        Severity.HIGH,
        "The practices put security scans (dependency, image and static analysis) in "
        "the pipeline. A scan job that did not run on the released commit, or failed "
        "and was allowed to fail, leaves known vulnerabilities unexamined.",
        "Run the scans named in targets.ci[].security_scans on the release commit and "
        "fix what they report; a scan allowed to fail (GitLab allow_failure) counts as "
        "failed here.",
        (
            "NIST SP 800-53 RA-5",
            "NIST SP 800-53 SA-11",
            "NIST SSDF PW.7.2",
            "NIST SSDF RV.1.1",
            "SOC 2 CC7.1",
            "Production-readiness checklist: security scans in the pipeline",
        ),
    ),
    Control(
        "CI-DEPLOY-APPROVAL",
        "Deployments to the environment wait for an approval",
        _F,
        Severity.HIGH,
        "The practices deploy after manual approval. GitHub deployment environments "
        "(required reviewers) and GitLab protected environments (approval rules) make "
        "the pipeline wait for a named person; without one, any pipeline run deploys "
        "straight to the environment. Where neither is used, the approval of each "
        "release is a manual attestation naming its version, so an approval of an "
        "earlier release never stands in for this one.",
        "Add required reviewers to the environment (GitHub) or approval rules to the "
        "protected environment (GitLab), and name it in targets.ci[].environment; "
        "without either, set targets.ci[].approval: attestation and record each "
        "release's approval as an attestation of CI-DEPLOY-APPROVAL with release: "
        "<release.version>.",
        (
            "NIST SP 800-53 CM-3",
            "SOC 2 CC8.1",
            "Production-readiness checklist: deploys after manual approval",
        ),
    ),
    Control(
        "CI-ARTIFACT-BUILT-BY-PIPELINE",
        "The released artifact was built by the release commit's pipeline",
        _F,
        Severity.HIGH,
        "A green pipeline proves nothing about the image being shipped unless that "
        "pipeline built it. GitHub artifact attestations carry SLSA provenance naming the "
        "repository, commit, workflow and run that produced a digest; GitLab's name the CI "
        "job. A digest with no such attestation, or one built from another repository, "
        "commit or workflow, may have been built elsewhere, by hand, or from other code "
        "than the commit whose checks passed.",
        "Attest the build in the release pipeline (GitHub: actions/attest-build-provenance; "
        "GitLab: SLSA provenance attestations) and release the digest it attested; list "
        "the released digests in targets.ci[].artifacts and, for GitHub, the workflow "
        "file in targets.ci[].workflow.",
        (
            "SLSA v1.0 Build L2",
            "NIST SSDF PS.2.1",
            "NIST SSDF PS.3.2",
            "NIST SP 800-53 SR-4",
            "NIST SP 800-53 CM-14",
            "GitHub docs: Using artifact attestations to establish provenance for builds",
        ),
    ),
)
