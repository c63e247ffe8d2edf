"""Evidence to JSON and back, without pickle: a snapshot may come from anywhere.

Plain JSON values pass as they are; bytes, tuples, datetimes, the project's own frozen
dataclasses and source errors are tagged objects. Only dataclasses defined in the
``readiness`` package are rebuilt, so loading a snapshot never imports or runs other code.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import importlib
from pathlib import Path, PurePath
from typing import Any

from readiness.errors import SourceError
from readiness.safeload import SafeLoadError


class CodecError(ValueError):
    """A value that cannot be stored in, or rebuilt from, a snapshot."""


def encode(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, bytes):
        try:
            return {"$s": value.decode("utf-8")}
        except UnicodeDecodeError:
            return {"$b": base64.b64encode(value).decode()}
    if isinstance(value, tuple):
        return {"$t": [encode(v) for v in value]}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value):
            return {"$d": {k: encode(v) for k, v in value.items()}}
        return {"$m": [[encode(k), encode(v)] for k, v in value.items()]}
    if isinstance(value, dt.datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, PurePath):
        return {"$p": str(value)}
    if isinstance(value, SourceError):
        return {"$err": [value.target, value.reason]}
    if isinstance(value, SafeLoadError):
        return {"$serr": [value.source, value.reason, value.line, value.problem]}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        cls = type(value)
        if not cls.__module__.startswith("readiness."):
            raise CodecError(f"{cls.__qualname__} is not evidence of this project")
        fields = {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"$dc": f"{cls.__module__}:{cls.__qualname__}", "f": fields}
    raise CodecError(f"{type(value).__name__} cannot be stored in a snapshot")


def decode(data: Any) -> Any:
    if data is None or isinstance(data, bool | int | float | str):
        return data
    if isinstance(data, list):
        return [decode(v) for v in data]
    if not isinstance(data, dict) or len(data) not in (1, 2):
        raise CodecError("not a snapshot value")
    if "$b" in data:
        return base64.b64decode(data["$b"])
    if "$s" in data:
        return str(data["$s"]).encode("utf-8")
    if "$t" in data:
        return tuple(decode(v) for v in data["$t"])
    if "$d" in data:
        return {k: decode(v) for k, v in data["$d"].items()}
    if "$m" in data:
        return {decode(k): decode(v) for k, v in data["$m"]}
    if "$dt" in data:
        return dt.datetime.fromisoformat(data["$dt"])
    if "$p" in data:
        return Path(str(data["$p"]))
    if "$err" in data:
        target, reason = data["$err"]
        return SourceError(str(target), str(reason))
    if "$serr" in data:
        source, reason, line, problem = data["$serr"]
        return SafeLoadError(str(source), str(reason), line, str(problem))
    if "$dc" in data:
        return _dataclass(str(data["$dc"]), data.get("f", {}))
    raise CodecError("not a snapshot value")


def _dataclass(name: str, fields: dict[str, Any]) -> Any:
    module_name, _, qualname = name.partition(":")
    if not module_name.startswith("readiness.") or not qualname.isidentifier():
        raise CodecError(f"{name} is not evidence of this project")
    cls = getattr(importlib.import_module(module_name), qualname, None)
    if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
        raise CodecError(f"{name} is not an evidence type")
    return cls(**{k: decode(v) for k, v in fields.items()})
