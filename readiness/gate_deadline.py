"""``gate.deadline``: the whole run's time limit. Checks not started by then end as
*error* ("deadline"), reads in flight are bounded by what is left, the reports are written.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from readiness.errors import SourceError
from readiness.sources import run


class GateDeadline:
    """Registered when the profile sets ``gate.deadline`` (seconds)."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic):
        self.seconds = seconds
        self._clock = clock
        self.end = clock() + seconds
        run.run_context().run_end = self.end

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        if self._clock() >= self.end:
            raise SourceError(
                "gate",
                f"deadline: the run reached gate.deadline ({self.seconds:g}s) before this "
                "check started; raise gate.deadline or fix the slow targets",
            )
