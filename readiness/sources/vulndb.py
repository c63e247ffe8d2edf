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
import itertools
import json
import operator
import sqlite3
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from readiness.errors import SourceError
from readiness.heap import long_lived
from readiness.rules.supply_chain_vulns import (
    OsvAffected,
    OsvDatabase,
    OsvRange,
    OsvRecord,
    VulnDbStatus,
    base_ecosystem,
    normalize_name,
    parse_osv_record,
)

MAX_RECORD_BYTES = 16 * 1024 * 1024
MAX_ARCHIVE_MEMBERS = 2_000_000

SCHEMA_VERSION = 2
"""2: the matching form of each record per package (table ``matching``) replaces the
package index ``affected``; matching no longer re-parses whole OSV records."""

SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    id TEXT PRIMARY KEY, modified TEXT NOT NULL, withdrawn INTEGER NOT NULL,
    body TEXT NOT NULL, imported_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS matching (
    ecosystem TEXT NOT NULL, name TEXT NOT NULL, record_id TEXT NOT NULL, form TEXT NOT NULL,
    PRIMARY KEY (ecosystem, name, record_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS matching_record ON matching (record_id);
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


def matching_forms(record: OsvRecord) -> dict[tuple[str, str], str]:
    """The matching form of a record for each package it affects: what matching needs
    (id-level summary, aliases, CVSS vectors, severity label; the package's affected
    entries with ranges, versions and labels) as compact JSON. Withdrawn records have none."""
    if record.withdrawn:
        return {}
    entries: dict[tuple[str, str], list[Any]] = {}
    for a in record.affected:
        if a.ecosystem and a.name:
            key = (base_ecosystem(a.ecosystem), normalize_name(a.ecosystem, a.name))
            ranges = [[r.type, [list(e) for e in r.events]] for r in a.ranges]
            entries.setdefault(key, []).append(
                [a.ecosystem, a.name, ranges, sorted(a.versions), a.severity_label]
            )
    head = [record.summary, list(record.aliases), list(record.cvss_vectors), record.severity_label]
    return {
        key: json.dumps([*head, found], separators=(",", ":")) for key, found in entries.items()
    }


MatchingRow = tuple[str, str, str, bytes | str]
"""(record id, ecosystem, name, matching form) as stored."""


def _add_rows(db: OsvDatabase, record_id: str, rows: Sequence[MatchingRow]) -> None:
    """One record, with the affected entries of the packages asked for, from its rows."""
    placed: list[tuple[tuple[str, str], OsvAffected]] = []
    summary, aliases, vectors, label = "", [], [], ""
    for _, ecosystem, name, form in rows:
        summary, aliases, vectors, label, entries = orjson.loads(form)
        for eco, pkg, ranges, versions, severity in entries:
            rngs = tuple(OsvRange(kind, tuple(map(tuple, events))) for kind, events in ranges)
            placed.append(
                ((ecosystem, name), OsvAffected(eco, pkg, rngs, frozenset(versions), severity))
            )
    record = OsvRecord(
        record_id, summary, tuple(aliases), tuple(a for _, a in placed), tuple(vectors), label
    )
    db.add_entries(record, placed)


class VulnStore:
    """One SQLite file; short connections, so threads and processes may share it.

    Its schema is upgraded in place (one transaction) when an older readiness wrote it.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path).expanduser()

    def _connect(self, write: bool) -> sqlite3.Connection:
        if write:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=30)
            try:
                self._upgrade(conn)
            except BaseException:
                conn.close()
                raise
            return conn
        if not self.path.is_file():
            raise SourceError(str(self.path), "vulnerability database not found")
        uri = f"{self.path.resolve().as_uri()}?mode=ro"
        with closing(sqlite3.connect(uri, uri=True, timeout=30)) as conn:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            ours = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'records'"
            ).fetchone()
        if ours and version != SCHEMA_VERSION:
            try:
                with closing(self._connect(write=True)):
                    pass
            except sqlite3.OperationalError as exc:
                raise SourceError(
                    str(self.path),
                    f"written by an older readiness and not upgradable here ({exc}): run "
                    "`readiness vulndb import` on it once",
                ) from None
        return sqlite3.connect(uri, uri=True, timeout=30)

    def _upgrade(self, conn: sqlite3.Connection) -> None:
        """Create the schema, or upgrade an older store in one transaction (the matching
        form of every stored record computed from its body)."""
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise SourceError(
                str(self.path),
                f"vulnerability database schema {version} is newer than this readiness "
                f"({SCHEMA_VERSION}); upgrade readiness",
            )
        if version == SCHEMA_VERSION:
            return
        with conn:
            conn.execute("BEGIN IMMEDIATE")
            if conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION:
                return  # another process upgraded it meanwhile
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
            for (body,) in conn.execute("SELECT body FROM records").fetchall():
                self._store_forms(conn, parse_osv_record(json.loads(body)))
            conn.execute("DROP TABLE IF EXISTS affected")
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    @staticmethod
    def _store_forms(conn: sqlite3.Connection, record: OsvRecord) -> None:
        conn.execute("DELETE FROM matching WHERE record_id = ?", (record.id,))
        conn.executemany(
            "INSERT INTO matching VALUES (?, ?, ?, ?)",
            [(eco, name, record.id, form) for (eco, name), form in matching_forms(record).items()],
        )

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

    @classmethod
    def _upsert(
        cls, conn: sqlite3.Connection, entry: dict[str, Any], now: dt.datetime, report: ImportReport
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
        cls._store_forms(conn, record)
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
                    "SELECT ecosystem, count(DISTINCT record_id) FROM matching "
                    "GROUP BY ecosystem ORDER BY ecosystem"
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
        per ecosystem, one join of the JSON array of its names against the stored
        matching forms (withdrawn records have none); no OSV record parsed."""
        names: dict[str, dict[str, None]] = {}
        for ecosystem, name in keys:
            names.setdefault(ecosystem, {})[name] = None
        rows: list[MatchingRow] = []
        try:
            with closing(self._connect(write=False)) as conn:
                for ecosystem, wanted in sorted(names.items()):
                    rows += conn.execute(
                        "SELECT m.record_id, m.ecosystem, m.name, m.form FROM json_each(?) w"
                        " CROSS JOIN matching m ON m.ecosystem = ? AND m.name = w.value",
                        (orjson.dumps(list(wanted)).decode(), ecosystem),
                    ).fetchall()
        except sqlite3.Error as exc:
            raise SourceError(
                str(self.path), f"cannot read the vulnerability database: {exc}"
            ) from None
        rows.sort()
        db = OsvDatabase()
        with long_lived():
            for record_id, group in itertools.groupby(rows, key=operator.itemgetter(0)):
                _add_rows(db, record_id, list(group))
        return db
