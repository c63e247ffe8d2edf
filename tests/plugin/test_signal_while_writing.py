"""A signal that arrives while the report set is written waits for the whole set: the
reports are complete, the run exits 2 (interrupted) and records no DORA history."""

from __future__ import annotations

import json
import os
import signal
import textwrap

import pytest

from readiness import signals

CHECKS = """
from readiness import control, parametrize

def pytest_generate_tests(metafunc):
    parametrize(metafunc, "target", [("cart", "cart"), ("pay", "pay")])

@control("HTTP-HEALTH")
def test_health(target, evidence):
    evidence.add(target=target)
"""

# readiness_html_sections is asked while the HTML page is filled, i.e. while the report
# set is being written.
SIGNAL_WHILE_WRITING = """
import os
import signal

import pytest

@pytest.hookimpl(optionalhook=True, specname="readiness_html_sections")
def pytest_terminate_me(config, report):
    os.kill(os.getpid(), signal.SIGTERM)
    return []
"""


def test_sigterm_while_the_reports_are_written_waits_for_them(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_checks=CHECKS)
    pytester.makeconftest(SIGNAL_WHILE_WRITING)
    pytester.makefile(
        ".yaml",
        prof=textwrap.dedent(
            """\
            extends: none
            environment: production
            release: {version: 2.1.0, services: [cart, pay]}
            targets:
              services:
                - {name: cart, url: "http://127.0.0.1:9/"}
            dora:
              store: dora.sqlite
            """
        ),
    )
    result = pytester.runpytest_subprocess(
        "--profile=prof.yaml", "-p", "no:cacheprovider", "test_checks.py"
    )
    assert result.ret == pytest.ExitCode.INTERRUPTED, result.stdout.str()
    reports = pytester.path / "reports"
    report = json.loads((reports / "readiness-report.json").read_text())
    assert report["summary"]["passed"] == 2  # every check was judged before the signal
    assert report["interrupted"] is False
    assert report["dora"]["pending"] is True
    assert (reports / "readiness-report.json.sha256").is_file()
    assert (reports / "junit.xml").is_file()
    assert "rd-" in (reports / "readiness-report.html").read_text()
    receipt = json.loads((reports / "dora-record.json").read_text())
    assert receipt["recorded"] is False
    assert receipt["record_error"] == "SIGTERM received: not recorded"
    result.stdout.fnmatch_lines(["*DORA: run NOT recorded*SIGTERM received*"])


def test_a_shielded_signal_is_noted_not_raised() -> None:
    restore = signals.install()
    try:
        with signals.shielded():
            os.kill(os.getpid(), signal.SIGHUP)
            signal.pthread_sigmask(signal.SIG_SETMASK, [])  # delivered by now
            for _ in range(1000):  # the handler runs between bytecodes
                if signals.received():
                    break
        assert signals.received() == "SIGHUP"
    finally:
        restore()
    assert signals.received() is None
