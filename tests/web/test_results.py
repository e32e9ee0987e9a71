"""The results pages over real HTTP, without a browser: the ranking equals the API's,
in Vietnamese numbers and collation; who may see results and analyses; 404s."""

from __future__ import annotations

import re
import sqlite3
import time
from html import unescape

import httpx
import pytest

from evaluators import vietnamese_key
from tests.server.helpers import (
    FROM,
    METHODOLOGY,
    PERIOD,
    REF,
    TO,
    add_units,
    appraise_as_sample,
    post_submission,
    survey_scores,
)
from tests.web.helpers import PASSWORD, add_person

UNITS = ["so-noi-vu", "so-tu-phap", "so-y-te", "thanh-tra-tinh"]
ROW = re.compile(
    r'<tr(?: class="unranked")?>\s*<td class="num">(\S+)</td>\s*<th scope="row"><a href="[^"]+/([a-z0-9-]+)">'
)


def signed_in(site, name: str) -> httpx.Client:
    """A client holding a signed-in session, made through the sign-in form."""
    client = httpx.Client(base_url=site.url, headers={"Accept": "text/html"})
    form = client.get("/dang-nhap").text
    token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', form)[1]
    r = client.post("/dang-nhap", data={"ten": name, "mat_khau": PASSWORD, "csrf_token": token})
    assert r.status_code == 303, r.text
    return client


@pytest.fixture(scope="module")
def cohort(site):
    """Four of Đắk Lắk's departments with their 2023 samples submitted and appraised as the samples say, their survey scores imported;
    an auditor and a submitter of one of them."""
    api = httpx.Client(base_url=site.url, timeout=60)
    admin = site.admin_headers()
    add_units(api, admin, only=set(UNITS))
    for unit in UNITS:
        submitted = post_submission(api, admin, unit)
        appraise_as_sample(api, admin, submitted["id"], unit)
    add_person(site, "kiem-tra-ket-qua", "auditor")
    add_person(site, "can-bo-noi-vu", "unit_submitter", unit="so-noi-vu")
    survey = {
        "methodology": METHODOLOGY,
        "ref": REF,
        "period": PERIOD,
        "scores": survey_scores(UNITS),
    }
    r = api.post("/api/surveys", json=survey, headers=admin)
    assert r.status_code == 201, r.text
    return {"api": api, "admin": admin}


def ranking_rows(html: str) -> list[tuple[str, str]]:
    return [(rank, unit) for rank, unit in ROW.findall(html)]


def test_the_ranking_page_shows_the_apis_ranking_with_decimal_commas(site, cohort):
    api = (
        cohort["api"]
        .get(
            "/api/rankings",
            params={"cohort": "daklak-so", "period": PERIOD},
            headers=cohort["admin"],
        )
        .json()
    )
    page = signed_in(site, "kiem-tra-ket-qua").get(f"/ket-qua/daklak-so/{PERIOD}")
    assert page.status_code == 200, page.text
    html = unescape(page.text)
    rows = ranking_rows(page.text)
    assert [unit for _, unit in rows] == [u["unit"] for u in api["units"]]
    assert [rank for rank, _ in rows] == [
        str(u["rank"]) if u["rank"] else "—" for u in api["units"]
    ]
    for u in api["units"]:
        index = f"{u['index']:.2f}".replace(".", ",")
        assert f'<td class="num">{index}</td>' in html, (u["unit"], index)
        for field in u["fields"].values():
            assert f"{field['points']:.2f}".replace(".", ",") in html
    assert re.search(r"\d,\d\d</td>", html) and not re.search(r">\d+\.\d\d</td>", html)


