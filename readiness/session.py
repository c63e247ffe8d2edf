"""The controller-side run: gathers every check's result and writes the reports once."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import pytest

from readiness.gate import Outcome
from readiness.judging import result_of
from readiness.profile.model import Profile
from readiness.report.identity import RunIdentity, run_identity
from readiness.report.json_report import build_report, write_report
from readiness.report.summary import markdown_summary, terminal_lines
from readiness.results import CheckResult


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


class ReadinessSession:
    """Registered on the controller only (not on xdist workers)."""

    def __init__(self, config: pytest.Config, profile: Profile, report_dir: Path):
        self.config = config
        self.profile = profile
        self.report_dir = report_dir
        self.identity: RunIdentity = run_identity(os.environ, Path.cwd())
        self.started_at = utcnow()
        self.results: dict[str, CheckResult] = {}
        self.report: dict[str, Any] | None = None

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        result = result_of(report)
        if result is not None:
            self.results[result.nodeid] = result

    def build(self) -> dict[str, Any]:
        return build_report(
            self.profile,
            self.identity,
            list(self.results.values()),
            started_at=self.started_at,
            finished_at=utcnow(),
            today=dt.date.today(),
        )

    # First, so the HTML report (written in pytest-html's own sessionfinish) and the
    # terminal summary use this one finished report instead of building another.
    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        report = self.build()
        report["interrupted"] = exitstatus == pytest.ExitCode.INTERRUPTED
        if report["interrupted"]:  # a run that did not finish looking must not pass
            report["gate"]["passed"] = False
        self.config.hook.readiness_run_finished(config=self.config, report=report)
        self.report = report
        write_report(report, self.report_dir)
        summary_path = os.environ.get("GITHUB_STEP_SUMMARY")
        if summary_path:
            with open(summary_path, "a", encoding="utf-8") as fh:
                fh.write(markdown_summary(report))
        if not report["gate"]["passed"] and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        report = self.report or self.build()
        terminalreporter.section("readiness gate")
        for line, markup in terminal_lines(report, self.report_dir):
            terminalreporter.write_line(line, **markup)

    def counts(self) -> dict[str, int]:
        counts = {o.value: 0 for o in Outcome}
        for r in self.results.values():
            counts[r.outcome] += 1
        return counts
