"""The ci family against recorded GitHub and GitLab answers served over real HTTPS.

The answers are upstream recordings and documented examples (readiness/demo/ci_demo/SOURCES.md);
where a test changes one (a conclusion, a status, more runs to fill pages), it says so.
"""

from __future__ import annotations

import base64
import copy
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from readiness.demo._ci_api import CiRecording, RecordedCiServer
from readiness.demo.tls import LocalCA, issue, make_ca
from readiness.errors import SourceError
from readiness.profile.ci import CiTarget
from readiness.rules.ci import (
    approval_findings,
    required_check_findings,
    security_scan_findings,
)
from readiness.rules.ci_artifacts import ExpectedBuild, artifact_build_findings, released_digest
from readiness.sources import ci_attestations, ci_github, ci_gitlab
from readiness.sources.run import start_run

TOKEN = "ghp-recorded-ci-token-5f2c9e1a"
GH_SHA = "ce587453ced02b1526dfb4cb910479d431683101"
GL_SHA = "0ff3ae198f8601a285adcf5c0fff204ee6fba5fd"
# the recorded GitHub attestation: MODULE.bazel built by aspect-build/rules_lint's release
BAZEL = "sha256:06ce330900a7d6403bc8d88e5dfad6aeeb8ae40179f66bb89e69c8bf6f6b1a0b"
BAZEL_SHA = "8f70009fde0c94ade6ce2a054b94718c819126ec"
# the documented GitLab attestation (build_id 1)
GL_DIGEST = "sha256:76c34666f719ef14bd2b124a7db51e9c05e4db2e12a84800296d559064eebe2c"


@pytest.fixture(scope="module")
def ci_ca(tmp_path_factory: pytest.TempPathFactory) -> tuple[LocalCA, Path]:
    out = tmp_path_factory.mktemp("ci-ca")
    return make_ca(out, name="readiness ci test CA"), out


@pytest.fixture
def serve(ci_ca: tuple[LocalCA, Path]) -> Iterator[Any]:
    ca, out = ci_ca
    cert = issue(ca, out, "ci-api")
    started: list[RecordedCiServer] = []

    def start(recording: CiRecording | None = None) -> RecordedCiServer:
        server = RecordedCiServer(
            recording or CiRecording.load(), token=TOKEN, cert=(cert.cert, cert.key)
        ).start()
        started.append(server)
        return server

    start_run()
    yield start
    for server in started:
        server.stop()


def target(server: RecordedCiServer, ca: LocalCA, provider: str, **extra: Any) -> CiTarget:
    fields: dict[str, Any] = {
        "name": f"shop-{provider}",
        "provider": provider,
        "url": server.url,
        "ca_file": str(ca.cert_file),
        "auth": {"bearer_token": TOKEN},
        "retries": 0,
    }
    if provider == "github":
        fields |= {"repository": "octokit-fixture-org/create-status", "sha": GH_SHA}
    else:
        fields |= {"project": "foo/bar", "sha": GL_SHA}
    return CiTarget(**(fields | extra))


def green(recording: CiRecording) -> CiRecording:
    """The recording with every result turned to a pass (the one change made)."""
    rec = copy.deepcopy(recording)
    for run in rec.check_runs:
        run["conclusion"] = "success"
    for status in rec.combined_status["statuses"]:
        status["state"] = "success"
    rec.combined_status["state"] = "success"
    for job in rec.jobs:
        job["status"] = "success"
    for pipeline in rec.pipelines:
        pipeline["status"] = "success"
    return rec


def test_github_recorded_commit_fails_with_each_result_named(
    serve: Any, ci_ca: tuple[LocalCA, Path]
) -> None:
    server = serve()
    commit = ci_github.read_commit(target(server, ci_ca[0], "github"))
    states = {(r.kind, r.name): r.state for r in commit.results}
    assert states == {
        ("check run", "mighty_readme"): "neutral",
        ("status", "example/1"): "failure",
        ("status", "example/2"): "success",
    }
    findings = required_check_findings(commit, ["mighty_readme", "example/*"])
    assert [f.found.split(":")[0] for f in findings] == [
        "check run 'mighty_readme'",
        "status 'example/1'",
    ]
    assert "neutral" in findings[0].found and "success" in findings[0].expected
    assert "create-status failure test" in findings[1].found  # the status' description


def test_github_green_commit_passes_and_missing_check_fails(
    serve: Any, ci_ca: tuple[LocalCA, Path]
) -> None:
    server = serve(green(CiRecording.load()))
    commit = ci_github.read_commit(target(server, ci_ca[0], "github"))
    assert required_check_findings(commit, ["mighty_readme", "example/*"]) == []
    assert required_check_findings(commit, []) == []
    missing = required_check_findings(commit, ["build"])
    assert len(missing) == 1 and "did not run" in missing[0].message
    assert "mighty_readme" in missing[0].found  # says what did run


