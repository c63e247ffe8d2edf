"""Total deadlines for target reads: connect, every read and the body, together.

A socket timeout bounds one ``recv``; a server that dribbles a byte a second never trips
it. A :class:`Deadline` bounds the whole read instead: every socket opened or used while
:func:`guarded` is active is registered with one watchdog thread, which shuts the socket
down when the deadline passes, so whatever call is blocked on it returns at once. Callers
also shorten their per-call timeouts to :meth:`Deadline.timeout` and check
:meth:`Deadline.expired` between chunks of a streamed body.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

Clock = Callable[[], float]


class Deadline:
    """A point in monotonic time after which a read must stop."""

    __slots__ = ("_clock", "end", "seconds")

    def __init__(self, seconds: float, clock: Clock = time.monotonic):
        self.seconds = seconds
        self._clock = clock
        self.end = clock() + seconds

    def remaining(self) -> float:
        return self.end - self._clock()

    def expired(self) -> bool:
        return self.remaining() <= 0

    def timeout(self, base: float | None = None) -> float:
        """A per-call timeout that never outlasts the deadline (at least 1 ms)."""
        left = max(self.remaining(), 0.001)
        return left if base is None else min(base, left)


class _Watchdog:
    """One daemon thread that shuts down sockets whose deadline has passed."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int]] = []
        self._socks: dict[int, socket.socket] = {}
        self._ids = itertools.count()
        self._thread: threading.Thread | None = None
        self.aborted = False

    def abort(self) -> None:
        """The run is being interrupted: every watched socket now, every new one at once."""
        with self._cond:
            self.aborted = True
            socks = list(self._socks.values())
            self._socks.clear()
            self._heap.clear()
        for sock in socks:
            _shut(sock)

    def reset(self) -> None:
        with self._cond:
            self.aborted = False

    def watch(self, sock: socket.socket, end: float) -> int:
        with self._cond:  # checked under the lock: an abort cannot slip in between
            if self.aborted:
                _shut(sock)
            token = next(self._ids)
            self._socks[token] = sock
            heapq.heappush(self._heap, (end, token))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="readiness-deadlines", daemon=True
                )
                self._thread.start()
            self._cond.notify()
            return token

    def cancel(self, token: int) -> None:
        with self._cond:
            self._socks.pop(token, None)

    def _run(self) -> None:
        while True:
            with self._cond:
                while self._heap and self._heap[0][1] not in self._socks:
                    heapq.heappop(self._heap)  # cancelled
                if not self._heap:
                    self._cond.wait(30.0)
                    continue
                end, token = self._heap[0]
                wait = end - time.monotonic()
                if wait > 0:
                    self._cond.wait(wait)
                    continue
                heapq.heappop(self._heap)
                sock = self._socks.pop(token, None)
            if sock is not None:
                _shut(sock)


def _shut(sock: socket.socket) -> None:
    """Shut the file descriptor down (not the TLS layer), waking any blocked reader."""
    with contextlib.suppress(OSError):  # already closed: nothing is blocked on it
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


WATCHDOG = _Watchdog()


class _Scope:
    def __init__(self, deadline: Deadline):
        self.deadline = deadline
        self.tokens: dict[int, int] = {}


_local = threading.local()


@contextmanager
def guarded(deadline: Deadline) -> Iterator[Deadline]:
    """Every socket this thread opens or uses inside is shut down at ``deadline``."""
    outer: _Scope | None = getattr(_local, "scope", None)
    scope = _Scope(deadline)
    _local.scope = scope
    try:
        yield deadline
    finally:
        _local.scope = outer
        for token in scope.tokens.values():
            WATCHDOG.cancel(token)


def current() -> Deadline | None:
    scope: _Scope | None = getattr(_local, "scope", None)
    return scope.deadline if scope is not None else None


def guard(sock: socket.socket | None) -> None:
    """Register ``sock`` with this thread's deadline, if one is active."""
    scope: _Scope | None = getattr(_local, "scope", None)
    if scope is None or sock is None or id(sock) in scope.tokens:
        return
    scope.tokens[id(sock)] = WATCHDOG.watch(sock, scope.deadline.end)


# ------------------------------------------------------------- urllib3 / requests wiring


class _GuardedHTTPConnection(HTTPConnection):
    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        guard(sock)  # before any TLS handshake: a silent handshake is bounded too
        return sock

    def request(self, *args: Any, **kwargs: Any) -> None:
        guard(self.sock)  # a pooled connection reused under a new deadline
        super().request(*args, **kwargs)


class _GuardedHTTPSConnection(HTTPSConnection):
    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        guard(sock)
        return sock

    def request(self, *args: Any, **kwargs: Any) -> None:
        guard(self.sock)
        super().request(*args, **kwargs)


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


def guard_pool_manager(manager: urllib3.PoolManager) -> urllib3.PoolManager:
    """Make ``manager`` open connections that honour :func:`guarded` deadlines."""
    manager.pool_classes_by_scheme = {"http": _GuardedHTTPPool, "https": _GuardedHTTPSPool}
    return manager
