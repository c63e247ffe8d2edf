"""The gate on a profile run: profile, markers and report wiring (registered by
:mod:`readiness.plugin` when ``--profile`` is given). The work lives elsewhere."""

from __future__ import annotations

import os
from collections.abc import Generator
from pathlib import Path

import pytest

from readiness import clock, heap, scale, selection, signals
from readiness.errors import ProfileError
from readiness.families import apply_families
from readiness.gate_deadline import GateDeadline
from readiness.grouping import member_results
from readiness.judging import (
    apply_to_report,
    build_result,
    control_of,
    result_of,
    short_error_report,
)
from readiness.keys import PROFILE, REDACTOR, REPORT_DIR
from readiness.plugin import checks_dir
from readiness.profile import load_profile
from readiness.profile.model import Profile
from readiness.redact import Redactor
from readiness.report.outputs import ReportExtras, parse_exports
from readiness.session import (
    ReadinessSession,
    ReportOutputs,
    quiet_short_summary,
    utcnow,
    write_error_reports,
)
from readiness.sources.run import Limits, start_run


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    name = config.getoption("profile")  # given: readiness.plugin registers this only then
    started_at = utcnow()
    try:
        profile = load_profile(name, cwd=config.invocation_params.dir)
    except ProfileError as exc:
        if not hasattr(config, "workerinput"):
            report_dir = config.invocation_params.dir / (
                config.getoption("report_dir") or "reports"
            )
            write_error_reports(report_dir, str(name), f"broken profile: {exc}", started_at)
        raise pytest.UsageError(f"readiness: broken profile: {exc}") from None
    fail_on = config.getoption("fail_on")
    if fail_on:
        profile = _with_fail_on(profile, fail_on)
    config.stash[PROFILE] = profile
    config.pluginmanager.register(RunConfig(config), "readiness-config")
    start_run(Limits(profile.limits.deadline, profile.limits.max_body_bytes()))
    config.add_cleanup(signals.install())  # SIGTERM/SIGHUP/SIGPIPE end the run like Ctrl-C
    if profile.gate.deadline:
        config.pluginmanager.register(GateDeadline(profile.gate.deadline), "readiness-deadline")
    if config.option.tbstyle == "auto":  # a check's error is its message, not a traceback
        config.option.tbstyle = "line"  # (and long ones cost seconds per errored check)
    config.stash[REDACTOR] = Redactor(profile.secrets)
    report_dir = config.invocation_params.dir / (
        config.getoption("report_dir") or profile.report.dir
    )
    problem = unusable_dir(report_dir)
    if problem:
        raise pytest.UsageError(f"readiness: the report directory {problem}; give --report-dir")
    config.stash[REPORT_DIR] = report_dir
    config.pluginmanager.register(scale.ScalePlugin(config), "readiness-scale")
    heap.install(config)
    if config.args_source != pytest.Config.ArgsSource.ARGS:
        config.args = [str(checks_dir())]
    tracker = selection.SelectionTracker(config, checks_dir())
    config.pluginmanager.register(tracker, "readiness-selection")
    if hasattr(config, "workerinput"):  # xdist worker: the controller writes the reports
        return
    outputs = ReportOutputs.prepare(config, report_dir)
    quiet_short_summary(config)
    config.pluginmanager.register(
        ReadinessSession(config, profile, outputs, tracker), "readiness-session"
    )
    compare_to = config.getoption("compare_to")
    config.pluginmanager.register(
        ReportExtras(
            report_dir,
            config.invocation_params.dir / compare_to if compare_to else None,
            parse_exports([*profile.report.exports, *config.getoption("export")]),
            config.invocation_params.dir,
        ),
        "readiness-report-extras",
    )
    if config.pluginmanager.hasplugin("html"):
        from readiness.report.html import HtmlReportHooks

        config.pluginmanager.register(HtmlReportHooks(config), "readiness-html")


