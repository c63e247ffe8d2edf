"""Disaster recovery rules, SigV4 signing and ListObjectsV2 parsing: no servers."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pydantic import ValidationError

from readiness.demo._operations_api import RECORDED
from readiness.errors import SourceError
from readiness.profile.operations import (
    Attestation,
    DrPolicy,
    OffsiteCopy,
    RecoveryObjective,
    S3Credentials,
)
from readiness.rules import operations_dr as rules
from readiness.rules.operations_backups import Backup, BackupSet
from readiness.sources.s3 import BucketListing, S3Object, parse_page, sign

NOW = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)
AWS_KEY = S3Credentials(
    access_key_id="AKIAIOSFODNN7EXAMPLE",
    secret_access_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
)


# ----------------------------------------------------------------------- S3 client


def test_sigv4_matches_the_aws_documentation_example() -> None:
    # "GET Bucket (List Objects)" of the SigV4 header-based authentication examples:
    # https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
    headers = sign(
        AWS_KEY,
        "us-east-1",
        "examplebucket.s3.amazonaws.com",
        "/",
        {"max-keys": "2", "prefix": "J"},
        dt.datetime(2013, 5, 24, tzinfo=dt.UTC),
    )
    assert headers["Authorization"] == (
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
        "SignedHeaders=host;x-amz-content-sha256;x-amz-date, "
        "Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"
    )
    assert headers["x-amz-date"] == "20130524T000000Z"


def test_a_session_token_is_signed_and_sent() -> None:
    creds = AWS_KEY.model_copy(update={"session_token": "FQoGZXIvYXdzEXAMPLETOKENVALUE"})
    headers = sign(creds, "eu-central-1", "h:1", "/b", {"list-type": "2"}, NOW)
    assert headers["x-amz-security-token"] == "FQoGZXIvYXdzEXAMPLETOKENVALUE"
    assert (
        "SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token"
        in (headers["Authorization"])
    )


def test_recorded_pages_parse() -> None:
    last = parse_page("s3", "u", (RECORDED / "s3_list_objects_v2.xml").read_bytes())
    assert last.next_token is None
    assert last.objects == (
        S3Object("my-image.jpg", dt.datetime(2009, 10, 12, 17, 50, 30, tzinfo=dt.UTC), 434234),
    )
    first = parse_page("s3", "u", (RECORDED / "s3_list_objects_v2_truncated.xml").read_bytes())
    assert first.next_token == "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM="
    assert [o.key for o in first.objects] == ["happyface.jpg"]


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"<html>login</html>", "answered <html>, not a ListObjectsV2"),
        (b"<ListBucketResult><Contents>", "invalid XML"),
        (b'<!DOCTYPE x [<!ENTITY a "b">]><ListBucketResult/>', "DOCTYPE"),
        (
            b"<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>",
            "no NextContinuationToken",
        ),
        (
            b"<ListBucketResult><Contents><Key>a</Key>"
            b"<LastModified>yesterday</LastModified></Contents></ListBucketResult>",
            "not an ISO 8601 time",
        ),
    ],
)
def test_bad_listings_are_source_errors(body: bytes, error: str) -> None:
    with pytest.raises(SourceError, match=error):
        parse_page("offsite db", "https://s3/b", body)


def test_offsite_copy_needs_one_kind_of_access() -> None:
    base: dict[str, Any] = {"url": "https://s3.example", "bucket": "dr-copies", "region": "eu"}
    with pytest.raises(ValidationError, match="exactly one"):
        OffsiteCopy.model_validate(base)
    with pytest.raises(ValidationError, match="exactly one"):
        OffsiteCopy.model_validate(
            {**base, "anonymous": True, "auth": AWS_KEY.model_dump(exclude_none=True)}
        )
    assert OffsiteCopy.model_validate({**base, "anonymous": True}).endpoint().url == base["url"]
    with pytest.raises(ValidationError, match="two objectives"):
        DrPolicy.model_validate(
            {"objectives": [{"service": "a", "rto_minutes": 1, "rpo_minutes": 1}] * 2}
        )


# ------------------------------------------------------------------------- offsite


def listing(newest_age_hours: float | None, region: str = "eu-central-1") -> BucketListing:
    newest = (
        None
        if newest_age_hours is None
        else S3Object("db/x.sql.gz", NOW - dt.timedelta(hours=newest_age_hours), 10)
    )
    return BucketListing(
        "s3://dr/db/", "https://s3/dr", region, "anonymous", 3, newest, 1, complete=True
    )


def test_a_fresh_copy_in_another_region_passes() -> None:
    assert rules.offsite_findings("db", "eu-west-1", listing(3), NOW, 26) == []


def test_a_stale_copy_fails_with_its_age() -> None:
    (finding,) = rules.offsite_findings("db", "eu-west-1", listing(50), NOW, 26)
    assert finding.message == (
        "backup db: newest copy in s3://dr/db/ (eu-central-1) (db/x.sql.gz) is 2.1 days old"
    )
    assert finding.expected == "at most 26.0 h"


def test_same_region_and_undeclared_region_fail() -> None:
    (same,) = rules.offsite_findings("db", "EU-Central-1", listing(1), NOW, 26)
    assert "same region as the primary backups (EU-Central-1)" in same.message
    (unknown,) = rules.offsite_findings("db", None, listing(1), NOW, 26)
    assert "region is not declared" in unknown.message


def test_an_empty_bucket_fails() -> None:
    (finding,) = rules.offsite_findings("db", "eu-west-1", listing(None), NOW, 26)
    assert finding.message == "backup db: no object under s3://dr/db/ (eu-central-1)"


def test_no_offsite_declared_fails() -> None:
    (finding,) = rules.no_offsite_findings("uploads")
    assert finding.found == "none" and "offsite:" in finding.fix


# ------------------------------------------------------------------------- RTO / RPO


def daily(days: int, newest_age_hours: float, step_hours: float = 24) -> BackupSet:
    backups = tuple(
        Backup(f"b{i}", NOW - dt.timedelta(hours=newest_age_hours + i * step_hours))
        for i in reversed(range(days))
    )
    return BackupSet("db", "directory", backups, backups[-1:])


OBJECTIVE = RecoveryObjective(service="checkout", rto_minutes=240, rpo_minutes=1560)


def test_backups_within_the_rpo_pass() -> None:
    cadence = rules.BackupCadence("db", 24, daily(10, 2))
    assert rules.rpo_findings(OBJECTIVE, [cadence], NOW, 7) == []


def test_a_schedule_longer_than_the_rpo_fails() -> None:
    tight = OBJECTIVE.model_copy(update={"rpo_minutes": 60})
    (finding,) = rules.rpo_findings(tight, [rules.BackupCadence("db", 24, daily(10, 0.5))], NOW, 7)
    assert finding.message == "checkout: backup db runs every 24.0 h, longer than the RPO of 60 min"


def test_a_gap_over_the_rpo_fails() -> None:
    gappy = daily(10, 2, step_hours=24)
    missing = tuple(b for b in gappy.backups if b.name != "b3")
    cadence = rules.BackupCadence("db", 24, BackupSet("db", "directory", missing, missing[-1:]))
    (finding,) = rules.rpo_findings(OBJECTIVE, [cadence], NOW, 7)
    assert "left 2.0 days without a backup in the last 7 days" in finding.message
    stale = rules.BackupCadence("db", 24, daily(10, 40))
    (finding,) = rules.rpo_findings(OBJECTIVE, [stale], NOW, 7)
    assert "left 40.0 h without a backup" in finding.message


def test_unknown_or_missing_backups_fail() -> None:
    (none,) = rules.rpo_findings(OBJECTIVE, [], NOW, 7)
    assert "no backup named for it" in none.message
    (unknown,) = rules.rpo_findings(OBJECTIVE, [rules.BackupCadence("ghost", 24, None)], NOW, 7)
    assert "'ghost' is not a targets.backups location" in unknown.message
    empty = rules.BackupCadence("db", 24, BackupSet("db", "directory", ()))
    (finding,) = rules.rpo_findings(OBJECTIVE, [empty], NOW, 7)
    assert "has no backups" in finding.message


# ------------------------------------------------------------------------- drills


def drill(days_ago: int, minutes: float | None, status: str = "passed") -> Attestation:
    return Attestation.model_validate(
        {
            "control": "OPS-DR-DRILL",
            "status": status,
            "explanation": "orders-db restored into dr-test, checkout served from it",
            "attested_by": "sam@example.com",
            "date": (NOW.date() - dt.timedelta(days=days_ago)).isoformat(),
            "frequency": "90d",
            "target": "checkout",
            "measured_rto_minutes": minutes,
        }
    )


def test_a_recent_drill_within_the_rto_passes() -> None:
    assert rules.drill_findings(OBJECTIVE, [drill(10, 95)], NOW.date(), 90) == []


def test_a_drill_over_the_rto_fails() -> None:
    (finding,) = rules.drill_findings(OBJECTIVE, [drill(10, 300)], NOW.date(), 90)
    assert finding.message == (
        f"checkout: the restore drill of {drill(10, 300).date} took 5 h, over the RTO of 4 h"
    )
    assert finding.found == "5 h (attested by sam@example.com)"


def test_old_failed_or_untimed_drills_fail() -> None:
    (old,) = rules.drill_findings(OBJECTIVE, [drill(120, 60)], NOW.date(), 90)
    assert "is 120 days old" in old.message
    (failed,) = rules.drill_findings(OBJECTIVE, [drill(5, 60, "failed")], NOW.date(), 90)
    assert "failed" in failed.message
    (untimed,) = rules.drill_findings(OBJECTIVE, [drill(5, None)], NOW.date(), 90)
    assert "records no measured recovery time" in untimed.message
    (none,) = rules.drill_findings(OBJECTIVE, [], NOW.date(), 90)
    assert none.message == "checkout: no restore drill recorded"


def test_path_and_virtual_hosted_addresses() -> None:
    from readiness.sources.s3 import _where

    base: dict[str, Any] = {"bucket": "dr-copies", "region": "eu", "anonymous": True}
    path = OffsiteCopy.model_validate({**base, "url": "https://s3.example:9000/"})
    assert _where(path) == ("https://s3.example:9000", "s3.example:9000", "/dr-copies")
    virtual = OffsiteCopy.model_validate(
        {**base, "url": "https://s3.eu-central-1.amazonaws.com", "virtual_host": True}
    )
    assert _where(virtual) == (
        "https://dr-copies.s3.eu-central-1.amazonaws.com",
        "dr-copies.s3.eu-central-1.amazonaws.com",
        "/",
    )


def test_only_drills_carry_a_measured_rto() -> None:
    with pytest.raises(ValidationError, match="measured_rto_minutes belongs to a restore drill"):
        Attestation.model_validate(
            {**drill(1, 30).model_dump(mode="json"), "control": "OPS-ENV-VALIDATION"}
        )
    assert drill(1, 30).measured_rto_minutes == 30