def test_sorting_by_name_is_vietnamese_and_by_a_field_is_by_its_points(site, cohort):
    client = signed_in(site, "kiem-tra-ket-qua")
    html = client.get(f"/ket-qua/daklak-so/{PERIOD}", params={"sap-xep": "ten"}).text
    names = re.findall(r'<th scope="row"><a href="[^"]+">([^<]+)</a>', unescape(html))
    assert names == sorted(names, key=vietnamese_key) and len(names) == len(UNITS)
    assert 'aria-sort="ascending"' in html
    api = (
        cohort["api"]
        .get(
            "/api/rankings",
            params={"cohort": "daklak-so", "period": PERIOD},
            headers=cohort["admin"],
        )
        .json()
    )
    field = next(iter(api["units"][0]["fields"]))
    html = client.get(f"/ket-qua/daklak-so/{PERIOD}", params={"sap-xep": f"-{field}"}).text
    order = [unit for _, unit in ranking_rows(html)]
    points = {u["unit"]: u["fields"][field]["points"] for u in api["units"]}
    assert [points[u] for u in order] == sorted(points.values(), reverse=True)
    assert 'aria-sort="descending"' in html
    # the header links back the other way, without JavaScript
    assert f'href="?sap-xep={field}"' in html


def test_a_units_tree_shows_the_rule_that_fired_and_its_values(site, cohort):
    html = unescape(
        signed_in(site, "kiem-tra-ket-qua").get(f"/ket-qua/daklak-so/{PERIOD}/so-noi-vu").text
    )
    assert "Sở Nội vụ" in html
    fired = re.findall(
        r'<li class="fired"><span class="fired-mark">✔ được áp dụng:</span> ([^<]+)</li>', html
    )
    assert fired, "no rule marked as fired"
    assert any("điểm" in line for line in fired)
    assert re.search(r"<ul class=\"values\">\s*<li>[^<]+: <strong>", html)


def test_the_cohorts_page_links_each_period(site, cohort):
    html = signed_in(site, "kiem-tra-ket-qua").get("/ket-qua").text
    assert f'href="/ket-qua/daklak-so/{PERIOD}"' in html


def test_an_unknown_cohort_is_a_vietnamese_404(site, cohort):
    r = signed_in(site, "kiem-tra-ket-qua").get(f"/ket-qua/khong-co/{PERIOD}")
    assert r.status_code == 404
    assert "Không có nhóm đơn vị 'khong-co'" in unescape(r.text)
    r = signed_in(site, "kiem-tra-ket-qua").get(f"/ket-qua/daklak-so/{PERIOD}/khong-co")
    assert r.status_code == 404
    assert "Nhóm đơn vị 'daklak-so' không có đơn vị 'khong-co'" in unescape(r.text)


def test_a_submitter_may_not_see_rankings_or_analyses(site, cohort):
    client = signed_in(site, "can-bo-noi-vu")
    for path in (
        "/kiem-tra",
        f"/ket-qua/daklak-so/{PERIOD}",  # not published: for the council and auditors
        f"/ket-qua/daklak-so/{PERIOD}/so-tu-phap",  # another unit's result
    ):
        r = client.get(path)
        assert r.status_code == 403, path
        assert "Không có quyền" in r.text
    token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', client.get("/").text)[1]
    form = {"tu": FROM, "den": TO, "nhom": "daklak-so", "ky": PERIOD, "csrf_token": token}
    r = client.post("/kiem-tra/so-sanh", data=form)
    assert r.status_code == 403 and "Không có quyền" in r.text
    with sqlite3.connect(site.data_dir / "parindex.db") as db:
        assert db.execute("select count(*) from analyses").fetchone() == (0,)
    assert "Kiểm tra" not in re.search(r"<nav.*?</nav>", client.get("/").text, re.S)[0]


def test_signed_out_visitors_are_asked_to_sign_in(site):
    r = httpx.get(f"{site.url}/ket-qua/daklak-so/{PERIOD}", headers={"Accept": "text/html"})
    assert r.status_code == 303
    assert r.headers["location"].startswith("/dang-nhap?tiep=")


