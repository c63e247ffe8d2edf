"""The offline vulnerability database: OSV records in a local SQLite store.

``readiness vulndb import`` fills it from OSV's per-ecosystem export archives
(``<Ecosystem>/all.zip``: one ``<ID>.json`` per record) and from single OSV JSON records,
incrementally: a record already stored is replaced only by a newer ``modified``. Every
import is recorded with its date; the gate judges the database's age from the last one.
Matching reads only the records of the packages an SBOM names, so a store of every
ecosystem costs one indexed lookup per distinct package.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from readiness.errors import SourceError
from readiness.rules.supply_chain_vulns import (
    OsvDatabase,
    VulnDbStatus,
    base_ecosystem,
    normalize_name,
    parse_osv_record,
)

MAX_RECORD_BYTES = 16 * 1024 * 1024
MAX_ARCHIVE_MEMBERS = 2_000_000

SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    id TEXT PRIMARY KEY, modified TEXT NOT NULL, withdrawn INTEGER NOT NULL,
    body TEXT NOT NULL, imported_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS affected (
    record_id TEXT NOT NULL, ecosystem TEXT NOT NULL, name TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS affected_package ON affected (ecosystem, name);
CREATE INDEX IF NOT EXISTS affected_record ON affected (record_id);
CREATE TABLE IF NOT EXISTS imports (
    at TEXT NOT NULL, source TEXT NOT NULL, added INTEGER NOT NULL, updated INTEGER NOT NULL,
    unchanged INTEGER NOT NULL, problems INTEGER NOT NULL
);
"""


@dataclass
class ImportReport:
    source: str
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[str] = field(default_factory=list)


def _documents(path: Path) -> Iterator[tuple[str, bytes]]:
    """(name, bytes) of every OSV JSON document in a file, a directory or a zip archive."""
    if path.is_dir():
        for file in sorted(path.rglob("*.json")):
            yield str(file), file.read_bytes()
        return
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            members = [i for i in archive.infolist() if i.filename.endswith(".json")]
            if len(members) > MAX_ARCHIVE_MEMBERS:
                raise SourceError(str(path), f"more than {MAX_ARCHIVE_MEMBERS} records")
            for info in members:
                if info.file_size > MAX_RECORD_BYTES:
                    raise SourceError(f"{path}!{info.filename}", "record larger than 16 MiB")
                yield f"{path}!{info.filename}", archive.read(info)
        return
    if path.stat().st_size > MAX_RECORD_BYTES:
        raise SourceError(str(path), "not a zip archive, and too large for one OSV record")
    yield str(path), path.read_bytes()


def _records(name: str, data: bytes, problems: list[str]) -> Iterator[dict[str, Any]]:
    try:
        raw: Any = json.loads(data)
    except ValueError as exc:
        problems.append(f"{name}: not JSON ({exc})")
        return
    for entry in raw if isinstance(raw, list) else [raw]:
        if isinstance(entry, dict) and isinstance(entry.get("id"), str):
            yield entry
        else:
            problems.append(f"{name}: not an OSV record (no id)")


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")


