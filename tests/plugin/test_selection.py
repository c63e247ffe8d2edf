"""Selection is part of the verdict: full, partial and empty runs (pytester)."""

from __future__ import annotations

import json
from typing import Any

import pytest

CHECKS = """
from readiness import Finding, assert_no_findings, control, parametrize
from readiness.checking import profile_of

def pytest_generate_tests(metafunc):
    profile_of(metafunc.config)
    parametrize(metafunc, "service", [("cart", "cart"), ("shop", "shop")])

@control("HTTP-HEALTH")
def test_health(service):
    assert_no_findings([])

@control("HTTP-HSTS")
def test_hsts(service):
    assert_no_findings([])

@control("K8S-DEFAULT-DENY")
def test_default_deny(service):
    assert_no_findings(
        [Finding("no default-deny policy", expected="a policy", found="none")]
        if service == "shop" else []
    )
"""

PROFILE = (
    "environment: test\ngate: {fail_on: medium}\ndora: {record: false}\n"
    "families: {http: {enabled: true}, kubernetes: {enabled: true}}\n"
)


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    pytester.makefile(".yaml", prof=PROFILE)
    pytester.makepyfile(test_checks=CHECKS)
    return pytester.runpytest("--profile=prof.yaml", "-p", "no:cacheprovider", *args)


def args_with_path(*args: str) -> tuple[str, ...]:
    return (*args, "test_checks.py")


def report(pytester: pytest.Pytester) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (pytester.path / "reports" / "readiness-report.json").read_text()
    )
    return data


def test_full_run_is_a_release_verdict(pytester: pytest.Pytester) -> None:
    result = run(pytester, *args_with_path())
    assert result.ret == 1
    data = report(pytester)
    assert data["selection"]["mode"] == "full"
    assert data["selection"]["selected"] == 6 and data["selection"]["total"] == 6
    assert data["selection"]["deselected"] == 0
    assert data["gate"]["state"] == "failed" and data["gate"]["passed"] is False
    assert {c["id"] for c in data["checks"]} >= {"K8S-DEFAULT-DENY[shop]", "HTTP-HSTS[cart]"}


def test_control_ids_and_families_match_k(pytester: pytest.Pytester) -> None:
    result = run(pytester, *args_with_path("-k", "HTTP-HSTS"))
    assert result.ret == 0
    data = report(pytester)
    assert sorted(c["id"] for c in data["checks"]) == ["HTTP-HSTS[cart]", "HTTP-HSTS[shop]"]
    sel = data["selection"]
    assert (sel["mode"], sel["keywords"], sel["selected"], sel["deselected"], sel["total"]) == (
        "partial",
        "HTTP-HSTS",
        2,
        4,
        6,
    )
    assert data["gate"]["state"] == "partial" and data["gate"]["passed"] is False
    result.stdout.fnmatch_lines(
        ["*gate PARTIAL: partial run: 2 of 6 checks (-k 'HTTP-HSTS'), not a release verdict*"]
    )
    assert "gate PASSED" not in result.stdout.str()

    run(pytester, *args_with_path("-k", "kubernetes"))
    assert {c["control"] for c in report(pytester)["checks"]} == {"K8S-DEFAULT-DENY"}


def test_marker_expression_with_control_id(pytester: pytest.Pytester) -> None:
    run(pytester, *args_with_path("-m", "readiness_control(id='HTTP-HEALTH')"))
    data = report(pytester)
    assert {c["control"] for c in data["checks"]} == {"HTTP-HEALTH"}
    assert data["selection"]["markers"] == "readiness_control(id='HTTP-HEALTH')"
    run(pytester, *args_with_path("-m", "readiness_control(family='kubernetes')"))
    assert {c["control"] for c in report(pytester)["checks"]} == {"K8S-DEFAULT-DENY"}


