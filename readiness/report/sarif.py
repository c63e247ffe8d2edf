"""SARIF 2.1.0: the run's findings that sit in files, for code-scanning tools."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from readiness.controls import catalogue
from readiness.controls.frameworks import requirements_of
from readiness.report.locate import locate

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {"failed": "error", "warned": "warning", "waived": "note"}
# GitHub code scanning reads this property (0.1-10) to rank alerts.
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "0.5"}


def _level(severity: str) -> str:
    return "error" if severity in ("critical", "high") else "warning"


def _rule(control_id: str) -> dict[str, Any]:
    ctl = catalogue()[control_id]
    reqs = [r.label for r in requirements_of(ctl)]
    return {
        "id": ctl.id,
        "name": "".join(p.capitalize() for p in ctl.id.replace("-", " ").split()),
        "shortDescription": {"text": ctl.title},
        "fullDescription": {"text": ctl.rationale},
        "help": {
            "text": ctl.remediation,
            "markdown": f"**How to fix:** {ctl.remediation}\n\nEvidences: {'; '.join(reqs)}",
        },
        "defaultConfiguration": {"level": _level(ctl.severity.label)},
        "properties": {
            "tags": [ctl.family, *sorted({r.framework for r in requirements_of(ctl)})],
            "security-severity": SECURITY_SEVERITY[ctl.severity.label],
            "precision": "high",
            "problem.severity": "error"
            if ctl.severity.label in ("critical", "high")
            else "warning",
        },
    }


def _artifact(path: str, inside_root: bool) -> dict[str, str]:
    if inside_root:
        return {"uri": path, "uriBaseId": "SRCROOT"}
    return {"uri": Path(path).as_uri()}


def sarif_log(report: Mapping[str, Any], root: Path) -> dict[str, Any]:
    """A SARIF log of the failed, warned and waived findings located in files under ``root``."""
    results: list[dict[str, Any]] = []
    rule_ids: list[str] = []
    notifications: list[dict[str, Any]] = []
    profile_path = report.get("profile_path")
    profile_dir = Path(profile_path).parent if profile_path else None
    for check in report["checks"]:
        outcome = check["outcome"]
        if outcome == "error":
            notifications.append(
                {
                    "level": "error",
                    "message": {
                        "text": f"{check['control']} [{check['target']}]: {check['message']}"
                    },
                    "descriptor": {"id": check["control"]},
                }
            )
            continue
        if outcome not in LEVELS or check["control"] not in catalogue():
            continue
        where = locate(check, root, profile_dir)
        if where is None:
            continue
        if check["control"] not in rule_ids:
            rule_ids.append(check["control"])
        result: dict[str, Any] = {
            "ruleId": check["control"],
            "ruleIndex": rule_ids.index(check["control"]),
            "level": LEVELS[outcome],
            "message": {"text": check["message"] or check.get("title", check["control"])},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": _artifact(where.path, where.inside_root),
                        "region": {"startLine": where.line},
                    },
                    "logicalLocations": [{"name": check["target"], "kind": "object"}],
                }
            ],
            "partialFingerprints": {"readinessCheck/v1": f"{check['control']}:{check['target']}"},
            "properties": {
                "outcome": outcome,
                "severity": check["severity"],
                "blocking": bool(check.get("blocking")),
                "target": check["target"],
            },
        }
        if outcome == "waived" and check.get("waiver"):
            w = check["waiver"]
            result["suppressions"] = [
                {
                    "kind": "external",
                    "status": "accepted",
                    "justification": f"{w['reason']} (approved by {w['approver']}, "
                    f"expires {w['expires']})",
                }
            ]
        results.append(result)
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "readiness",
                        "version": report.get("readiness_version", "unknown"),
                        "rules": [_rule(cid) for cid in rule_ids],
                    }
                },
                "originalUriBaseIds": {"SRCROOT": {"uri": root.resolve().as_uri() + "/"}},
                "invocations": [
                    {
                        "executionSuccessful": not report["gate"].get("errors"),
                        "startTimeUtc": report["started_at"],
                        "endTimeUtc": report["finished_at"],
                        "toolExecutionNotifications": notifications,
                    }
                ],
                "automationDetails": {"id": f"readiness/{report['profile']}/{report['run']['id']}"},
                "results": results,
                "properties": {"profile": report["profile"], "environment": report["environment"]},
            }
        ],
    }
