"""Start-up of a files-only gate: `pytest --profile=files.yaml -q` over the 8 manifests of
profiles/demo-k8s, and a rules-only gate over a Prometheus rule file, against
`pytest --version` and bare `pytest -q` on a one-test file (with and without readiness's
own plugins), measured in the same run.

    python bench/startup.py [--repeat 7] [--without PLUGIN ...]

Each command runs --repeat times in a fresh process, the commands interleaved round by
round; the median wall time and the median CPU time (user + system of the process and its
children) are printed with their ratios. Bytecode is cached as an installed package has
it (PYTHONDONTWRITEBYTECODE is dropped for the children and one warm-up round is not
counted). Every pytest plugin installed in the environment stays on, as a user has it;
``--without NAME`` turns one off (``-p no:NAME``) in every command, to see its share.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL = 0.6  # seconds of wall time for a files-only gate

MANIFESTS = "environment: files\ntargets:\n  manifests:\n    - {name: app, paths: [manifests]}\n"
RULES_PROFILE = "environment: rules\ntargets:\n  rule_files: [rules]\n"
RULES = """\
groups:
  - name: checkout
    rules:
      - alert: CheckoutErrors
        expr: sum(rate(http_requests_total{job="checkout",code=~"5.."}[5m])) > 1
        for: 10m
        labels: {severity: critical}
        annotations:
          summary: checkout answers 5xx
          description: "{{ $value }} errors per second"
      - alert: CheckoutDown
        expr: up{job="checkout"} == 0
        labels: {severity: page}
      - record: job:http_requests:rate5m
        expr: sum by (job) (rate(http_requests_total[5m]))
"""
TRIVIAL = "def test_one():\n    assert True\n"
# readiness's own pytest11 entry points, off: what an installed readiness adds to any run
READINESS_OFF = [
    flag
    for name in ("", "-dora", "-attestations", "-verdict", "-snapshot")
    for flag in ("-p", f"no:readiness{name}")
]


def workspace(base: Path, extra: list[str]) -> dict[str, tuple[list[str], Path]]:
    gate = base / "gate"
    shutil.copytree(ROOT / "profiles" / "demo-k8s", gate / "manifests")
    (gate / "files.yaml").write_text(MANIFESTS)
    (gate / "rules").mkdir()
    (gate / "rules" / "checkout.yaml").write_text(RULES)
    (gate / "rules.yaml").write_text(RULES_PROFILE)
    trivial = base / "trivial"
    trivial.mkdir()
    (trivial / "test_one.py").write_text(TRIVIAL)
    pytest = [sys.executable, "-m", "pytest", *extra]
    return {
        "pytest --version": ([sys.executable, "-m", "pytest", "--version"], trivial),
        "bare pytest -q (1 test)": ([*pytest, "-q"], trivial),
        "  same, readiness off": ([*pytest, "-q", *READINESS_OFF], trivial),
        "manifests-only gate": ([*pytest, "--profile=files.yaml", "-q"], gate),
        "rules-only gate": ([*pytest, "--profile=rules.yaml", "-q"], gate),
    }


def run_once(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):  # a gate with failing checks exits 1
        sys.exit(f"{' '.join(cmd)} exited {done.returncode}:\n{done.stdout[-2000:]}{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--without", action="append", default=[], metavar="PLUGIN")
    args = parser.parse_args()
    extra = [flag for name in args.without for flag in ("-p", f"no:{name}")]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    with tempfile.TemporaryDirectory(prefix="readiness-startup-") as tmp:
        commands = workspace(Path(tmp), extra)
        for cmd, cwd in commands.values():  # warm-up: bytecode caches written
            run_once(cmd, cwd, env)
        samples: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        for _ in range(args.repeat):
            for name, (cmd, cwd) in commands.items():
                samples[name].append(run_once(cmd, cwd, env))
    medians = {
        name: (statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs))
        for name, runs in samples.items()
    }
    version_wall, version_cpu = medians["pytest --version"]
    bare_wall, bare_cpu = medians["bare pytest -q (1 test)"]
    print(
        f"median of {args.repeat} fresh processes, load average {os.getloadavg()[0]:.2f}"
        + (f", without {', '.join(args.without)}" if args.without else "")
    )
    print(f"{'command':<26}{'wall s':>8}{'cpu s':>8}{'wall/version':>14}{'wall/bare':>11}")
    for name, (wall, cpu) in medians.items():
        print(
            f"{name:<26}{wall:8.3f}{cpu:8.3f}{wall / version_wall:13.2f}x{wall / bare_wall:10.2f}x"
        )
    off_wall, off_cpu = medians["  same, readiness off"]
    print(
        f"readiness's plugins add {bare_wall - off_wall:+.3f} s wall and "
        f"{bare_cpu - off_cpu:+.3f} s CPU to a pytest run without --profile"
    )
    for name in ("manifests-only gate", "rules-only gate"):
        wall, cpu = medians[name]
        print(
            f"{name}: {wall:.3f} s wall ({'meets' if wall <= GOAL else 'misses'} the "
            f"{GOAL} s goal), {wall - bare_wall:+.3f} s wall and {cpu - bare_cpu:+.3f} s CPU "
            f"over bare pytest, {cpu - version_cpu:+.3f} s CPU over pytest --version"
        )


if __name__ == "__main__":
    main()
