"""Where in which file a finding sits, for exports that point at files (SARIF).

Findings name their file in the target (rule files, SLO specs, SBOMs), in the evidence
(``file``, ``path``, ``source``, manifest folders in ``paths``) or at the start of the
message. The line is found by the names the finding quotes (an alert, a record, a
Kubernetes object); reads are bounded in count and size.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FILE_SUFFIXES = (".yaml", ".yml", ".json", ".rules", ".xml", ".spdx", ".cdx", ".txt", ".toml")
MAX_FILE_BYTES = 4 * 1024 * 1024
MAX_FILES_SCANNED = 500
# A file path in a message, optionally followed by ":LINE" (or "#DOC" for YAML documents).
_PATH_IN_TEXT = re.compile(
    r"(?:^|[\s'\"(])((?:~?/)?(?:[\w.\-]+/)*[\w.\-]+\.(?:ya?ml|json|rules|xml|spdx|cdx))"
    r"(?::(\d+))?(?=$|[\s'\"):#,;])"
)
_QUOTED = re.compile(r"'([^'\n]{1,200})'")
_RULE_NAME = re.compile(r"\b(?:alert|record) '([^'\n]{1,200})'")
_K8S_TARGET = re.compile(r"^(?P<ns>[^/]+)/(?P<kind>[A-Z][A-Za-z]+)/(?P<name>[^/]+)$")


@dataclass(frozen=True, slots=True)
class Location:
    path: str  # relative to the root when inside it, else absolute
    line: int
    inside_root: bool = True


def _lines(path: Path) -> list[str] | None:
    try:
        if not path.is_file() or path.stat().st_size > MAX_FILE_BYTES:
            return None
        return path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None


def _candidates(check: Mapping[str, Any]) -> list[tuple[str, int | None]]:
    ev = check.get("evidence") or {}
    out: list[tuple[str, int | None]] = []
    for m in _PATH_IN_TEXT.finditer(str(check.get("message", ""))):
        out.append((m.group(1), int(m.group(2)) if m.group(2) else None))
    out.append((str(check.get("target", "")), None))
    for key in ("file", "path", "source", "manifest"):
        if isinstance(ev.get(key), str):
            out.append((str(ev[key]), None))
    return [(c, line) for c, line in out if c.lower().endswith(FILE_SUFFIXES)]


def _bases(check: Mapping[str, Any], root: Path, profile_dir: Path | None) -> list[Path]:
    return [root] if profile_dir is None or profile_dir == root else [root, profile_dir]


def _line_of(lines: list[str], names: Iterable[str], keys: Iterable[str]) -> int | None:
    keys = tuple(keys)
    for name in names:
        alternatives = "|".join(map(re.escape, keys))
        value = re.escape(name)
        pattern = re.compile(rf"^\s*-?\s*(?:{alternatives})\s*:\s*['\"]?{value}['\"]?\s*$")
        for i, line in enumerate(lines, start=1):
            if pattern.match(line):
                return i
    return None


def _k8s_object(dirs: Iterable[Path], kind: str, name: str) -> tuple[Path, int] | None:
    kind_re = re.compile(rf"^kind:\s*['\"]?{re.escape(kind)}['\"]?\s*$")
    name_re = re.compile(rf"^\s+name:\s*['\"]?{re.escape(name)}['\"]?\s*$")
    scanned = 0
    for folder in dirs:
        files = [folder] if folder.is_file() else sorted(folder.rglob("*"))
        for path in files:
            if path.suffix not in (".yaml", ".yml") or scanned >= MAX_FILES_SCANNED:
                continue
            scanned += 1
            lines = _lines(path)
            if lines is None:
                continue
            in_kind = False
            for i, line in enumerate(lines, start=1):
                if line.startswith("---"):
                    in_kind = False
                elif kind_re.match(line):
                    in_kind = True
                elif in_kind and name_re.match(line):
                    return path, i
    return None


def _relative(path: Path, root: Path) -> tuple[str, bool]:
    """As the user named it (symbolic links kept), relative to the root when inside it."""
    absolute = Path(os.path.normpath(path.absolute()))
    try:
        return absolute.relative_to(os.path.normpath(root.absolute())).as_posix(), True
    except ValueError:
        return absolute.as_posix(), False


def locate(
    check: Mapping[str, Any], root: Path, profile_dir: Path | None = None
) -> Location | None:
    """The file (and line) a finding is about, or None when it is not about a file.

    Relative paths are tried from ``root`` (where the run started), then from the
    profile's folder (where profiles name their files from).
    """
    message = str(check.get("message", ""))
    quoted = [*_RULE_NAME.findall(message), *_QUOTED.findall(message)]  # specific first
    bases = _bases(check, root, profile_dir)
    for candidate, line in _candidates(check):
        given = Path(candidate).expanduser()
        for base in [Path("/")] if given.is_absolute() else bases:
            path = base / given
            lines = _lines(path)
            if lines is None:
                continue
            if line is None or not 1 <= line <= len(lines):
                line = _line_of(lines, quoted, ("alert", "record", "name", "service"))
            rel, inside = _relative(path, root)
            return Location(rel, line or 1, inside)
    ev = check.get("evidence") or {}
    match = _K8S_TARGET.match(str(check.get("target", "")))
    dirs = ev.get("paths")
    if match and isinstance(dirs, list) and dirs:
        folders = [
            Path(d) if Path(d).is_absolute() else base / d for d in map(str, dirs) for base in bases
        ]
        found = _k8s_object([f for f in folders if f.exists()], match["kind"], match["name"])
        if found:
            rel, inside = _relative(found[0], root)
            return Location(rel, found[1], inside)
    return None
