"""`readiness dora`: DORA metrics from the store, manual incidents and deployments."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from readiness.dora.chart import level_text, metric_rows
from readiness.dora.metrics import DEFINITIONS
from readiness.dora.model import (
    Deployment,
    DeploymentKind,
    DoraError,
    Incident,
    StoreError,
    check_id,
    iso,
    parse_time,
    postmortem_link,
)
from readiness.dora.recorder import measure
from readiness.dora.store import (
    Store,
    is_postgres,
    open_store,
    redact_location,
    sqlite_path,
)
from readiness.errors import ProfileError

STORE_ENV = "READINESS_DORA_STORE"
DEFAULT_STORE = "reports/dora.sqlite"

DESCRIPTION = f"""\
DORA metrics from what the gate recorded (gate runs, deployments, incidents), and the
commands that record by hand what the gate cannot see.

  readiness dora --days 30 [--service S] [--environment E] [--json|--markdown] [--push URL]
  readiness dora incident open INC-001 --service S --severity SEV2
  readiness dora incident resolve INC-001 [--postmortem URL]
  readiness dora incident postmortem INC-001 URL
  readiness dora incident list [--days N] [--service S] [--json]
  readiness dora deployment --service S --version V [--rollback|--hotfix]

Store: --store, else ${STORE_ENV}, else dora.store of --profile, else {DEFAULT_STORE}.
A SQLite file path or a postgresql:// URL.

