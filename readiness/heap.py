"""The garbage collector at estate scale.

A gate over thousands of workloads holds a large, long-lived heap: the imported client
libraries, the collected items, every source's evidence, and the results. CPython's
cyclic collector walks all of it on every full collection, and a growing heap triggers
one each time it grows by a quarter; pytest then runs five more at the end to surface
unraisable exceptions. Objects that live until the end of the run gain nothing from
being walked again, so at each phase boundary (profile loaded, checks collected, targets
read) the live heap is frozen: later collections walk only what was made since.
Reference counting still frees everything as usual; only cycles among frozen objects
wait until the run ends.

Large data built in one go (a parsed SBOM, the vulnerability records of its packages) is
built with the collector paused (:func:`long_lived`): each container created while the
collector runs is traversed by a young collection every few hundred allocations, again
in the middle generation, and then by the full collections its arrival triggers; for tens
of thousands of JSON objects that costs more CPU than parsing them.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pytest


def settle() -> None:
    """Freeze every object alive now: later collections no longer walk them."""
    gc.freeze()


def checkpoint() -> None:
    """Collect the garbage made since the last freeze, then freeze what is left. Between
    checks: their results live until the reports are written, and each full collection
    would otherwise walk every result made so far again (one each time the results grow
    by a quarter); this walks each object made during the checks about once."""
    gc.collect()
    gc.freeze()


def install(config: pytest.Config) -> None:
    """Settle after configuration and pause the collector until the checks are collected
    (:func:`collected`); give the frozen heap back to the collector once the run is over
    (pytest's final collections run before this cleanup)."""
    config.add_cleanup(gc.unfreeze)
    config.add_cleanup(gc.enable)
    settle()
    gc.disable()


def collected() -> None:
    """The checks are collected: freeze the heap and resume the collector.

    While pytest collects, the heap only grows: thousands of items and, read in the
    background meanwhile, the cluster's objects. Each full collection it triggers walks
    all of it again (2.4 s of a 7.1 s collection at 2,000 workloads); nothing built then
    is garbage before the run ends.
    """
    settle()
    gc.enable()


@contextlib.contextmanager
def long_lived() -> Iterator[None]:
    """Pause the cyclic collector while the block builds, then move everything young to
    the oldest generation (``gc.freeze()`` + ``gc.unfreeze()``), unless the heap is kept
    frozen already (a gate run: :func:`settle`). Nothing is leaked: reference counting
    still frees the data, and cyclic garbage made meanwhile waits for the next full
    collection."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if not gc.get_freeze_count():
            gc.freeze()
            gc.unfreeze()
        if enabled:
            gc.enable()
