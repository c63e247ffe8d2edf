"""Read profile YAML: line numbers kept, ``extends`` merged, ``${VAR}`` substituted.

Merging: maps merge key by key (the extending profile wins), lists and scalars replace.
Every value remembers the file and line it came from, so a schema error can name them.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from readiness.errors import ProfileError

Path_ = tuple[str | int, ...]

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
_SECRET_WORDS = (
    "password",
    "passwd",
    "token",
    "secret",
    "credential",
    "apikey",
    "api_key",
    "private_key",
    "bearer",
)
_NOT_SECRET_SUFFIXES = ("_file", "_files", "_path", "_paths", "_dir", "_url")
MAX_EXTENDS_DEPTH = 10
_SCALARS = yaml.SafeLoader("")  # constructs scalars with YAML's standard resolvers


@dataclass(slots=True)
class RawProfile:
    """Plain data from one or more YAML files, with where each value came from."""

    data: dict[str, Any]
    origins: dict[Path_, tuple[str, int]] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    secrets: set[str] = field(default_factory=set)

    def where(self, path: Path_) -> tuple[str, int | None]:
        """The file and line of the value at ``path``, or of its nearest ancestor."""
        for n in range(len(path), -1, -1):
            origin = self.origins.get(path[:n])
            if origin:
                return origin
        return (str(self.files[-1]) if self.files else "", None)

    def sha256(self) -> str:
        digest = hashlib.sha256()
        for f in self.files:
            digest.update(f.read_bytes())
        return digest.hexdigest()


def read_profile(path: Path, env: Mapping[str, str]) -> RawProfile:
    raw = _read_with_extends(path.resolve(), depth=0, seen=())
    _substitute(raw, raw.data, (), env)
    return raw


def _read_with_extends(path: Path, depth: int, seen: tuple[Path, ...]) -> RawProfile:
    if path in seen:
        chain = " -> ".join(str(p) for p in (*seen, path))
        raise ProfileError(f"extends forms a cycle: {chain}", file=str(path), key="extends")
    if depth > MAX_EXTENDS_DEPTH:
        raise ProfileError("extends is nested too deeply", file=str(path), key="extends")
    data, origins = _read_yaml(path)
    parent_name = data.pop("extends", None)
    if parent_name is None:
        return RawProfile(data, origins, [path])
    line = origins.get(("extends",), (str(path), 0))[1]
    if not isinstance(parent_name, str):
        raise ProfileError("extends must be a file name", file=str(path), line=line, key="extends")
    parent_path = (path.parent / parent_name).resolve()
    if not parent_path.suffix:
        parent_path = parent_path.with_suffix(".yaml")
    if not parent_path.is_file():
        raise ProfileError(
            f"extends names {parent_name!r}, but {parent_path} does not exist",
            file=str(path),
            line=line,
            key="extends",
        )
    base = _read_with_extends(parent_path, depth + 1, (*seen, path))
    merged_origins = dict(base.origins)
    merged = _merge(base.data, data, (), origins, merged_origins)
    return RawProfile(merged, merged_origins, [*base.files, path])


def _merge(
    base: dict[str, Any],
    over: dict[str, Any],
    prefix: Path_,
    over_origins: dict[Path_, tuple[str, int]],
    out_origins: dict[Path_, tuple[str, int]],
) -> dict[str, Any]:
    result = dict(base)
    for key, value in over.items():
        path = (*prefix, key)
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = _merge(result[key], value, path, over_origins, out_origins)
            if path in over_origins:
                out_origins[path] = over_origins[path]
            continue
        for p in [p for p in out_origins if p[: len(path)] == path]:
            del out_origins[p]
        for p, o in over_origins.items():
            if p[: len(path)] == path:
                out_origins[p] = o
        result[key] = value
    return result


def _read_yaml(path: Path) -> tuple[dict[str, Any], dict[Path_, tuple[str, int]]]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProfileError(f"cannot read profile: {exc.strerror}", file=str(path)) from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise ProfileError(
            f"not valid YAML: {problem}",
            file=str(path),
            line=mark.line + 1 if mark is not None else None,
        ) from None
    if node is None:
        return {}, {}
    origins: dict[Path_, tuple[str, int]] = {}
    data = _to_data(node, (), str(path), origins)
    if not isinstance(data, dict):
        raise ProfileError("a profile must be a mapping of sections", file=str(path), line=1)
    return data, origins


def _to_data(node: yaml.Node, path: Path_, file: str, origins: dict[Path_, tuple[str, int]]) -> Any:
    origins[path] = (file, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = key_node.value
            if key == "<<":
                raise ProfileError(
                    "YAML merge keys are not supported; use extends",
                    file=file,
                    line=key_node.start_mark.line + 1,
                )
            if not isinstance(key, str):
                raise ProfileError(
                    "keys must be strings", file=file, line=key_node.start_mark.line + 1
                )
            if key in out:
                raise ProfileError(
                    "key appears twice in the same mapping",
                    file=file,
                    line=key_node.start_mark.line + 1,
                    key=_dotted((*path, key)),
                )
            out[key] = _to_data(value_node, (*path, key), file, origins)
            origins[(*path, key)] = (file, key_node.start_mark.line + 1)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_to_data(v, (*path, i), file, origins) for i, v in enumerate(node.value)]
    return _SCALARS.construct_object(node, deep=True)


def _substitute(raw: RawProfile, data: Any, path: Path_, env: Mapping[str, str]) -> Any:
    if isinstance(data, dict):
        for key, value in data.items():
            data[key] = _substitute(raw, value, (*path, key), env)
        return data
    if isinstance(data, list):
        for i, value in enumerate(data):
            data[i] = _substitute(raw, value, (*path, i), env)
        return data
    if not isinstance(data, str) or "${" not in data:
        return data

    secret_path = _is_secret_field(path)

    def replace(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        value = env.get(name)
        if value is None:
            if default is None:
                file, line = raw.where(path)
                raise ProfileError(
                    f"environment variable {name} is not set (use ${{{name}:-default}} "
                    "for an optional value)",
                    file=file,
                    line=line,
                    key=_dotted(path),
                )
            value = default
        if secret_path and value:
            raw.secrets.add(value)
        return value

    return _VAR.sub(replace, data)


def _is_secret_field(path: Path_) -> bool:
    """Credential fields: their values from the environment are masked in every output.

    A field is one when its name says so (password, token, …) or it sits under an
    ``auth`` map (except the user name); file paths and public keys are not secrets.
    """
    names = [p.lower() for p in path if isinstance(p, str)]
    if not names:
        return False
    field = names[-1]
    if field.endswith(_NOT_SECRET_SUFFIXES) or "public" in field:
        return False
    if any(word in field for word in _SECRET_WORDS):
        return True
    return "auth" in names[:-1] and field not in ("username", "user")


def _dotted(path: Path_) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else p)
    return out


dotted = _dotted
