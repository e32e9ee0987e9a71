"""`…/report.xlsx` and `…/report.docx` over HTTP (Litestar's test client, a real store and
SQLite): the files, their content types and Vietnamese names, and the roles that may
download them — the same as may read the JSON they are made from."""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import yaml
from docx import Document
from litestar.testing import TestClient
from openpyxl import load_workbook

from server.app import create_app
from server.db import migrate
from server.office import DOCX, XLSX
from server.services.samples import load_samples
from server.settings import Settings
from tests.server.helpers import BUNDLED, QUERY, audit_body, sensitivity_body, user_maker

UNITS = ["an-giang", "bac-giang", "ha-noi"]


@pytest.fixture(scope="module")
def client(tmp_path_factory, template_store: Path) -> Iterator[TestClient]:
    """An app over SQLite holding Đắk Lắk's 18 departments' 2023 samples, one audit and
    one sensitivity run."""
    root = tmp_path_factory.mktemp("samples")
    plan = yaml.safe_load((BUNDLED / "samples.yaml").read_text(encoding="utf-8"))
    plan["sets"] = [s for s in plan["sets"] if s["cohort"] == "daklak-so"]
    (root / "samples.yaml").write_text(yaml.safe_dump(plan), encoding="utf-8")
    (root / "cohorts").symlink_to(BUNDLED / "cohorts", target_is_directory=True)
    (root / "submissions").symlink_to(BUNDLED / "submissions", target_is_directory=True)
    data = tmp_path_factory.mktemp("var")
    shutil.copytree(template_store, data / "store")
    url = f"sqlite:///{data / 'parindex.db'}"
    migrate(url)
    settings = Settings(data_dir=str(data), database_url=url, samples=False)
    with TestClient(create_app(settings)) as test_client:
        load_samples(test_client.app.state.services, root=root)
        yield test_client


@pytest.fixture(scope="module")
def users(client) -> dict[str, dict[str, str]]:
    make = user_maker(client)
    return {
        "auditor": make("auditor"),
        "appraiser": make("appraiser"),
        "admin": make("admin"),
        "own": make("unit_submitter", unit_id="so-noi-vu"),
        "other": make("unit_submitter", unit_id="so-y-te"),
    }


@pytest.fixture(scope="module")
def analyses(client, users) -> dict[str, int]:
    r = client.post("/api/audits", json=audit_body(UNITS), headers=users["auditor"])
    assert r.status_code == 201, r.text
    s = client.post(
        "/api/sensitivity",
        json=sensitivity_body(UNITS, replications=30),
        headers=users["auditor"],
    )
    assert s.status_code == 201, s.text
    return {"audit": r.json()["id"], "sensitivity": s.json()["id"]}


def _file(r: Any, media_type: str, name: str) -> bytes:
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith(media_type)
    disposition = r.headers["content-disposition"]
    assert disposition.startswith("attachment; filename=")
    assert f"filename*=UTF-8''{quote(name, safe='')}" in disposition
    assert r.headers["x-content-type-options"] == "nosniff"
    return r.content


def test_a_ranking_downloads_as_excel_and_word_for_those_who_read_rankings(client, users):
    ranked = client.get("/api/rankings", params=QUERY, headers=users["auditor"]).json()
    r = client.get("/api/rankings/report.xlsx", params=QUERY, headers=users["auditor"])
    name = "Xếp hạng daklak-so năm 2023"  # a cohort is named by its id unless renamed
    data = _file(r, XLSX, f"{name}.xlsx")
    sheet = load_workbook(io.BytesIO(data))["Xếp hạng"]
    assert sheet["A1"].value == name
    rows = list(sheet.iter_rows(min_row=5, values_only=True))
    assert [(row[1], row[0]) for row in rows] == [(u["unit"], u["rank"]) for u in ranked["units"]]
    assert len(rows) == 18 and sum(1 for row in rows if row[0] is None) == 2  # not ranked

    r = client.get("/api/rankings/report.docx", params=QUERY, headers=users["appraiser"])
    doc = Document(io.BytesIO(_file(r, DOCX, "Báo cáo xếp hạng daklak-so năm 2023.docx")))
    assert len(doc.inline_shapes) == 1 and len(doc.tables[1].rows) == 1 + 18

    for who, status in (("own", 403), (None, 401)):
        headers = users[who] if who else {}
        r = client.get("/api/rankings/report.xlsx", params=QUERY, headers=headers)
        assert r.status_code == status
        assert r.headers["content-type"].startswith("application/problem+json")
    r = client.get("/api/rankings/report.xlsx", params={"period": "2023"}, headers=users["admin"])
    assert r.status_code == 400 and "$.query.cohort" in r.text


