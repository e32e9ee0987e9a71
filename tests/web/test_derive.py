"""A province editor derives an index, edits its overlay and rebases it through a
conflict, in a real browser; checked against the commits in the store."""

from __future__ import annotations

import subprocess

import pytest

from tests.web.helpers import add_person, browser_page

pytestmark = pytest.mark.slow

EDITOR = "Trần Thị Địa Phương"


def _git(site, *args: str) -> str:
    return subprocess.run(
        ["git", "--git-dir", str(site.store), *args],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def _last(site) -> tuple[str, str, str]:
    """(sha, author, subject) of the store's head."""
    sha, author, subject = _git(site, "log", "-1", "--format=%H%x00%an%x00%s").split("\x00")
    return sha, author, subject


def test_a_province_derives_edits_its_overlay_and_rebases_through_a_conflict(browser, site):
    add_person(site, EDITOR, "province_editor", province="dak-lak")
    with browser_page(browser, site, EDITOR) as page:
        # 1. Derive from the 2019 provincial release: drop 3.7 (gone in 2022), rescale to 100.
        page.get_by_role("link", name="Địa phương", exact=True).click()
        page.get_by_role("link", name="Tạo chỉ số dẫn xuất mới").click()
        page.get_by_label("Bộ chỉ số và lần ban hành").select_option("par-provincial/2019")
        page.get_by_role("button", name="Chọn").click()
        page.get_by_label("Mã bộ chỉ số (không dấu)").fill("daklak-thu")
        page.get_by_label("Tên bộ chỉ số").fill("Chỉ số CCHC thử của các sở tỉnh Đắk Lắk")
        page.get_by_label("Cấp áp dụng").fill("sở")
        page.locator("#bo-cong-bo-quy-trinh-noi-bo").check()
        page.get_by_label("Quy đổi tổng điểm về (để trống: không quy đổi)").fill("100")
        page.get_by_role("button", name="Tạo chỉ số").click()
        page.wait_for_load_state()
        assert page.get_by_role("status").inner_text() == "Đã tạo chỉ số dẫn xuất."
        created, author, _ = _last(site)
        assert author == EDITOR
        manifest = _git(site, "show", f"{created}:daklak-thu/methodology.yaml")
        assert "extends: par-provincial@par-provincial/2019" in manifest
        assert "province: dak-lak" in manifest
        assert "cong-bo-quy-trinh-noi-bo" in _git(
            site, "show", f"{created}:daklak-thu/overlay.yaml"
        )

        # 2. Edit the overlay on its page: a new title for 1.3.
        page.get_by_label("Tên mới của 1.3", exact=True).fill("Kiểm tra công tác CCHC của sở")
        page.get_by_label("Ghi chú thay đổi").fill("Đổi tên 1.3 cho cấp sở")
        page.get_by_role("button", name="Lưu overlay").click()
        page.wait_for_load_state()
        assert page.get_by_role("status").inner_text() == "Đã lưu overlay."
        edited, author, subject = _last(site)
        assert (author, subject) == (EDITOR, "Đổi tên 1.3 cho cấp sở")
        overlay = _git(site, "show", f"{edited}:daklak-thu/overlay.yaml")
        assert "Kiểm tra công tác CCHC của sở" in overlay

        # 3. Rebase onto 2022: 3.7 is gone there, so the removal conflicts.
        page.get_by_role("link", name="Cập nhật theo bản quốc gia mới").click()
        page.get_by_label("Cập nhật lên").select_option("par-provincial/2022")
        page.get_by_role("button", name="Lập kế hoạch").click()
        assert page.get_by_role("heading", name="Xung đột (1)").is_visible()
        assert (
            page.get_by_role(
                "button", name="Cập nhật lên par-provincial@par-provincial/2022"
            ).count()
            == 0
        )
        page.get_by_label("Cách giải quyết cong-bo-quy-trinh-noi-bo").select_option("national")
        page.get_by_role("button", name="Ghi lựa chọn vào overlay").click()
        page.wait_for_load_state()
        resolved, author, _ = _last(site)
        assert author == EDITOR and resolved != edited
        assert "cong-bo-quy-trinh-noi-bo" not in _git(
            site, "show", f"{resolved}:daklak-thu/overlay.yaml"
        )
        assert page.get_by_role("heading", name="Xung đột (0)").is_visible()

        # 4. Acknowledge each newly inherited criterion, then apply.
        boxes = page.locator('input[name="nhan"]')
        assert boxes.count() == 3
        for i in range(boxes.count()):
            boxes.nth(i).check()
        page.get_by_role("button", name="Cập nhật lên par-provincial@par-provincial/2022").click()
        page.wait_for_load_state()
        assert page.get_by_role("status").inner_text() == "Đã cập nhật theo bản quốc gia mới."
    rebased, author, _ = _last(site)
    assert author == EDITOR
    assert _git(site, "rev-parse", f"{rebased}^") == resolved
    manifest = _git(site, "show", f"{rebased}:daklak-thu/methodology.yaml")
    assert "par-provincial/2022" in manifest and "par-provincial/2019" not in manifest
