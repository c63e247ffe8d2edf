"""Read profile YAML: line numbers kept, ``extends`` merged, ``${VAR}`` substituted.

Merging: maps merge key by key (the extending profile wins), lists and scalars replace.
Every value remembers the file and line it came from, so a schema error can name them.

``extends`` names a file next to the extending one (``base``, ``base.yaml``,
``../shared/team.yaml``), else a bundled profile of the same name; ``readiness:NAME``
always names the bundled one; ``none`` starts from nothing. A profile without
``extends`` gets the bundled base's practices, so leaving it out never weakens the gate.
The bundled base gives only practices, never its own environment or description.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from readiness import safeload
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
BUNDLED_PREFIX = "readiness:"
NO_PARENT = "none"
BASE = "base"
#: What a profile names itself; the bundled base contributes only its practices.
_IDENTITY_KEYS = ("environment", "description")
PROFILE_LIMITS = safeload.Limits(max_bytes=4 * safeload.MIB)
_SCALARS = yaml.SafeLoader("")  # constructs scalars with YAML's standard resolvers


@dataclass(slots=True)
class RawProfile:
    """Plain data from one or more YAML files, with where each value came from."""

    data: dict[str, Any]
    origins: dict[Path_, tuple[str, int]] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    secrets: set[str] = field(default_factory=set)
    #: The environment variables each substituted value was built from.
    env_vars: dict[Path_, tuple[str, ...]] = field(default_factory=dict)

    def where(self, path: Path_) -> tuple[str, int | None]:
        """The file and line of the value at ``path``, or of its nearest ancestor."""
        for n in range(len(path), -1, -1):
            origin = self.origins.get(path[:n])
            if origin:
                return origin
        return (str(self.files[-1]) if self.files else "", None)

    def own_sections(self) -> frozenset[str]:
        """Top-level keys set in a file that is not a bundled profile."""
        bundled = bundled_profiles_dir()
        return frozenset(
            str(path[0])
            for path, (file, _) in self.origins.items()
            if len(path) >= 1 and not Path(file).is_relative_to(bundled)
        )

    def sha256(self) -> str:
        digest = hashlib.sha256()
        for f in self.files:
            digest.update(f.read_bytes())
        return digest.hexdigest()


def bundled_profiles_dir() -> Path:
    """The profiles shipped inside the package (``profiles/`` in the repository)."""
    return Path(str(resources.files("readiness.bundled_profiles"))).resolve()


def bundled_profile_names() -> list[str]:
    return sorted(p.stem for p in bundled_profiles_dir().glob("*.yaml"))


def read_profile(path: Path, env: Mapping[str, str]) -> RawProfile:
    raw = _read_with_extends(path.resolve(), depth=0, seen=())
    problems: list[ProfileError] = []
    _substitute(raw, raw.data, (), env, problems)
    if problems:
        raise ProfileError.of(problems)
    return raw


def _read_with_extends(path: Path, depth: int, seen: tuple[Path, ...]) -> RawProfile:
    if path in seen:
        chain = " -> ".join(str(p) for p in (*seen, path))
        raise ProfileError(f"extends forms a cycle: {chain}", file=str(path), key="extends")
    if depth > MAX_EXTENDS_DEPTH:
        raise ProfileError("extends is nested too deeply", file=str(path), key="extends")
    data, origins = _read_yaml(path)
    parent_name = data.pop("extends", None)
    line = origins.get(("extends",), (str(path), 0))[1]
    if parent_name is not None and not isinstance(parent_name, str):
        raise ProfileError(
            "extends must name a profile: a file, a bundled name such as 'base' or "
            f"'readiness:base', or 'none' (bundled: {', '.join(bundled_profile_names())})",
            file=str(path),
            line=line,
            key="extends",
        )
    if parent_name is None and path == bundled_profiles_dir() / f"{BASE}.yaml":
        return RawProfile(data, origins, [path])
    parent_path = _parent_path(path, BASE if parent_name is None else parent_name, line)
    if parent_path is None:
        return RawProfile(data, origins, [path])
    base = _read_with_extends(parent_path, depth + 1, (*seen, path))
    if parent_path == bundled_profiles_dir() / f"{BASE}.yaml":
        for key in _IDENTITY_KEYS:
            base.data.pop(key, None)
            base.origins.pop((key,), None)
    merged_origins = dict(base.origins)
    merged_origins.pop((), None)  # the profile as a whole is the extending file
    merged = _merge(base.data, data, (), origins, merged_origins)
    return RawProfile(merged, merged_origins, [*base.files, path])


def _parent_path(path: Path, name: str, line: int) -> Path | None:
    """The file ``extends: name`` in ``path`` means, or None for ``extends: none``."""
    if name.strip().lower() == NO_PARENT:
        return None
    bundled_name = name.removeprefix(BUNDLED_PREFIX)
    candidates: list[Path] = []
    if not name.startswith(BUNDLED_PREFIX):
        local = (path.parent / name).resolve()
        candidates += [local] if local.suffix else [local.with_suffix(".yaml"), local]
    if "/" not in bundled_name:
        stem = bundled_name.removesuffix(".yaml").removesuffix(".yml")
        candidates.append(bundled_profiles_dir() / f"{stem}.yaml")
    for candidate in candidates:
        # A profile named like the bundled one it extends (profiles/base.yaml with
        # ``extends: base``) means the bundled one, not itself.
        if candidate.is_file() and candidate != path:
            return candidate
    tried = " or ".join(str(c) for c in candidates)
    raise ProfileError(
        f"extends names {name!r}, but {tried} does not exist (a file relative to this "
        f"profile, a bundled profile: {', '.join(bundled_profile_names())}, "
        "'readiness:NAME' for a bundled one, or 'none')",
        file=str(path),
        line=line,
        key="extends",
    )


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
        node = safeload.compose(safeload.read_text(path, limits=PROFILE_LIMITS), str(path))
    except safeload.SafeLoadError as exc:
        raise ProfileError(exc.reason, file=str(path), line=exc.line) from None
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


def _substitute(
    raw: RawProfile,
    data: Any,
    path: Path_,
    env: Mapping[str, str],
    problems: list[ProfileError],
) -> Any:
    if isinstance(data, dict):
        for key, value in data.items():
            data[key] = _substitute(raw, value, (*path, key), env, problems)
        return data
    if isinstance(data, list):
        for i, value in enumerate(data):
            data[i] = _substitute(raw, value, (*path, i), env, problems)
        return data
    if not isinstance(data, str) or "${" not in data:
        return data

    secret_path = _is_secret_field(path)
    used: list[str] = []

    def replace(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        value = env.get(name)
        used.append(name if value is not None else f"{name} (unset: default)")
        if value is None:
            if default is None:
                file, line = raw.where(path)
                problems.append(
                    ProfileError(
                        f"environment variable {name} is not set (use ${{{name}:-default}} "
                        "for an optional value)",
                        file=file,
                        line=line,
                        key=_dotted(path),
                    )
                )
                return ""
            value = default
        if secret_path and value:
            raw.secrets.add(value)
        return value

    result = _VAR.sub(replace, data)
    raw.env_vars[path] = tuple(used)
    return result


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
is_secret_field = _is_secret_field
