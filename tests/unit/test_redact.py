"""Secrets are masked by structure: URL parts, whole values, never keys or fixed text."""

from __future__ import annotations

import collections
import datetime as dt
import enum
import json

import pytest

from readiness.profile.model import Profile
from readiness.redact import Redactor, mask_urls, safe_url
from readiness.report.identity import RunIdentity
from readiness.report.json_report import build_report


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://u:pw-123456@prom.example:9090/api", "https://***@prom.example:9090/api"),
        ("https://tok3n@github.com/x", "https://***@github.com/x"),
        ("http://h/api?token=abc&x=1", "http://h/api?token=***&x=***"),
        (
            "postgresql://u:pw@db:5432/dora?sslmode=require",
            "postgresql://***@db:5432/dora?sslmode=***",
        ),
        ("http://h:9090/api/v1/query", "http://h:9090/api/v1/query"),
    ],
)
def test_url_user_info_and_query_values_are_masked(url: str, shown: str) -> None:
    assert safe_url(url) == shown


def test_urls_inside_a_message_are_masked_and_the_rest_kept() -> None:
    text = "cannot reach https://a:b-secret@h/p?k=v (refused)"
    assert mask_urls(text) == "cannot reach https://***@h/p?k=*** (refused)"


def test_short_secret_masks_only_a_whole_value() -> None:
    redact = Redactor(["2"])
    assert redact.data({"count": "2", "note": "run 2 of 3"}) == {
        "count": "***",
        "note": "run 2 of 3",
    }


def test_report_fixed_text_is_never_masked_even_when_it_contains_a_secret() -> None:
    profile = Profile.model_validate({"environment": "prod"})
    profile._secrets = frozenset({"readiness", "prod"})
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    identity = RunIdentity("r1", "abc", "", "", "me", "host")
    report = build_report(profile, identity, [], started_at=now, finished_at=now, today=now.date())
    assert report["schema"] == "readiness.report/v1"
    assert report["environment"] == "prod"


def test_keys_are_never_rewritten() -> None:
    assert Redactor(["schema-secret"]).data({"schema-secret": 1}) == {"schema-secret": 1}


class _Level(enum.IntEnum):
    HIGH = 3


class _Name(enum.StrEnum):
    CART = "cart"


def test_data_is_the_json_round_trip_of_the_evidence_masked() -> None:
    value = {
        "urls": ["https://u:pw-123456@h/p?q=1", "ok"],
        "pair": (1, 2.5),
        7: "int key",
        None: "null key",
        "level": _Level.HIGH,
        "name": _Name.CART,
        "when": dt.date(2026, 1, 2),
        "nested": collections.OrderedDict(token="tok-secret-value"),
        "flags": [True, None],
    }
    expected = json.loads(json.dumps(value, default=str))
    expected["urls"][0] = "https://***@h/p?q=***"
    expected["nested"]["token"] = "***"
    got = Redactor(["tok-secret-value"]).data(value)
    assert json.dumps(got) == json.dumps(expected)


def test_data_keeps_plain_parts_without_secrets_instead_of_copying_them() -> None:
    shared = ["shop", "ads"]
    evidence = {"namespaces": shared, "probes": {"app": {"readiness": "httpGet"}}}
    masked = Redactor(["a-long-secret"]).data(evidence)
    assert masked is evidence and masked["namespaces"] is shared
    leaked = {"namespaces": shared, "note": "token a-long-secret"}
    copy = Redactor(["a-long-secret"]).data(leaked)
    assert copy == {"namespaces": shared, "note": "token ***"} and copy is not leaked
    assert leaked["note"] == "token a-long-secret"  # the check's own data is not rewritten


def test_data_keeps_evidence_with_a_safe_url_seen_before_instead_of_copying_it() -> None:
    redactor = Redactor(["a-long-secret"])
    for port in ("8443", "8443"):  # equal texts, distinct objects, as every row makes them
        url = "".join(["https://127.0.0.1:", port, "/health"])
        evidence = {"url": url, "hosts": [url]}
        assert redactor.data(evidence) is evidence
    assert redactor.text("".join(["https://u:p@h", "/x"])) == "https://***@h/x"
    assert redactor.text("".join(["https://u:p@h", "/x"])) == "https://***@h/x"
