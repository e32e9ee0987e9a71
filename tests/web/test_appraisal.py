"""The appraisal pages without a browser: who may open them, a bad adjustment shown at
its field with nothing written, the evidence download, a draft's clear message."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.server.helpers import PDF, add_units, post_submission
from tests.web.helpers import PASSWORD, add_person

APPRAISER, SUBMITTER = "Lê Thị Thẩm", "Vũ Văn Nộp"
MANUAL = "muc-tieu-chuong-trinh-tong-the"  # the criterion the council scores itself (0 to 1,11)
CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


def _rows(site, sql: str, *args: Any) -> list[tuple]:
    with sqlite3.connect(site.data_dir / "parindex.db") as db:
        return db.execute(sql, args).fetchall()


@pytest.fixture(scope="module")
def data(site) -> dict[str, int]:
    """A submitted so-noi-vu with a PDF for one criterion, and a draft of so-tu-phap."""
    admin = site.admin_headers()
    with httpx.Client(base_url=site.url, timeout=60) as api:
        add_units(api, admin, only={"so-noi-vu", "so-tu-phap", "so-y-te"})
        draft = post_submission(api, admin, "so-noi-vu", submit=False)
        r = api.post(
            f"/api/submissions/{draft['id']}/evidence",
            data={"node_id": "bao-cao-cchc"},
            files={"file": ("Báo cáo CCHC quý 4.pdf", PDF, "application/pdf")},
            headers=admin,
        )
        assert r.status_code == 201, r.text
        evidence = r.json()["id"]
        r = api.post(f"/api/submissions/{draft['id']}/submit", headers=admin)
        assert r.status_code == 200, r.text
        other = post_submission(api, admin, "so-tu-phap", submit=False)
        unchanged = post_submission(api, admin, "so-y-te")
    add_person(site, APPRAISER, "appraiser")
    add_person(site, SUBMITTER, "unit_submitter", unit="so-noi-vu")
    return {
        "submitted": draft["id"],
        "draft": other["id"],
        "evidence": evidence,
        "unchanged": unchanged["id"],
    }


@pytest.fixture
def appraiser(site, data) -> Iterator[httpx.Client]:
    client = _signed_in(site, APPRAISER)
    yield client
    client.close()


def _signed_in(site, name: str) -> httpx.Client:
    client = httpx.Client(base_url=site.url, timeout=60, headers={"Accept": "text/html"})
    token = CSRF.search(client.get("/dang-nhap").text)[1]
    r = client.post("/dang-nhap", data={"ten": name, "mat_khau": PASSWORD, "csrf_token": token})
    assert r.status_code == 303, r.text
    return client


def _adjust(client: httpx.Client, submission: int, **form: str) -> httpx.Response:
    token = CSRF.search(client.get(f"/tham-dinh/{submission}").text)[1]
    return client.post(f"/tham-dinh/{submission}/dieu-chinh", data={**form, "csrf_token": token})


def _field_error(html: str, key: str, field: str) -> str:
    prefix = {"gia_tri": "ev", "ly_do": "er"}[field]
    match = re.search(rf'<small id="{prefix}-{key}" class="error">([^<]*)</small>', html)
    assert match, f"no error at {field} of {key}"
    return match[1]


def test_a_missing_reason_is_shown_at_its_field_and_nothing_is_written(site, data, appraiser):
    before = _rows(site, "SELECT count(*) FROM appraisals")[0][0]
    r = _adjust(appraiser, data["submitted"], khoa=MANUAL, gia_tri="0,5", ly_do="  ")
    assert r.status_code == 422
    assert _field_error(r.text, MANUAL, "ly_do") == "Cần ghi lý do điều chỉnh."
    assert 'value="0,5"' in r.text  # what was typed stays in the field
    assert _rows(site, "SELECT count(*) FROM appraisals")[0][0] == before
    status = _rows(site, "SELECT status FROM submissions WHERE id = ?", data["submitted"])
    assert status == [("submitted",)]


def test_points_out_of_range_or_not_a_number_are_refused_at_the_field(site, data, appraiser):
    before = _rows(site, "SELECT count(*) FROM appraisals")[0][0]
    r = _adjust(appraiser, data["submitted"], khoa=MANUAL, gia_tri="1,5", ly_do="Vượt mức")
    assert r.status_code == 422
    assert _field_error(r.text, MANUAL, "gia_tri") == "Điểm phải từ 0 đến 1,11."
    r = _adjust(appraiser, data["submitted"], khoa=MANUAL, gia_tri="1.234,5", ly_do="Sai số")
    assert r.status_code == 422
    assert "không phải là một số" in _field_error(r.text, MANUAL, "gia_tri")
    assert _rows(site, "SELECT count(*) FROM appraisals")[0][0] == before


def test_a_unit_submitter_gets_403_on_the_appraisal_pages(site, data):
    client = _signed_in(site, SUBMITTER)
    try:
        r = client.get(f"/tham-dinh/{data['submitted']}")  # its own unit's record
        assert r.status_code == 403
        assert "Không có quyền" in r.text and "Vai trò của bạn không được thẩm định." in r.text
        assert client.get("/tham-dinh").status_code == 403
        token = CSRF.search(client.get("/").text)[1]
        r = client.post(
            f"/tham-dinh/{data['submitted']}/dieu-chinh",
            data={"khoa": MANUAL, "gia_tri": "1", "ly_do": "x", "csrf_token": token},
        )
        assert r.status_code == 403
    finally:
        client.close()
    assert _rows(site, "SELECT count(*) FROM appraisals WHERE key = ?", MANUAL) == [(0,)]


def test_the_evidence_link_downloads_the_file_for_the_appraiser(site, data, appraiser):
    html = appraiser.get(f"/tham-dinh/{data['submitted']}").text
    link = f"/tham-dinh/{data['submitted']}/tai-lieu/{data['evidence']}"
    assert f'href="{link}"' in html and "Báo cáo CCHC quý 4.pdf" in html
    r = appraiser.get(link)
    assert r.status_code == 200 and r.content == PDF
    assert r.headers["content-type"].startswith("application/pdf")
    assert "filename*=UTF-8''B%C3%A1o%20c%C3%A1o" in r.headers["content-disposition"]
    anonymous = httpx.get(f"{site.url}{link}", headers={"Accept": "text/html"})
    assert anonymous.status_code in (401, 303)


def test_a_draft_opens_read_only_with_a_clear_message(site, data, appraiser):
    r = appraiser.get(f"/tham-dinh/{data['draft']}")
    assert r.status_code == 200
    assert "đơn vị chưa nộp nên chưa thể thẩm định" in r.text
    assert "/dieu-chinh" not in r.text and "Hoàn tất thẩm định</button>" not in r.text
    r = _adjust(appraiser, data["draft"], khoa=MANUAL, gia_tri="1", ly_do="Thử")
    assert r.status_code == 422 and "đơn vị chưa nộp" in r.text
    token = CSRF.search(r.text)[1]
    r = appraiser.post(f"/tham-dinh/{data['draft']}/hoan-tat", data={"csrf_token": token})
    assert r.status_code == 409
    assert _rows(site, "SELECT status FROM submissions WHERE id = ?", data["draft"]) == [("draft",)]


def test_the_queue_groups_by_status_and_filters(site, data, appraiser):
    html = appraiser.get("/tham-dinh").text
    assert (
        '<h2 id="s-submitted">Đã nộp (' in html and f'href="/tham-dinh/{data["submitted"]}"' in html
    )
    assert f'href="/tham-dinh/{data["draft"]}"' not in html  # drafts only when asked for
    html = appraiser.get("/tham-dinh", params={"trang-thai": "draft", "nhom": "daklak-so"}).text
    assert "Đang soạn (1)" in html and f'href="/tham-dinh/{data["draft"]}"' in html
    html = appraiser.get("/tham-dinh", params={"ky": "1999"}).text
    assert "Không có hồ sơ nào phù hợp." in html


def test_an_unknown_submission_is_a_vietnamese_404(site, appraiser):
    r = appraiser.get("/tham-dinh/999999")
    assert r.status_code == 404 and "Không có hồ sơ số 999999." in r.text


def test_finishing_without_a_change_appraises_and_returning_needs_a_reason(site, data, appraiser):
    submission = data["unchanged"]
    token = CSRF.search(appraiser.get(f"/tham-dinh/{submission}").text)[1]
    r = appraiser.post(f"/tham-dinh/{submission}/hoan-tat", data={"csrf_token": token})
    assert r.status_code == 303 and r.headers["location"].endswith("?da-hoan-tat=1")
    assert _rows(site, "SELECT status FROM submissions WHERE id = ?", submission) == [
        ("appraised",)
    ]
    actions = _rows(site, "SELECT action FROM audit_log WHERE entity_id = ?", str(submission))
    assert ("appraisal.finish",) in actions
    assert _rows(site, "SELECT count(*) FROM appraisals WHERE submission_id = ?", submission) == [
        (0,)
    ]
    r = appraiser.post(f"/tham-dinh/{submission}/tra-lai", data={"csrf_token": token, "ly_do": ""})
    assert r.status_code == 400
    assert '<small id="e-tra-lai-ly-do" class="error">Cần ghi lý do trả lại.</small>' in r.text
    assert _rows(site, "SELECT status FROM submissions WHERE id = ?", submission) == [
        ("appraised",)
    ]
    r = appraiser.post(
        f"/tham-dinh/{submission}/tra-lai",
        data={"csrf_token": token, "ly_do": "Thiếu báo cáo quý 4"},
    )
    assert r.status_code == 303
    assert _rows(site, "SELECT status FROM submissions WHERE id = ?", submission) == [("reopened",)]
    [(after,)] = _rows(
        site,
        "SELECT after FROM audit_log WHERE action = 'submission.reopen' AND entity_id = ?",
        str(submission),
    )
    assert json.loads(after)["reason"] == "Thiếu báo cáo quý 4"


def test_htmx_gets_the_row_and_totals_or_the_row_with_its_error(site, data, appraiser):
    submission = data["submitted"]
    token = CSRF.search(appraiser.get(f"/tham-dinh/{submission}").text)[1]
    htmx = {"HX-Request": "true", "X-CSRF-Token": token}
    url = f"/tham-dinh/{submission}/dieu-chinh"
    before = _rows(site, "SELECT count(*) FROM appraisals")[0][0]
    r = appraiser.post(url, data={"khoa": "so_pakn_tiep_nhan", "gia_tri": "abc"}, headers=htmx)
    assert r.status_code == 200  # htmx swaps only 2xx answers
    assert r.text.lstrip().startswith('<tbody id="tc-')
    assert "không phải là một số" in _field_error(r.text, "so_pakn_tiep_nhan", "gia_tri")
    assert 'hx-swap-oob="true"' not in r.text
    assert _rows(site, "SELECT count(*) FROM appraisals")[0][0] == before
    form = {"khoa": "so_pakn_tiep_nhan", "gia_tri": "300", "ly_do": "Theo sổ tiếp nhận"}
    r = appraiser.post(url, data=form, headers=htmx)
    assert r.status_code == 200
    assert 'id="tong-diem" hx-swap-oob="true"' in r.text and "Đã lưu điều chỉnh" in r.text
    stored = _rows(site, "SELECT value, reason FROM appraisals WHERE key = 'so_pakn_tiep_nhan'")
    assert stored == [(300, "Theo sổ tiếp nhận")]
