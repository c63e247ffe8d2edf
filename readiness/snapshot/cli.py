"""``readiness replay SNAPSHOT``: judge a recorded run's evidence again, offline."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path
from typing import Any

from readiness.snapshot.archive import SnapshotError, load


def cmd_replay(args: argparse.Namespace) -> int:
    path = Path(args.snapshot)
    try:
        meta = load(path).meta
    except SnapshotError as exc:
        print(f"readiness replay: {exc}", file=sys.stderr)
        return 4
    profile = args.profile or str(meta.get("profile") or "")
    if not profile:
        print("readiness replay: the snapshot names no profile: give --profile", file=sys.stderr)
        return 4
    print(
        f"readiness replay: {path} (evidence of {meta.get('evidence_time')}, recorded with "
        f"profile {meta.get('profile')!r}) judged with profile {profile!r}",
        flush=True,
    )
    cmd = [sys.executable, "-m", "pytest", f"--profile={profile}", f"--replay={path}"]
    return subprocess.call([*cmd, *args.pytest_args])


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "replay",
        help="judge a snapshot's evidence again with no network (as of its time)",
        description="Runs `pytest --profile=P --replay=SNAPSHOT`: every read is answered "
        "from the snapshot. The same profile gives the recorded verdict; another profile "
        "re-judges the same evidence.",
    )
    p.add_argument("snapshot", help="a readiness-snapshot.tar.gz written by --snapshot")
    p.add_argument("--profile", help="judge with this profile (default: the recorded one)")
    p.add_argument("pytest_args", nargs=argparse.REMAINDER, help="extra pytest arguments")
    p.set_defaults(func=cmd_replay)
