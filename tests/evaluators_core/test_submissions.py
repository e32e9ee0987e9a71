"""Submissions: shape errors with JSON paths, value cleaning, missing inputs all at once."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest

from evaluators import (
    CompiledEngine,
    IncompleteSubmission,
    SubmissionError,
    build_program,
    parse_submission,
    score,
)
from methodology import load_directory
from methodology.catalog import bundled_root

KINDS = load_directory(bundled_root() / "cases" / "kinds")
PROGRAM = build_program(KINDS)
ENGINE = CompiledEngine()
FULL = {
    "x": 0.92,
    "ok": True,
    "a": 3,
    "b": 4,
    "so_bao_cao_tre": 2,
    "c": 1,
    "d": 2,
    "y": 0.75,
    "co_giai_thuong": True,
    "so_giai_thuong": 1,
    "so_sang_kien": 3,
    "z": 0.85,
}


def submit(**changes):
    data = {
        "unit": "u",
        "period": 2024,
        "facts": {"co_tthc": True},
        "values": dict(FULL),
        "survey": {"survey": 1.6},
        "appraisal": {"manual": {"points": 1.5}},
    }
    data.update(changes)
    return parse_submission(data)


def problems(submission) -> dict[str, str]:
    return {p["path"]: p["message"] for p in score(PROGRAM, submission, ENGINE).problems}


def test_shape_errors_name_their_json_path():
    with pytest.raises(SubmissionError) as info:
        parse_submission({"period": 2024, "values": [], "survey": {"s": "nhiều"}, "extra": 1})
    paths = {p["path"] for p in info.value.problems}
    assert paths == {"$.unit", "$.values", "$.survey.s", "$.extra"}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (1.3, "1.3 is outside [0, 1]"),
        (math.nan, "not a finite number"),
        ("0,9", "write decimals with a dot: 0.9"),
        (True, "expected a number"),
    ],
)
def test_bad_numbers_are_invalid_not_scored(value, message):
    found = problems(submit(values={**FULL, "x": value}))
    assert message in found["$.values.x"]


def test_booleans_must_be_booleans_and_counts_whole():
    found = problems(submit(values={**FULL, "ok": 1, "a": 2.5}))
    assert "expected true or false" in found["$.values.ok"]
    assert "whole number" in found["$.values.a"]


def test_missing_inputs_are_listed_all_at_once_by_id_and_label():
    values = {k: v for k, v in FULL.items() if k not in ("x", "y", "z")}
    result = score(PROGRAM, submit(values=values), ENGINE)
    missing = {p["path"]: p["message"] for p in result.problems if p["status"] == "missing"}
    assert set(missing) == {"$.values.x", "$.values.y", "$.values.z"}
    assert missing["$.values.x"].startswith("missing Tỷ lệ hoàn thành")
    assert result.total is None and result.index is None  # never silently 0
    with pytest.raises(IncompleteSubmission) as info:
        score(PROGRAM, submit(values=values), ENGINE, strict=True)
    assert len(info.value.problems) == 3


def test_claim_on_a_node_that_does_not_allow_it_is_an_error():
    found = problems(submit(not_applicable={"tiers": "không phát sinh"}))
    assert "does not allow a not-applicable claim" in found["$.not_applicable.tiers"]


def test_unknown_input_suggests_the_nearest():
    found = problems(submit(values={**FULL, "so_sang_kein": 2}))
    assert "did you mean `so_sang_kien`?" in found["$.values.so_sang_kein"]


def test_result_hash_is_stable_and_sensitive():
    first = score(PROGRAM, submit(), ENGINE)
    again = score(PROGRAM, submit(), ENGINE)
    assert first.result_hash == again.result_hash
    changed = score(PROGRAM, submit(values={**FULL, "x": 0.93}), ENGINE)
    assert changed.result_hash != first.result_hash
    assert first.total == Decimal("19.15") == changed.total  # same points, different content


def test_decomposed_names_are_normalised():
    import unicodedata

    data = {"unit": unicodedata.normalize("NFD", "Sở Y tế"), "period": "2024"}
    assert parse_submission(data).unit == "Sở Y tế"
