"""OSV matching: purls to ecosystems, version-range semantics, severities, thresholds."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from readiness.controls import Severity
from readiness.demo.supply_chain import CRITICAL_VECTOR, LOW_VECTOR, osv_record
from readiness.errors import SourceError
from readiness.rules.supply_chain_vulns import (
    OsvAffected,
    OsvDatabase,
    OsvRange,
    affects,
    cvss_score,
    is_blocking,
    match_components,
    parse_osv_record,
    purl_key,
    split_purl,
)
from readiness.sources.osv import load_osv_database


def affected(
    eco: str, *events: tuple[str, str], versions: tuple[str, ...] = (), kind: str = "ECOSYSTEM"
) -> OsvAffected:
    return OsvAffected(eco, "pkg", (OsvRange(kind, events),) if events else (), frozenset(versions))


@pytest.mark.parametrize(
    ("eco", "events", "version", "expected"),
    [
        # PEP 440: pre-releases sort before the release
        ("PyPI", (("introduced", "0"), ("fixed", "2.0")), "2.0rc1", True),
        ("PyPI", (("introduced", "0"), ("fixed", "2.0")), "2.0", False),
        ("PyPI", (("introduced", "1.0"), ("fixed", "1.5")), "0.9", False),
        ("PyPI", (("introduced", "1.0"), ("fixed", "1.5")), "1.4.99", True),
        # two intervals in one range
        (
            "PyPI",
            (("introduced", "0"), ("fixed", "3.2.5"), ("introduced", "4.0"), ("fixed", "4.0.2")),
            "3.9",
            False,
        ),
        (
            "PyPI",
            (("introduced", "0"), ("fixed", "3.2.5"), ("introduced", "4.0"), ("fixed", "4.0.2")),
            "4.0.1",
            True,
        ),
        # last_affected is inclusive
        ("npm", (("introduced", "1.0.0"), ("last_affected", "1.2.3")), "1.2.3", True),
        ("npm", (("introduced", "1.0.0"), ("last_affected", "1.2.3")), "1.2.4", False),
        # semver: numeric, not lexicographic
        ("npm", (("introduced", "0"), ("fixed", "4.17.19")), "4.17.5", True),
        ("npm", (("introduced", "0"), ("fixed", "4.17.19")), "4.17.21", False),
        # Maven ordering: 2.0-beta9 < 2.0 < 2.14.1 < 2.15.0
        ("Maven", (("introduced", "2.0-beta9"), ("fixed", "2.15.0")), "2.14.1", True),
        ("Maven", (("introduced", "2.0-beta9"), ("fixed", "2.15.0")), "2.0-alpha1", False),
        ("Maven", (("introduced", "2.0-beta9"), ("fixed", "2.15.0")), "2.15.0", False),
        # Debian epochs and revisions
        ("Debian:12", (("introduced", "0"), ("fixed", "1:1.2.3-4")), "9.9.9", True),  # epoch 0
        ("Debian:12", (("introduced", "0"), ("fixed", "1:1.2.3-4")), "2:0.1-1", False),
        ("Debian:12", (("introduced", "0"), ("fixed", "1:1.2.3-4")), "1:1.2.3-3", True),
        # Go: purl versions carry a leading v
        ("Go", (("introduced", "0"), ("fixed", "1.5.0")), "v1.4.2", True),
        ("Go", (("introduced", "0"), ("fixed", "1.5.0")), "v1.5.0", False),
        # open-ended
        ("crates.io", (("introduced", "0.3.0"),), "9.9.9", True),
    ],
)
def test_range_semantics(
    eco: str, events: tuple[tuple[str, str], ...], version: str, expected: bool
) -> None:
    assert affects(affected(eco, *events), version) is expected


def test_semver_ranges_use_semver_even_in_pypi() -> None:
    a = affected("PyPI", ("introduced", "1.0.0"), ("fixed", "1.10.0"), kind="SEMVER")
    assert affects(a, "1.9.0") is True
    assert affects(a, "1.10.0") is False


def test_explicit_versions_and_uncomparable() -> None:
    assert affects(affected("PyPI", versions=("1.0",)), "1.0") is True
    assert affects(affected("UnknownEco", ("introduced", "0"), ("fixed", "2")), "1") is None
    assert (
        affects(affected("PyPI", ("introduced", "0"), ("fixed", "2.0")), "not a version!") is None
    )


def test_composer_v_prefix() -> None:
    a = affected("Packagist", ("introduced", "7.0.0"), ("fixed", "7.30.5"))
    assert affects(a, "v7.12.0") is True
    assert affects(a, "v7.30.6") is False


@pytest.mark.parametrize(
    ("purl", "key"),
    [
        ("pkg:pypi/Jinja_2@2.10", ("PyPI", "jinja-2")),
        ("pkg:npm/%40babel/core@7.0.0", ("npm", "@babel/core")),
        (
            "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
            ("Maven", "org.apache.logging.log4j:log4j-core"),
        ),
        ("pkg:golang/github.com/gin-gonic/gin@v1.7.0", ("Go", "github.com/gin-gonic/gin")),
        ("pkg:deb/debian/openssl@3.0.11-1", ("Debian", "openssl")),
        ("pkg:deb/ubuntu/openssl@3.0.2", ("Ubuntu", "openssl")),
        ("pkg:cargo/serde@1.0.0", ("crates.io", "serde")),
        ("pkg:generic/thing@1", None),
        ("not a purl", None),
    ],
)
def test_purl_key(purl: str, key: tuple[str, str] | None) -> None:
    assert purl_key(purl) == key


@pytest.mark.parametrize(
    ("purl", "parts"),
    [
        ("pkg:npm/left-pad@1.3.0", ("npm", "", "left-pad", "1.3.0")),
        ("pkg:golang/golang.org/x/net@v0.0.1", ("golang", "golang.org/x", "net", "v0.0.1")),
        ("pkg:npm/%40angular/core@1.0", ("npm", "@angular", "core", "1.0")),
        ("pkg:npm/@scope/x@1", ("npm", "@scope", "x", "1")),
        ("pkg:deb/debian/curl@7.74.0-1?arch=amd64#sub", ("deb", "debian", "curl", "7.74.0-1")),
        ("pkg:PyPI/Django@1.0", ("pypi", "", "Django", "1.0")),
        ("pkg:npm//a//b@1", ("npm", "a", "b", "1")),
        ("pkg:npm/a@b@1", ("npm", "", "a@b", "1")),
        ("pkg:npm/a@", ("npm", "", "a", "")),
        ("pkg:npm/a", ("npm", "", "a", "")),
        ("pkg:npm/a@1%2B2", ("npm", "", "a", "1+2")),
        ("PKG:npm/a@1", ("npm", "", "a", "1")),
        ("pkg:/a@1", None),
        ("pkg:npm", None),
    ],
)
def test_split_purl_plain_and_general_forms(purl: str, parts: tuple[str, ...] | None) -> None:
    """The plain form takes one regular expression; every other form the general rules."""
    assert split_purl(purl) == parts


def test_cvss_scores() -> None:
    assert cvss_score(CRITICAL_VECTOR) == 9.8
    assert cvss_score(LOW_VECTOR) is not None and cvss_score(LOW_VECTOR) < 4.0  # type: ignore[operator]
    assert cvss_score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N") == 9.3
    assert cvss_score("garbage") is None


def _db(*records: dict[str, object]) -> OsvDatabase:
    db = OsvDatabase()
    for rec in records:
        db.add(parse_osv_record(rec))
    return db


def test_match_and_severity_sources() -> None:
    db = _db(
        osv_record("GHSA-A", "npm", "lodash", "0", "4.17.19", severity="MODERATE"),
        osv_record("GHSA-B", "Maven", "org.x:core", "0", "2.0", cvss=CRITICAL_VECTOR),
        osv_record("GHSA-C", "PyPI", "plain", "0", "9"),
        {**osv_record("GHSA-D", "npm", "lodash", "0", "9"), "withdrawn": "2026-01-01T00:00:00Z"},
    )
    result = match_components(
        [
            "pkg:npm/lodash@4.17.15",
            "pkg:maven/org.x/core@1.0",
            "pkg:pypi/plain@1.0",
            "pkg:npm/lodash@4.17.15",
            "",
            "pkg:pypi/unrelated@1.0",
        ],
        db,
    )
    by_id = {v.id: v for v in result.vulns}
    assert set(by_id) == {"GHSA-A", "GHSA-B", "GHSA-C"}  # withdrawn records never match
    assert by_id["GHSA-A"].severity == Severity.MEDIUM and by_id["GHSA-A"].score is None
    assert by_id["GHSA-B"].severity == Severity.CRITICAL and by_id["GHSA-B"].score == 9.8
    assert by_id["GHSA-C"].severity is None
    assert by_id["GHSA-A"].components == ("pkg:npm/lodash@4.17.15",)
    assert (result.components, result.with_purl) == (6, 5)


@pytest.mark.parametrize(
    ("fail_on", "cvss", "unknown_blocks", "expected"),
    [
        (Severity.HIGH, None, True, {"GHSA-B", "GHSA-C"}),
        (Severity.MEDIUM, None, False, {"GHSA-A", "GHSA-B"}),
        (Severity.CRITICAL, 9.9, False, set()),
        (Severity.CRITICAL, 9.0, False, {"GHSA-B"}),
    ],
)
def test_thresholds(
    fail_on: Severity, cvss: float | None, unknown_blocks: bool, expected: set[str]
) -> None:
    db = _db(
        osv_record("GHSA-A", "npm", "lodash", "0", "4.17.19", severity="MODERATE"),
        osv_record("GHSA-B", "Maven", "org.x:core", "0", "2.0", cvss=CRITICAL_VECTOR),
        osv_record("GHSA-C", "PyPI", "plain", "0", "9"),
    )
    result = match_components(
        ["pkg:npm/lodash@4.17.15", "pkg:maven/org.x/core@1.0", "pkg:pypi/plain@1.0"], db
    )
    assert {v.id for v in result.vulns if is_blocking(v, fail_on, cvss, unknown_blocks)} == expected


def test_database_from_directory_and_zip(tmp_path: Path) -> None:
    rec = osv_record("GHSA-Z", "PyPI", "zed", "0", "2.0")
    (tmp_path / "dir" / "nested").mkdir(parents=True)
    (tmp_path / "dir" / "nested" / "a.json").write_text(json.dumps(rec))
    (tmp_path / "dir" / "broken.json").write_text("{not json")
    with zipfile.ZipFile(tmp_path / "osv.zip", "w") as z:
        z.writestr("PyPI/GHSA-Z.json", json.dumps(rec))
    from_dir = load_osv_database(str(tmp_path / "dir"))
    from_zip = load_osv_database(str(tmp_path / "osv.zip"))
    assert from_dir.records == from_zip.records == 1
    assert from_dir.problems and "broken.json" in from_dir.problems[0]
    with pytest.raises(SourceError, match="not found"):
        load_osv_database(str(tmp_path / "missing"))


def test_fixed_versions_and_aliases_in_findings() -> None:
    from readiness.rules.supply_chain_vulns import first_fixed, vuln_findings

    a = affected(
        "PyPI", ("introduced", "0"), ("fixed", "3.2.5"), ("introduced", "4.0"), ("fixed", "4.0.2")
    )
    assert first_fixed(a, "4.0.1") == "4.0.2"
    assert first_fixed(a, "3.0") == "3.2.5"
    assert first_fixed(affected("PyPI", ("introduced", "0")), "1.0") is None
    db = _db(
        osv_record(
            "GHSA-L",
            "Maven",
            "org.x:core",
            "0",
            "2.15.0",
            cvss=CRITICAL_VECTOR,
            aliases=("CVE-2021-44228",),
        )
    )
    vuln = match_components(["pkg:maven/org.x/core@2.14.1"], db).vulns[0]
    assert vuln.fixed == ("pkg:maven/org.x/core@2.14.1 -> 2.15.0",)
    finding = vuln_findings(vuln, "severity high")[0]
    assert "GHSA-L aka CVE-2021-44228 (critical, CVSS 9.8)" in finding.message
    assert finding.fix.startswith("upgrade pkg:maven/org.x/core@2.14.1 -> 2.15.0")
    assert "'<target>/GHSA-L' or an alias" in finding.fix


def test_real_world_sboms_match_realistic_records() -> None:
    """Composer (v-prefixed versions) and Maven purls from the upstream example SBOMs."""
    from readiness.rules.supply_chain_sbom import component_purls
    from readiness.sources.sbom import read_sbom_file

    corpus = Path(__file__).resolve().parents[1] / "data" / "supply_chain" / "sbom" / "bom-examples"
    db = _db(
        # GHSA-3p32-j457-pg5x (jackson-databind < 2.9.10.8, CVSS 8.1)
        osv_record(
            "GHSA-jackson",
            "Maven",
            "com.fasterxml.jackson.core:jackson-databind",
            "2.9.0",
            "2.9.10.8",
            cvss="CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H",
        ),
        # a range that v7.30.6 is already past
        osv_record("GHSA-laravel-old", "Packagist", "laravel/framework", "7.0.0", "7.30.5"),
        osv_record("GHSA-guzzle", "Packagist", "guzzlehttp/guzzle", "6.0.0", "6.5.8"),
        osv_record(
            "GHSA-psr7", "Packagist", "guzzlehttp/psr7", "1.0.0", "1.9.1", severity="MODERATE"
        ),
    )
    laravel = read_sbom_file(str(corpus / "SBOM/laravel-7.12.0/bom.1.4.json"))
    dropwizard = read_sbom_file(str(corpus / "SBOM/dropwizard-1.3.15/bom.json"))
    found = {
        v.id: v
        for sbom in (laravel, dropwizard)
        for v in match_components(component_purls(sbom.doc), db).vulns
    }
    assert set(found) == {"GHSA-jackson", "GHSA-psr7"}
    laravel_result = match_components(component_purls(laravel.doc), db)
    assert laravel_result.uncomparable == ()  # v-prefixed composer versions compare
    assert found["GHSA-jackson"].severity == Severity.HIGH
    assert found["GHSA-psr7"].fixed == ("pkg:composer/guzzlehttp/psr7@1.9.0 -> 1.9.1",)


def test_a_lone_match_is_normalised_like_a_merged_group() -> None:
    from readiness.rules.supply_chain_vulns import VulnMatch, merge_aliases

    raw = VulnMatch(
        "GHSA-x",
        ("CVE-2", "CVE-1", "CVE-2", "GHSA-x"),
        "s",
        5.0,
        Severity.MEDIUM,
        ("a", "a", "b"),
        ("a -> 2", "a -> 2"),
    )
    [merged] = merge_aliases([raw])
    assert merged.aliases == ("CVE-1", "CVE-2")
    assert (merged.components, merged.fixed) == (("a", "b"), ("a -> 2",))
    clean = VulnMatch("GHSA-y", ("CVE-1",), "s", None, None, ("a",), ())
    assert merge_aliases([clean]) == [clean]
