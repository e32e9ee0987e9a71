"""Importing a criteria table from the editing pages (a real server, a signed-in page
session): the changes shown, a draft branch written, a bad cell named and nothing written."""

from __future__ import annotations

import io
import subprocess

import pytest
from openpyxl import load_workbook

from server.office.annex import SHEET
from tests.web.helpers import add_person
from tests.web.test_editing import csrf, signed_in

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def refs(site) -> str:
    return subprocess.run(
        ["git", "--git-dir", str(site.store), "for-each-ref"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


@pytest.fixture(scope="module")
def editor(site) -> str:
    add_person(site, "Trần Thị Nhập", "ministry_editor")
    add_person(site, "Lê Kiểm Tra", "auditor")
    return "Trần Thị Nhập"


def _workbook(client, cell: str, value: object) -> bytes:
    exported = client.get("/bo-chi-so/par-provincial/phu-luc.xlsx")
    assert exported.status_code == 200 and exported.headers["content-type"] == XLSX
    workbook = load_workbook(io.BytesIO(exported.content))
    workbook[SHEET][cell] = value
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@pytest.mark.slow  # a real server
def test_an_editor_imports_a_table_from_the_editing_page(site, editor):
    with signed_in(site, editor) as client:
        index = client.get("/bien-tap/par-provincial")
        assert 'href="/bien-tap/par-provincial/nhap-bang"' in index.text
        _, token = csrf(client, "/bien-tap/par-provincial/nhap-bang")
        data = _workbook(client, "B9", "Ban hành kế hoạch cải cách hành chính năm")
        before = refs(site)
        files = {"tep": ("bảng.xlsx", data, XLSX)}
        shown = client.post(
            "/bien-tap/par-provincial/nhap-bang",
            files=files,
            data={"csrf_token": token, "chi_xem": "1", "thong_diep": ""},
        )
        assert shown.status_code == 200, shown.text
        assert "Đổi tên (1)" in shown.text and "Chỉ xem: chưa ghi gì." in shown.text
        assert refs(site) == before
        written = client.post(
            "/bien-tap/par-provincial/nhap-bang",
            files=files,
            data={"csrf_token": token, "thong_diep": "Đổi tên 1.1.1 từ Phụ lục"},
        )
        assert written.status_code == 200, written.text
        assert "trên nhánh nháp <code>nhap/par-provincial-" in written.text
        assert refs(site) != before and "refs/heads/nhap/par-provincial-" in refs(site)


@pytest.mark.slow  # a real server
def test_a_bad_cell_is_named_on_the_page_and_a_reader_may_not_import(site, editor):
    with signed_in(site, editor) as client:
        _, token = csrf(client, "/bien-tap/par-provincial/nhap-bang")
        before = refs(site)
        bad = client.post(
            "/bien-tap/par-provincial/nhap-bang",
            files={"tep": ("bảng.xlsx", _workbook(client, "C9", "một"), XLSX)},
            data={"csrf_token": token, "thong_diep": "x"},
        )
        assert bad.status_code == 422
        assert f"{SHEET}!C9: &#39;một&#39; không phải là một số" in bad.text
        assert refs(site) == before
    with signed_in(site, "Lê Kiểm Tra") as client:
        assert client.get("/bien-tap/par-provincial/nhap-bang").status_code == 403