def test_the_results_page_lists_only_published_results_to_those_who_may_not_read_others(
    site, cohort
):
    """Nothing is published here: anyone sees the published list (empty); only those who
    read unpublished rankings see every cohort and period, marked "Chưa công bố"."""
    for client in (
        httpx.Client(base_url=site.url, headers={"Accept": "text/html"}),
        signed_in(site, "can-bo-noi-vu"),
    ):
        r = client.get("/ket-qua")
        assert r.status_code == 200
        assert "Chưa có kết quả nào được công bố." in r.text
        assert f'href="/ket-qua/daklak-so/{PERIOD}"' not in r.text
    html = signed_in(site, "kiem-tra-ket-qua").get("/ket-qua").text
    assert re.search(
        rf'href="/ket-qua/daklak-so/{PERIOD}">Năm {PERIOD}</a> <span class="badge warn">Chưa công bố',
        html,
    )
    live = signed_in(site, "kiem-tra-ket-qua").get(f"/ket-qua/daklak-so/{PERIOD}").text
    assert '<p class="notice warn unpublished" role="note"><strong>Chưa công bố.</strong>' in live
    assert "Công bố kết quả" not in live  # an auditor does not publish


def test_a_submitter_sees_their_own_units_tree(site, cohort):
    r = signed_in(site, "can-bo-noi-vu").get(f"/ket-qua/daklak-so/{PERIOD}/so-noi-vu")
    assert r.status_code == 200 and "Sở Nội vụ" in r.text and 'class="fired"' in r.text


def analyses_count(site) -> int:
    with sqlite3.connect(site.data_dir / "parindex.db") as db:
        return db.execute("select count(*) from analyses").fetchone()[0]


def test_the_audit_forms_say_what_is_wrong_at_the_field_and_run_nothing(site, cohort):
    client = signed_in(site, "kiem-tra-ket-qua")
    token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', client.get("/kiem-tra").text)[1]
    r = client.post(
        "/kiem-tra/so-sanh",
        data={"tu": FROM, "den": "", "nhom": "daklak-so", "ky": "", "csrf_token": token},
    )
    assert r.status_code == 422
    html = unescape(r.text)
    assert '<p class="error" id="den-loi">Hãy chọn hoặc nhập giá trị này.</p>' in html
    assert '<p class="error" id="ky-loi">' in html and 'id="tu-loi"' not in html
    assert f'<option value="{FROM}" selected>' in html  # what was chosen stays chosen
    form = {
        "phien_ban": TO,
        "nhom": "provinces",
        "ky": "2022",
        "so_lan": "2,5",
        "bien_do": "0,2",
        "hat_giong": "abc",
        "csrf_token": token,
    }
    r = client.post("/kiem-tra/do-nhay", data=form)
    html = unescape(r.text)
    assert r.status_code == 422
    assert '<p class="error" id="hat_giong-loi">' in html and "'abc' không phải là một số" in html
    assert '<p class="error" id="so_lan-loi">Hãy nhập một số nguyên.</p>' in html
    assert 'id="bien_do-loi"' not in html  # 0,2 with a comma is a number
    assert analyses_count(site) == 0


def test_a_run_that_fails_says_why_in_vietnamese(site, cohort):
    client = signed_in(site, "kiem-tra-ket-qua")
    token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', client.get("/kiem-tra").text)[1]
    form = {"tu": FROM, "den": TO, "nhom": "daklak-so", "ky": "1999", "csrf_token": token}
    r = client.post("/kiem-tra/so-sanh", data=form)
    assert r.status_code == 303 and r.headers["location"].startswith("/kiem-tra/viec/")
    for _ in range(120):
        html = unescape(client.get(r.headers["location"]).text)
        if "Không chạy được" in html:
            break
        time.sleep(0.5)
    assert (
        "Nhóm đơn vị 'daklak-so' chưa có hồ sơ đã nộp theo bộ chỉ số par-provincial cho kỳ 1999."
        in html
    )
    assert analyses_count(site) == 0


