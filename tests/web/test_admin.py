"""Administration through the pages: people, roles, passwords and tokens, as the admin
does it, checked against what was stored."""

from __future__ import annotations

import sqlite3

import httpx
import pytest

from tests.web.helpers import PASSWORD, add_person, browser_page, sign_in

pytestmark = pytest.mark.slow


def _admin(page, site) -> None:
    sign_in(page, site, "admin", (site.data_dir / "admin-password").read_text().strip())


def _rows(site, sql: str, *args):
    with sqlite3.connect(site.data_dir / "parindex.db") as db:
        return db.execute(sql, args).fetchall()


def test_the_admin_adds_a_person_who_then_signs_in(browser, site):
    with browser_page(browser, site) as page:
        _admin(page, site)
        page.get_by_role("link", name="Quản trị").click()
        page.get_by_label("Tên đăng nhập (tên người)").fill("Vũ Thị Lan")
        page.get_by_label("Vai trò", exact=True).select_option(label="Biên tập viên cấp tỉnh")
        page.get_by_label("Tỉnh (với biên tập viên cấp tỉnh)").fill("dak-lak")
        page.get_by_label("Mật khẩu (để trống nếu chỉ dùng token)").fill(PASSWORD)
        page.get_by_role("button", name="Thêm người dùng").click()
        page.wait_for_load_state()
        assert page.get_by_role("status").inner_text() == "Đã tạo người dùng."
    [(role, province, hashed)] = _rows(
        site, "SELECT role, province, password_hash FROM users WHERE name = ?", "Vũ Thị Lan"
    )
    assert (role, province) == ("province_editor", "dak-lak")
    assert hashed.startswith("$argon2id$")
    actions = [a for (a,) in _rows(site, "SELECT action FROM audit_log ORDER BY id")]
    assert "user.create" in actions
    with browser_page(browser, site, "Vũ Thị Lan") as page:
        assert page.locator(".who").inner_text().startswith("Vũ Thị Lan")
        assert page.get_by_role("link", name="Quản trị").count() == 0  # not for editors


def test_a_missing_scope_is_shown_at_its_field_and_nothing_is_written(browser, site):
    before = _rows(site, "SELECT count(*) FROM users")[0][0]
    with browser_page(browser, site) as page:
        _admin(page, site)
        page.goto(f"{site.url}/quan-tri/nguoi-dung")
        page.get_by_label("Tên đăng nhập (tên người)").fill("Không Đơn Vị")
        page.get_by_label("Vai trò", exact=True).select_option("unit_submitter")
        page.get_by_role("button", name="Thêm người dùng").click()
        page.wait_for_load_state()
        field_error = page.locator("#e-don_vi").inner_text()
        assert "cần có đơn vị" in field_error
        assert page.get_by_label("Tên đăng nhập (tên người)").input_value() == "Không Đơn Vị"
    assert _rows(site, "SELECT count(*) FROM users")[0][0] == before


def test_the_admin_issues_and_revokes_a_token_and_resets_a_password(browser, site):
    add_person(site, "Đỗ Văn Hùng", "auditor")
    [(user_id,)] = _rows(site, "SELECT id FROM users WHERE name = ?", "Đỗ Văn Hùng")
    with browser_page(browser, site) as page:
        _admin(page, site)
        page.goto(f"{site.url}/quan-tri/nguoi-dung/{user_id}")
        page.get_by_role("button", name="Cấp token mới").click()
        page.wait_for_load_state()
        token = page.locator("code.token").inner_text().strip()
        assert token.startswith("pdx_")
        api = httpx.get(f"{site.url}/api/units", headers={"Authorization": f"Bearer {token}"})
        assert api.status_code == 200
        prefix = token.split("_")[1]
        page.get_by_role("button", name=f"Thu hồi token {prefix}").click()
        page.wait_for_load_state()
        api = httpx.get(f"{site.url}/api/units", headers={"Authorization": f"Bearer {token}"})
        assert api.status_code == 401
        page.get_by_label("Mật khẩu mới").fill("mật-khẩu-khác-2")
        page.get_by_role("button", name="Đặt mật khẩu").click()
        page.wait_for_load_state()
    with browser_page(browser, site) as page:
        sign_in(page, site, "Đỗ Văn Hùng", PASSWORD)
        assert page.get_by_role("alert").inner_text() == "Tên đăng nhập hoặc mật khẩu không đúng."
        sign_in(page, site, "Đỗ Văn Hùng", "mật-khẩu-khác-2")
        assert page.locator(".who").inner_text().startswith("Đỗ Văn Hùng")
    actions = [a for (a,) in _rows(site, "SELECT action FROM audit_log")]
    assert {"token.create", "token.revoke", "user.password"} <= set(actions)
    passwords = _rows(site, "SELECT after FROM audit_log WHERE action = 'user.password'")
    assert all("mật-khẩu" not in (after or "") for (after,) in passwords)


def test_the_last_admin_cannot_stop_being_one(browser, site):
    [(admin_id,)] = _rows(site, "SELECT id FROM users WHERE name = 'admin'")
    with browser_page(browser, site) as page:
        _admin(page, site)
        page.goto(f"{site.url}/quan-tri/nguoi-dung/{admin_id}")
        page.get_by_label("Vai trò", exact=True).select_option("auditor")
        page.get_by_role("button", name="Lưu vai trò").click()
        page.wait_for_load_state()
        assert "quản trị viên cuối cùng" in page.get_by_role("alert").inner_text()
    assert _rows(site, "SELECT role FROM users WHERE id = ?", admin_id) == [("admin",)]


def test_only_the_admin_may_open_the_administration(browser, site):
    add_person(site, "Ngô Thị Mai", "ministry_editor")
    with browser_page(browser, site, "Ngô Thị Mai") as page:
        response = page.goto(f"{site.url}/quan-tri/nguoi-dung")
        assert response.status == 403
        assert page.get_by_role("heading", level=1).inner_text() == "Không có quyền"
        assert "không được quản lý người dùng" in page.get_by_role("alert").inner_text()
    with browser_page(browser, site) as page:
        page.goto(f"{site.url}/quan-tri/nguoi-dung")
        assert page.url.startswith(f"{site.url}/dang-nhap?tiep=/quan-tri/nguoi-dung")
