"""What a run selected: the profile's checks, narrowed by the command line.

A gate verdict is only a release verdict when the run judged every check of the
profile. This module records what narrowed the run (``-k``, ``-m``, paths, node ids,
``--deselect``, ``--lf``, ``--control``/``--skip-control``/``--family``/
``--min-severity``) and the counts, so reports can say "partial run: N of M checks".
It also lets users select by what they know: control ids and families become
keywords (``-k HTTP-HSTS``) and marker arguments (``-m "readiness_control(id='X')"``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, Literal

import pytest

from readiness.checking import MARKER
from readiness.controls import Control, Severity, catalogue
from readiness.judging import control_of, effective_severity
from readiness.keys import PROFILE

SELECTION = pytest.StashKey["SelectionTracker"]()
WORKER_OUTPUT_KEY = "readiness_selection"

Mode = Literal["full", "partial"]


@dataclass(frozen=True, slots=True)
class ControlFilter:
    """The readiness selection options; empty means "every control of the profile"."""

    controls: tuple[str, ...] = ()
    skip_controls: tuple[str, ...] = ()
    families: tuple[str, ...] = ()
    min_severity: Severity | None = None

    @classmethod
    def from_config(cls, config: pytest.Config) -> ControlFilter:
        def patterns(name: str) -> tuple[str, ...]:
            return tuple(p.strip().upper() for p in config.getoption(name) or () if p.strip())

        level = config.getoption("min_severity")
        found = cls(
            controls=patterns("control"),
            skip_controls=patterns("skip_control"),
            families=tuple(f.strip().lower() for f in config.getoption("family") or ()),
            min_severity=Severity.parse(level) if level else None,
        )
        found.validate(list(catalogue().values()))
        return found

    def validate(self, known: Sequence[Control]) -> None:
        """A pattern that names no control (a typo) must not silently select nothing."""
        for option, pattern in [("--control", p) for p in self.controls] + [
            ("--skip-control", p) for p in self.skip_controls
        ]:
            if not any(fnmatchcase(c.id, pattern) for c in known):
                raise pytest.UsageError(
                    f"readiness: {option} {pattern}: no control matches; "
                    "`readiness controls` lists the catalogue"
                )
        families = sorted({c.family for c in known})
        for family in self.families:
            if family not in families:
                raise pytest.UsageError(
                    f"readiness: --family {family}: unknown family; known: {', '.join(families)}"
                )

    @property
    def narrows(self) -> bool:
        return bool(
            self.controls or self.skip_controls or self.families or self.min_severity is not None
        )

    def keeps(self, control_id: str, family: str, severity: Severity) -> bool:
        if self.controls and not any(fnmatchcase(control_id, p) for p in self.controls):
            return False
        if any(fnmatchcase(control_id, p) for p in self.skip_controls):
            return False
        if self.families and family not in self.families:
            return False
        return self.min_severity is None or severity >= self.min_severity

    def as_dict(self) -> dict[str, Any]:
        return {
            "controls": list(self.controls),
            "skip_controls": list(self.skip_controls),
            "families": list(self.families),
            "min_severity": self.min_severity.label if self.min_severity is not None else None,
        }


@dataclass(slots=True)
class Selection:
    """The JSON report's ``selection`` block."""

    keywords: str = ""
    markers: str = ""
    paths: list[str] = field(default_factory=list)
    narrowing_paths: list[str] = field(default_factory=list)
    deselect: list[str] = field(default_factory=list)
    last_failed: bool = False
    filters: ControlFilter = field(default_factory=ControlFilter)
    total: int | None = None
    selected: int | None = None
    deselected: int = 0

    @property
    def mode(self) -> Mode:
        narrowed = (
            self.keywords
            or self.markers
            or self.narrowing_paths
            or self.deselect
            or self.filters.narrows
            or self.deselected
        )
        return "partial" if narrowed else "full"

    def reasons(self) -> list[str]:
        """What narrowed the run, as a user would type it."""
        out = [f"-k {self.keywords!r}"] if self.keywords else []
        out += [f"-m {self.markers!r}"] if self.markers else []
        out += [f"path {p}" for p in self.narrowing_paths]
        out += [f"--deselect {d}" for d in self.deselect]
        out += ["--lf"] if self.last_failed and self.deselected else []
        f = self.filters
        out += [f"--control {c}" for c in f.controls]
        out += [f"--skip-control {c}" for c in f.skip_controls]
        out += [f"--family {x}" for x in f.families]
        out += [f"--min-severity {f.min_severity.label}"] if f.min_severity is not None else []
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "keywords": self.keywords,
            "markers": self.markers,
            "paths": self.paths,
            "deselect": self.deselect,
            "last_failed": self.last_failed,
            **self.filters.as_dict(),
            "reasons": self.reasons(),
            "selected": self.selected,
            "deselected": self.deselected,
            "total": self.total,
        }

    def merge_worker(self, data: dict[str, Any]) -> None:
        """Counts from an xdist worker (each worker collects the whole run)."""
        self.total = data.get("total")
        self.selected = data.get("selected")
        self.deselected = int(data.get("deselected") or 0)


