"""The forms over the API (a real app, store and SQLite): download, import as a draft with
the roles of creating a submission, every bad file or cell refused by name with nothing
written, a form for another version, unit or period refused, and the imported draft
evaluated to the same result hash as the same values in YAML."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

import pytest
from litestar.testing import TestClient
from openpyxl import Workbook

from evaluators import CompiledEngine, build_program, parse_submission, score
from methodology import Spec, Store, open_methodology
from server.app import create_app
from server.db import migrate
from server.models import AuditEntry, Submission
from server.office import FORM_SHEET
from server.settings import Settings
from tests.office.form_helpers import change, fill, row_of
from tests.server.helpers import (
    METHODOLOGY,
    PERIOD,
    REF,
    add_units,
    assert_problem,
    count,
    sample,
    user_maker,
)

UNIT, OTHER = "so-noi-vu", "so-tu-phap"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RATIO = "input:ty_le_hoan_thanh_ke_hoach_cchc"


@pytest.fixture(scope="module")
def client(tmp_path_factory, template_store: Path) -> Iterator[TestClient]:
    data = tmp_path_factory.mktemp("forms") / "var"
    shutil.copytree(template_store, data / "store")
    url = f"sqlite:///{data / 'parindex.db'}"
    migrate(url)
    settings = Settings(data_dir=str(data), database_url=url, samples=False)
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def people(client) -> dict[str, dict[str, str]]:
    make = user_maker(client)
    admin = make("admin")
    add_units(client, admin, only={UNIT, OTHER})
    return {
        "admin": admin,
        "submitter": make("unit_submitter", unit_id=UNIT),
        "other": make("unit_submitter", unit_id=OTHER),
        "auditor": make("auditor"),
        "appraiser": make("appraiser"),
    }


@pytest.fixture(scope="module")
def blank(client, people) -> bytes:
    r = client.get(f"/api/forms/{METHODOLOGY}", params={"unit": UNIT, "period": PERIOD, "ref": REF})
    assert r.status_code == 200, r.text
    return r.content


@pytest.fixture(scope="module")
def filled(blank) -> bytes:
    """The sample typed in, with the documents it names as evidence (numbered here), so
    the nodes that require evidence have it."""
    data = sample(UNIT)
    documents = {
        node: [
            {"number": f"{i + 1}/BC-SNV", "date": "2023-12-15", "title": d["title"]}
            for i, d in enumerate(entries)
        ]
        for node, entries in (data.get("evidence") or {}).items()
    }
    return fill(blank, data, documents=documents)


def _written(client) -> tuple[int, int]:
    return count(client, Submission), count(client, AuditEntry)


def _post(client, headers, data: bytes, name: str = "biểu-mẫu.xlsx"):
    return client.post(
        "/api/forms",
        content=data,
        params={"filename": name},
        headers={**headers, "Content-Type": XLSX},
    )


def test_the_download_is_an_xlsx_with_a_vietnamese_name(client, blank):
    r = client.get(f"/api/forms/{METHODOLOGY}", params={"unit": UNIT, "period": PERIOD, "ref": REF})
    assert r.headers["content-type"].startswith(XLSX)
    disposition = r.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    encoded = disposition.split("filename*=UTF-8''")[1]
    assert unquote(encoded) == f"biểu-mẫu-tự-đánh-giá_{UNIT}_{PERIOD}_{METHODOLOGY}.xlsx"
    assert blank[:2] == b"PK" and "Sở Nội vụ" in _cell(blank, "C3")


def _cell(data: bytes, coordinate: str) -> str:
    from openpyxl import load_workbook

    return str(load_workbook(io.BytesIO(data))[FORM_SHEET][coordinate].value)


def test_a_blank_form_for_an_unknown_unit_or_version_is_refused(client, people):
    r = client.get(f"/api/forms/{METHODOLOGY}", params={"unit": "khong-co", "period": PERIOD})
    assert assert_problem(r, 422)["errors"][0]["path"] == "$.query.unit"
    r = client.get("/api/forms/khong-co", params={"unit": UNIT, "period": PERIOD})
    assert r.status_code in (404, 422), r.text


def test_a_blank_form_for_a_period_no_cell_can_hold_is_refused(client, people):
    """Control characters cannot go into a workbook: found by schemathesis as a 500."""
    # A final newline passes the parameter's pattern (`$` matches before it): the service
    # refuses it (422).
    for period, status in (("\x19;", {400}), ("2023\n", {400, 422}), ("x" * 21, {400})):
        r = client.get(f"/api/forms/{METHODOLOGY}", params={"unit": UNIT, "period": period})
        assert r.status_code in status, (period, r.text)
        assert r.json()["errors"][0]["path"] == "$.query.period"


def test_only_the_units_submitter_may_import_and_nothing_is_written(client, people, filled):
    before = _written(client)
    assert_problem(_post(client, {}, filled), 401)
    for who in ("other", "auditor", "appraiser"):
        assert_problem(_post(client, people[who], filled), 403)
    assert _written(client) == before


def test_bad_cells_are_named_and_nothing_is_written(client, people, filled):
    ratio = row_of(filled, RATIO)
    count_row = row_of(filled, "input:so_sang_kien_cchc")
    enum_row = row_of(filled, "input:thoi_han_ban_hanh_ke_hoach_cchc")
    claim = row_of(filled, next(iter(sample(UNIT)["not_applicable"])))  # a claim it makes

    def wrong(wb: Workbook) -> None:
        ws = wb[FORM_SHEET]
        ws[f"G{ratio}"] = 1.5  # beyond 100 %: the submission's own bounds check
        ws[f"G{count_row}"] = "mười hai"  # text where a number goes
        ws[f"G{enum_row}"] = "Sớm"  # not a choice
        ws[f"I{claim}"] = None  # "không phát sinh" without giải trình

    before = _written(client)
    body = assert_problem(_post(client, people["submitter"], change(filled, wrong)), 422)
    at = {e["path"]: e["message"] for e in body["errors"]}
    assert set(at) == {
        f"{FORM_SHEET}!G{count_row}",
        f"{FORM_SHEET}!G{enum_row}",
        f"{FORM_SHEET}!I{claim}",
    }, at
    assert "không phải là một số" in at[f"{FORM_SHEET}!G{count_row}"]
    assert "Đúng hạn" in at[f"{FORM_SHEET}!G{enum_row}"]

    # The cell types fixed, the bound is the submission check's, said at its cell.
    def only_bound(wb: Workbook) -> None:
        wb[FORM_SHEET][f"G{ratio}"] = 1.5

    body = assert_problem(_post(client, people["submitter"], change(filled, only_bound)), 422)
    assert body["errors"] == [
        {"path": f"{FORM_SHEET}!G{ratio}", "message": "giá trị phải là số, %, từ 0 đến 100"}
    ]
    assert _written(client) == before


def _macro(data: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            dst.writestr(item.filename, src.read(item.filename))
        dst.writestr("xl/vbaProject.bin", b"macro")
    return out.getvalue()


def _formula(row: int):
    def edit(wb: Workbook) -> None:
        wb[FORM_SHEET][f"G{row}"] = "=1/2"

    return edit


def _merged(wb: Workbook) -> None:
    wb[FORM_SHEET].merge_cells("I10:L10")


def _extra_sheet(wb: Workbook) -> None:
    wb.create_sheet("Ghi chú")


def _renamed(wb: Workbook) -> None:
    wb[FORM_SHEET].title = "Sheet1"


def _older_template(wb: Workbook) -> None:
    wb["_parindex"]["B1"] = "parindex-bieu-mau-tu-danh-gia/0"


def _moved_row(wb: Workbook) -> None:
    ws = wb[FORM_SHEET]
    ws["B12"], ws["B13"] = ws["B13"].value, ws["B12"].value  # two inputs of one row


def _date_in_number(row: int):
    def edit(wb: Workbook) -> None:
        import datetime as dt

        wb[FORM_SHEET][f"G{row}"] = dt.date(2023, 5, 1)

    return edit


def test_each_bad_file_gets_a_clear_error_and_nothing_is_written(client, people, filled):
    ratio = row_of(filled, RATIO)
    cases = [
        ("corrupt", filled[:4000], 415, "biểu-mẫu.xlsx", "hỏng"),
        ("macro", _macro(filled), 415, "biểu-mẫu.xlsx", "macro"),
        ("formula", change(filled, _formula(ratio)), 422, f"{FORM_SHEET}!G{ratio}", "công thức"),
        ("merged", change(filled, _merged), 422, f"{FORM_SHEET}!I10:L10", "gộp"),
        ("extra sheet", change(filled, _extra_sheet), 422, "Ghi chú", "thêm trang"),
        ("renamed", change(filled, _renamed), 422, "Sheet1", "đổi tên"),
        ("older template", change(filled, _older_template), 422, "biểu-mẫu.xlsx", "mẫu cũ"),
        ("moved row", change(filled, _moved_row), 422, f"{FORM_SHEET}!B12", "cấu trúc"),
        (
            "date in a number",
            change(filled, _date_in_number(ratio)),
            422,
            f"{FORM_SHEET}!G{ratio}",
            "không phải là số",
        ),
    ]
    before = _written(client)
    for what, data, status, where, words in cases:
        body = assert_problem(_post(client, people["submitter"], data), status)
        assert body["errors"][0]["path"] == where, (what, body)
        assert words in body["detail"] + body["errors"][0]["message"], (what, body)
    assert _written(client) == before


def test_an_oversized_body_is_a_413_and_nothing_is_written(client, people, filled):
    before = _written(client)
    body = assert_problem(
        _post(client, people["submitter"], filled + b"\0" * 2_100_000),
        413,
        extra=frozenset({"max_bytes"}),
    )
    assert body["max_bytes"] > 0
    assert _written(client) == before


def test_a_form_for_another_unit_version_or_period_is_refused(client, people, blank):
    before = _written(client)
    other_unit = client.get(
        f"/api/forms/{METHODOLOGY}", params={"unit": OTHER, "period": PERIOD, "ref": REF}
    ).content
    # Imported by the submitter of the unit it names, another unit's form is a 403.
    assert_problem(_post(client, people["submitter"], fill(other_unit, sample(OTHER))), 403)
    # Into a draft of 2023, a form of 2024, or of another version, is a 422 at its cell.
    r = client.post(
        "/api/submissions",
        json={"unit_id": UNIT, "period": "2022", "methodology": METHODOLOGY, "ref": REF},
        headers=people["submitter"],
    )
    assert r.status_code == 201, r.text
    draft = r.json()["id"]
    before = _written(client)
    for params, where in (
        ({"unit": UNIT, "period": "2024", "ref": REF}, f"{FORM_SHEET}!C3"),
        ({"unit": UNIT, "period": "2022"}, f"{FORM_SHEET}!C2"),  # the head, not the release
    ):
        got = client.get(f"/api/forms/{METHODOLOGY}", params=params, headers=people["submitter"])
        assert got.status_code == 200, got.text
        r = client.put(
            f"/api/submissions/{draft}/form",
            content=got.content,
            headers={**people["submitter"], "Content-Type": XLSX},
        )
        body = assert_problem(r, 422)
        assert body["errors"][0]["path"] == where, body
        assert "không phải" in body["errors"][0]["message"]
    assert _written(client) == before


def test_import_makes_a_draft_scored_as_the_same_values_in_yaml(
    client, people, filled, template_store
):
    r = _post(client, people["submitter"], filled)
    assert r.status_code == 201, r.text
    created = r.json()
    values = sample(UNIT)
    assert created["status"] == "draft" and created["unit_id"] == UNIT
    assert (created["methodology"], created["ref"], created["period"]) == (METHODOLOGY, REF, PERIOD)
    assert created["values"] == values["values"]
    assert created["not_applicable"] == values["not_applicable"]
    # Submitted and evaluated through the API: the result hash of the YAML values.
    r = client.post(f"/api/submissions/{created['id']}/submit", headers=people["submitter"])
    assert r.status_code == 200, r.text
    r = client.post(
        "/api/evaluations", json={"submissions": [created["id"]]}, headers=people["auditor"]
    )
    assert r.status_code in (200, 201), r.text
    evaluation = r.json()[0]
    own = {k: values[k] for k in ("values", "not_applicable", "facts")}
    yaml_sub = parse_submission({"unit": UNIT, "period": PERIOD, **own})
    m = open_methodology(Store.open(template_store), Spec(METHODOLOGY, REF))
    expected = score(build_program(m), yaml_sub, CompiledEngine())
    assert evaluation["input_hash"] == yaml_sub.content_hash()
    assert evaluation["result_hash"] == expected.result_hash


def test_the_submission_form_round_trips_through_put(client, people):
    r = client.post(
        "/api/submissions",
        json={
            "unit_id": OTHER,
            "period": PERIOD,
            "methodology": METHODOLOGY,
            "ref": REF,
            "values": {"so_sang_kien_cchc": 3},
        },
        headers=people["other"],
    )
    assert r.status_code == 201, r.text
    draft = r.json()["id"]
    assert_problem(client.get(f"/api/submissions/{draft}/form", headers=people["submitter"]), 403)
    got = client.get(f"/api/submissions/{draft}/form", headers=people["appraiser"])
    assert got.status_code == 200
    row = row_of(got.content, "input:so_sang_kien_cchc")
    assert _cell(got.content, f"G{row}") == "3"
    node = _cell(got.content, f"A{row}")
    plan = {"number": "15/KH-UBND", "date": dt.date(2023, 1, 20), "title": "Kế hoạch năm 2023"}
    filled = fill(got.content, sample(OTHER), documents={node: [plan]})
    assert_problem(
        client.put(
            f"/api/submissions/{draft}/form",
            content=filled,
            headers={**people["submitter"], "Content-Type": XLSX},
        ),
        403,
    )
    r = client.put(
        f"/api/submissions/{draft}/form",
        content=filled,
        headers={**people["other"], "Content-Type": XLSX},
    )
    assert r.status_code == 200, r.text
    assert r.json()["values"] == sample(OTHER)["values"] and r.json()["revision"] == 2
    # The document typed into the form is kept with the draft, and written back.
    stored = {**plan, "date": "2023-01-20"}
    assert r.json()["documents"] == {node: [stored]}
    again = client.get(f"/api/submissions/{draft}/form", headers=people["other"]).content
    assert [_cell(again, f"{c}{row}") for c in "JL"] == ["15/KH-UBND", "Kế hoạch năm 2023"]
    r = client.put(
        f"/api/submissions/{draft}/form",
        content=again,
        headers={**people["other"], "Content-Type": XLSX},
    )
    assert r.status_code == 200 and r.json()["documents"] == {node: [stored]}
    assert r.json()["revision"] == 2  # the same form again changes nothing
