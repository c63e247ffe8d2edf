"""Evidence snapshots: record every read of a run, replay a run from them without network.

Sources call :func:`through` at their one read point (the request helper, the HTTP
probes, the Kubernetes LISTs, the file reader): with no snapshot active it simply reads;
recording, it reads and keeps the answer (or the error); replaying, it answers from the
snapshot and never reads — a read the snapshot does not hold is an error naming it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import threading
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from readiness.errors import OnceCache, SourceError
from readiness.redact import MASK, Redactor
from readiness.safeload import SafeLoadError
from readiness.snapshot.codec import decode, encode

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Item:
    """One read: what was asked, of which source, when, and what came back."""

    kind: str  # http | http-probe | kubernetes | file
    source: str
    request: str  # the redacted request (URL, path, LIST)
    time: str
    status: str  # "ok" or "error"
    value: Any  # the encoded answer (or error)

    @property
    def key(self) -> str:
        return item_key(self.kind, self.request)

    def payload(self) -> bytes:
        return json.dumps(self.value, sort_keys=True, separators=(",", ":")).encode()


def item_key(kind: str, request: str) -> str:
    return hashlib.sha256(f"{kind}\n{request}".encode()).hexdigest()


_USERINFO = re.compile(r"(?<=://)[^/@\s\"']+@")
#: Pagination cursors (S3's continuation-token, page tokens) name a page, not a
#: credential: masked, every page of a listing would be one request in the snapshot.
_CURSOR = r"(?:continuation-token|(?:next[_-]?)?page[_-]?token|next[_-]?token)="
_SECRET_PARAM = re.compile(
    rf"(?i)([?&](?!{_CURSOR})(?:[a-z_-]*(?:token|secret|password|passwd|apikey|api_key|auth|"
    r"signature|sig|credential|session)[a-z_-]*)=)[^&\s\"']*"
)


_TOKEN_FIELD = re.compile(r'("(?:access_token|refresh_token|id_token|token)"\s*:\s*")[^"]*(")')


def clean(text: str, redactor: Redactor) -> str:
    """A request or answer as a snapshot stores it: the profile's secrets, URL user-info
    and credential-named query values masked; other query values kept (they are the
    request: a PromQL query, a label selector)."""
    text = _USERINFO.sub(f"{MASK}@", text)
    text = _SECRET_PARAM.sub(rf"\1{MASK}", text)
    text = _TOKEN_FIELD.sub(rf"\1{MASK}\2", text)
    return redactor.known(text)


def clean_data(value: Any, redactor: Redactor) -> Any:
    if isinstance(value, str):
        return clean(value, redactor)
    if isinstance(value, dict):
        return {k: clean_data(v, redactor) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_data(v, redactor) for v in value]
    return value


def request_text(key: Hashable, redactor: Redactor) -> str:
    return clean(json.dumps(encode(key), sort_keys=True), redactor)


@dataclass
class Recorder:
    redactor: Redactor
    items: dict[str, Item] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def keep(self, kind: str, source: str, key: Hashable, answer: Any, ok: bool) -> None:
        request = request_text(key, self.redactor)
        value = clean_data(encode(answer), self.redactor)
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        item = Item(kind, source, request, now, "ok" if ok else "error", value)
        with self._lock:
            self.items.setdefault(item.key, item)


@dataclass
class Replayer:
    redactor: Redactor
    items: dict[str, Item]
    missing: list[str] = field(default_factory=list)

    def answer(self, kind: str, source: str, key: Hashable) -> Any:
        request = request_text(key, self.redactor)
        item = self.items.get(item_key(kind, request))
        if item is None:
            self.missing.append(f"{kind} {request}")
            raise SourceError(source, f"replay: the snapshot holds no {kind} answer for {request}")
        value = decode(item.value)
        if item.status == "error":
            if isinstance(value, SourceError | SafeLoadError):
                raise value
            raise SourceError(source, str(value))
        return value


_active: Recorder | Replayer | None = None


def active() -> Recorder | Replayer | None:
    return _active


def activate(mode: Recorder | Replayer | None) -> None:
    global _active
    _active = mode


@contextmanager
def using(mode: Recorder | Replayer) -> Iterator[None]:
    previous = _active
    activate(mode)
    try:
        yield
    finally:
        activate(previous)


def through(kind: str, source: str, key: Hashable, read: Callable[[], T]) -> T:
    """``read()`` — kept when recording, answered from the snapshot when replaying."""
    mode = _active
    if mode is None:
        return read()
    if isinstance(mode, Replayer):
        value: T = mode.answer(kind, source, key)
        return value
    try:
        answer = read()
    except (SourceError, SafeLoadError) as exc:
        mode.keep(kind, source, key, exc, ok=False)
        raise
    mode.keep(kind, source, key, answer, ok=True)
    return answer


class RecordedCache(OnceCache):
    """A run cache whose computed answers pass :func:`through` the active snapshot."""

    def __init__(self, kind: str, source: str) -> None:
        super().__init__()
        self.kind = kind
        self.source = source

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        return super().get(key, lambda: through(self.kind, self.source, key, compute))
