"""SPDX SBOMs (JSON and tag-value) read with spdx-tools: detection, validation, NTIA, purls;
and NTIA "no data" (no components, no dependency graph) for both formats."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from readiness.errors import SourceError
from readiness.profile.supply_chain import DEFAULT_NTIA
from readiness.rules.supply_chain_sbom import (
    component_purls,
    license_report,
    ntia_coverage,
    ntia_findings,
    schema_findings,
)
from readiness.sources.sbom import parse_sbom, read_sbom_file, schema_issues, spdx_license_ids

DATA = (
    Path(__file__).resolve().parents[1] / "data/supply_chain/sbom/spdx-tools-python/tests/spdx/data"
)
JSON_23 = DATA / "SPDXJSONExample-v2.3.spdx.json"
TAG_23 = DATA / "SPDXTagExample-v2.3.spdx"
LITE = DATA / "SPDXLite.spdx"
TRIVY = next((DATA / "invalid").glob("spdx-trivy-*.json"))


def test_format_is_detected_and_both_serialisations_agree() -> None:
    from_json = read_sbom_file(str(JSON_23))
    from_tag = read_sbom_file(str(TAG_23))
    assert (from_json.format, from_json.spec_version) == ("SPDX", "SPDX-2.3")
    assert from_tag.format == "SPDX" and from_tag.doc == from_json.doc
    assert read_sbom_file(str(LITE)).spec_version == "SPDX-2.2"


def test_described_package_is_the_subject_and_the_rest_components() -> None:
    sbom = read_sbom_file(str(JSON_23))
    root = sbom.doc["metadata"]["component"]
    assert (root["name"], root["version"], root["bom-ref"]) == (
        "glibc",
        "2.11.1",
        "SPDXRef-Package",
    )
    assert root["hashes"][0]["content"].startswith("11b6d3ee554eedf7")
    assert [c["name"] for c in sbom.doc["components"]] == ["Apache Commons Lang", "Jena", "Saxon"]
    assert "pkg:maven/org.apache.jena/apache-jena@3.12.0" in component_purls(sbom.doc)


def test_ntia_is_computed_the_same_way() -> None:
    sbom = read_sbom_file(str(JSON_23))
    cov = ntia_coverage(sbom.doc)
    assert (cov["name"].covered, cov["name"].total) == (3, 3)
    assert (cov["version"].covered, cov["unique_identifier"].covered) == (2, 1)
    assert cov["supplier"].covered == 0  # only the described package names a supplier
    assert cov["author"].share == 1.0 and cov["timestamp"].share == 1.0
    failing = {f.message.split("'")[1] for f in ntia_findings("x", cov, DEFAULT_NTIA)}
    assert failing == {"supplier", "version", "unique_identifier", "dependencies"}


def test_spdx_lite_without_relationships_has_no_dependency_data() -> None:
    cov = ntia_coverage(read_sbom_file(str(LITE)).doc)
    assert cov["dependencies"].share == 0.0
    assert cov["dependencies"].missing_examples == ("no dependency relationships in the document",)


def test_spdx_licences_go_through_the_licence_policy() -> None:
    report = license_report(read_sbom_file(str(JSON_23)).doc, ["MPL-1.0"], spdx_license_ids())
    assert report.denied == (("SPDXRef-Saxon", "MPL-1.0"),)
    assert ("SPDXRef-fromDoap-0", "no licence stated") in report.unknown


def test_validation_uses_spdx_tools() -> None:
    assert schema_issues(read_sbom_file(str(JSON_23))) == []
    raw = json.loads(JSON_23.read_text())
    raw["dataLicense"] = "MIT"
    sbom = parse_sbom(json.dumps(raw).encode(), "bad.spdx.json")
    [issue] = schema_issues(sbom)
    assert issue.path == "SPDXRef-DOCUMENT" and 'data_license must be "CC0-1.0"' in issue.message
    [finding] = schema_findings(sbom, [issue])
    assert finding.expected == "a valid SPDX-2.3 document (spdx-tools validation)"


def test_real_trivy_document_that_spdx_tools_rejects_is_unreadable_with_the_reason() -> None:
    with pytest.raises(SourceError, match=r"SPDX document does not parse: .*time data"):
        read_sbom_file(str(TRIVY))


def test_zero_components_is_no_data_not_full_coverage() -> None:
    empty = parse_sbom(
        json.dumps(
            {
                "bomFormat": "CycloneDX",
                "specVersion": "1.5",
                "version": 1,
                "metadata": {"timestamp": "2026-01-01T00:00:00Z", "authors": [{"name": "ci"}]},
            }
        ).encode(),
        "empty.cdx.json",
    )
    cov = ntia_coverage(empty.doc)
    assert all(cov[e].share == 0.0 for e in ("supplier", "name", "dependencies"))
    assert cov["supplier"].missing_examples == ("no components",)
    messages = [f.message for f in ntia_findings("empty.cdx.json", cov, DEFAULT_NTIA)]
    assert (
        "empty.cdx.json: NTIA element 'supplier' covered for 0/0 (0%); missing e.g. no "
        "components" in messages
    )
    assert not any("'author'" in m or "'timestamp'" in m for m in messages)
