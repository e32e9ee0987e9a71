"""Submissions as real files have them — claims, survey scores, appraisals, evidence,
names typed in another Unicode form — read and scored as before: `parse_submission`
normalises what scoring compares or hashes (and only that), and `score_cohort` gathers
claims and per-criterion scores row by row into the same columns."""

from __future__ import annotations

import copy
import unicodedata
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from evaluators import CompiledEngine, parse_submission, score_many
from evaluators.engines.vector.batch import VectorProgram, score_cohort
from tests.evaluators.helpers import FULL_VALUES, assert_same, vi_du


def _nfd(value: Any) -> Any:
    """``value`` with every text, keys included, decomposed (as typed on macOS)."""
    if isinstance(value, str):
        return unicodedata.normalize("NFD", value)
    if isinstance(value, Mapping):
        return {_nfd(k): _nfd(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_nfd(v) for v in value]
    return value


def _nfc_everything(value: Any) -> Any:
    """The normalisation parse_submission used to apply to the whole submission."""
    if isinstance(value, Mapping):
        return {unicodedata.normalize("NFC", str(k)): _nfc_everything(v) for k, v in value.items()}
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, list):
        return [_nfc_everything(v) for v in value]
    return value


TEXT = st.text(alphabet="aeđươ\u0301\u0303\u0323 _-éẠ", max_size=6)
SCALAR = st.one_of(
    TEXT, st.integers(-5, 5), st.floats(0, 1), st.booleans(), st.none(), st.just("đúng hạn")
)
NESTED = st.recursive(
    SCALAR, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3)
)


@st.composite
def submission_dicts(draw) -> dict[str, Any]:
    keys = TEXT | st.sampled_from(["ty_le", "Tỷ lệ", "tỷ_lệ", "e\u0301"])
    data: dict[str, Any] = {
        "unit": draw(TEXT.filter(bool) | st.just("Sở Nội vụ")),
        "period": draw(st.sampled_from(["2024", "Năm 2024"])),
        "values": draw(st.dictionaries(keys, NESTED, max_size=5)),
        "facts": draw(st.dictionaries(keys, SCALAR, max_size=3)),
        "not_applicable": draw(st.dictionaries(keys, TEXT | st.none(), max_size=3)),
        "survey": draw(st.dictionaries(keys, st.integers(0, 3), max_size=2)),
        "appraisal": draw(
            st.dictionaries(
                keys,
                st.fixed_dictionaries(
                    {"value": SCALAR},
                    optional={"reason": TEXT, "by": st.just("Hội đồng thẩm định")},
                ),
                max_size=2,
            )
        ),
        "evidence": draw(
            st.dictionaries(
                keys,
                st.lists(st.fixed_dictionaries({"title": TEXT, "file": TEXT}), max_size=2),
                max_size=3,
            )
        ),
    }
    if draw(st.booleans()):
        data["unit_name"] = "Sở Nội vụ tỉnh Đắk Lắk"
    return data


@settings(max_examples=100, deadline=None)
@given(data=submission_dicts(), decompose=st.booleans())
def test_what_scoring_reads_is_normalised_as_before(data, decompose):
    """Keys, values, facts, claims, appraisals, survey scores and the unit read as the
    whole submission normalised did (so the content hash is unchanged); evidence keeps
    its entries as they came, under NFC keys."""
    given_data = _nfd(data) if decompose else data
    kept = copy.deepcopy(given_data)
    s = parse_submission(given_data)
    assert given_data == kept  # the caller's dict is left alone
    old = parse_submission(_nfc_everything(given_data))
    for name in ("unit", "period", "unit_name", "values", "facts", "not_applicable", "survey"):
        assert getattr(s, name) == getattr(old, name), name
    assert s.appraisal == old.appraisal
    assert s.content_hash() == old.content_hash()
    if decompose:  # decomposed input reads as its composed twin
        assert s.content_hash() == parse_submission(_nfc_everything(data)).content_hash()
    assert list(s.evidence) == [unicodedata.normalize("NFC", k) for k in given_data["evidence"]]
    assert list(s.evidence.values()) == list(given_data["evidence"].values())


def test_decomposed_names_score_as_composed_ones():
    """A submission whose text arrives decomposed scores as its composed twin, through
    score_many and through the batch path (which reads dicts without parsing most)."""
    program = vi_du()
    base = {
        "unit": "sở-nội-vụ",
        "period": "2024",
        "values": dict(FULL_VALUES, thoi_diem_ban_hanh="tre_han"),
        "facts": {"co_thu_tuc_hanh_chinh": True},
        "survey": {"hai-long-xu-ly": 1.5},
        "not_applicable": {"xu-ly-phan-anh": "Không phát sinh phản ánh"},
        "evidence": {"xu-ly-phan-anh": [{"title": "Báo cáo", "file": "bao-cao.pdf"}]},
    }
    composed = score_many(program, [parse_submission(base)], CompiledEngine())[0]
    decomposed = score_many(program, [parse_submission(_nfd(base))], CompiledEngine())[0]
    assert decomposed.tree() == composed.tree()
    assert decomposed.result_hash == composed.result_hash
    batch = score_cohort(VectorProgram.build(program), [_nfd(base), base])
    assert batch.total == [composed.total, composed.total]
    assert batch.units == ["sở-nội-vụ", "sở-nội-vụ"]


