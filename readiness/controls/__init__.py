"""The control catalogue.

Each family declares its controls in its own module of this package as a module-level
``CONTROLS`` tuple; :func:`catalogue` gathers every module once.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Mapping
from functools import cache

from readiness.controls.model import SEVERITY_NAMES, Control, Severity
from readiness.errors import ControlError

__all__ = ["SEVERITY_NAMES", "Control", "Severity", "catalogue", "get_control"]


@cache
def catalogue() -> Mapping[str, Control]:
    controls: dict[str, Control] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name == "model":
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        for ctl in getattr(module, "CONTROLS", ()):
            if ctl.id in controls:
                raise ControlError(f"control {ctl.id} is declared twice")
            controls[ctl.id] = ctl
    return dict(sorted(controls.items()))


def get_control(control_id: str) -> Control:
    try:
        return catalogue()[control_id]
    except KeyError:
        raise ControlError(
            f"unknown control {control_id!r}; `readiness controls` lists the catalogue"
        ) from None
