"""SBOM rules: schema validity (same verdicts as cyclonedx-python-lib), NTIA, licences."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from readiness.demo.supply_chain import GOOD_COMPONENTS, make_sbom
from readiness.errors import SourceError
from readiness.profile.supply_chain import DEFAULT_NTIA
from readiness.rules.supply_chain_sbom import (
    _parse_expression,
    denied_license_findings,
    license_report,
    ntia_coverage,
    ntia_findings,
    sbom_presence_findings,
    schema_findings,
)
from readiness.sources.sbom import parse_sbom, read_sbom_file, schema_issues, spdx_license_ids

CORPUS = Path(__file__).resolve().parents[1] / "data" / "supply_chain" / "sbom"
SPEC = CORPUS / "cyclonedx-specification/tools/src/test/resources/1.6"
REAL_WORLD = sorted(
    p
    for p in CORPUS.rglob("*.json")
    if "/schema/" not in str(p) and "juice-shop" not in str(p) and "spdx" not in p.name
)


def doc_of(data: dict[str, Any], source: str = "test.cdx.json") -> Any:
    return parse_sbom(json.dumps(data).encode(), source)


@pytest.mark.parametrize("path", REAL_WORLD, ids=lambda p: str(p.relative_to(CORPUS)))
def test_real_world_schema_verdicts_match_the_strict_validator(path: Path) -> None:
    """Same valid/invalid verdict as cyclonedx-python-lib's JsonStrictValidator."""
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    sbom = read_sbom_file(str(path))
    ours = schema_issues(sbom)
    if sbom.size > 50_000:  # the strict validator takes minutes on big files; ours is checked
        assert ours == [], ours
        return
    strict = JsonStrictValidator(SchemaVersion.from_version(sbom.spec_version))
    theirs = strict.validate_str(path.read_text())
    assert (ours == []) == (theirs is None), (ours, theirs)
    expected_invalid = path.name.startswith("invalid-")
    assert (ours != []) is expected_invalid


def test_schema_finding_names_path_and_spec() -> None:
    sbom = read_sbom_file(str(SPEC / "invalid-serialnumber-1.6.json"))
    findings = schema_findings(sbom, schema_issues(sbom))
    assert findings and "/serialNumber" in findings[0].message
    assert "CycloneDX 1.6 JSON schema" in findings[0].expected


def test_unknown_spec_version_is_a_finding() -> None:
    sbom = doc_of({"bomFormat": "CycloneDX", "specVersion": "9.9", "version": 1})
    issues = schema_issues(sbom)
    assert issues[0].path == "/specVersion" and "unsupported" in issues[0].message


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"{not json", "not valid JSON"),
        (b"[]", "not a JSON object"),
        (b'{"spdxVersion": "SPDX-2.3"}', "SPDX document does not parse: .*CreationInfo"),
        (b'{"bomFormat": "x"}', "neither CycloneDX .* nor SPDX"),
    ],
)
def test_corrupt_sboms_get_a_reason(data: bytes, reason: str) -> None:
    with pytest.raises(SourceError, match=reason):
        parse_sbom(data, "bad.json")


def test_ntia_complete_sbom_passes() -> None:
    sbom = make_sbom("shop/cart", "1.0", GOOD_COMPONENTS, image_digest="sha256:" + "a" * 64)
    cov = ntia_coverage(sbom)
    assert {k: v.share for k, v in cov.items()} == dict.fromkeys(DEFAULT_NTIA, 1.0)
    assert ntia_findings("x", cov, DEFAULT_NTIA) == []


def test_ntia_incomplete_sbom_reports_each_element() -> None:
    sbom = make_sbom("shop/legacy", "1.0", GOOD_COMPONENTS, complete=False)
    sbom["components"][0]["purl"] = ""
    findings = ntia_findings("legacy.cdx.json", ntia_coverage(sbom), DEFAULT_NTIA)
    text = "\n".join(f.render() for f in findings)
    for element in ("supplier", "unique_identifier", "dependencies", "author", "timestamp"):
        assert f"NTIA element '{element}'" in text
    assert "'unique_identifier' covered for 2/3 (67%)" in text
    assert "'name'" not in text and "'version'" not in text


