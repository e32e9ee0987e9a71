"""The Excel form on the self-assessment pages: "Tải biểu mẫu Excel" and "Nhập biểu mẫu
đã điền" over HTTP (a bad form's cells listed in Vietnamese, nothing written; CSRF
required) and in a real browser (a unit uploads its filled form and lands on its
draft, whose values the database holds)."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import unquote

import httpx
import pytest
from openpyxl import load_workbook

from tests.office.form_helpers import change, fill, row_of
from tests.server.helpers import METHODOLOGY, PERIOD, REF, add_units, sample
from tests.web.helpers import PASSWORD, add_person, browser_page, db_rows

pytestmark = pytest.mark.slow  # a real server (and, below, a browser)

UNIT, OTHER = "so-noi-vu", "so-tu-phap"
PERSON = "Cán bộ Sở Nội vụ (biểu mẫu)"
TOKEN = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(scope="module")
def people(site) -> None:
    with httpx.Client(base_url=site.url, timeout=30) as api:
        add_units(api, site.admin_headers(), only={UNIT, OTHER})
    add_person(site, PERSON, "unit_submitter", unit=UNIT)


@contextmanager
def _signed_in(site) -> Iterator[httpx.Client]:
    client = httpx.Client(base_url=site.url, timeout=60, headers={"Accept": "text/html"})
    token = TOKEN.search(client.get("/dang-nhap").text)[1]
    r = client.post("/dang-nhap", data={"ten": PERSON, "mat_khau": PASSWORD, "csrf_token": token})
    assert r.status_code == 303, r.text
    try:
        yield client
    finally:
        client.close()


def _submissions(site) -> list[dict]:
    return db_rows(site, "SELECT * FROM submissions WHERE unit_id = ?", UNIT)


def test_the_page_downloads_the_form_and_lists_a_bad_forms_cells(site, people):
    with _signed_in(site) as client:
        home = client.get("/tu-danh-gia").text
        assert "Tải biểu mẫu Excel" in home and "Nhập biểu mẫu đã điền" in home
        r = client.get(
            "/tu-danh-gia/bieu-mau", params={"ky": PERIOD, "phien_ban": f"{METHODOLOGY}@{REF}"}
        )
        assert r.status_code == 200 and r.headers["content-type"].startswith(XLSX)
        name = unquote(r.headers["content-disposition"].split("filename*=UTF-8''")[1])
        assert name == f"biểu-mẫu-tự-đánh-giá_{UNIT}_{PERIOD}_{METHODOLOGY}.xlsx"
        blank = r.content
        assert "Sở Nội vụ" in load_workbook(io.BytesIO(blank))["Tự đánh giá"]["C3"].value
        ratio = row_of(blank, "input:ty_le_hoan_thanh_ke_hoach_cchc")
        bad = change(
            fill(blank, sample(UNIT)),
            lambda wb: wb["Tự đánh giá"].__setitem__(f"G{ratio}", "bảy mươi"),
        )
        before = _submissions(site)
        token = TOKEN.search(home)[1]
        files = {"tep": ("biểu mẫu.xlsx", bad, XLSX)}
        r = client.post("/tu-danh-gia/nhap-bieu-mau", files=files)  # no CSRF token
        assert r.status_code == 403
        r = client.post("/tu-danh-gia/nhap-bieu-mau", data={"csrf_token": token}, files=files)
        assert r.status_code == 422
        assert "Chưa nhập được biểu mẫu" in r.text and "Chưa có gì được lưu" in r.text
        assert f"Tự đánh giá!G{ratio}" in r.text and "không phải là một số" in r.text
        assert _submissions(site) == before


def test_a_unit_uploads_its_filled_form_in_a_browser(browser, site, people, tmp_path):
    with _signed_in(site) as client:
        blank = client.get(
            "/tu-danh-gia/bieu-mau", params={"ky": PERIOD, "phien_ban": f"{METHODOLOGY}@{REF}"}
        ).content
    values = sample(UNIT)
    filled = tmp_path / "Biểu mẫu Sở Nội vụ 2023.xlsx"
    filled.write_bytes(fill(blank, values))
    with browser_page(browser, site, PERSON) as page:
        page.goto(f"{site.url}/tu-danh-gia")
        page.fill("#ky-excel", PERIOD)
        with page.expect_download() as download:
            page.get_by_role("button", name="Tải biểu mẫu Excel").click()
        assert download.value.suggested_filename.endswith(f"{UNIT}_{PERIOD}_{METHODOLOGY}.xlsx")
        page.get_by_label("Biểu mẫu đã điền (.xlsx)").set_input_files(str(filled))
        page.get_by_role("button", name="Nhập biểu mẫu đã điền").click()
        page.wait_for_url(re.compile(r".*/tu-danh-gia/\d+\?tb=da-nhap"))
        assert page.locator("p.ok").inner_text() == "Đã nhập biểu mẫu Excel vào bản nháp."
        submission_id = int(page.url.split("?")[0].rsplit("/", 1)[1])
        assert page.locator("#v-so_sang_kien_cchc").input_value() == str(
            values["values"]["so_sang_kien_cchc"]
        )
    import json

    stored = db_rows(site, "SELECT * FROM submissions WHERE id = ?", submission_id)[0]
    assert stored["status"] == "draft" and stored["period"] == PERIOD
    assert json.loads(stored["values"]) == values["values"]
    assert json.loads(stored["not_applicable"]) == values["not_applicable"]


def test_a_drafts_page_takes_its_own_form_and_refuses_another_periods(site, people):
    with _signed_in(site) as client:
        home = client.get("/tu-danh-gia").text
        token = TOKEN.search(home)[1]
        r = client.post(
            "/tu-danh-gia/bat-dau",
            data={"ky": "2022", "phien_ban": f"{METHODOLOGY}@{REF}", "csrf_token": token},
        )
        assert r.status_code == 303, r.text
        draft = int(r.headers["location"].rsplit("/", 1)[1])
        page = client.get(f"/tu-danh-gia/{draft}").text
        assert f'href="/tu-danh-gia/{draft}/bieu-mau"' in page
        assert f'action="/tu-danh-gia/{draft}/nhap-bieu-mau"' in page
        own = client.get(f"/tu-danh-gia/{draft}/bieu-mau")
        assert own.status_code == 200 and own.headers["content-type"].startswith(XLSX)
        other = client.get(
            "/tu-danh-gia/bieu-mau", params={"ky": "2024", "phien_ban": f"{METHODOLOGY}@{REF}"}
        ).content
        before = db_rows(site, 'SELECT revision, "values" FROM submissions WHERE id = ?', draft)
        r = client.post(
            f"/tu-danh-gia/{draft}/nhap-bieu-mau",
            data={"csrf_token": token},
            files={"tep": ("2024.xlsx", fill(other, sample(UNIT)), XLSX)},
        )
        assert r.status_code == 422
        assert "Tự đánh giá!C3" in r.text and "kỳ đánh giá “2024”, không phải “2022”" in r.text
        after = db_rows(site, 'SELECT revision, "values" FROM submissions WHERE id = ?', draft)
        assert after == before
        r = client.post(
            f"/tu-danh-gia/{draft}/nhap-bieu-mau",
            data={"csrf_token": token},
            files={"tep": ("2022.xlsx", fill(own.content, sample(UNIT)), XLSX)},
        )
        assert r.status_code == 303 and r.headers["location"] == f"/tu-danh-gia/{draft}?tb=da-nhap"
    import json

    stored = db_rows(site, "SELECT * FROM submissions WHERE id = ?", draft)[0]
    assert json.loads(stored["values"]) == sample(UNIT)["values"] and stored["revision"] == 2
