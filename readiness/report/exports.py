"""Exports next to the JSON report: SARIF, OSCAL assessment results, Heimdall (HDF)."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from readiness.errors import ReadinessError
from readiness.report.files import ReportSet

FILE_NAMES = {
    "sarif": "readiness-report.sarif",
    "oscal": "readiness-assessment-results.oscal.json",
    "hdf": "readiness-report.hdf.json",
}


def export_text(report: Mapping[str, Any], fmt: str, root: Path) -> str:
    if fmt == "sarif":
        from readiness.report.sarif import sarif_log

        return json.dumps(sarif_log(report, root), indent=2) + "\n"
    if fmt == "hdf":
        from readiness.report.hdf import hdf_document

        return json.dumps(hdf_document(report), indent=2) + "\n"
    if fmt == "oscal":
        if importlib.util.find_spec("trestle") is None:
            raise ReadinessError(
                "--export oscal needs compliance-trestle: pip install 'readiness[oscal]'"
            )
        from readiness.report.oscal import oscal_document

        return oscal_document(report) + "\n"
    raise ValueError(f"unknown export format {fmt!r}")


def write_exports(
    report: Mapping[str, Any], report_dir: Path, formats: Sequence[str], root: Path
) -> tuple[list[Path], list[str]]:
    """Write each format atomically; ``root`` is where relative file paths in findings start.

    Returns the files written and, for each export that could not be written, why (the
    run's other reports are already written and stay valid).
    """
    files, problems = {}, []
    for fmt in formats:
        try:
            files[FILE_NAMES[fmt]] = export_text(report, fmt, root).encode()
        except (ReadinessError, ValueError) as exc:
            problems.append(f"export {fmt} not written: {exc}")
    if not files:
        return [], problems
    try:
        return ReportSet(report_dir).publish(files), problems
    except OSError as exc:
        return [], [*problems, f"exports not written in {report_dir}: {exc}"]
