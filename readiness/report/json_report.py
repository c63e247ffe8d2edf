"""The JSON report: the stable contract of DESIGN.md, written atomically with its sha256."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import tempfile
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from readiness.gate import OUTCOMES, Outcome, gate_passed, stale_waivers
from readiness.profile.model import Profile
from readiness.redact import Redactor
from readiness.report.identity import RunIdentity
from readiness.results import CheckResult

SCHEMA = "readiness.report/v1"
JSON_NAME = "readiness-report.json"


def readiness_version() -> str:
    try:
        return version("readiness")
    except PackageNotFoundError:
        return "unknown"


def _iso(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def build_report(
    profile: Profile,
    identity: RunIdentity,
    results: Sequence[CheckResult],
    *,
    started_at: dt.datetime,
    finished_at: dt.datetime,
    today: dt.date,
) -> dict[str, Any]:
    ordered = sorted(results, key=lambda r: r.nodeid)
    summary = {o: 0 for o in OUTCOMES}
    for r in ordered:
        summary[r.outcome] += 1
    passed = gate_passed((Outcome(r.outcome), r.blocking) for r in ordered)
    stale = stale_waivers(
        profile.waivers, ((r.control, r.target, Outcome(r.outcome)) for r in ordered)
    )
    report: dict[str, Any] = {
        "schema": SCHEMA,
        "readiness_version": readiness_version(),
        "profile": profile.name,
        "profile_path": profile.path,
        "profile_sha256": profile.sha256,
        "environment": profile.environment,
        "release": profile.release.model_dump(mode="json"),
        "started_at": _iso(started_at),
        "finished_at": _iso(finished_at),
        "run": identity.as_dict(),
        "gate": {
            "fail_on": profile.gate.fail_on,
            "errors_block": profile.gate.errors_block,
            "passed": passed,
            "blocking": [r.nodeid for r in ordered if r.blocking],
        },
        "summary": summary,
        "by_family": _breakdown(ordered, "family"),
        "by_severity": _breakdown(ordered, "severity"),
        "checks": [r.contract() for r in ordered],
        "waivers": [
            {
                **w.model_dump(mode="json"),
                "expired": w.expires < today,
                "stale": any(s.waiver is w for s in stale),
                "stale_reason": next((s.reason for s in stale if s.waiver is w), None),
            }
            for w in profile.waivers
        ],
        "controls_overridden": {
            cid: setting.model_dump(mode="json") for cid, setting in profile.controls.items()
        },
        "dora": None,
    }
    return Redactor(profile.secrets).data(report)  # type: ignore[no-any-return]


def _breakdown(results: Sequence[CheckResult], attr: str) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for r in results:
        row = out.setdefault(getattr(r, attr), {o: 0 for o in OUTCOMES})
        row[r.outcome] += 1
    return dict(sorted(out.items()))


def write_report(report: dict[str, Any], report_dir: Path) -> Path:
    """Write the JSON and its ``.sha256`` atomically (a reader never sees half a file)."""
    report_dir.mkdir(parents=True, exist_ok=True)
    data = (json.dumps(report, indent=2, sort_keys=False) + "\n").encode()
    path = report_dir / JSON_NAME
    _atomic_write(path, data)
    digest = hashlib.sha256(data).hexdigest()
    _atomic_write(path.with_name(JSON_NAME + ".sha256"), f"{digest}  {JSON_NAME}\n".encode())
    return path


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # reports are for reading and archiving
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
