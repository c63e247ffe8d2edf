"""Heimdall Data Format (InSpec exec JSON), so the run opens in MITRE Heimdall."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from readiness.controls import Control, catalogue
from readiness.controls.frameworks import PRACTICE, requirements_of

# InSpec's impact scale: none 0.0, low 0.1-0.3, medium 0.4-0.6, high 0.7-0.8, critical 0.9+.
IMPACT = {"info": 0.0, "low": 0.3, "medium": 0.5, "high": 0.7, "critical": 0.9}
TAG_KEYS = {  # Heimdall groups NIST SP 800-53 by tags.nist
    "nist-800-53": "nist",
    "cis-k8s": "cis_kubernetes",
    "ssdf": "nist_ssdf",
    "slsa": "slsa",
    "asvs": "owasp_asvs",
    "soc2": "soc2",
}


GATE_KEYS = ("state", "passed", "fail_on", "reason")


def _parse(ts: str) -> dt.datetime:
    return dt.datetime.fromisoformat(ts.replace("Z", "+00:00"))


def _result(check: Mapping[str, Any], start: str) -> dict[str, Any]:
    outcome = check["outcome"]
    result: dict[str, Any] = {
        "code_desc": f"{check['control']} on {check['target']}: {check.get('title', '')}",
        "start_time": start,
        "run_time": check.get("duration", 0.0),
        "resource": check["family"],
        "resource_id": check["target"],
    }
    if outcome == "passed":
        result["status"] = "passed"
    elif outcome in ("failed", "warned"):
        result["status"] = "failed"
        result["message"] = check["message"]
    elif outcome == "waived":
        w = check.get("waiver") or {}
        result["status"] = "skipped"
        result["skip_message"] = (
            f"waived until {w.get('expires')} by {w.get('approver')}: {w.get('reason')}\n"
            f"{check['message']}"
        )
    elif outcome == "skipped":
        result["status"] = "skipped"
        result["skip_message"] = check["message"] or "skipped"
    else:
        result["status"] = "error"
        result["message"] = check["message"]
        result["exception"] = "readiness could not run the check"
    return result


def _control(ctl: Control, checks: list[Mapping[str, Any]], start: str) -> dict[str, Any]:
    reqs = requirements_of(ctl)
    tags: dict[str, Any] = {"severity": checks[0]["severity"], "family": ctl.family}
    for req in reqs:
        if req.framework != PRACTICE:
            tags.setdefault(TAG_KEYS[req.framework], []).append(req.id)
    tags.setdefault("nist", [])  # Heimdall's compliance view expects the key
    waived = [c for c in checks if c["outcome"] == "waived"]
    control: dict[str, Any] = {
        "id": ctl.id,
        "title": ctl.title,
        "desc": ctl.rationale,
        "descriptions": [
            {"label": "default", "data": ctl.rationale},
            {"label": "fix", "data": ctl.remediation},
            {"label": "rationale", "data": ctl.rationale},
        ],
        "impact": IMPACT.get(checks[0]["severity"], 0.5),
        "refs": [{"ref": r.id} for r in reqs if r.framework == PRACTICE],
        "tags": tags,
        "code": None,
        "source_location": {"ref": f"readiness/controls/{ctl.family}.py", "line": None},
        "results": [_result(c, start) for c in checks],
    }
    if waived and len(waived) == len(checks):
        w = waived[0].get("waiver") or {}
        control["waiver_data"] = {
            "expiration_date": str(w.get("expires", "")),
            "justification": str(w.get("reason", "")),
            "run": True,
            "skipped_due_to_waiver": False,
            "message": f"approved by {w.get('approver', '')}",
        }
    return control


def hdf_document(report: Mapping[str, Any]) -> dict[str, Any]:
    by_control: dict[str, list[Mapping[str, Any]]] = {}
    for check in report["checks"]:
        by_control.setdefault(check["control"], []).append(check)
    controls = catalogue()
    known = [cid for cid in by_control if cid in controls]
    start = report["started_at"]
    families: dict[str, list[str]] = {}
    for cid in known:
        families.setdefault(controls[cid].family, []).append(cid)
    duration = (_parse(report["finished_at"]) - _parse(start)).total_seconds()
    version = str(report.get("readiness_version", "unknown"))
    release = report.get("release") or {}
    return {
        "platform": {
            "name": "readiness",
            "release": version,
            "target_id": f"{report['profile']}/{report['environment']}",
        },
        "version": version,
        "statistics": {"duration": duration},
        "profiles": [
            {
                "name": report["profile"],
                "title": f"readiness profile {report['profile']} ({report['environment']})",
                "version": str(release.get("version") or "") or None,
                "summary": report["gate"].get("reason")
                or ("gate passed" if report["gate"]["passed"] else "gate failed"),
                "sha256": report["profile_sha256"],
                "supports": [],
                "attributes": [],
                "status": "loaded",
                "groups": [
                    {"id": f"readiness/controls/{fam}.py", "title": fam, "controls": ids}
                    for fam, ids in sorted(families.items())
                ],
                "controls": [
                    _control(controls[cid], list(by_control[cid]), start) for cid in known
                ],
            }
        ],
        "passthrough": {
            "readiness": {
                "run": report["run"],
                "gate": {
                    k: report["gate"].get(k) for k in ("state", "passed", "fail_on", "reason")
                },
                "summary": report["summary"],
            }
        },
    }