Definitions
{DEFINITIONS}"""


def _store_arg(p: argparse.ArgumentParser, group: bool = False) -> None:
    """--store and --profile on ``readiness dora`` and again on each subcommand: given
    before or after the subcommand, they mean the same (a subcommand's own default must
    not overwrite the group's value, hence SUPPRESS there)."""
    default = None if group else argparse.SUPPRESS
    p.add_argument(
        "--store", default=default, help="SQLite path or postgresql:// URL of the DORA store"
    )
    p.add_argument(
        "--profile", default=default, help="take the store (and defaults) from this profile"
    )


MAX_DAYS = 36500  # a century: windows beyond it overflow the date arithmetic


def days(text: str) -> float:
    """A window length: a finite number of days, more than 0 and at most a century."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of days") from None
    if not 0 < value <= MAX_DAYS:
        raise argparse.ArgumentTypeError(f"{text} is out of range: give 0 < days <= {MAX_DAYS}")
    return value


def name(text: str) -> str:
    """A service name: not empty, no surrounding blanks."""
    if not text.strip():
        raise argparse.ArgumentTypeError("must not be empty")
    return text.strip()


def add_parser(sub: Any) -> None:
    """Register `readiness dora` on the main command's subparsers."""
    p = sub.add_parser(
        "dora",
        help="DORA metrics; record incidents and deployments by hand",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _store_arg(p, group=True)
    p.add_argument("--days", type=days, default=30, help="window length in days (default 30)")
    p.add_argument(
        "--service", type=name, action="append", default=[], help="only this service (repeatable)"
    )
    p.add_argument("--environment", help="only this environment (default: every one)")
    p.add_argument("--now", help="end of the window, ISO 8601 (default: the current time)")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="print JSON")
    fmt.add_argument("--markdown", action="store_true", help="print a Markdown table")
    p.add_argument("--push", metavar="URL", help="push the metrics to this Pushgateway")
    p.set_defaults(func=cmd_metrics)
    actions = p.add_subparsers(dest="dora_command")

    inc = actions.add_parser("incident", help="open or resolve an incident by hand")
    inc_actions = inc.add_subparsers(dest="incident_action", required=True)
    o = inc_actions.add_parser(
        "open",
        help="open an incident (linked to the service's latest deployment before it)",
    )
    _store_arg(o)
    o.add_argument("id", help="incident id, e.g. INC-001")
    o.add_argument("--service", type=name, required=True)
    o.add_argument(
        "--severity", default="", help="a level of dora.severities (default scale: SEV1-SEV4)"
    )
    o.add_argument("--environment", default="production")
    o.add_argument("--title", default="")
    o.add_argument("--at", help="when it started, ISO 8601 (default: now)")
    link = o.add_mutually_exclusive_group()
    link.add_argument("--deployment", help="the deployment id that caused it")
    link.add_argument("--no-link", action="store_true", help="do not link it to any deployment")
    o.set_defaults(func=cmd_incident_open)
    r = inc_actions.add_parser("resolve", help="resolve an open incident")
    _store_arg(r)
    r.add_argument("id")
    r.add_argument("--at", help="when service was restored, ISO 8601 (default: now)")
    r.add_argument("--postmortem", metavar="URL", help="link its post-mortem (DORA-POSTMORTEM)")
    r.set_defaults(func=cmd_incident_resolve)

    pm = inc_actions.add_parser(
        "postmortem",
        help="link an incident's post-mortem (DORA-POSTMORTEM)",
        description="Link (or correct) the post-mortem document of an incident. The URL "
        "is stored with its user-info and query values masked: link the document, not a "
        "tokenised share link.",
    )
    _store_arg(pm)
    pm.add_argument("id")
    pm.add_argument("url", help="the post-mortem's http(s) address")
    pm.set_defaults(func=cmd_incident_postmortem)

    ls = inc_actions.add_parser("list", help="list open incidents (or all in a window)")
    _store_arg(ls)
    ls.add_argument("--service", type=name, action="append", default=[], help="only this service")
    ls.add_argument("--environment", help="only this environment")
    ls.add_argument(
        "--days", type=days, help="every incident of the last DAYS days, not only open ones"
    )
    ls.add_argument("--json", action="store_true", help="print JSON")
    ls.set_defaults(func=cmd_incident_list)

    d = actions.add_parser(
        "deployment",
        help="record a deployment made outside the gate",
        description="Record one deployment per --service. Re-recording the same --id "
        "changes nothing.",
    )
    _store_arg(d)
    d.add_argument(
        "--service", type=name, action="append", required=True, help="service (repeatable)"
    )
    d.add_argument("--environment", default="production")
    d.add_argument("--version", default="")
    d.add_argument("--commit", default="", help="deployed commit sha")
    d.add_argument("--commit-time", help="time of the deployed commit, ISO 8601")
    d.add_argument("--first-commit-time", help="time of the change's earliest commit")
    d.add_argument("--at", help="deploy time, ISO 8601 (default: now)")
    d.add_argument("--id", help="deployment id (default: SERVICE:ENVIRONMENT:VERSION:TIME)")
    kind = d.add_mutually_exclusive_group()
    kind.add_argument("--rollback", action="store_true", help="unplanned: a rollback")
    kind.add_argument("--hotfix", action="store_true", help="unplanned: a hotfix")
    d.set_defaults(func=cmd_deployment)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _profile_defaults(args: argparse.Namespace) -> tuple[str, list[str], str | None]:
    """(store, services, environment) from --profile, or empties."""
    if not getattr(args, "profile", None):
        return "", [], None
    from readiness.dora.recorder import profile_services
    from readiness.profile import load_profile

    profile = load_profile(args.profile, cwd=Path.cwd())
    return profile.dora.store, profile_services(profile), profile.environment


def _location(args: argparse.Namespace) -> str:
    store, _s, _e = _profile_defaults(args)
    return str(args.store or os.environ.get(STORE_ENV) or store or DEFAULT_STORE)


def _missing_file(location: str) -> bool:
    """A SQLite store that does not exist yet (a read-only command must not create it)."""
    if is_postgres(location):
        return False
    try:
        return not sqlite_path(location).exists()
    except DoraError:
        return False


def _run(args: argparse.Namespace, work: Any, read_only: bool = False) -> int:
    """Open the store, run ``work(store)``, map errors to exit codes (2 bad input, 3 store
    unavailable). A read-only command on a store that does not exist yet reads an empty,
    temporary one: it reports "no data" and creates nothing."""
    try:
        location = _location(args)
        if read_only and _missing_file(location):
            print(f"readiness dora: no store at {location} yet: nothing recorded", file=sys.stderr)
            with tempfile.TemporaryDirectory() as tmp:
                return _run_on(open_store(str(Path(tmp) / "empty.sqlite")), work)
        store = open_store(location)
    except StoreError as exc:
        print(f"readiness dora: {exc}", file=sys.stderr)
        return 3
    except (DoraError, ProfileError) as exc:
        print(f"readiness dora: {exc}", file=sys.stderr)
        return 2
    return _run_on(store, work)


def _run_on(store: Store, work: Any) -> int:
    try:
        return int(work(store))
    except StoreError as exc:
        print(f"readiness dora: {exc}", file=sys.stderr)
        return 3
    except DoraError as exc:
        print(f"readiness dora: {exc}", file=sys.stderr)
        return 2
    finally:
        store.close()


def cmd_metrics(args: argparse.Namespace) -> int:
    try:
        now = parse_time(args.now, "--now") if args.now else _now()
        _store, profile_services, profile_env = _profile_defaults(args)
    except (DoraError, ProfileError) as exc:
        print(f"readiness dora: {exc}", file=sys.stderr)
        return 2
    if args.days <= 0:
        print("readiness dora: --days must be positive", file=sys.stderr)
        return 2
    services = list(args.service) or profile_services
    environment = args.environment or profile_env

    def work(store: Store) -> int:
        result = measure(store, now, args.days, services, environment, per_service=True)
        result["store"] = redact_location(_location(args))
        if args.push:
            from readiness.dora.push import AGGREGATE, push

            push(
                args.push,
                {AGGREGATE: result["metrics"], **result.get("per_service", {})},
                environment or "",
            )
        if args.json:
            print(json.dumps(result, indent=2))
        elif args.markdown:
            print(render_markdown(result))
        else:
            print(render_text(result))
        if args.push:
            print(f"pushed to {args.push} (job readiness_dora)", file=sys.stderr)
        return 0

    return _run(args, work, read_only=True)


def _scope(m: Mapping[str, Any]) -> str:
    services = ", ".join(m["services"]) or "all services"
    env = m["environment"] or "every environment"
    w = m["window"]
    return f"{services} in {env}: {w['days']:g} days, {w['since']} to {w['until']}"


def render_text(result: Mapping[str, Any]) -> str:
    m = result["metrics"]
    rows = [("METRIC", "VALUE", "SAMPLE", "LEVEL", "DETAIL")]
    rows += [
        (name, value, str(n), level_text(n, level), detail)
        for name, value, detail, n, level in metric_rows(m)
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = [f"DORA metrics: {_scope(m)} (store {result['store']})"]
    lines += ["  ".join([*(r[i].ljust(widths[i]) for i in range(4)), r[4]]) for r in rows]
    per = result.get("per_service") or {}
    if per:
        lines.append("")
        lines.append("per service: deployments, lead time, failure rate, restore, rework")
        for service, sm in per.items():
            cells = [value for _n, value, _d, _s, _l in metric_rows(sm)]
            lines.append(f"  {service}: " + "; ".join(cells))
    return "\n".join(lines)


def render_markdown(result: Mapping[str, Any]) -> str:
    m = result["metrics"]
    lines = [
        f"**DORA metrics**: {_scope(m)}",
        "",
        "| metric | value | detail | sample | DORA level |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {name} | {value} | {detail} | {n} | {level_text(n, level)} |"
        for name, value, detail, n, level in metric_rows(m)
    ]
    return "\n".join(lines)


def _severity(args: argparse.Namespace) -> str:
    """``--severity`` as the scale spells it (the --profile's ``dora.severities``, else
    SEV1 to SEV4); DoraError naming the scale when it is not on it."""
    if not args.severity:
        return ""
    from readiness.profile.dora import DEFAULT_SEVERITIES

    scale = list(DEFAULT_SEVERITIES)
    if getattr(args, "profile", None):
        from readiness.profile import load_profile

        scale = load_profile(args.profile, cwd=Path.cwd()).dora.severities
    for level in scale:
        if level.name.upper() == args.severity.upper():
            return level.name
    names = ", ".join(level.name for level in scale)
    raise DoraError(f"--severity {args.severity!r} is not on the severity scale ({names})")


def cmd_incident_open(args: argparse.Namespace) -> int:
    try:
        severity = _severity(args)
        incident = Incident(
            id=check_id("incident", args.id),
            service=args.service,
            environment=args.environment,
            opened_at=parse_time(args.at, "--at") if args.at else _now(),
            severity=severity,
            title=args.title,
            deployment_id=args.deployment,
        )
    except DoraError as exc:
        print(f"readiness dora: {exc}", file=sys.stderr)
        return 2

    def work(store: Store) -> int:
        stored, new = store.open_incident(incident, _now(), link_latest_deployment=not args.no_link)
        state = "opened" if new else "already recorded"
        link = stored.deployment_id or "no deployment"
        print(
            f"incident {stored.id} {state}: {stored.service} in {stored.environment}, "
            f"since {iso(stored.opened_at)}, linked to {link}"
        )
        return 0

    return _run(args, work)


def cmd_incident_resolve(args: argparse.Namespace) -> int:
    try:
        at = parse_time(args.at, "--at") if args.at else _now()
        link = postmortem_link(args.postmortem) if args.postmortem else ""
    except DoraError as exc:
        print(f"readiness dora: {exc}", file=sys.stderr)
        return 2

    def work(store: Store) -> int:
        before = store.incident(args.id)
        was_open = before is not None and before.resolved_at is None
        stored, _changed = store.resolve_incident(args.id, at, _now(), postmortem_url=link)
        state = "resolved" if was_open else "was already resolved"
        print(f"incident {stored.id} {state} at {iso(stored.resolved_at)}")
        if link:
            print(f"post-mortem: {stored.postmortem_url}")
        return 0

    return _run(args, work)


def cmd_incident_postmortem(args: argparse.Namespace) -> int:
    try:
        link = postmortem_link(args.url)
    except DoraError as exc:
        print(f"readiness dora: {exc}", file=sys.stderr)
        return 2

    def work(store: Store) -> int:
        stored, changed = store.link_postmortem(args.id, link, _now())
        state = "linked" if changed else "already linked (unchanged)"
        print(f"incident {stored.id}: post-mortem {state}: {stored.postmortem_url}")
        return 0

    return _run(args, work)


def cmd_incident_list(args: argparse.Namespace) -> int:
    def work(store: Store) -> int:
        now = _now()
        if args.days:
            found = store.incidents(
                now - dt.timedelta(days=args.days), now, args.service, args.environment
            )
        else:
            found = store.open_incidents(args.service, args.environment)
        rows = [
            {
                "id": i.id,
                "service": i.service,
                "environment": i.environment,
                "severity": i.severity,
                "opened_at": iso(i.opened_at),
                "resolved_at": iso(i.resolved_at),
                "deployment": i.deployment_id,
                "source": i.source,
                "title": i.title,
                "postmortem": i.postmortem_url or None,
                "postmortem_at": iso(i.postmortem_at),
            }
            for i in found
        ]
        if args.json:
            print(json.dumps(rows, indent=2))
            return 0
        if not rows:
            print("no incidents" if args.days else "no open incidents")
        for r in rows:
            state = f"resolved {r['resolved_at']}" if r["resolved_at"] else "OPEN"
            print(
                f"{r['id']}  {r['service']}/{r['environment']}  {r['severity'] or '-'}  "
                f"opened {r['opened_at']}  {state}  deployment {r['deployment'] or '-'}  "
                f"post-mortem {r['postmortem'] or '-'}  ({r['source']}) {r['title']}".rstrip()
            )
        return 0

    return _run(args, work, read_only=True)


def cmd_deployment(args: argparse.Namespace) -> int:
    kind = DeploymentKind.PLANNED
    if args.rollback:
        kind = DeploymentKind.ROLLBACK
    elif args.hotfix:
        kind = DeploymentKind.HOTFIX
    try:
        at = parse_time(args.at, "--at") if args.at else _now()
        commit_time = parse_time(args.commit_time, "--commit-time") if args.commit_time else None
        first = (
            parse_time(args.first_commit_time, "--first-commit-time")
            if args.first_commit_time
            else None
        )
        if args.id and len(args.service) > 1:
            raise DoraError("--id names one deployment: give one --service with it")
        deployments = [
            Deployment(
                id=check_id("deployment", args.id)
                if args.id
                else f"{service}:{args.environment}:{args.version or '-'}:{int(at.timestamp())}",
                service=service,
                environment=args.environment,
                deployed_at=at,
                version=args.version,
                commit=args.commit,
                commit_time=commit_time,
                first_commit_time=first,
                kind=kind,
            )
            for service in args.service
        ]
    except DoraError as exc:
        print(f"readiness dora: {exc}", file=sys.stderr)
        return 2

    def work(store: Store) -> int:
        for deployment in deployments:
            new = store.record_deployment(deployment, _now())
            state = "recorded" if new else "already recorded (unchanged)"
            print(f"deployment {deployment.id} ({deployment.kind.value}) {state}")
        return 0

    return _run(args, work)
