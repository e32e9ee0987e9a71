"""A computed ranking beside the published results of the same year."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from statistics import mean
from typing import Any

from evaluators.errors import EvaluatorError
from evaluators.scoring.ranking import Ranking
from methodology import PublishedYear, load_published, published_cohorts

__all__ = ["PublishedComparison", "compare_published"]


@dataclass(frozen=True)
class _Row:
    unit: str
    name: str
    index: Decimal | None
    rank: int | None
    total: Decimal | None  # published
    published_rank: int | None
    source: str

    def to_json(self) -> dict[str, Any]:
        def diff(a: Any, b: Any) -> Any:
            return None if a is None or b is None else a - b

        return {
            "unit": self.unit,
            "name": self.name,
            "index": float(self.index) if self.index is not None else None,
            "published_total": float(self.total) if self.total is not None else None,
            "difference": float(d) if (d := diff(self.index, self.total)) is not None else None,
            "rank": self.rank,
            "published_rank": self.published_rank,
            "rank_difference": diff(self.rank, self.published_rank),
            "source": self.source,
        }


@dataclass(frozen=True)
class PublishedComparison:
    cohort: str
    year: int
    rows: list[_Row]
    average: Decimal
    published: PublishedYear
    bands: dict[str, int]

    def to_json(self) -> dict[str, Any]:
        return {
            "cohort": self.cohort,
            "year": self.year,
            "units": [r.to_json() for r in self.rows],
            "average": float(self.average),
            "published_average": float(self.published.average)
            if self.published.average is not None
            else None,
            "groups": self.bands,
            "published_groups": dict(self.published.groups) if self.published.groups else None,
        }

    def to_text(self) -> str:
        def num(v: Decimal | None) -> str:
            return "—" if v is None else f"{v:.2f}"

        def rank(v: int | None) -> str:
            return "—" if v is None else str(v)

        lines = [
            f"So với kết quả công bố năm {self.year} ({self.cohort}):",
            f"{'chỉ số':>7}  {'công bố':>7}  {'chênh':>6}  {'hạng':>4}  {'công bố':>7}  "
            f"{'chênh':>5}  đơn vị (nguồn)",
        ]
        for r in self.rows:
            d = None if r.index is None or r.total is None else r.index - r.total
            dr = None if r.rank is None or r.published_rank is None else r.rank - r.published_rank
            lines.append(
                f"{num(r.index):>7}  {num(r.total):>7}  {'—' if d is None else f'{d:+.2f}':>6}  "
                f"{rank(r.rank):>4}  {rank(r.published_rank):>7}  "
                f"{'—' if dr is None else f'{dr:+d}':>5}  {r.name} ({r.source})"
            )
        p = self.published
        lines.append(
            f"\nTrung bình: {self.average:.2f}"
            + (
                f" (công bố {p.average:.2f}, nguồn {p.average_source.id})"
                if p.average is not None and p.average_source
                else " (không công bố)"
            )
        )
        if p.groups:
            computed = ", ".join(f"{g}: {self.bands.get(g, 0)}" for g in p.groups)
            published = ", ".join(f"{g}: {n}" for g, n in p.groups.items())
            source = p.groups_source.id if p.groups_source else ""
            lines.append(f"Xếp loại: {computed} (công bố {published}, nguồn {source})")
        return "\n".join(lines)


def compare_published(
    ranking: Ranking | Mapping[str, Any], year: int | str, cohort: str | None = None
) -> PublishedComparison:
    """Each unit with a published figure: computed vs published total and rank; the
    cohort's average and groups vs the published ones. ``ranking`` is a `Ranking` or its
    JSON (as the API answers it). Without ``cohort``, the bundled cohort whose published
    units the ranking covers most is taken."""
    if isinstance(ranking, Ranking):
        ranking = ranking.to_json()
    rows_in = [
        (
            u["unit"],
            u["name"],
            None if u["index"] is None else Decimal(str(u["index"])),
            u["rank"],
            u["ranked"],
        )
        for u in ranking["units"]
    ]
    units = {u[0] for u in rows_in}
    results = load_published(cohort) if cohort is not None else None
    if results is None:
        candidates = [r for c in published_cohorts() if (r := load_published(c)) is not None]
        scored = [
            (len(units & set(y.units)), r.cohort, r)
            for r in candidates
            if (y := r.year(year)) is not None
        ]
        if scored and max(scored, key=lambda s: (s[0], s[1]))[0] > 0:
            results = max(scored, key=lambda s: (s[0], s[1]))[2]
    published = results.year(year) if results else None
    if results is None or published is None:
        raise EvaluatorError(f"no published results for {cohort or 'these units'} in {year}")
    rows = []
    for unit, name, index, rank, _ranked in rows_in:
        for figure in published.units.get(unit, ()):
            rows.append(_Row(unit, name, index, rank, figure.total, figure.rank, figure.source.id))
    ranked = [index for _, _, index, _, on in rows_in if on and index is not None]
    return PublishedComparison(
        results.cohort,
        int(year),
        rows,
        Decimal(str(round(mean(ranked), 2))) if ranked else Decimal(0),
        published,
        dict(ranking["bands"]),
    )
