"""The pytest entry point: readiness's options in every run, the gate only on profile runs.

pytest loads this module in every run on a machine where readiness is installed. It
declares the options (:mod:`readiness.options`) and, when ``--profile`` is given, imports
and registers the gate (:mod:`readiness.gate_plugin`: profile, checks, reports) and its
DORA, attestation, verdict and snapshot plugins. A test suite that is not a gate pays for
the options alone, not for the profile schema, the report writers or the DORA store.
"""

from __future__ import annotations

import importlib
from importlib import resources
from pathlib import Path

import pytest

from readiness import hookspecs, options

#: Registered in this order on a profile run (the gate first: it loads the profile the
#: others read); each one's ``pytest_configure`` runs as it is registered.
GATE_PLUGINS = (
    ("readiness-gate", "readiness.gate_plugin"),
    ("readiness-dora", "readiness.dora.plugin"),
    ("readiness-attestations", "readiness.attestations"),
    ("readiness-verdict", "readiness.verdict.plugin"),
    ("readiness-snapshot", "readiness.snapshot.plugin"),
)


def checks_dir() -> Path:
    """The bundled checks (``readiness/checks``)."""
    return Path(str(resources.files("readiness.checks")))


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(hookspecs)


def pytest_addoption(parser: pytest.Parser) -> None:
    options.add(parser)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    if not config.getoption("profile"):
        return
    manager = config.pluginmanager
    for name, module in GATE_PLUGINS:
        if not manager.is_blocked(name) and manager.get_plugin(name) is None:
            manager.register(importlib.import_module(module), name)
