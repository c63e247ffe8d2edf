"""Release artifacts without any registry: real Sigstore bundles and SLSA provenance
(sigstore-python, slsa-verifier test data), CycloneDX and SPDX SBOMs, an imported OSV
database, one artifact served over HTTPS by a test CA; through the plugin, offline."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import http.server
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from readiness.demo.http import serve, tls_context
from readiness.demo.supply_chain import make_sbom
from readiness.demo.tls import issue, make_ca
from readiness.sources.vulndb import VulnStore
from tests.fixtures.supply_chain import run_in

pytestmark = pytest.mark.integration

DATA = Path(__file__).resolve().parents[1] / "data" / "supply_chain"
ASSETS = DATA / "sigstore/sigstore-python/test/assets"
ROOT = DATA / "sigstore/sigstore-python/trusted_root/production/trusted_root.json"
BCR = DATA / "sigstore/slsa-verifier/cli/slsa-verifier/testdata/bcr"
SPDX = DATA / "sbom/spdx-tools-python/tests/spdx/data/SPDXJSONExample-v2.3.spdx.json"
OSV = DATA / "osv"
LOG4SHELL = OSV / "github-advisory-database/advisories/github-reviewed/2021/12/GHSA-jfh8-c2jp-5v3q"
HTTP2 = OSV / "github-advisory-database/advisories/github-reviewed/2022/09/GHSA-69cg-p879-7622"
WHEEL = ASSETS / "bundle_v3_github.whl"
BAZEL = BCR / "MODULE.bazel"
BCR_BUILDER = "https://github.com/bazel-contrib/publish-to-bcr/.github/workflows/publish.yaml"
RFC8785 = (
    r"https://github\.com/trailofbits/rfc8785\.py/\.github/workflows/release\.yml@refs/tags/v.*"
)
GITHUB = "https://token.actions.githubusercontent.com"
SECRET = "s3cr3t-download-token"


def sha256(path: Path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def import_db(path: Path, when: dt.datetime) -> Path:
    VulnStore(path).import_paths(
        [
            OSV / "export/Go/all.zip",
            LOG4SHELL / f"{LOG4SHELL.name}.json",
            HTTP2 / f"{HTTP2.name}.json",
        ],
        when,
    )
    return path


@pytest.fixture(scope="module")
def https_base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """MODULE.bazel served over HTTPS by a certificate of a test CA."""
    home = tmp_path_factory.mktemp("artifact-https")
    ca = make_ca(home / "ca")
    cert = issue(ca, home / "tls")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(BCR))
    handler_class = type("Files", (http.server.SimpleHTTPRequestHandler,), {})
    handler_class.__init__ = lambda self, *a, **k: handler.func.__init__(  # type: ignore[method-assign]
        self, *a, directory=str(BCR), **k
    )
    handler_class.log_message = lambda self, *a: None  # type: ignore[method-assign]
    server = serve("artifacts", 0, handler_class, tls_context(cert))
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}", ca.cert_file
    finally:
        server.shutdown()
        server.server_close()


def profile(home: Path, https: tuple[str, Path], vulns: str) -> str:
    sbom = home / "wheel.cdx.json"
    components = (
        ("maven/org.apache.logging.log4j/log4j-core", "2.14.1", "Apache-2.0"),
        ("golang/golang.org/x/net", "v0.0.0-20220826154423-83b083e8dc8b", "BSD-3-Clause"),
    )
    sbom.write_text(
        json.dumps(make_sbom("rfc8785", "0.1.2", components, image_digest=sha256(WHEEL)))
    )
    base, ca = https
    expires = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    return f"""\
