"""The package installed from a wheel runs the bundled checks from any directory."""

from __future__ import annotations

import subprocess
import zipfile
from pathlib import Path

import pytest

from tests.wheel import install_wheel


@pytest.mark.integration
def test_wheel_ships_checks_and_profiles_and_runs_elsewhere(tmp_path: Path) -> None:
    wheel, env_dir = install_wheel(tmp_path)
    names = zipfile.ZipFile(wheel).namelist()
    assert "readiness/checks/test_http.py" in names
    assert "readiness/bundled_profiles/base.yaml" in names
    assert "readiness/bundled_profiles/demo.yaml" in names
    python = env_dir / "bin" / "python"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "mine.yaml").write_text("environment: elsewhere\n")
    done = subprocess.run(
        [str(python), "-m", "pytest", "--profile=mine.yaml", "-p", "no:cacheprovider", "-q"],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        check=False,
    )
    # The bundled suite ran to its verdict (a bare profile leaves checklist items unattested).
    assert done.returncode in (0, 1), done.stdout[-3000:] + done.stderr[-2000:]
    assert "readiness gate" in done.stdout
    where = subprocess.run(
        [str(python), "-c", "import readiness; print(readiness.__file__)"],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert str(env_dir) in where, where
    report = (elsewhere / "reports" / "readiness-report.json").read_text()
    assert '"profile": "mine"' in report
    assert "test_http.py::test_health" in report  # the bundled checks ran (no targets: skipped)