def test_github_check_runs_read_across_pages(serve: Any, ci_ca: tuple[LocalCA, Path]) -> None:
    rec = green(CiRecording.load())
    (run,) = rec.check_runs
    # changed: the recorded run repeated 230 times with new ids and names, one failing
    rec.check_runs = [run | {"id": 1000 + i, "name": f"test ({i})"} for i in range(230)]
    rec.check_runs[217]["conclusion"] = "failure"
    server = serve(rec)
    commit = ci_github.read_commit(target(server, ci_ca[0], "github", per_page=100))
    assert sum(r.kind == "check run" for r in commit.results) == 230
    pages = server.requests[f"/repos/octokit-fixture-org/create-status/commits/{GH_SHA}/check-runs"]
    assert pages == 3
    findings = required_check_findings(commit, ["test (*)"])
    assert [f.found.split(":")[0] for f in findings] == ["check run 'test (217)'"]


def test_github_too_many_pages_is_an_error(serve: Any, ci_ca: tuple[LocalCA, Path]) -> None:
    rec = CiRecording.load()
    rec.check_runs = [rec.check_runs[0] | {"id": i} for i in range(5)]
    server = serve(rec)
    with pytest.raises(SourceError, match="more than 2 pages of 2"):
        ci_github.read_commit(target(server, ci_ca[0], "github", per_page=2, max_pages=2))


def test_gitlab_recorded_pipeline_fails_and_scans_are_judged(
    serve: Any, ci_ca: tuple[LocalCA, Path]
) -> None:
    server = serve()
    commit = ci_gitlab.read_commit(target(server, ci_ca[0], "gitlab"))
    states = {r.name: (r.kind, r.state) for r in commit.results}
    assert states == {
        "pipeline 6": ("pipeline", "pending"),
        "rspec:other": ("job", "failed"),
        "teaspoon": ("job", "failed"),
    }
    assert commit.where == "pipeline 6 of gitlab project foo/bar"
    findings = required_check_findings(commit, [])
    assert len(findings) == 3
    assert "stuck_or_timeout_failure" in findings[1].found
    scans = security_scan_findings(commit, ["container_scanning"])
    assert len(scans) == 1 and "did not run" in scans[0].message
    asked = [p for p in server.requests if p.endswith("/pipelines")]
    assert asked == ["/api/v4/projects/foo%2Fbar/pipelines"]  # project path encoded


def test_gitlab_allowed_failure_still_fails_a_scan(serve: Any, ci_ca: tuple[LocalCA, Path]) -> None:
    rec = green(CiRecording.load())
    # changed: the second recorded job is a security scan that failed but may fail
    rec.jobs[1] |= {"name": "dependency_scanning", "status": "failed", "allow_failure": True}
    server = serve(rec)
    commit = ci_gitlab.read_commit(target(server, ci_ca[0], "gitlab"))
    assert required_check_findings(commit, ["rspec:*"]) == []
    (finding,) = security_scan_findings(commit, ["dependency_scanning"])
    assert "allowed to fail" in finding.found


def test_gitlab_commit_without_pipeline_has_no_evidence(
    serve: Any, ci_ca: tuple[LocalCA, Path]
) -> None:
    server = serve()
    commit = ci_gitlab.read_commit(target(server, ci_ca[0], "gitlab", sha="1" * 40))
    assert commit.results == ()
    (finding,) = required_check_findings(commit, [])
    assert "no CI result" in finding.message


def test_wrong_token_is_an_error_naming_no_secret(serve: Any, ci_ca: tuple[LocalCA, Path]) -> None:
    server = serve()
    wrong = "ghp-wrong-token-0123456789"
    bad = target(server, ci_ca[0], "github", auth={"bearer_token": wrong})
    with pytest.raises(SourceError) as caught:
        ci_github.read_commit(bad)
    assert "refused our credentials (HTTP 401)" in caught.value.reason
    assert wrong not in str(caught.value) and TOKEN not in str(caught.value)


@pytest.mark.parametrize("provider", ["github", "gitlab"])
def test_deploy_approval_from_environment_protection(
    serve: Any, ci_ca: tuple[LocalCA, Path], provider: str
) -> None:
    server = serve()
    reader = ci_github.read_approval if provider == "github" else ci_gitlab.read_approval
    guarded = reader(target(server, ci_ca[0], provider, environment="production"))
    assert approval_findings(guarded) == []
    if provider == "github":
        assert (guarded.approvers, guarded.rules) == (
            ("octocat",),
            ("wait_timer", "required_reviewers", "branch_policy"),
        )
    else:
        assert (guarded.approvals, guarded.approvers) == (3, ("qa-group", "security-group"))
    (open_door,) = approval_findings(
        reader(target(server, ci_ca[0], provider, environment="canary"))
    )
    assert "deployments to canary" in open_door.message and "need no approval" in open_door.message
    (missing,) = approval_findings(reader(target(server, ci_ca[0], provider, environment="prod")))
    assert "not configured or not protected" in missing.found


