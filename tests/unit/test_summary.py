"""The terminal and CI summaries: blocking first by severity, one line per cause."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from readiness.report.summary import blocking_causes, markdown_summary, terminal_lines


def check(
    control: str,
    target: str,
    message: str,
    severity: str = "high",
    outcome: str = "error",
    blocking: bool = True,
) -> dict[str, Any]:
    return {
        "control": control,
        "target": target,
        "message": message,
        "severity": severity,
        "outcome": outcome,
        "blocking": blocking,
    }


def report(checks: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "profile": "production",
        "gate": {"state": "failed", "passed": False, "reason": "x", "fail_on": "high"},
        "summary": {"passed": 0, "failed": 0, "warned": 0, "error": len(checks)},
        "checks": checks,
        "waivers": [],
    }


REFUSED = "could not run: {0}: cannot reach https://{0}.shop:443/healthz: connection refused"

CHECKS = [
    *(check(ctl, "checkout", REFUSED.format("checkout"), "critical") for ctl in ("A", "B", "C")),
    check("A", "grafana", REFUSED.format("grafana"), "high"),
    check(
        "B",
        "grafana",
        REFUSED.format("grafana").replace("could not run", "could not gather evidence"),
        "high",
    ),
    *(check("PROM", t, "prometheus: connection refused", "medium") for t in ("cart", "pay")),
    check("HTTP-HSTS", "shop", "no HSTS header", "critical", outcome="failed"),
    check("HTTP-HSTS", "legacy", "no HSTS", "medium", outcome="warned", blocking=False),
    check("HTTP-HSTS", "old", "no HSTS", "medium", outcome="warned", blocking=False),
    check("K8S-HPA", "cart", "no HPA", "low", outcome="warned", blocking=False),
]


def test_identical_causes_fold_and_the_worst_comes_first() -> None:
    causes = blocking_causes(report(CHECKS))
    assert [(c.severity.label, len(c.checks)) for c in causes] == [
        ("critical", 5),
        ("critical", 1),
        ("medium", 2),
    ]
    assert causes[0].line() == (
        "critical error: cannot reach …: connection refused: "
        "5 checks on checkout, grafana (A, B, C)"
    )
    assert causes[1].line() == "critical HTTP-HSTS [shop] no HSTS header"
    assert causes[2].line() == (
        "medium prometheus: connection refused: 2 checks on cart, pay (PROM)"
    )


def test_terminal_warnings_are_one_count_per_control() -> None:
    lines = [text for text, _ in terminal_lines(report(CHECKS), Path("reports"))]
    assert lines.index("blocking (8 checks, 3 causes):") < lines.index("not blocking:")
    assert "  warned HTTP-HSTS (medium): 2 checks" in lines
    assert "  warned K8S-HPA (low): 1 check" in lines
    assert sum("HSTS" in line for line in lines) == 2  # one blocking line, one count


def test_step_summary_lists_blocking_first() -> None:
    text = markdown_summary(report(CHECKS))
    blocking = text.index("### ❌ Blocking")
    assert blocking < text.index("### ⚠️ Not blocking") < text.index("### Outcomes")
    rows = [line for line in text[blocking:].splitlines() if line.startswith("| ")][1:4]
    assert [row.split(" | ")[0] for row in rows] == ["| critical", "| critical", "| medium"]
    cause = "| critical | error: cannot reach …: connection refused | 5 | checkout, grafana |"
    assert cause in text
