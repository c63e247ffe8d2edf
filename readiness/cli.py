"""The `readiness` command: the control catalogue, the demo, and the family subcommands."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from readiness import authoring_cli, merge, vulndb_cli
from readiness.check_index import check_functions
from readiness.controls import Control, catalogue
from readiness.controls.frameworks import FRAMEWORK_KEYS, FRAMEWORKS, controls_for
from readiness.dora import cli as dora_cli
from readiness.report.json_report import readiness_version
from readiness.snapshot import cli as snapshot_cli
from readiness.verdict import cli as verdict_cli


def _controls_table(controls: Sequence[Control], checks: dict[str, list[str]]) -> str:
    rows = [("ID", "SEVERITY", "FAMILY", "TITLE", "CHECKS")]
    rows += [
        (c.id, c.severity.label, c.family, c.title, ", ".join(checks.get(c.id, [])) or "-")
        for c in controls
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    return "\n".join(
        "  ".join(cell.ljust(widths[i]) if i < 4 else cell for i, cell in enumerate(r))
        for r in rows
    )


def _controls_markdown(controls: Sequence[Control], checks: dict[str, list[str]]) -> str:
    out = [
        "| id | severity | family | title | remediation | references | checks |",
        "|---|---|---|---|---|---|---|",
    ]
    out += [
        f"| {c.id} | {c.severity.label} | {c.family} | {c.title} | {c.remediation} "
        f"| {', '.join(c.references)} | {', '.join(checks.get(c.id, []))} |"
        for c in controls
    ]
    return "\n".join(out)


def _framework_view(framework: str, controls: Sequence[Control], fmt: str) -> str:
    rows = [
        (req.id, req.title if req.title != req.id else "", [c.id for c in ctls])
        for req, ctls in controls_for(framework, controls)
    ]
    if fmt == "json":
        return json.dumps(
            [{"requirement": rid, "title": title, "controls": ids} for rid, title, ids in rows],
            indent=2,
        )
    fw = FRAMEWORKS.get(framework)
    heading = f"{fw.name} ({fw.url})" if fw else "seed practices"
    if fmt == "markdown":
        out = [f"### {heading}", "", "| requirement | title | controls |", "|---|---|---|"]
        out += [f"| {rid} | {title} | {', '.join(ids)} |" for rid, title, ids in rows]
        return "\n".join(out)
    width = max((len(rid) for rid, _, _ in rows), default=0)
    out = [heading]
    for rid, title, ids in rows:
        out.append(f"{rid.ljust(width)}  {title}" if title else rid)
        out.append(f"{'':{width}}  controls: {', '.join(ids)}")
    return "\n".join(out)


def cmd_controls(args: argparse.Namespace) -> int:
    controls = [c for c in catalogue().values() if not args.family or c.family == args.family]
    if not controls:
        print(f"no controls in family {args.family!r}", file=sys.stderr)
        return 2
    if args.framework:
        print(_framework_view(args.framework, controls, args.format))
        return 0
    checks = check_functions()
    if args.format == "json":
        rows = [{**c.as_dict(), "checks": checks.get(c.id, [])} for c in controls]
        print(json.dumps(rows, indent=2))
    elif args.format == "markdown":
        print(_controls_markdown(controls, checks))
    else:
        print(_controls_table(controls, checks))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    if {"-h", "--help"} & set(args.pytest_args):  # help only: start nothing, write nothing
        args.demo_parser.print_help()
        print("\nExtra arguments after the action go to pytest (`pytest --help` lists them).")
        return 0
    from readiness.demo import runner

    if args.action == "up":
        return runner.up()
    if args.action == "down":
        return runner.down()
    return runner.run(args.pytest_args)


def cmd_history(args: argparse.Namespace) -> int:
    from readiness.report.history import verify_chain

    result = verify_chain(Path(args.report_dir))
    for line in result.lines:
        print(line)
    if not result.ok:
        print("chain BROKEN", file=sys.stderr)
        return 1
    print("chain intact")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="readiness", description=__doc__)
    parser.add_argument("--version", action="version", version=f"readiness {readiness_version()}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("controls", help="list the control catalogue")
    p.add_argument("--family", help="only this family (e.g. http, kubernetes)")
    p.add_argument(
        "--framework",
        choices=FRAMEWORK_KEYS,
        help="list the requirements of this framework and the controls that evidence them",
    )
    p.add_argument("--format", choices=["table", "json", "markdown"], default="table")
    p.set_defaults(func=cmd_controls)

    p = sub.add_parser(
        "demo",
        help="start the bundled demo, run `pytest --profile=demo` on it, stop it",
        description="Without an action: start the demo environment, run the gate on it, "
        "stop everything and exit with the gate's status. `up` keeps it running for "
        "repeated `pytest --profile=demo` runs; `down` stops it.",
    )
    p.add_argument("action", nargs="?", choices=["run", "up", "down"], default="run")
    p.add_argument("pytest_args", nargs=argparse.REMAINDER, help="extra pytest arguments")
    p.set_defaults(func=cmd_demo, demo_parser=p)

    authoring_cli.add_parsers(sub)

    p = sub.add_parser(
        "history",
        help="check the hash chain of archived reports",
        description="Every run archives its JSON report under <report-dir>/history/ and "
        "links it to the report archived before it by sha256. `verify` checks every link.",
    )
    p.add_argument("action", choices=["verify"])
    p.add_argument("--report-dir", default="reports", help="the runs' report directory")
    p.set_defaults(func=cmd_history)

    # Family subcommands register here.
    dora_cli.add_parser(sub)
    verdict_cli.add_parser(sub)
    snapshot_cli.add_parser(sub)
    vulndb_cli.add_parser(sub)
    merge.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code = int(args.func(args))
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (`readiness dora | head`): stop quietly. Point stdout at
        # /dev/null so the interpreter's last flush does not complain either.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    return code


if __name__ == "__main__":
    sys.exit(main())
