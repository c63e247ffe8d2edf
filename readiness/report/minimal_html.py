"""A minimal, self-contained HTML page for a run that could not produce pytest-html's
report (a broken profile stops pytest before any hook of pytest-html runs)."""

from __future__ import annotations

from html import escape
from typing import Any


def minimal_html(report: dict[str, Any]) -> bytes:
    gate = report["gate"]
    run = report.get("run") or {}
    rows = [
        ("gate", str(gate.get("state", "")).upper()),
        ("reason", str(gate.get("reason") or "")),
        ("profile", str(report.get("profile") or "")),
        ("run id", str(run.get("id") or "")),
        ("commit", str(run.get("commit") or "unknown")),
        ("started / finished", f"{report.get('started_at')} / {report.get('finished_at')}"),
    ]
    body = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in rows)
    page = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        "<title>Readiness report: gate error</title>"
        "<style>body{font-family:sans-serif;margin:2em}th{text-align:left;padding-right:1em}"
        ".verdict{background:#8250df;color:#fff;padding:6px 10px;display:inline-block;"
        "border-radius:4px;font-weight:bold}</style></head><body>"
        '<h1>Readiness report</h1><div class="verdict">Gate ERROR: no verdict, release '
        f"blocked</div><table>{body}</table></body></html>\n"
    )
    return page.encode()
