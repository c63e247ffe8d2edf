"""Schema errors as profile problems: file, line, key, why, and the values that are valid."""

from __future__ import annotations

import types
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from readiness.errors import ProfileError
from readiness.profile.loader import Path_, RawProfile, dotted
from readiness.profile.loader import _is_secret_field as is_secret_field
from readiness.redact import mask_urls

MAX_LISTED_KEYS = 40


def schema_problems(
    raw: RawProfile, exc: ValidationError, root: type[BaseModel]
) -> list[ProfileError]:
    """One problem per pydantic error, in file order."""
    problems = [_problem(raw, error, root) for error in exc.errors()]
    return sorted(problems, key=lambda p: (p.file, p.line or 0))


def _problem(raw: RawProfile, error: ErrorDetails, root: type[BaseModel]) -> ProfileError:
    loc = tuple(error["loc"])
    data_path = _data_path(raw.data, loc, error["type"])
    file, line = raw.where(data_path)
    kind = error["type"]
    if kind == "extra_forbidden":
        message = "unknown key (not in the profile schema; check its spelling)"
        valid = valid_keys(root, data_path[:-1])
        if valid:
            message += f"; valid keys here: {_listed(valid)}"
    elif kind == "missing":
        message = "required key is missing"
    else:
        message = error["msg"]
        if (
            "input" in error
            and not isinstance(error["input"], dict | list)
            and not is_secret_field(data_path)  # a refused credential is not echoed
        ):
            message = f"{message} (got {mask_urls(repr(error['input']))})"
    return ProfileError(message, file=file, line=line, key=dotted(data_path))


def _data_path(data: object, loc: tuple[str | int, ...], kind: str) -> Path_:
    """pydantic adds union members and validator names to ``loc``: keep the data path."""
    path: list[str | int] = []
    node = data
    for part in loc:
        if _has_child(node, part):
            path.append(part)
            node = node[part]  # type: ignore[index]
        elif kind in ("extra_forbidden", "missing") and part == loc[-1]:
            path.append(part)
    return tuple(path)


def _has_child(node: object, part: str | int) -> bool:
    if isinstance(node, dict):
        return part in node
    return isinstance(node, list) and isinstance(part, int) and part < len(node)


def _listed(keys: list[str]) -> str:
    shown = ", ".join(keys[:MAX_LISTED_KEYS])
    return shown + (f", … ({len(keys)} in all)" if len(keys) > MAX_LISTED_KEYS else "")


def valid_keys(root: type[BaseModel], path: Path_) -> list[str]:
    """The keys the schema accepts in the mapping at ``path`` (empty when unknown)."""
    model = model_at(root, path)
    if model is None:
        return []
    return sorted(field.alias or name for name, field in model.model_fields.items())


def model_at(root: type[BaseModel], path: Path_) -> type[BaseModel] | None:
    annotation: Any = root
    for part in path:
        annotation = _step(annotation, part)
        if annotation is None:
            return None
    models = [m for m in union_members(annotation) if _is_model(m)]
    return models[0] if len(models) == 1 else None


def _step(annotation: Any, part: str | int) -> Any:
    for member in union_members(annotation):
        if _is_model(member) and isinstance(part, str):
            for name, field in member.model_fields.items():
                if part in (name, field.alias):
                    return field.annotation
        origin = get_origin(member)
        if origin is list and isinstance(part, int):
            return get_args(member)[0]
        if origin is dict and isinstance(part, str):
            return get_args(member)[1]
    return None


def union_members(annotation: Any) -> list[Any]:
    """The members of a union (``X | None`` included), flattened; else the type itself."""
    if get_origin(annotation) in (Union, types.UnionType):
        return [m for arg in get_args(annotation) for m in union_members(arg)]
    return [annotation]


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)
