"""One check's result as it travels from the test process to the reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PROPERTY = "readiness"  # the user_properties key carrying a result (survives xdist)


@dataclass(slots=True)
class CheckResult:
    id: str  # control[target]: stable across directories and machines
    nodeid: str
    control: str
    title: str
    family: str
    severity: str
    target: str
    outcome: str
    blocking: bool
    message: str
    remediation: str
    evidence: dict[str, Any] = field(default_factory=dict)
    waiver: dict[str, Any] | None = None
    duration: float = 0.0
    html: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        # Shallow on purpose: called once per check, and every field is already plain data.
        return {name: getattr(self, name) for name in self.__dataclass_fields__}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CheckResult:
        return cls(**data)

    def contract(self) -> dict[str, Any]:
        """The JSON report's per-check fields (see DESIGN.md)."""
        return {
            "id": self.id,
            "nodeid": self.nodeid,
            "control": self.control,
            "title": self.title,
            "family": self.family,
            "severity": self.severity,
            "target": self.target,
            "outcome": self.outcome,
            "blocking": self.blocking,
            "message": self.message,
            "remediation": self.remediation,
            "evidence": self.evidence,
            "waiver": self.waiver,
            "duration": round(self.duration, 4),
        }
