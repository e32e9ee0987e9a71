"""The self-assessment form: its structure (validations, protection, comments, hidden ids)
and the round trip — a blank form filled by a script and imported gives exactly the
submission, evaluation and result hash of the same values in YAML."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from evaluators import CompiledEngine, build_program, load_submission, parse_submission, score
from methodology import Spec, Store, open_methodology
from rules import InputType
from server.labels import choice_label
from server.office import FORM_SHEET, TEMPLATE, read_form, write_form
from server.office.form import META_SHEET, form_lines
from tests.office.form_helpers import fill, opener, sample_file, submission_of
from tests.office.helpers import convert

CASES = [
    # (methodology, ref, period, unit): a province, a department (with "không phát
    # sinh" claimed) and a ministry (with a unit fact)
    ("par-provincial", "2022", "2023", "dak-lak"),
    ("daklak-so", "daklak-so/2022", "2023", "so-noi-vu"),
    ("par-ministry", "par-ministry/2022", "2023", "bo-tu-phap"),
]


@pytest.fixture(scope="module")
def store(template_store: Path) -> Store:
    return Store.open(template_store)


@pytest.fixture(scope="module")
def provincial(store: Store):
    return open_methodology(store, Spec("par-provincial", "2022"))


@pytest.fixture(scope="module")
def blank(provincial) -> bytes:
    return write_form(provincial, unit="dak-lak", period="2023", unit_name="Đắk Lắk")


def _validation_of(ws, coordinate: str):
    found = [dv for dv in ws.data_validations.dataValidation if coordinate in dv.sqref]
    assert len(found) == 1, coordinate
    return found[0]


def test_sheets_meta_and_hidden_ids(blank, provincial):
    wb = load_workbook(io.BytesIO(blank))
    assert wb.sheetnames == [FORM_SHEET, META_SHEET]
    meta = wb[META_SHEET]
    assert meta.sheet_state == "veryHidden"
    values = {meta.cell(r, 1).value: meta.cell(r, 2).value for r in range(1, 9)}
    assert values["template"] == TEMPLATE and values["commit"] == provincial.commit
    assert (values["methodology"], values["ref"], values["unit"], values["period"]) == (
        "par-provincial",
        "2022",
        "dak-lak",
        "2023",
    )
    ws = wb[FORM_SHEET]
    assert ws.column_dimensions["A"].hidden and ws.column_dimensions["B"].hidden
    lines = form_lines(provincial)
    ids = [(ws.cell(r, 1).value or "", ws.cell(r, 2).value or "") for r in range(7, 7 + len(lines))]
    assert ids == [(line.node_id, line.key) for line in lines]
    leaves = [n for n in provincial.walk() if provincial.is_leaf(n.id)]
    assert sum(1 for line in lines if line.kind == "leaf") == len(leaves) == 97
    inputs = {k for n in leaves if n.assessed_by == "self" for k in n.inputs}
    assert {line.key.removeprefix("input:") for line in lines if line.key} == inputs
    assert "Đắk Lắk (dak-lak)" in ws["C3"].value and "2023" in ws["C3"].value


def test_protection_only_input_cells_are_editable(blank, provincial):
    wb = load_workbook(io.BytesIO(blank))
    ws = wb[FORM_SHEET]
    assert ws.protection.sheet and wb.security.lockStructure
    editable = {c.coordinate for row in ws.iter_rows() for c in row if c.protection.locked is False}
    lines = form_lines(provincial)
    expected = set()
    for row, line in enumerate(lines, 7):
        if line.spec is not None and line.self_assessed:
            expected.add(f"G{row}")
        if line.kind == "leaf" and line.allow_not_applicable:
            expected.add(f"H{row}")
        if line.editable_documents:
            expected |= {f"{c}{row}" for c in "IJKL"}
    assert editable == expected
    assert (
        sum(1 for x in lines if x.kind == "leaf" and x.allow_not_applicable) == 10
    )  # as the version says
    survey = next(r for r, line in enumerate(lines, 7) if line.assessed_by == "survey")
    assert f"G{survey}" not in editable and "điều tra xã hội học" in ws[f"F{survey}"].value


def test_validations_follow_the_declared_inputs(blank, provincial):
    wb = load_workbook(io.BytesIO(blank))
    ws, lists = wb[FORM_SHEET], wb[META_SHEET]
    seen = set()
    for row, line in enumerate(form_lines(provincial), 7):
        if line.spec is None or not line.self_assessed:
            continue
        spec, dv = line.spec, _validation_of(ws, f"G{row}")
        seen.add(spec.type)
        assert dv.showErrorMessage and dv.errorStyle == "stop" and dv.error
        if spec.type is InputType.RATIO:
            assert (dv.type, dv.formula1, dv.formula2) == ("decimal", "0", "1")
            assert ws[f"G{row}"].number_format == "0.00%"
        elif spec.type is InputType.COUNT:
            assert dv.type == "whole" and dv.formula1 == "0"
        elif spec.type is InputType.BOOL:
            assert (dv.type, dv.formula1) == ("list", '"Có,Không"')
        elif spec.type is InputType.ENUM:
            assert dv.type == "list"
            column, first, last = _range(dv.formula1)
            labels = [lists[f"{column}{r}"].value for r in range(first, last + 1)]
            assert labels == [choice_label(c) for c in spec.choices]
        elif spec.type is InputType.NUMBER:
            assert dv.type == "decimal"
    assert {InputType.RATIO, InputType.COUNT, InputType.BOOL, InputType.ENUM} <= seen
    claim = next(r for r, x in enumerate(form_lines(provincial), 7) if x.allow_not_applicable)
    assert _validation_of(ws, f"H{claim}").formula1 == '"Không phát sinh"'
    assert _validation_of(ws, f"K{claim}").type == "date"


def _range(formula: str) -> tuple[str, int, int]:
    # '_parindex'!$D$1:$D$3
    cells = formula.split("!")[1].replace("$", "").split(":")
    return cells[0][0], int(cells[0][1:]), int(cells[1][1:])


def test_guidance_and_evidence_are_comments_on_the_titles(blank, provincial):
    ws = load_workbook(io.BytesIO(blank))[FORM_SHEET]
    for row, line in enumerate(form_lines(provincial), 7):
        if line.kind != "leaf":
            assert ws[f"D{row}"].comment is None
            continue
        node = provincial.nodes[line.node_id]
        comment = ws[f"D{row}"].comment
        assert comment is not None and node.guidance.strip()[:40] in comment.text
        for evidence in node.evidence:
            assert evidence.title in comment.text


@pytest.mark.parametrize(("methodology", "ref", "period", "unit"), CASES)
def test_a_filled_form_gives_the_yaml_submission_exactly(store, methodology, ref, period, unit):
    path = sample_file(methodology, period, unit)
    data = submission_of(path)
    m = open_methodology(store, Spec(methodology, ref))
    filled_form = fill(write_form(m, unit=unit, period=period), data)
    filled = read_form(filled_form, "biểu-mẫu.xlsx", opener(store))
    from_form = parse_submission(filled.submission())
    # The same values in YAML, as the unit would write them (no appraisal or survey yet).
    own = {k: data[k] for k in ("unit", "period", "values", "not_applicable", "facts")}
    from_yaml = parse_submission(own)
    assert dict(from_form.values) == dict(from_yaml.values)
    assert {k: type(v) for k, v in from_form.values.items()} == {
        k: type(v) for k, v in from_yaml.values.items()
    }
    assert dict(from_form.not_applicable) == dict(from_yaml.not_applicable)
    assert dict(from_form.facts) == dict(from_yaml.facts)
    assert from_form.content_hash() == from_yaml.content_hash()
    program = build_program(m)
    engine = CompiledEngine()
    a, b = score(program, from_form, engine), score(program, from_yaml, engine)
    assert a.result_hash == b.result_hash and a.total == b.total and a.index == b.index
    walked = [(n.id, n.points, n.status) for n in a.walk()]
    assert walked == [(n.id, n.points, n.status) for n in b.walk()]
    assert sum(1 for _, points, _ in walked if points is not None) > 50  # scored, not empty
    if data["not_applicable"]:
        assert filled.not_applicable == data["not_applicable"]


def test_the_complete_yaml_sample_scores_the_same_with_the_forms_values(store):
    """The whole bundled file (appraisal and survey included) and the file with the
    form's values in place of its own: one result hash."""
    path = sample_file("par-provincial", "2023", "dak-lak")
    m = open_methodology(store, Spec("par-provincial", "2022"))
    filled_form = fill(write_form(m, unit="dak-lak", period="2023"), submission_of(path))
    filled = read_form(filled_form, "f.xlsx", opener(store))
    original = load_submission(path)
    replaced = parse_submission(
        {
            **submission_of(path),
            "values": filled.values,
            "not_applicable": filled.not_applicable,
            "facts": filled.facts,
        }
    )
    program = build_program(m)
    engine = CompiledEngine()
    assert replaced.content_hash() == original.content_hash()
    assert (
        score(program, replaced, engine).result_hash == score(program, original, engine).result_hash
    )


