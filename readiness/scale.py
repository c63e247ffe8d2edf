"""Estate-scale wiring: ``--shard``, the collection phase before the first check.

Registered by :mod:`readiness.plugin` on profile runs; the work lives in
:mod:`readiness.collect` and :mod:`readiness.shard`.
"""

from __future__ import annotations

from typing import Any

import pytest

from readiness.collect import STATS, collect
from readiness.shard import Shard, mark_partial, shard_block, split


def addoptions(group: pytest.OptionGroup) -> None:
    group.addoption(
        "--shard",
        default=None,
        metavar="I/N",
        help="run only shard I of N (checks split by target id); join with `readiness merge`",
    )
    group.addoption(
        "--no-collect-phase",
        action="store_true",
        default=False,
        help="read targets check by check instead of all at once before the checks",
    )


class ScalePlugin:
    def __init__(self, config: pytest.Config):
        self.config = config
        text = config.getoption("shard")
        self.shard = Shard.parse(text) if text else None
        self.selected = 0

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(
        self, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        if self.shard is not None:
            kept, dropped = split(self.shard, items)
            if dropped:
                config.hook.pytest_deselected(items=dropped)
                items[:] = kept
        self.selected = len(items)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> None:
        config = session.config
        if config.option.collectonly or config.getoption("no_collect_phase"):
            return
        if hasattr(config, "workerinput"):  # xdist workers read lazily, per check
            return
        collect(config, session.items)

    @pytest.hookimpl(specname="readiness_run_finished")
    def pytest_scale_run_finished(self, config: pytest.Config, report: dict[str, Any]) -> None:
        if self.shard is not None:
            report["shard"] = shard_block(self.shard, self.selected)
            mark_partial(report, self.shard)
        stats = config.stash.get(STATS, None)
        if stats is not None:
            report["collection"] = stats.as_dict()