def github_expected(t: CiTarget) -> ExpectedBuild:
    return ExpectedBuild(t.name, f"github {t.repository}", t.repository, t.sha, t.workflow or None)


def test_github_attestation_names_repository_commit_and_workflow(
    serve: Any, ci_ca: tuple[LocalCA, Path]
) -> None:
    server = serve()
    ca = ci_ca[0]
    release = target(server, ca, "github", repository="aspect-build/rules_lint", sha=BAZEL_SHA,
                     workflow=".github/workflows/release.yml", artifacts=[f"ghcr.io/a/b@{BAZEL}"])  # fmt: skip
    assert release.digests == [BAZEL]
    found = ci_attestations.read_github(release, BAZEL)
    (claim,) = found.claims
    assert (claim.repository, claim.commit, claim.workflow, claim.ref) == (
        "https://github.com/aspect-build/rules_lint",
        BAZEL_SHA,
        ".github/workflows/release.yml",
        "refs/heads/publish-to-bcr",
    )
    assert (
        claim.run
        == "https://github.com/aspect-build/rules_lint/actions/runs/14095611671/attempts/1"
    )
    assert artifact_build_findings(BAZEL, found.claims, github_expected(release)) == []
    other = target(server, ca, "github", workflow=".github/workflows/build.yml")
    (finding,) = artifact_build_findings(BAZEL, ci_attestations.read_github(other, BAZEL).claims,
                                         github_expected(other))  # fmt: skip
    assert f"{BAZEL} was not built by the release pipeline" in finding.message
    assert "built from https://github.com/aspect-build/rules_lint, not " in finding.found
    assert f"built from commit 8f70009fde0c, not {GH_SHA[:12]}" in finding.found
    assert "built by workflow .github/workflows/release.yml, not .github/workflows/build.yml" in (
        finding.found
    )
    missing = "sha256:" + "0" * 64
    none = ci_attestations.read_github(release, missing)
    (finding,) = artifact_build_findings(missing, none.claims, github_expected(release), none.note)
    assert "no build attestation" in finding.message and "404" in finding.found


def test_github_attestation_that_is_not_provenance_does_not_count(
    serve: Any, ci_ca: tuple[LocalCA, Path]
) -> None:
    rec = CiRecording.load()
    # changed: the recorded bundle's payload replaced by a statement of another type
    envelope = rec.attestations[0]["bundle"]["dsseEnvelope"]
    statement = json.loads(base64.b64decode(envelope["payload"]))
    statement["predicateType"] = "https://spdx.dev/Document"
    envelope["payload"] = base64.b64encode(json.dumps(statement).encode()).decode()
    server = serve(rec)
    release = target(server, ci_ca[0], "github", repository="aspect-build/rules_lint",
                     sha=BAZEL_SHA)  # fmt: skip
    found = ci_attestations.read_github(release, BAZEL)
    (finding,) = artifact_build_findings(BAZEL, found.claims, github_expected(release))
    assert "predicate https://spdx.dev/Document is not SLSA provenance" in finding.found
    broken = ci_attestations.claim_of_bundle({"dsseEnvelope": {"payloadType": "x"}}, "b")
    assert broken.predicate_type == "unreadable (payload type 'x' is not in-toto)"


def test_gitlab_attestation_must_name_a_job_of_the_commit_pipeline(
    serve: Any, ci_ca: tuple[LocalCA, Path]
) -> None:
    server = serve()
    t = target(server, ci_ca[0], "gitlab", artifacts=[GL_DIGEST])
    commit = ci_gitlab.read_commit(t)
    jobs = frozenset(r.id for r in commit.results if r.kind == "job")
    assert jobs == {"6", "7"}
    expected = ExpectedBuild(t.name, commit.where, jobs=jobs)
    found = ci_attestations.read_gitlab(t, GL_DIGEST)
    (finding,) = artifact_build_findings(GL_DIGEST, found.claims, expected)
    assert "built by job 1, not a job of pipeline 6 of gitlab project foo/bar (6, 7)" in (
        finding.found
    )
    rec = CiRecording.load()
    rec.gitlab_attestations[0]["build_id"] = 7  # changed: built by the pipeline's job 7
    built = serve(rec)
    t2 = target(built, ci_ca[0], "gitlab")
    assert (
        artifact_build_findings(
            GL_DIGEST, ci_attestations.read_gitlab(t2, GL_DIGEST).claims, expected
        )
        == []
    )
    rec.gitlab_attestations[0]["status"] = "error"  # changed: the attestation failed
    failed = serve(rec)
    (finding,) = artifact_build_findings(
        GL_DIGEST, ci_attestations.read_gitlab(target(failed, ci_ca[0], "gitlab"), GL_DIGEST).claims,
        expected,
    )  # fmt: skip
    assert "status error" in finding.found
    assert ci_attestations.read_gitlab(t, BAZEL).claims == ()


