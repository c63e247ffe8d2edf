"""Short summaries of a report: for the terminal and for a CI job summary (Markdown)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from readiness.report.files import JSON_NAME

_ICON = {
    "passed": "✅",
    "failed": "❌",
    "warned": "⚠️",
    "waived": "📝",
    "skipped": "⏭️",
    "error": "💥",
}


def verdict_text(report: dict[str, Any]) -> str:
    """'gate FAILED: 2 blocking findings (fail_on=high, profile=production)'."""
    gate = report["gate"]
    state = str(gate.get("state") or ("passed" if gate["passed"] else "failed")).upper()
    return (
        f"gate {state}: {gate.get('reason', '')} "
        f"(fail_on={gate['fail_on']}, profile={report['profile']})"
    )


def counts_text(report: dict[str, Any]) -> str:
    return ", ".join(f"{n} {k}" for k, n in report["summary"].items())


def terminal_lines(report: dict[str, Any], report_dir: Path) -> list[tuple[str, dict[str, bool]]]:
    passed = report["gate"]["passed"]
    partial = report["gate"].get("state") == "partial"
    lines: list[tuple[str, dict[str, bool]]] = [
        (
            verdict_text(report),
            {"green": passed, "yellow": partial, "red": not (passed or partial), "bold": True},
        ),
        (counts_text(report), {}),
    ]
    for check in report["checks"]:
        if check["outcome"] in ("failed", "error") and check["blocking"]:
            first = check["message"].splitlines()[0] if check["message"] else ""
            lines.append(
                (f"  blocking: {check['control']} [{check['target']}] {first}", {"red": True})
            )
    for waiver in report["waivers"]:
        if waiver["stale"]:
            lines.append(
                (
                    f"  stale waiver: {waiver['control']} [{waiver['target']}]: "
                    f"{waiver['stale_reason']}",
                    {"yellow": True},
                )
            )
    lines.append((f"reports: {report_dir / JSON_NAME} (+ .html, junit.xml)", {}))
    return lines


def markdown_summary(report: dict[str, Any]) -> str:
    out = [f"## Readiness: {verdict_text(report)}", "", "| outcome | count |", "|---|---|"]
    out += [f"| {_ICON[k]} {k} | {n} |" for k, n in report["summary"].items()]
    problems = [c for c in report["checks"] if c["outcome"] in ("failed", "error", "warned")]
    if problems:
        out += ["", "| outcome | control | severity | target | message |", "|---|---|---|---|---|"]
        for c in problems:
            msg = (c["message"].splitlines() or [""])[0].replace("|", "\\|")
            out.append(
                f"| {_ICON[c['outcome']]} {c['outcome']} | {c['control']} | {c['severity']} "
                f"| {c['target']} | {msg} |"
            )
    return "\n".join(out) + "\n\n"
