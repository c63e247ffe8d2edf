"""Plugin overhead: 10,000 parametrized trivial checks under the readiness plugin vs the
same checks under bare pytest, measured in the same run. Prints the ratios.

    python bench/plugin_overhead.py [--checks 10000] [--repeat 3]

Three modes, each the best of --repeat runs in a fresh process:
  bare      plain pytest, readiness's plugins and pytest-html disabled;
  plugin    `pytest --profile=...`: controls, gate, JSON report, JUnit and the DORA
            gate-run record (no HTML);
  full      as `plugin` plus the self-contained HTML report.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

BARE = """
import pytest

@pytest.mark.parametrize("target", range({n}), ids=[f"t{{i}}" for i in range({n})])
def test_check(target):
    assert target >= 0
"""

PLUGIN = """
from readiness import control, parametrize

def pytest_generate_tests(metafunc):
    parametrize(metafunc, "target", [(f"t{{i}}", i) for i in range({n})])

@control("HTTP-HEALTH")
def test_check(target):
    assert target >= 0
"""


# Every plugin this package installs, and pytest-html, off: plain pytest.
BARE_FLAGS = [
    "-p",
    "no:readiness",
    "-p",
    "no:readiness-dora",
    "-p",
    "no:readiness-attestations",
    "-p",
    "no:html",
]


def timed(cmd: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stdout[-2000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--checks", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    py = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "bare").mkdir()
        (root / "bare" / "test_bare.py").write_text(textwrap.dedent(BARE.format(n=args.checks)))
        (root / "plug").mkdir()
        (root / "plug" / "test_plug.py").write_text(textwrap.dedent(PLUGIN.format(n=args.checks)))
        (root / "plug" / "bench.yaml").write_text("environment: bench\n")
        modes = {
            "bare": ([*py, *BARE_FLAGS, "test_bare.py"], root / "bare"),
            "plugin": (
                [*py, "--profile=bench.yaml", "-p", "no:html", "test_plug.py"],
                root / "plug",
            ),
            "full": ([*py, "--profile=bench.yaml", "test_plug.py"], root / "plug"),
        }
        best = {
            name: min(timed(cmd, cwd) for _ in range(args.repeat))
            for name, (cmd, cwd) in modes.items()
        }
    print(f"checks: {args.checks}, best of {args.repeat} runs each")
    for name, seconds in best.items():
        print(f"  {name:<7} {seconds:7.2f} s   ratio vs bare {seconds / best['bare']:.2f}x")


if __name__ == "__main__":
    main()
