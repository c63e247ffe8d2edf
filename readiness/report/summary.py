"""Short summaries of a report: for the terminal and for a CI job summary (Markdown).

A release manager reads the verdict, then what blocks, worst first, with checks that
failed for one cause folded into one line ("connection refused: 12 checks on checkout,
grafana"), then what merely warns, one count per control.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from readiness.controls import Severity
from readiness.report.files import JSON_NAME

_ICON = {
    "passed": "✅",
    "failed": "❌",
    "warned": "⚠️",
    "waived": "📝",
    "skipped": "⏭️",
    "error": "💥",
}
MAX_TARGETS = 6  # targets named on a folded line before "+N more"

Markup = dict[str, bool]


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


def _severity(name: str) -> Severity:
    try:
        return Severity.parse(name)
    except (KeyError, ValueError):
        return Severity.INFO


# How an errored check's message starts (readiness.judging): one cause whether a source
# failed while gathering evidence (setup) or while the check ran.
_ERROR_PREFIXES = ("could not gather evidence: ", "could not run: ")
_URL = re.compile(r"https?://\S+?(?=:\s|\s|$)")


def _first_line(check: dict[str, Any]) -> str:
    return (str(check.get("message") or "").splitlines() or ["(no message)"])[0]


def _cause(check: dict[str, Any]) -> str:
    """What went wrong, without what it went wrong on: the check's own target and URLs
    are left out, so one refused connection on two hosts is one cause."""
    text = _first_line(check)
    error = False
    for prefix in _ERROR_PREFIXES:
        if text.startswith(prefix):
            text, error = text.removeprefix(prefix), True
    text = text.removeprefix(f"{check['target']}: ")
    text = _URL.sub("…", text)
    return f"error: {text}" if error else text


@dataclass(frozen=True, slots=True)
class Cause:
    """Blocking checks that failed for one reason (the first line of their message)."""

    text: str
    severity: Severity
    outcome: str
    checks: tuple[dict[str, Any], ...]

    @property
    def targets(self) -> list[str]:
        return list(dict.fromkeys(str(c["target"]) for c in self.checks))

    @property
    def controls(self) -> list[str]:
        return list(dict.fromkeys(str(c["control"]) for c in self.checks))

    def line(self) -> str:
        if len(self.checks) == 1:
            c = self.checks[0]
            return f"{self.severity.label} {c['control']} [{c['target']}] {_first_line(c)}"
        targets = self.targets
        shown = ", ".join(targets[:MAX_TARGETS])
        if len(targets) > MAX_TARGETS:
            shown += f" +{len(targets) - MAX_TARGETS} more"
        return (
            f"{self.severity.label} {self.text}: {len(self.checks)} checks on {shown} "
            f"({', '.join(self.controls)})"
        )


def blocking_causes(report: dict[str, Any]) -> list[Cause]:
    """Blocking checks folded by cause, worst severity first, then the most checks."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for check in report["checks"]:
        if check.get("blocking"):
            groups.setdefault((check["outcome"], _cause(check)), []).append(check)
    causes = [
        Cause(text, max(_severity(c["severity"]) for c in checks), outcome, tuple(checks))
        for (outcome, text), checks in groups.items()
    ]
    causes.sort(key=lambda c: (-c.severity, -len(c.checks), c.text))
    return causes


def non_blocking_counts(report: dict[str, Any]) -> list[tuple[str, str, str, int]]:
    """(outcome, control, severity, count) of warned checks and errors that do not block,
    one row per control, worst severity first."""
    counts: dict[tuple[str, str, str], int] = {}
    for check in report["checks"]:
        if check["outcome"] in ("warned", "error") and not check.get("blocking"):
            key = (check["outcome"], check["control"], check["severity"])
            counts[key] = counts.get(key, 0) + 1
    rows = [(o, ctl, sev, n) for (o, ctl, sev), n in counts.items()]
    rows.sort(key=lambda r: (r[0] != "error", -_severity(r[2]), r[1]))
    return rows


def terminal_lines(report: dict[str, Any], report_dir: Path) -> list[tuple[str, Markup]]:
    gate = report["gate"]
    state = gate.get("state") or ("passed" if gate["passed"] else "failed")
    colour = {"passed": "green", "partial": "yellow"}.get(state, "red")
    lines: list[tuple[str, Markup]] = [
        (verdict_text(report), {colour: True, "bold": True}),
        (counts_text(report), {}),
    ]
    causes = blocking_causes(report)
    if causes:
        total = sum(len(c.checks) for c in causes)
        lines.append((f"blocking ({total} checks, {len(causes)} causes):", {"red": True}))
        lines += [(f"  {c.line()}", {"red": True}) for c in causes]
    rows = non_blocking_counts(report)
    if rows:
        lines.append(("not blocking:", {"yellow": True}))
        lines += [
            (f"  {outcome} {ctl} ({sev}): {n} check{'s' if n > 1 else ''}", {"yellow": True})
            for outcome, ctl, sev, n in rows
        ]
    for waiver in report["waivers"]:
        if waiver["stale"]:
            lines.append(
                (
                    f"  stale waiver: {waiver['control']} [{waiver['target']}]: "
                    f"{waiver['stale_reason']}",
                    {"yellow": True},
                )
            )
    for source in report.get("run", {}).get("tls_unverified", []):
        lines.append((f"  TLS verification OFF: {source}", {"yellow": True}))
    lines.append((f"reports: {report_dir / JSON_NAME} (+ .html, junit.xml)", {}))
    return lines


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _markdown_table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    return [
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
        *("| " + " | ".join(_cell(c) for c in row) + " |" for row in rows),
    ]


def markdown_summary(report: dict[str, Any]) -> str:
    """The CI job summary (GitHub ``$GITHUB_STEP_SUMMARY``): verdict, then what blocks
    (worst first, folded by cause), then what does not, then the counts."""
    out = [f"## Readiness: {_cell(verdict_text(report))}", ""]
    causes = blocking_causes(report)
    if causes:
        out += ["### ❌ Blocking", ""]
        out += _markdown_table(
            ("severity", "cause", "checks", "targets", "controls"),
            [
                (
                    c.severity.label,
                    c.text,
                    str(len(c.checks)),
                    ", ".join(c.targets),
                    ", ".join(c.controls),
                )
                for c in causes
            ],
        )
        out.append("")
    rows = non_blocking_counts(report)
    if rows:
        out += ["### ⚠️ Not blocking", ""]
        out += _markdown_table(
            ("outcome", "control", "severity", "checks"),
            [(f"{_ICON[o]} {o}", ctl, sev, str(n)) for o, ctl, sev, n in rows],
        )
        out.append("")
    out += ["### Outcomes", ""]
    out += _markdown_table(
        ("outcome", "count"), [(f"{_ICON[k]} {k}", str(n)) for k, n in report["summary"].items()]
    )
    return "\n".join(out) + "\n\n"