def test_ntia_thresholds_are_shares() -> None:
    sbom = make_sbom("a", "1", GOOD_COMPONENTS)
    del sbom["components"][0]["supplier"]
    cov = ntia_coverage(sbom)
    assert round(cov["supplier"].share, 2) == 0.67
    assert ntia_findings("x", cov, {**DEFAULT_NTIA, "supplier": 0.6}) == []
    assert len(ntia_findings("x", cov, {**DEFAULT_NTIA, "supplier": 0.7})) == 1


def test_ntia_root_without_dependency_entry() -> None:
    sbom = make_sbom("a", "1", GOOD_COMPONENTS)
    sbom["dependencies"] = sbom["dependencies"][1:]
    findings = ntia_findings("x", ntia_coverage(sbom), DEFAULT_NTIA)
    assert len(findings) == 1 and "metadata.component" in findings[0].message


def test_ntia_on_real_world_sbom_reads_raw_json() -> None:
    sbom = read_sbom_file(str(CORPUS / "bom-examples/SBOM/laravel-7.12.0/bom.1.4.json"))
    cov = ntia_coverage(sbom.doc)
    assert cov["name"].share == 1.0 and cov["unique_identifier"].share == 1.0
    assert cov["author"].share == 0.0  # the object model would not hide this: raw JSON is judged


@pytest.mark.parametrize(
    ("expression", "denied"),
    [
        ("MIT", False),
        ("AGPL-3.0-only", True),
        ("MIT OR AGPL-3.0-only", False),  # a non-denied choice exists
        ("MIT AND AGPL-3.0-only", True),
        ("(MIT OR Apache-2.0) AND GPL-2.0-only WITH Classpath-exception-2.0", False),
        ("(AGPL-3.0-only OR SSPL-1.0) AND MIT", True),
        ("Apache-2.0 or AGPL-3.0-only", False),
    ],
)
def test_licence_expressions(expression: str, denied: bool) -> None:
    doc = {"components": [{"name": "c", "licenses": [{"expression": expression}]}]}
    report = license_report(doc, ["AGPL-3.0-only", "SSPL-1.0"], spdx_license_ids())
    assert bool(report.denied) is denied


def test_unknown_licences_are_collected() -> None:
    doc = {
        "components": [
            {"name": "a", "licenses": [{"license": {"name": "Some custom thing"}}]},
            {"name": "b"},
            {"name": "c", "licenses": [{"license": {"id": "NotAnSpdxId"}}]},
            {"name": "d", "licenses": [{"license": {"id": "LicenseRef-acme"}}]},
            {"name": "e", "licenses": [{"expression": "MIT AND ("}]},
        ]
    }
    report = license_report(doc, [], spdx_license_ids())
    reasons = dict(report.unknown)
    assert set(reasons) == {"a", "b", "c", "e"}
    assert "not an SPDX id" in reasons["a"] and "no licence" in reasons["b"]
    assert "unparsable" in reasons["e"]


def test_denied_licence_finding_text() -> None:
    doc = {
        "components": [
            {"name": "x", "purl": "pkg:npm/x@1", "licenses": [{"license": {"id": "SSPL-1.0"}}]}
        ]
    }
    findings = denied_license_findings(
        "s.json", license_report(doc, ["SSPL-1.0"], spdx_license_ids()), ["SSPL-1.0"]
    )
    assert findings[0].found == "SSPL-1.0" and "pkg:npm/x@1" in findings[0].message


def test_parse_expression_rejects_garbage() -> None:
    with pytest.raises(ValueError):
        _parse_expression("MIT OR")


