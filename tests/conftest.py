"""Test wiring: each family's server fixtures live in tests/fixtures/<family>.py."""

import importlib

import pytest

from readiness.plugin import GATE_PLUGINS
from readiness.sources.run import start_run

# The gate's plugins load only on profile runs, and pytester's in-process runs put
# sys.modules back after each run: imported once here, every in-process run shares one
# copy of them (a module imported anew would bring its own stash keys).
for _, _module in GATE_PLUGINS:
    importlib.import_module(_module)

pytest_plugins = [
    "tests.fixtures.tls",
    "tests.fixtures.prometheus",
    "tests.fixtures.slo",
    "tests.fixtures.kubernetes",
    "tests.fixtures.supply_chain",
    "tests.fixtures.dora",
    "tests.fixtures.operations",
    "tests.fixtures.faultzoo",
]


@pytest.fixture(autouse=True)
def _fresh_source_run() -> None:
    """Each test is its own run: no answers cached or targets given up from another."""
    start_run()
