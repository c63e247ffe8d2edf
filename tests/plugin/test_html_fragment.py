"""The readiness fragment is written into pytest-html's page piece by piece: the page holds
it whole and once, at the report directory or at an explicit ``--html`` path."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import pytest

from readiness.report.page import _rows
from tests.plugin.test_plugin import profile_text, report, run


def _block(text: str, name: str) -> Any:
    found = re.findall(rf'<script type="application/json" id="{name}">(.*?)</script>', text)
    assert len(found) == 1
    return json.loads(found[0])


def _check_page(page: Path, data: dict[str, Any]) -> None:
    text = page.read_text(encoding="utf-8")
    assert "readiness-fragment-" not in text  # the marker was replaced
    assert text.count("<style>/* readiness report") == 1 and text.rstrip().endswith("</html>")
    checks = data["checks"]
    assert _block(text, "rd-data") == json.loads(json.dumps(list(_rows(checks))))
    assert _block(text, "rd-details") == [{"e": c["evidence"], "h": ""} for c in checks]


def test_page_in_the_report_directory_holds_the_fragment(pytester: pytest.Pytester) -> None:
    run(pytester, profile_text())
    page = pytester.path / "reports" / "readiness-report.html"
    _check_page(page, report(pytester))
    # pytest-html's own data keeps nothing of readiness checks (not even empty entries
    # for their passed setup and teardown): the fragment is their only rendering.
    blob = re.search(r'data-jsonblob="([^"]*)"', page.read_text(encoding="utf-8"))
    assert blob is not None and json.loads(html.unescape(blob.group(1)))["tests"] == {}
    assert not [p for p in (pytester.path / "reports").iterdir() if p.name.endswith(".tmp")]


def test_page_at_an_explicit_html_path_holds_the_fragment(pytester: pytest.Pytester) -> None:
    run(pytester, profile_text(), "--html=out/page.html", "--self-contained-html")
    _check_page(pytester.path / "out" / "page.html", report(pytester))
