"""Test wiring: each family's server fixtures live in tests/fixtures/<family>.py."""

import pytest

from readiness.sources.run import start_run

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
