"""The run's clock: the time time-dependent checks judge against.

Certificate expiry, backup age, waiver and attestation expiry, pod ages, SLO windows and
DORA windows all read :func:`now` instead of the system clock, so a run can be judged
as of another time (a replayed snapshot judges as of when its evidence was read).
"""

from __future__ import annotations

import datetime as dt

_pinned: dt.datetime | None = None


def now() -> dt.datetime:
    """The run's current time (UTC)."""
    return _pinned if _pinned is not None else dt.datetime.now(dt.UTC)


def today() -> dt.date:
    return now().date()


def pin(at: dt.datetime | None) -> None:
    """Judge as of ``at`` (timezone-aware) from now on; ``None`` follows the system clock."""
    global _pinned
    if at is not None and at.tzinfo is None:
        raise ValueError("the run's clock needs a timezone-aware time")
    _pinned = at
