"""Disaster recovery end to end: pytest --profile lists offsite buckets on a local HTTPS
S3 stand-in answering with the recorded ListObjectsV2 documents (SigV4 checked), judges
real backup directories against RTO/RPO and drills against the RTO."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from readiness.demo._operations_api import RecordedApiServer, S3State, s3_routes
from readiness.demo.http import tls_context
from readiness.demo.tls import LocalCA, issue, make_ca
from tests.fixtures.operations import run_checks

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
KEY_ID = "AKIAREADINESSTEST01"
SECRET = "dr-listing-secret-Zq8vN2kL5xR7tY1pW3"
NOW = dt.datetime.now(dt.UTC)


def _objects(
    prefix: str, newest_age_hours: float, count: int
) -> dict[str, tuple[dt.datetime, int]]:
    objects = {f"{prefix}": (NOW - dt.timedelta(days=90), 0)}  # a folder marker
    for i in range(count):
        at = NOW - dt.timedelta(hours=newest_age_hours + 24 * i)
        objects[f"{prefix}db-{at:%Y%m%dT%H%M%S}.dump"] = (at, 1000 + i)
    return objects


@pytest.fixture
def s3(tmp_path: Path) -> Iterator[tuple[dict[str, RecordedApiServer], LocalCA]]:
    ca = make_ca(tmp_path / "ca")
    cert = issue(ca, tmp_path / "certs", "s3")
    buckets = {
        # signed, 3 pages of 4 keys, newest 2 h old, in another region
        "orders": S3State(
            "acme-dr-orders",
            "eu-central-1",
            _objects("orders/", 2, 10),
            (KEY_ID, SECRET),
            page_size=4,
        ),
        # public, newest 60 h old, in the primary's region
        "uploads": S3State("acme-dr-uploads", "eu-west-1", _objects("uploads/", 60, 3)),
        "wrong-key": S3State(
            "acme-dr-keys", "eu-central-1", _objects("k/", 1, 1), (KEY_ID, "x" * 30)
        ),
    }
    servers: dict[str, RecordedApiServer] = {}
    try:
        for name, state in buckets.items():
            servers[name] = RecordedApiServer(f"s3-{name}", s3_routes(state), tls=tls_context(cert))
        yield servers, ca
    finally:
        for server in servers.values():
            server.stop()


def _daily(directory: Path, newest_age_hours: float, days: int = 10) -> None:
    directory.mkdir(parents=True)
    for i in range(days):
        at = NOW - dt.timedelta(hours=newest_age_hours + 24 * i)
        (directory / f"db-{at:%Y%m%dT%H%M%S}.dump").write_bytes(b"x" * 1000)


def _offsite(
    server: RecordedApiServer, ca: LocalCA, bucket: str, prefix: str, **kw: Any
) -> dict[str, Any]:
    return {
        "url": server.url,
        "bucket": bucket,
        "prefix": prefix,
        "ca_file": str(ca.cert_file),
        "retries": 0,
        **kw,
    }


def test_dr_controls_end_to_end(
    pytester: pytest.Pytester,
    s3: tuple[dict[str, RecordedApiServer], LocalCA],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    servers, ca = s3
    for name in ("orders", "uploads", "ledger", "keys"):
        _daily(pytester.path / "backups" / name, 2)
    monkeypatch.setenv("DR_KEY_ID", KEY_ID)
    monkeypatch.setenv("DR_SECRET", SECRET)
    auth = {"access_key_id": "${DR_KEY_ID}", "secret_access_key": "${DR_SECRET}"}
    today = NOW.date()
    profile = {
        "environment": "test",
        "gate": {"fail_on": "high"},
        "targets": {
            "backups": [
                {
                    "name": "orders",
                    "directory": "backups/orders",
                    "region": "eu-west-1",
                    "offsite": _offsite(
                        servers["orders"],
                        ca,
                        "acme-dr-orders",
                        "orders/",
                        region="eu-central-1",
                        auth=auth,
                    ),
                },
                {
                    "name": "uploads",
                    "directory": "backups/uploads",
                    "region": "eu-west-1",
                    "offsite": _offsite(
                        servers["uploads"],
                        ca,
                        "acme-dr-uploads",
                        "uploads/",
                        region="eu-west-1",
                        anonymous=True,
                    ),
                },
                {"name": "ledger", "directory": "backups/ledger", "region": "eu-west-1"},
                {
                    "name": "keys",
                    "directory": "backups/keys",
                    "region": "eu-west-1",
                    "offsite": _offsite(
                        servers["wrong-key"],
                        ca,
                        "acme-dr-keys",
                        "k/",
                        region="eu-central-1",
                        auth=auth,
                    ),
                },
            ]
        },
        "operations": {
            "dr": {
                "objectives": [
                    {
                        "service": "checkout",
                        "rto_minutes": 240,
                        "rpo_minutes": 1560,
                        "backups": ["orders"],
                    },
                    {
                        "service": "cart",
                        "rto_minutes": 120,
                        "rpo_minutes": 60,
                        "backups": ["uploads"],
                    },
                ]
            }
        },
        "attestations": [
            {
                "control": "OPS-DR-DRILL",
                "target": "checkout",
                "status": "passed",
                "explanation": "orders restored into dr-test; checkout served from it",
                "attested_by": "sam.okafor@example.com",
                "date": (today - dt.timedelta(days=12)).isoformat(),
                "frequency": "90d",
                "measured_rto_minutes": 95,
            },
            {
                "control": "OPS-DR-DRILL",
                "target": "cart",
                "status": "passed",
                "explanation": "uploads restored from the offsite bucket",
                "attested_by": "sam.okafor@example.com",
                "date": (today - dt.timedelta(days=3)).isoformat(),
                "frequency": "90d",
                "measured_rto_minutes": 310,
            },
        ],
    }
    result, got = run_checks(pytester, profile, "-k", "dr_")

    def outcome(control: str, target: str) -> str:
        return str(got[(control, target)]["outcome"])

    offsite = {t: c["outcome"] for (ctl, t), c in got.items() if ctl == "OPS-DR-OFFSITE-BACKUP"}
    assert offsite == {"orders": "passed", "uploads": "failed", "ledger": "failed", "keys": "error"}
    orders = got[("OPS-DR-OFFSITE-BACKUP", "orders")]["evidence"]
    assert orders["pages"] == 3 and orders["objects"] == 10 and orders["complete"] is True
    assert orders["access"] == "signed (SigV4)" and orders["region"] == "eu-central-1"
    assert orders["newest"]["key"].startswith("orders/db-"), orders
    uploads = got[("OPS-DR-OFFSITE-BACKUP", "uploads")]["message"]
    assert "same region as the primary backups (eu-west-1)" in uploads
    assert "backup uploads: newest copy in s3://acme-dr-uploads/uploads/ (eu-west-1)" in uploads
    assert "is 2.5 days old" in uploads and "expected: at most 26.0 h" in uploads
    assert (
        "no copy in a second location declared"
        in got[("OPS-DR-OFFSITE-BACKUP", "ledger")]["message"]
    )
    assert "SignatureDoesNotMatch" in got[("OPS-DR-OFFSITE-BACKUP", "keys")]["message"]

    assert outcome("OPS-DR-RTO-RPO", "checkout") == "passed"
    assert outcome("OPS-DR-RTO-RPO", "cart") == "failed"
    assert (
        "backup uploads runs every 24.0 h, longer than the RPO of 60 min"
        in got[("OPS-DR-RTO-RPO", "cart")]["message"]
    )
    assert outcome("OPS-DR-DRILL", "checkout") == "passed"
    assert outcome("OPS-DR-DRILL", "cart") == "failed"
    assert "took 310 min, over the RTO of 2 h" in got[("OPS-DR-DRILL", "cart")]["message"]
    drill = got[("OPS-DR-DRILL", "checkout")]["evidence"]["drills"][0]
    assert drill["measured_rto_minutes"] == 95 and drill["attested_by"] == "sam.okafor@example.com"
    assert result.ret == 1

    for name in ("readiness-report.json", "readiness-report.html"):
        text = (pytester.path / "reports" / name).read_text()
        assert SECRET not in text and KEY_ID not in text, f"a credential leaked into {name}"
    assert SECRET not in result.stdout.str() and KEY_ID not in result.stdout.str()


def test_no_objectives_and_no_backups_need_evidence(pytester: pytest.Pytester) -> None:
    profile = {"environment": "test", "operations": {"dr": {"objectives": []}}}
    result, got = run_checks(pytester, profile, "-k", "dr_")
    assert {(c, t): v["outcome"] for (c, t), v in got.items()} == {
        ("OPS-DR-OFFSITE-BACKUP", "attested"): "failed",
        ("OPS-DR-RTO-RPO", "dr-objectives"): "failed",
        ("OPS-DR-DRILL", "dr-objectives"): "failed",
    }
    assert (
        "no recovery time or recovery point objective declared"
        in got[("OPS-DR-RTO-RPO", "dr-objectives")]["message"]
    )
    assert json.loads((pytester.path / "reports" / "readiness-report.json").read_text())
    assert result.ret == 1


def test_the_demo_shows_dr_passing_and_failing(tmp_path: Path) -> None:
    """The operations demo under the demo profile: one side of each DR control passes,
    the other fails, and the demo's listing credentials stay out of the report."""
    from readiness.demo import operations as demo_ops
    from readiness.plugin import checks_dir

    component = demo_ops.start(tmp_path / "demo")
    try:
        proc = subprocess.run(
            [
                *(sys.executable, "-m", "pytest", "--profile=demo", "-k", "dr_"),
                *(str(checks_dir() / "test_operations.py"), "-p", "no:cacheprovider"),
                *("--report-dir", str(tmp_path / "reports")),
            ],
            cwd=REPO,
            env={**os.environ, "READINESS_DEMO_DIR": str(tmp_path / "demo"), **component.env},
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        component.stop()
    raw = (tmp_path / "reports" / "readiness-report.json").read_text()
    got = {(c["control"], c["target"]): c["outcome"] for c in json.loads(raw)["checks"]}
    assert got == {
        ("OPS-DR-OFFSITE-BACKUP", "orders-db"): "passed",
        ("OPS-DR-OFFSITE-BACKUP", "uploads"): "failed",
        ("OPS-DR-OFFSITE-BACKUP", "analytics-db"): "failed",
        ("OPS-DR-OFFSITE-BACKUP", "orders-db-metric"): "failed",
        ("OPS-DR-RTO-RPO", "checkout"): "passed",
        ("OPS-DR-RTO-RPO", "analytics"): "failed",
        ("OPS-DR-DRILL", "checkout"): "passed",
        ("OPS-DR-DRILL", "analytics"): "failed",
    }, proc.stdout[-4000:]
    assert demo_ops.S3_SECRET not in raw and demo_ops.S3_KEY_ID not in raw


def test_a_listing_cut_at_max_pages_says_so(
    s3: tuple[dict[str, RecordedApiServer], LocalCA],
) -> None:
    from readiness.profile.operations import OffsiteCopy
    from readiness.rules.operations_dr import offsite_findings
    from readiness.sources.s3 import list_bucket

    servers, ca = s3
    auth = {"access_key_id": KEY_ID, "secret_access_key": SECRET}
    copy = OffsiteCopy.model_validate(
        _offsite(
            servers["orders"],
            ca,
            "acme-dr-orders",
            "orders/",
            region="eu-central-1",
            auth=auth,
            max_pages=2,
        )
    )
    listing = list_bucket("offsite orders", copy)
    # 8 keys on two pages, the folder marker "orders/" among them is no object
    assert (listing.pages, listing.objects, listing.complete) == (2, 7, False)
    assert servers["orders"].requests == ["/acme-dr-orders"] * 2
    (finding,) = offsite_findings("orders", "eu-west-1", listing, NOW, 26)
    assert "listing cut after 2 pages; newer keys may follow" in finding.found
