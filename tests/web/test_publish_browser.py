"""Publishing results through the pages, in a real Chromium over a real server: a Đắk
Lắk editor publishes the ranking under a decision, an anonymous visitor then finds and
reads it from the home page, and the editor withdraws it; the database says so."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.server.helpers import (
    METHODOLOGY,
    PERIOD,
    REF,
    add_units,
    appraise_as_sample,
    post_submission,
    survey_scores,
)
from tests.web.helpers import add_person, browser_page, db_rows

pytestmark = pytest.mark.slow

UNITS = ["so-noi-vu", "so-tu-phap", "thanh-tra-tinh"]
EDITOR = "Biên tập viên Đắk Lắk"
RANKING = f"/ket-qua/daklak-so/{PERIOD}"


@pytest.fixture(scope="module")
def data(site):
    """Three of Đắk Lắk's departments with their 2023 samples submitted and appraised
    and their survey scores; the province's editor and an auditor with passwords."""
    api = httpx.Client(base_url=site.url, timeout=60)
    admin = site.admin_headers()
    add_units(api, admin, only=set(UNITS))
    for unit in UNITS:
        submitted = post_submission(api, admin, unit)
        appraise_as_sample(api, admin, submitted["id"], unit)
    survey = {"methodology": METHODOLOGY, "ref": REF, "period": PERIOD}
    r = api.post("/api/surveys", json={**survey, "scores": survey_scores(UNITS)}, headers=admin)
    assert r.status_code == 201, r.text
    add_person(site, EDITOR, "province_editor", province="dak-lak")
    add_person(site, "Kiểm tra viên", "auditor")
    return {"api": api, "admin": admin}


def _rows(page) -> list[tuple[str, str]]:
    return page.eval_on_selector_all(
        "table.ranking tbody tr",
        "rows => rows.map(r => [r.cells[0].innerText.trim(),"
        " r.querySelector('th a').getAttribute('href').split('/').pop().split('?')[0]])",
    )


def _ranks(units: list[dict]) -> list[list[str]]:
    return [[str(u["rank"]) if u["rank"] is not None else "—", u["unit"]] for u in units]


def test_an_editor_publishes_and_an_anonymous_visitor_reads_it(browser, site, data):
    live = (
        data["api"]
        .get(
            "/api/rankings", params={"cohort": "daklak-so", "period": PERIOD}, headers=data["admin"]
        )
        .json()
    )
    with browser_page(browser, site, EDITOR) as page:
        page.goto(f"{site.url}{RANKING}")
        assert page.locator("p.notice.unpublished").inner_text().startswith("Chưa công bố.")
        # A date that does not exist is refused at its field; nothing is written.
        page.get_by_label("Số văn bản").fill("123/QĐ-UBND")
        page.get_by_label("Ngày ban hành văn bản").fill("31/02/2024")
        page.get_by_role("button", name="Công bố kết quả").click()
        page.wait_for_load_state()
        error = page.locator("#e-ngay_van_ban")
        assert "không phải là ngày" in error.inner_text()
        assert page.get_by_label("Số văn bản").input_value() == "123/QĐ-UBND"
        assert db_rows(site, "select id from publications") == []

        page.get_by_label("Loại văn bản").select_option(label="Quyết định")
        page.get_by_label("Ngày ban hành văn bản").fill("15/04/2024")
        page.get_by_role("button", name="Công bố kết quả").click()
        page.wait_for_url(f"**{RANKING}?da=cong-bo")
        banner = page.locator("p.notice.publication").inner_text()
        assert "Đã công bố ngày 15/04/2024 theo Quyết định số 123/QĐ-UBND" in banner
        assert page.get_by_role("button", name="Thu hồi").is_visible()

    (row,) = db_rows(site, "select * from publications")
    (editor,) = db_rows(site, "select id from users where name = ?", EDITOR)
    assert row["cohort_id"] == "daklak-so" and row["period"] == PERIOD
    assert row["document_kind"] == "decision" and row["document_number"] == "123/QĐ-UBND"
    assert row["document_date"] == "2024-04-15" and row["withdrawn_at"] is None
    assert row["published_by"] == editor["id"] and row["ranking_hash"] == live["ranking_hash"]
    assert len(
        db_rows(site, "select * from publication_results where publication_id = ?", row["id"])
    ) == len(UNITS)

    with browser_page(browser, site) as page:  # nobody signed in
        page.goto(site.url)
        page.get_by_role("navigation").get_by_role("link", name="Kết quả").click()
        page.wait_for_url("**/ket-qua")
        item = page.locator("ul.published li").first
        assert "Đã công bố ngày 15/04/2024 theo Quyết định số 123/QĐ-UBND" in item.inner_text()
        item.get_by_role("link").click()
        page.wait_for_url(f"**{RANKING}")
        assert _rows(page) == _ranks(live["units"])
        assert page.locator("p.notice.unpublished").count() == 0
        assert page.get_by_role("button", name="Thu hồi").count() == 0
        page.get_by_role("link", name="Sở Nội vụ").click()
        page.wait_for_url(f"**{RANKING}/so-noi-vu")
        assert page.locator("li.fired").first.is_visible()
        assert "Đã công bố ngày 15/04/2024" in page.locator("p.notice.publication").inner_text()


