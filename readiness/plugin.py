"""The pytest entry point: readiness's options in every run, the gate only on profile runs.

pytest loads this module in every run on a machine where readiness is installed. It
declares the options (:mod:`readiness.options`), the control marker and the ``profile``
and ``evidence`` fixtures checks ask for, and, when ``--profile`` is given, imports
and registers the gate (:mod:`readiness.gate_plugin`: profile, checks, reports) and its
DORA, attestation, verdict and snapshot plugins. A test suite that is not a gate pays for
the options alone, not for the profile schema, the report writers or the DORA store.
"""

from __future__ import annotations

import importlib
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from readiness import hookspecs, options
from readiness.checking import MARKER, Evidence
from readiness.keys import PROFILE

if TYPE_CHECKING:
    from readiness.profile.model import Profile

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
    config.addinivalue_line("markers", f"{MARKER}(id): the readiness control a check verifies")
    if not config.getoption("profile"):
        return
    manager = config.pluginmanager
    for name, module in GATE_PLUGINS:
        if not manager.is_blocked(name) and manager.get_plugin(name) is None:
            manager.register(importlib.import_module(module), name)


# A check module run without --profile still finds its marker and fixtures (its checks
# then skip for want of a profile, as the ``profile`` fixture says).


@pytest.fixture(scope="session")
def profile(pytestconfig: pytest.Config) -> Profile:
    """The loaded profile (``--profile``)."""
    loaded = pytestconfig.stash.get(PROFILE, None)
    if loaded is None:
        pytest.skip("no --profile given")
    return loaded


@pytest.fixture
def evidence() -> Evidence:
    """Record what the check looked at; it is kept in the reports (read from the item's
    fixture values when its result is built)."""
    return Evidence()
