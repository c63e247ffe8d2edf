"""Build this repository's wheel and install it in a fresh venv, as a user would."""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def install_wheel(tmp: Path) -> tuple[Path, Path]:
    """The wheel built from the repository, and a venv (seeing the system's packages for
    the dependencies) with only that wheel installed on top."""
    dist = tmp / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(ROOT)],
        check=True,
        cwd=tmp,
        capture_output=True,
    )
    wheel = next(dist.glob("readiness-*.whl"))
    env_dir = tmp / "venv"
    venv.create(env_dir, system_site_packages=True, with_pip=False)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--no-deps",
            "-q",
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    return wheel, env_dir
