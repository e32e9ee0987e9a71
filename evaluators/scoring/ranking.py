"""Ranking a cohort: competition ranks ("1, 2, 2, 4"), bands, per-field ranks, units
scored but not ranked, and optional groups of units with similar applicable maxima.

Names are sorted with Vietnamese collation where people read lists, so "Đà Nẵng"
comes after "Cần Thơ" and before "Điện Biên", as in Vietnamese dictionaries.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from evaluators.result import Result
from methodology import to_json_value as _num

__all__ = [
    "DEFAULT_BANDS",
    "RankedUnit",
    "Ranking",
    "UnitScores",
    "rank",
    "rank_scores",
    "vietnamese_key",
]

# (label, lower bound in % of the scale): A ≥ 90, B 80–<90, C 70–<80, D < 70.
DEFAULT_BANDS: tuple[tuple[str, Decimal], ...] = (
    ("A", Decimal(90)),
    ("B", Decimal(80)),
    ("C", Decimal(70)),
    ("D", Decimal(0)),
)
RANKING_NOTE = (
    "competition ranking: equal indices share a rank and the next rank skips (1, 2, 2, 4)"
)

_ALPHABET = "aăâbcdđeêghiklmnoôơpqrstuưvxy"
# Tone marks order after the base letter: none, grave, hook, tilde, acute, dot below.
_TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}


def vietnamese_key(text: str) -> tuple:
    """Sort key following Vietnamese alphabetical order (a ă â b c d đ e ê …), then tones.

    >>> sorted(["Điện Biên", "Đà Nẵng", "Cần Thơ", "Bắc Giang", "Bà Rịa"], key=vietnamese_key)
    ['Bà Rịa', 'Bắc Giang', 'Cần Thơ', 'Đà Nẵng', 'Điện Biên']
    """
    letters, tones = [], []
    for char in unicodedata.normalize("NFC", text).casefold():
        base, tone = _split(char)
        if base in _ALPHABET:
            letters.append(1 + _ALPHABET.index(base))
        else:  # word breaks sort first, so "Cà Mau" precedes "Cao Bằng"
            letters.append(0 if not base.isalnum() else 100 + ord(base))
        tones.append(tone)
    return tuple(letters), tuple(tones)


def _split(char: str) -> tuple[str, int]:
    decomposed = unicodedata.normalize("NFD", char)
    base, tone = decomposed[0], 0
    for mark in decomposed[1:]:
        if mark in _TONES:
            tone = _TONES[mark]
        else:
            base = unicodedata.normalize("NFC", base + mark)
    return base, tone


@dataclass
class RankedUnit:
    unit: str
    name: str
    index: Decimal | None
    total: Decimal | None
    applicable_max: Decimal
    rank: int | None
    band: str | None
    ranked: bool
    field_scores: dict[str, Decimal | None] = field(default_factory=dict)
    field_ranks: dict[str, int | None] = field(default_factory=dict)
    group: int | None = None
    complete: bool = True
    reason: str | None = None  # why the unit is not ranked this period, when it is said

    def to_json(self) -> dict[str, Any]:
        reason = {"not_ranked_reason": self.reason} if self.reason else {}
        return reason | {
            "unit": self.unit,
            "name": self.name,
            "index": _num(self.index),
            "total": _num(self.total),
            "applicable_max": _num(self.applicable_max),
            "rank": self.rank,
            "band": self.band,
            "ranked": self.ranked,
            "complete": self.complete,
            "group": self.group,
            "fields": {
                k: {"points": _num(v), "rank": self.field_ranks.get(k)}
                for k, v in self.field_scores.items()
            },
        }


@dataclass
class Ranking:
    units: list[RankedUnit]
    bands: dict[str, int]
    note: str = RANKING_NOTE
    # The scored results ranked (in the order given), for exports that show every criterion.
    results: list[Result] = field(default_factory=list, repr=False, compare=False)

    def to_json(self) -> dict[str, Any]:
        return {"note": self.note, "bands": self.bands, "units": [u.to_json() for u in self.units]}

    def to_text(self) -> str:
        lines = [f"{'hạng':>5}  {'chỉ số':>7}  {'xếp loại':<8}  đơn vị"]
        for u in self.units:
            rank = "—" if u.rank is None else str(u.rank)
            index = "—" if u.index is None else f"{u.index:.2f}"
            note = "" if u.ranked else "  (đánh giá, không xếp hạng)"
            if u.reason:
                note = f"  (không xếp hạng kỳ này: {u.reason})"
            if not u.complete:
                note += "  (thiếu dữ liệu)"
            lines.append(f"{rank:>5}  {index:>7}  {u.band or '—':<8}  {u.name}{note}")
        counts = ", ".join(f"{band}: {n}" for band, n in self.bands.items())
        lines.append(f"\n{counts}\n{self.note}")
        return "\n".join(lines)


def competition_ranks(scores: Mapping[str, Decimal]) -> dict[str, int]:
    """1 + the number of units with a strictly higher score."""
    ordered = sorted(scores.values(), reverse=True)
    first: dict[Decimal, int] = {}
    for position, score in enumerate(ordered, start=1):
        first.setdefault(score, position)
    return {unit: first[score] for unit, score in scores.items()}


def band_of(
    index: Decimal, scale: Decimal, bands: Sequence[tuple[str, Decimal]] = DEFAULT_BANDS
) -> str:
    percent = index / scale * 100
    for label, lower in bands:
        if percent >= lower:
            return label
    return bands[-1][0]


@dataclass(frozen=True)
class UnitScores:
    """What a ranking reads of one unit's result: its numbers and each top-level
    field's points (None where the field is not applicable or has no points)."""

    unit: str
    name: str
    index: Decimal | None
    total: Decimal | None
    applicable_max: Decimal
    scale: Decimal
    complete: bool
    fields: dict[str, Decimal | None]


