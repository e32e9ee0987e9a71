"""Published results: bundled with a source per figure, read strictly."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from methodology import FormatError, bundled_root, load_published, published_cohorts


def test_every_bundled_file_loads_and_names_a_source_for_each_figure():
    assert {"provinces", "ministries"} <= set(published_cohorts())
    for cohort in published_cohorts():
        results = load_published(cohort)
        assert results is not None and results.cohort == cohort
        for year in results.years.values():
            for figures in year.units.values():
                assert all(f.source.id in results.sources for f in figures)


def test_the_published_figures_of_the_domain_notes():
    provinces = load_published("provinces")
    y2021, y2022, y2023, y2024 = (provinces.year(y) for y in (2021, 2022, 2023, 2024))
    assert y2021.average == Decimal("86.37") and y2021.total("hai-phong") == Decimal("91.80")
    assert [(f.total, f.rank) for f in y2021.units["cao-bang"]] == [(Decimal("82.89"), 57)]
    assert y2022.groups == {"A": 2, "B": 56, "C": 5} and y2022.units["dong-nai"][0].rank == 51
    assert y2023.average == Decimal("86.98") and y2023.groups == {"A": 7}
    # two sources disagree on Hải Phòng 2023: both are kept, the first is the default
    assert [f.total for f in y2023.units["hai-phong"]] == [Decimal("91.87"), Decimal("91.81")]
    assert y2023.total("hai-phong") == Decimal("91.87")
    assert y2024.average == Decimal("88.37") and y2024.groups["A"] == 13
    assert y2024.units["ba-ria-vung-tau"][0].total is None  # rank 2, total not published
    ministries = load_published("ministries").year(2023)
    assert ministries.average == Decimal("84.38")
    assert ministries.total("bo-tu-phap") == Decimal("89.95")
    assert load_published("no-such-cohort") is None


@pytest.fixture
def root(tmp_path: Path) -> Path:
    target = tmp_path / "bundled"
    (target / "published").mkdir(parents=True)
    shutil.copytree(bundled_root() / "cohorts", target / "cohorts")
    return target


GOOD = """cohort: ministries
sources:
  s: {title: Một nguồn}
years:
  2023:
    average: {value: 84.38, source: s}
    units:
      bo-tu-phap: [{total: 89.95, rank: 1, source: s}]
"""


@pytest.mark.parametrize(
    ("change", "message", "line"),
    [
        (("average: {value", "avg: {value"), "unknown key 'avg'", 6),
        (("rank: 1, source", "rnk: 1, source"), "unknown key 'rnk'", 8),
        (("source: s}]", "source: t}]"), "unknown source 't'", 8),
        (("bo-tu-phap:", "bo-khong-co:"), "unit 'bo-khong-co' is not in the cohort", 8),
        (("total: 89.95", "total: 189.95"), "must be between 0 and 100", 8),
        (("cohort: ministries", "cohort: provinces"), "cohort must be 'ministries'", 1),
    ],
)
def test_bad_files_are_refused_with_file_and_line(root: Path, change, message, line):
    (root / "published" / "ministries.yaml").write_text(GOOD.replace(*change), encoding="utf-8")
    with pytest.raises(FormatError) as caught:
        load_published("ministries", root)
    assert message in str(caught.value)
    assert caught.value.file == "published/ministries.yaml" and caught.value.line == line


def test_a_good_file_loads(root: Path):
    (root / "published" / "ministries.yaml").write_text(GOOD, encoding="utf-8")
    year = load_published("ministries", root).year(2023)
    assert year.units["bo-tu-phap"][0].rank == 1
