"""JUnit XML for CI, written from the JSON report (so it is identical from any directory
and after an xdist merge).

One ``testcase`` per check: classname ``readiness.<family>``, name ``<CONTROL>[<target>]``.
Blocking failures are ``<failure>``, errored checks ``<error>``, skipped ``<skipped>``;
warned and waived checks pass (they do not block) and say why in ``<system-out>``. Every
testcase carries ``<properties>`` (outcome, control, severity, family, target, waiver
approver/expiry), as pytest's ``xunit1`` output does; Jenkins and GitLab read the rest
by the Jenkins ``junit-10.xsd`` schema. A run that could not judge (broken profile,
collection error, no check selected) adds a ``readiness.gate`` testcase in error.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any


def _time(seconds: float) -> str:
    return f"{max(seconds, 0.0):.3f}"


def _properties(parent: ET.Element, values: Mapping[str, Any]) -> None:
    props = ET.SubElement(parent, "properties")
    for name, value in values.items():
        if value is None or value == "":
            continue
        ET.SubElement(props, "property", name=name, value=str(value))


def _first_line(text: str) -> str:
    return (text.splitlines() or [""])[0][:500]


def _check_properties(check: Mapping[str, Any]) -> dict[str, Any]:
    waiver = check.get("waiver") or {}
    return {
        "id": check.get("id"),
        "outcome": check["outcome"],
        "control": check["control"],
        "severity": check["severity"],
        "family": check["family"],
        "target": check["target"],
        "blocking": str(bool(check.get("blocking"))).lower(),
        "waiver.approver": waiver.get("approver"),
        "waiver.expires": waiver.get("expires"),
        "waiver.reason": waiver.get("reason"),
    }


def _testcase(suite: ET.Element, check: Mapping[str, Any]) -> str:
    """Add one check; returns its JUnit kind: pass, failure, error or skipped."""
    case = ET.SubElement(
        suite,
        "testcase",
        classname=f"readiness.{check['family']}",
        name=check.get("id") or f"{check['control']}[{check['target']}]",
        time=_time(float(check.get("duration") or 0.0)),
    )
    _properties(case, _check_properties(check))
    outcome = check["outcome"]
    message = str(check.get("message") or "")
    if outcome == "failed":
        node = ET.SubElement(case, "failure", message=_first_line(message), type=check["control"])
        node.text = f"{message}\n\nhow to fix: {check.get('remediation', '')}".strip()
        return "failure"
    if outcome == "error":
        node = ET.SubElement(case, "error", message=_first_line(message), type=check["control"])
        node.text = message
        return "error"
    if outcome == "skipped":
        ET.SubElement(case, "skipped", message=_first_line(message) or "skipped")
        return "skipped"
    if outcome in ("warned", "waived") and message:
        ET.SubElement(case, "system-out").text = f"{outcome}: {message}"
    return "pass"


def junit_xml(report: Mapping[str, Any]) -> bytes:
    gate = report["gate"]
    selection = report.get("selection") or {}
    run = report.get("run") or {}
    counts = {"failure": 0, "error": 0, "skipped": 0, "pass": 0}
    root = ET.Element("testsuites", name="readiness")
    suite = ET.SubElement(root, "testsuite", name=f"readiness.{report.get('profile') or 'run'}")
    _properties(
        suite,
        {
            "profile": report.get("profile"),
            "profile_sha256": report.get("profile_sha256"),
            "environment": report.get("environment"),
            "run.id": run.get("id"),
            "run.commit": run.get("commit"),
            "gate.state": gate.get("state"),
            "gate.passed": str(bool(gate.get("passed"))).lower(),
            "gate.reason": gate.get("reason"),
            "gate.fail_on": gate.get("fail_on"),
            "selection.mode": selection.get("mode"),
            "selection.selected": selection.get("selected"),
            "selection.deselected": selection.get("deselected"),
            "selection.total": selection.get("total"),
            "selection.reasons": "; ".join(selection.get("reasons") or []),
        },
    )
    duration = 0.0
    for check in report.get("checks", []):
        counts[_testcase(suite, check)] += 1
        duration += float(check.get("duration") or 0.0)
    if gate.get("state") == "error":
        case = ET.SubElement(suite, "testcase", classname="readiness.gate", name="run", time="0")
        reason = str(gate.get("reason") or "the run could not judge")
        ET.SubElement(case, "error", message=_first_line(reason), type="gate").text = reason
        counts["error"] += 1
    tests = sum(counts.values())
    attrs = {
        "tests": str(tests),
        "failures": str(counts["failure"]),
        "errors": str(counts["error"]),
        "skipped": str(counts["skipped"]),
        "time": _time(duration),
        "timestamp": str(report.get("started_at") or ""),
        "hostname": str(run.get("host") or ""),
    }
    for key, value in attrs.items():
        suite.set(key, value)
    for key in ("tests", "failures", "errors", "time"):
        root.set(key, attrs[key])
    ET.indent(root)
    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return data + b"\n"
