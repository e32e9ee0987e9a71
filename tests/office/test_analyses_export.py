"""Audits and sensitivity runs out to Excel and Word, and the command line's `--to`
(`--export` for `parindex audit`, whose `--to` is the later version)."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from openpyxl import load_workbook
from typer.testing import CliRunner

from evaluators import audit_request, render_chart, slope_chart
from methodology import Store, cause_label
from server.cli import app
from server.office import audit_document, audit_workbook
from tests.office.helpers import convert

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "methodology/bundled/submissions/par-provincial"


@pytest.fixture(scope="module")
def audit_json(template_store: Path) -> dict[str, Any]:
    """The bundled provinces' samples compared under 1149 and 876 (63 units)."""
    return audit_request(
        Store.open(template_store), "par-provincial@2019", "par-provincial@2022", None
    ).to_json()


def test_the_audit_workbook_lists_units_amounts_and_causes(audit_json):
    book = load_workbook(io.BytesIO(audit_workbook(audit_json)))
    assert book.sheetnames == [
        "Theo đơn vị",
        "Phân bổ",
        "Theo nguyên nhân",
        "Thay đổi bộ chỉ số",
        "Thông tin",
    ]
    units = book["Theo đơn vị"]
    assert [c.value for c in units[1]][:7] == [
        "Mã đơn vị",
        "Đơn vị",
        "Kỳ",
        "Chỉ số trước",
        "Chỉ số sau",
        "Chênh lệch",
        "Tổng các khoản",
    ]
    assert units.max_row == 1 + len(audit_json["units"]) == 64
    amounts = sum(len(u["attribution"]) for u in audit_json["units"] if u["complete"])
    assert book["Phân bổ"].max_row == 1 + amounts
    causes = [row[0] for row in book["Theo nguyên nhân"].iter_rows(min_row=2, values_only=True)]
    assert causes == [cause_label(c) for c in audit_json["summary"]["by_cause"]]


@pytest.mark.slow  # LibreOffice
def test_each_units_amounts_add_up_to_its_change_after_recalculation(audit_json, tmp_path):
    source = tmp_path / "audit.xlsx"
    source.write_bytes(audit_workbook(audit_json))
    book = load_workbook(convert(source, "xlsx", tmp_path / "out"), data_only=True)
    sheet = book["Theo đơn vị"]
    for i, unit in enumerate(audit_json["units"], start=2):
        assert sheet.cell(i, 1).value == unit["unit"]
        if unit["complete"]:
            summed = Decimal(repr(sheet.cell(i, 7).value))
            assert summed == Decimal(repr(unit["delta"])), unit["unit"]
    by_cause = dict(book["Theo nguyên nhân"].iter_rows(min_row=2, values_only=True))
    for cause, total in audit_json["summary"]["by_cause"].items():
        assert Decimal(repr(by_cause[cause_label(cause)])) == Decimal(repr(total)), cause


def test_the_audit_report_has_its_charts_and_tables(audit_json):
    png = b"\x89PNG\r\n\x1a\n"
    chart = render_chart(slope_chart(audit_json), "png")
    assert chart.startswith(png)
    doc = Document(io.BytesIO(audit_document(audit_json, {"slope": chart})))
    assert doc.paragraphs[0].text.startswith("So sánh điểm Chỉ số CCHC")
    assert len(doc.inline_shapes) == 1
    changes, causes, units = doc.tables
    assert [c.text for c in changes.rows[0].cells] == ["Loại thay đổi", "Số tiêu chí"]
    assert [c.text for c in units.rows[0].cells][:4] == [
        "Đơn vị",
        "Chỉ số trước",
        "Chỉ số sau",
        "Chênh lệch",
    ]
    assert len(units.rows) == 1 + 63
    assert len(causes.rows) == 1 + len(audit_json["summary"]["by_cause"])


# -- the command line ----------------------------------------------------------------


@pytest.fixture
def store(tmp_path: Path, template_store: Path) -> Path:
    target = tmp_path / "store"
    shutil.copytree(template_store, target)
    return target


@pytest.mark.slow  # four scorings of the bundled cohorts
def test_rank_evaluate_sensitivity_and_audit_write_office_files(store, tmp_path):
    runner = CliRunner()
    target = tmp_path / "xếp hạng.xlsx"
    done = runner.invoke(
        app,
        [
            "rank",
            "par-provincial@2022",
            str(SAMPLES / "2023"),
            "--store",
            str(store),
            "--to",
            str(target),
        ],
    )
    assert done.exit_code == 0, done.output
    assert done.output.strip() == str(target)
    sheet = load_workbook(target)["Xếp hạng"]
    assert sheet.max_row == 4 + 63 and str(sheet["D5"].value).startswith("=ROUND(SUM(")

    report = tmp_path / "kết quả.docx"
    done = runner.invoke(
        app,
        [
            "evaluate",
            "par-provincial@2022",
            str(SAMPLES / "2023" / "tp-ho-chi-minh.yaml"),
            "--store",
            str(store),
            "--to",
            str(report),
        ],
    )
    assert done.exit_code == 0, done.output
    doc = Document(report)
    assert doc.paragraphs[0].text == "Kết quả đánh giá Thành phố Hồ Chí Minh kỳ 2023"

    runs = tmp_path / "độ nhạy.docx"
    done = runner.invoke(
        app,
        [
            "sensitivity",
            "par-provincial@2022",
            "-n",
            "20",
            "--store",
            str(store),
            "--to",
            str(runs),
        ],
    )
    assert done.exit_code == 0, done.output
    assert len(Document(runs).inline_shapes) == 1

    audit = tmp_path / "so sánh.xlsx"
    done = runner.invoke(
        app,
        [
            "audit",
            "--from",
            "par-provincial@2019",
            "--to",
            "par-provincial@2022",
            "--store",
            str(store),
            "--export",
            str(audit),
        ],
    )
    assert done.exit_code == 0, done.output
    assert load_workbook(audit).sheetnames[0] == "Theo đơn vị"


@pytest.mark.slow  # a subprocess: the real console script's one-line error
def test_a_file_that_is_neither_xlsx_nor_docx_is_refused_before_any_work(store, tmp_path):
    target = tmp_path / "xep-hang.pdf"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "server",
            "rank",
            "par-provincial@2022",
            str(SAMPLES / "2023"),
            "--store",
            str(store),
            "--to",
            str(target),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert (
        done.stderr.strip()
        == f"error: {target}: the file must end in .xlsx (Excel) or .docx (Word)"
    )
    assert not target.exists()
