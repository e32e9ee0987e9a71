"""A ministry editor edits and releases par-provincial in a real browser: the commit
and its author, the release tag and its decision, live validation at the field, a
stale edit in two browser contexts, and the impact preview of a draft."""

from __future__ import annotations

import re
import subprocess

import pytest

from tests.web.helpers import add_person, browser_page

pytestmark = pytest.mark.slow

SLUG = "par-provincial"
NODE = "cap-nhat-mot-cua-dien-tu"  # 3.3.3, 0,5 điểm, tiers 100% / 90%
FILE = f"{SLUG}/cai-cach-tthc/mot-cua-lien-thong/{NODE}.md"
OTHER = "to-chuc-bo-phan-mot-cua"  # 3.3.1
OTHER_FILE = f"{SLUG}/cai-cach-tthc/mot-cua-lien-thong/{OTHER}.md"
EDITOR, SECOND = "Nguyễn Thị Biên Tập", "Trần Văn Hiệu Đính"


def git(site, *args: str) -> str:
    done = subprocess.run(
        ["git", "--git-dir", str(site.store), *args], capture_output=True, text=True, check=True
    )
    return done.stdout


def commits(site) -> int:
    return int(git(site, "rev-list", "--all", "--count"))


@pytest.fixture(scope="module")
def editors(site):
    add_person(site, EDITOR, "ministry_editor")
    add_person(site, SECOND, "ministry_editor")
    return EDITOR, SECOND


def test_a_ministry_editor_edits_a_node_and_releases_a_version(browser, site, editors):
    editor, _ = editors
    with browser_page(browser, site, editor) as page:
        page.goto(f"{site.url}/bien-tap/{SLUG}")
        page.get_by_role("link", name=re.compile(r"^Sửa 3\.3\.3 ")).click()
        page.wait_for_url(f"{site.url}/bien-tap/{SLUG}/{NODE}")
        page.get_by_label("Tên", exact=True).fill(
            "Cập nhật hồ sơ TTHC trên phần mềm một cửa điện tử"
        )
        page.get_by_label("Điểm tối đa").fill("0,5")
        rule = page.get_by_label("Cách chấm (YAML)")
        rule.fill(rule.input_value().replace("points: 0.25", "points: 0.4"))
        # the rule in plain Vietnamese follows the YAML as it is typed
        page.locator("#xem-truoc").get_by_text("Từ 90% đến dưới 100%: 0,4 điểm").wait_for()
        page.get_by_label("Hướng dẫn (Markdown)").fill(
            "Đạt 100%: 0,5 điểm. Từ 90% đến dưới 100%: 0,4 điểm. Dưới 90%: 0 điểm."
        )
        page.get_by_label("Ghi chú thay đổi").fill("Nâng điểm mức 90% của 3.3.3")
        page.get_by_role("button", name="Lưu").click()
        page.wait_for_load_state()
        assert "Đã lưu" in page.get_by_role("status").first.inner_text()
        head = git(site, "rev-parse", "HEAD").strip()
        assert git(site, "log", "-1", "--format=%an|%s").strip() == (
            f"{EDITOR}|Nâng điểm mức 90% của 3.3.3"
        )
        text = git(site, "show", f"HEAD:{FILE}")
        assert "title: Cập nhật hồ sơ TTHC trên phần mềm một cửa điện tử" in text
        assert "points: 0.4" in text and "max_points: 0.5" in text
        assert text.rstrip().endswith("Từ 90% đến dưới 100%: 0,4 điểm. Dưới 90%: 0 điểm.")

        page.goto(f"{site.url}/bien-tap/{SLUG}")
        page.get_by_label("Tên phiên bản").fill("2027")
        page.get_by_label("Số quyết định").fill("15/QĐ-BNV")
        page.get_by_label("Ngày ban hành").fill("31/12/2026")
        page.get_by_label("Ngày hiệu lực").fill("01/01/2027")
        page.get_by_label("Năm áp dụng").fill("2027-2030")
        page.get_by_label("Sửa đổi, bổ sung").fill("2022")
        page.get_by_role("button", name="Ban hành phiên bản").click()
        page.wait_for_load_state()
        assert "Đã ban hành phiên bản 2027." in page.get_by_role("status").first.inner_text()
        tag = git(site, "cat-file", "-p", f"{SLUG}/2027")
        assert f"object {head}" in tag
        assert f"tagger {EDITOR} <" in tag
        assert "15/QĐ-BNV (2026-12-31)" in tag
        assert "effective: 2027-01-01\nyears: 2027-2030\namends: par-provincial/2022\n" in tag