def test_only_those_allowed_publish_and_every_form_needs_its_token(browser, site, data):
    """An auditor sees the ranking without the forms and is refused when posting; a
    post without the CSRF token is refused before anything runs. Nothing is written."""
    before = db_rows(site, "select id, withdrawn_at from publications")
    with browser_page(browser, site, "Kiểm tra viên") as page:
        page.goto(f"{site.url}{RANKING}?xem=hien-tai")
        assert page.locator("p.notice.unpublished").is_visible()
        assert page.get_by_role("button", name="Công bố kết quả").count() == 0
        assert page.get_by_role("button", name="Thu hồi").count() == 0
        token = page.locator("input[name=csrf_token]").first.get_attribute("value")
        form = {
            "thao_tac": "cong-bo",
            "so_van_ban": "9/QĐ",
            "ngay_van_ban": "01/05/2024",
            "csrf_token": token,
        }
        r = page.request.post(f"{site.url}{RANKING}", form=form, headers={"Accept": "text/html"})
        assert r.status == 403 and "Không có quyền" in r.text()
    with browser_page(browser, site, EDITOR) as page:  # allowed, but without the token
        page.goto(f"{site.url}{RANKING}")
        publication = before[0]["id"]
        form = {"thao_tac": "thu-hoi", "cong_bo": str(publication), "ly_do": "Không có mã"}
        r = page.request.post(f"{site.url}{RANKING}", form=form, headers={"Accept": "text/html"})
        assert r.status == 403 and "biểu mẫu đã hết hạn" in r.text()
    assert db_rows(site, "select id, withdrawn_at from publications") == before


def test_the_editor_withdraws_it_and_it_is_no_longer_public(browser, site, data):
    with browser_page(browser, site, EDITOR) as page:
        page.goto(f"{site.url}{RANKING}")
        page.get_by_label("Lý do thu hồi").fill("Sai sót số liệu của Sở Tư pháp")
        page.get_by_role("button", name="Thu hồi").click()
        page.wait_for_url(f"**{RANKING}?da=thu-hoi")
        assert page.locator("p.notice.unpublished").is_visible()
        assert page.get_by_role("button", name="Công bố kết quả").is_visible()
    (row,) = db_rows(site, "select * from publications")
    assert row["withdrawn_at"] is not None
    assert row["withdrawal_reason"] == "Sai sót số liệu của Sở Tư pháp"
    r = httpx.get(f"{site.url}{RANKING}", headers={"Accept": "text/html"})
    assert r.status_code == 303 and r.headers["location"].startswith("/dang-nhap")
    home = httpx.get(site.url, headers={"Accept": "text/html"}).text
    assert not re.search("Đã công bố ngày", home)
