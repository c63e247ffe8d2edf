"""The offline vulnerability database: import of real OSV exports and records, status,
age and the SC-VULNS database verdict, alias de-duplication, waivers by alias, the CLI."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sqlite3
import zipfile
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from readiness.cli import main
from readiness.controls import Severity
from readiness.errors import SourceError
from readiness.rules.supply_chain_vulns import (
    OsvDatabase,
    VulnDbStatus,
    database_findings,
    is_blocking,
    match_components,
    parse_osv_record,
    purl_key,
    waiver_id,
)
from readiness.sources.vulndb import SCHEMA_VERSION, VulnStore

OSV = Path(__file__).resolve().parents[1] / "data" / "supply_chain" / "osv"
EXPORT = OSV / "export" / "Go" / "all.zip"
GHSA = OSV / "github-advisory-database" / "advisories" / "github-reviewed"
LOG4SHELL = GHSA / "2021" / "12" / "GHSA-jfh8-c2jp-5v3q" / "GHSA-jfh8-c2jp-5v3q.json"
HTTP2 = GHSA / "2022" / "09" / "GHSA-69cg-p879-7622" / "GHSA-69cg-p879-7622.json"
GO_0969 = OSV / "golang-vulndb" / "data" / "osv" / "GO-2022-0969.json"
NOW = dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.UTC)
XNET_OLD = "pkg:golang/golang.org/x/net@v0.0.0-20220826154423-83b083e8dc8b"
LOG4J = "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"


@pytest.fixture
def store(tmp_path: Path) -> VulnStore:
    db = VulnStore(tmp_path / "vulndb.sqlite")
    db.import_paths([EXPORT, LOG4SHELL, HTTP2], NOW)
    return db


def test_import_reads_the_export_archive_and_single_records(store: VulnStore) -> None:
    status = store.status()
    assert status.exists and status.imports == 3
    assert status.records == 36  # 34 Go records in the archive + 2 GHSA records
    ecosystems = dict(status.ecosystems)
    assert ecosystems["Maven"] == 1 and ecosystems["Go"] == 35
    assert status.imported_at == NOW
    assert status.age_days(NOW + dt.timedelta(days=2)) == pytest.approx(2.0)


def test_import_is_incremental(store: VulnStore, tmp_path: Path) -> None:
    again = store.import_paths([EXPORT], NOW + dt.timedelta(days=1))[0]
    assert (again.added, again.updated, again.unchanged) == (0, 0, 34)
    record = json.loads(LOG4SHELL.read_text())
    record["modified"] = "2026-01-01T00:00:00Z"
    record["withdrawn"] = "2026-01-01T00:00:00Z"
    newer = tmp_path / "GHSA-jfh8-c2jp-5v3q.json"
    newer.write_text(json.dumps(record))
    report = store.import_paths([newer], NOW + dt.timedelta(days=1))[0]
    assert (report.added, report.updated) == (0, 1)
    status = store.status()
    assert status.withdrawn == 1 and status.records == 35
    assert status.imported_at == NOW + dt.timedelta(days=1)
    assert store.database_for([("Maven", "org.apache.logging.log4j:log4j-core")]).records == 0


def test_bad_inputs_are_reported_not_fatal(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"no": "id"}')
    report = VulnStore(tmp_path / "db.sqlite").import_paths([bad], NOW)[0]
    assert report.added == 0 and "not an OSV record" in report.problems[0]
    with pytest.raises(SourceError, match="cannot read"):
        VulnStore(tmp_path / "db.sqlite").import_paths([tmp_path / "missing.zip"], NOW)


def test_matching_reads_only_the_packages_asked_for(store: VulnStore) -> None:
    db = store.database_for([("Maven", "org.apache.logging.log4j:log4j-core")])
    assert db.records == 1
    result = match_components([LOG4J, "pkg:maven/org.apache.logging.log4j/log4j-core@2.17.1"], db)
    [vuln] = result.vulns
    assert vuln.id == "GHSA-jfh8-c2jp-5v3q" and vuln.aliases == ("CVE-2021-44228",)
    assert vuln.score == 10.0 and vuln.severity == Severity.CRITICAL
    assert vuln.components == (LOG4J,)


def test_aliases_from_two_databases_are_one_vulnerability(store: VulnStore) -> None:
    db = store.database_for([("Go", "golang.org/x/net")])
    result = match_components([XNET_OLD], db)
    ids = [v.id for v in result.vulns]
    assert "GO-2022-0969" not in ids  # merged into the GHSA record of CVE-2022-27664
    [http2] = [v for v in result.vulns if "CVE-2022-27664" in v.aliases]
    assert http2.id == "GHSA-69cg-p879-7622"
    assert set(http2.aliases) == {"CVE-2022-27664", "GO-2022-0969"}
    assert http2.score == 7.5 and http2.severity == Severity.HIGH  # from the GHSA record
    assert is_blocking(http2, Severity.HIGH, None, True)
    assert not is_blocking(http2, Severity.CRITICAL, None, True)
    assert is_blocking(http2, Severity.CRITICAL, 7.0, True)  # CVSS threshold wins
    # the Go records without a severity stay unknown and block unless told otherwise
    unknown = [v for v in result.vulns if v.severity is None]
    assert unknown and is_blocking(unknown[0], Severity.HIGH, None, True)
    assert not is_blocking(unknown[0], Severity.HIGH, None, False)


def test_waiver_may_name_any_alias(store: VulnStore) -> None:
    db = store.database_for([("Maven", "org.apache.logging.log4j:log4j-core")])
    [vuln] = match_components([LOG4J], db).vulns
    assert waiver_id(vuln, "app.jar", ["app.jar/CVE-2021-44228"]) == "CVE-2021-44228"
    assert waiver_id(vuln, "app.jar", ["*/GHSA-jfh8-*"]) == "GHSA-jfh8-c2jp-5v3q"
    assert waiver_id(vuln, "app.jar", ["other.jar/CVE-2021-44228"]) == "GHSA-jfh8-c2jp-5v3q"


@pytest.mark.parametrize(
    ("configured", "status", "expected"),
    [
        (None, None, "no vulnerability database configured"),
        ("db", VulnDbStatus("db", False), "vulnerability database db does not exist"),
        ("db", VulnDbStatus("db", True, NOW, 0), "holds no records"),
        ("db", VulnDbStatus("db", True, None, 5), "is stale: last import never"),
        (
            "db",
            VulnDbStatus("db", True, NOW - dt.timedelta(days=8), 5),
            "is stale: last import 2026-11-29T12:00:00+00:00 (8.0 days ago)",
        ),
    ],
)
def test_an_unusable_database_is_a_finding(
    configured: str | None, status: VulnDbStatus | None, expected: str
) -> None:
    [finding] = database_findings(configured, status, 7, NOW)
    assert expected in finding.message
    assert finding.expected and finding.found
    assert "readiness vulndb import" in finding.fix


def test_a_fresh_database_is_no_finding() -> None:
    fresh = VulnDbStatus("db", True, NOW - dt.timedelta(days=6.9), 5)
    assert database_findings("db", fresh, 7, NOW) == []


def test_status_of_a_foreign_file_is_a_source_error(tmp_path: Path) -> None:
    other = tmp_path / "other.sqlite"
    sqlite3.connect(other).close()
    other.write_bytes(b"not sqlite at all" * 100)
    with pytest.raises(SourceError, match="not a readiness vulnerability database"):
        VulnStore(other).status()


def test_cli_import_and_status(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "cli.sqlite"
    monkeypatch.setenv("READINESS_VULNDB", str(db))
    zipped = tmp_path / "Go" / "all.zip"
    zipped.parent.mkdir()
    shutil.copy(EXPORT, zipped)
    assert main(["vulndb", "status", "--max-age-days", "7"]) == 1
    assert "not found" in capsys.readouterr().out
    assert main(["vulndb", "import", str(zipped), str(GO_0969)]) == 0
    out = capsys.readouterr().out
    assert f"{zipped}: 34 added, 0 updated, 0 unchanged" in out
    assert f"{GO_0969}: 0 added, 0 updated, 1 unchanged" in out
    assert main(["vulndb", "status", "--max-age-days", "7"]) == 0
    text = capsys.readouterr().out
    assert "records:       34 (+0 withdrawn)" in text and "Go" in text
    assert main(["vulndb", "status", "--json", "--db", str(db)]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["records"] == 34 and doc["ecosystems"] == {"Go": 34} and doc["imports"] == 2


def _purls_for(records: list[dict[str, Any]]) -> list[str]:
    """A purl per affected package of the records at each version their ranges name."""
    purls = []
    for record in records:
        for entry in record.get("affected", []):
            eco, name = entry["package"]["ecosystem"], entry["package"]["name"]
            versions = {"0.0.1", "99.0.0", *entry.get("versions", [])}
            for rng in entry.get("ranges", []):
                versions.update(v for ev in rng["events"] for v in ev.values())
            for version in sorted(versions):
                if eco == "Go":
                    purls.append(f"pkg:golang/{name}@v{version.removeprefix('v')}")
                elif eco == "Maven":
                    purls.append(f"pkg:maven/{name.replace(':', '/')}@{version}")
    return purls


def test_stored_matching_forms_match_like_the_records_they_come_from(store: VulnStore) -> None:
    with zipfile.ZipFile(EXPORT) as archive:
        records = [json.loads(archive.read(n)) for n in archive.namelist()]
    records += [json.loads(p.read_text()) for p in (LOG4SHELL, HTTP2)]
    purls = _purls_for(records)
    parsed = OsvDatabase()
    for record in records:
        parsed.add(parse_osv_record(record))
    keys = [k for k in map(purl_key, purls) if k is not None]
    stored = match_components(purls, store.database_for(keys))
    assert stored == match_components(purls, parsed)
    assert len(stored.vulns) > 20 and stored.uncomparable == ()


OLD_SCHEMA = """
CREATE TABLE records (
    id TEXT PRIMARY KEY, modified TEXT NOT NULL, withdrawn INTEGER NOT NULL,
    body TEXT NOT NULL, imported_at TEXT NOT NULL
);
CREATE TABLE affected (record_id TEXT NOT NULL, ecosystem TEXT NOT NULL, name TEXT NOT NULL);
CREATE TABLE imports (
    at TEXT NOT NULL, source TEXT NOT NULL, added INTEGER NOT NULL, updated INTEGER NOT NULL,
    unchanged INTEGER NOT NULL, problems INTEGER NOT NULL
);
"""


def test_a_store_of_the_first_schema_is_upgraded_in_place(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.executescript(OLD_SCHEMA)
        body = LOG4SHELL.read_text()
        conn.execute(
            "INSERT INTO records VALUES (?, ?, 0, ?, ?)",
            ("GHSA-jfh8-c2jp-5v3q", json.loads(body)["modified"], body, NOW.isoformat()),
        )
        conn.execute(
            "INSERT INTO affected VALUES (?, ?, ?)",
            ("GHSA-jfh8-c2jp-5v3q", "Maven", "org.apache.logging.log4j:log4j-core"),
        )
        conn.execute("INSERT INTO imports VALUES (?, 'x', 1, 0, 0, 0)", (NOW.isoformat(),))
    old = VulnStore(path)
    [vuln] = match_components([LOG4J], old.database_for([purl_key(LOG4J)])).vulns  # type: ignore[list-item]
    assert vuln.id == "GHSA-jfh8-c2jp-5v3q" and vuln.score == 10.0
    assert old.status().ecosystems == (("Maven", 1),)
    with closing(sqlite3.connect(path)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "affected" not in tables and "matching" in tables
    again = old.import_paths([LOG4SHELL], NOW)[0]
    assert again.unchanged == 1


def test_a_store_of_a_newer_readiness_is_refused(store: VulnStore) -> None:
    with closing(sqlite3.connect(store.path)) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(SourceError, match="newer than this readiness"):
        store.database_for([("Go", "golang.org/x/net")])
