"""pytest-html hooks: run identity, gate verdict and per-check control columns."""

from __future__ import annotations

import json
from html import escape
from typing import Any

import pytest

from readiness.judging import result_of
from readiness.keys import PROFILE
from readiness.results import CheckResult

_COLOURS = {
    "passed": "#1a7f37",
    "failed": "#cf222e",
    "warned": "#9a6700",
    "waived": "#0969da",
    "skipped": "#57606a",
    "error": "#8250df",
}

STYLE = """<style>
.readiness table.rd{border-collapse:collapse;margin:6px 0 14px}
.readiness table.rd td,.readiness table.rd th{border:1px solid #d0d7de;padding:3px 8px;
 text-align:left;vertical-align:top}
.readiness .verdict{font-size:1.3em;font-weight:bold;padding:6px 10px;display:inline-block;
 color:#fff;border-radius:4px}
.rd-outcome{font-weight:bold}
.rd-detail pre{white-space:pre-wrap;margin:4px 0}
</style>"""


def outcome_badge(outcome: str) -> str:
    colour = _COLOURS.get(outcome, "#000")
    return f'<span class="rd-outcome" style="color:{colour}">{escape(outcome)}</span>'


def _table(rows: list[tuple[str, str]]) -> str:
    body = "".join(f"<tr><th>{escape(k)}</th><td>{v}</td></tr>" for k, v in rows)
    return f'<table class="rd">{body}</table>'


def _matrix(title: str, breakdown: dict[str, dict[str, int]], outcomes: list[str]) -> str:
    head = "".join(f"<th>{escape(o)}</th>" for o in outcomes)
    rows = "".join(
        f"<tr><th>{escape(name)}</th>"
        + "".join(f"<td>{counts.get(o, 0) or ''}</td>" for o in outcomes)
        + "</tr>"
        for name, counts in breakdown.items()
    )
    return f'<h3>{escape(title)}</h3><table class="rd"><tr><th></th>{head}</tr>{rows}</table>'


def summary_html(report: dict[str, Any], extra_sections: list[str]) -> str:
    run = report["run"]
    gate = report["gate"]
    passed = gate["passed"]
    verdict = (
        f'<div class="verdict" style="background:{"#1a7f37" if passed else "#cf222e"}">'
        f"Gate {'PASSED: release may go out' if passed else 'FAILED: release blocked'}</div>"
    )
    identity = _table(
        [
            ("profile", escape(f"{report['profile']} ({report['profile_path']})")),
            ("profile sha256", f"<code>{escape(report['profile_sha256'])}</code>"),
            ("environment", escape(report["environment"])),
            ("release", escape(json.dumps(report["release"]))),
            ("run id", escape(run["id"])),
            ("commit", escape(run["commit"] or "unknown")),
            ("user@host", escape(f"{run['user']}@{run['host']}")),
            (
                "CI",
                escape(run["ci"] or "none (local run)")
                + (f' <a href="{escape(run["job_url"])}">job</a>' if run["job_url"] else ""),
            ),
            ("readiness version", escape(report["readiness_version"])),
            ("started / finished", escape(f"{report['started_at']} / {report['finished_at']}")),
            ("gate", escape(f"fail_on={gate['fail_on']}, errors_block={gate['errors_block']}")),
        ]
    )
    outcomes = list(report["summary"])
    counts = _table([(o, outcome_badge(o) + f" {n}") for o, n in report["summary"].items()])
    waivers = ""
    if report["waivers"]:
        rows = "".join(
            "<tr>"
            + "".join(
                f"<td>{escape(str(w[k]))}</td>"
                for k in ("control", "target", "approver", "expires", "reason")
            )
            + f"<td>{'expired' if w['expired'] else 'active'}"
            + (f"; stale: {escape(w['stale_reason'])}" if w["stale"] else "")
            + "</td></tr>"
            for w in report["waivers"]
        )
        waivers = (
            "<h3>Waivers</h3><table class='rd'><tr><th>control</th><th>target</th>"
            f"<th>approver</th><th>expires</th><th>reason</th><th>state</th></tr>{rows}</table>"
        )
    return (
        f'{STYLE}<div class="readiness">{verdict}<h3>Run</h3>{identity}'
        f"<h3>Outcomes</h3>{counts}"
        f"{_matrix('By family', report['by_family'], outcomes)}"
        f"{_matrix('By severity', report['by_severity'], outcomes)}"
        f"{waivers}{''.join(extra_sections)}</div>"
    )


def detail_html(check: CheckResult) -> str:
    parts = [
        f"<p><b>{escape(check.control)}</b>: {escape(check.title)} "
        f"({escape(check.family)}, severity {escape(check.severity)}) on "
        f"<b>{escape(check.target)}</b>: {outcome_badge(check.outcome)}</p>"
    ]
    if check.message:
        parts.append(f"<pre>{escape(check.message)}</pre>")
    if check.outcome in ("failed", "warned", "waived", "error"):
        parts.append(f"<p><b>How to fix:</b> {escape(check.remediation)}</p>")
    if check.evidence:
        parts.append(
            f"<details><summary>evidence</summary><pre>"
            f"{escape(json.dumps(check.evidence, indent=2, default=str))}</pre></details>"
        )
    parts.extend(check.html)
    return f'<div class="rd-detail">{"".join(parts)}</div>'


class HtmlReportHooks:
    """Registered only when pytest-html writes a report in this process."""

    def __init__(self, config: pytest.Config):
        self.config = config

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
        prefix.append(summary_html(report, [s for group in sections for s in group]))

    def pytest_html_results_table_header(self, cells: list[str]) -> None:
        cells.insert(1, "<th>Control</th>")
        cells.insert(2, "<th>Severity</th>")
        cells.insert(3, "<th>Target</th>")
        cells.insert(4, "<th>Readiness outcome</th>")

    def pytest_html_results_table_row(self, report: pytest.TestReport, cells: list[str]) -> None:
        check = result_of(report)
        values = [check.control, check.severity, check.target] if check else ["", "", ""]
        for i, value in enumerate(values, start=1):
            cells.insert(i, f"<td>{escape(value)}</td>")
        cells.insert(4, f"<td>{outcome_badge(check.outcome) if check else ''}</td>")


def html_extras(check: CheckResult) -> list[dict[str, Any]]:
    from pytest_html import extras

    return [extras.html(detail_html(check))]
