"""The bundled synthetic submissions: deterministic, up to date, complete and scoreable."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
import yaml

from evaluators import CompiledEngine, build_program, load_submissions, sample_scorer, score_many
from methodology import open_methodology
from methodology.catalog import bundled_root
from methodology.samples import load_plan, write_samples

SUBMISSIONS = bundled_root() / "submissions"


@pytest.mark.slow  # regenerates every sample
def test_committed_samples_are_exactly_what_the_seed_generates(store, tmp_path: Path):
    count = write_samples(store, sample_scorer(), tmp_path)
    generated = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*.yaml"))
    committed = sorted(p.relative_to(SUBMISSIONS) for p in SUBMISSIONS.rglob("*.yaml"))
    # provinces 2021–2024, ministries 2021–2024, Đắk Lắk's departments and districts
    # 2023, MIC; the 34 provinces 2025, Đắk Lắk's departments 2024, Sơn La's sở and xã
    before_2025 = 63 * 4 + 19 * 4 + 18 + 15 + 10
    assert generated == committed and count == len(committed) == before_2025 + 34 + 18 + 12 + 10
    for rel in generated:
        assert (tmp_path / rel).read_text(encoding="utf-8") == (SUBMISSIONS / rel).read_text(
            encoding="utf-8"
        ), rel


def test_samples_are_marked_synthetic_and_name_real_units():
    first = yaml.safe_load(
        (SUBMISSIONS / "par-provincial/2022/quang-ninh.yaml").read_text(encoding="utf-8")
    )
    assert first["synthetic"] is True and first["unit_name"] == "Quảng Ninh"
    assert first["ref"] == "par-provincial/2022"
    older = yaml.safe_load(
        (SUBMISSIONS / "par-provincial/2021/ha-noi.yaml").read_text(encoding="utf-8")
    )
    assert older["ref"] == "par-provincial/2019"  # the version in force in 2021
    ministry = yaml.safe_load(
        (SUBMISSIONS / "par-ministry/2023/uy-ban-dan-toc.yaml").read_text(encoding="utf-8")
    )
    assert ministry["unit_name"] == "Ủy ban Dân tộc" and ministry["ref"] == "par-ministry/2022"


@pytest.mark.slow  # scores every sample
def test_every_sample_scores_completely_against_its_version(store):
    _, sets = load_plan()
    engine = CompiledEngine()
    for sample_set in sets:
        m = open_methodology(store, f"{sample_set.methodology}@{sample_set.ref}")
        results = score_many(
            build_program(m),
            load_submissions(SUBMISSIONS / sample_set.methodology / str(sample_set.period)),
            engine,
        )
        assert len(results) == len(sample_set.units)
        incomplete = [(r.unit, r.problems[:2]) for r in results if not r.complete]
        assert incomplete == [], (sample_set.methodology, sample_set.period)
        assert all(0 < r.index <= m.manifest.scale for r in results)


def test_ministries_cohort_ranks_17_of_its_19_units():
    _, sets = load_plan()
    ministries = [s for s in sets if s.cohort == "ministries"]
    assert [(s.methodology, s.period, s.ref) for s in ministries] == [
        ("par-ministry", 2021, "par-ministry/2019"),  # the 1149 set was in force in 2021
        ("par-ministry", 2022, "par-ministry/2022"),
        ("par-ministry", 2023, "par-ministry/2022"),
        ("par-ministry", 2024, "par-ministry/2022"),
    ]
    units = ministries[0].units
    assert len(units) == 19 and len({u.id for u in units}) == 19
    assert sorted(u.name for u in units if not u.ranked) == [
        "Thanh tra Chính phủ",
        "Ủy ban Dân tộc",
    ]


def test_unit_names_are_loaded_nfc(tmp_path: Path):
    """A cohort file saved decomposed (NFD) still names its units as typed NFC."""
    root = tmp_path / "bundled"
    (root / "cohorts").mkdir(parents=True)
    periods = [{"period": 2014, "ref": "vi-du/2014"}]
    plan = {"seed": 1, "sets": [{"cohort": "thu", "methodology": "vi-du", "periods": periods}]}
    (root / "samples.yaml").write_text(yaml.safe_dump(plan), encoding="utf-8")
    cohort = {"cohort": "thu", "units": [{"id": "so-y-te", "name": "Sở Y tế Đắk Lắk"}]}
    text = unicodedata.normalize("NFD", yaml.safe_dump(cohort, allow_unicode=True))
    (root / "cohorts" / "thu.yaml").write_text(text, encoding="utf-8")
    _, (sample_set,) = load_plan(root)
    assert [u.name for u in sample_set.units] == ["Sở Y tế Đắk Lắk"]
