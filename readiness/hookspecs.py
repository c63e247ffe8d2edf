"""Hooks readiness publishes for other plugins (e.g. the DORA recorder).

pytest only discovers implementations named ``pytest_*`` by their name; implement these
with an explicit ``@pytest.hookimpl`` (optionally ``specname="readiness_run_finished"``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


@pytest.hookspec
def readiness_run_finished(config: pytest.Config, report: dict[str, Any]) -> None:
    """The run is over and ``report`` (the JSON contract) is complete but not yet written.

    Listeners may add their own fields (e.g. ``report["dora"]``); the report is written
    after every listener has run.
    """


@pytest.hookspec
def readiness_html_sections(config: pytest.Config, report: dict[str, Any]) -> list[str]:
    """HTML fragments to append to the report's summary (e.g. charts). Each listener
    returns a list of trusted, already-escaped fragments."""
    return []


@pytest.hookspec
def readiness_reports_written(
    session: pytest.Session, report_dir: Path, report: dict[str, Any]
) -> None:
    """The run's report set is published in ``report_dir`` (e.g. sign the JSON report).
    A listener may set ``session.exitstatus``."""
