"""The "Tải Excel" and "Tải báo cáo Word" links of the ranking, audit and sensitivity
pages over real HTTP: the links are on the pages, the files are the API's, and only those
who may read the data get them."""

from __future__ import annotations

import io
import re
from html import unescape

import httpx
import pytest
from docx import Document
from openpyxl import load_workbook

from server.office import DOCX, XLSX
from tests.server.helpers import (
    PERIOD,
    add_units,
    appraise_as_sample,
    audit_body,
    post_submission,
    sensitivity_body,
)
from tests.web.helpers import PASSWORD, add_person

UNITS = ["so-noi-vu", "so-tu-phap", "so-y-te"]
PROVINCES = ["an-giang", "bac-giang"]
LINK = re.compile(r'<a href="([^"]+)" download>(Tải Excel|Tải báo cáo Word)</a>')


def signed_in(site, name: str) -> httpx.Client:
    client = httpx.Client(base_url=site.url, headers={"Accept": "text/html"}, timeout=120)
    form = client.get("/dang-nhap").text
    token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', form)[1]
    r = client.post("/dang-nhap", data={"ten": name, "mat_khau": PASSWORD, "csrf_token": token})
    assert r.status_code == 303, r.text
    return client


@pytest.fixture(scope="module")
def data(site) -> dict[str, int]:
    admin = site.admin_headers()
    with httpx.Client(base_url=site.url, timeout=120) as api:
        add_units(api, admin, only=set(UNITS))
        for unit in UNITS:
            submitted = post_submission(api, admin, unit)
            appraise_as_sample(api, admin, submitted["id"], unit)
        audit = api.post("/api/audits", json=audit_body(PROVINCES), headers=admin)
        assert audit.status_code == 201, audit.text
        runs = api.post(
            "/api/sensitivity",
            json=sensitivity_body(PROVINCES, replications=20),
            headers=admin,
        )
        assert runs.status_code == 201, runs.text
    add_person(site, "kiem-tra-tai-ve", "auditor")
    add_person(site, "can-bo-tai-ve", "unit_submitter", unit="so-noi-vu")
    return {"audit": audit.json()["id"], "sensitivity": runs.json()["id"]}


def _links(html: str) -> dict[str, str]:
    return {label: unescape(href) for href, label in LINK.findall(html)}


@pytest.mark.slow  # a real server
def test_the_ranking_page_links_its_excel_and_word_files(site, data):
    auditor = signed_in(site, "kiem-tra-tai-ve")
    links = _links(auditor.get(f"/ket-qua/daklak-so/{PERIOD}").text)
    assert links == {
        "Tải Excel": f"/ket-qua/daklak-so/{PERIOD}/tai-ve/bao-cao.xlsx",
        "Tải báo cáo Word": f"/ket-qua/daklak-so/{PERIOD}/tai-ve/bao-cao.docx",
    }
    r = auditor.get(links["Tải Excel"])
    assert r.status_code == 200 and r.headers["content-type"].startswith(XLSX)
    assert "filename*=UTF-8''X%E1%BA%BFp%20h%E1%BA%A1ng" in r.headers["content-disposition"]
    rows = list(load_workbook(io.BytesIO(r.content))["Xếp hạng"].iter_rows(min_row=5))
    assert sorted(row[1].value for row in rows) == sorted(UNITS)
    r = auditor.get(links["Tải báo cáo Word"])
    assert r.status_code == 200 and r.headers["content-type"].startswith(DOCX)
    assert len(Document(io.BytesIO(r.content)).inline_shapes) == 1
    assert auditor.get(f"/ket-qua/daklak-so/{PERIOD}/tai-ve/bao-cao.pdf").status_code == 404
    # Rankings are not for a unit's submitter, nor for someone not signed in.
    submitter = signed_in(site, "can-bo-tai-ve")
    assert submitter.get(links["Tải Excel"]).status_code == 403
    anonymous = httpx.get(f"{site.url}{links['Tải Excel']}", headers={"Accept": "text/html"})
    assert anonymous.status_code in (401, 303)


@pytest.mark.slow  # a real server
def test_the_audit_and_sensitivity_pages_link_their_files(site, data):
    auditor = signed_in(site, "kiem-tra-tai-ve")
    submitter = signed_in(site, "can-bo-tai-ve")
    for kind, path in (("audit", "so-sanh"), ("sensitivity", "do-nhay")):
        page = f"/kiem-tra/{path}/{data[kind]}"
        links = _links(auditor.get(page).text)
        assert links == {
            "Tải Excel": f"{page}/tai-ve/bao-cao.xlsx",
            "Tải báo cáo Word": f"{page}/tai-ve/bao-cao.docx",
        }
        r = auditor.get(links["Tải Excel"])
        assert r.status_code == 200 and r.headers["content-type"].startswith(XLSX)
        load_workbook(io.BytesIO(r.content))
        r = auditor.get(links["Tải báo cáo Word"])
        assert r.status_code == 200 and r.headers["content-type"].startswith(DOCX)
        images = len(Document(io.BytesIO(r.content)).inline_shapes)
        assert images == (2 if kind == "audit" else 1)
        assert submitter.get(links["Tải Excel"]).status_code == 403
