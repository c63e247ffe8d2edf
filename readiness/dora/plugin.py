"""pytest wiring of the DORA recorder: options, and the readiness report hooks.

Registered through its own ``pytest11`` entry point; it only acts when a profile is
loaded, and only on the controller (never on xdist workers).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from readiness import signals
from readiness.dora.chart import html_section
from readiness.dora.model import RECEIPT_NAME, DeploymentKind, DoraError, parse_time
from readiness.dora.recorder import (
    Pending,
    RecordOptions,
    commit_times,
    missing_deployment_fields,
    plan_record,
    record,
)
from readiness.dora.store import is_postgres
from readiness.keys import PROFILE, REPORT_DIR
from readiness.report.identity import git_commit

RESULT = pytest.StashKey[tuple[str, dict[str, Any]]]()
PENDING = pytest.StashKey[Pending]()
STORE_FILE = "dora.sqlite"


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("rollback") and config.getoption("hotfix"):
        raise pytest.UsageError("readiness: --rollback and --hotfix exclude each other")
    if config.getoption("record_deployment") and PROFILE in config.stash:
        _check_deployment_request(config)
    for name in ("commit_time",):
        value = config.getoption(name)
        if value:
            try:
                parse_time(value, "--commit-time")
            except DoraError as exc:
                raise pytest.UsageError(f"readiness: {exc}") from None


def _check_deployment_request(config: pytest.Config) -> None:
    """Refuse ``--record-deployment`` before any check runs when it could not be honoured:
    a partial run, or no version or commit to record."""
    tracker = config.pluginmanager.get_plugin("readiness-selection")
    if tracker is not None and tracker.selection.mode == "partial":
        raise pytest.UsageError(
            "readiness: --record-deployment refused: a partial run "
            f"({', '.join(tracker.selection.reasons())}) is not a release verdict; "
            "run the whole profile to record a deployment"
        )
    version = config.getoption("deployment_version") or config.stash[PROFILE].release.version
    commit = git_commit(os.environ, config.invocation_params.dir)
    missing = missing_deployment_fields(str(version or ""), commit)
    if missing:
        raise pytest.UsageError(f"readiness: --record-deployment refused: {missing}")


def _active(config: pytest.Config) -> bool:
    return PROFILE in config.stash and not hasattr(config, "workerinput")


def store_location(config: pytest.Config) -> str:
    profile = config.stash[PROFILE]
    given = str(config.getoption("dora_store") or profile.dora.store)
    if given and is_postgres(given):
        return given
    if given:
        return str(config.invocation_params.dir / Path(given).expanduser())
    report_dir = config.stash.get(REPORT_DIR, Path("reports"))
    return str(report_dir / STORE_FILE)


def _options(config: pytest.Config, commit: str) -> RecordOptions:
    kind = DeploymentKind.PLANNED
    if config.getoption("rollback"):
        kind = DeploymentKind.ROLLBACK
    elif config.getoption("hotfix"):
        kind = DeploymentKind.HOTFIX
    record = bool(config.getoption("record_deployment"))
    commit_time = first = None
    if record:
        commit_time, first = commit_times(
            commit,
            config.getoption("commit_time"),
            config.getoption("commit_range"),
            os.environ,
            config.invocation_params.dir,
        )
    return RecordOptions(
        record_deployment=record,
        kind=kind,
        version=config.getoption("deployment_version") or "",
        commit_time=commit_time,
        first_commit_time=first,
    )


def dora_result(config: pytest.Config, report: dict[str, Any]) -> dict[str, Any]:
    """The report's ``dora`` block, planned once (whichever report hook comes first):
    the history so far and what this run will record after its reports."""
    run_id = str(report["run"]["id"])
    cached = config.stash.get(RESULT, None)
    if cached is not None and cached[0] == run_id:
        return cached[1]
    location = store_location(config)
    if report.get("replay"):
        result = {"recorded": False, "record_error": "a replayed run changes no DORA history"}
        config.stash[RESULT] = (run_id, {**result, "metrics": None})
        return config.stash[RESULT][1]
    pending = None
    try:
        options = _options(config, str(report["run"].get("commit", "")))
    except DoraError as exc:
        result = {"recorded": False, "record_error": str(exc), "metrics": None}
    else:
        result, pending = plan_record(report, config.stash[PROFILE], options, location)
    if pending is not None:
        config.stash[PENDING] = pending
    config.stash[RESULT] = (run_id, result)
    return result


def pytest_sessionstart(session: pytest.Session) -> None:
    if _active(session.config):  # a previous run's receipt must not outlive this run
        report_dir = session.config.stash.get(REPORT_DIR, None)
        if report_dir is not None:
            (report_dir / RECEIPT_NAME).unlink(missing_ok=True)


# pytest only collects hook functions named pytest_*: `specname` binds them to the
# readiness hooks.
@pytest.hookimpl(optionalhook=True, trylast=True, specname="readiness_run_finished")
def pytest_dora_run_finished(config: pytest.Config, report: dict[str, Any]) -> None:
    if _active(config):
        report["dora"] = dora_result(config, report)


@pytest.hookimpl(optionalhook=True, trylast=True, specname="readiness_reports_written")
def pytest_dora_record(session: pytest.Session, report_dir: Path, report: dict[str, Any]) -> None:
    """The run's record, once its reports are written: a store that hangs or fails
    cannot cost the run its reports. The receipt goes beside them."""
    config = session.config
    pending = config.stash.get(PENDING, None)
    if not _active(config) or pending is None:
        return
    del config.stash[PENDING]
    planned = report["dora"]  # the block the reports carry: the plan and the history so far

    def not_recorded(reason: str) -> dict[str, Any]:
        return {**planned, "pending": False, "notes": pending.notes, "record_error": reason}

    stop = signals.received()
    if stop is not None:  # asked to stop while the reports were written: no new history
        receipt = not_recorded(f"{stop} received: not recorded")
    else:
        try:
            receipt = record(
                planned, pending, report, config.stash[PROFILE], store_location(config)
            )
        except KeyboardInterrupt as exc:  # SIGTERM, SIGHUP, Ctrl-C while the store was written
            receipt = not_recorded(
                f"interrupted ({exc or 'Ctrl-C'}): the store's transaction was rolled back"
            )
            session.exitstatus = pytest.ExitCode.INTERRUPTED
    run_id = str(report["run"]["id"])
    config.stash[RESULT] = (run_id, receipt)
    write_receipt(report_dir, run_id, receipt)
    summary_path = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary_path:
        from readiness.session import append_summary

        append_summary(
            Path(summary_path), "".join(f"{line}\n\n" for line, _ in summary_lines(receipt))
        )


def write_receipt(report_dir: Path, run_id: str, receipt: dict[str, Any]) -> None:
    """``dora-record.json``: what this run wrote to the DORA store (renamed into place)."""
    staged = report_dir / f".{RECEIPT_NAME}.tmp"
    try:
        staged.write_text(json.dumps({"run_id": run_id, **receipt}, indent=2, default=str) + "\n")
        os.replace(staged, report_dir / RECEIPT_NAME)
    except OSError:
        staged.unlink(missing_ok=True)  # the terminal still says what was recorded


@pytest.hookimpl(optionalhook=True, specname="readiness_html_sections")
def pytest_dora_html_sections(config: pytest.Config, report: dict[str, Any]) -> list[str]:
    if not _active(config):
        return []
    dora = report.get("dora") or dora_result(config, report)
    return [html_section(dora)]


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    cached = config.stash.get(RESULT, None)
    if not _active(config) or cached is None:
        return
    for line, markup in summary_lines(cached[1]):
        terminalreporter.write_line(line, **markup)


def summary_lines(result: dict[str, Any]) -> list[tuple[str, dict[str, bool]]]:
    store = result.get("store", "")
    if not result.get("recorded"):
        reason = result.get("record_error") or "recording is off"
        return [(f"DORA: run NOT recorded in {store}: {reason}", {"yellow": True})]
    written = result.get("written", {})
    parts = [f"DORA: run recorded in {store}"]
    if written.get("deployments"):
        parts.append(f"deployments {', '.join(written['deployments'])}")
    if written.get("incidents_opened"):
        parts.append(f"opened incidents {', '.join(written['incidents_opened'])}")
    if written.get("incidents_resolved"):
        parts.append(f"resolved incidents {', '.join(written['incidents_resolved'])}")
    lines: list[tuple[str, dict[str, bool]]] = [("; ".join(parts), {})]
    lines += [(f"DORA: {note}", {"yellow": True}) for note in result.get("notes", [])]
    metrics = result.get("metrics")
    if metrics:
        from readiness.dora.chart import level_text, metric_rows

        window = metrics["window"]["days"]
        cells = [
            f"{name.lower()} {value}" + ("" if n == 0 else f" ({level_text(n, level)})")
            for name, value, _d, n, level in metric_rows(metrics)
        ]
        lines.append((f"DORA {window:g}d: " + "; ".join(cells), {}))
    return lines