def _narrowing_paths(config: pytest.Config, bundled: Path) -> tuple[list[str], list[str]]:
    """(paths shown, paths that narrow the profile's suite). A node id, or a file or
    folder inside the bundled checks, names part of the suite; a custom suite named by
    its own path is the suite."""
    if config.args_source != pytest.Config.ArgsSource.ARGS:
        return [], []
    shown: list[str] = []
    narrowing: list[str] = []
    for arg in config.args:
        path_part = arg.split("::", 1)[0]
        path = (config.invocation_params.dir / path_part).resolve()
        try:
            inside = path.relative_to(bundled.resolve())
        except ValueError:
            inside = None
        display = f"checks/{inside.as_posix()}" if inside is not None else arg
        if inside is not None and "::" in arg:
            display += "::" + arg.split("::", 1)[1]
        shown.append(display)
        if "::" in arg or (inside is not None and inside != Path(".")):
            narrowing.append(display)
    return shown, narrowing


class SelectionTracker:
    """Counts the profile's checks and what the command line kept of them."""

    def __init__(self, config: pytest.Config, bundled: Path):
        self.config = config
        self.filters = ControlFilter.from_config(config)
        shown, narrowing = _narrowing_paths(config, bundled)
        self.selection = Selection(
            keywords=config.getoption("keyword") or "",
            markers=config.getoption("markexpr") or "",
            paths=shown,
            narrowing_paths=narrowing,
            deselect=list(config.getoption("deselect") or []),
            last_failed=bool(getattr(config.option, "lf", False)),
            filters=self.filters,
        )
        self.collection_errors: list[str] = []

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(
        self, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        profile = config.stash[PROFILE]
        kept: list[pytest.Item] = []
        dropped: list[pytest.Item] = []
        total = 0
        for item in items:
            ctl = control_of(item)
            if ctl is None:
                kept.append(item)
                continue
            total += 1
            severity = effective_severity(profile, ctl)
            item.extra_keyword_matches.update((ctl.id, ctl.family))
            item.add_marker(
                getattr(pytest.mark, MARKER)(id=ctl.id, family=ctl.family, severity=severity.label)
            )
            (kept if self.filters.keeps(ctl.id, ctl.family, severity) else dropped).append(item)
        self.selection.total = total
        if dropped:
            items[:] = kept
            config.hook.pytest_deselected(items=dropped)

    def pytest_deselected(self, items: Sequence[pytest.Item]) -> None:
        self.selection.deselected += sum(1 for i in items if control_of(i) is not None)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.selection.selected = sum(1 for i in session.items if control_of(i) is not None)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            text = str(report.longrepr).strip().splitlines()
            last = text[-1] if text else "collection failed"
            self.collection_errors.append(f"collection error in {report.nodeid or '.'}: {last}")

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        workeroutput = getattr(session.config, "workeroutput", None)
        if workeroutput is not None:
            workeroutput[WORKER_OUTPUT_KEY] = self.selection.as_dict()

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        data = getattr(node, "workeroutput", {}).get(WORKER_OUTPUT_KEY)
        if data:
            self.selection.merge_worker(data)
