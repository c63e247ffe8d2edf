"""Post-mortems of major incidents (DORA-POSTMORTEM), on SQLite and a real PostgreSQL:
the store and its migration, the CLI that links them, and the check in a gate run."""

from __future__ import annotations

import datetime as dt
import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from readiness.cli import main
from readiness.dora.model import DoraError, Incident
from readiness.dora.store import SCHEMA_VERSION, open_store

pytestmark = pytest.mark.integration

NOW = dt.datetime(2026, 11, 24, 12, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
CHECKS = Path(__file__).resolve().parents[2] / "checks" / "test_dora.py"
SECRET_URL = "https://ana:hunter2-pw@wiki.example.com/pm/INC-7?share=tok-5e1c9a&view=1#timeline"
MASKED_URL = "https://***@wiki.example.com/pm/INC-7?share=***&view=***#timeline"


def incident(ident: str, severity: str, opened: dt.datetime, **extra: Any) -> Incident:
    return Incident(
        id=ident, service="cart", environment="production", opened_at=opened,
        severity=severity, title=f"{ident} title", **extra,
    )  # fmt: skip


def test_store_links_postmortems_masked_and_idempotent(dora_location: str) -> None:
    store = open_store(dora_location)
    try:
        store.open_incident(incident("INC-7", "SEV1", NOW - 2 * DAY), NOW)
        resolved, changed = store.resolve_incident(
            "INC-7", NOW - DAY, NOW - DAY, postmortem_url=SECRET_URL
        )
        assert changed and resolved.resolved_at == NOW - DAY
        assert resolved.postmortem_url == MASKED_URL
        assert resolved.postmortem_at == NOW - DAY
        same, changed = store.link_postmortem("INC-7", SECRET_URL, NOW)
        assert not changed and same.postmortem_at == NOW - DAY
        fixed, changed = store.link_postmortem("INC-7", "https://wiki.example.com/pm/7", NOW)
        assert changed and fixed.postmortem_url == "https://wiki.example.com/pm/7"
        assert fixed.postmortem_at == NOW - DAY  # the first link's time stays
        # a post-mortem on an already resolved incident, through resolve again
        store.open_incident(incident("INC-8", "SEV2", NOW - 3 * DAY), NOW)
        store.resolve_incident("INC-8", NOW - 2 * DAY, NOW)
        again, changed = store.resolve_incident(
            "INC-8", NOW, NOW, postmortem_url="https://wiki.example.com/pm/8"
        )
        assert changed and again.resolved_at == NOW - 2 * DAY  # resolution unchanged
        assert again.postmortem_url == "https://wiki.example.com/pm/8"
        with pytest.raises(DoraError, match="unknown incident id 'INC-404'"):
            store.link_postmortem("INC-404", "https://wiki.example.com/x", NOW)
        with pytest.raises(DoraError, match="is not an http"):
            store.link_postmortem("INC-8", "javascript:alert(1)", NOW)
        (stored,) = [i for i in store.incidents(NOW - 9 * DAY, NOW) if i.id == "INC-8"]
        assert stored.postmortem_url == "https://wiki.example.com/pm/8"
    finally:
        store.close()


def test_schema_3_incidents_migrate_without_postmortem(
    dora_location: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from readiness.dora import store as store_module

    monkeypatch.setattr(store_module, "SCHEMA_VERSION", 3)
    old = open_store(dora_location)
    assert old.schema_version() == 3
    with old._tx() as cur:  # type: ignore[attr-defined]  # a row as schema 3 wrote it
        old._exec(  # type: ignore[attr-defined]
            cur,
            "INSERT INTO incidents (id, service, environment, severity, title, opened_at, "
            "resolved_at, deployment_id, source, opened_by_run, resolved_by_run, recorded_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            ("OLD-1", "cart", "production", "SEV1", "", int(NOW.timestamp()) - 3600,
             int(NOW.timestamp()), None, "manual", "", "", int(NOW.timestamp())),
        )  # fmt: skip
    old.close()
    monkeypatch.undo()
    new = open_store(dora_location)
    try:
        assert new.schema_version() == SCHEMA_VERSION >= 4
        found = new.incident("OLD-1")
        assert found is not None and (found.postmortem_url, found.postmortem_at) == ("", None)
        linked, _ = new.link_postmortem("OLD-1", "https://wiki.example.com/pm/old-1", NOW)
        assert linked.postmortem_at == NOW
    finally:
        new.close()


def dora(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["dora", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_resolve_with_postmortem_and_link_later(
    dora_location: str, capsys: pytest.CaptureFixture[str]
) -> None:
    s = ["--store", dora_location]
    opened = ["--service", "cart", "--severity", "SEV1", "--at", "2026-11-20T10:00:00Z"]
    assert dora(capsys, "incident", "open", "INC-1", *s, *opened)[0] == 0
    assert dora(capsys, "incident", "open", "INC-2", *s, *opened)[0] == 0
    code, out, err = dora(
        capsys, "incident", "resolve", "INC-1", *s, "--at", "2026-11-20T12:00:00Z",
        "--postmortem", SECRET_URL,
    )  # fmt: skip
    assert code == 0, err
    assert out.splitlines() == [
        "incident INC-1 resolved at 2026-11-20T12:00:00Z",
        f"post-mortem: {MASKED_URL}",
    ]
    code, out, _ = dora(capsys, "incident", "resolve", "INC-2", *s, "--at", "2026-11-20T13:00:00Z")
    assert (code, out.strip()) == (0, "incident INC-2 resolved at 2026-11-20T13:00:00Z")
    code, out, _ = dora(capsys, "incident", "postmortem", "INC-2", "https://wiki.example.com/2", *s)
    assert (code, out.strip()) == (
        0,
        "incident INC-2: post-mortem linked: https://wiki.example.com/2",
    )
    code, out, _ = dora(capsys, "incident", "postmortem", "INC-2", "https://wiki.example.com/2", *s)
    assert "already linked (unchanged)" in out
    code, out, _ = dora(capsys, "incident", "list", *s, "--days", "36500", "--json")
    rows = {r["id"]: r for r in json.loads(out)}
    assert rows["INC-1"]["postmortem"] == MASKED_URL
    assert rows["INC-2"]["postmortem"] == "https://wiki.example.com/2"
    code, out, _ = dora(capsys, "incident", "list", *s, "--days", "36500")
    assert "post-mortem https://wiki.example.com/2" in out
    everything = out
    for bad in ("ftp://wiki.example.com/x", "not a url"):
        code, out, err = dora(capsys, "incident", "postmortem", "INC-2", bad, *s)
        assert code == 2 and "is not an http(s) URL" in err
        everything += out + err
    code, _, err = dora(capsys, "incident", "postmortem", "INC-404", "https://x.example/", *s)
    assert code == 2 and "unknown incident id 'INC-404'" in err
    assert "hunter2" not in everything and "tok-5e1c9a" not in everything
    store = open_store(dora_location)
    try:
        found = store.incident("INC-2")
        assert found is not None and found.postmortem_url == "https://wiki.example.com/2"
    finally:
        store.close()


def _profile(store: str) -> str:
    return textwrap.dedent(
        f"""\
        extends: none
        environment: production
        release: {{version: "2.0.0", services: [cart, search]}}
        dora:
          store: "{store}"
          record: false
          postmortems: {{enabled: true, due_days: 5}}
        """
    )


def test_gate_lists_overdue_postmortems(
    pytester: pytest.Pytester, dora_location: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The bundled check in a gate run: overdue SEV1/SEV2 post-mortems fail their service,
    one not yet due, a minor one and a linked one do not; linking it passes."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    store = open_store(dora_location)
    try:
        for ident, severity, resolved_days_ago, url in (
            ("PM-OVERDUE", "SEV1", 9, ""),
            ("PM-NOT-YET", "SEV2", 2, ""),
            ("PM-MINOR", "SEV3", 30, ""),
            ("PM-DONE", "SEV2", 20, "https://wiki.example.com/pm/done"),
            ("PM-LATE", "SEV2", 20, "https://wiki.example.com/pm/late"),  # linked now
            ("PM-ANCIENT", "SEV1", 400, ""),  # beyond the 90-day look-back
        ):
            resolved = now - resolved_days_ago * DAY
            linked = resolved + DAY if ident == "PM-DONE" else None
            store.open_incident(
                incident(ident, severity, resolved - DAY, resolved_at=resolved,
                         postmortem_url=url, postmortem_at=linked), now,
            )  # fmt: skip
    finally:
        store.close()
    pytester.makepyfile(test_dora_checks=CHECKS.read_text())
    pytester.makefile(".yaml", prof=_profile(dora_location))

    def gate() -> dict[str, dict[str, Any]]:
        pytester.runpytest_subprocess("--profile=prof.yaml", "-p", "no:cacheprovider")
        report = json.loads((pytester.path / "reports" / "readiness-report.json").read_text())
        return {c["target"]: c for c in report["checks"] if c["control"] == "DORA-POSTMORTEM"}

    before = gate()
    assert before["search"]["outcome"] == "passed"
    cart = before["cart"]
    assert cart["outcome"] == "warned", cart  # medium: below the default gate
    assert "incident PM-OVERDUE (SEV1) on cart in production" in cart["message"]
    assert "has no post-mortem, 4.0 d past its due date" in cart["message"]
    assert "readiness dora incident postmortem PM-OVERDUE URL" in cart["message"]
    assert "PM-NOT-YET" not in cart["message"]
    states = {i["id"]: i["state"] for i in cart["evidence"]["incidents"]}
    assert states == {
        "PM-OVERDUE": "overdue",
        "PM-NOT-YET": "due",
        "PM-DONE": "linked",
        "PM-LATE": "linked late",
    }
    assert cart["evidence"]["severities"] == ["SEV1", "SEV2"]
    code = main(["dora", "incident", "postmortem", "PM-OVERDUE", "https://wiki.example.com/pm/9",
                 "--store", dora_location])  # fmt: skip
    assert code == 0
    assert gate()["cart"]["outcome"] == "passed"
