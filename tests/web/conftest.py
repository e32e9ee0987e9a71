"""Page fixtures: one real `parindex serve` per test module, and one headless Chromium
(Debian's package, driven by Playwright) per test session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.server.helpers import Server, running_server
from tests.web.helpers import HOW_TO_GET_CHROMIUM, chromium_path, no_browser


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    executable = chromium_path()
    if executable is None:
        no_browser(HOW_TO_GET_CHROMIUM)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        no_browser("Playwright for Python is not installed (`make test` installs it)")
    args = ["--no-sandbox"] if os.geteuid() == 0 else []
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=args, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory, template_store: Path) -> Iterator[Server]:
    """A real server on loopback over a copy of the bundled store and its own SQLite."""
    with running_server(tmp_path_factory.mktemp("site"), template_store) as server:
        yield server
