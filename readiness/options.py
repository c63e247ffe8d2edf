"""Every command-line option of readiness, declared on every pytest run.

pytest loads :mod:`readiness.plugin` in every run on a machine where readiness is
installed, so the options must exist there; what acts on them loads only on profile runs.
This module imports nothing heavier than the control model.
"""

from __future__ import annotations

import pytest

from readiness.controls.model import SEVERITY_NAMES, Severity


def add(parser: pytest.Parser) -> None:
    group = parser.getgroup("readiness", "production-readiness gate")
    group.addoption(
        "--profile", default=None, help="profile name in profiles/ (or bundled) or a YAML path"
    )
    group.addoption(
        "--fail-on",
        default=None,
        choices=SEVERITY_NAMES,
        help="lowest severity whose failure blocks (overrides gate.fail_on)",
    )
    group.addoption(
        "--report-dir", default=None, help="where reports are written (default: reports/)"
    )
    group.addoption(
        "--export",
        action="append",
        default=[],
        help="also write sarif, oscal and/or hdf next to the JSON report (comma-separated)",
    )
    group.addoption(
        "--compare-to", default=None, help="an earlier readiness-report.json to compare with"
    )
    _selection(group)
    _scale(group)
    _verdict(group)
    _snapshot(group)
    _dora(parser.getgroup("readiness-dora", "DORA recording (readiness)"))


def _selection(group: pytest.OptionGroup) -> None:
    group.addoption(
        "--control",
        action="append",
        default=[],
        metavar="ID",
        help="run only this control (repeatable; globs such as 'K8S-*'): a partial run",
    )
    group.addoption(
        "--skip-control",
        action="append",
        default=[],
        metavar="ID",
        help="leave out this control (repeatable; globs): a partial run",
    )
    group.addoption(
        "--family",
        action="append",
        default=[],
        metavar="NAME",
        help="run only this control family (repeatable): a partial run",
    )
    group.addoption(
        "--min-severity",
        default=None,
        choices=[s.label for s in sorted(Severity, reverse=True)],
        help="run only checks at or above this severity: a partial run",
    )


def _scale(group: pytest.OptionGroup) -> None:
    group.addoption(
        "--shard",
        default=None,
        metavar="I/N",
        help="run only shard I of N (checks split by target id); join with `readiness merge`",
    )
    group.addoption(
        "--target",
        action="append",
        default=[],
        metavar="GLOB",
        help="judge only targets matching GLOB (repeatable), inside grouped checks too: "
        "a partial run",
    )
    group.addoption(
        "--no-collect-phase",
        action="store_true",
        default=False,
        help="read targets check by check instead of all at once before the checks",
    )


def _verdict(group: pytest.OptionGroup) -> None:
    group.addoption(
        "--attest",
        action="store_true",
        help="sign the verdict of this full run (keyless Sigstore unless --attest-key)",
    )
    group.addoption("--attest-key", help="sign the verdict with this key (cosign.key or PEM)")
    group.addoption(
        "--attest-push",
        action="append",
        metavar="IMAGE",
        help="attach the signed verdict to this image in its registry (repeatable)",
    )


def _snapshot(group: pytest.OptionGroup) -> None:
    group.addoption(
        "--snapshot",
        metavar="PATH",
        help="save every read of this run (redacted) as an evidence snapshot",
    )
    group.addoption(
        "--replay",
        metavar="PATH",
        help="judge the evidence of a snapshot again, with no network, as of its time",
    )


def _dora(group: pytest.OptionGroup) -> None:
    group.addoption(
        "--record-deployment",
        action="store_true",
        default=False,
        help="when the gate passes, record each released service as deployed",
    )
    group.addoption(
        "--rollback", action="store_true", default=False, help="the deployment is a rollback"
    )
    group.addoption(
        "--hotfix", action="store_true", default=False, help="the deployment is a hotfix"
    )
    group.addoption(
        "--commit-time",
        default=None,
        help="time of the deployed commit (ISO 8601); default: CI variables or git",
    )
    group.addoption(
        "--commit-range",
        default=None,
        help="BASE..HEAD of the change; lead time starts at its earliest commit",
    )
    group.addoption(
        "--deployment-version", default=None, help="version deployed (default: release.version)"
    )
    group.addoption(
        "--dora-store",
        default=None,
        help="DORA store: SQLite path or postgresql:// URL (default: profile dora.store, "
        "else <report dir>/dora.sqlite)",
    )