@pytest.mark.parametrize(
    ("args", "controls"),
    [
        (("--control", "HTTP-*"), {"HTTP-HEALTH", "HTTP-HSTS"}),
        (("--control", "http-hsts", "--control", "K8S-*"), {"HTTP-HSTS", "K8S-DEFAULT-DENY"}),
        (("--skip-control", "HTTP-H*"), {"K8S-DEFAULT-DENY"}),
        (("--family", "http"), {"HTTP-HEALTH", "HTTP-HSTS"}),
        (("--min-severity", "high"), {"HTTP-HEALTH"}),
    ],
)
def test_control_filters_make_a_partial_run(
    pytester: pytest.Pytester, args: tuple[str, ...], controls: set[str]
) -> None:
    run(pytester, *args_with_path(*args))
    data = report(pytester)
    assert {c["control"] for c in data["checks"]} == controls
    assert data["selection"]["mode"] == "partial"
    assert data["selection"]["total"] == 6
    assert data["selection"]["selected"] == 2 * len(controls)
    assert data["gate"]["state"] in ("partial", "failed") and not data["gate"]["passed"]


def test_unknown_control_or_family_is_a_usage_error(pytester: pytest.Pytester) -> None:
    result = run(pytester, *args_with_path("--control", "HTTP-HTST"))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--control HTTP-HTST: no control matches*"])
    result = run(pytester, *args_with_path("--family", "htp"))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--family htp: unknown family; known: alerting*"])


def test_zero_selected_is_an_error_never_a_pass(pytester: pytest.Pytester) -> None:
    result = run(pytester, *args_with_path("-k", "NO-SUCH-THING"))
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED
    data = report(pytester)
    assert data["gate"]["state"] == "error" and data["gate"]["passed"] is False
    assert data["selection"]["selected"] == 0 and data["selection"]["total"] == 6
    assert "no check selected by -k 'NO-SUCH-THING' of the profile's 6" in data["gate"]["reason"]
    assert "PASSED" not in result.stdout.str()
    result.stdout.fnmatch_lines(["*gate ERROR: no check selected*"])


def test_deselect_and_node_ids_are_partial(pytester: pytest.Pytester) -> None:
    run(pytester, "--deselect", "test_checks.py::test_hsts", "test_checks.py")
    sel = report(pytester)["selection"]
    assert sel["mode"] == "partial" and sel["deselect"] == ["test_checks.py::test_hsts"]
    assert (sel["selected"], sel["deselected"]) == (4, 2)
    run(pytester, "test_checks.py::test_health")
    sel = report(pytester)["selection"]
    assert sel["mode"] == "partial" and sel["paths"] == ["test_checks.py::test_health"]


def test_bundled_check_ids_do_not_depend_on_the_directory(pytester: pytest.Pytester) -> None:
    """The bundled suite, run with two different rootdirs: same ids and node ids."""
    pytester.makefile(".yaml", prof=PROFILE)
    seen = []
    for rootdir in (str(pytester.path), "/"):
        pytester.runpytest(
            "--profile=prof.yaml", "-p", "no:cacheprovider", f"--rootdir={rootdir}", "-q"
        )
        checks = report(pytester)["checks"]
        seen.append(sorted((c["id"], c["nodeid"]) for c in checks))
    assert seen[0] == seen[1] and len(seen[0]) > 20
    assert all(nodeid.startswith("checks/test_") for _, nodeid in seen[0])


def test_xdist_run_keeps_the_selection(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", prof=PROFILE)
    pytester.makepyfile(test_checks=CHECKS)
    result = pytester.runpytest_subprocess(
        "--profile=prof.yaml",
        "-p",
        "no:cacheprovider",
        "-n",
        "2",
        "-k",
        "HTTP-HSTS",
        "test_checks.py",
    )
    assert result.ret == 0, result.stdout.str()
    data = report(pytester)
    sel = data["selection"]
    assert (sel["mode"], sel["selected"], sel["deselected"], sel["total"]) == (
        "partial",
        2,
        4,
        6,
    )
    assert sorted(c["id"] for c in data["checks"]) == ["HTTP-HSTS[cart]", "HTTP-HSTS[shop]"]


def test_last_failed_narrows_only_when_it_leaves_checks_out(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", prof=PROFILE)
    pytester.makepyfile(test_checks=CHECKS)
    base = ("--profile=prof.yaml", "-p", "cacheprovider", "test_checks.py")
    pytester.runpytest(*base)
    pytester.runpytest(*base, "--lf")
    sel = report(pytester)["selection"]
    assert sel["last_failed"] is True and sel["mode"] == "partial"
    assert "--lf" in sel["reasons"] and (sel["selected"], sel["total"]) == (1, 6)
