"""What changed since the previous run, and the hash chain of archived reports.

Every written JSON report is archived byte for byte under ``<report-dir>/history/``.
The next run links to the newest archived report by its sha256 (``report["previous"]``),
so the archive is a hash chain: altering or removing one report breaks the next link,
which ``readiness history verify`` finds. Comparison (``report["changes"]``) uses
``--compare-to REPORT.json`` or else the newest archived *full* run of the same
profile and environment.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import shutil
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from readiness.errors import ReadinessError

HISTORY_DIR = "history"
FAILING = frozenset({"failed", "warned", "error"})
MAX_REPORT_BYTES = 256 * 1024 * 1024
TERMINAL_STILL = 10  # still-failing checks listed in the terminal (all are in the reports)


class HistoryError(ReadinessError):
    """A report in the history cannot be read, or the chain is broken."""


@dataclass(frozen=True, slots=True)
class Archived:
    path: Path
    sha256: str
    report: Mapping[str, Any]

    def link(self, source: str) -> dict[str, Any]:
        return {
            "sha256": self.sha256,
            "run_id": self.report.get("run", {}).get("id", ""),
            "started_at": self.report.get("started_at", ""),
            "profile": self.report.get("profile", ""),
            "environment": self.report.get("environment", ""),
            "source": source,
        }


def read_report(path: Path) -> Archived:
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_REPORT_BYTES + 1)
    except OSError as exc:
        raise HistoryError(f"cannot read report {path}: {exc.strerror}") from None
    if len(data) > MAX_REPORT_BYTES:
        raise HistoryError(f"report {path} is larger than {MAX_REPORT_BYTES} bytes")
    try:
        report = json.loads(data)
    except ValueError as exc:
        raise HistoryError(f"report {path} is not JSON: {exc}") from None
    if not isinstance(report, dict) or not str(report.get("schema", "")).startswith(
        "readiness.report/"
    ):
        raise HistoryError(f"{path} is not a readiness report (no readiness.report schema)")
    return Archived(path, hashlib.sha256(data).hexdigest(), report)


def archive_paths(report_dir: Path) -> list[Path]:
    """The archived reports' files, oldest first: their names start with the time they
    were archived (to the microsecond: two runs within one second keep their order), so
    the order needs no report read."""
    folder = report_dir / HISTORY_DIR
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


def newest_first(paths: Sequence[Path]) -> Iterator[Archived]:
    """The archived reports, newest first, each read only when asked for: a run compares
    with its latest full predecessor without reading (or holding) the whole history."""
    for path in reversed(paths):
        yield read_report(path)


def is_full_run(report: Mapping[str, Any]) -> bool:
    """A run that looked at everything its profile asks for: comparable with another."""
    selection = report.get("selection") or {}
    state = report.get("gate", {}).get("state")
    return (
        not report.get("interrupted")
        and selection.get("mode", "full") == "full"
        and state not in ("partial", "error")
    )


def baseline(
    report: Mapping[str, Any], history: Iterable[Archived], compare_to: Path | None
) -> tuple[Archived, str] | None:
    """The report to compare with: ``compare_to``, else the newest archived full run of
    the same profile and environment (``history`` newest first)."""
    if compare_to is not None:
        return read_report(compare_to), str(compare_to)
    for item in history:
        r = item.report
        same = (r.get("profile"), r.get("environment")) == (
            report["profile"],
            report["environment"],
        )
        if same and is_full_run(r) and r.get("run", {}).get("id") != report["run"]["id"]:
            return item, f"history/{item.path.name}"
    return None


def _key(check: Mapping[str, Any]) -> tuple[str, str]:
    return str(check["control"]), str(check["target"])


def _parse(ts: str) -> dt.datetime:
    return dt.datetime.fromisoformat(ts.replace("Z", "+00:00"))


def human_duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m"


def compare(report: dict[str, Any], previous: Mapping[str, Any], source: str) -> dict[str, Any]:
    """Set ``failing_since`` on the report's failing checks; return the changes."""
    before = {_key(c): c for c in previous.get("checks", [])}
    now = _parse(report["started_at"])
    new, fixed, still = [], [], []
    for check in report["checks"]:
        old = before.get(_key(check))
        was = old["outcome"] if old else "absent"
        row = {"control": check["control"], "target": check["target"], "was": was}
        row["now"] = check["outcome"]
        if check["outcome"] in FAILING:
            if old is not None and was in FAILING:
                since = str(old.get("failing_since") or previous["started_at"])
                check["failing_since"] = since
                still.append(
                    {
                        **row,
                        "since": since,
                        "for": human_duration((now - _parse(since)).total_seconds()),
                    }
                )
            else:
                check["failing_since"] = report["started_at"]
                new.append(row)
        elif check["outcome"] == "passed" and was in FAILING:
            fixed.append(row)
    return {
        "previous": {
            "source": source,
            "run_id": previous.get("run", {}).get("id", ""),
            "started_at": previous.get("started_at", ""),
        },
        "new": new,
        "fixed": fixed,
        "still": still,
    }


