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
"""

from __future__ import annotations

import gc

import pytest


def settle() -> None:
    """Freeze every object alive now: later collections no longer walk them."""
    gc.freeze()


def finish() -> None:
    """At the end of the run: collect the run's garbage once, then freeze what is left,
    so pytest's own final collections (repeated to surface unraisable exceptions) walk
    only what those collections free."""
    gc.collect()
    gc.freeze()


def install(config: pytest.Config) -> None:
    """Settle after configuration; give the frozen heap back to the collector once the
    run is over (pytest's final collections run before this cleanup)."""
    config.add_cleanup(gc.unfreeze)
    settle()