def test_presence_and_subject() -> None:
    digest = "sha256:" + "a" * 64
    other = "sha256:" + "b" * 64
    assert "no usable SBOM" in sbom_presence_findings([], {digest}, True)[0].message
    unreadable = sbom_presence_findings([], {digest}, True, ["ref: SBOM is not valid JSON"])
    assert "only unreadable ones: ref: SBOM is not valid JSON" in unreadable[0].found
    assert sbom_presence_findings([], {digest}, False) == []
    good = doc_of(make_sbom("a", "1", GOOD_COMPONENTS, image_digest=digest))
    assert sbom_presence_findings([good], {digest}, True) == []
    foreign = doc_of(make_sbom("a", "1", GOOD_COMPONENTS, image_digest=other))
    assert "describes another image" in sbom_presence_findings([foreign], {digest}, True)[0].message
    attached = parse_sbom(json.dumps(make_sbom("a", "1", ())).encode(), "ref", subject_digest=other)
    assert (
        "attached to another image" in sbom_presence_findings([attached], {digest}, True)[0].message
    )


def _nested(depth: int) -> bytes:
    return b'{"bomFormat": "CycloneDX", "x": ' + b"[" * (depth - 1) + b"]" * (depth - 1) + b"}"


@pytest.mark.parametrize(
    "data",
    [
        b'{"bomFormat": "CycloneDX", "specVersion": "1.5", "n": NaN, "big": 1' + b"0" * 30 + b"}",
        b'\xef\xbb\xbf{"bomFormat": "CycloneDX", "specVersion": "1.5"}',
        b'{"bomFormat": "CycloneDX", "s": "\\ud800 lone surrogate"}',
        b'{"bomFormat": "CycloneDX", "s": "[[[[ \\\\", "t": "\\"]]]] {{", "u": [[{"v": "]"}]]}',
        _nested(100),
        _nested(101),
        _nested(100).replace(b'"x": ', b'"x": "\\\\\\"[[[[[[", "y": '),
        _nested(101).replace(b'"x": ', b'"a": "\\\\", "x": ').replace(b"]}", b'], "b": "\\\\"}'),
        b'{"bomFormat": "CycloneDX", "components": [{"name": "a"}, ]}',
        b'{"bomFormat": "CycloneDX"',
    ],
    ids=[
        "nan-and-huge-int",
        "bom",
        "lone-surrogate",
        "brackets-in-strings",
        "depth-100",
        "depth-101",
        "depth-100-escaped-quotes",
        "depth-101-between-escaped-backslashes",
        "trailing-comma",
        "truncated",
    ],
)
def test_fast_parse_gives_the_standard_librarys_values_and_errors(data: bytes) -> None:
    """orjson parses the common case; whatever it refuses, and the depth limit, give
    exactly what the standard-library loader gives."""
    from readiness import safeload
    from readiness.sources.sbom import SBOM_LIMITS

    try:
        expected: Any = safeload.load_json(data, "app.cdx.json", SBOM_LIMITS)
    except safeload.SafeLoadError as exc:
        expected = f"SBOM is not valid JSON: {exc}"
    try:
        found: Any = parse_sbom(data, "app.cdx.json").doc
    except SourceError as exc:
        found = exc.reason
    if isinstance(expected, dict) and expected.get("n") is not None:  # NaN != NaN
        assert json.dumps(found) == json.dumps(expected)
    else:
        assert found == expected


def test_nested_components_count_depth_first_in_document_order() -> None:
    from readiness.rules.supply_chain_sbom import component_purls, components_of

    def comp(name: str, *nested: dict[str, Any]) -> dict[str, Any]:
        return {
            "name": name,
            "purl": f"pkg:npm/{name}@1",
            **({"components": list(nested)} if nested else {}),
        }

    doc = {"components": [comp("a", comp("b"), comp("c", comp("d"))), "not an object", comp("e")]}
    assert [c["name"] for c in components_of(doc)] == ["a", "b", "c", "d", "e"]
    assert component_purls(doc)[3] == "pkg:npm/d@1"
    coverage = ntia_coverage(doc)
    assert coverage["name"].total == 5 and coverage["supplier"].covered == 0
    assert license_report(doc, [], frozenset()).components == 5
