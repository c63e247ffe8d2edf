"""The bundled demo environment: real servers on 127.0.0.1 with deliberate flaws.

Each family adds a module to this package defining ``start(workdir: Path) -> Component``
(and optionally ``ORDER: int``); :func:`start_all` starts them in order and
:func:`stop_all` stops them in reverse. Ports are fixed so ``profiles/demo.yaml`` can
name them.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType


@dataclass
class Component:
    name: str
    description: str
    stop: Callable[[], None]
    env: dict[str, str] = field(default_factory=dict)  # variables the demo profile reads


_INFRA = {"cli", "runner", "tls"}


def component_modules() -> list[ModuleType]:
    mods = [
        importlib.import_module(f"{__name__}.{m.name}")
        for m in pkgutil.iter_modules(__path__)
        if m.name not in _INFRA and not m.name.startswith("_")
    ]
    mods = [m for m in mods if hasattr(m, "start")]
    return sorted(mods, key=lambda m: (getattr(m, "ORDER", 50), m.__name__))


def start_all(workdir: Path, log: Callable[[str], None] = print) -> list[Component]:
    started: list[Component] = []
    try:
        for module in component_modules():
            component: Component = module.start(workdir)
            started.append(component)
            log(f"  started {component.name}: {component.description}")
    except BaseException:
        stop_all(started)
        raise
    return started


def stop_all(components: list[Component]) -> None:
    for component in reversed(components):
        try:
            component.stop()
        except Exception as exc:  # keep stopping the others, but say so
            print(f"  could not stop {component.name}: {exc}")
