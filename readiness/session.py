"""The controller-side run: gathers every check's result and writes the reports once."""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Generator, Iterable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from readiness import clock, signals
from readiness.families import skipped_family_lines
from readiness.gate import GateState, Outcome
from readiness.judging import results_of
from readiness.profile.model import Profile
from readiness.report.files import HTML_NAME, JUNIT_NAME, ReportSet
from readiness.report.identity import RunIdentity, run_identity
from readiness.report.json_report import (
    build_report,
    error_report,
    report_files,
    report_stream,
)
from readiness.report.junit import junit_chunks, junit_xml
from readiness.report.minimal_html import minimal_html
from readiness.report.summary import markdown_summary, terminal_lines
from readiness.results import CheckResult
from readiness.selection import Selection, SelectionTracker
from readiness.tls_off import tls_unverified


def append_summary(path: Path, text: str) -> None:
    """Add to the CI job summary; a summary that cannot be written is said, not fatal."""
    try:
        with path.open("a", encoding="utf-8") as fh:
            fh.write(text)
    except OSError as exc:
        print(
            f"readiness: cannot write the job summary to {path} (GITHUB_STEP_SUMMARY): "
            f"{exc.strerror or exc}; the reports are written",
            file=sys.stderr,
        )


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


@dataclass(slots=True)
class ReportOutputs:
    """Where this run's reports go: the report set (JSON, digest, HTML page, JUnit) in the
    report directory, and an explicit ``--junitxml``/``--html`` path outside it."""

    report_set: ReportSet
    html_staged: bool = False
    junit_path: Path | None = None

    @classmethod
    def prepare(cls, config: pytest.Config, report_dir: Path) -> ReportOutputs:
        """Remove the previous run's reports and route pytest-html and JUnit here. Called
        on the controller before pytest-html reads its options."""
        outputs = cls(ReportSet(report_dir))
        outputs.report_set.clear_previous()
        if config.pluginmanager.hasplugin("html") and not getattr(config.option, "htmlpath", None):
            config.option.htmlpath = str(outputs.report_set.staging / HTML_NAME)
            config.option.self_contained_html = True
            outputs.html_staged = True
        given = getattr(config.option, "xmlpath", None)
        if given:  # our JUnit replaces pytest's (control ids, error counts, properties)
            outputs.junit_path = config.invocation_params.dir / given
            config.option.xmlpath = None
        return outputs

    def publish(self, config: pytest.Config, report: dict[str, Any]) -> None:
        """Write each report from ``report`` in pieces, straight into its file."""
        html = config.pluginmanager.get_plugin("readiness-html")
        page = _html_page(config) if html is not None else None
        if html is not None and page is not None:
            html.fill(page)  # pytest-html's page (staged, or at --html) gets its fragment
        files: dict[str, Iterable[bytes]] = {}
        if self.junit_path is None:
            files[JUNIT_NAME] = junit_chunks(report)
        files.update(report_stream(report))
        self.report_set.publish(files, staged=(HTML_NAME,) if self.html_staged else ())
        if self.junit_path is not None:
            ReportSet(self.junit_path.parent).publish({self.junit_path.name: junit_chunks(report)})
        if self.html_staged:
            _rename_html_page(config, self.report_set.report_dir / HTML_NAME)

    def publish_error(self, report: dict[str, Any]) -> None:
        """A run that stopped before pytest-html could write: a minimal page instead."""
        files = {**report_files(report), HTML_NAME: minimal_html(report)}
        files[JUNIT_NAME] = junit_xml(report)
        self.report_set.publish(files)


def _html_page(config: pytest.Config) -> Path | None:
    """Where pytest-html wrote its page in this run."""
    from pytest_html.basereport import BaseReport

    for plugin in config.pluginmanager.get_plugins():
        if isinstance(plugin, BaseReport):
            return Path(plugin._report_path)
    return None


