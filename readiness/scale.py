"""Estate-scale wiring: ``--shard``, the collection phase before the first check.

Registered by :mod:`readiness.plugin` on profile runs; the work lives in
:mod:`readiness.collect` and :mod:`readiness.shard`.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from readiness.collect import STATS, collect
from readiness.families import family_states
from readiness.grouping import TARGETS, is_group, item_targets, run_group, select_targets
from readiness.keys import PROFILE
from readiness.report.json_report import gate_block
from readiness.shard import SHARD_REASON, Shard, mark_partial, shard_block, split
from readiness.unloaded import UnloadedModule, families_of


class ScalePlugin:
    def __init__(self, config: pytest.Config):
        self.config = config
        text = config.getoption("shard")
        self.shard = Shard.parse(text) if text else None
        self.selected = 0
        self.rows_total: int | None = None  # targets judged, when some checks are grouped
        self.bundled = Path(str(resources.files("readiness.checks"))).resolve()
        self.targets = tuple(config.getoption("target") or ())
        config.stash[TARGETS] = self.targets

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        """With grouped checks, the run's counts are targets (report rows), not items."""
        if any(is_group(item) for item in items):
            self.rows_total = sum(len(item_targets(item)) for item in items)

    @pytest.hookimpl(trylast=True, specname="pytest_collection_modifyitems")
    def pytest_scale_narrow(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        for narrow in (self._by_target, self._by_shard):
            kept, dropped = narrow(items)
            if dropped:
                config.hook.pytest_deselected(items=dropped)
                items[:] = kept
        self.selected = len(items)

    def _by_target(self, items: list[pytest.Item]) -> tuple[list[pytest.Item], list[pytest.Item]]:
        return select_targets(self.config, items) if self.targets else (items, [])

    def _by_shard(self, items: list[pytest.Item]) -> tuple[list[pytest.Item], list[pytest.Item]]:
        return split(self.shard, items) if self.shard is not None else (items, [])

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection(self, session: pytest.Session) -> None:
        """Clusters and manifests are read while pytest collects the checks (their targets
        parametrize the Kubernetes checks, so they are needed before the collection phase)."""
        profile = self.config.stash.get(PROFILE, None)
        if profile is not None and family_states(profile)["kubernetes"].runs:
            from readiness.sources.kubernetes_targets import start_loading  # that family only

            start_loading(profile)

    @pytest.hookimpl(tryfirst=True)
    def pytest_pycollect_makemodule(
        self, module_path: Path, parent: pytest.Collector
    ) -> pytest.Collector | None:
        """A bundled check module whose family does not run is not imported."""
        profile = self.config.stash.get(PROFILE, None)
        if profile is None or module_path.parent.resolve() != self.bundled:
            return None
        families = families_of(module_path)
        states = family_states(profile)
        if not families or any(states[f].runs for f in families if f in states):
            return None
        module: pytest.Collector = UnloadedModule.from_parent(parent, path=module_path)
        return module

    @pytest.hookimpl(tryfirst=True)
    def pytest_pyfunc_call(self, pyfuncitem: pytest.Function) -> bool | None:
        return True if run_group(pyfuncitem) else None

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
        self._count_rows(report)
        if self.targets:
            mark_partial(report, " ".join(f"--target {t}" for t in self.targets))
        if self.shard is not None:
            report["shard"] = shard_block(self.shard, self.selected)
            mark_partial(report, f"{SHARD_REASON}{self.shard}")
        stats = config.stash.get(STATS, None)
        if stats is not None:
            report["collection"] = stats.as_dict()

    def _count_rows(self, report: dict[str, Any]) -> None:
        selection = report.get("selection")
        if self.rows_total is None or not isinstance(selection, dict):
            return
        rows = len(report["checks"])
        selection.update(
            selected=rows, total=self.rows_total, deselected=max(0, self.rows_total - rows)
        )
        gate = report["gate"]
        report["gate"] = {
            **gate,
            **gate_block(
                gate["fail_on"], gate["errors_block"], gate["blocking"], selection, gate["errors"]
            ),
        }
