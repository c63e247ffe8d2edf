"""Offline OSV data: the imported store, or a directory tree / .zip of OSV JSON records.

Loaded once per run and indexed by (ecosystem, package name) so matching an SBOM of
thousands of components costs one dictionary lookup per component.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Protocol

from readiness.errors import SourceError
from readiness.profile.supply_chain import VulnerabilityPolicy
from readiness.rules.supply_chain_vulns import OsvDatabase, VulnDbStatus, parse_osv_record
from readiness.sources.vulndb import VulnStore


def _documents(path: Path) -> Iterator[tuple[str, bytes]]:
    if path.is_dir():
        for file in sorted(path.rglob("*.json")):
            yield str(file), file.read_bytes()
    elif zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                if info.filename.endswith(".json") and not info.is_dir():
                    yield f"{path}!{info.filename}", archive.read(info)
    else:
        raise SourceError(str(path), "OSV database must be a directory or a .zip of OSV JSON")


@functools.lru_cache(maxsize=4)
def load_osv_database(path_text: str) -> OsvDatabase:
    """Read every OSV record under ``path_text``; bad records are reported, not fatal."""
    path = Path(path_text)
    if not path.exists():
        raise SourceError(
            path_text, "OSV database not found; set supply_chain.vulnerabilities.osv_db"
        )
    db = OsvDatabase()
    try:
        for name, data in _documents(path):
            try:
                raw: Any = json.loads(data)
            except ValueError as exc:
                db.problems.append(f"{name}: not JSON ({exc})")
                continue
            records = raw if isinstance(raw, list) else [raw]
            for entry in records:
                if not isinstance(entry, dict) or "id" not in entry:
                    db.problems.append(f"{name}: not an OSV record")
                    continue
                db.add(parse_osv_record(entry))
    except (OSError, zipfile.BadZipFile) as exc:
        raise SourceError(path_text, f"cannot read OSV database: {exc}") from None
    return db


class OsvSource(Protocol):
    def database_for(self, keys: Iterable[tuple[str, str]]) -> OsvDatabase: ...


def open_vuln_database(policy: VulnerabilityPolicy) -> tuple[OsvSource | None, VulnDbStatus | None]:
    """The profile's vulnerability database and its status; (None, None) if none is set.

    ``database`` is a store written by ``readiness vulndb import``; ``osv_db`` a directory
    or zip of OSV records read as is (its age is its modification time).
    """
    if policy.database is not None:
        store = VulnStore(policy.database)
        status = store.status()
        return (store if status.exists else None), status
    if policy.osv_db is not None:
        path = Path(policy.osv_db)
        if not path.exists():
            return None, VulnDbStatus(policy.osv_db, False)
        db = load_osv_database(policy.osv_db)
        mtime = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)
        ecosystems = Counter(key[0] for key in db.by_package)
        return db, VulnDbStatus(
            policy.osv_db, True, mtime, db.records, 0, tuple(sorted(ecosystems.items()))
        )
    return None, None