def test_documents_and_explanations_are_read_as_the_submissions_evidence(store, provincial):
    data = submission_of(sample_file("par-provincial", "2023", "dak-lak"))
    leaf = next(line for line in form_lines(provincial) if line.editable_documents)
    doc = {"number": "15/KH-UBND", "date": "20/01/2023", "title": "Kế hoạch CCHC năm 2023"}
    filled_form = fill(
        write_form(provincial, unit="dak-lak", period="2023"), data, {leaf.node_id: [doc]}
    )
    filled = read_form(filled_form, "f.xlsx", opener(store))
    assert filled.evidence[leaf.node_id] == [
        {"title": "Kế hoạch CCHC năm 2023", "number": "15/KH-UBND", "date": "2023-01-20"}
    ]


def test_percent_and_decimal_comma_typed_as_text_are_read(store, provincial):
    from tests.office.form_helpers import change, row_of

    blank = write_form(provincial, unit="dak-lak", period="2023")
    ratio = row_of(blank, "input:ty_le_hoan_thanh_ke_hoach_cchc")
    count = row_of(blank, "input:so_sang_kien_cchc")

    def typed(wb):
        wb[FORM_SHEET][f"G{ratio}"] = "79,5"  # percent, as the form asks
        wb[FORM_SHEET][f"G{count}"] = " 12 "

    filled = read_form(change(blank, typed), "f.xlsx", opener(store))
    assert filled.values["ty_le_hoan_thanh_ke_hoach_cchc"] == float(Decimal("0.795"))
    assert filled.values["so_sang_kien_cchc"] == 12


@pytest.mark.slow  # LibreOffice, a few seconds
def test_libreoffice_opens_the_form(tmp_path, blank):
    source = tmp_path / "bieu-mau.xlsx"
    source.write_bytes(blank)
    text = convert(source, "csv:Text - txt - csv (StarCalc):44,34,76", tmp_path).read_text(
        encoding="utf-8"
    )
    assert "BIỂU TỰ ĐÁNH GIÁ" in text and "Kế hoạch cải cách hành chính năm" in text
