"""Families that do not run are not imported: a manifests-only gate loads no client library
and no HTTP library."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

PROFILES = Path(__file__).parent.parent.parent / "profiles"
HEAVY = ("kubernetes", "sigstore", "cyclonedx", "docker", "psycopg", "spdx_tools", "boto3")
HTTP = ("requests", "urllib3")  # nothing is read over HTTP
RUN = """
import json, sys, pytest
code = pytest.main(["--profile=files.yaml", "-q", "-p", "no:cacheprovider", "--tb=no"])
heavy = sorted({m.split(".")[0] for m in sys.modules} & set(sys.argv[1:]))
print("LOADED=" + json.dumps(heavy))
"""


def test_a_manifests_only_gate_loads_no_client_library(tmp_path: Path) -> None:
    shutil.copytree(PROFILES / "demo-k8s", tmp_path / "manifests")
    (tmp_path / "files.yaml").write_text(
        "environment: files\n"
        "targets:\n  manifests:\n    - {name: app, paths: [manifests], namespace: web}\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", RUN, *HEAVY, *HTTP],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    loaded = json.loads(done.stdout.rsplit("LOADED=", 1)[1])
    assert loaded == [], done.stdout[-2000:]
    report = json.loads((tmp_path / "reports" / "readiness-report.json").read_text())
    by_family: dict[str, set[str]] = {}
    for check in report["checks"]:
        by_family.setdefault(check["family"], set()).add(check["outcome"])
    # the kubernetes family judged the manifests; the others keep one skipped row per check
    assert {"passed", "failed"} <= by_family["kubernetes"]
    for family in ("http", "supply_chain", "alerting", "slo", "operations"):
        assert by_family[family] == {"skipped"}, family
    http = [c for c in report["checks"] if c["family"] == "http"]
    assert len(http) >= 10
    assert all(c["message"].startswith("http: no services in targets") for c in http)


def _loaded_after(code: str, prefixes: tuple[str, ...]) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys\nprint('LOADED=' + ' '.join(sys.modules))"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    loaded = done.stdout.rsplit("LOADED=", 1)[1].split()
    return sorted(m for m in loaded if m.startswith(prefixes))


def test_importing_one_module_of_the_package_builds_no_profile_schema() -> None:
    code = (
        "import readiness.safeload, readiness.checking, readiness.keys, readiness.rules.kubernetes"
    )
    assert _loaded_after(code, ("pydantic", "readiness.profile")) == []


def test_the_package_names_still_load_on_first_use() -> None:
    code = (
        "import readiness\n"
        "from readiness import Profile, control, load_profile, clock\n"
        "assert readiness.Profile is Profile and callable(load_profile) and callable(control)\n"
        "assert readiness.clock.__name__ == 'readiness.clock'"
    )
    assert "readiness.profile.model" in _loaded_after(code, ("readiness.profile",))