def test_bad_points_show_an_error_at_the_field_as_they_are_typed(browser, site, editors):
    editor, _ = editors
    with browser_page(browser, site, editor) as page:
        page.goto(f"{site.url}/bien-tap/{SLUG}/{NODE}")
        before = commits(site)
        points = page.get_by_label("Điểm tối đa")
        points.fill("abc")
        error = page.locator("#loi-diem")
        error.get_by_text("'abc' không phải là một số").wait_for()
        assert "loi-diem" in points.get_attribute("aria-describedby")
        assert page.locator("#loi-tieu_de").inner_text() == ""  # only the bad field says so
        page.get_by_role("button", name="Lưu").click()
        page.wait_for_load_state()
        assert "'abc' không phải là một số" in page.locator("#loi-diem").inner_text()
        assert page.get_by_label("Điểm tối đa").input_value() == "abc"  # kept as typed
        points = page.get_by_label("Điểm tối đa")
        points.fill("0,5")
        page.locator("#kiem-tra").get_by_text("Hợp lệ, có thể lưu.").wait_for()
        assert page.locator("#loi-diem").inner_text() == ""
        assert commits(site) == before


def test_a_stale_edit_shows_their_change_and_reapplies_mine(browser, site, editors):
    editor, other = editors
    with (
        browser_page(browser, site, editor) as first,
        browser_page(browser, site, other) as second,
    ):
        first.goto(f"{site.url}/bien-tap/{SLUG}/{OTHER}")
        second.goto(f"{site.url}/bien-tap/{SLUG}/{OTHER}")
        first.get_by_label("Tên", exact=True).fill("Tổ chức Bộ phận Một cửa theo Nghị định 61")
        first.get_by_label("Ghi chú thay đổi").fill("Sửa tên 3.3.1")
        first.get_by_role("button", name="Lưu").click()
        first.wait_for_load_state()
        assert "Đã lưu" in first.get_by_role("status").first.inner_text()

        second.get_by_label("Hướng dẫn (Markdown)").fill(
            "Có Bộ phận Một cửa đúng quy định: 1 điểm."
        )
        second.get_by_label("Ghi chú thay đổi").fill("Viết lại hướng dẫn 3.3.1")
        second.get_by_role("button", name="Lưu").click()
        second.wait_for_load_state()
        stale = second.get_by_role("alert")
        assert "Đã có người sửa nội dung này" in stale.inner_text()
        assert "Tổ chức Bộ phận Một cửa theo Nghị định 61" in stale.locator("ins").inner_text()
        assert f"{editor} đã lưu lúc" in stale.inner_text()
        assert "“Sửa tên 3.3.1”" in stale.inner_text()
        # the form holds their title and my guidance, based on the new head
        assert second.get_by_label("Tên", exact=True).input_value() == (
            "Tổ chức Bộ phận Một cửa theo Nghị định 61"
        )
        assert (
            second.get_by_label("Hướng dẫn (Markdown)")
            .input_value()
            .startswith("Có Bộ phận Một cửa đúng quy định")
        )
        second.get_by_role("button", name="Áp dụng lại thay đổi của tôi").click()
        second.wait_for_load_state()
        assert "Đã lưu" in second.get_by_role("status").first.inner_text()
    text = git(site, "show", f"HEAD:{OTHER_FILE}")
    assert "title: Tổ chức Bộ phận Một cửa theo Nghị định 61" in text
    assert text.rstrip().endswith("Có Bộ phận Một cửa đúng quy định: 1 điểm.")
    log = git(site, "log", "-2", "--format=%an|%s").strip().splitlines()
    assert log == [f"{SECOND}|Viết lại hướng dẫn 3.3.1", f"{EDITOR}|Sửa tên 3.3.1"]


def test_the_impact_preview_shows_rank_changes_of_a_points_edit(browser, site, editors):
    editor, _ = editors
    with browser_page(browser, site, editor) as page:
        page.goto(f"{site.url}/bien-tap/{SLUG}/{NODE}")
        rule = page.get_by_label("Cách chấm (YAML)")
        rule.fill(rule.input_value().replace("points: 0.4", "points: 0"))
        page.get_by_label("Ghi chú thay đổi").fill("Bỏ điểm mức 90% của 3.3.3")
        page.get_by_role("button", name="Lưu").click()
        page.wait_for_load_state()
        written = commits(site)
        page.goto(f"{site.url}/bien-tap/{SLUG}")
        assert page.get_by_role("link", name=re.compile("Xem bản đang soạn")).count() in (0, 1)
        summary = page.locator(".impact-summary")
        summary.wait_for(timeout=120_000)
        said = re.search(
            r"làm (\d+) đơn vị giảm hạng, (\d+) đơn vị tăng hạng", summary.inner_text()
        )
        assert said and int(said[1]) > 0, summary.inner_text()
        ranks = page.locator(".impact-table tbody tr.down td:nth-child(5)").first.inner_text()
        before, after = (int(x) for x in ranks.split(" → "))
        assert after > before
        causes = page.locator(".impact-table tbody tr").filter(has_text="3.3.3").first
        assert "Thay đổi cách chấm điểm 3.3.3" in causes.inner_text()
        assert commits(site) == written  # a preview writes nothing
