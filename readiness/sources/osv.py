"""An offline OSV database: a directory tree or a .zip of OSV JSON records.

Loaded once per run and indexed by (ecosystem, package name) so matching an SBOM of
thousands of components costs one dictionary lookup per component.
"""

from __future__ import annotations

import functools
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from readiness.errors import SourceError
from readiness.rules.supply_chain_vulns import OsvDatabase, parse_osv_record


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