class VulnStore:
    """One SQLite file; short connections, so threads and processes may share it."""

    def __init__(self, path: str | Path):
        self.path = Path(path).expanduser()

    def _connect(self, write: bool) -> sqlite3.Connection:
        if write:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=30)
            conn.executescript(SCHEMA)
            return conn
        if not self.path.is_file():
            raise SourceError(str(self.path), "vulnerability database not found")
        return sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)

    def import_paths(self, paths: Sequence[str | Path], now: dt.datetime) -> list[ImportReport]:
        """Import OSV archives, directories and records; one report per path."""
        reports = []
        with closing(self._connect(write=True)) as conn:
            for path in paths:
                report = ImportReport(str(path))
                try:
                    with conn:
                        for name, data in _documents(Path(path)):
                            for entry in _records(name, data, report.problems):
                                self._upsert(conn, entry, now, report)
                        conn.execute(
                            "INSERT INTO imports VALUES (?, ?, ?, ?, ?, ?)",
                            (
                                _iso(now),
                                str(path),
                                report.added,
                                report.updated,
                                report.unchanged,
                                len(report.problems),
                            ),
                        )
                except (OSError, zipfile.BadZipFile) as exc:
                    raise SourceError(str(path), f"cannot read: {exc}") from None
                reports.append(report)
        return reports

    @staticmethod
    def _upsert(
        conn: sqlite3.Connection, entry: dict[str, Any], now: dt.datetime, report: ImportReport
    ) -> None:
        rid = str(entry["id"])
        modified = str(entry.get("modified") or "")
        row = conn.execute("SELECT modified FROM records WHERE id = ?", (rid,)).fetchone()
        if row is not None and row[0] >= modified:
            report.unchanged += 1
            return
        record = parse_osv_record(entry)
        body = json.dumps(entry, separators=(",", ":"))
        conn.execute(
            "INSERT OR REPLACE INTO records VALUES (?, ?, ?, ?, ?)",
            (rid, modified, int(record.withdrawn), body, _iso(now)),
        )
        conn.execute("DELETE FROM affected WHERE record_id = ?", (rid,))
        keys = {
            (base_ecosystem(a.ecosystem), normalize_name(a.ecosystem, a.name))
            for a in record.affected
            if a.ecosystem and a.name
        }
        conn.executemany("INSERT INTO affected VALUES (?, ?, ?)", [(rid, *k) for k in keys])
        if row is None:
            report.added += 1
        else:
            report.updated += 1

    def status(self) -> VulnDbStatus:
        if not self.path.is_file():
            return VulnDbStatus(str(self.path), False)
        try:
            with closing(self._connect(write=False)) as conn:
                last = conn.execute("SELECT max(at), count(*) FROM imports").fetchone()
                counts = conn.execute(
                    "SELECT count(*), coalesce(sum(withdrawn), 0), coalesce(max(modified), '') "
                    "FROM records"
                ).fetchone()
                ecosystems = conn.execute(
                    "SELECT a.ecosystem, count(DISTINCT a.record_id) FROM affected a "
                    "JOIN records r ON r.id = a.record_id WHERE r.withdrawn = 0 "
                    "GROUP BY a.ecosystem ORDER BY a.ecosystem"
                ).fetchall()
        except sqlite3.Error as exc:
            raise SourceError(
                str(self.path), f"not a readiness vulnerability database: {exc}"
            ) from None
        return VulnDbStatus(
            str(self.path),
            True,
            dt.datetime.fromisoformat(last[0]) if last[0] else None,
            int(counts[0]) - int(counts[1]),
            int(counts[1]),
            tuple((str(e), int(n)) for e, n in ecosystems),
            str(counts[2]),
            int(last[1]),
        )

    def database_for(self, keys: Iterable[tuple[str, str]]) -> OsvDatabase:
        """The records affecting any of ``keys`` ((ecosystem, normalized name) pairs):
        one join against a temporary table of the keys, each record parsed once."""
        db = OsvDatabase()
        try:
            with closing(self._connect(write=False)) as conn:
                conn.execute("CREATE TEMP TABLE wanted (ecosystem TEXT, name TEXT)")
                conn.executemany("INSERT INTO wanted VALUES (?, ?)", set(keys))
                rows = conn.execute(
                    "SELECT DISTINCT r.id, r.body FROM wanted w"
                    " JOIN affected a ON a.ecosystem = w.ecosystem AND a.name = w.name"
                    " JOIN records r ON r.id = a.record_id WHERE r.withdrawn = 0 ORDER BY r.id"
                )
                for _, body in rows:
                    db.add(parse_osv_record(json.loads(body)))
        except sqlite3.Error as exc:
            raise SourceError(
                str(self.path), f"cannot read the vulnerability database: {exc}"
            ) from None
        return db
