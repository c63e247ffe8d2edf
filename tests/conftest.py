"""Test wiring: each family's server fixtures live in tests/fixtures/<family>.py."""

pytest_plugins = [
    "tests.fixtures.tls",
    "tests.fixtures.prometheus",
    "tests.fixtures.slo",
    "tests.fixtures.kubernetes",
    "tests.fixtures.supply_chain",
    "tests.fixtures.dora",
    "tests.fixtures.operations",
]
