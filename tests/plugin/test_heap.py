"""The collector does not walk the run's long-lived heap again and again: it is frozen at
each phase boundary while the checks run, and given back when the run is over."""

from __future__ import annotations

import gc
import json

import pytest

CHECKS = """
import gc, json, pathlib
from readiness import control

@control("K8S-PROBES")
def test_frozen(evidence):
    pathlib.Path("frozen.json").write_text(json.dumps(gc.get_freeze_count()))
"""

PROFILE = "extends: none\nenvironment: test\nfamilies: {kubernetes: {enabled: true}}\n"


def test_heap_is_frozen_while_checks_run_and_released_after(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", prof=PROFILE)
    pytester.makepyfile(test_checks=CHECKS)
    assert gc.get_freeze_count() == 0
    result = pytester.runpytest_inprocess(
        "--profile=prof.yaml", "-p", "no:cacheprovider", "test_checks.py"
    )
    result.assert_outcomes(passed=1)
    assert json.loads((pytester.path / "frozen.json").read_text()) > 1000
    assert gc.get_freeze_count() == 0  # nothing stays frozen once the run is over


COLLECTING = """
import gc, json, pathlib
from readiness import control

def pytest_generate_tests(metafunc):
    pathlib.Path("collecting.json").write_text(json.dumps(gc.isenabled()))
    metafunc.parametrize("n", [1])

@control("K8S-PROBES")
def test_running(evidence, n):
    pathlib.Path("running.json").write_text(json.dumps(gc.isenabled()))
"""


def test_collector_paused_while_checks_are_collected(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", prof=PROFILE)
    pytester.makepyfile(test_checks=COLLECTING)
    assert gc.isenabled()
    result = pytester.runpytest_inprocess(
        "--profile=prof.yaml", "-p", "no:cacheprovider", "test_checks.py"
    )
    result.assert_outcomes(passed=1)
    assert json.loads((pytester.path / "collecting.json").read_text()) is False
    assert json.loads((pytester.path / "running.json").read_text()) is True
    assert gc.isenabled()


def test_runs_without_a_profile_leave_the_collector_alone(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_plain="import gc\ndef test_x():\n    assert gc.get_freeze_count() == 0\n"
    )
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


CHECKPOINTED = """
import gc, json, pathlib, weakref
from readiness import control

class Node:
    pass

counts = []
dead = []

@control("K8S-PROBES")
def test_one(evidence):
    node = Node()
    node.self = node  # cyclic garbage once this check returns
    dead.append(weakref.ref(node))
    counts.append(gc.get_freeze_count())
    gc.disable()  # only the checkpoint after this check may collect the cycle

@control("K8S-PROBES")
def test_two(evidence):
    gc.enable()
    counts.append(gc.get_freeze_count())

@control("K8S-PROBES")
def test_three(evidence):
    counts.append(gc.get_freeze_count())
    pathlib.Path("seen.json").write_text(json.dumps([counts, dead[0]() is None]))
"""


def test_the_heap_is_checkpointed_between_checks_and_their_garbage_collected_first(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    from readiness import gate_plugin

    monkeypatch.setattr(gate_plugin, "CHECKPOINT_EVERY", 1)
    pytester.makefile(".yaml", prof=PROFILE)
    pytester.makepyfile(test_checks=CHECKPOINTED)
    result = pytester.runpytest_inprocess(
        "--profile=prof.yaml", "-p", "no:cacheprovider", "test_checks.py"
    )
    result.assert_outcomes(passed=3)
    counts, collected = json.loads((pytester.path / "seen.json").read_text())
    assert counts[0] < counts[1] < counts[2]  # what each check left is frozen after it
    assert collected  # the cycle it left was collected, not frozen with the rest
    assert gc.get_freeze_count() == 0
