"""The control model: a stable id, a family, a severity, why it matters, how to fix it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class Severity(IntEnum):
    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @classmethod
    def parse(cls, name: str) -> Severity:
        try:
            return cls[name.upper()]
        except KeyError:
            raise ValueError(
                f"unknown severity {name!r}; expected one of {', '.join(SEVERITY_NAMES)}"
            ) from None

    @property
    def label(self) -> str:
        return self.name.lower()


SEVERITY_NAMES: tuple[str, ...] = tuple(s.label for s in sorted(Severity, reverse=True))


@dataclass(frozen=True, slots=True)
class Control:
    id: str
    title: str
    family: str
    severity: Severity
    rationale: str
    remediation: str
    references: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "title": self.title,
            "family": self.family,
            "severity": self.severity.label,
            "rationale": self.rationale,
            "remediation": self.remediation,
            "references": list(self.references),
        }
