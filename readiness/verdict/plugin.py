"""``--attest``: sign the verdict once the run's reports are written (controller only)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from readiness.keys import PROFILE, REPORT_DIR
from readiness.report.files import JSON_NAME
from readiness.verdict.statement import BUNDLE_NAME, DSSE_NAME, STATEMENT_NAME, VerdictError


def _requested(config: pytest.Config) -> bool:
    return bool(
        config.getoption("attest")
        or config.getoption("attest_key")
        or config.getoption("attest_push")
    )


def pytest_sessionstart(session: pytest.Session) -> None:
    """A verdict attestation belongs to one report: the previous run's goes with it."""
    config = session.config
    if hasattr(config, "workerinput") or config.stash.get(PROFILE, None) is None:
        return
    for name in (DSSE_NAME, BUNDLE_NAME, STATEMENT_NAME):
        (config.stash[REPORT_DIR] / name).unlink(missing_ok=True)


# Once the report set is published (pytest only collects hook functions named pytest_*:
# `specname` binds this one to the readiness hook).
@pytest.hookimpl(optionalhook=True, specname="readiness_reports_written")
def pytest_verdict_reports_written(
    session: pytest.Session, report_dir: Path, report: dict[str, Any]
) -> None:
    config = session.config
    if not _requested(config):
        return
    from readiness.verdict.cli import attest

    report_path = report_dir / JSON_NAME
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    try:
        path = attest(report_path, config.getoption("attest_key"), None, None, os.environ)
        message = f"readiness: verdict attestation written to {path}"
        for image in config.getoption("attest_push") or []:
            from readiness.verdict.oci import profile_endpoint, push_verdict

            registries = config.stash[PROFILE].targets.registries
            digest = push_verdict(image, path, endpoint=profile_endpoint(image, registries))
            message += f"\nreadiness: verdict attached to {image} as {digest}"
    except VerdictError as exc:
        message = f"readiness: verdict NOT attested: {exc}"
        if session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
    if reporter is not None:
        reporter.write_line(message)
