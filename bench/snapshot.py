"""Evidence snapshots: the overhead of ``--snapshot`` over a plain gate run on the demo,
and the time of a replay, measured in the same session against the same running demo.

    python bench/snapshot.py [--repeat 3]

Starts the demo (``readiness demo up``; its fixed ports must be free), runs
``pytest --profile=demo`` plain and with ``--snapshot`` alternately, then replays the
last snapshot, and stops the demo. Each run is a separate pytest process with the same
options; the ratio is of the median wall times. Goal: snapshot/plain <= 1.2.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, timeout=900, check=False)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-snapshot-"))
    env = {**os.environ, "READINESS_DEMO_DIR": str(work / "demo")}
    demo = [sys.executable, "-m", "readiness.cli", "demo"]
    up = subprocess.run([*demo, "up"], cwd=work, env=env, capture_output=True, text=True)
    if up.returncode != 0:
        print(up.stdout + up.stderr, file=sys.stderr)
        return 1
    gate = [sys.executable, "-m", "pytest", "--profile=demo", "-q", "--tb=no"]
    gate += ["-p", "no:cacheprovider", "--report-dir", str(work / "reports")]
    snap = work / "demo-evidence.tar.gz"
    plain: list[float] = []
    recorded: list[float] = []
    try:
        timed(gate, work, env)  # warm-up: caches, imports, the demo's first answers
        for _ in range(args.repeat):
            plain.append(timed(gate, work, env))
            recorded.append(timed([*gate, f"--snapshot={snap}"], work, env))
        replay = timed([*gate, f"--replay={snap}"], work, env)
    finally:
        subprocess.run([*demo, "down"], cwd=work, env=env, capture_output=True)
    p, r = statistics.median(plain), statistics.median(recorded)
    print(f"plain gate run (median of {args.repeat}):  {p:6.2f} s")
    print(f"with --snapshot (median of {args.repeat}): {r:6.2f} s")
    print(f"replay of the snapshot, offline:       {replay:6.2f} s")
    print(f"snapshot size: {snap.stat().st_size / 1024:.0f} KiB")
    print(f"ratio snapshot/plain: {r / p:.2f}x (goal <= 1.2x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
