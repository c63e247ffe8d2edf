"""Demo DORA store: six weeks of deployments and incidents (fixed seed, relative to now).

Three services with different habits, so the report shows every DORA level:
checkout deploys several times a day with short lead times (elite/high), cart twice a week
with rollbacks and a poor change failure rate (low), frontend about weekly with long lead
times and an incident still open. Resolved incidents have their post-mortems linked two
days later, but for one SEV1 on cart twelve days ago (DORA-POSTMORTEM shows it overdue).
The demo's own gate run is recorded on top.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from pathlib import Path

from readiness.demo import Component
from readiness.dora.model import Batch, Deployment, DeploymentKind, Incident
from readiness.dora.store import open_store

ORDER = 70
ENVIRONMENT = "demo"
SEED = 20261124
WEEKS = 6
STORE_NAME = "dora.sqlite"
POSTMORTEMS = "https://wiki.example.com/postmortems"
POSTMORTEM_AFTER = dt.timedelta(days=2)


@dataclass(frozen=True)
class Habit:
    service: str
    per_week: float
    lead_hours: tuple[float, float]
    failure_share: float
    rework_share: float
    restore_minutes: tuple[float, float]


HABITS = (
    Habit("checkout", 10, (1, 10), 0.08, 0.05, (10, 50)),
    Habit("cart", 2, (20, 90), 0.3, 0.25, (90, 600)),
    Habit("frontend", 1, (150, 400), 0.15, 0.0, (600, 3000)),
)


def store_path(workdir: Path) -> Path:
    return workdir / STORE_NAME


def seed(location: str, now: dt.datetime, rng: random.Random) -> dict[str, int]:
    deployments: list[Deployment] = []
    incidents: list[Incident] = []
    start = now - dt.timedelta(weeks=WEEKS)
    span = (now - start).total_seconds()
    for habit in HABITS:
        count = round(habit.per_week * WEEKS)
        times = sorted(start + dt.timedelta(seconds=rng.uniform(0, span)) for _ in range(count))
        for n, at in enumerate(times):
            at = at.replace(microsecond=0)
            lead = dt.timedelta(hours=rng.uniform(*habit.lead_hours))
            kind = DeploymentKind.PLANNED
            if rng.random() < habit.rework_share:
                kind = rng.choice([DeploymentKind.ROLLBACK, DeploymentKind.HOTFIX])
            d = Deployment(
                id=f"demo-{habit.service}-{n:03d}",
                service=habit.service,
                environment=ENVIRONMENT,
                deployed_at=at,
                version=f"1.{n // 10}.{n % 10}",
                commit=f"{rng.getrandbits(40):010x}",
                commit_time=at - lead / 3,
                first_commit_time=at - lead,
                run_id=f"demo-run-{habit.service}-{n:03d}",
                kind=kind,
            )
            deployments.append(d)
            if rng.random() < habit.failure_share:
                opened = at + dt.timedelta(minutes=rng.uniform(5, 120))
                restore = dt.timedelta(minutes=rng.uniform(*habit.restore_minutes))
                resolved = opened + restore
                linked = resolved.replace(microsecond=0) + POSTMORTEM_AFTER
                written = resolved <= now and linked <= now
                incidents.append(
                    Incident(
                        id=f"DEMO-INC-{len(incidents) + 1:03d}",
                        service=habit.service,
                        environment=ENVIRONMENT,
                        opened_at=opened.replace(microsecond=0),
                        severity=rng.choice(["SEV2", "SEV3"]),
                        title=f"{habit.service} errors after {d.version}",
                        resolved_at=None if resolved > now else resolved.replace(microsecond=0),
                        deployment_id=d.id,
                        postmortem_url=f"{POSTMORTEMS}/DEMO-INC-{len(incidents) + 1:03d}"
                        if written
                        else "",
                        postmortem_at=linked if written else None,
                    )
                )
    # One incident still open on frontend, so "still open" shows.
    latest_frontend = max(
        (d for d in deployments if d.service == "frontend"), key=lambda d: d.deployed_at
    )
    incidents.append(
        Incident(
            id="DEMO-INC-OPEN",
            service="frontend",
            environment=ENVIRONMENT,
            opened_at=max(latest_frontend.deployed_at, now - dt.timedelta(hours=5)),
            severity="SEV2",
            title="frontend p99 latency above target",
            deployment_id=latest_frontend.id,
        )
    )
    # A major incident on cart resolved twelve days ago whose post-mortem was never
    # linked, so DORA-POSTMORTEM shows an overdue one.
    outage = (now - dt.timedelta(days=12)).replace(microsecond=0)
    incidents.append(
        Incident(
            id="DEMO-INC-NO-PM",
            service="cart",
            environment=ENVIRONMENT,
            opened_at=outage,
            severity="SEV1",
            title="cart checkout fails: payment provider timeouts",
            resolved_at=outage + dt.timedelta(hours=2, minutes=40),
        )
    )
    store = open_store(location)
    try:
        store.apply(Batch(deployments=tuple(deployments)), now)
        for incident in incidents:
            store.open_incident(incident, now, link_latest_deployment=False)
        return store.counts()
    finally:
        store.close()


def start(workdir: Path) -> Component:
    path = store_path(workdir)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    now = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
    counts = seed(str(path), now, random.Random(SEED))
    return Component(
        name="dora",
        description=f"DORA store {path}: {counts['deployments']} deployments and "
        f"{counts['incidents']} incidents over {WEEKS} weeks",
        stop=lambda: None,
        env={"READINESS_DORA_STORE": str(path)},
    )
