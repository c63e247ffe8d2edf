"""--export sarif,oscal,hdf on a real-world manifest set: each export validates against
its published schema (SARIF 2.1.0, HDF exec JSON) or its model library (OSCAL, trestle)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from readiness.plugin import checks_dir
from readiness.report.oscal import oscal_control_id
from tests.fixtures.kubernetes import run_gate
from tests.realworld import REALWORLD

SCHEMAS = Path(__file__).resolve().parents[1] / "data" / "schemas"
MANIFESTS = REALWORLD / "k8s" / "microservices-demo" / "kubernetes-manifests"
CHECKS = str(checks_dir() / "test_kubernetes.py")


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    work = tmp_path_factory.mktemp("exports")
    (work / "manifests").symlink_to(MANIFESTS)
    profile = {
        "environment": "staging",
        "gate": {"fail_on": "high"},
        "report": {"exports": ["hdf"]},
        "targets": {"manifests": [{"name": "shop", "paths": ["manifests"]}]},
    }
    done, report = run_gate(work, profile, {}, "--export", "sarif,oscal")
    reports = work / "reports"
    return {
        "work": work,
        "stdout": done.stdout,
        "report": report,
        "sarif": json.loads((reports / "readiness-report.sarif").read_text()),
        "hdf": json.loads((reports / "readiness-report.hdf.json").read_text()),
        "oscal_path": reports / "readiness-assessment-results.oscal.json",
    }


def test_sarif_is_valid_and_points_at_the_manifest_lines(exported: dict[str, Any]) -> None:
    sarif = exported["sarif"]
    schema = json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text())
    jsonschema.Draft7Validator(schema).validate(sarif)
    run = sarif["runs"][0]
    results = run["results"]
    failing = [c for c in exported["report"]["checks"] if c["outcome"] in ("failed", "warned")]
    in_files = {f"{c['control']}:{c['target']}" for c in failing if c["target"].count("/") == 2}
    # Every finding about an object of the manifests is located; namespace-wide ones are not.
    assert results and {r["partialFingerprints"]["readinessCheck/v1"] for r in results} == in_files
    rules = run["tool"]["driver"]["rules"]
    for result in results:
        rule = rules[result["ruleIndex"]]
        assert rule["id"] == result["ruleId"] and rule["help"]["text"]
        assert float(rule["properties"]["security-severity"]) > 0
        loc = result["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"]["uriBaseId"] == "SRCROOT"
        path = exported["work"] / loc["artifactLocation"]["uri"]
        line = path.read_text().splitlines()[loc["region"]["startLine"] - 1]
        name = result["properties"]["target"].rsplit("/", 1)[-1]
        assert line.strip() == f"name: {name}", (result["ruleId"], line)
    levels = {r["level"] for r in results}
    assert levels <= {"error", "warning", "note"} and "error" in levels


def test_hdf_is_valid_against_heimdalls_schema(exported: dict[str, Any]) -> None:
    hdf = exported["hdf"]
    schema = json.loads((SCHEMAS / "hdf-exec-json.json").read_text())
    jsonschema.validate(hdf, schema)
    controls = {c["id"]: c for c in hdf["profiles"][0]["controls"]}
    report = exported["report"]
    assert set(controls) == {c["control"] for c in report["checks"]}
    statuses = [r["status"] for c in controls.values() for r in c["results"]]
    assert len(statuses) == len(report["checks"])
    assert statuses.count("passed") == report["summary"]["passed"]
    assert statuses.count("failed") == report["summary"]["failed"] + report["summary"]["warned"]
    sc = controls["K8S-SECURITY-CONTEXT"]
    assert "5.2.7" in sc["tags"]["cis_kubernetes"] and "AC-6" in sc["tags"]["nist"]
    assert sc["impact"] == 0.7


def test_oscal_assessment_results_read_back_by_trestle(exported: dict[str, Any]) -> None:
    from trestle.oscal.assessment_results import AssessmentResults

    ar = AssessmentResults.oscal_read(exported["oscal_path"])
    assert ar is not None
    (result,) = ar.results
    report = exported["report"]
    looked = [c for c in report["checks"] if c["outcome"] != "skipped"]
    assert len(result.observations or []) == len(looked)
    findings = {f.target.target_id: f.target.status.state.value for f in result.findings or []}
    assert findings[f"{oscal_control_id('AC-6')}_smt"] == "not-satisfied"  # root containers
    selected = {
        c.control_id for c in result.reviewed_controls.control_selections[0].include_controls
    }
    assert "ac-6" in selected and oscal_control_id("SC-8(1)") == "sc-8.1"


def test_unknown_export_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", prof="environment: test\n")
    # In a subprocess: in-process, the repository's ini (rootdir of CHECKS) would turn
    # pytest's own "already imported" notice about the plugin package into an error.
    result = pytester.runpytest_subprocess("--profile=prof.yaml", "--export", "pdf", CHECKS)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--export: unknown format 'pdf'*"])
