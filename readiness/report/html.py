"""pytest-html hooks: the page's title and summary carry the readiness report.

pytest-html counts pytest outcomes, which cannot say warned, waived or error the way the
gate does; so readiness checks leave its results table and the readiness fragment
(:mod:`readiness.report.page`) renders them in the readiness outcome model, in the same
self-contained page. Other pytest items (e.g. collection errors) stay in pytest-html's
table.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from readiness.checking import MARKER
from readiness.judging import result_of
from readiness.keys import PROFILE
from readiness.report.page import fragment_pieces

_HIDE_PYTEST_TABLE = "<style>#results-table{display:none}</style>"
_CHUNK = 1 << 16  # characters joined before a piece is encoded and written


class HtmlReportHooks:
    """Registered only when pytest-html writes a report in this process.

    pytest-html writes its page with a marker where the readiness fragment goes; the
    fragment (tens of megabytes for an estate) is then written into the page piece by
    piece (:meth:`fill`), never held whole, nor copied by pytest-html's templates.
    """

    def __init__(self, config: pytest.Config):
        self.config = config
        self.other_rows = 0
        self.marker = f"<!--readiness-fragment-{uuid.uuid4().hex}-->"
        self.pending: Iterator[str] | None = None

    def pytest_html_report_title(self, report: Any) -> None:
        profile = self.config.stash.get(PROFILE, None)
        report.title = profile.report.title if profile else "Readiness report"

    def pytest_html_results_summary(
        self, prefix: list[str], summary: list[str], postfix: list[str], session: pytest.Session
    ) -> None:
        plugin = self.config.pluginmanager.get_plugin("readiness-session")
        if plugin is None:
            return
        report = plugin.report or plugin.build()
        sections = self.config.hook.readiness_html_sections(config=self.config, report=report)
        check_html = {nodeid: r.html for nodeid, r in plugin.results.items() if r.html}
        self.pending = fragment_pieces(
            report, check_html=check_html, sections=[s for group in sections for s in group]
        )
        prefix.append(self.marker)
        if not self.other_rows:
            prefix.append(_HIDE_PYTEST_TABLE)

    def fill(self, page: Path) -> None:
        """Write the readiness fragment into pytest-html's ``page`` at the marker."""
        pieces, self.pending = self.pending, None
        if pieces is None or not page.is_file():
            return
        head, tail = page.read_text(encoding="utf-8").split(self.marker, 1)
        partial = page.with_name(f".{page.name}.{os.getpid()}.tmp")
        try:
            with partial.open("wb") as fh:
                pending = [head]
                size = 0
                for piece in pieces:
                    pending.append(piece)
                    size += len(piece)
                    if size >= _CHUNK:
                        fh.write("".join(pending).encode("utf-8"))
                        pending.clear()
                        size = 0
                pending.append(tail)
                fh.write("".join(pending).encode("utf-8"))
            partial.chmod(page.stat().st_mode & 0o777)
            os.replace(partial, page)
        finally:
            partial.unlink(missing_ok=True)

    def pytest_html_results_table_row(self, report: pytest.TestReport, cells: list[str]) -> None:
        if result_of(report) is not None or (
            report.passed and report.when != "call" and MARKER in getattr(report, "keywords", {})
        ):
            # A readiness check is rendered by the readiness fragment, in its outcome
            # model; its passed setup and teardown are rows pytest-html drops anyway.
            del cells[:]
        elif report.when in ("call", "collect") or report.outcome != "passed":
            self.other_rows += 1  # pytest-html shows it (it drops passed setup/teardown)
