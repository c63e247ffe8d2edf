"""The few exceptions readiness raises, each with an actionable message."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import Future
from typing import Any, NoReturn, TypeVar

T = TypeVar("T")


class ReadinessError(Exception):
    """Base of every error readiness raises on purpose."""


class ProfileError(ReadinessError):
    """A profile is broken: names the file, line and key. Stops the run (exit 4)."""

    def __init__(self, message: str, *, file: str = "", line: int | None = None, key: str = ""):
        self.file = file
        self.line = line
        self.key = key
        self.reason = message
        where = file
        if line is not None:
            where = f"{where}:{line}" if where else f"line {line}"
        parts = [p for p in (where, f"key '{key}'" if key else "") if p]
        prefix = ", ".join(parts)
        super().__init__(f"{prefix}: {message}" if prefix else message)
        #: Every problem found (this one alone unless built by ``of``).
        self.problems: tuple[ProfileError, ...] = (self,)

    @classmethod
    def of(cls, problems: Sequence[ProfileError]) -> ProfileError:
        """One error listing every problem, one per line; the first names file, line, key."""
        if len(problems) == 1:
            return problems[0]
        first = problems[0]
        listed = "\n".join(f"  {p}" for p in problems)
        err = cls(
            f"{len(problems)} problems in the profile:\n{listed}",
            file=first.file,
            line=first.line,
            key=first.key,
        )
        err.problems = tuple(problems)
        err.args = (f"{len(problems)} problems in the profile:\n{listed}",)
        return err


class SourceError(ReadinessError):
    """Evidence could not be gathered (target unreachable, bad data).

    A check that hits this ends as *error*, never as a pass or a plain failure.
    """

    def __init__(self, target: str, message: str):
        self.target = target
        self.reason = message
        super().__init__(f"{target}: {message}")


class ControlError(ReadinessError):
    """A check names a control that is not in the catalogue."""


class CachedError:
    """An error kept as data (its type, arguments and attributes), raised fresh each time.

    Raising one stored exception object again and again appends to its traceback at
    every raise, so each report grows and a run slows with the square of its errors.
    A cache of results keeps this instead, and every reader gets a new exception with
    a short traceback and the same type and message.
    """

    __slots__ = ("args", "attrs", "kind")

    def __init__(self, exc: BaseException):
        self.kind: type[BaseException] = type(exc)
        self.args: tuple[Any, ...] = exc.args
        self.attrs: dict[str, Any] = dict(getattr(exc, "__dict__", {}))

    def fresh(self) -> BaseException:
        """A new exception equal to the stored one (``__init__`` is not run again: some
        take other arguments than they keep in ``args``)."""
        exc = self.kind.__new__(self.kind, *self.args)
        exc.args = self.args
        exc.__dict__.update(self.attrs)
        return exc

    def reraise(self) -> NoReturn:
        raise self.fresh() from None

    def __str__(self) -> str:
        return str(self.fresh())

    def __repr__(self) -> str:
        return f"CachedError({self.kind.__name__}: {self})"


def raise_fresh(error: BaseException | CachedError) -> NoReturn:
    """Raise a stored error as a new exception (see :class:`CachedError`)."""
    cached = error if isinstance(error, CachedError) else CachedError(error)
    cached.reraise()


class OnceCache:
    """Results by key, computed once per run; concurrent callers of one key wait for the
    first. A failure is stored as a :class:`CachedError`: every caller gets it fresh."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._results: dict[Hashable, Future[Any]] = {}

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        with self._lock:
            future = self._results.get(key)
            owner = future is None
            if future is None:
                future = self._results[key] = Future()
        if owner:
            try:
                future.set_result(compute())
            except Exception as exc:
                future.set_result(CachedError(exc))
            except BaseException as exc:  # interrupted: waiters must not hang
                future.set_result(CachedError(exc))
                raise
        result = future.result()
        if isinstance(result, CachedError):
            result.reraise()
        value: T = result
        return value

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._results

    def put(self, key: Hashable, value: Any) -> None:
        """Store a result gathered elsewhere (e.g. prefetched); the first one wins."""
        with self._lock:
            if key not in self._results:
                future: Future[Any] = Future()
                future.set_result(CachedError(value) if isinstance(value, Exception) else value)
                self._results[key] = future