def rank(
    results: Sequence[Result],
    *,
    not_ranked: Sequence[str] = (),
    bands: Sequence[tuple[str, Decimal]] = DEFAULT_BANDS,
    group_by_maximum: Decimal | None = None,
    reasons: Mapping[str, str] | None = None,
) -> Ranking:
    """Rank results by index, descending (competition ranking).

    Units in ``not_ranked`` (and incomplete results) are listed with their scores but
    take no place. With ``group_by_maximum`` (points), units are ranked within groups of
    similar applicable maximum, as the MIC proposed for units with few applicable tasks.
    ``reasons``: unit → why it is not ranked this period; those units are not ranked
    either, and each carries its reason.
    """
    ranked = rank_scores(
        [_scores(r) for r in results],
        not_ranked=not_ranked,
        bands=bands,
        group_by_maximum=group_by_maximum,
        reasons=reasons,
    )
    ranked.results = list(results)
    return ranked


def rank_scores(
    results: Sequence[UnitScores],
    *,
    not_ranked: Sequence[str] = (),
    bands: Sequence[tuple[str, Decimal]] = DEFAULT_BANDS,
    group_by_maximum: Decimal | None = None,
    reasons: Mapping[str, str] | None = None,
) -> Ranking:
    """`rank` from each unit's scores alone (a vectorised cohort gives them without
    result trees); the ranking holds no `results`."""
    reasons = reasons or {}
    skip = set(not_ranked) | set(reasons)
    rankable = {r.unit: r.index for r in results if r.unit not in skip and r.index is not None}
    groups: dict[str, int] = {}
    if group_by_maximum:
        for r in results:
            groups[r.unit] = int(r.applicable_max // group_by_maximum)
    ranks: dict[str, int] = {}
    if group_by_maximum:
        for g in set(groups.values()):
            ranks.update(competition_ranks({u: s for u, s in rankable.items() if groups[u] == g}))
    else:
        ranks = competition_ranks(rankable)
    field_ids = list(results[0].fields) if results else []
    field_ranks = {
        f: competition_ranks(
            {
                r.unit: points
                for r in results
                if r.unit in rankable and (points := r.fields.get(f)) is not None
            }
        )
        for f in field_ids
    }
    units = []
    for r in results:
        ranked = r.unit not in skip
        units.append(
            RankedUnit(
                unit=r.unit,
                name=r.name,
                index=r.index,
                total=r.total,
                applicable_max=r.applicable_max,
                rank=ranks.get(r.unit) if ranked else None,
                band=band_of(r.index, r.scale, bands) if r.index is not None else None,
                ranked=ranked,
                field_scores={f: r.fields.get(f) for f in field_ids},
                field_ranks={f: field_ranks[f].get(r.unit) for f in field_ids},
                group=groups.get(r.unit),
                complete=r.complete,
                reason=reasons.get(r.unit),
            )
        )
    units.sort(key=lambda u: (u.rank is None, u.rank or 0, vietnamese_key(u.name)))
    counts = {label: sum(1 for u in units if u.band == label) for label, _ in bands}
    return Ranking(units, counts)


def _scores(result: Result) -> UnitScores:
    return UnitScores(
        unit=result.unit,
        name=result.unit_name or result.unit,
        index=result.index,
        total=result.total,
        applicable_max=result.applicable_max,
        scale=result.scale,
        complete=result.complete,
        fields={n.id: _field(result, n.id) for n in result.nodes},
    )


def _field(result: Result, field_id: str) -> Decimal | None:
    node = next((n for n in result.nodes if n.id == field_id), None)
    return None if node is None or node.status == "not_applicable" else node.points