environment: production
targets:
  artifacts:
    - name: rfc8785-wheel
      path: {WHEEL}
      files:
        sbom: {sbom}
        signature_bundles: [{WHEEL}.sigstore]
    - path: {BAZEL}
      files:
        sbom: {SPDX}
        provenance: [{BAZEL}.intoto.jsonl]
    - name: bazel-with-wheel-bundle
      path: {BAZEL}
      files: {{signature_bundles: [{WHEEL}.sigstore]}}
    - name: wheel-with-bazel-provenance
      path: {WHEEL}
      files: {{provenance: [{BAZEL}.intoto.jsonl]}}
    - name: bazel-over-https
      url: {base}/MODULE.bazel?token={SECRET}
      ca_file: {ca}
      files: {{provenance: [{BAZEL}.intoto.jsonl]}}
    - name: gone
      path: {home}/no-such-artifact.tar.gz
supply_chain:
  signature:
    trusted_root: {ROOT}
    identities:
      - identity_regex: '{RFC8785}'
        issuer: {GITHUB}
      - identity_regex: '{BCR_BUILDER}@.*'
        issuer: {GITHUB}
  provenance:
    allowed_builders: [{BCR_BUILDER}]
  vulnerabilities:
{vulns}
    unknown_severity_blocks: false
waivers:
  - control: SC-VULNS
    target: rfc8785-wheel/CVE-2022-27664
    reason: HTTP/2 server not exposed; fix in the next release (CHG-1)
    approver: sec@example.com
    expires: {expires}
