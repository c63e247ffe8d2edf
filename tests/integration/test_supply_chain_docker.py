"""SC-CONTAINER-RUNTIME against a real dockerd through the docker SDK."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from readiness.errors import SourceError
from readiness.profile.supply_chain import DockerDaemon
from readiness.sources.docker_daemon import running_containers
from tests.fixtures.supply_chain import DockerWorld

pytestmark = pytest.mark.integration


def test_running_containers_are_inspected(sc_dockerd: DockerWorld) -> None:
    found = {c.name: c for c in running_containers(DockerDaemon(url=sc_dockerd.url))}
    assert set(found) == {"box-good", "box-root"}
    assert found["box-good"].user == "10001" and found["box-good"].memory == 64 * 2**20
    assert found["box-root"].user == "0" and found["box-root"].memory == 0
    assert not found["box-root"].privileged


def test_unreachable_daemon_is_a_source_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="cannot read containers"):
        running_containers(DockerDaemon(url=f"unix://{tmp_path}/none.sock", timeout=2))


def test_container_checks_end_to_end(sc_dockerd: DockerWorld, pytester: pytest.Pytester) -> None:
    pytester.makefile(
        ".yaml",
        sc=f"extends: none\nenvironment: test\ntargets:\n  docker:\n    url: {sc_dockerd.url}\n",
    )
    result = pytester.runpytest_subprocess(
        "--profile=sc.yaml", "-p", "no:cacheprovider", "-k", "container_runtime"
    )
    report = json.loads((pytester.path / "reports" / "readiness-report.json").read_text())
    checks = {c["target"]: c for c in report["checks"] if c["control"] == "SC-CONTAINER-RUNTIME"}
    assert checks["box-good"]["outcome"] == "passed"
    root = checks["box-root"]
    assert root["outcome"] == "failed"
    assert "container box-root runs as root" in root["message"]
    assert "container box-root has no memory limit" in root["message"]
    assert root["evidence"]["image"].endswith("/shop/box:1.0")
    assert result.ret == 1
