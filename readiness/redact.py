"""Keep secrets out of every output, by structure rather than by search-and-replace.

* :func:`safe_url` parses a URL and masks its user-info and every query value, wherever a
  URL is shown or stored.
* :class:`Redactor` masks known secret values inside the *values* it is given at the
  point they are emitted (messages, evidence, captured output): never keys, never the
  report's own fixed text. A short secret (under :data:`MIN_SECRET`) is masked only where
  a value equals it whole, so a secret such as ``2`` cannot rewrite ``"schema"``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

MASK = "***"
MIN_SECRET = 6  # credential fields refuse shorter values; shorter ones mask only whole

_URL = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s'\"<>]+")


def safe_url(url: str) -> str:
    """``url`` with user-info and query values masked; anything unparsable left alone."""
    try:
        parts = urlsplit(url)
        netloc = parts.netloc
        if "@" in netloc:
            netloc = f"{MASK}@{netloc.rsplit('@', 1)[1]}"
        query = parts.query
        if query:
            pairs = parse_qsl(query, keep_blank_values=True)
            query = "&".join(f"{quote(k, safe='')}={MASK}" for k, _ in pairs) or MASK
        if netloc == parts.netloc and query == parts.query:
            return url
        return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
    except ValueError:
        return url


def mask_urls(text: str) -> str:
    """Every URL found in a message value, through :func:`safe_url`."""
    if "://" not in text:
        return text
    masked = _masked_urls(text)
    return text if masked == text else masked  # the caller's own text when nothing changed


@lru_cache(maxsize=8192)  # the same URLs recur in every check of a target
def _masked_urls(text: str) -> str:
    return _URL.sub(lambda m: safe_url(m.group(0)), text)


class Redactor:
    def __init__(self, secrets: Iterable[str]):
        values = {s for s in secrets if s}
        # Longest first, so a secret containing another is masked whole.
        self._long = sorted((s for s in values if len(s) >= MIN_SECRET), key=len, reverse=True)
        self._short = frozenset(s for s in values if len(s) < MIN_SECRET)

    def text(self, value: str) -> str:
        """One emitted value: URLs made safe, known secrets masked."""
        return self.known(mask_urls(value))

    def known(self, value: str) -> str:
        """Only the profile's own secret values masked (URLs left as they are)."""
        if value in self._short:
            return MASK
        for secret in self._long:
            value = value.replace(secret, MASK)
        return value

    def data(self, value: Any) -> Any:
        """``value`` as JSON data with every string value masked, in one pass: what
        ``json.loads(json.dumps(value, default=str))`` holds (tuples become lists, keys
        strings, other objects their ``str``), masked. Keys are never masked. Parts that
        are already plain JSON data and have nothing to mask are returned as they are,
        not copied: a report holds each shared piece of evidence once."""
        kind = type(value)
        if kind is str:
            return self.text(value)
        if value is None or kind is bool or kind is int or kind is float:
            return value
        if kind is dict:
            return self._mapping(value, copy=False)
        if kind is list:
            return self._sequence(value, copy=False)
        if isinstance(value, str):
            return self.text(str.__str__(value))
        if isinstance(value, bool):
            return bool(value)
        if isinstance(value, int):
            return int(value)
        if isinstance(value, float):
            return float(value)
        if isinstance(value, dict):
            return self._mapping(value, copy=True)
        if isinstance(value, list | tuple):
            return self._sequence(value, copy=True)
        return self.text(str(value))

    def _mapping(self, value: dict[Any, Any], *, copy: bool) -> dict[str, Any]:
        changed = copy
        items = []
        text = self.text
        for key, item in value.items():
            kind = type(item)  # the common kinds inline: called for every value of a report
            if kind is str:
                masked = text(item)
            elif item is None or kind is int or kind is float or kind is bool:
                masked = item
            else:
                masked = self.data(item)
            if type(key) is not str:
                key = _json_key(key)
                changed = True
            elif masked is not item:
                changed = True
            items.append((key, masked))
        return dict(items) if changed else value

    def _sequence(self, value: list[Any] | tuple[Any, ...], *, copy: bool) -> list[Any]:
        data, text = self.data, self.text
        items = [text(v) if type(v) is str else data(v) for v in value]
        if copy:
            return items
        for a, b in zip(items, value, strict=True):
            if a is not b:
                return items
        return value  # type: ignore[return-value]  # a list whose items all stayed


def _json_key(key: Any) -> str:
    """A dict key as JSON writes it (``json.dumps`` accepts these kinds only)."""
    if isinstance(key, str):
        return str.__str__(key)
    if key is True or key is False:
        return "true" if key else "false"
    if key is None:
        return "null"
    if isinstance(key, int):
        return int.__repr__(key)
    if isinstance(key, float):
        return json.dumps(float(key))
    raise TypeError(f"keys must be str, int, float, bool or None, not {type(key).__name__}")
