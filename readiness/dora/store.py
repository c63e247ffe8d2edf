"""The DORA store: SQLite (one file, the default) or PostgreSQL (shared by teams).

Guarantees, for both back ends:
- a versioned schema, migrated forward on open (``dora_schema`` holds the applied
  versions; concurrent openers serialise on a lock);
- idempotent writes keyed by ids: recording the same run, deployment or incident again
  changes nothing;
- one transaction per batch: a run with its deployments and incident changes is stored
  whole or not at all, so a writer killed mid-run leaves no half record;
- concurrent writers are safe: SQLite in WAL mode with ``BEGIN IMMEDIATE`` and a busy
  timeout; PostgreSQL transactions with ``ON CONFLICT`` and a partial unique index that
  keeps at most one open gate incident per service and environment.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

from readiness.dora.model import (
    Batch,
    Deployment,
    DeploymentKind,
    DoraError,
    GateIncidents,
    GateRun,
    Incident,
    StoreError,
    Written,
    from_epoch,
    postmortem_link,
    to_epoch,
)
from readiness.redact import safe_url

SCHEMA_VERSION = 4
BUSY_TIMEOUT_S = 60.0
CONNECT_TIMEOUT_S = 5

_MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (
        """CREATE TABLE gate_runs (
            id TEXT PRIMARY KEY,
            profile TEXT NOT NULL,
            environment TEXT NOT NULL,
            passed INTEGER NOT NULL,
            started_at BIGINT NOT NULL,
            finished_at BIGINT NOT NULL,
            commit_sha TEXT NOT NULL,
            services TEXT NOT NULL,
            summary TEXT NOT NULL,
            recorded_at BIGINT NOT NULL)""",
        "CREATE INDEX gate_runs_finished ON gate_runs (finished_at)",
        """CREATE TABLE deployments (
            id TEXT PRIMARY KEY,
            service TEXT NOT NULL,
            environment TEXT NOT NULL,
            deployed_at BIGINT NOT NULL,
            version TEXT NOT NULL,
            commit_sha TEXT NOT NULL,
            commit_time BIGINT,
            first_commit_time BIGINT,
            run_id TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('planned', 'rollback', 'hotfix')),
            recorded_at BIGINT NOT NULL)""",
        "CREATE INDEX deployments_time ON deployments (deployed_at)",
        "CREATE INDEX deployments_service_time ON deployments (service, deployed_at)",
        """CREATE TABLE incidents (
            id TEXT PRIMARY KEY,
            service TEXT NOT NULL,
            environment TEXT NOT NULL,
            severity TEXT NOT NULL,
            title TEXT NOT NULL,
            opened_at BIGINT NOT NULL,
            resolved_at BIGINT,
            deployment_id TEXT,
            source TEXT NOT NULL CHECK (source IN ('manual', 'gate')),
            opened_by_run TEXT NOT NULL,
            resolved_by_run TEXT NOT NULL,
            recorded_at BIGINT NOT NULL,
            CHECK (resolved_at IS NULL OR resolved_at >= opened_at))""",
        "CREATE INDEX incidents_opened ON incidents (opened_at)",
        "CREATE INDEX incidents_resolved ON incidents (resolved_at)",
        "CREATE INDEX incidents_deployment ON incidents (deployment_id)",
        """CREATE UNIQUE INDEX incidents_one_open_gate ON incidents (service, environment)
            WHERE resolved_at IS NULL AND source = 'gate'""",
    ),
    # Covering indexes: the metrics read only these columns, so a window is answered from
    # the index alone instead of one table lookup per deployment.
    2: (
        "DROP INDEX deployments_time",
        "DROP INDEX deployments_service_time",
        """CREATE INDEX deployments_time_cover ON deployments
            (deployed_at, environment, service, kind, commit_time, first_commit_time, id)""",
        """CREATE INDEX deployments_service_time_cover ON deployments
            (service, deployed_at, environment, kind, commit_time, first_commit_time, id)""",
    ),
    # The release version each run judged (DORA-STAGING-FIRST); older runs keep ''.
    3: (
        "ALTER TABLE gate_runs ADD COLUMN release_version TEXT NOT NULL DEFAULT ''",
        """CREATE INDEX gate_runs_release ON gate_runs
            (environment, release_version, passed, finished_at)""",
    ),
    # The post-mortem of an incident (DORA-POSTMORTEM) and when it was first linked.
    4: (
        "ALTER TABLE incidents ADD COLUMN postmortem_url TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE incidents ADD COLUMN postmortem_at BIGINT",
    ),
}

_RUN_COLUMNS = (
    "id, profile, environment, passed, started_at, finished_at, commit_sha, services, "
    "summary, release_version"
)
_DEPLOYMENT_COLUMNS = (
    "id, service, environment, deployed_at, version, commit_sha, commit_time, "
    "first_commit_time, run_id, kind"
)
_LEAN_DEPLOYMENT_COLUMNS = (
    "id, service, environment, deployed_at, kind, commit_time, first_commit_time"
)
_INCIDENT_COLUMNS = (
    "id, service, environment, opened_at, severity, title, resolved_at, deployment_id, "
    "source, opened_by_run, resolved_by_run, postmortem_url, postmortem_at"
)


class Store(Protocol):
    """What the recorder, the CLI and the metrics need from a store."""

    @property
    def location(self) -> str:
        """Where the store is, safe to print (no credentials)."""
        ...

    def apply(self, batch: Batch, now: dt.datetime) -> Written: ...

    def record_deployment(self, deployment: Deployment, now: dt.datetime) -> bool: ...

    def open_incident(
        self, incident: Incident, now: dt.datetime, link_latest_deployment: bool = True
    ) -> tuple[Incident, bool]: ...

    def resolve_incident(
        self,
        incident_id: str,
        at: dt.datetime,
        now: dt.datetime,
        run_id: str = "",
        postmortem_url: str = "",
    ) -> tuple[Incident, bool]: ...

    def link_postmortem(
        self, incident_id: str, url: str, now: dt.datetime
    ) -> tuple[Incident, bool]: ...

    def incident(self, incident_id: str) -> Incident | None: ...

    def deployments(
        self,
        since: dt.datetime,
        until: dt.datetime,
        services: Sequence[str] = (),
        environment: str | None = None,
        full: bool = True,
    ) -> list[Deployment]: ...

    def incidents(
        self,
        since: dt.datetime,
        until: dt.datetime,
        services: Sequence[str] = (),
        environment: str | None = None,
    ) -> list[Incident]: ...

    def open_incidents(
        self, services: Sequence[str] = (), environment: str | None = None
    ) -> list[Incident]: ...

    def passed_runs(self, environment: str, version: str, since: dt.datetime) -> list[GateRun]: ...

    def counts(self) -> dict[str, int]: ...

    def schema_version(self) -> int: ...

    def close(self) -> None: ...


def redact_location(location: str) -> str:
    """A store location safe to print: a PostgreSQL URL loses its password."""
    if not is_postgres(location):
        return location
    parts = urlsplit(location)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}:***@{host}" if ":" in userinfo else f"{user}@{host}"
    query = re.sub(r"(?i)(password=)[^&]*", r"\1***", parts.query)
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def _secret_of(location: str) -> list[str]:
    if not is_postgres(location):
        return []
    parts = urlsplit(location)
    found = [parts.password] if parts.password else []
    found += re.findall(r"(?i)password=([^&]*)", parts.query)
    return [s for s in found if s]


def is_postgres(location: str) -> bool:
    return location.startswith(("postgresql://", "postgres://"))


_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]+):")  # two letters at least: not C:\


def sqlite_path(location: str) -> Path:
    """The file of a SQLite store (a path, ``sqlite:PATH`` or ``sqlite:///PATH``).

    Any other URL scheme is refused: a URL is never turned into a file name.
    """
    if not location.strip():
        raise DoraError("no DORA store given: set dora.store in the profile or pass --store")
    scheme = _SCHEME.match(location)
    if scheme is None:
        return Path(location)
    if scheme.group(1).lower() != "sqlite":
        raise DoraError(
            f"unsupported DORA store {safe_url(location)!r}: use a file path, sqlite:PATH, "
            "postgresql://… or postgres://…"
        )
    rest = location[len(scheme.group(0)) :]
    path = rest[2:] if rest.startswith("//") else rest
    if not path or "?" in path:
        raise DoraError(f"DORA store {safe_url(location)!r} names no file: use sqlite:PATH")
    return Path(path)


def open_store(location: str, lock_timeout: float = BUSY_TIMEOUT_S) -> Store:
    """Open (and migrate) the store at ``location``: a file path, ``sqlite:PATH`` or a
    ``postgresql://`` / ``postgres://`` URL. Waiting for another writer's lock longer than
    ``lock_timeout`` seconds is an error."""
    if is_postgres(location):
        return PostgresStore(location, lock_timeout)
    return SqliteStore(sqlite_path(location), lock_timeout)


class _SqlStore:
    """The SQL both back ends share; subclasses supply connection and transactions."""

    placeholder = "?"
    _location = ""
    _secrets: Sequence[str] = ()

    @property
    def location(self) -> str:
        return self._location

    # -- plumbing supplied by the back end --------------------------------------------
    def _tx(self, write: bool = True) -> AbstractContextManager[Any]:
        raise NotImplementedError

    def _errors(self) -> tuple[type[BaseException], ...]:
        raise NotImplementedError

    def _fail(self, exc: BaseException, doing: str) -> StoreError:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        for secret in self._secrets:
            message = message.replace(secret, "***")
        return StoreError(self._location, f"{doing} failed: {message}")

    def _sql(self, text: str) -> str:
        return text if self.placeholder == "?" else text.replace("?", self.placeholder)

    @contextmanager
    def _guard(self, doing: str) -> Iterator[None]:
        try:
            yield
        except DoraError:
            raise
        except self._errors() as exc:
            raise self._fail(exc, doing) from None

    def _exec(self, cur: Any, sql: str, params: Sequence[Any] = ()) -> Any:
        return cur.execute(self._sql(sql), tuple(params))

    # -- migrations ----------------------------------------------------------------------
    def _migrate(self, lock: Callable[[Any], None]) -> None:
        with self._guard("migrating the schema"), self._tx() as cur:
            lock(cur)
            self._exec(
                cur,
                "CREATE TABLE IF NOT EXISTS dora_schema "
                "(version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)",
            )
            row = self._exec(cur, "SELECT MAX(version) FROM dora_schema").fetchone()
            current = int(row[0]) if row and row[0] is not None else 0
            if current > SCHEMA_VERSION:
                raise StoreError(
                    self._location,
                    f"schema version {current} is newer than this readiness "
                    f"({SCHEMA_VERSION}); upgrade readiness",
                )
            for version in range(current + 1, SCHEMA_VERSION + 1):
                for statement in _MIGRATIONS[version]:
                    self._exec(cur, statement)
                self._exec(
                    cur,
                    "INSERT INTO dora_schema (version, applied_at) VALUES (?, ?)",
                    (version, int(time.time())),
                )

    def schema_version(self) -> int:
        with self._guard("reading the schema version"), self._tx(write=False) as cur:
            row = self._exec(cur, "SELECT MAX(version) FROM dora_schema").fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    # -- writes ----------------------------------------------------------------------------
    def apply(self, batch: Batch, now: dt.datetime) -> Written:
        with self._guard("recording the gate run"), self._tx() as cur:
            run_recorded = False
            if batch.run is not None:
                run_recorded = self._insert_run(cur, batch.run, now)
            new: list[str] = []
            existing: list[str] = []
            for deployment in batch.deployments:
                (new if self._insert_deployment(cur, deployment, now) else existing).append(
                    deployment.id
                )
            opened: list[str] = []
            resolved: list[str] = []
            for change in batch.incidents:
                if change.open:
                    opened.extend(self._open_gate_incident(cur, change, now))
                else:
                    resolved.extend(self._resolve_gate_incidents(cur, change))
        return Written(run_recorded, tuple(new), tuple(existing), tuple(opened), tuple(resolved))

    def record_deployment(self, deployment: Deployment, now: dt.datetime) -> bool:
        with self._guard("recording the deployment"), self._tx() as cur:
            return self._insert_deployment(cur, deployment, now)

    def open_incident(
        self, incident: Incident, now: dt.datetime, link_latest_deployment: bool = True
    ) -> tuple[Incident, bool]:
        """Open ``incident`` (idempotent by id). Without a deployment id it is linked to
        the latest deployment of its service and environment at or before it opened."""
        with self._guard("opening the incident"), self._tx() as cur:
            stored = self._incident(cur, incident.id)
            if stored is not None:
                return stored, False
            if incident.deployment_id is None and link_latest_deployment:
                latest = self._latest_deployment(
                    cur, incident.service, incident.environment, incident.opened_at
                )
                if latest is not None:
                    incident = _replace_incident(incident, deployment_id=latest)
            elif incident.deployment_id is not None and not self._exists(
                cur, "deployments", incident.deployment_id
            ):
                raise DoraError(f"unknown deployment id {incident.deployment_id!r}")
            if incident.resolved_at is not None and incident.resolved_at < incident.opened_at:
                raise DoraError(
                    f"incident {incident.id}: resolved ({incident.resolved_at.isoformat()}) "
                    f"before it opened ({incident.opened_at.isoformat()})"
                )
            inserted = self._insert_incident(cur, incident, now)
            if not inserted:  # an open gate incident already covers this service
                raise DoraError(
                    f"incident {incident.id} conflicts with an open incident of "
                    f"{incident.service} in {incident.environment}"
                )
            stored = self._incident(cur, incident.id)
            assert stored is not None
            return stored, True

    def resolve_incident(
        self,
        incident_id: str,
        at: dt.datetime,
        now: dt.datetime,
        run_id: str = "",
        postmortem_url: str = "",
    ) -> tuple[Incident, bool]:
        """Resolve an open incident, linking its post-mortem when given (in the same
        transaction). Resolving again changes nothing but a new post-mortem link; an
        unknown id or a time before the incident opened is an error."""
        with self._guard("resolving the incident"), self._tx() as cur:
            stored = self._known_incident(cur, incident_id)
            changed = False
            if stored.resolved_at is None:
                if at < stored.opened_at:
                    raise DoraError(
                        f"incident {incident_id}: resolve time {at.isoformat()} is before "
                        f"it opened ({stored.opened_at.isoformat()})"
                    )
                self._resolve(cur, incident_id, at, run_id)
                changed = True
            if postmortem_url:
                changed = self._link_postmortem(cur, stored, postmortem_url, now) or changed
            updated = self._incident(cur, incident_id)
            assert updated is not None
            return updated, changed

    def link_postmortem(
        self, incident_id: str, url: str, now: dt.datetime
    ) -> tuple[Incident, bool]:
        """Link (or correct) the post-mortem of an incident; ``url`` as
        :func:`~readiness.dora.model.postmortem_link` stores it. The first link's time
        stays when the link is corrected; the same link again changes nothing."""
        with self._guard("linking the post-mortem"), self._tx() as cur:
            stored = self._known_incident(cur, incident_id)
            changed = self._link_postmortem(cur, stored, url, now)
            updated = self._incident(cur, incident_id)
            assert updated is not None
            return updated, changed

    def _known_incident(self, cur: Any, incident_id: str) -> Incident:
        stored = self._incident(cur, incident_id)
        if stored is None:
            raise DoraError(
                f"unknown incident id {incident_id!r}: open it first "
                "(readiness dora incident open ID --service S)"
            )
        return stored

    def _link_postmortem(self, cur: Any, stored: Incident, url: str, now: dt.datetime) -> bool:
        link = postmortem_link(url)
        if link == stored.postmortem_url:
            return False
        self._exec(
            cur,
            "UPDATE incidents SET postmortem_url = ?, postmortem_at = ? WHERE id = ?",
            (link, to_epoch(stored.postmortem_at or now), stored.id),
        )
        return True

    def _insert(
        self,
        cur: Any,
        table: str,
        columns: str,
        values: tuple[Any, ...],
        now: dt.datetime,
        on_conflict: str,
    ) -> bool:
        """Insert one row recorded at ``now``; False when ``on_conflict`` kept it out."""
        row = (*values, to_epoch(now))
        marks = ", ".join("?" * len(row))
        result = self._exec(
            cur,
            f"INSERT INTO {table} ({columns}, recorded_at) VALUES ({marks}) {on_conflict}",
            row,
        )
        return bool(result.rowcount == 1)

    def _insert_run(self, cur: Any, run: GateRun, now: dt.datetime) -> bool:
        return self._insert(
            cur,
            "gate_runs",
            _RUN_COLUMNS,
            (
                run.id,
                run.profile,
                run.environment,
                int(run.passed),
                to_epoch(run.started_at),
                to_epoch(run.finished_at),
                run.commit,
                json.dumps(list(run.services)),
                json.dumps(dict(run.summary), sort_keys=True),
                run.version,
            ),
            now,
            "ON CONFLICT (id) DO NOTHING",
        )

    def _insert_deployment(self, cur: Any, d: Deployment, now: dt.datetime) -> bool:
        return self._insert(
            cur,
            "deployments",
            _DEPLOYMENT_COLUMNS,
            (
                d.id,
                d.service,
                d.environment,
                to_epoch(d.deployed_at),
                d.version,
                d.commit,
                _epoch_or_none(d.commit_time),
                _epoch_or_none(d.first_commit_time),
                d.run_id,
                d.kind.value,
            ),
            now,
            "ON CONFLICT (id) DO NOTHING",
        )

    def _insert_incident(self, cur: Any, i: Incident, now: dt.datetime) -> bool:
        return self._insert(
            cur,
            "incidents",
            _INCIDENT_COLUMNS,
            (
                i.id,
                i.service,
                i.environment,
                to_epoch(i.opened_at),
                i.severity,
                i.title,
                _epoch_or_none(i.resolved_at),
                i.deployment_id,
                i.source,
                i.opened_by_run,
                i.resolved_by_run,
                postmortem_link(i.postmortem_url) if i.postmortem_url else "",
                _epoch_or_none(i.postmortem_at or (now if i.postmortem_url else None)),
            ),
            now,
            "ON CONFLICT DO NOTHING",
        )

    def _open_gate_incident(self, cur: Any, change: GateIncidents, now: dt.datetime) -> list[str]:
        open_row = self._exec(
            cur,
            "SELECT id FROM incidents WHERE service = ? AND environment = ? "
            "AND resolved_at IS NULL AND source = 'gate'",
            (change.service, change.environment),
        ).fetchone()
        if open_row is not None:
            return []
        deployment = None
        if change.link_latest_deployment:
            deployment = self._latest_deployment(cur, change.service, change.environment, change.at)
        incident = Incident(
            id=gate_incident_id(change.service, change.environment, change.run_id),
            service=change.service,
            environment=change.environment,
            opened_at=change.at,
            severity=change.severity,
            title=change.title,
            deployment_id=deployment,
            source="gate",
            opened_by_run=change.run_id,
        )
        return [incident.id] if self._insert_incident(cur, incident, now) else []

    def _resolve_gate_incidents(self, cur: Any, change: GateIncidents) -> list[str]:
        rows = self._exec(
            cur,
            "SELECT id FROM incidents WHERE service = ? AND environment = ? "
            "AND resolved_at IS NULL AND source = 'gate' AND opened_at <= ?",
            (change.service, change.environment, to_epoch(change.at)),
        ).fetchall()
        ids = [str(r[0]) for r in rows]
        for incident_id in ids:
            self._resolve(cur, incident_id, change.at, change.run_id)
        return ids

    def _resolve(self, cur: Any, incident_id: str, at: dt.datetime, run_id: str) -> None:
        self._exec(
            cur,
            "UPDATE incidents SET resolved_at = ?, resolved_by_run = ? "
            "WHERE id = ? AND resolved_at IS NULL",
            (to_epoch(at), run_id, incident_id),
        )

    # -- reads -------------------------------------------------------------------------------
    def _exists(self, cur: Any, table: str, key: str) -> bool:
        return self._exec(cur, f"SELECT 1 FROM {table} WHERE id = ?", (key,)).fetchone() is not None

    def _latest_deployment(
        self, cur: Any, service: str, environment: str, at: dt.datetime
    ) -> str | None:
        row = self._exec(
            cur,
            "SELECT id FROM deployments WHERE service = ? AND environment = ? "
            "AND deployed_at <= ? ORDER BY deployed_at DESC, id DESC LIMIT 1",
            (service, environment, to_epoch(at)),
        ).fetchone()
        return None if row is None else str(row[0])

    def _incident(self, cur: Any, incident_id: str) -> Incident | None:
        row = self._exec(
            cur, f"SELECT {_INCIDENT_COLUMNS} FROM incidents WHERE id = ?", (incident_id,)
        ).fetchone()
        return None if row is None else _incident_of(row)

    def incident(self, incident_id: str) -> Incident | None:
        with self._guard("reading the incident"), self._tx(write=False) as cur:
            return self._incident(cur, incident_id)

    def deployments(
        self,
        since: dt.datetime,
        until: dt.datetime,
        services: Sequence[str] = (),
        environment: str | None = None,
        full: bool = True,
    ) -> list[Deployment]:
        """Deployments in [since, until]. ``full=False`` reads only what the metrics use
        (no version, commit or run id), straight from a covering index."""
        columns = _DEPLOYMENT_COLUMNS if full else _LEAN_DEPLOYMENT_COLUMNS
        sql = f"SELECT {columns} FROM deployments WHERE deployed_at >= ? AND deployed_at <= ?"
        params: list[Any] = [to_epoch(since), to_epoch(until)]
        rows = self._select(
            "reading deployments", sql, params, services, environment, "deployed_at"
        )
        return [_deployment_of(r) for r in rows] if full else [_lean_deployment_of(r) for r in rows]

    def incidents(
        self,
        since: dt.datetime,
        until: dt.datetime,
        services: Sequence[str] = (),
        environment: str | None = None,
    ) -> list[Incident]:
        """Incidents whose lifetime overlaps [since, until]: opened by ``until`` and not
        resolved before ``since`` (still-open ones included)."""
        sql = (
            f"SELECT {_INCIDENT_COLUMNS} FROM incidents WHERE opened_at <= ? "
            "AND (resolved_at IS NULL OR resolved_at >= ?)"
        )
        params: list[Any] = [to_epoch(until), to_epoch(since)]
        rows = self._select("reading incidents", sql, params, services, environment, "opened_at")
        return [_incident_of(r) for r in rows]

    def passed_runs(self, environment: str, version: str, since: dt.datetime) -> list[GateRun]:
        """Passed (hence full) gate runs of ``version`` in ``environment`` that finished
        at or after ``since``, newest first."""
        sql = (
            f"SELECT {_RUN_COLUMNS} FROM gate_runs WHERE environment = ? "
            "AND release_version = ? AND passed = 1 AND finished_at >= ? "
            "ORDER BY finished_at DESC, id"
        )
        with self._guard("reading passed gate runs"), self._tx(write=False) as cur:
            rows = self._exec(cur, sql, [environment, version, to_epoch(since)]).fetchall()
        return [_run_of(r) for r in rows]

    def open_incidents(
        self, services: Sequence[str] = (), environment: str | None = None
    ) -> list[Incident]:
        """Incidents not resolved yet, oldest first."""
        sql = f"SELECT {_INCIDENT_COLUMNS} FROM incidents WHERE resolved_at IS NULL"
        rows = self._select("reading open incidents", sql, [], services, environment, "opened_at")
        return [_incident_of(r) for r in rows]

    def _select(
        self,
        doing: str,
        sql: str,
        params: list[Any],
        services: Sequence[str],
        environment: str | None,
        order_by: str,
    ) -> list[Any]:
        """Rows of ``sql`` narrowed to ``services`` and ``environment``, ordered by
        ``order_by`` then id."""
        sql, params = _filters(sql, params, services, environment)
        with self._guard(doing), self._tx(write=False) as cur:
            return list(self._exec(cur, f"{sql} ORDER BY {order_by}, id", params).fetchall())

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        with self._guard("counting records"), self._tx(write=False) as cur:
            for table in ("gate_runs", "deployments", "incidents"):
                out[table] = int(self._exec(cur, f"SELECT COUNT(*) FROM {table}").fetchone()[0])
        return out


def gate_incident_id(service: str, environment: str, run_id: str) -> str:
    return f"gate:{environment}:{service}:{run_id}"


def _epoch_or_none(value: dt.datetime | None) -> int | None:
    return None if value is None else to_epoch(value)


def _filters(
    sql: str, params: list[Any], services: Sequence[str], environment: str | None
) -> tuple[str, list[Any]]:
    if environment:
        sql += " AND environment = ?"
        params.append(environment)
    if services:
        sql += f" AND service IN ({', '.join('?' for _ in services)})"
        params.extend(services)
    return sql, params


_KINDS = {k.value: k for k in DeploymentKind}
_fromtimestamp = dt.datetime.fromtimestamp
_UTC = dt.UTC


def _deployment_of(row: Sequence[Any]) -> Deployment:
    return Deployment(
        id=row[0],
        service=row[1],
        environment=row[2],
        deployed_at=_fromtimestamp(row[3], _UTC),
        version=row[4],
        commit=row[5],
        commit_time=None if row[6] is None else _fromtimestamp(row[6], _UTC),
        first_commit_time=None if row[7] is None else _fromtimestamp(row[7], _UTC),
        run_id=row[8],
        kind=_KINDS[row[9]],
    )


def _run_of(row: Sequence[Any]) -> GateRun:
    return GateRun(
        id=row[0],
        profile=row[1],
        environment=row[2],
        passed=bool(row[3]),
        started_at=_fromtimestamp(row[4], _UTC),
        finished_at=_fromtimestamp(row[5], _UTC),
        commit=row[6],
        services=tuple(json.loads(row[7])),
        summary=tuple(sorted((str(k), int(v)) for k, v in json.loads(row[8]).items())),
        version=row[9],
    )


def _lean_deployment_of(row: Sequence[Any]) -> Deployment:
    return Deployment(
        row[0],
        row[1],
        row[2],
        _fromtimestamp(row[3], _UTC),
        kind=_KINDS[row[4]],
        commit_time=None if row[5] is None else _fromtimestamp(row[5], _UTC),
        first_commit_time=None if row[6] is None else _fromtimestamp(row[6], _UTC),
    )


def _incident_of(row: Sequence[Any]) -> Incident:
    return Incident(
        id=row[0],
        service=row[1],
        environment=row[2],
        opened_at=dt.datetime.fromtimestamp(row[3], dt.UTC),
        severity=row[4],
        title=row[5],
        resolved_at=from_epoch(row[6]),
        deployment_id=row[7],
        source=row[8],
        opened_by_run=row[9],
        resolved_by_run=row[10],
        postmortem_url=row[11],
        postmortem_at=from_epoch(row[12]),
    )


def _replace_incident(incident: Incident, **changes: Any) -> Incident:
    from dataclasses import replace

    return replace(incident, **changes)


class SqliteStore(_SqlStore):
    """One SQLite file in WAL mode; writers take the write lock up front (BEGIN IMMEDIATE)
    and wait for each other up to the busy timeout."""

    def __init__(self, path: Path, busy_timeout: float = BUSY_TIMEOUT_S):
        self.path = path
        self._location = str(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(
                str(path), timeout=busy_timeout, isolation_level=None, check_same_thread=False
            )
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(self._location, f"cannot open: {exc}") from None
        try:
            with self._guard("opening"):
                self._conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
                self._set_wal(busy_timeout)
                self._conn.execute("PRAGMA synchronous = NORMAL")
            self._migrate(lambda cur: None)
        except BaseException:
            self._conn.close()
            raise

    def _set_wal(self, busy_timeout: float) -> None:
        # Switching to WAL needs a moment without other connections; retry while busy.
        deadline = time.monotonic() + busy_timeout
        while True:
            try:
                mode = self._conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
                continue
            if str(mode).lower() != "wal":
                raise StoreError(self._location, f"cannot use WAL journal mode (got {mode})")
            return

    def _errors(self) -> tuple[type[BaseException], ...]:
        return (sqlite3.Error,)

    @contextmanager
    def _tx(self, write: bool = True) -> Iterator[Any]:
        cur = self._conn.cursor()
        cur.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        try:
            yield cur
        except BaseException:
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
            raise
        else:
            cur.execute("COMMIT")
        finally:
            cur.close()

    def integrity(self) -> str:
        return str(self._conn.execute("PRAGMA integrity_check").fetchone()[0])

    def close(self) -> None:
        self._conn.close()


class PostgresStore(_SqlStore):
    """A PostgreSQL database shared by many runners (psycopg 3)."""

    placeholder = "%s"

    def __init__(self, url: str, lock_timeout: float = BUSY_TIMEOUT_S):
        import psycopg

        self._psycopg = psycopg
        self._location = redact_location(url)
        self._secrets = _secret_of(url)
        try:
            self._conn = psycopg.connect(
                url,
                autocommit=True,
                connect_timeout=CONNECT_TIMEOUT_S,
                application_name="readiness",
                # Waiting for a lock (the migration lock, a row) ends like SQLite's busy
                # timeout: an error, never a hang.
                options=f"-c lock_timeout={int(lock_timeout * 1000)}",
            )
        except psycopg.Error as exc:
            raise self._fail(exc, "connecting") from None
        try:
            self._migrate(
                lambda cur: cur.execute("SELECT pg_advisory_xact_lock(hashtext('readiness.dora'))")
            )
        except BaseException:
            self._conn.close()
            raise

    def _errors(self) -> tuple[type[BaseException], ...]:
        return (self._psycopg.Error,)

    @contextmanager
    def _tx(self, write: bool = True) -> Iterator[Any]:
        with self._conn.transaction(), self._conn.cursor() as cur:
            yield cur

    def close(self) -> None:
        self._conn.close()
