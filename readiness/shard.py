"""``--shard I/N``: split a run's checks over N CI jobs, deterministically by target.

Every check of one target lands in the same shard (the target id's SHA-256 decides), so
each target is read by one job only and a re-run of a shard judges the same checks. Checks
without a target split by their node id. Each shard writes an ordinary report marked
with its shard; ``readiness merge`` joins them into one report and one verdict.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pytest

from readiness.report.json_report import partial_text

SHARD_REASON = "--shard "
#: Variables that name one pipeline run, shared by all of its jobs (first set wins).
RUN_VARIABLES = (
    "READINESS_RUN_ID",
    "GITHUB_RUN_ID",  # + GITHUB_RUN_ATTEMPT
    "CI_PIPELINE_ID",
    "BUILDKITE_BUILD_ID",
    "CIRCLE_WORKFLOW_ID",
    "BUILD_TAG",  # Jenkins
)


@dataclass(frozen=True, slots=True)
class Shard:
    index: int  # 1-based
    total: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        """``I/N`` with 1 <= I <= N."""
        index, sep, total = text.partition("/")
        try:
            shard = cls(int(index), int(total))
        except ValueError:
            shard = cls(0, 0)
        if not sep or not 1 <= shard.index <= shard.total:
            raise pytest.UsageError(
                f"readiness: --shard {text!r}: expected I/N with 1 <= I <= N, e.g. --shard 2/4"
            )
        return shard

    def owns(self, key: str) -> bool:
        digest = hashlib.sha256(key.encode()).digest()
        return int.from_bytes(digest[:8], "big") % self.total == self.index - 1

    def __str__(self) -> str:
        return f"{self.index}/{self.total}"


def shard_key(item: pytest.Item) -> str:
    """The target id (the parametrization id), else the node id."""
    callspec = getattr(item, "callspec", None)
    return callspec.id if callspec is not None else item.nodeid


def split(
    shard: Shard, items: Sequence[pytest.Item]
) -> tuple[list[pytest.Item], list[pytest.Item]]:
    """(kept, deselected)."""
    kept: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        (kept if shard.owns(shard_key(item)) else dropped).append(item)
    return kept, dropped


def pipeline_run(env: Mapping[str, str]) -> str:
    """What ties the shards of one pipeline run together (empty when nothing does)."""
    for name in RUN_VARIABLES:
        value = env.get(name)
        if value:
            if name == "GITHUB_RUN_ID" and env.get("GITHUB_RUN_ATTEMPT"):
                value = f"{value}.{env['GITHUB_RUN_ATTEMPT']}"
            return f"{name}={value}"
    return ""


def shard_block(shard: Shard, selected: int, env: Mapping[str, str] = os.environ) -> dict[str, Any]:
    """The report's ``shard`` block."""
    return {
        "index": shard.index,
        "total": shard.total,
        "key": "sha256(target id) mod total",
        "pipeline_run": pipeline_run(env),
        "selected": selected,
    }


def mark_partial(report: dict[str, Any], reason: str) -> None:
    """A shard (or a --target run) is partial: its selection and verdict say why."""
    selection = report.get("selection")
    if not isinstance(selection, dict):
        return
    selection["reasons"] = [*selection.get("reasons", []), reason]
    selection["mode"] = "partial"
    gate = report["gate"]
    if gate["state"] == "passed":
        gate.update(state="partial", passed=False)
    if gate["state"] == "partial":
        gate["reason"] = partial_text(selection)
