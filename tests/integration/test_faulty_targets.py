"""Every read of a misbehaving target ends within its deadline, with an error naming it.

Real servers on 127.0.0.1 (tests/fixtures/faultzoo.py); the client is the one every
live source uses (readiness.sources.api).
"""

from __future__ import annotations

import time

import pytest

from readiness.errors import SourceError
from readiness.profile.common import Endpoint
from readiness.sources import api
from tests.fixtures.faultzoo import FaultZoo

DEADLINE = 2.0

# fault -> words the error must contain (besides the target and the URL)
EXPECTED = {
    "refused": "cannot reach",
    "blackhole": "deadline",
    "silent": "deadline",
    "dribbling": "deadline",
    "server-error": "HTTP 503",
    "html-for-json": "HTML page",
    "truncated": "truncated",
    "redirect-loop": "redirects in a loop",
    "untrusted-tls": "TLS error",
    "not-tls": "TLS error",
    "huge-body": "cap",
}


@pytest.fixture(autouse=True)
def fresh_run() -> None:
    api.start_run(api.Limits(deadline=DEADLINE, max_body={"default": 1024 * 1024}))


def _client(zoo: FaultZoo, fault: str) -> api.ApiClient:
    url = zoo.url(fault)
    if fault == "not-tls":
        url = url.replace("http://", "https://")
    return api.ApiClient(fault, Endpoint(url=url, timeout=10, retries=2))


@pytest.mark.integration
@pytest.mark.parametrize("fault", sorted(EXPECTED))
def test_faulty_target_errors_within_its_deadline_naming_target_and_url(
    fault_zoo: FaultZoo, fault: str
) -> None:
    client = _client(fault_zoo, fault)
    started = time.monotonic()
    with pytest.raises(SourceError) as caught:
        client.get_json("/api/v1/query", {"query": "up"})
    elapsed = time.monotonic() - started
    assert elapsed < 2 * DEADLINE + 1, f"{fault} took {elapsed:.1f}s"
    assert caught.value.target == fault
    assert client.base in caught.value.reason
    assert EXPECTED[fault] in caught.value.reason


@pytest.mark.integration
def test_timed_out_target_is_not_asked_again_in_the_run(fault_zoo: FaultZoo) -> None:
    client = _client(fault_zoo, "silent")
    with pytest.raises(SourceError):
        client.get_json("/api/v1/rules")
    started = time.monotonic()
    with pytest.raises(SourceError, match="not asked again"):
        api.ApiClient("other family", client.endpoint).get_json("/api/v1/alerts")
    assert time.monotonic() - started < 0.5


@pytest.mark.integration
def test_one_answer_per_url_and_query_is_shared_by_every_client(fault_zoo: FaultZoo) -> None:
    endpoint = Endpoint(url=fault_zoo.url("healthy"))
    before = fault_zoo.servers["healthy"].accepted
    first = api.ApiClient("prometheus", endpoint).get_json("/api/v1/query", {"query": "up"})
    again = api.ApiClient("prometheus", endpoint).get_json("/api/v1/query", {"query": "up"})
    other = api.ApiClient("prometheus", endpoint).get_json("/api/v1/query", {"query": "x"})
    assert first["status"] == "success"
    assert again is first  # the same parsed answer, not a second read
    assert other is not first
    assert fault_zoo.servers["healthy"].accepted - before == 2


@pytest.mark.integration
def test_cached_error_is_raised_fresh_each_time(fault_zoo: FaultZoo) -> None:
    client = _client(fault_zoo, "server-error")
    errors = []
    for _ in range(2):
        with pytest.raises(SourceError) as caught:
            client.get_json("/api/v1/status/config")
        errors.append(caught.value)
    assert errors[0] is not errors[1]
    assert str(errors[0]) == str(errors[1])
