"""``readiness merge REPORT…``: join the shard reports of one run into one report and verdict.

Refuses reports that do not belong together (another profile or profile version, another
commit or pipeline run, a different shard count, a shard given twice, a report that is not
a shard). A missing shard makes the merged run partial: never a release pass.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from readiness.report.files import JUNIT_NAME, ReportSet
from readiness.report.json_report import SCHEMA, breakdown, gate_block, report_files
from readiness.report.junit import junit_xml
from readiness.report.minimal_html import minimal_html
from readiness.shard import SHARD_REASON

HTML_NAME = "readiness-report.html"
#: Fields every shard of one run must share: (path in the report, what it means).
SAME = (
    (("profile",), "profile"),
    (("profile_sha256",), "profile version (sha256)"),
    (("run", "commit"), "commit"),
    (("shard", "total"), "shard count"),
    (("shard", "pipeline_run"), "pipeline run"),
    (("gate", "fail_on"), "gate fail_on"),
)


class MergeError(Exception):
    """The reports cannot be merged; the message says which and why."""


def load(path: Path) -> dict[str, Any]:
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise MergeError(f"{path}: not a readable JSON report ({exc})") from None
    if not isinstance(report, dict) or report.get("schema") != SCHEMA:
        raise MergeError(f"{path}: not a readiness report (schema {SCHEMA})")
    if not isinstance(report.get("shard"), dict):
        raise MergeError(f"{path}: not a shard report (run it with --shard I/N)")
    return report


def _get(report: dict[str, Any], keys: tuple[str, ...]) -> Any:
    value: Any = report
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def check_together(reports: Sequence[tuple[Path, dict[str, Any]]]) -> None:
    first_path, first = reports[0]
    for keys, what in SAME:
        for path, report in reports[1:]:
            if _get(report, keys) != _get(first, keys):
                raise MergeError(
                    f"{path} and {first_path} differ in {what} "
                    f"({_get(report, keys)!r} vs {_get(first, keys)!r}): not shards of one run"
                )
    seen: dict[int, Path] = {}
    for path, report in reports:
        index = report["shard"]["index"]
        if index in seen:
            raise MergeError(f"shard {index} given twice: {seen[index]} and {path}")
        seen[index] = path


def merge(reports: Sequence[tuple[Path, dict[str, Any]]]) -> dict[str, Any]:
    """One report from the shards of one run (validated first)."""
    if not reports:
        raise MergeError("no reports given")
    check_together(reports)
    shards = [r for _, r in sorted(reports, key=lambda pr: pr[1]["shard"]["index"])]
    first = shards[0]
    total_shards = int(first["shard"]["total"])
    present = [r["shard"]["index"] for r in shards]
    missing = [i for i in range(1, total_shards + 1) if i not in present]
    checks = sorted(
        (c for r in shards for c in r["checks"]),
        key=lambda c: (c.get("id", ""), c["nodeid"]),
    )
    summary = {o: 0 for o in first["summary"]}
    for c in checks:
        summary[c["outcome"]] += 1
    selection = _selection(shards, missing, total_shards)
    gate = first["gate"]
    errors = sorted({e for r in shards for e in r["gate"].get("errors", [])})
    blocking = [c["nodeid"] for c in checks if c["blocking"]]
    merged = {
        **first,
        "started_at": min(r["started_at"] for r in shards),
        "finished_at": max(r["finished_at"] for r in shards),
        "run": {**first["run"], "shard_runs": [r["run"]["id"] for r in shards]},
        "gate": gate_block(gate["fail_on"], gate["errors_block"], blocking, selection, errors),
        "selection": selection,
        "summary": summary,
        "by_family": breakdown((c["family"], c["outcome"]) for c in checks),
        "by_severity": breakdown((c["severity"], c["outcome"]) for c in checks),
        "checks": checks,
        "waivers": _waivers(shards),
        "shard": {
            "merged": present,
            "missing": missing,
            "total": total_shards,
            "pipeline_run": first["shard"]["pipeline_run"],
        },
        "interrupted": any(r.get("interrupted") for r in shards),
        "dora": None,
    }
    if merged["interrupted"]:
        merged["gate"]["passed"] = False
    return merged


def _selection(
    shards: Sequence[dict[str, Any]], missing: list[int], total_shards: int
) -> dict[str, Any]:
    """Full only when every shard is here and no shard narrowed the run beyond its slice."""
    reasons = sorted(
        {
            why
            for r in shards
            for why in r.get("selection", {}).get("reasons", [])
            if not why.startswith(SHARD_REASON)
        }
    )
    if missing:
        reasons.append(
            f"missing shard{'s' if len(missing) > 1 else ''} "
            + ", ".join(f"{i}/{total_shards}" for i in missing)
        )
    selected = sum(int(r.get("selection", {}).get("selected") or 0) for r in shards)
    total = shards[0].get("selection", {}).get("total")
    full = not reasons and (total is None or selected == total)
    return {
        "mode": "full" if full else "partial",
        "reasons": reasons,
        "selected": selected,
        "deselected": (total - selected) if isinstance(total, int) else 0,
        "total": total,
    }


def _waivers(shards: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """A waiver is stale only if it waived nothing in any shard."""
    out = []
    for i, waiver in enumerate(shards[0].get("waivers", [])):
        states = [r["waivers"][i] for r in shards if i < len(r.get("waivers", []))]
        stale = all(w.get("stale") for w in states)
        out.append(
            {**waiver, "stale": stale, "stale_reason": waiver["stale_reason"] if stale else None}
        )
    return out


def write(report: dict[str, Any], out: Path) -> None:
    files = report_files(report)
    files[JUNIT_NAME] = junit_xml(report)
    files[HTML_NAME] = minimal_html(report)
    ReportSet(out).publish(files)


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "merge",
        help="join shard reports (--shard I/N runs) into one report and verdict",
        description="Join the shard reports of one run (pytest --shard I/N) into one report "
        "set and verdict. Reports of another profile, profile version, commit, pipeline run "
        "or shard count are refused (exit 4); a missing shard makes the verdict partial.",
    )
    p.add_argument("reports", nargs="+", type=Path, help="shard readiness-report.json files")
    p.add_argument(
        "--out", type=Path, default=Path("reports"), help="where to write (default: reports/)"
    )
    p.set_defaults(func=cmd_merge)


def cmd_merge(args: argparse.Namespace) -> int:
    try:
        report = merge([(p, load(p)) for p in args.reports])
    except MergeError as exc:
        print(f"readiness merge: {exc}", flush=True)
        return 4
    write(report, args.out)
    gate = report["gate"]
    print(f"gate {gate['state'].upper()}: {gate['reason']}")
    print(
        f"merged {len(report['shard']['merged'])} of {report['shard']['total']} shards, "
        f"{len(report['checks'])} checks into {args.out}"
    )
    return 0 if gate["state"] in ("passed", "partial") else 1
