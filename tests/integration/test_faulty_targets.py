"""Every read of a misbehaving target ends within its deadline, with an error naming it.

Real servers on 127.0.0.1 (tests/fixtures/faultzoo.py); the client is the one every
live source uses (readiness.sources.api).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from readiness.errors import SourceError
from readiness.profile.common import Endpoint
from readiness.profile.kubernetes import KubeCluster
from readiness.profile.limits import Limits as ProfileLimits
from readiness.sources import api, run
from readiness.sources.kubernetes import KINDS, collect_cluster
from readiness.sources.registry import RegistryClient
from readiness.sources.run import MIB
from tests.fixtures.faultzoo import FaultServer, FaultZoo, _read_request

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
    run.start_run(run.Limits(deadline=DEADLINE, max_body={"default": 1024 * 1024}))


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


class _Endless:
    """A server answering every GET with a body without end (chunked, or one announcing
    a huge Content-Length), counting the bytes it managed to send."""

    def __init__(self, announce: bool = False) -> None:
        self.sent = 0
        self.paths: list[str] = []
        self.announce = announce
        self.server = FaultServer("endless", self._handle)

    def _handle(self, conn: socket.socket, stop: threading.Event) -> None:
        request = _read_request(conn)
        self.paths.append(request.split(b" ", 2)[1].decode() if b" " in request else "")
        framing = f"Content-Length: {1 << 40}" if self.announce else "Transfer-Encoding: chunked"
        conn.sendall(
            f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n{framing}\r\n\r\n".encode()
        )
        chunk = b"[" + b"0," * 32767 + b"0"
        frame = chunk if self.announce else f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
        while not stop.is_set():
            conn.sendall(frame)  # OSError when the client hangs up at its cap
            self.sent += len(frame)

    @property
    def url(self) -> str:
        return self.server.url

    def close(self) -> None:
        self.server.close()


@pytest.fixture
def endless() -> Iterator[_Endless]:
    server = _Endless()
    try:
        yield server
    finally:
        server.close()


def _caps(**mib: float) -> None:
    """A run with the profile's ``limits`` (a long deadline: only the cap can end a read)."""
    limits = ProfileLimits(deadline=60, max_body_mb=mib)
    run.start_run(run.Limits(limits.deadline, limits.max_body_bytes()))


# Enough for the cap, the loopback socket buffers and a few frames in flight; an endless
# body read whole would go on for the whole 60 s deadline (gigabytes).
NOT_READ_WHOLE = 64 * MIB


@pytest.mark.integration
@pytest.mark.parametrize("mib", [1, 0.5])
def test_kubernetes_list_page_over_the_cap_is_an_error_naming_cluster_and_size(
    endless: _Endless, mib: float
) -> None:
    _caps(kubernetes=mib)
    cluster = KubeCluster(name="big", api_url=endless.url, token="endless-token-1")
    inv, _ = collect_cluster(cluster)
    assert set(inv.missing) == {k.kind for k in KINDS}
    with pytest.raises(SourceError) as caught:
        inv.require("Pod")
    assert caught.value.target == "big"
    assert f"answer over the {mib:g} MiB cap" in caught.value.reason
    assert "127.0.0.1" in caught.value.reason and "deadline" not in caught.value.reason
    assert 0 < endless.sent < endless.server.accepted * NOT_READ_WHOLE


@pytest.mark.integration
@pytest.mark.parametrize("announce", [False, True], ids=["chunked", "content-length"])
def test_registry_manifest_over_the_cap_is_an_error_naming_registry_url_and_size(
    announce: bool,
) -> None:
    server = _Endless(announce=announce)
    try:
        _caps(registry=2)
        client = RegistryClient("ghcr", Endpoint(url=server.url))
        with pytest.raises(SourceError) as caught:
            client.manifest("shop/web", "1.0")
    finally:
        server.close()
    assert caught.value.target == "ghcr"
    assert f"{server.url}/v2/shop/web/manifests/1.0" in caught.value.reason
    assert "2.0 MiB cap" in caught.value.reason, caught.value.reason
    assert server.sent < NOT_READ_WHOLE


@pytest.mark.integration
def test_registry_blob_over_the_cap_is_an_error_naming_registry_url_and_size(
    endless: _Endless,
) -> None:
    _caps(registry=3)
    client = RegistryClient("ghcr", Endpoint(url=endless.url))
    digest = "sha256:" + "ab" * 32
    with pytest.raises(SourceError) as caught:
        client.blob("shop/web", digest)
    assert caught.value.target == "ghcr"
    assert f"{endless.url}/v2/shop/web/blobs/{digest}" in caught.value.reason
    assert "more than the 3.0 MiB cap" in caught.value.reason, caught.value.reason
    assert endless.paths == [f"/v2/shop/web/blobs/{digest}"]
    assert 3 * MIB < endless.sent < NOT_READ_WHOLE
