"""The office endpoints and page links over Litestar's test client: the same roles as the
data they read or write, the documents' media types and Vietnamese file names, problems
naming the cell."""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from docx import Document
from litestar.testing import TestClient
from openpyxl import load_workbook

from server.app import create_app
from server.office.annex import SHEET
from server.services.office import DOCX, XLSX
from server.settings import Settings
from tests.office.conftest import refs
from tests.server.helpers import assert_problem, user_maker

API = "/api/methodologies/par-provincial"


@pytest.fixture(scope="module")
def client(tmp_path_factory, template_store: Path) -> Iterator[TestClient]:
    data = tmp_path_factory.mktemp("office-api") / "var"
    shutil.copytree(template_store, data / "store")
    with TestClient(create_app(Settings(data_dir=str(data), samples=False))) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def headers(client: TestClient) -> dict[str, dict[str, str]]:
    make = user_maker(client)
    return {
        "editor": make("ministry_editor"),
        "province": make("province_editor", province="dak-lak"),
        "auditor": make("auditor"),
    }


def test_anyone_downloads_the_released_annex_in_word_and_excel(client: TestClient):
    r = client.get(f"{API}/annex.docx")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == DOCX
    disposition = r.headers["content-disposition"]
    name = "Phụ lục par-provincial 2022.docx"  # the latest release, for an anonymous reader
    assert f"filename*=UTF-8''{quote(name, safe='')}" in disposition
    assert disposition.startswith('attachment; filename="Phu luc par-provincial 2022.docx"')
    assert len(Document(io.BytesIO(r.content)).tables[0].rows) == 135
    r = client.get(f"{API}/annex.xlsx", params={"ref": "par-provincial/2019"})
    assert r.status_code == 200 and r.headers["content-type"] == XLSX
    assert load_workbook(io.BytesIO(r.content)).sheetnames == [SHEET]


def test_a_draft_and_the_change_list_are_for_signed_in_readers(client: TestClient, headers):
    assert_problem(client.get(f"{API}/annex.docx", params={"ref": "main"}), 401)
    r = client.get(f"{API}/annex.docx", params={"ref": "main"}, headers=headers["auditor"])
    assert r.status_code == 200
    query = {"from": "par-provincial/2019", "to": "par-provincial/2022"}
    assert_problem(client.get(f"{API}/changes.docx", params=query), 401)
    r = client.get(f"{API}/changes.docx", params=query, headers=headers["auditor"])
    assert r.status_code == 200 and r.headers["content-type"] == DOCX
    text = "\n".join(p.text for p in Document(io.BytesIO(r.content)).paragraphs)
    assert "1. Tiêu chí mới (3)" in text and "2. Bãi bỏ" in text
    assert_problem(
        client.get(
            f"{API}/changes.docx", params={**query, "to": "nope"}, headers=headers["auditor"]
        ),
        404,
    )
    assert_problem(client.get(f"{API}/annex.xlsx", params={"ref": "nope"}), 404)


def _upload(client: TestClient, who: dict[str, str], data: bytes, **form: str):
    files = {"file": ("bảng.xlsx", data, XLSX)}
    return client.post(f"{API}/import-table", files=files, data=form, headers=who)


def _retitled(data: bytes) -> bytes:
    workbook = load_workbook(io.BytesIO(data))
    sheet = workbook[SHEET]
    sheet["B9"] = "Ban hành kế hoạch cải cách hành chính năm"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_an_editor_imports_a_table_into_a_draft_branch(client: TestClient, headers):
    store = client.app.state.services.store
    data = _retitled(client.get(f"{API}/annex.xlsx", headers=headers["editor"]).content)
    before = refs(store)
    r = _upload(client, headers["editor"], data, dry_run="true")
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["written"], body["commit"], body["branch"]) == (False, None, None)
    assert [(c["kind"], c["id"]) for c in body["diff"]["changes"]] == [
        ("renamed", "ban-hanh-ke-hoach-cchc")
    ]
    assert refs(store) == before
    r = _upload(client, headers["editor"], data, message="Đổi tên 1.1.1", branch="nhap/api")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["written"] and body["branch"] == "nhap/api"
    assert store.head("nhap/api") == body["commit"] != store.head()


def test_import_takes_the_roles_of_editing(client: TestClient, headers):
    store = client.app.state.services.store
    data = client.get(f"{API}/annex.xlsx").content
    before = refs(store)
    assert_problem(_upload(client, {}, data, message="x"), 401)
    assert_problem(_upload(client, headers["auditor"], data, message="x"), 403)
    assert_problem(_upload(client, headers["province"], data, message="x"), 403)
    assert refs(store) == before


def test_a_bad_table_is_a_problem_naming_the_cell_and_nothing_is_written(
    client: TestClient, headers
):
    store = client.app.state.services.store
    workbook = load_workbook(io.BytesIO(client.get(f"{API}/annex.xlsx").content))
    workbook[SHEET]["C8"] = "ba điểm"
    out = io.BytesIO()
    workbook.save(out)
    before = refs(store)
    body = assert_problem(_upload(client, headers["editor"], out.getvalue(), message="x"), 422)
    assert body["errors"][0]["path"] == f"{SHEET}!C8"
    assert "không phải là một số" in body["errors"][0]["message"]
    body = assert_problem(
        _upload(client, headers["editor"], b"\xd0\xcf\x11\xe0" * 9, message="x"), 415
    )
    assert body["errors"][0]["path"] == "bảng.xlsx"
    r = _upload(client, headers["editor"], b"x", message="x", branch="../main")
    assert assert_problem(r, 400)["errors"][0]["path"] == "$.branch"
    assert refs(store) == before


def test_the_pages_link_the_downloads_for_their_own_session(client: TestClient):
    page = client.get("/bo-chi-so/par-provincial")
    assert page.status_code == 200
    for label, link in (
        ("Tải Phụ lục (Word)", "/bo-chi-so/par-provincial/phu-luc.docx"),
        ("Tải Phụ lục (Excel)", "/bo-chi-so/par-provincial/phu-luc.xlsx"),
    ):
        assert label in page.text and f'href="{link}' in page.text
    r = client.get("/bo-chi-so/par-provincial/phu-luc.xlsx?phien-ban=par-provincial%2F2019")
    assert r.status_code == 200 and r.headers["content-type"] == XLSX
    assert (
        "Ph%E1%BB%A5%20l%E1%BB%A5c%20par-provincial%202019.xlsx" in r.headers["content-disposition"]
    )
