"""Keep secrets out of every output: replace known secret values with a mask."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any

MASK = "***"


class Redactor:
    def __init__(self, secrets: Iterable[str]):
        # Longest first, so a secret containing another is masked whole.
        self._secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def text(self, value: str) -> str:
        for secret in self._secrets:
            value = value.replace(secret, MASK)
        return value

    def data(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.text(str(k)): self.data(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.data(v) for v in value]
        return value


@lru_cache(maxsize=8)
def redactor_for(secrets: frozenset[str]) -> Redactor:
    """One redactor per set of secrets (a run has one)."""
    return Redactor(secrets)
