"""Building large, long-lived data (a parsed SBOM, the vulnerability records of its
packages) without walking it through the cyclic garbage collector's young generations.

Each container created while the collector runs is traversed by a young collection every
few hundred allocations, again in the middle generation, and then by the full
collections its arrival triggers: for tens of thousands of JSON objects in a process
that already holds a large heap, that costs more CPU than parsing them.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def long_lived() -> Iterator[None]:
    """Pause the cyclic collector while the block builds, then move everything young to
    the oldest generation (``gc.freeze()`` + ``gc.unfreeze()``), unless the process keeps
    objects frozen itself. Nothing is leaked: reference counting still frees the data,
    and cyclic garbage made meanwhile waits for the next full collection."""
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
