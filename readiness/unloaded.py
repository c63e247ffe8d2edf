"""Check modules of families that do not run are not imported.

A family without targets (or turned off) is skipped as a whole (:mod:`readiness.families`),
but importing its check module would still load its libraries: the Kubernetes client,
sigstore, cyclonedx, spdx-tools, docker, psycopg - a second or more before the first check.
Such a module is read as text instead: its ``test_*`` functions and their ``@control``
ids become items that are skipped with the family's reason, so the report keeps one
skipped row per check, as if the module had been imported.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator
from pathlib import Path

import pytest

from readiness.checking import MARKER
from readiness.controls import get_control


def controls_of(path: Path) -> list[tuple[str, str, int]]:
    """(test function, control id, line) for each ``@control("ID")`` check in the module."""
    stat = path.stat()
    return list(_parsed_controls(path, stat.st_mtime_ns, stat.st_size))


@functools.cache
def _parsed_controls(path: Path, mtime_ns: int, size: int) -> tuple[tuple[str, str, int], ...]:
    """Parsed once per process and version of the file (asked by module and by item)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found = []
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef) or not node.name.startswith("test_"):
            continue
        for deco in node.decorator_list:
            if (
                isinstance(deco, ast.Call)
                and isinstance(deco.func, ast.Name)
                and deco.func.id == "control"
                and deco.args
                and isinstance(deco.args[0], ast.Constant)
                and isinstance(deco.args[0].value, str)
            ):
                found.append((node.name, deco.args[0].value, node.lineno - 1))
    return tuple(found)


def families_of(path: Path) -> set[str]:
    return {get_control(cid).family for _, cid, _ in controls_of(path)}


class UnloadedModule(pytest.File):
    """A bundled check module of a family that does not run, not imported."""

    def collect(self) -> Iterator[pytest.Item]:
        for name, control_id, line in controls_of(self.path):
            item = UnloadedCheck.from_parent(self, name=f"{name}[-]")
            item.line = line
            item.add_marker(getattr(pytest.mark, MARKER)(control_id))
            yield item


class UnloadedCheck(pytest.Item):
    """Skipped by the family's reason before it runs (see readiness.families)."""

    line = 0

    def runtest(self) -> None:
        pytest.skip("the check's family does not run in this profile")

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, self.line, self.name
