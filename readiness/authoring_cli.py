"""``readiness init`` and ``readiness profile check|show|reference``: writing a profile."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from readiness import profile_tools, starter
from readiness.errors import ProfileError
from readiness.profile import load_profile

EXIT_PROFILE = 4


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "init",
        help="write a commented starter profile for your own system",
        description="Write a starter profile from what is given: services are probed "
        "read-only (GET) to pick the health, readiness and metrics paths that answer. "
        "Anything not given is left out, with a comment showing how to add it.",
    )
    p.add_argument(
        "--service",
        action="append",
        default=[],
        metavar="NAME=URL",
        help="a service to probe and check (repeatable)",
    )
    p.add_argument("--ca-file", help="CA bundle that signs the services' certificates")
    p.add_argument("--prometheus", metavar="URL")
    p.add_argument("--alertmanager", metavar="URL")
    p.add_argument("--kubeconfig", metavar="PATH")
    p.add_argument("--context", metavar="NAME", help="kubeconfig context")
    p.add_argument("--manifests", action="append", default=[], metavar="DIR")
    p.add_argument("--registry", metavar="URL")
    p.add_argument("--images", nargs="+", default=[], metavar="REF")
    p.add_argument("--environment", default="production")
    p.add_argument(
        "-o",
        "--output",
        help="where to write (default: profiles/ENVIRONMENT.yaml; '-' prints it)",
    )
    p.add_argument("--force", action="store_true", help="overwrite an existing file")
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("profile", help="check, show or document profiles")
    actions = p.add_subparsers(dest="action", required=True)
    c = actions.add_parser("check", help="validate profiles; print every problem (exit 4 on any)")
    c.add_argument("profiles", nargs="+", metavar="PROFILE", help="a YAML path or a name")
    c.set_defaults(func=cmd_check)
    s = actions.add_parser(
        "show",
        help="the resolved profile (after extends and ${VAR}), secrets masked, each value "
        "with the file:line or env var it came from",
    )
    s.add_argument("profile", metavar="PROFILE")
    s.set_defaults(func=cmd_show)
    r = actions.add_parser("reference", help="the profile reference (Markdown) from the schema")
    r.add_argument("-o", "--output", help="write to this file instead of printing")
    r.set_defaults(func=cmd_reference)


def cmd_check(args: argparse.Namespace) -> int:
    lines, status = profile_tools.check(args.profiles, os.environ, Path.cwd())
    print("\n".join(lines))
    return status


def cmd_show(args: argparse.Namespace) -> int:
    try:
        print(profile_tools.show(args.profile, os.environ, Path.cwd()), end="")
    except ProfileError as exc:
        print(f"readiness: broken profile: {exc}", file=sys.stderr)
        return EXIT_PROFILE
    return 0


def cmd_reference(args: argparse.Namespace) -> int:
    text = profile_tools.reference()
    if args.output:
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        print(text, end="")
    return 0


def _problems_of(text: str) -> str:
    """Every problem of a profile text, checked the way `readiness profile check` does."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "starter.yaml"
        path.write_text(text, encoding="utf-8")
        try:
            load_profile(str(path), env={})
        except ProfileError as exc:
            return "\n".join(
                f"  {p.key}: {p.reason}" if p.key else f"  {p.reason}" for p in exc.problems
            )
    return ""


def cmd_init(args: argparse.Namespace) -> int:
    try:
        services = tuple(starter.parse_service(s) for s in args.service)
    except ValueError as exc:
        print(f"readiness init: {exc}", file=sys.stderr)
        return 2
    request = starter.Request(
        environment=args.environment,
        services=services,
        ca_file=args.ca_file,
        prometheus=args.prometheus,
        alertmanager=args.alertmanager,
        kubeconfig=args.kubeconfig,
        context=args.context,
        manifests=tuple(args.manifests),
        registry=args.registry,
        images=tuple(args.images),
    )
    text = starter.starter_profile(request)
    problems = _problems_of(text)
    if problems:  # e.g. an image ref without a registry host: said, nothing written
        print("readiness init: the options give a profile that does not check:", file=sys.stderr)
        print(problems, file=sys.stderr)
        return EXIT_PROFILE
    if args.output == "-":
        print(text, end="")
        return 0
    out = Path(args.output or Path("profiles") / f"{args.environment}.yaml")
    if out.exists() and not args.force:
        print(f"readiness init: {out} exists (--force overwrites it)", file=sys.stderr)
        return 2
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    run_as = out.stem if out.parent.name == "profiles" else str(out)
    print(f"wrote {out}")
    print(f"next: readiness profile check {out}")
    print(f"      pytest --profile={run_as}")
    return 0