def unusable_dir(path: Path) -> str:
    """Why reports cannot be written to ``path`` (created if missing), or ""."""
    if path.exists() and not path.is_dir():
        return f"{path} is a file, not a directory"
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return f"{path} cannot be created: {exc.strerror or exc}"
    if not os.access(path, os.W_OK | os.X_OK):
        return f"{path} is not writable"
    return ""


def _with_fail_on(profile: Profile, fail_on: str) -> Profile:
    updated = profile.model_copy(
        update={"gate": profile.gate.model_copy(update={"fail_on": fail_on})}
    )
    for attr in ("_name", "_path", "_sha256", "_secrets"):
        setattr(updated, attr, getattr(profile, attr))
    return updated


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    if PROFILE in session.config.stash:
        heap.collected()  # the items and the targets they hold live until the end


def pytest_runtestloop(session: pytest.Session) -> None:
    """After the collection phase (a ``tryfirst`` implementation), before the checks."""
    if PROFILE in session.config.stash:
        heap.settle()  # every source's evidence lives until the end


#: Checks run between two heap checkpoints (a grouped check makes up to a few hundred rows).
CHECKPOINT_EVERY = 256
_CHECKS_RUN = pytest.StashKey[int]()


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item) -> None:
    config = item.config
    if PROFILE not in config.stash:
        return
    done = config.stash.get(_CHECKS_RUN, 0) + 1
    config.stash[_CHECKS_RUN] = done
    if done % CHECKPOINT_EVERY == 0:
        heap.checkpoint()


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    if PROFILE in session.config.stash:
        heap.settle()  # every result lives until the reports are written


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    if PROFILE in config.stash:  # pytest's own final collections (repeated to surface
        heap.checkpoint()  # unraisable exceptions) then walk only what they free


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    profile = config.stash.get(PROFILE, None)
    if profile is None:
        return
    apply_families(config, items)
    for item in items:
        ctl = control_of(item)
        if ctl is None:
            continue
        setting = profile.controls.get(ctl.id)
        if setting is not None and not setting.enabled:
            item.add_marker(
                pytest.mark.skip(
                    reason=f"control {ctl.id} disabled by the profile: {setting.reason}"
                )
            )


class RunConfig:
    """``pytestconfig`` for profile runs, the same config without asking for ``request``:
    pytest builds a fixture definition (signature inspection included) each time a
    session fixture that asks for ``request`` is looked up again, and every check's
    session fixtures look ``pytestconfig`` up again, several times per check."""

    def __init__(self, config: pytest.Config):
        self._config = config

    @pytest.fixture(scope="session")
    def pytestconfig(self) -> pytest.Config:
        return self._config


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> pytest.TestReport | None:
    if PROFILE not in item.config.stash:
        return None
    return short_error_report(item, call)


@pytest.hookimpl(wrapper=True, specname="pytest_runtest_makereport")
def pytest_readiness_result_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    profile = item.config.stash.get(PROFILE, None)
    if profile is None:
        return report
    redactor = item.config.stash[REDACTOR]
    if member_results(item, report, call, profile, clock.today(), redactor):
        return report
    built = build_result(item, report, call, profile, clock.today(), redactor)
    if built is None:
        return report
    check, verdict = built
    apply_to_report(report, check, verdict)
    report.sections = [(title, redactor.text(text)) for title, text in report.sections]
    return report


def pytest_report_teststatus(
    report: pytest.TestReport, config: pytest.Config
) -> tuple[str, str, tuple[str, dict[str, bool]]] | None:
    check = result_of(report)
    if check is None:
        return None
    if check.outcome == "warned":
        return "warned", "W", ("WARNED", {"yellow": True})
    if check.outcome == "waived":
        return "waived", "V", ("WAIVED", {"cyan": True})
    if check.outcome == "error" and report.when == "call":
        return "error", "E", ("ERROR", {"red": True})
    return None