def test_claims_and_survey_scores_on_some_rows_of_a_cohort():
    """Claims and survey scores that only some rows carry land on their own rows (the
    columns they fill are made once per criterion, on their first row)."""
    program = vi_du()
    subs = []
    for i in range(60):
        data: dict[str, Any] = {
            "unit": f"don-vi-{i:02d}",
            "period": "2024",
            "values": dict(FULL_VALUES, ty_le_dung_han=round(0.5 + i / 120, 3)),
            "facts": {"co_thu_tuc_hanh_chinh": i % 5 != 0},
        }
        if i % 3 == 0:
            data["not_applicable"] = {"xu-ly-phan-anh": "Không phát sinh"}
        if i % 2 == 0:
            data["survey"] = {"hai-long-xu-ly": str(Decimal(i % 4) / 2)}
        if i % 7 == 0:
            data["appraisal"] = {"ty_le_hoan_thanh_ke_hoach": {"value": 0.95, "reason": "Sửa"}}
        subs.append(data)
    expected = score_many(program, [parse_submission(s) for s in subs], CompiledEngine())
    assert_same(score_cohort(VectorProgram.build(program), subs), expected)
    assert len({r.total for r in expected}) > 3  # the rows differ


def test_dicts_with_claims_and_evidence_read_directly_score_as_parsed():
    """Dicts carrying only values, claims and evidence are read without parsing each;
    claims on nodes that allow none or do not exist, decomposed node ids and unknown
    inputs still score exactly as the parsed submissions."""
    program = vi_du()
    claims = [
        {},
        {"xu-ly-phan-anh": "Không phát sinh"},
        {"xu-ly-phan-anh": None},
        {"ban-hanh-ke-hoach": "không cho phép"},  # a node that allows no claim
        {"khong-co": "?"},  # no such node
        {_nfd("xử-lý"): "?"},  # not ASCII: parsed
    ]
    subs = []
    for i in range(24):
        data: dict[str, Any] = {
            "unit": f"don-vi-{i:02d}",
            "period": "2024",
            "values": dict(FULL_VALUES, ty_le_dung_han=round(0.6 + i / 80, 3)),
            "evidence": {"xu-ly-phan-anh": [{"title": "Báo cáo", "file": f"{i}.pdf"}]},
        }
        if claims[i % len(claims)]:
            data["not_applicable"] = claims[i % len(claims)]
        if i == 7:
            data["values"]["khong_co_chi_tieu"] = 1  # an unknown input: a problem
        subs.append(data)
    expected = score_many(program, [parse_submission(s) for s in subs], CompiledEngine())
    assert_same(score_cohort(VectorProgram.build(program), subs), expected)
    assert any(p["path"] == "$.values.khong_co_chi_tieu" for p in expected[7].problems)
    assert any(n.status == "not_applicable" for n in expected[1].walk())


def test_ladders_with_gaps_nans_and_values_out_of_their_domain():
    """An index whose every criterion is a ladder of its own, fed dicts lacking claimed
    values (gaps in the float matrix), with NaNs submitted as values (invalid, not gaps,
    also on rows that lack others), values out of the domain, text and missing values:
    the ladders decided together and the gaps read from the NaNs score every row as
    `score_many` does, and as the columns given directly do."""
    import math
    import random

    import numpy as np

    from benchmarks.indices import cohort, ladder_index
    from evaluators.engines.vector.batch import score_columns

    program, ladders = ladder_index(30, fields=3)
    subs = cohort(ladders, 120, claimed=0.1, seed=11)
    rng = random.Random(3)
    for i, s in enumerate(subs):
        for lad in ladders:
            r = rng.random()
            if r < 0.03 or (i % 10 == 0 and lad is ladders[i % 30]):
                s["values"][lad.input] = math.nan
            elif r < 0.05:
                s["values"][lad.input] = 1.5  # a ratio above 1
            elif r < 0.07 and lad.leaf not in s.get("not_applicable", {}):
                s["values"].pop(lad.input, None)  # missing, not claimed
    vprog = VectorProgram.build(program)
    # numbers only (one float matrix), then with a text value (cleaned one by one)
    texts = copy.deepcopy(subs)
    texts[5]["values"][ladders[0].input] = "0,9"
    for cohort_dicts in (subs, texts):
        expected = score_many(
            program, [parse_submission(s) for s in cohort_dicts], CompiledEngine()
        )
        assert_same(score_cohort(vprog, cohort_dicts), expected)
        statuses = {n.status for r in expected for n in r.walk()}
        assert statuses >= {"scored", "not_applicable", "missing", "invalid"}
    # the same cohort as columns (no text: NaN is a missing value there)
    plain = [dict(s, values={k: v for k, v in s["values"].items() if v == v}) for s in subs]
    columns = {
        lad.input: np.array([s["values"].get(lad.input, np.nan) for s in plain]) for lad in ladders
    }
    claims = {
        lad.leaf: np.array([lad.leaf in s.get("not_applicable", {}) for s in plain])
        for lad in ladders
    }
    batch = score_columns(vprog, columns, claims=claims, units=[s["unit"] for s in plain])
    again = score_many(program, [parse_submission(s) for s in plain], CompiledEngine())
    assert batch.total == [r.total for r in again]
    assert batch.index == [r.index for r in again]
    assert [bool(c) for c in batch.complete] == [r.complete for r in again]