def test_a_stored_evaluation_downloads_for_whoever_may_read_it(client, users):
    ranked = client.get("/api/rankings", params=QUERY, headers=users["auditor"]).json()
    submission = ranked["submissions"]["so-noi-vu"]
    r = client.post("/api/evaluations", json={"submissions": [submission]}, headers=users["own"])
    assert r.status_code == 201, r.text
    (evaluation,) = r.json()
    path = f"/api/evaluations/{evaluation['id']}/report"
    r = client.get(f"{path}.xlsx", headers=users["own"])
    name = f"Kết quả đánh giá {evaluation['result']['unit_name']} kỳ 2023"
    book = load_workbook(io.BytesIO(_file(r, XLSX, f"{name}.xlsx")))
    assert book.sheetnames == ["Kết quả", "Điểm tiêu chí", "Thông tin"]
    row = [c.value for c in book["Kết quả"][5]]
    assert row[0] == "so-noi-vu" and row[2].startswith("=ROUND(SUM(")
    r = client.get(f"{path}.docx", headers=users["auditor"])
    doc = Document(
        io.BytesIO(
            _file(
                r,
                DOCX,
                f"Báo cáo kết quả đánh giá {evaluation['result']['unit_name']} kỳ 2023.docx",
            )
        )
    )
    assert len(doc.tables[1].rows) == 2
    assert client.get(f"{path}.xlsx", headers=users["other"]).status_code == 403
    assert client.get(f"{path}.docx", headers={}).status_code == 401
    r = client.get("/api/evaluations/999999/report.xlsx", headers=users["admin"])
    assert r.status_code == 404


def test_audits_and_sensitivity_runs_download_with_their_charts(client, users, analyses):
    audit = analyses["audit"]
    r = client.get(f"/api/audits/{audit}/report.xlsx", headers=users["appraiser"])
    book = load_workbook(
        io.BytesIO(_file(r, XLSX, f"So sánh hai phiên bản bộ chỉ số số {audit}.xlsx"))
    )
    assert book.sheetnames[:3] == ["Theo đơn vị", "Phân bổ", "Theo nguyên nhân"]
    assert book["Theo đơn vị"].max_row == 1 + len(UNITS)
    assert str(book["Theo đơn vị"]["G2"].value).startswith("=ROUND(SUMIFS('Phân bổ'!")
    r = client.get(f"/api/audits/{audit}/report.docx", headers=users["auditor"])
    doc = Document(
        io.BytesIO(_file(r, DOCX, f"Báo cáo so sánh hai phiên bản bộ chỉ số số {audit}.docx"))
    )
    assert len(doc.inline_shapes) == 2  # slope and waterfall

    run = analyses["sensitivity"]
    r = client.get(f"/api/sensitivity/{run}/report.xlsx", headers=users["auditor"])
    book = load_workbook(io.BytesIO(_file(r, XLSX, f"Độ nhạy của thứ hạng số {run}.xlsx")))
    assert book.sheetnames == ["Thứ hạng", "Yếu tố ảnh hưởng", "Thông số"]
    assert book["Thông số"]["B3"].value == 30  # replications
    r = client.get(f"/api/sensitivity/{run}/report.docx", headers=users["auditor"])
    doc = Document(io.BytesIO(_file(r, DOCX, f"Báo cáo độ nhạy của thứ hạng số {run}.docx")))
    assert len(doc.inline_shapes) == 1

    for path in (f"/api/audits/{audit}/report.docx", f"/api/sensitivity/{run}/report.xlsx"):
        assert client.get(path, headers=users["own"]).status_code == 403
    assert (
        client.get(f"/api/audits/{run + 100}/report.xlsx", headers=users["auditor"]).status_code
        == 404
    )
    # An audit's id is not a sensitivity run's.
    assert (
        client.get(f"/api/sensitivity/{audit}/report.xlsx", headers=users["auditor"]).status_code
        == 404
    )


def test_a_period_no_document_can_hold_is_a_400_at_its_parameter(client, users):
    """Control characters cannot go into a workbook or a Word document (found by
    schemathesis as a 500); every period parameter and body refuses them alike."""
    for path in ("/api/rankings/report.docx", "/api/rankings/report.xlsx", "/api/rankings"):
        r = client.get(path, params={**QUERY, "period": "\x9e\x1d"}, headers=users["auditor"])
        assert r.status_code == 400, (path, r.text)
        assert r.json()["errors"][0]["path"] == "$.query.period"
