"""The snapshot file: a tar with ``manifest.json`` and one JSON file per read.

``manifest.json`` lists each item's kind, source, request, time, status, file and sha256,
with the run's evidence time, profile and readiness version. Loading checks every item
against its sha256 (an altered snapshot is refused, naming the item) and caps sizes.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from readiness.errors import ReadinessError
from readiness.snapshot import Item

SCHEMA = "readiness.snapshot/v1"
MANIFEST = "manifest.json"
MAX_MEMBER = 256 * 1024 * 1024
MAX_MEMBERS = 200_000


class SnapshotError(ReadinessError):
    """A snapshot that cannot be written or read (the message names the file and item)."""


@dataclass(frozen=True, slots=True)
class Loaded:
    items: dict[str, Item]
    meta: dict[str, Any]


def write(path: Path, items: Mapping[str, Item], meta: Mapping[str, Any]) -> Path:
    """Write the archive atomically (a temporary file renamed into place)."""
    entries = []
    files: list[tuple[str, bytes]] = []
    for n, item in enumerate(sorted(items.values(), key=lambda i: (i.kind, i.request))):
        data = item.payload()
        name = f"items/{n:06d}-{item.kind}.json"
        files.append((name, data))
        entries.append(
            {
                "file": name,
                "kind": item.kind,
                "source": item.source,
                "request": item.request,
                "time": item.time,
                "status": item.status,
                "sha256": hashlib.sha256(data).hexdigest(),
                "bytes": len(data),
            }
        )
    manifest = {"schema": SCHEMA, **meta, "items": entries}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with tarfile.open(tmp, "w:gz") as tar:
        for name, data in [(MANIFEST, json.dumps(manifest, indent=1).encode()), *files]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 0
            tar.addfile(info, io.BytesIO(data))
    tmp.replace(path)
    return path


def _member(tar: tarfile.TarFile, name: str, path: Path) -> bytes:
    try:
        info = tar.getmember(name)
    except KeyError:
        raise SnapshotError(f"{path}: {name} is missing from the snapshot") from None
    if not info.isfile() or info.size > MAX_MEMBER:
        raise SnapshotError(f"{path}: {name} is not a regular file under the size cap")
    handle = tar.extractfile(info)
    if handle is None:
        raise SnapshotError(f"{path}: {name} cannot be read")
    return handle.read()


def load(path: Path) -> Loaded:
    try:
        tar = tarfile.open(path, "r:*")  # noqa: SIM115 (closed by the with below)
    except (OSError, tarfile.TarError) as exc:
        raise SnapshotError(f"{path} is not a readable snapshot: {exc}") from None
    with tar:
        if len(tar.getmembers()) > MAX_MEMBERS:
            raise SnapshotError(f"{path}: more than {MAX_MEMBERS} members")
        try:
            manifest = json.loads(_member(tar, MANIFEST, path))
        except ValueError:
            raise SnapshotError(f"{path}: {MANIFEST} is not JSON") from None
        if not isinstance(manifest, dict) or manifest.get("schema") != SCHEMA:
            raise SnapshotError(f"{path}: not a readiness snapshot ({SCHEMA})")
        items: dict[str, Item] = {}
        for entry in manifest.get("items", []):
            data = _member(tar, str(entry["file"]), path)
            if hashlib.sha256(data).hexdigest() != entry["sha256"]:
                raise SnapshotError(
                    f"{path}: item {entry['file']} ({entry['kind']} {entry['request']}) was "
                    "altered: its sha256 does not match the manifest; the snapshot is refused"
                )
            item = Item(
                str(entry["kind"]),
                str(entry["source"]),
                str(entry["request"]),
                str(entry["time"]),
                str(entry["status"]),
                json.loads(data),
            )
            items[item.key] = item
    meta = {k: v for k, v in manifest.items() if k != "items"}
    return Loaded(items, meta)