def test_released_digests_are_sha256_digests() -> None:
    assert released_digest(f"Registry:5000/Shop/Cart@{BAZEL.upper()}") == BAZEL
    for bad in ("registry:5000/shop/cart:1.4.0", "sha256:abc", "md5:" + "0" * 32):
        with pytest.raises(ValueError, match="is not a sha256 digest"):
            released_digest(bad)


def test_gate_run_reports_both_providers(
    serve: Any, ci_ca: tuple[LocalCA, Path], tmp_path: Path
) -> None:
    """The bundled checks through pytest --profile, as a user runs them."""
    from readiness.plugin import checks_dir

    server = serve()
    ca = str(ci_ca[0].cert_file)
    auth = {"bearer_token": "${CI_TOKEN}"}
    profile = {
        "extends": "none",
        "environment": "production",
        "targets": {
            "ci": [
                {"name": "gh", "provider": "github", "url": server.url, "ca_file": ca,
                 "auth": auth, "repository": "o/r", "sha": GH_SHA,
                 "required": ["mighty_readme"], "environment": "production",
                 "artifacts": [f"ghcr.io/o/r@{BAZEL}"], "artifacts_from_images": True},
                {"name": "gl", "provider": "gitlab", "url": server.url, "ca_file": ca,
                 "auth": auth, "project": "1", "sha": GL_SHA,
                 "security_scans": ["sast"], "environment": "production",
                 "approval": "attestation"},
            ],
            # the pinned image is the artifact above (judged once); the other is by tag
            "images": [{"ref": f"127.0.0.1:9/shop/cart@{BAZEL}"},
                       {"ref": "127.0.0.1:9/shop/ui:2.0.0"}],
        },
        "release": {"version": "2.0.0"},
        # no GitLab protected environment: approvals are attested per release, and the
        # one on record is for the previous release
        "attestations": [
            {"control": "CI-DEPLOY-APPROVAL", "target": "gl/production", "release": "1.9.0",
             "status": "passed", "explanation": "CAB-311 approved 1.9.0",
             "attested_by": "ana@example.com", "date": "2026-01-05", "expires": "2099-01-01"},
        ],
    }  # fmt: skip
    (tmp_path / "p.yaml").write_text(yaml.safe_dump(profile))
    done = subprocess.run(
        [sys.executable, "-m", "pytest", str(checks_dir() / "test_ci.py"), "--profile=p.yaml",
         "-p", "no:cacheprovider", "-q"],
        cwd=tmp_path, env={**os.environ, "CI_TOKEN": TOKEN}, capture_output=True, text=True,
        timeout=300, check=False,
    )  # fmt: skip
    report = json.loads((tmp_path / "reports" / "readiness-report.json").read_text())
    outcomes = sorted((c["control"], c["target"], c["outcome"]) for c in report["checks"])
    assert outcomes == [
        ("CI-ARTIFACT-BUILT-BY-PIPELINE", "gh/127.0.0.1:9/shop/ui:2.0.0", "failed"),
        ("CI-ARTIFACT-BUILT-BY-PIPELINE", f"gh/{BAZEL}", "failed"),
        ("CI-DEPLOY-APPROVAL", "gh/production", "passed"),
        ("CI-DEPLOY-APPROVAL", "gl/production", "failed"),
        ("CI-REQUIRED-CHECKS", "gh", "failed"),
        ("CI-REQUIRED-CHECKS", "gl", "failed"),
        ("CI-SECURITY-SCANS", "gl", "failed"),
    ], done.stdout[-3000:]
    assert done.returncode == 1
    by_target = {c["target"]: c for c in report["checks"] if c["control"] == "CI-DEPLOY-APPROVAL"}
    assert by_target["gh/production"]["evidence"]["approval_evidence"].startswith(
        "environment protection read from github o/r"
    )
    unpinned = [c for c in report["checks"] if c["target"] == "gh/127.0.0.1:9/shop/ui:2.0.0"]
    assert "is referenced by tag, so the released digest is unknown" in unpinned[0]["message"]
    attested = by_target["gl/production"]
    assert "no approval of release 2.0.0" in attested["message"]
    assert "1.9.0 (by ana@example.com on 2026-01-05)" in attested["message"]
    assert attested["evidence"]["approval_evidence"] == "manual attestation: none"
    everything = done.stdout + done.stderr
    for name in ("readiness-report.json", "readiness-report.html", "junit.xml"):
        everything += (tmp_path / "reports" / name).read_text()
    assert TOKEN not in everything
