"""Which bundled check functions verify which control, read from the check modules'
source (nothing is imported or run), so `readiness controls` can name them: what
``-k`` and node ids select besides control ids and family names."""

from __future__ import annotations

import ast
from functools import cache
from importlib import resources
from pathlib import Path

from readiness.checking import MARKER


def _control_id(decorator: ast.expr) -> str | None:
    """The id of ``@control("X")`` or ``@pytest.mark.readiness_control("X")``."""
    if not isinstance(decorator, ast.Call) or not decorator.args:
        return None
    func = decorator.func
    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
    first = decorator.args[0]
    if name in ("control", MARKER) and isinstance(first, ast.Constant):
        return str(first.value)
    return None


def check_functions(folder: Path | None = None) -> dict[str, list[str]]:
    """Control id -> ``test_http.py::test_hsts`` style names of the check functions."""
    return dict(_index(folder or Path(str(resources.files("readiness.checks")))))


@cache
def _index(folder: Path) -> tuple[tuple[str, list[str]], ...]:
    found: dict[str, list[str]] = {}
    for path in sorted(folder.glob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef) or not node.name.startswith("test"):
                continue
            for decorator in node.decorator_list:
                control_id = _control_id(decorator)
                if control_id:
                    found.setdefault(control_id, []).append(f"{path.name}::{node.name}")
    return tuple(sorted(found.items()))
