"""The controller-side run: gathers every check's result and writes the reports once."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import pytest

from readiness.gate import GateState
from readiness.judging import result_of
from readiness.profile.model import Profile
from readiness.report.identity import RunIdentity, run_identity
from readiness.report.json_report import build_report, write_report
from readiness.report.summary import markdown_summary, terminal_lines
from readiness.results import CheckResult
from readiness.selection import Selection, SelectionTracker


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def no_checks_reason(selection: Selection) -> str:
    reasons = selection.reasons()
    by = f" by {', '.join(reasons)}" if reasons else ""
    of = f" of the profile's {selection.total}" if selection.total else ""
    return f"no check selected{by}{of}: nothing was judged"


def exit_status(report: dict[str, Any], current: int) -> int:
    """pytest's exit status, made honest: 1 when the gate failed or could not judge
    (unless pytest already says worse), 5 when no check was selected."""
    gate = report["gate"]
    if current not in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
        return current
    if report["selection"].get("selected") == 0:
        return pytest.ExitCode.NO_TESTS_COLLECTED
    if gate["state"] in (GateState.FAILED, GateState.ERROR):
        return pytest.ExitCode.TESTS_FAILED
    return current


class ReadinessSession:
    """Registered on the controller only (not on xdist workers)."""

    def __init__(
        self,
        config: pytest.Config,
        profile: Profile,
        report_dir: Path,
        tracker: SelectionTracker,
    ):
        self.config = config
        self.profile = profile
        self.report_dir = report_dir
        self.tracker = tracker
        self.identity: RunIdentity = run_identity(os.environ, Path.cwd())
        self.started_at = utcnow()
        self.results: dict[str, CheckResult] = {}
        self.report: dict[str, Any] | None = None

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        result = result_of(report)
        if result is not None:
            self.results[result.nodeid] = result

    def build(self, interrupted: bool = False) -> dict[str, Any]:
        selection = self.tracker.selection
        if selection.selected is None:  # not collected (xdist without workers' counts)
            selection.selected = len(self.results)
        errors = list(self.tracker.collection_errors)
        if interrupted:
            errors.append("the run was interrupted before every check was judged")
        if selection.selected == 0 and not errors:
            errors.append(no_checks_reason(selection))
        return build_report(
            self.profile,
            self.identity,
            list(self.results.values()),
            started_at=self.started_at,
            finished_at=utcnow(),
            today=dt.date.today(),
            selection=selection.as_dict(),
            errors=errors,
        )

    # First, so the HTML report (written in pytest-html's own sessionfinish) and the
    # terminal summary use this one finished report instead of building another.
    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        interrupted = exitstatus == pytest.ExitCode.INTERRUPTED and not (
            self.tracker.collection_errors
        )
        report = self.build(interrupted=interrupted)
        report["interrupted"] = interrupted
        self.config.hook.readiness_run_finished(config=self.config, report=report)
        self.report = report
        write_report(report, self.report_dir)
        summary_path = os.environ.get("GITHUB_STEP_SUMMARY")
        if summary_path:
            with open(summary_path, "a", encoding="utf-8") as fh:
                fh.write(markdown_summary(report))
        session.exitstatus = exit_status(report, session.exitstatus)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        report = self.report or self.build()
        terminalreporter.section("readiness gate")
        for line, markup in terminal_lines(report, self.report_dir):
            terminalreporter.write_line(line, **markup)
