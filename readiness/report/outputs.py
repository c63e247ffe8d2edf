"""Controller-side report outputs beyond the JSON contract: the link to the previous run,
what changed since then, the archive that forms the hash chain, and the exports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from readiness.report import history
from readiness.report.files import JSON_NAME

EXPORT_FORMATS = ("sarif", "oscal", "hdf")


def parse_exports(values: list[str]) -> list[str]:
    """``sarif,hdf`` style lists (repeatable) to an ordered list of known formats."""
    out: list[str] = []
    for value in values:
        for name in (v.strip().lower() for v in value.split(",")):
            if not name:
                continue
            if name not in EXPORT_FORMATS:
                raise pytest.UsageError(
                    f"--export: unknown format {name!r}; choose from {', '.join(EXPORT_FORMATS)}"
                )
            if name not in out:
                out.append(name)
    return out


class ReportExtras:
    """Registered next to the readiness session, on the controller only."""

    def __init__(
        self, report_dir: Path, compare_to: Path | None, exports: list[str], root: Path
    ) -> None:
        self.report_dir = report_dir
        self.root = root
        self.compare_to = compare_to
        self.exports = exports
        self.report: dict[str, Any] | None = None
        self.written: list[Path] = []
        self.problems: list[str] = []
        # Like the report set: an export of the previous run must not outlive this run.
        from readiness.report.exports import FILE_NAMES

        for name in FILE_NAMES.values():
            (report_dir / name).unlink(missing_ok=True)

    # pytest only collects hook methods named pytest_*: `specname` binds it to the readiness hook.
    @pytest.hookimpl(specname="readiness_run_finished")
    def pytest_report_link_previous(self, config: pytest.Config, report: dict[str, Any]) -> None:
        try:
            history.link_and_compare(report, self.report_dir, self.compare_to)
        except history.HistoryError as exc:
            report.setdefault("previous", None)
            report["changes"] = None
            self.problems.append(f"no comparison with the previous run: {exc}")
        self.report = report

    @pytest.hookimpl(specname="readiness_reports_written")
    def pytest_report_archive(
        self, session: pytest.Session, report_dir: Path, report: dict[str, Any]
    ) -> None:
        path = report_dir / JSON_NAME
        if self.report is None or not path.is_file():
            return
        try:
            history.archive(path, self.report)
        except OSError as exc:
            self.problems.append(f"report not archived in {history.HISTORY_DIR}/: {exc}")
        if self.exports:
            from readiness.report.exports import write_exports

            self.written, problems = write_exports(
                self.report, self.report_dir, self.exports, self.root
            )
            self.problems += problems

    @pytest.hookimpl(trylast=True)  # after the readiness gate section
    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.report is None:
            return
        for line, markup in history.terminal_lines(self.report):
            terminalreporter.write_line(line, **markup)
        for problem in self.problems:
            terminalreporter.write_line(problem, yellow=True)
        for path in self.written:
            terminalreporter.write_line(f"export: {path}")
