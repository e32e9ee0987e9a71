"""The cycle on the pages, over a real server: the council returns a record for
supplement from its page (a wrong criterion or date shown at its field, nothing
written), both the council's and the unit's pages then show the request and the
record's history; and, in a real Chromium, a Đắk Lắk editor opens the province's
assessment period with its schedule typed dd/mm/yyyy."""

from __future__ import annotations

import re
from contextlib import closing
from typing import Any

import httpx
import pytest

from tests.server.helpers import add_units, post_submission
from tests.web.helpers import PASSWORD, add_person, browser_page, db_rows

EDITOR, APPRAISER, SUBMITTER = "Biên tập viên Đắk Lắk", "Ngô Thẩm Định", "Đặng Văn Nộp"
LEAF = "muc-do-thuc-hien-ke-hoach-cchc"
CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


@pytest.fixture(scope="module")
def data(site) -> dict[str, Any]:
    """Sở Nội vụ's 2023 sample submitted, and the people of the cycle with passwords."""
    admin = site.admin_headers()
    with httpx.Client(base_url=site.url, timeout=60) as api:
        add_units(api, admin, only={"so-noi-vu"})
        submitted = post_submission(api, admin, "so-noi-vu")
    add_person(site, EDITOR, "province_editor", province="dak-lak")
    add_person(site, APPRAISER, "appraiser")
    add_person(site, SUBMITTER, "unit_submitter", unit="so-noi-vu")
    return {"submission": submitted["id"]}


def _signed_in(site, name: str) -> httpx.Client:
    client = httpx.Client(base_url=site.url, timeout=60, headers={"Accept": "text/html"})
    token = CSRF.search(client.get("/dang-nhap").text)[1]
    r = client.post("/dang-nhap", data={"ten": name, "mat_khau": PASSWORD, "csrf_token": token})
    assert r.status_code == 303, r.text
    return client


def test_the_council_returns_a_record_and_both_pages_show_its_history(site, data):
    sid = data["submission"]
    with closing(_signed_in(site, APPRAISER)) as council:
        token = CSRF.search(council.get(f"/tham-dinh/{sid}").text)[1]
        url = f"/tham-dinh/{sid}/yeu-cau-bo-sung"
        form = {"muc": f"{LEAF} 9.9.9", "ghi_chu": "Bổ sung báo cáo", "han": "31/02/2026"}
        r = council.post(url, data={**form, "csrf_token": token})
        assert r.status_code == 422
        assert "Hồ sơ không có mục 9.9.9." in r.text and "không phải là ngày" in r.text
        assert db_rows(site, "select status from submissions where id = ?", sid) == [
            {"status": "submitted"}
        ]
        form = {"muc": LEAF, "ghi_chu": "Bổ sung báo cáo kết quả thực hiện", "han": "15/03/2026"}
        r = council.post(url, data={**form, "csrf_token": token})
        assert r.status_code == 303, r.text
        page = council.get(f"/tham-dinh/{sid}").text
        assert "Yêu cầu bổ sung" in page and "Hạn nộp bổ sung: 15/03/2026" in page
        assert 'id="dien-bien"' in page and f"{APPRAISER}. Lý do: {form['ghi_chu']}" in page
    with closing(_signed_in(site, SUBMITTER)) as unit:
        page = unit.get(f"/tu-danh-gia/{sid}").text
        assert 'id="yeu-cau-bo-sung"' in page and form["ghi_chu"] in page
        assert f"<code>{LEAF}</code>" in page
        assert "Diễn biến hồ sơ" in page and "(Đã nộp → Yêu cầu bổ sung)" in page
    moves = db_rows(
        site, "select action, to_status from submission_transitions where submission_id = ?", sid
    )
    assert moves[-1] == {"action": "return", "to_status": "returned"}


@pytest.mark.slow
def test_an_editor_opens_the_provinces_period(browser, site, data):
    with browser_page(browser, site, EDITOR) as page:
        page.goto(f"{site.url}/ky-danh-gia")
        page.get_by_label("Mã nhóm đơn vị").fill("daklak-so")
        page.get_by_label("Kỳ đánh giá", exact=True).fill("2025")
        page.get_by_label("Phiên bản bộ chỉ số").fill("daklak-so/2022")
        page.get_by_label("Bắt đầu tự đánh giá").fill("30/02/2025")
        page.get_by_label("Hạn nộp tự đánh giá").fill("15/01/2026")
        page.get_by_role("button", name="Lập kỳ đánh giá").click()
        page.wait_for_load_state()
        assert "không phải là ngày" in page.locator("#e-self_assessment_opens").inner_text()
        assert db_rows(site, "select id from assessment_periods") == []
        page.get_by_label("Bắt đầu tự đánh giá").fill("15/11/2025")
        page.get_by_role("button", name="Lập kỳ đánh giá").click()
        page.wait_for_load_state()
        assert page.locator("h1").inner_text() == "Kỳ đánh giá 2025: nhóm daklak-so"
        schedule = page.locator("#lich").inner_text()
        assert "15/11/2025" in schedule and "15/01/2026" in schedule
    (row,) = db_rows(
        site, 'select self_assessment_closes, ref, length("commit") as n from assessment_periods'
    )
    assert row == {"self_assessment_closes": "2026-01-15", "ref": "daklak-so/2022", "n": 40}