def test_unknown_analyses_and_runs_are_vietnamese_404s(site, cohort):
    client = signed_in(site, "kiem-tra-ket-qua")
    r = client.get("/kiem-tra/so-sanh/999")
    assert r.status_code == 404 and "Không có phân tích số 999." in r.text
    r = client.get("/kiem-tra/viec/khong-co")
    assert r.status_code == 404 and "Không tìm thấy lần chạy này" in unescape(r.text)


PROGRESS = re.compile(r'<progress id="tien-do" max="100" value="(\d+)">(\d+) %</progress>')


def test_a_runs_page_shows_a_percentage_that_grows_with_and_without_javascript(site, cohort):
    """The job page without JavaScript refreshes itself (a meta refresh in <noscript>)
    and shows a <progress> with its percentage; htmx's polls of the same page see the
    percentage only grow until they are sent to the stored result."""
    client = signed_in(site, "kiem-tra-ket-qua")
    token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', client.get("/kiem-tra").text)[1]
    form = {
        "phien_ban": f"{METHODOLOGY}@{REF}",
        "nhom": "daklak-so",
        "ky": PERIOD,
        "so_lan": "100000",
        "bien_do": "0,3",
        "hat_giong": "1",
        "csrf_token": token,
    }
    r = client.post("/kiem-tra/do-nhay", data=form)
    assert r.status_code == 303, r.text
    job_url = r.headers["location"]
    first = unescape(client.get(job_url).text)
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in first
    shown = PROGRESS.search(first)
    assert shown and shown[1] == shown[2] and 0 <= int(shown[1]) < 100
    assert f'<a href="{job_url}">Tải lại</a>' in first
    percents = [int(shown[1])]
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        r = client.get(job_url, headers={"HX-Request": "true"})
        if "HX-Redirect" in r.headers:
            break
        part = unescape(r.text)
        assert "<noscript>" not in part and "Đã chạy" in part
        percents.append(int(PROGRESS.search(part)[1]))
        time.sleep(0.1)
    assert re.fullmatch(r"/kiem-tra/do-nhay/\d+", r.headers["HX-Redirect"])
    assert percents == sorted(percents) and len(set(percents)) >= 2, percents


def test_a_unit_not_ranked_this_period_is_listed_with_its_reason(site, cohort):
    entry = {
        "cohort": "daklak-so",
        "period": PERIOD,
        "unit": "so-y-te",
        "reason": "Đang sắp xếp, tổ chức lại (thử)",
    }
    r = cohort["api"].post("/api/not-ranked", json=entry, headers=cohort["admin"])
    assert r.status_code == 201, r.text
    html = unescape(signed_in(site, "kiem-tra-ket-qua").get(f"/ket-qua/daklak-so/{PERIOD}").text)
    row = re.search(
        r'<tr class="unranked">\s*<td class="num">—</td>\s*<th scope="row"><a href="[^"]+/so-y-te">.*?</th>',
        html,
        re.S,
    )
    assert row and "Đang sắp xếp, tổ chức lại (thử)" in row[0]


def test_a_units_page_shows_what_it_became(site, cohort):
    api, admin = cohort["api"], cohort["admin"]
    unit = {"id": "so-y-te-2025", "name": "Sở Y tế (mới)", "level": "sở", "province": "dak-lak"}
    assert api.post("/api/units", json=unit, headers=admin).status_code == 201
    event = {
        "kind": "rename",
        "effective": "01/03/2025",
        "basis": "Quyết định thử",
        "predecessors": ["so-y-te"],
        "successors": ["so-y-te-2025"],
    }
    r = api.post("/api/successions", json=event, headers=admin)
    assert r.status_code == 201, r.text
    html = unescape(
        signed_in(site, "kiem-tra-ket-qua").get(f"/ket-qua/daklak-so/{PERIOD}/so-y-te").text
    )
    later = re.search(r'<li class="later">(.*?)</li>', html, re.S)
    assert later, "no lineage on the unit's page"
    assert "01/03/2025" in later[1] and "đổi tên đơn vị" in later[1] and "so-y-te-2025" in later[1]
    assert "Quyết định thử" in later[1]
