"""Load and validate profiles: ``load_profile("production")`` or a path to any YAML file."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from importlib import resources
from pathlib import Path

from pydantic import ValidationError

from readiness.controls import catalogue
from readiness.errors import ProfileError
from readiness.profile.common import PROFILE_CONTEXT
from readiness.profile.loader import RawProfile, dotted, read_profile
from readiness.profile.loader import _is_secret_field as is_secret_field
from readiness.profile.model import Profile

__all__ = ["Profile", "bundled_profiles_dir", "load_profile", "resolve_profile_path"]


def bundled_profiles_dir() -> Path:
    return Path(str(resources.files("readiness.bundled_profiles")))


def resolve_profile_path(name_or_path: str, cwd: Path | None = None) -> Path:
    """A path if it names a file; else ``profiles/NAME.yaml`` here, then the bundled one."""
    cwd = cwd or Path.cwd()
    candidate = Path(name_or_path)
    if candidate.suffix in (".yaml", ".yml") or os.sep in name_or_path:
        path = candidate if candidate.is_absolute() else cwd / candidate
        if not path.is_file():
            raise ProfileError("profile file not found", file=str(path))
        return path
    for folder in (cwd / "profiles", bundled_profiles_dir()):
        path = folder / f"{name_or_path}.yaml"
        if path.is_file():
            return path
    raise ProfileError(
        f"no profile named {name_or_path!r} in {cwd / 'profiles'} or the bundled profiles"
    )


def load_profile(
    name_or_path: str,
    env: Mapping[str, str] | None = None,
    today: dt.date | None = None,
    cwd: Path | None = None,
) -> Profile:
    path = resolve_profile_path(name_or_path, cwd)
    raw = read_profile(path, os.environ if env is None else env)
    try:
        profile = Profile.model_validate(raw.data, context=PROFILE_CONTEXT)
    except ValidationError as exc:
        raise _profile_error(raw, exc) from None
    _check_controls(profile, raw, today or dt.date.today())
    profile._name = path.stem
    profile._path = str(path)
    profile._sha256 = raw.sha256()
    profile._secrets = frozenset(raw.secrets)
    return profile


def _profile_error(raw: RawProfile, exc: ValidationError) -> ProfileError:
    first = exc.errors()[0]
    loc = tuple(first["loc"])
    # pydantic adds the union member or validator name to loc; keep the data path.
    data_path: list[str | int] = []
    node: object = raw.data
    for part in loc:
        if _has_child(node, part):
            data_path.append(part)
            node = node[part]  # type: ignore[index]
        elif first["type"] in ("extra_forbidden", "missing") and part == loc[-1]:
            data_path.append(part)
    file, line = raw.where(tuple(data_path))
    message = first["msg"]
    if first["type"] == "extra_forbidden":
        message = "unknown key (not in the profile schema; check its spelling)"
    elif first["type"] == "missing":
        message = "required key is missing"
    elif (
        "input" in first
        and not isinstance(first["input"], dict | list)
        and not is_secret_field(tuple(data_path))  # a refused credential is not echoed
    ):
        message = f"{message} (got {first['input']!r})"
    count = len(exc.errors())
    if count > 1:
        message += f" (and {count - 1} more problem{'s' if count > 2 else ''})"
    return ProfileError(message, file=file, line=line, key=dotted(tuple(data_path)))


def _has_child(node: object, part: str | int) -> bool:
    if isinstance(node, dict):
        return part in node
    return isinstance(node, list) and isinstance(part, int) and part < len(node)


def _check_controls(profile: Profile, raw: RawProfile, today: dt.date) -> None:
    known = catalogue()
    for control_id in profile.controls:
        if control_id not in known:
            file, line = raw.where(("controls", control_id))
            raise ProfileError(
                f"unknown control {control_id!r}; `readiness controls` lists the catalogue",
                file=file,
                line=line,
                key=f"controls.{control_id}",
            )
    limit = today + dt.timedelta(days=profile.gate.max_waiver_days)
    for i, waiver in enumerate(profile.waivers):
        if waiver.control not in known:
            file, line = raw.where(("waivers", i, "control"))
            raise ProfileError(
                f"waiver names unknown control {waiver.control!r}",
                file=file,
                line=line,
                key=f"waivers[{i}].control",
            )
        if waiver.expires > limit:
            file, line = raw.where(("waivers", i, "expires"))
            raise ProfileError(
                f"waiver expires on {waiver.expires}, more than "
                f"{profile.gate.max_waiver_days} days ahead (latest allowed: {limit})",
                file=file,
                line=line,
                key=f"waivers[{i}].expires",
            )
