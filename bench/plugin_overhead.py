"""Plugin overhead: 10,000 parametrized trivial checks under the readiness plugin vs the
same checks under bare pytest, measured in the same run. Prints the ratios.

    python bench/plugin_overhead.py [--checks 10000] [--repeat 3]

Three modes, each the best of --repeat runs in a fresh process, as wall time and as the
process's CPU time (user + system, from ``wait4``: robust to other load on the machine):
  bare      plain pytest, readiness's plugins and pytest-html disabled;
  plugin    `pytest --profile=...`: controls, gate, JSON report, JUnit and the DORA
            gate-run record (no HTML);
  full      as `plugin` plus the self-contained HTML report.
"""

from __future__ import annotations

import argparse
import os
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


def timed(cmd: list[str], cwd: Path) -> tuple[float, float]:
    """Wall and CPU seconds (user + system) of one run of ``cmd``."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    output = proc.stdout.read() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.exit(f"{' '.join(cmd)} failed ({code}):\n{output[-2000:]}")
    return elapsed, usage.ru_utime + usage.ru_stime


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
        runs = {
            name: [timed(cmd, cwd) for _ in range(args.repeat)]
            for name, (cmd, cwd) in modes.items()
        }
    wall = {name: min(w for w, _ in done) for name, done in runs.items()}
    cpu = {name: min(c for _, c in done) for name, done in runs.items()}
    print(f"checks: {args.checks}, best of {args.repeat} runs each")
    for name in runs:
        print(
            f"  {name:<7} wall {wall[name]:7.2f} s  ratio vs bare {wall[name] / wall['bare']:.2f}x"
            f"   cpu {cpu[name]:7.2f} s  ratio vs bare {cpu[name] / cpu['bare']:.2f}x"
        )


if __name__ == "__main__":
    main()
