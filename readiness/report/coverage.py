"""Per-framework coverage of a run: which requirements its checks evidence, fail or miss."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from readiness.controls import Control, catalogue
from readiness.controls.frameworks import FRAMEWORKS, PRACTICE, requirements_of

EVIDENCED = "evidenced"
FAILED = "failed"
NOT_COVERED = "not covered"
_FAILING = frozenset({"failed", "warned", "waived", "error"})


@dataclass(frozen=True, slots=True)
class RequirementCoverage:
    id: str
    title: str
    state: str  # EVIDENCED, FAILED or NOT_COVERED
    controls: tuple[str, ...]
    counts: Mapping[str, int]  # outcome -> checks of those controls in this run


@dataclass(frozen=True, slots=True)
class FrameworkCoverage:
    key: str
    name: str
    url: str
    requirements: tuple[RequirementCoverage, ...] = field(default=())

    def count(self, state: str) -> int:
        return sum(1 for r in self.requirements if r.state == state)


def frameworks_of(control: Control) -> list[str]:
    return sorted({r.framework for r in requirements_of(control) if r.framework != PRACTICE})


def _state(counts: Mapping[str, int]) -> str:
    if any(counts.get(o) for o in _FAILING):
        return FAILED
    return EVIDENCED if counts.get("passed") else NOT_COVERED


def framework_coverage(
    checks: Iterable[Mapping[str, Any]], controls: Mapping[str, Control] | None = None
) -> list[FrameworkCoverage]:
    """For every framework: each requirement it lists, and what this run's checks showed.

    A requirement is *failed* when any check of a control mapped to it failed, warned,
    was waived or could not run; *evidenced* when such checks passed and none of those
    happened; *not covered* when no control maps to it or all its checks were skipped.
    """
    controls = catalogue() if controls is None else controls
    outcomes: dict[str, dict[str, int]] = {}
    for check in checks:
        per = outcomes.setdefault(str(check["control"]), {})
        per[str(check["outcome"])] = per.get(str(check["outcome"]), 0) + 1
    mapped: dict[tuple[str, str], list[str]] = {}
    for ctl in controls.values():
        for req in requirements_of(ctl):
            mapped.setdefault((req.framework, req.id), []).append(ctl.id)
    out = []
    for fw in FRAMEWORKS.values():
        reqs = []
        for rid, title in fw.requirements.items():
            ids = tuple(mapped.get((fw.key, rid), ()))
            counts: dict[str, int] = {}
            for cid in ids:
                for outcome, n in outcomes.get(cid, {}).items():
                    counts[outcome] = counts.get(outcome, 0) + n
            reqs.append(RequirementCoverage(rid, title, _state(counts), ids, counts))
        out.append(FrameworkCoverage(fw.key, fw.name, fw.url, tuple(reqs)))
    return out


def coverage_dict(coverage: Sequence[FrameworkCoverage]) -> dict[str, Any]:
    """The JSON form, for the report and the exports."""
    return {
        fw.key: {
            "name": fw.name,
            "evidenced": fw.count(EVIDENCED),
            "failed": fw.count(FAILED),
            "not_covered": fw.count(NOT_COVERED),
            "requirements": [
                {"id": r.id, "title": r.title, "state": r.state, "controls": list(r.controls)}
                for r in fw.requirements
            ],
        }
        for fw in coverage
    }
