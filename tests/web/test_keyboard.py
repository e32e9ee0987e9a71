"""The pages with the keyboard alone: the skip link, and signing in with Tab, Enter and
typing (no mouse, no `fill`)."""

from __future__ import annotations

import sqlite3

import pytest

from tests.web.helpers import PASSWORD, add_person, browser_page

pytestmark = pytest.mark.slow

FOCUSED = (
    "() => { const e = document.activeElement; return [e.tagName, e.id, e.textContent.trim()]; }"
)


def test_the_skip_link_is_the_first_stop_and_moves_focus_to_the_content(browser, site):
    with browser_page(browser, site) as page:
        page.goto(f"{site.url}/")
        page.keyboard.press("Tab")
        assert page.evaluate(FOCUSED) == ["A", "", "Bỏ qua, đến nội dung chính"]
        box = page.locator(".skip").bounding_box()
        assert box is not None and box["x"] >= 0  # shown on screen once focused
        page.keyboard.press("Enter")
        assert page.evaluate(FOCUSED)[:2] == ["MAIN", "noi-dung"]
        page.keyboard.press("Tab")  # the next stop is inside the content, past the menu
        assert page.evaluate("() => document.activeElement.closest('main') !== null")


def test_a_person_signs_in_with_the_keyboard_only(browser, site):
    add_person(site, "Vũ Thị Lan", "auditor")
    with browser_page(browser, site) as page:
        page.goto(f"{site.url}/")
        for _ in range(30):  # from the top of the page to the header's sign-in link
            page.keyboard.press("Tab")
            if page.evaluate(FOCUSED)[::2] == ["A", "Đăng nhập"]:
                break
        else:
            pytest.fail("Tab never reached the sign-in link")
        page.keyboard.press("Enter")
        page.wait_for_url(f"{site.url}/dang-nhap?tiep=/")
        assert page.evaluate(FOCUSED)[:2] == ["INPUT", "ten"]  # the name field has focus
        page.keyboard.type("Vũ Thị Lan")
        page.keyboard.press("Tab")
        assert page.evaluate(FOCUSED)[:2] == ["INPUT", "mat_khau"]
        page.keyboard.type(PASSWORD)
        page.keyboard.press("Enter")
        page.wait_for_url(f"{site.url}/")
        assert page.locator(".who").inner_text().startswith("Vũ Thị Lan")
        rows = sqlite3.connect(site.data_dir / "parindex.db").execute(
            "SELECT u.name FROM web_sessions s JOIN users u ON u.id = s.user_id"
        )
        assert [r[0] for r in rows] == ["Vũ Thị Lan"]
