"""Headless Chromium (Debian's) driven by Playwright, for tests that use a report page."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    path = shutil.which("chromium")
    if path is None:
        pytest.fail("chromium is not installed; run ./setup.sh (Debian package chromium)")
    return path


@contextmanager
def open_page(html: Path, width: int = 1400, height: int = 1800) -> Iterator[object]:
    """The page at ``html`` in a fresh headless Chromium; any request off the file fails."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            outside: list[str] = []
            page.on(
                "request",
                lambda req: (
                    None if req.url.startswith(("file:", "data:")) else outside.append(req.url)
                ),
            )
            page.goto(html.as_uri())
            yield page
            assert outside == [], f"the report fetched {outside}"
        finally:
            browser.close()
