"""Snapshot values: lossless for evidence, never pickle, secrets masked by structure."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from readiness import snapshot
from readiness.errors import SourceError
from readiness.redact import Redactor
from readiness.safeload import SafeLoadError
from readiness.snapshot.archive import SnapshotError, load, write
from readiness.snapshot.codec import CodecError, decode, encode
from readiness.sources.api import HttpAnswer
from readiness.sources.http import CertInfo, Fetch

CERT = CertInfo(
    "CN=x",
    "CN=ca",
    dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    dt.datetime(2027, 1, 1, tzinfo=dt.UTC),
    ("x.test",),
    (),
    "x",
    "01",
    "ab" * 32,
)


@pytest.mark.parametrize(
    "value",
    [
        None,
        1,
        2.5,
        "text",
        [1, "a"],
        (1, (2, "b")),
        {"k": [1, 2]},
        {1: "int key"},
        b"\x00\xffbinary",
        "caf\u00e9".encode(),
        CERT,
        Fetch("https://x.test/", 200, headers=(("content-type", "text/plain"),), body=b"ok"),
        HttpAnswer("https://x.test/a?b=1", 404, (("x", "y"),), b"{}"),
    ],
)
def test_round_trip(value: object) -> None:
    assert decode(json.loads(json.dumps(encode(value)))) == value


def test_errors_round_trip_as_fresh_errors() -> None:
    err = decode(encode(SourceError("prom", "cannot reach http://p:9090")))
    assert isinstance(err, SourceError) and (err.target, err.reason) == (
        "prom",
        "cannot reach http://p:9090",
    )
    bad = decode(encode(SafeLoadError("rules.yaml", "is a binary file", 3)))
    assert isinstance(bad, SafeLoadError) and bad.line == 3


@pytest.mark.parametrize(
    "data",
    [
        {"$dc": "os:system", "f": {}},
        {"$dc": "subprocess:Popen", "f": {"args": "true"}},
        {"$dc": "readiness.sources.http:not a name", "f": {}},
        {"$dc": "readiness.redact:Redactor", "f": {}},
        {"unknown": 1},
    ],
)
def test_only_this_projects_evidence_types_are_rebuilt(data: dict[str, object]) -> None:
    with pytest.raises(CodecError):
        decode(data)


def test_recorded_requests_and_answers_are_masked_by_structure() -> None:
    redactor = Redactor(["s3cr3t-token-value"])
    rec = snapshot.Recorder(redactor)
    with snapshot.using(rec):
        snapshot.through(
            "http",
            "prom",
            ("GET", "https://u:pw@p.test/api?query=up&access_token=abc"),
            lambda: HttpAnswer(
                "https://p.test/", 200, (), b'{"token": "issued-token", "v": "s3cr3t-token-value"}'
            ),
        )
    (item,) = rec.items.values()
    assert "query=up" in item.request  # the request itself is kept
    assert "pw@" not in item.request and "abc" not in item.request
    stored = json.dumps(item.value)
    assert "issued-token" not in stored and "s3cr3t-token-value" not in stored


def test_pages_of_a_listing_are_distinct_requests_in_a_snapshot() -> None:
    rec = snapshot.Recorder(Redactor([]))
    with snapshot.using(rec):
        for page in ("", "&continuation-token=1abc", "&continuation-token=2def"):
            url = f"https://s3.test/b?list-type=2{page}&X-Amz-Signature=f00d"
            snapshot.through("http", "s3", ("GET", url), lambda u=url: HttpAnswer(u, 200, (), b""))
    requests = sorted(item.request for item in rec.items.values())
    assert len(requests) == 3, requests
    assert "continuation-token=2def" in requests[2] and "f00d" not in " ".join(requests)


def test_replay_answers_from_the_snapshot_and_names_what_it_lacks(tmp_path: Path) -> None:
    redactor = Redactor([])
    rec = snapshot.Recorder(redactor)
    with snapshot.using(rec):
        assert snapshot.through("file", "f", ("/a",), lambda: b"content") == b"content"
        with pytest.raises(SourceError):
            snapshot.through("http", "p", ("GET", "/x"), _fail)
    path = write(tmp_path / "s.tar.gz", rec.items, {"evidence_time": "2026-12-07T00:00:00+00:00"})
    loaded = load(path)
    rep = snapshot.Replayer(redactor, loaded.items)
    with snapshot.using(rep):
        assert snapshot.through("file", "f", ("/a",), _never) == b"content"
        with pytest.raises(SourceError, match="unreachable"):
            snapshot.through("http", "p", ("GET", "/x"), _never)
        with pytest.raises(SourceError, match="holds no file answer"):
            snapshot.through("file", "f", ("/b",), _never)
    assert rep.missing == ['file {"$t": ["/b"]}']


def test_not_a_snapshot_is_refused(tmp_path: Path) -> None:
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not a tar")
    with pytest.raises(SnapshotError, match="not a readable snapshot"):
        load(junk)


def _fail() -> HttpAnswer:
    raise SourceError("p", "unreachable")


def _never() -> bytes:
    raise AssertionError("a replay must not read")
