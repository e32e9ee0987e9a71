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


def _prefix_ratio(short: str, long: str) -> float:
    # SequenceMatcher's ratio when ``short`` is a prefix of ``long``, without running it.
    return 2 * len(short) / (len(short) + len(long))


def _token_set_ratio(a: str, b: str) -> float:
    # As in fuzzywuzzy: shared words first, so reordered or extended titles match.
    ta, tb = set(a.split()), set(b.split())
    common = " ".join(sorted(ta & tb))
    with_a = f"{common} {' '.join(sorted(ta - tb))}".strip()
    with_b = f"{common} {' '.join(sorted(tb - ta))}".strip()
    best = max(_prefix_ratio(common, with_a), _prefix_ratio(common, with_b)) if common else 0.0
    matcher = difflib.SequenceMatcher[str](None, with_a, with_b, autojunk=False)
    if matcher.quick_ratio() <= best:
        return best
    return max(best, matcher.ratio())


def _matcher(text: str) -> difflib.SequenceMatcher[str]:
    # SequenceMatcher indexes its second sequence; build it once per title and
    # compare many first sequences against it.
    return difflib.SequenceMatcher[str](None, "", text, autojunk=False)


def _similarity(
    a: str, b: str, need: float = 0.0, matcher: difflib.SequenceMatcher[str] | None = None
) -> float | None:
    """Mean of the sequence and token-set ratios; None when it cannot reach ``need``.

    ``matcher``, if given, must have ``b`` as its second sequence.
    """
    if a == b:
        return 1.0 if a else 0.0
    if not a or not b:
        return None if need > 0 else 0.0
    matcher = matcher or _matcher(b)
    matcher.set_seq1(a)
    # Cheap upper bounds first: most pairs of a large diff are far apart.
    if (1 + matcher.quick_ratio()) / 2 < need:
        return None
    sequence = matcher.ratio()
    if (1 + sequence) / 2 < need:
        return None
    return (_token_set_ratio(a, b) + sequence) / 2


def title_similarity(a: str, b: str) -> tuple[float, float]:
    """(similarity with accents, similarity without accents) of two titles, each 0..1."""
    exact = _similarity(normalise_title(a), normalise_title(b))
    ascii_ = _similarity(normalise_title(a, accents=False), normalise_title(b, accents=False))
    return exact or 0.0, ascii_ or 0.0


def _parent_match(
    a: Methodology, b: Methodology, a_id: str, b_id: str, paired: dict[str, str]
) -> str | None:
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
    norm_b = {
        i: (normalise_title(b.nodes[i].title), normalise_title(b.nodes[i].title, accents=False))
        for i in added
    }
    matchers = {i: (_matcher(exact), _matcher(plain)) for i, (exact, plain) in norm_b.items()}

    candidates: list[tuple[float, int, int, RenameProposal]] = []
    for ra, from_id in enumerate(removed):
        old = a.nodes[from_id]
        old_norm = normalise_title(old.title)
        old_ascii = normalise_title(old.title, accents=False)
        for rb, to_id in enumerate(added):
            new = b.nodes[to_id]
            # Structure first: it is cheap and says how similar the titles must be.
            parent = _parent_match(a, b, from_id, to_id, paired)
            signals = {
                "same_level": depth_a[from_id] == depth_b[to_id],
                "same_parent": parent is not None,
                "same_points": old.max_points == new.max_points,
            }
            structure = sum(_WEIGHTS[k] for k, v in signals.items() if v)
            factor = 1 - _STRUCTURE_SHARE + _STRUCTURE_SHARE * structure
            need = threshold / factor
            exact = _similarity(old_norm, norm_b[to_id][0], need, matchers[to_id][0])
            ascii_ = _similarity(
                old_ascii, norm_b[to_id][1], need / _ASCII_WEIGHT, matchers[to_id][1]
            )
            if exact is None and ascii_ is None:
                continue
            # The pair may qualify: give the reasons both similarities in full.
            exact = exact if exact is not None else _similarity(old_norm, norm_b[to_id][0]) or 0.0
            if ascii_ is None:
                ascii_ = _similarity(old_ascii, norm_b[to_id][1]) or 0.0
            score = max(exact, ascii_ * _ASCII_WEIGHT) * factor
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
