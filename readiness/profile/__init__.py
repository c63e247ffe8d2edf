"""Load and validate profiles: ``load_profile("production")`` or a path to any YAML file.

``--profile NAME`` (a name, not a path) is looked up in this order, first match wins:
``./profiles/NAME.yaml``; each directory of ``READINESS_PROFILE_PATH`` (separated by
``:``); each directory of ``profile_path`` under ``[tool.readiness]`` in the nearest
``pyproject.toml`` (relative to that file); the profiles bundled with readiness.
``readiness:NAME`` always means the bundled one.
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path

from pydantic import ValidationError

from readiness.controls import catalogue
from readiness.errors import ProfileError
from readiness.profile.common import PROFILE_CONTEXT
from readiness.profile.loader import (
    BUNDLED_PREFIX,
    RawProfile,
    bundled_profile_names,
    bundled_profiles_dir,
    dotted,
    read_profile,
)
from readiness.profile.model import Profile
from readiness.profile.problems import schema_problems

__all__ = [
    "Profile",
    "bundled_profiles_dir",
    "load_profile",
    "load_raw",
    "profile_search_path",
    "resolve_profile_path",
]

PATH_ENV = "READINESS_PROFILE_PATH"


def profile_search_path(cwd: Path, env: Mapping[str, str]) -> list[Path]:
    """Where ``--profile NAME`` is looked for, in order."""
    folders = [cwd / "profiles"]
    folders += [Path(p).expanduser() for p in env.get(PATH_ENV, "").split(os.pathsep) if p]
    folders += _pyproject_folders(cwd)
    folders.append(bundled_profiles_dir())
    return folders


def _pyproject_folders(cwd: Path) -> list[Path]:
    for folder in (cwd, *cwd.parents):
        pyproject = folder / "pyproject.toml"
        if not pyproject.is_file():
            continue
        try:
            data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ProfileError(
                f"cannot read [tool.readiness]: {exc}", file=str(pyproject)
            ) from None
        setting = data.get("tool", {}).get("readiness", {}).get("profile_path", [])
        paths = [setting] if isinstance(setting, str) else setting
        if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
            raise ProfileError(
                "profile_path must be a directory or a list of directories",
                file=str(pyproject),
                key="tool.readiness.profile_path",
            )
        return [folder / p for p in paths]
    return []


def resolve_profile_path(
    name_or_path: str, cwd: Path | None = None, env: Mapping[str, str] | None = None
) -> Path:
    """A path if it names a file; else the first ``NAME.yaml`` on the search path."""
    cwd = cwd or Path.cwd()
    env = os.environ if env is None else env
    if name_or_path.startswith(BUNDLED_PREFIX):
        folders = [bundled_profiles_dir()]
        name = name_or_path.removeprefix(BUNDLED_PREFIX)
    else:
        candidate = Path(name_or_path).expanduser()
        if candidate.suffix in (".yaml", ".yml") or os.sep in name_or_path:
            path = candidate if candidate.is_absolute() else cwd / candidate
            if not path.is_file():
                raise ProfileError("profile file not found", file=str(path))
            return path
        folders = profile_search_path(cwd, env)
        name = name_or_path
    for folder in folders:
        for suffix in (".yaml", ".yml"):
            path = folder / f"{name}{suffix}"
            if path.is_file():
                return path
    raise ProfileError(
        f"no profile named {name!r} in {', '.join(str(f) for f in folders)} "
        f"(bundled: {', '.join(bundled_profile_names())}; or give a path to a YAML file)"
    )


def load_raw(
    name_or_path: str, env: Mapping[str, str] | None = None, cwd: Path | None = None
) -> tuple[Path, RawProfile]:
    """The merged, substituted data of a profile with the origin of every value."""
    env = os.environ if env is None else env
    path = resolve_profile_path(name_or_path, cwd, env)
    return path, read_profile(path, env)


def load_profile(
    name_or_path: str,
    env: Mapping[str, str] | None = None,
    today: dt.date | None = None,
    cwd: Path | None = None,
) -> Profile:
    path, raw = load_raw(name_or_path, env, cwd)
    try:
        profile = Profile.model_validate(raw.data, context=PROFILE_CONTEXT)
    except ValidationError as exc:
        problems = schema_problems(raw, exc, Profile)
        raise ProfileError.of(problems + _control_problems(raw, None, today)) from None
    problems = _control_problems(raw, profile, today)
    if problems:
        raise ProfileError.of(problems)
    profile._name = path.stem
    profile._path = str(path)
    profile._sha256 = raw.sha256()
    profile._secrets = frozenset(raw.secrets)
    profile._own_sections = raw.own_sections()
    return profile


def _control_problems(
    raw: RawProfile, profile: Profile | None, today: dt.date | None
) -> list[ProfileError]:
    """Control ids the catalogue does not know, and waivers that reach too far ahead."""
    known = catalogue()
    problems: list[ProfileError] = []

    def unknown(control_id: object, path: tuple[str | int, ...], what: str) -> None:
        if not isinstance(control_id, str) or control_id in known:
            return
        close = difflib.get_close_matches(control_id, list(known), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        file, line = raw.where(path)
        problems.append(
            ProfileError(
                f"{what} {control_id!r}{hint} (`readiness controls` lists the catalogue)",
                file=file,
                line=line,
                key=dotted(path),
            )
        )

    families = raw.data.get("families")
    known_families = sorted({c.family for c in known.values()})
    for family in families if isinstance(families, dict) else ():
        if family not in known_families:
            file, line = raw.where(("families", family))
            problems.append(
                ProfileError(
                    f"unknown family {family!r}; valid: {', '.join(known_families)}",
                    file=file,
                    line=line,
                    key=f"families.{family}",
                )
            )
    controls = raw.data.get("controls")
    for control_id in controls if isinstance(controls, dict) else ():
        unknown(control_id, ("controls", control_id), "unknown control")
    waivers = raw.data.get("waivers")
    for i, waiver in enumerate(waivers if isinstance(waivers, list) else ()):
        if isinstance(waiver, dict):
            unknown(
                waiver.get("control"), ("waivers", i, "control"), "waiver names unknown control"
            )
    if profile is None:
        return problems
    limit = (today or dt.date.today()) + dt.timedelta(days=profile.gate.max_waiver_days)
    for i, w in enumerate(profile.waivers):
        if w.expires > limit:
            file, line = raw.where(("waivers", i, "expires"))
            problems.append(
                ProfileError(
                    f"waiver expires on {w.expires}, more than "
                    f"{profile.gate.max_waiver_days} days ahead (latest allowed: {limit})",
                    file=file,
                    line=line,
                    key=f"waivers[{i}].expires",
                )
            )
    return problems
