"""`readiness dora` as a user types it: --store/--profile before or after the
subcommand, piped to head, read-only commands on a store that does not exist, and
"no data" for metrics without samples (SQLite and a real PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from readiness.cli import main
from readiness.dora.model import Incident
from readiness.dora.store import open_store

pytestmark = pytest.mark.integration


def dora(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["dora", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def open_ids(location: str) -> list[str]:
    store = open_store(location)
    try:
        return [i.id for i in store.open_incidents()]
    finally:
        store.close()


@pytest.mark.parametrize("where", ["before", "after"])
def test_store_is_honoured_before_or_after_the_subcommand(
    dora_location: str,
    where: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.chdir(tmp_path)  # the default store would be ./reports/dora.sqlite
    opts = ["--store", dora_location]
    args = ["incident", "open", "INC-9", "--service", "pay", "--severity", "SEV2"]
    argv = [*opts, *args] if where == "before" else [*args, *opts]
    code, out, err = dora(capsys, *argv)
    assert code == 0, err
    assert "incident INC-9 opened" in out
    assert open_ids(dora_location) == ["INC-9"]
    assert not (tmp_path / "reports").exists()
    listing = ["incident", "list", "--json"]
    code, out, _ = dora(capsys, *([*opts, *listing] if where == "before" else [*listing, *opts]))
    assert code == 0 and [r["id"] for r in json.loads(out)] == ["INC-9"]


def test_profile_before_the_subcommand_names_the_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    store = tmp_path / "team.sqlite"
    (tmp_path / "p.yaml").write_text(
        f"extends: none\nenvironment: production\ndora: {{store: {store}}}\n"
    )
    code, _, err = dora(
        capsys, "--profile", "p.yaml", "incident", "open", "INC-1", "--service", "cart"
    )
    assert code == 0, err
    assert open_ids(str(store)) == ["INC-1"]


def test_read_only_commands_never_create_a_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nowhere" / "dora.sqlite"
    code, out, err = dora(capsys, "--store", str(missing), "--days", "30", "--json")
    assert code == 0, err
    metrics = json.loads(out)["metrics"]
    for name in ("deployment_frequency", "lead_time", "change_failure_rate", "time_to_restore"):
        assert metrics[name]["sample"] == 0 and metrics[name]["level"] is None, name
    assert "no store at" in err
    code, out, err = dora(capsys, "--store", str(missing), "--days", "30")
    assert code == 0
    rows = [line for line in out.splitlines() if line.startswith(("Deployment", "Change"))]
    assert rows and all("no data" in row for row in rows)
    assert not any(level in out for level in (" low ", " elite ", " high ", " medium "))
    code, out, _ = dora(capsys, "incident", "list", "--store", str(missing))
    assert (code, out.strip()) == (0, "no open incidents")
    assert not missing.exists() and not missing.parent.exists()


def test_output_piped_to_head_ends_quietly(tmp_path: Path) -> None:
    store = tmp_path / "dora.sqlite"
    opened = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    s = open_store(str(store))
    try:
        for i in range(1000):  # ~250 kB of JSON: far more than a pipe holds
            s.open_incident(Incident(f"INC-{i}", f"svc-{i}", "production", opened), opened)
    finally:
        s.close()
    reader = subprocess.Popen(["head", "-n", "1"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    writer = subprocess.run(
        [sys.executable, "-m", "readiness.cli", "dora", "--store", str(store), "incident", "list"],
        stdout=reader.stdin,
        stderr=subprocess.PIPE,
        env=env,
        timeout=120,
        check=False,
    )
    assert reader.stdin is not None and reader.stdout is not None
    reader.stdin.close()
    first = reader.stdout.read().decode()
    assert reader.wait(timeout=30) == 0
    reader.stdout.close()
    assert first.startswith("INC-")
    assert writer.returncode == 0
    assert b"Traceback" not in writer.stderr and b"BrokenPipe" not in writer.stderr
