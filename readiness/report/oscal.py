"""OSCAL assessment results, built and validated with compliance-trestle's OSCAL models.

One result for the run; one observation per check that looked (skipped checks did not);
one finding per NIST SP 800-53 control the run's checks evidence, satisfied when every
one of those checks passed and not satisfied otherwise.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Mapping
from typing import Any

from readiness.controls import catalogue
from readiness.report.coverage import EVIDENCED, FAILED, framework_coverage

NS = "https://readiness.invalid/ns/oscal"  # namespace of readiness's own props


def oscal_control_id(rev5_id: str) -> str:
    """``SC-8(1)`` -> ``sc-8.1``, as the NIST SP 800-53 rev5 OSCAL catalog names it."""
    m = re.fullmatch(r"([A-Z]{2})-(\d+)(?:\((\d+)\))?", rev5_id)
    if m is None:
        raise ValueError(f"not a NIST SP 800-53 control id: {rev5_id!r}")
    family, number, enhancement = m.groups()
    return f"{family.lower()}-{number}" + (f".{enhancement}" if enhancement else "")


def _time(ts: str) -> dt.datetime:
    return dt.datetime.fromisoformat(ts.replace("Z", "+00:00"))


def assessment_results(report: Mapping[str, Any]) -> Any:
    """A trestle ``AssessmentResults`` (pydantic validates it as it is built)."""
    from trestle.oscal import OSCAL_VERSION
    from trestle.oscal import assessment_results as ar
    from trestle.oscal import common as cm

    run_id = str(report["run"]["id"])

    def uid(*parts: str) -> str:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, "/".join(("readiness", run_id, *parts))))

    def prop(name: str, value: Any) -> Any:
        return cm.Property(name=name, value=str(value) if str(value) else "none", ns=NS)

    started, finished = _time(report["started_at"]), _time(report["finished_at"])
    controls = catalogue()
    observations: list[Any] = []
    by_control: dict[str, list[str]] = {}
    for check in report["checks"]:
        if check["outcome"] == "skipped":
            continue
        ob_uuid = uid("observation", check["nodeid"])
        by_control.setdefault(check["control"], []).append(ob_uuid)
        observations.append(
            cm.Observation(
                uuid=ob_uuid,
                title=f"{check['control']} on {check['target']}",
                description=check["message"] or check.get("title") or check["control"],
                props=[
                    prop("readiness-control", check["control"]),
                    prop("target", check["target"]),
                    prop("outcome", check["outcome"]),
                    prop("severity", check["severity"]),
                ],
                methods=["TEST"],
                types=["finding" if check["outcome"] != "passed" else "control-objective"],
                collected=finished,
            )
        )
    findings, reviewed = [], []
    nist = next(fw for fw in framework_coverage(report["checks"]) if fw.key == "nist-800-53")
    for req in nist.requirements:
        if req.state not in (EVIDENCED, FAILED):
            continue
        cid = oscal_control_id(req.id)
        reviewed.append(cm.SelectControlById(control_id=cid))
        related = [
            cm.RelatedObservation(observation_uuid=o)
            for ctl in req.controls
            for o in by_control.get(ctl, [])
        ]
        satisfied = req.state == EVIDENCED
        findings.append(
            cm.Finding(
                uuid=uid("finding", cid),
                title=f"{req.id} {req.title}",
                description=(
                    f"{'Satisfied' if satisfied else 'Not satisfied'} by readiness controls "
                    f"{', '.join(c for c in req.controls if c in controls)}: "
                    + ", ".join(f"{n} {o}" for o, n in sorted(req.counts.items()))
                ),
                target=cm.FindingTarget(
                    type="statement-id",
                    target_id=f"{cid}_smt",
                    status=cm.ObjectiveStatus(state="satisfied" if satisfied else "not-satisfied"),
                ),
                related_observations=related or None,
            )
        )
    gate = report["gate"]
    result = ar.Result(
        uuid=uid("result"),
        title=f"readiness gate {gate.get('state') or ('passed' if gate['passed'] else 'failed')}",
        description=gate.get("reason") or "readiness production-readiness gate run",
        start=started,
        end=finished,
        props=[
            prop("profile", report["profile"]),
            prop("profile-sha256", report["profile_sha256"]),
            prop("environment", report["environment"]),
            prop("run-id", run_id),
            prop("commit", report["run"].get("commit", "")),
            *[prop(f"count-{o}", n) for o, n in report["summary"].items()],
        ],
        reviewed_controls=cm.ReviewedControls(
            control_selections=[
                cm.ControlSelections(include_controls=reviewed)
                if reviewed
                else cm.ControlSelectionsAll(include_all=cm.IncludeAll())
            ]
        ),
        observations=observations or None,
        findings=findings or None,
    )
    return ar.AssessmentResults(
        uuid=uid("assessment-results"),
        metadata=cm.Metadata(
            title=f"readiness assessment results: {report['profile']} ({report['environment']})",
            last_modified=finished,
            version=str(report.get("readiness_version", "unknown")),
            oscal_version=OSCAL_VERSION,
        ),
        import_ap=ar.ImportAp(href=f"#{report['profile']}"),
        results=[result],
    )


def oscal_document(report: Mapping[str, Any]) -> str:
    """The assessment results as OSCAL JSON text (``{"assessment-results": ...}``)."""
    return str(assessment_results(report).oscal_serialize_json(pretty=True, wrapped=True))
