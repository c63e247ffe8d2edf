"""`readiness vulndb`: the offline OSV vulnerability database the gate matches SBOMs against."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from typing import Any

from readiness.errors import SourceError
from readiness.rules.supply_chain_vulns import VulnDbStatus
from readiness.sources.vulndb import VulnStore

DB_ENV = "READINESS_VULNDB"
DEFAULT_DB = "~/.cache/readiness/vulndb.sqlite"

DESCRIPTION = f"""\
Keep an offline OSV vulnerability database for SC-VULNS (name it in the profile:
supply_chain.vulnerabilities.database, with max_age_days).

  readiness vulndb import PyPI/all.zip npm/all.zip GHSA-xxxx.json … [--db PATH]
  readiness vulndb status [--db PATH] [--max-age-days N] [--json]

Import reads OSV's per-ecosystem export archives (<Ecosystem>/all.zip from the OSV
data dumps), directories and single OSV JSON records; a record already stored is
replaced only by a newer `modified`. Status prints the last import, age, ecosystems
and record counts; with --max-age-days it exits 1 when the database is missing or
older. Database: --db, else ${DB_ENV}, else {DEFAULT_DB}.
"""


def _db_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", help=f"the SQLite database (default: ${DB_ENV} or {DEFAULT_DB})")


def _store(args: argparse.Namespace) -> VulnStore:
    return VulnStore(args.db or os.environ.get(DB_ENV) or DEFAULT_DB)


def add_parser(sub: Any) -> None:
    """Register `readiness vulndb` on the main command's subparsers."""
    p = sub.add_parser(
        "vulndb",
        help="import OSV data into the offline vulnerability database; show its status",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = p.add_subparsers(dest="vulndb_command", required=True)
    imp = actions.add_parser("import", help="import OSV export archives and records")
    _db_arg(imp)
    imp.add_argument("paths", nargs="+", metavar="PATH", help="all.zip, a directory or a .json")
    imp.set_defaults(func=cmd_import)
    st = actions.add_parser("status", help="age, ecosystems and record counts")
    _db_arg(st)
    st.add_argument("--max-age-days", type=float, help="exit 1 if older (or missing)")
    st.add_argument("--json", action="store_true", help="print JSON")
    st.set_defaults(func=cmd_status)


def cmd_import(args: argparse.Namespace) -> int:
    store = _store(args)
    try:
        reports = store.import_paths(args.paths, dt.datetime.now(dt.UTC))
    except SourceError as exc:
        print(f"readiness vulndb: {exc}", file=sys.stderr)
        return 2
    for report in reports:
        print(
            f"{report.source}: {report.added} added, {report.updated} updated, "
            f"{report.unchanged} unchanged, {len(report.problems)} problem(s)"
        )
        for problem in report.problems[:20]:
            print(f"  {problem}", file=sys.stderr)
    print(f"database: {store.path}")
    return 0


def _render(status: VulnDbStatus, now: dt.datetime) -> str:
    if not status.exists:
        return f"database: {status.path}\nnot found: run `readiness vulndb import`"
    age = status.age_days(now)
    lines = [
        f"database:      {status.path}",
        f"last import:   {status.imported_at.isoformat() if status.imported_at else 'never'}"
        + (f" ({age:.1f} days ago)" if age is not None else ""),
        f"imports:       {status.imports}",
        f"records:       {status.records} (+{status.withdrawn} withdrawn)",
        f"newest record: {status.newest_modified or '-'}",
        "ecosystems:",
    ]
    lines += [f"  {eco:<20} {count}" for eco, count in status.ecosystems]
    return "\n".join(lines)


def cmd_status(args: argparse.Namespace) -> int:
    now = dt.datetime.now(dt.UTC)
    try:
        status = _store(args).status()
    except SourceError as exc:
        print(f"readiness vulndb: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(status.as_dict(now), indent=2) if args.json else _render(status, now))
    if args.max_age_days is None:
        return 0
    age = status.age_days(now)
    return 0 if status.records and age is not None and age <= args.max_age_days else 1
