"""Guessing which removed node became which added node when ids do not match.

Two versions written independently (or an author who renamed a file without
adding ``replaces``) show up in a diff as unrelated removals and additions. The
detector scores every (removed, added) pair and proposes the likely pairs; the
author confirms one by adding ``replaces: [<old id>]`` to the new node, after
which the diff pairs them exactly.

The title carries the evidence: the structural signals (same level, same
parent, same points) only scale a title's similarity down, never make up for
a different title, so two unrelated siblings worth the same points are never
proposed.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from methodology.tree import Methodology

__all__ = ["THRESHOLD", "RenameProposal", "normalise_title", "propose_renames", "title_similarity"]

THRESHOLD = 0.6
# Dropping accents merges distinct Vietnamese words ("bản", "bán", "ban"), so an
# accent-insensitive match counts slightly less than an exact one.
_ASCII_WEIGHT = 0.9
# Share of the score the structure can take away: an identical title with no
# structural support still scores exactly THRESHOLD.
_STRUCTURE_SHARE = 0.4
_WEIGHTS = {"same_level": 0.35, "same_parent": 0.4, "same_points": 0.25}
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class RenameProposal:
    """A removed node (``from_*``, version A) that probably became an added one (``to_*``, B)."""

    from_id: str
    to_id: str
    from_code: str
    to_code: str
    from_title: str
    to_title: str
    score: float
    reasons: dict[str, Any] = field(default_factory=dict, hash=False)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready mapping (score rounded to 3 places)."""
        return {
            "from_id": self.from_id,
            "to_id": self.to_id,
            "from_code": self.from_code,
            "to_code": self.to_code,
            "from_title": self.from_title,
            "to_title": self.to_title,
            "score": round(self.score, 3),
            "reasons": dict(self.reasons),
        }


def normalise_title(title: str, *, accents: bool = True) -> str:
    """Comparable form of a title: NFC, casefolded, words separated by one space.

    With ``accents=False`` diacritics are dropped too (``đ`` becomes ``d``).

    >>> normalise_title("Cải cách  THỂ CHẾ.", accents=False)
    'cai cach the che'
    """
    text = unicodedata.normalize("NFC", title).casefold()
    if not accents:
        text = unicodedata.normalize("NFD", text.replace("đ", "d"))
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(_WORD.findall(text))


def _token_set_ratio(a: str, b: str) -> float:
    # As in fuzzywuzzy: shared words first, so reordered or extended titles match.
    ta, tb = set(a.split()), set(b.split())
    common = " ".join(sorted(ta & tb))
    only_a = " ".join(sorted(ta - tb))
    only_b = " ".join(sorted(tb - ta))
    with_a = f"{common} {only_a}".strip()
    with_b = f"{common} {only_b}".strip()
    pairs = [(with_a, with_b)]
    if common:
        pairs += [(common, with_a), (common, with_b)]
    return max(difflib.SequenceMatcher(None, x, y, autojunk=False).ratio() for x, y in pairs)


def _similarity(a: str, b: str) -> float:
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    sequence = difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()
    return (_token_set_ratio(a, b) + sequence) / 2


def title_similarity(a: str, b: str) -> tuple[float, float]:
    """(similarity with accents, similarity without accents) of two titles, each 0..1."""
    return (
        _similarity(normalise_title(a), normalise_title(b)),
        _similarity(normalise_title(a, accents=False), normalise_title(b, accents=False)),
    )


def _parent_match(a: Methodology, b: Methodology, a_id: str, b_id: str,
                  paired: dict[str, str]) -> str | None:
    """How the parents correspond ('root', 'paired', 'same code'), or None."""
    pa, pb = a.nodes[a_id].parent, b.nodes[b_id].parent
    if pa is None and pb is None:
        return "root"
    if pa is None or pb is None:
        return None
    if paired.get(pb) == pa:
        return "paired"
    if a.nodes[pa].code == b.nodes[pb].code:
        return "same code"
    return None


def propose_renames(
    a: Methodology,
    b: Methodology,
    removed_ids: Collection[str],
    added_ids: Collection[str],
    *,
    paired: dict[str, str] | None = None,
    threshold: float = THRESHOLD,
) -> list[RenameProposal]:
    """Likely (removed in ``a``, added in ``b``) pairs, best first, each id used once.

    ``paired`` maps ids of ``b`` to the ids of ``a`` they are already known to
    continue (by identity or ``replaces``); it defaults to the ids the two share.
    Pairs scoring below ``threshold`` are never proposed.
    """
    if paired is None:
        paired = {i: i for i in b.nodes if i in a.nodes}
    order_a = {n.id: i for i, n in enumerate(a.walk())}
    order_b = {n.id: i for i, n in enumerate(b.walk())}
    removed = sorted((i for i in removed_ids if i in a.nodes), key=lambda i: (order_a.get(i, 0), i))
    added = sorted((i for i in added_ids if i in b.nodes), key=lambda i: (order_b.get(i, 0), i))
    depth_a = {i: a.depth(i) for i in removed}
    depth_b = {i: b.depth(i) for i in added}
    norm_b = {i: (normalise_title(b.nodes[i].title), normalise_title(b.nodes[i].title, accents=False))
              for i in added}

    candidates: list[tuple[float, int, int, RenameProposal]] = []
    for ra, from_id in enumerate(removed):
        old = a.nodes[from_id]
        old_norm = normalise_title(old.title)
        old_ascii = normalise_title(old.title, accents=False)
        for rb, to_id in enumerate(added):
            new = b.nodes[to_id]
            exact = _similarity(old_norm, norm_b[to_id][0])
            ascii_ = _similarity(old_ascii, norm_b[to_id][1])
            title = max(exact, ascii_ * _ASCII_WEIGHT)
            if title < threshold:
                continue  # structure only lowers the score
            parent = _parent_match(a, b, from_id, to_id, paired)
            signals = {
                "same_level": depth_a[from_id] == depth_b[to_id],
                "same_parent": parent is not None,
                "same_points": old.max_points == new.max_points,
            }
            structure = sum(_WEIGHTS[k] for k, v in signals.items() if v)
            score = title * (1 - _STRUCTURE_SHARE + _STRUCTURE_SHARE * structure)
            if score < threshold:
                continue
            reasons: dict[str, Any] = {
                "title": round(exact, 3),
                "title_without_accents": round(ascii_, 3),
                **signals,
                "parent": parent,
            }
            proposal = RenameProposal(
                from_id=from_id,
                to_id=to_id,
                from_code=old.code,
                to_code=new.code,
                from_title=old.title,
                to_title=new.title,
                score=round(score, 6),
                reasons=reasons,
            )
            candidates.append((-proposal.score, ra, rb, proposal))

    candidates.sort(key=lambda c: c[:3])
    used_from: set[str] = set()
    used_to: set[str] = set()
    chosen: list[RenameProposal] = []
    for _, _, _, proposal in candidates:
        if proposal.from_id in used_from or proposal.to_id in used_to:
            continue
        used_from.add(proposal.from_id)
        used_to.add(proposal.to_id)
        chosen.append(proposal)
    return chosen
