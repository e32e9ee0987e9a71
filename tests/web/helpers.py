"""Helpers the page tests share: a real `parindex serve` on loopback, people with
passwords made by the real CLI, a headless Chromium signed in as one of them, and
reading what was stored (rows, commits) after a page did something.

A helper lives here once two test modules use it; test modules do not import each other.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.server.helpers import Server

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
HOW_TO_GET_CHROMIUM = (
    "no Chromium for the browser tests: install Debian's package "
    "(`apt-get install -y chromium`) or set PARINDEX_CHROMIUM to a Chromium binary"
)
PASSWORD = "mật-khẩu-thử-1"  # non-ASCII on purpose: forms must carry UTF-8 intact


def chromium_path() -> str | None:
    """The Chromium the tests drive: $PARINDEX_CHROMIUM, else Debian's package."""
    named = os.environ.get("PARINDEX_CHROMIUM")
    if named:
        return named if Path(named).exists() else None
    for candidate in CHROMIUM_CANDIDATES:
        if Path(candidate).exists():
            return candidate
    return shutil.which("chromium")


def no_browser(reason: str) -> None:
    """Skip locally, fail in CI: under CI=true the browser tests must run."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: the browser tests may not be skipped)")
    pytest.skip(reason)


def add_person(
    server: Server, name: str, role: str, *, password: str = PASSWORD, **scope: str
) -> None:
    """A user with a password in the server's database, made by the function behind
    `parindex user add --password` (`server.serve.add_user`), called here rather than
    through a process of its own: a second a person, for every page test module.
    tests/web/test_passwords.py runs the command itself. ``scope``: the command's options
    (`province`, `unit`)."""
    from server.serve import add_user
    from server.settings import Settings

    add_user(
        Settings(data_dir=str(server.data_dir), samples=False),
        name,
        role,
        province=scope.pop("province", None),
        unit_id=scope.pop("unit", None),
        password=password,
    )
    assert not scope, f"unknown options {scope}"


def sign_in(page: Any, server: Server, name: str, password: str = PASSWORD) -> None:
    """Sign in through the sign-in page, as a person would."""
    page.goto(f"{server.url}/dang-nhap")
    page.get_by_label("Tên đăng nhập").fill(name)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_load_state()


@contextmanager
def browser_page(
    browser: Any,
    server: Server,
    name: str | None = None,
    password: str = PASSWORD,
    *,
    storage_state: dict[str, Any] | None = None,
) -> Iterator[Any]:
    """A fresh browser context (its own cookies), signed in as ``name`` when given, or
    starting from ``storage_state`` (the cookies of a context that signed in before).
    Requests to any host but the server are recorded and fail the test: pages must
    not fetch anything from elsewhere."""
    context = browser.new_context(locale="vi-VN", storage_state=storage_state)
    outside: list[str] = []

    def watch(route: Any) -> None:
        url = route.request.url
        if url.startswith(server.url) or url.startswith("data:"):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    context.route("**/*", watch)
    page = context.new_page()
    try:
        if name is not None:
            sign_in(page, server, name, password)
        yield page
    finally:
        context.close()
    assert not outside, f"pages asked other hosts for: {outside}"


def db_rows(server: Server, sql: str, *args: Any) -> list[dict[str, Any]]:
    """Rows of the server's SQLite database as dicts (what a page stored)."""
    db = sqlite3.connect(server.data_dir / "parindex.db")
    try:
        cursor = db.execute(sql, args)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
    finally:
        db.close()


# One person per role but admin, scoped to the bundled samples (Đắk Lắk and its Sở Nội
# vụ), for the checks that visit every page as someone who may open it.
ROLE_PEOPLE: dict[str, tuple[str, dict[str, str]]] = {
    "ministry_editor": ("Biên tập viên Bộ", {}),
    "province_editor": ("Biên tập viên Đắk Lắk", {"province": "dak-lak"}),
    "unit_submitter": ("Cán bộ Sở Nội vụ", {"unit": "so-noi-vu"}),
    "appraiser": ("Thành viên hội đồng", {}),
    "auditor": ("Kiểm tra viên", {}),
}


def add_role_people(server: Server) -> None:
    for role, (name, scope) in ROLE_PEOPLE.items():
        add_person(server, name, role, **scope)


def person(server: Server, role: str) -> tuple[str, str]:
    """(name, password) of the person of ``role`` (made by `add_role_people`; the admin
    is the server's own, its password written at first start)."""
    if role == "admin":
        return "admin", (server.data_dir / "admin-password").read_text().strip()
    return ROLE_PEOPLE[role][0], PASSWORD