"""


@pytest.fixture(scope="module")
def run(
    tmp_path_factory: pytest.TempPathFactory, https_base: tuple[str, Path]
) -> tuple[int, dict[tuple[str, str], dict[str, Any]], Path]:
    home = tmp_path_factory.mktemp("artifacts")
    db = import_db(home / "vulndb.sqlite", dt.datetime.now(dt.UTC))
    code, checks = run_in(home, profile(home, https_base, f"    database: {db}"))
    return code, checks, home


@pytest.mark.parametrize(
    ("control", "target", "outcome"),
    [
        ("SC-SIGNATURE", "rfc8785-wheel", "passed"),
        ("SC-SIGNATURE", "MODULE.bazel", "failed"),
        ("SC-SIGNATURE", "bazel-with-wheel-bundle", "failed"),
        ("SC-SIGNATURE", "gone", "error"),
        ("SC-PROVENANCE", "MODULE.bazel", "passed"),
        ("SC-PROVENANCE", "bazel-over-https", "passed"),
        ("SC-PROVENANCE", "rfc8785-wheel", "failed"),
        ("SC-PROVENANCE", "wheel-with-bazel-provenance", "failed"),
        ("SC-SBOM-PRESENT", "MODULE.bazel", "failed"),  # the SPDX example describes glibc
        ("SC-SBOM-PRESENT", "rfc8785-wheel", "passed"),
        ("SC-SBOM-PRESENT", "bazel-with-wheel-bundle", "failed"),
        ("SC-SBOM-VALID", "MODULE.bazel", "passed"),
        ("SC-SBOM-VALID", "rfc8785-wheel", "passed"),
        ("SC-SBOM-NTIA", "MODULE.bazel", "warned"),
        ("SC-VULNS", "rfc8785-wheel", "passed"),
        ("SC-VULNS", "rfc8785-wheel/GHSA-jfh8-c2jp-5v3q", "failed"),
        ("SC-VULNS", "rfc8785-wheel/CVE-2022-27664", "waived"),
        ("SC-VULNS", "MODULE.bazel", "passed"),
        ("SC-VERDICT", "rfc8785-wheel", "failed"),
        ("SC-IMAGE-USER", "-", "skipped"),
    ],
)
def test_outcome(
    run: tuple[int, dict[tuple[str, str], dict[str, Any]], Path],
    control: str,
    target: str,
    outcome: str,
) -> None:
    check = run[1][(control, target)]
    assert check["outcome"] == outcome, check["message"]


def test_gate_blocks_on_the_critical_vulnerability(
    run: tuple[int, dict[tuple[str, str], dict[str, Any]], Path],
) -> None:
    code, checks, _ = run
    assert code == 1
    message = checks[("SC-VULNS", "rfc8785-wheel/GHSA-jfh8-c2jp-5v3q")]["message"]
    assert "GHSA-jfh8-c2jp-5v3q aka CVE-2021-44228 (critical, CVSS 10.0)" in message
    assert "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1 -> 2.15.0" in message
    verdict = checks[("SC-VERDICT", "rfc8785-wheel")]["message"]
    assert verdict.startswith("rfc8785-wheel may not ship")


def test_attestation_and_signature_bound_to_the_artifact(
    run: tuple[int, dict[tuple[str, str], dict[str, Any]], Path],
) -> None:
    checks = run[1]
    wheel, bazel = sha256(WHEEL), sha256(BAZEL)
    signature = checks[("SC-SIGNATURE", "bazel-with-wheel-bundle")]["message"]
    assert f"is about another artifact: signature is about {wheel}, artifact is {bazel}" in (
        signature
    )
    provenance = checks[("SC-PROVENANCE", "wheel-with-bazel-provenance")]["message"]
    assert f"is about {bazel}, artifact is {wheel}" in provenance
    unsigned = checks[("SC-SIGNATURE", "MODULE.bazel")]["message"]
    assert unsigned.startswith("artifact is not signed")
    assert "only verified attestations (https://slsa.dev/provenance/v1)" in unsigned


def test_url_artifact_is_read_without_leaking_its_query(
    run: tuple[int, dict[tuple[str, str], dict[str, Any]], Path],
) -> None:
    _, checks, home = run
    evidence = checks[("SC-PROVENANCE", "bazel-over-https")]["evidence"]
    assert evidence["artifact"]["digest"] == sha256(BAZEL)
    report = (home / "reports" / "readiness-report.json").read_text()
    assert SECRET not in report and SECRET not in (home / "reports" / "junit.xml").read_text()


def test_sbom_about_another_artifact_says_so(
    run: tuple[int, dict[tuple[str, str], dict[str, Any]], Path],
) -> None:
    message = run[1][("SC-SBOM-PRESENT", "MODULE.bazel")]["message"]
    assert "SPDXJSONExample-v2.3.spdx.json describes another artifact" in message
    assert "sha256:11b6d3ee554eedf79299905a98f9b9a04e498210b59f15094c916c91d150efcd" in message


def test_unreadable_artifact_names_the_reason(
    run: tuple[int, dict[tuple[str, str], dict[str, Any]], Path],
) -> None:
    message = run[1][("SC-SIGNATURE", "gone")]["message"]
    assert "artifact gone: cannot read artifact: No such file or directory" in message


@pytest.mark.parametrize(
    ("vulns", "outcome", "text"),
    [
        ("    database: null", "failed", "no vulnerability database configured"),
        ("    database: {home}/absent.sqlite", "failed", "absent.sqlite does not exist"),
        ("    database: {stale}", "failed", "is stale: last import"),
        ("    database: {stale}\n    max_age_days: 30", "passed", ""),
        (
            "    database: {home}/absent.sqlite\n    if_missing: skip",
            "skipped",
            "does not exist (supply_chain.vulnerabilities.if_missing: skip)",
        ),
    ],
    ids=["unset", "absent", "stale", "stale-allowed", "absent-skip"],
)
def test_the_vulnerability_gate_never_silently_skips(
    tmp_path: Path, https_base: tuple[str, Path], vulns: str, outcome: str, text: str
) -> None:
    stale = import_db(tmp_path / "stale.sqlite", dt.datetime.now(dt.UTC) - dt.timedelta(days=10))
    _, checks = run_in(
        tmp_path,
        profile(tmp_path, https_base, vulns.format(home=tmp_path, stale=stale)),
    )
    target = "MODULE.bazel" if outcome != "skipped" else "-"
    check = checks[("SC-VULNS", target)]
    assert check["outcome"] == outcome, check["message"]
    assert text in check["message"]
