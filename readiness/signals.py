"""SIGTERM, SIGHUP and SIGPIPE end a run the way Ctrl-C does, and Ctrl-C ends it fast.

CI cancels a job with SIGTERM, ``timeout`` and Kubernetes send SIGTERM, a closed
terminal sends SIGHUP, ``readiness … | head`` closes the pipe (a SIGPIPE from a socket
whose peer went away — a target, a client of the demo's servers — is not ours and is
ignored, as Python ignores it by default). Each becomes a
KeyboardInterrupt in the main thread, so pytest finishes the session as interrupted
(reports written, ``interrupted: true``, exit status 2). Every read in flight is cut at
once (its socket shut down) so the run does not wait out the targets' deadlines. After
SIGPIPE the output goes to /dev/null: there is no reader left, and the reports must
still be written. A second signal while the run is ending is ignored.
"""

from __future__ import annotations

import fcntl
import os
import select
import signal
import stat
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

from readiness.sources.run import watchdog

HANDLED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGPIPE)


class Interrupted(KeyboardInterrupt):
    """A signal asked the run to stop."""


def silence_output() -> None:
    """Send stdout, stderr and every other descriptor of ours on a pipe whose reader is
    gone to /dev/null. The copies matter: pytest keeps one of the terminal while it
    captures output and puts it back as stdout afterwards, so silencing stdout alone would
    not last to the end of the run."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    fds = set(_dead_pipes())
    for stream in (sys.stdout, sys.stderr):
        try:
            fds.add(stream.fileno())
        except (OSError, ValueError, AttributeError):
            continue  # captured or replaced: nothing to redirect
    for fd in fds:
        try:
            os.dup2(devnull, fd)
        except OSError:
            continue
    os.close(devnull)


def _dead_pipes() -> list[int]:
    """Our write ends of pipes whose reader has gone away."""
    try:
        candidates = [int(name) for name in os.listdir("/proc/self/fd")]
    except OSError:
        candidates = list(range(256))
    dead = []
    for fd in candidates:
        try:
            if not stat.S_ISFIFO(os.fstat(fd).st_mode):
                continue
            if fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE != os.O_WRONLY:
                continue
            poller = select.poll()
            poller.register(fd, select.POLLOUT)
            if any(events & select.POLLERR for _, events in poller.poll(0)):
                dead.append(fd)
        except OSError:
            continue  # closed meanwhile, or not ours to inspect
    return dead


def output_broken() -> bool:
    """Whether stdout or stderr is a pipe whose reader has gone away."""
    for stream in (sys.__stdout__, sys.__stderr__):
        try:
            fd = stream.fileno() if stream is not None else -1
            if fd < 0:
                continue
            poller = select.poll()
            poller.register(fd, select.POLLOUT)
            if any(events & (select.POLLERR | select.POLLHUP) for _, events in poller.poll(0)):
                return True
        except (OSError, ValueError):
            continue
    return False


class _Handler:
    def __init__(self) -> None:
        self.signalled: str | None = None
        self.shielded = 0  # > 0 while the reports are written: the signal waits for them

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        if signum == signal.SIGPIPE and not output_broken():
            return  # a socket's peer went away (a target, a demo client): not our reader
        name = signal.Signals(signum).name
        reads = watchdog()
        if reads is not None:  # every read in flight cut now, every new one at once
            reads.abort()
        if signum == signal.SIGPIPE:
            silence_output()
        if self.signalled is not None:
            return  # already ending: let the reports be written
        self.signalled = name
        if self.shielded:
            return  # the reports are being written: they finish, then the run ends
        raise Interrupted(f"{name} received")


_HANDLER: _Handler | None = None


def received() -> str | None:
    """The signal that asked the run to stop, if one did."""
    return _HANDLER.signalled if _HANDLER is not None else None


@contextmanager
def shielded() -> Iterator[None]:
    """Work a signal must not cut short (writing the report set): a signal that arrives
    meanwhile is noted (:func:`received`) and ends nothing; the caller acts on it after."""
    handler = _HANDLER
    if handler is None or threading.current_thread() is not threading.main_thread():
        yield
        return
    handler.shielded += 1
    try:
        yield
    finally:
        handler.shielded -= 1


@contextmanager
def deferred() -> Iterator[None]:
    """Hold the handled signals back (cleanup that must finish); delivered after."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, HANDLED)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def install() -> Callable[[], None]:
    """Install the handlers (main thread only); returns what restores the previous ones."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    global _HANDLER
    handler = _HANDLER = _Handler()
    previous: dict[int, Any] = {}
    for signum in HANDLED:
        try:
            previous[signum] = signal.signal(signum, handler)
        except (OSError, ValueError):
            continue  # not available here

    def restore() -> None:
        global _HANDLER
        for signum, old in previous.items():
            signal.signal(signum, old)
        _HANDLER = None

    return restore
