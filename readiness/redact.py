"""Keep secrets out of every output, by structure rather than by search-and-replace.

* :func:`safe_url` parses a URL and masks its user-info and every query value, wherever a
  URL is shown or stored.
* :class:`Redactor` masks known secret values inside the *values* it is given at the
  point they are emitted (messages, evidence, captured output): never keys, never the
  report's own fixed text. A short secret (under :data:`MIN_SECRET`) is masked only where
  a value equals it whole, so a secret such as ``2`` cannot rewrite ``"schema"``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
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
        """Values of a structure masked; keys kept as they are."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {k: self.data(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.data(v) for v in value]
        return value
