"""One error, one raise: a cached error is data, raised fresh to every reader."""

from __future__ import annotations

import threading
import traceback

import pytest

from readiness.errors import CachedError, OnceCache, SourceError, raise_fresh
from readiness.sources.slo_specs import SpecError


def _depth(exc: BaseException) -> int:
    return len(traceback.extract_tb(exc.__traceback__))


def test_every_reader_gets_a_new_exception_with_a_short_traceback() -> None:
    cache = OnceCache()
    calls = []

    def unreachable() -> str:
        calls.append(1)
        raise SourceError("prometheus", "cannot reach http://127.0.0.1:9: connection refused")

    seen: list[SourceError] = []
    for _ in range(200):
        with pytest.raises(SourceError) as info:
            cache.get("prom", unreachable)
        seen.append(info.value)
    assert len(calls) == 1
    assert len({id(e) for e in seen}) == 200
    assert {_depth(e) for e in seen[1:]} == {_depth(seen[1])}  # no growth
    assert _depth(seen[-1]) <= 3
    last = seen[-1]
    assert (last.target, last.reason) == ("prometheus", seen[0].reason)
    assert str(last) == "prometheus: cannot reach http://127.0.0.1:9: connection refused"


def test_exceptions_with_their_own_init_keep_type_and_attributes() -> None:
    spec = SpecError("slo.yaml", "spec.timeWindow", "bad window")
    fresh = CachedError(spec).fresh()
    assert type(fresh) is SpecError and fresh is not spec
    assert (fresh.file, fresh.key, str(fresh)) == (spec.file, spec.key, str(spec))
    with pytest.raises(KeyError) as info:
        raise_fresh(KeyError("missing"))
    assert info.value.args == ("missing",)


def test_a_stored_exception_object_is_never_raised_itself() -> None:
    stored = SourceError("grafana", "HTTP 503")
    for _ in range(50):
        with pytest.raises(SourceError) as info:
            raise_fresh(stored)
        assert info.value is not stored
    assert stored.__traceback__ is None


def test_concurrent_readers_wait_for_one_computation() -> None:
    cache = OnceCache()
    started = threading.Event()
    release = threading.Event()
    calls = []

    def slow() -> int:
        calls.append(1)
        started.set()
        release.wait(5)
        return 42

    results: list[int] = []
    threads = [
        threading.Thread(target=lambda: results.append(cache.get("k", slow))) for _ in range(8)
    ]
    for t in threads:
        t.start()
    started.wait(5)
    release.set()
    for t in threads:
        t.join(5)
    assert results == [42] * 8 and calls == [1]


def test_an_interrupt_reaches_the_owner_and_waiters_do_not_hang() -> None:
    cache = OnceCache()

    def interrupted() -> int:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        cache.get("k", interrupted)
    with pytest.raises(KeyboardInterrupt):
        cache.get("k", lambda: 1)