def mark_failing_since(report: dict[str, Any]) -> None:
    for check in report["checks"]:
        if check["outcome"] in FAILING:
            check.setdefault("failing_since", report["started_at"])


def link_and_compare(report: dict[str, Any], report_dir: Path, compare_to: Path | None) -> None:
    """Add ``previous`` (the chain link) and ``changes`` (against the baseline) to a report."""
    reports = newest_first(archive_paths(report_dir))
    newest = next(reports, None)
    report["previous"] = newest.link(f"history/{newest.path.name}") if newest else None
    found = baseline(report, itertools.chain([newest] if newest else [], reports), compare_to)
    if found is None:
        mark_failing_since(report)
        report["changes"] = None
        return
    base, source = found
    report["changes"] = compare(report, base.report, source)
    report["changes"]["previous"]["sha256"] = base.sha256


def archive(report_path: Path, report: Mapping[str, Any]) -> Path:
    """Copy the written report, byte for byte, into the history folder."""
    folder = report_path.parent / HISTORY_DIR
    folder.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    target = folder / f"{stamp}-{report['run']['id']}.json"
    shutil.copyfile(report_path, target)
    return target


@dataclass(frozen=True, slots=True)
class ChainCheck:
    ok: bool
    lines: list[str]


def verify_chain(report_dir: Path) -> ChainCheck:
    """Every archived report links to the one archived before it, by its sha256 (read
    one at a time, oldest first)."""
    paths = archive_paths(report_dir)
    if not paths:
        return ChainCheck(False, [f"no archived reports in {report_dir / HISTORY_DIR}"])
    lines: list[str] = []
    ok = True
    prev: Archived | None = None
    for path in paths:
        try:
            item = read_report(path)
        except HistoryError as exc:
            return ChainCheck(False, [*lines, f"BROKEN: {exc}"])
        link = item.report.get("previous")
        name = item.path.name
        if prev is None:
            lines.append(f"ok      {name}: first archived report (sha256 {item.sha256})")
        elif not link:
            ok = False
            lines.append(f"BROKEN  {name}: no link to the previous report {prev.path.name}")
        elif link.get("sha256") != prev.sha256:
            ok = False
            lines.append(
                f"BROKEN  {name}: links to sha256 {link.get('sha256')}, but "
                f"{prev.path.name} hashes to {prev.sha256} (altered, removed or reordered)"
            )
        else:
            lines.append(f"ok      {name}: links to {prev.path.name}")
        prev = item
    assert prev is not None
    lines.append(f"head sha256 {prev.sha256} ({prev.path.name}): keep it to anchor the chain")
    return ChainCheck(ok, lines)


def terminal_lines(report: Mapping[str, Any]) -> list[tuple[str, dict[str, bool]]]:
    changes = report.get("changes")
    if not changes:
        return []
    prev = changes["previous"]
    out: list[tuple[str, dict[str, bool]]] = [
        (
            f"since run {prev['run_id']} ({prev['started_at']}): {len(changes['new'])} new "
            f"failure(s), {len(changes['fixed'])} fixed, {len(changes['still'])} still failing",
            {"bold": True},
        )
    ]
    out += [
        (f"  new:   {c['control']} [{c['target']}] {c['now']}", {"red": True})
        for c in changes["new"]
    ]
    out += [(f"  fixed: {c['control']} [{c['target']}]", {"green": True}) for c in changes["fixed"]]
    still = sorted(changes["still"], key=lambda c: c["since"])  # longest failing first
    out += [
        (f"  still: {c['control']} [{c['target']}] failing for {c['for']} (since {c['since']})", {})
        for c in still[:TERMINAL_STILL]
    ]
    if len(still) > TERMINAL_STILL:
        out.append(
            (f"  ... and {len(still) - TERMINAL_STILL} more still failing (see the report)", {})
        )
    return out
