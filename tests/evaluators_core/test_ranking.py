"""Ranking reproduces the published PAR INDEX ranks and band counts.

Published totals and ranks come from the domain sources (MoHA releases via the press).
Only some provinces' totals are public; the others are placeholders chosen to satisfy
exactly the published facts of that year (ranks and band counts), so that the test
checks the ranking rules — competition ranking, bands A ≥ 90, B 80–<90, C 70–<80 —
against every published number at once.
"""

from __future__ import annotations

from decimal import Decimal

import yaml

from evaluators.result import Result
from evaluators.scoring.ranking import competition_ranks, rank, vietnamese_key
from methodology.catalog import bundled_root

PROVINCES = yaml.safe_load(
    (bundled_root() / "cohorts" / "provinces.yaml").read_text(encoding="utf-8")
)["units"]


def result(unit: str, index: str, name: str | None = None) -> Result:
    value = Decimal(index)
    return Result(
        unit=unit,
        period="2022",
        methodology="par-provincial",
        ref=None,
        commit=None,
        engine="test",
        scale=Decimal(100),
        policy="exclude_and_normalize",
        total=value,
        applicable_max=Decimal(100),
        index=value,
        self_total=value,
        self_index=value,
        nodes=[],
        unit_name=name or unit,
    )


def cohort(published: dict[str, str], fillers: list[str]) -> list[Result]:
    others = [p["id"] for p in PROVINCES if p["id"] not in published]
    assert len(others) == len(fillers)
    return [result(u, v) for u, v in published.items()] + [
        result(u, v) for u, v in zip(others, fillers, strict=True)
    ]


def spread(low: str, high: str, count: int) -> list[str]:
    """``count`` distinct values strictly between ``low`` and ``high``."""
    lo, hi = Decimal(low), Decimal(high)
    step = (hi - lo) / (count + 1)
    return [str((lo + step * (i + 1)).quantize(Decimal("0.001"))) for i in range(count)]


def test_2022_published_ranks_and_bands():
    published = {
        "quang-ninh": "90.10",
        "hai-phong": "90.09",
        "ha-noi": "89.58",
        "tp-ho-chi-minh": "84.70",
        "dong-nai": "82.92",
    }
    # ranks 4–35 between 84.70 and 89.58; 37–50 between 82.92 and 84.70; 52–58 in [80, 82.92); 59–63 in C
    fillers = (
        spread("84.70", "89.58", 32)
        + spread("82.92", "84.70", 14)
        + spread("80", "82.92", 7)
        + spread("70", "80", 5)
    )
    ranking = rank(cohort(published, fillers))
    ranks = {u.unit: u.rank for u in ranking.units}
    assert (ranks["quang-ninh"], ranks["hai-phong"], ranks["ha-noi"]) == (1, 2, 3)
    assert ranks["tp-ho-chi-minh"] == 36
    assert ranks["dong-nai"] == 51
    assert ranking.bands == {"A": 2, "B": 56, "C": 5, "D": 0}  # "2 / 56 / 5"


def test_2021_and_2023_published_ranks():
    published_2021 = {
        "hai-phong": "91.80",
        "quang-ninh": "91.14",
        "da-nang": "90.25",
        "thua-thien-hue": "89.32",
        "vinh-phuc": "89.28",
        "tp-ho-chi-minh": "86.05",
        "cao-bang": "82.89",
        "kien-giang": "79.97",
    }
    # ranks 6–42 above 86.05, 44–56 between 82.89 and 86.05, 58–62 between 79.97 and 82.89
    fillers = (
        spread("86.05", "89.28", 37) + spread("82.89", "86.05", 13) + spread("79.97", "82.89", 5)
    )
    ranks = {u.unit: u.rank for u in rank(cohort(published_2021, fillers)).units}
    assert [ranks[u] for u in published_2021] == [1, 2, 3, 4, 5, 43, 57, 63]
    published_2023 = {
        "quang-ninh": "92.18",
        "hai-phong": "91.87",
        "ha-noi": "91.43",
        "bac-giang": "91.16",
        "ba-ria-vung-tau": "91.03",
        "tp-ho-chi-minh": "86.97",
    }
    fillers = spread("86.97", "91.03", 27) + spread("75", "86.97", 30)
    ranks = {u.unit: u.rank for u in rank(cohort(published_2023, fillers)).units}
    assert [ranks[u] for u in published_2023] == [1, 2, 3, 4, 5, 33]


def test_ties_share_a_rank_and_the_next_skips():
    assert competition_ranks(
        {"a": Decimal("90"), "b": Decimal("88"), "c": Decimal("88"), "d": Decimal("80")}
    ) == {"a": 1, "b": 2, "c": 2, "d": 4}
    ranking = rank([result("a", "90"), result("b", "88"), result("c", "88"), result("d", "80")])
    assert [u.rank for u in ranking.units] == [1, 2, 2, 4]
    assert "1, 2, 2, 4" in ranking.to_text()


def test_units_not_ranked_take_no_place():
    results = [
        result("ban-dan-toc", "95", "Ban Dân tộc tỉnh"),
        result("so-y-te", "90", "Sở Y tế"),
        result("thanh-tra-tinh", "89", "Thanh tra tỉnh"),
        result("so-tu-phap", "85", "Sở Tư pháp"),
    ]
    ranking = rank(results, not_ranked=["ban-dan-toc", "thanh-tra-tinh"])
    ranks = {u.unit: u.rank for u in ranking.units}
    assert ranks == {"so-y-te": 1, "so-tu-phap": 2, "ban-dan-toc": None, "thanh-tra-tinh": None}
    bands = {u.unit: u.band for u in ranking.units}
    assert (
        bands["ban-dan-toc"] == "A" and bands["thanh-tra-tinh"] == "B"
    )  # scored and banded all the same
    assert [u.unit for u in ranking.units][-2:] == [
        "ban-dan-toc",
        "thanh-tra-tinh",
    ]  # listed after the ranked


def test_grouping_by_applicable_maximum():
    small = result("small", "95")
    small.applicable_max = Decimal(60)
    ranking = rank(
        [small, result("big-1", "90"), result("big-2", "85")], group_by_maximum=Decimal(50)
    )
    ranks = {u.unit: (u.group, u.rank) for u in ranking.units}
    assert ranks == {"small": (1, 1), "big-1": (2, 1), "big-2": (2, 2)}


def test_vietnamese_collation():
    names = [
        "Điện Biên",
        "Đà Nẵng",
        "Cao Bằng",
        "Cà Mau",
        "Cần Thơ",
        "An Giang",
        "Bạc Liêu",
        "Bà Rịa – Vũng Tàu",
    ]
    assert sorted(names, key=vietnamese_key) == [
        "An Giang",
        "Bà Rịa – Vũng Tàu",
        "Bạc Liêu",
        "Cà Mau",
        "Cao Bằng",
        "Cần Thơ",
        "Đà Nẵng",
        "Điện Biên",
    ]
