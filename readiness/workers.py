"""A small pool of daemon threads for target reads that an interrupted run does not wait on.

``concurrent.futures.ThreadPoolExecutor`` joins its threads when its ``with`` block ends
and again at interpreter exit, whatever ended the block. A read the watchdog could not
cut (a ``connect`` still in progress, a library's own blocking call) would then hold an
interrupted run open until that read's deadline. Here, when the block ends with an
exception (Ctrl-C, SIGTERM, SIGHUP), the calls not yet started are cancelled, the ones
in flight get :data:`GRACE` seconds to return, and the run goes on to write its reports;
the threads are daemons, so a read still stuck cannot keep the process alive either.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from types import TracebackType
from typing import TypeVar

R = TypeVar("R")

GRACE = 2.0  # seconds an interrupted caller waits for the reads in flight


class Workers:
    """At most ``size`` daemon threads running the submitted calls in order."""

    def __init__(self, size: int, name: str):
        self._size = max(1, size)
        self._name = name
        self._calls: queue.SimpleQueue[tuple[Future[object], Callable[[], object]] | None] = (
            queue.SimpleQueue()
        )
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def submit(self, fn: Callable[[], R]) -> Future[R]:
        future: Future[R] = Future()
        with self._lock:
            if len(self._threads) < self._size:
                thread = threading.Thread(
                    target=self._work, name=f"{self._name}-{len(self._threads)}", daemon=True
                )
                self._threads.append(thread)
                thread.start()
        self._calls.put((future, fn))  # type: ignore[arg-type]
        return future

    def _work(self) -> None:
        while (call := self._calls.get()) is not None:
            future, fn = call
            if not future.set_running_or_notify_cancel():
                continue  # cancelled before it started
            try:
                future.set_result(fn())
            except BaseException as exc:  # the caller gets it from the future
                future.set_exception(exc)

    def shutdown(self, wait: float | None) -> None:
        """Stop the threads once the queued calls are done; ``wait``: seconds to wait for
        them (None: until they end)."""
        with self._lock:
            threads = list(self._threads)
        for _ in threads:
            self._calls.put(None)
        end = None if wait is None else time.monotonic() + wait
        for thread in threads:
            thread.join(None if end is None else max(0.0, end - time.monotonic()))

    def cancel_pending(self) -> None:
        """Cancel the calls no thread has started."""
        while True:
            try:
                call = self._calls.get_nowait()
            except queue.Empty:
                return
            if call is not None:
                call[0].cancel()

    def __enter__(self) -> Workers:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.shutdown(wait=None)
            return
        self.cancel_pending()
        self.shutdown(wait=GRACE)
