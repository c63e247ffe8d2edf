"""HTTP endpoint checks."""

import pytest

from readiness import Evidence, Finding, assert_no_findings, control, parametrize
from readiness.checking import profile_of
from readiness.profile.http import Service


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    profile = profile_of(metafunc.config)
    parametrize(metafunc, "service", ((s.name, s) for s in profile.targets.services))


@control("HTTP-HEALTH")
def test_health(service: Service, evidence: Evidence) -> None:
    evidence.add(url=service.url)
    assert_no_findings([Finding("no", expected="x", found="y")] if "bad" in service.name else [])
