"""pytest-html hooks: the page's title and summary carry the readiness report.

pytest-html counts pytest outcomes, which cannot say warned, waived or error the way the
gate does; so readiness checks leave its results table and the readiness fragment
(:mod:`readiness.report.page`) renders them in the readiness outcome model, in the same
self-contained page. Other pytest items (e.g. collection errors) stay in pytest-html's
table.
"""

from __future__ import annotations

from typing import Any

import pytest

from readiness.judging import result_of
from readiness.keys import PROFILE
from readiness.report.page import render_fragment

_HIDE_PYTEST_TABLE = "<style>#results-table{display:none}</style>"


class HtmlReportHooks:
    """Registered only when pytest-html writes a report in this process."""

    def __init__(self, config: pytest.Config):
        self.config = config
        self.other_rows = 0

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
        prefix.append(
            render_fragment(
                report,
                check_html=check_html,
                sections=[s for group in sections for s in group],
            )
        )
        if not self.other_rows:
            prefix.append(_HIDE_PYTEST_TABLE)

    def pytest_html_results_table_row(self, report: pytest.TestReport, cells: list[str]) -> None:
        if result_of(report) is not None:
            del cells[:]  # rendered by the readiness fragment, in its outcome model
        elif report.when in ("call", "collect") or report.outcome != "passed":
            self.other_rows += 1  # pytest-html shows it (it drops passed setup/teardown)
