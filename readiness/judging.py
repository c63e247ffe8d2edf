"""Turn pytest's view of one check (item + phase report) into a readiness result."""

from __future__ import annotations

import datetime as dt
import weakref
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from readiness.checking import MARKER, Evidence
from readiness.controls import Control, Severity, get_control
from readiness.errors import ReadinessError, SourceError
from readiness.gate import Outcome, RawResult, Verdict, judge, matching_waiver
from readiness.profile.model import Profile
from readiness.redact import Redactor
from readiness.results import PROPERTY, CheckResult

_UNSET: Any = object()


_CONTROL = pytest.StashKey["Control | None"]()


def control_of(item: pytest.Item) -> Control | None:
    # The check's own marker carries the id as its argument; the selection adds a
    # keyword-only copy (for ``-m "readiness_control(id='X')"``) after it. Looked up once
    # per item: walking its markers is asked for at collection and at every phase.
    found = item.stash.get(_CONTROL, _UNSET)
    if found is not _UNSET:
        return found
    found = None
    for marker in item.iter_markers(MARKER):
        if marker.args:
            found = get_control(marker.args[0])
            break
    item.stash[_CONTROL] = found
    return found


@cache
def _bundled_checks() -> Path:
    return Path(str(resources.files("readiness.checks"))).resolve()


def stable_nodeid(item: pytest.Item) -> str:
    """The node id, the same from any directory: ``checks/test_http.py::test_hsts[shop]``
    for the bundled checks (pytest's own id depends on the rootdir)."""
    inside = _inside_bundled(str(item.path))
    if inside is None:
        return item.nodeid
    rest = item.nodeid.split("::", 1)[1] if "::" in item.nodeid else item.name
    return f"checks/{inside}::{rest}"


@cache  # one filesystem lookup per check module, not per check
def _inside_bundled(path: str) -> str | None:
    try:
        return Path(path).resolve().relative_to(_bundled_checks()).as_posix()
    except ValueError:
        return None


def check_id(control_id: str, target: str) -> str:
    """The check's stable id: control and target (``HTTP-HSTS[shop]``)."""
    return f"{control_id}[{target}]"


def target_of(item: pytest.Item) -> str:
    callspec = getattr(item, "callspec", None)
    return callspec.id if callspec is not None else "-"


def effective_severity(profile: Profile, ctl: Control) -> Severity:
    setting = profile.controls.get(ctl.id)
    if setting is not None and setting.severity:
        return Severity.parse(setting.severity)
    return ctl.severity


def raw_result(
    report: pytest.TestReport, call: pytest.CallInfo[None]
) -> tuple[RawResult, str] | None:
    """What happened, or None when this phase settles nothing."""
    if report.when == "teardown":
        return None
    if report.skipped:
        longrepr = report.longrepr
        reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        return "skipped", reason.removeprefix("Skipped: ")
    if report.passed:
        return ("passed", "") if report.when == "call" else None
    excinfo = call.excinfo
    if excinfo is None:
        return "error", report.longreprtext
    if report.when == "setup":
        return "error", f"could not gather evidence: {exception_text(excinfo.value)}"
    if isinstance(excinfo.value, pytest.fail.Exception | AssertionError):
        text = excinfo.value.msg if isinstance(excinfo.value, pytest.fail.Exception) else ""
        return "failed", text or report.longreprtext
    return "error", f"could not run: {exception_text(excinfo.value)}"


def short_error_report(item: pytest.Item, call: pytest.CallInfo[None]) -> pytest.TestReport | None:
    """The report of a check that hit a readiness error (a source unreachable, bad data),
    without formatting a Python traceback: like a failure, an error is its message. Other
    exceptions (bugs) keep pytest's full report."""
    excinfo = call.excinfo
    if excinfo is None or not isinstance(excinfo.value, ReadinessError):
        return None
    sections = [
        (f"Captured {key} {when}", content)
        for when, key, content in item._report_sections  # as pytest's own reports do
    ]
    return pytest.TestReport(
        item.nodeid,
        item.location,
        dict.fromkeys(item.keywords, 1),
        "failed",
        exception_text(excinfo.value),
        call.when,  # type: ignore[arg-type]
        sections,
        call.duration,
        call.start,
        call.stop,
        user_properties=item.user_properties,
    )


def exception_text(exc: BaseException) -> str:
    if isinstance(exc, SourceError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def build_result(
    item: pytest.Item,
    report: pytest.TestReport,
    call: pytest.CallInfo[None],
    profile: Profile,
    today: dt.date,
    redactor: Redactor,
) -> tuple[CheckResult, Verdict] | None:
    raw = raw_result(report, call)  # first: most phases settle nothing
    if raw is None:
        return None
    ctl = control_of(item)
    if ctl is None:
        return None
    result, message = raw
    target = target_of(item)
    severity = effective_severity(profile, ctl)
    waiver = matching_waiver(profile.waivers, ctl.id, target) if result == "failed" else None
    verdict = judge(result, severity, profile.gate, waiver, today)
    if verdict.note:
        message = f"{message}\n{verdict.note}" if message else verdict.note
    evidence = _evidence_of(item)
    check = CheckResult(
        id=check_id(ctl.id, target),
        nodeid=stable_nodeid(item),
        control=ctl.id,
        title=ctl.title,
        family=ctl.family,
        severity=severity.label,
        target=target,
        outcome=verdict.outcome.value,
        blocking=verdict.blocking,
        message=redactor.text(message.strip()),
        remediation=ctl.remediation,
        evidence=redactor.data(evidence.data) if evidence else {},
        waiver=verdict.waiver.model_dump(mode="json") if verdict.waiver else None,
        duration=report.duration,
        html=evidence.html if evidence else [],
    )
    return check, verdict


def _evidence_of(item: pytest.Item) -> Evidence | None:
    """The check's ``evidence`` fixture value, if it asked for one (pytest drops the
    item's fixture values after its teardown)."""
    value = (getattr(item, "funcargs", None) or {}).get("evidence")
    return value if isinstance(value, Evidence) else None


def apply_to_report(report: pytest.TestReport, check: CheckResult, verdict: Verdict) -> None:
    """Carry the result on the report; non-blocking failures stop counting as failures."""
    carry(report, [check])
    if report.failed:
        if verdict.blocking:
            report.longrepr = check.message
        else:
            report.outcome = "passed"
            report.longrepr = None
    shown_as_failure = report.failed
    if check.message and not shown_as_failure and check.outcome != Outcome.PASSED:
        report.sections.append(("readiness", check.message))


_READ: weakref.WeakKeyDictionary[object, list[CheckResult]] = weakref.WeakKeyDictionary()


def carry(report: pytest.TestReport, checks: list[CheckResult]) -> None:
    """Put ``checks`` on ``report``: as plain data in its ``user_properties`` (what an
    xdist worker sends to the controller), and as they are for this process's readers."""
    for check in checks:
        report.user_properties.append((PROPERTY, check.as_dict()))
    if checks:
        _READ[report] = checks


def results_of(report: pytest.TestReport | pytest.CollectReport) -> list[CheckResult]:
    """Every result a report carries: one, or one per target of a grouped check (read
    once per report: the terminal, the session and the HTML rows all ask)."""
    found = _READ.get(report)
    if found is None:
        found = [
            CheckResult.from_dict(value)
            for key, value in getattr(report, "user_properties", ())
            if key == PROPERTY
        ]
        if found:
            _READ[report] = found
    return found


def result_of(report: pytest.TestReport | pytest.CollectReport) -> CheckResult | None:
    found = results_of(report)
    return found[0] if found else None
