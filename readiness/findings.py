"""Findings: what a rule found wrong, phrased for a human, and the one assertion helper."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pytest


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing wrong with one target: what was expected, what was found, how to fix it."""

    message: str
    expected: str = ""
    found: str = ""
    fix: str = ""

    def render(self) -> str:
        lines = [self.message]
        if self.expected:
            lines.append(f"  expected: {self.expected}")
        if self.found:
            lines.append(f"  found:    {self.found}")
        if self.fix:
            lines.append(f"  fix:      {self.fix}")
        return "\n".join(lines)

    def as_dict(self) -> dict[str, str]:
        return {
            "message": self.message,
            "expected": self.expected,
            "found": self.found,
            "fix": self.fix,
        }


def assert_no_findings(findings: Sequence[Finding]) -> None:
    """Fail the current check with every finding rendered, without a traceback."""
    __tracebackhide__ = True
    if findings:
        pytest.fail("\n".join(f.render() for f in findings), pytrace=False)
