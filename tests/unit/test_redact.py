"""Secrets are masked by structure: URL parts, whole values, never keys or fixed text."""

from __future__ import annotations

import datetime as dt

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
