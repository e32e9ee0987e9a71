"""Signing in and out in a real browser, and the checks that guard every form."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest

from tests.web.helpers import PASSWORD, add_person, browser_page, sign_in

pytestmark = pytest.mark.slow


def test_a_person_signs_in_and_out(browser, site):
    add_person(site, "Trần Thị Bình", "auditor")
    with browser_page(browser, site) as page:
        page.goto(f"{site.url}/")
        assert page.get_by_role("banner").get_by_role("link", name="Đăng nhập").is_visible()
        sign_in(page, site, "Trần Thị Bình")
        assert page.locator(".who").inner_text().startswith("Trần Thị Bình")
        assert "Kiểm tra, giám sát" in page.locator(".who").inner_text()
        rows = sqlite3.connect(site.data_dir / "parindex.db").execute(
            "SELECT u.name FROM web_sessions s JOIN users u ON u.id = s.user_id"
        )
        assert [r[0] for r in rows] == ["Trần Thị Bình"]
        page.get_by_role("button", name="Đăng xuất").click()
        page.wait_for_load_state()
        assert page.get_by_role("banner").get_by_role("link", name="Đăng nhập").is_visible()
        count = sqlite3.connect(site.data_dir / "parindex.db").execute(
            "SELECT count(*) FROM web_sessions"
        )
        assert count.fetchone()[0] == 0


def test_a_wrong_password_is_refused_and_says_so(browser, site):
    add_person(site, "Lê Văn Cường", "appraiser")
    with browser_page(browser, site) as page:
        sign_in(page, site, "Lê Văn Cường", "sai-mật-khẩu")
        assert page.get_by_role("alert").inner_text() == "Tên đăng nhập hoặc mật khẩu không đúng."
        assert page.get_by_label("Tên đăng nhập").input_value() == "Lê Văn Cường"
        assert (
            page.get_by_role("banner").get_by_role("link", name="Đăng nhập").is_visible()
        )  # still anonymous
        sign_in(page, site, "Lê Văn Cường", PASSWORD)
        assert page.locator(".who").inner_text().startswith("Lê Văn Cường")


def test_after_sign_in_the_page_asked_for_opens(browser, site):
    with browser_page(browser, site) as page:
        page.goto(f"{site.url}/dang-nhap?tiep=/bo-chi-so")
        page.get_by_label("Tên đăng nhập").fill("admin")
        page.get_by_label("Mật khẩu").fill((site.data_dir / "admin-password").read_text().strip())
        page.get_by_role("button", name="Đăng nhập").click()
        page.wait_for_url(f"{site.url}/bo-chi-so")
        assert page.get_by_role("heading", level=1).inner_text() == "Bộ chỉ số"


def test_a_post_without_the_csrf_token_is_refused(browser, site):
    add_person(site, "Phạm Minh Đức", "auditor")
    with browser_page(browser, site, "Phạm Minh Đức") as page:
        refused = page.request.post(f"{site.url}/dang-xuat", form={"x": "1"})
        assert refused.status == 403
        assert "biểu mẫu đã hết hạn" in refused.text()
        forged = page.request.post(f"{site.url}/dang-xuat", form={"csrf_token": "0" * 64})
        assert forged.status == 403
        page.reload()
        assert page.locator(".who").inner_text().startswith("Phạm Minh Đức")  # still signed in


def test_disabling_a_person_ends_their_session_at_the_next_click(browser, site):
    add_person(site, "Hoàng Thu Hà", "auditor")
    with browser_page(browser, site, "Hoàng Thu Hà") as page:
        assert page.locator(".who").inner_text().startswith("Hoàng Thu Hà")
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "server",
                "user",
                "disable",
                "Hoàng Thu Hà",
                "--data-dir",
                str(site.data_dir),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        page.reload()
        assert page.get_by_role("banner").get_by_role("link", name="Đăng nhập").is_visible()
