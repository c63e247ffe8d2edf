"""The DORA store never hangs the gate and never turns a URL into a file name."""

from __future__ import annotations

import time
from pathlib import Path

import psycopg
import pytest

from readiness.dora.model import DoraError, StoreError
from readiness.dora.store import PostgresStore, open_store, sqlite_path


@pytest.mark.integration
def test_postgres_migration_lock_held_elsewhere_times_out_with_an_error(
    postgres_url: str,
) -> None:
    open_store(postgres_url).close()  # migrated once
    with psycopg.connect(postgres_url, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(hashtext('readiness.dora'))")
        started = time.monotonic()
        with pytest.raises(StoreError, match="lock timeout"):
            PostgresStore(postgres_url, lock_timeout=1.0)
        assert time.monotonic() - started < 10
    open_store(postgres_url).close()  # free again once the holder is gone


@pytest.mark.parametrize(
    "location",
    [
        "mysql://root:hunter2-secret@db/dora",
        "postgresql+psycopg://u:pw-secret@h/db",
        "http://store.example/dora?token=abcdef",
        "sqlite:",
    ],
)
def test_unsupported_store_urls_are_refused_with_credentials_masked(
    location: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DoraError) as caught:
        open_store(location)
    assert "secret" not in str(caught.value) and "abcdef" not in str(caught.value)
    assert list(tmp_path.iterdir()) == []  # no file made from the URL


@pytest.mark.parametrize(
    ("location", "path"),
    [
        ("dora.sqlite", "dora.sqlite"),
        ("sqlite:dora.sqlite", "dora.sqlite"),
        ("sqlite:///var/lib/dora.sqlite", "/var/lib/dora.sqlite"),
        ("/tmp/x/dora.db", "/tmp/x/dora.db"),
    ],
)
def test_sqlite_locations_name_their_file(location: str, path: str) -> None:
    assert sqlite_path(location) == Path(path)