def _rename_html_page(config: pytest.Config, final: Path) -> None:
    """pytest-html names its page in its terminal summary: make it name the final one."""
    from pytest_html.basereport import BaseReport

    for plugin in config.pluginmanager.get_plugins():
        if isinstance(plugin, BaseReport):
            plugin._report_path = final


def write_error_reports(
    report_dir: Path, profile_name: str, reason: str, started_at: dt.datetime
) -> None:
    """The full report set of a run that could not start (e.g. a broken profile)."""
    report_set = ReportSet(report_dir)
    report_set.clear_previous()
    report = error_report(
        profile_name,
        run_identity(os.environ, Path.cwd()),
        reason,
        started_at=started_at,
        finished_at=utcnow(),
    )
    ReportOutputs(report_set).publish_error(report)


def quiet_short_summary(config: pytest.Config) -> None:
    """The gate's own summary folds what pytest's short summary would repeat line by line:
    keep pytest's off for profile runs unless ``-r`` asks for it."""
    given = [*config.invocation_params.args, *os.environ.get("PYTEST_ADDOPTS", "").split()]
    given += [str(a) for a in config.getini("addopts")]
    if any(str(a).startswith("-r") for a in given):
        return
    config.option.reportchars = "N"


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
        outputs: ReportOutputs,
        tracker: SelectionTracker,
    ):
        self.config = config
        self.profile = profile
        self.outputs = outputs
        self.report_dir = outputs.report_set.report_dir
        self.tracker = tracker
        self.identity: RunIdentity = run_identity(os.environ, Path.cwd())
        self.started_at = utcnow()
        self.results: dict[str, CheckResult] = {}
        self.report: dict[str, Any] | None = None

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        for result in results_of(report):
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
        elif (
            self.results
            and not errors
            and all(r.outcome == Outcome.SKIPPED for r in self.results.values())
        ):
            errors.append(
                f"all {len(self.results)} selected checks were skipped: nothing was judged, "
                "so nothing passed (configure targets for the families you want judged)"
            )
        return build_report(
            self.profile,
            self.identity,
            list(self.results.values()),
            started_at=self.started_at,
            finished_at=utcnow(),
            today=clock.today(),
            selection=selection.as_dict(),
            errors=errors,
        )

    # A wrapper: its first half runs before every plain sessionfinish (pytest-html builds
    # its page from this one finished report), its second half after them (the page is
    # in the staging folder): then the whole set is published at once.
    @pytest.hookimpl(wrapper=True, trylast=True)
    def pytest_sessionfinish(
        self, session: pytest.Session, exitstatus: int
    ) -> Generator[None, None, None]:
        # From here until the whole set is written, a signal waits for it (and the run
        # then exits 2): every check was judged, the reports say what they found.
        with ExitStack() as shield:
            shield.enter_context(signals.shielded())
            interrupted = exitstatus == pytest.ExitCode.INTERRUPTED and not (
                self.tracker.collection_errors
            )
            report = self.build(interrupted=interrupted)
            report["interrupted"] = interrupted
            report["run"]["tls_unverified"] = tls_unverified(self.profile)
            self.config.hook.readiness_run_finished(config=self.config, report=report)
            self.report = report
            session.exitstatus = exit_status(report, session.exitstatus)
            try:
                return (yield)
            finally:
                self.outputs.publish(self.config, report)
                summary_path = os.environ.get("GITHUB_STEP_SUMMARY")
                if summary_path:
                    append_summary(Path(summary_path), markdown_summary(report))
                shield.close()  # written: a signal may end what follows (the DORA record)
                if signals.received():
                    session.exitstatus = pytest.ExitCode.INTERRUPTED
                self.config.hook.readiness_reports_written(
                    session=session, report_dir=self.report_dir, report=report
                )

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        report = self.report or self.build()
        if self.config.pluginmanager.has_plugin("dsession"):  # the xdist controller
            for line in skipped_family_lines(self.profile, report["checks"]):
                terminalreporter.write_line(line)
        terminalreporter.section("readiness gate")
        for line, markup in terminal_lines(report, self.report_dir):
            terminalreporter.write_line(line, **markup)
