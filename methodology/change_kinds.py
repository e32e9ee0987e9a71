"""The words for what changed: kinds of change between two versions, and causes of a
change of index. Every report, chart, log and document reads its labels here.

Two tables, because they answer two questions. ``CHANGE_KINDS`` says how a node
differs between two versions of a methodology (`parindex diff`, the audit's count of
changes). ``CAUSES`` says why a unit's index moved: some causes *are* change kinds
(a criterion removed, re-weighted, …) and take their words from the kind, so one id
reads the same everywhere; the others are not changes to a node — the unit's own
performance, a parent's cap, the manifest's N/A policy or scale, the rounding of the
published indices — and exist only as causes. Each table is in the order reports list
it in.

Vietnamese labels follow the Ministry's words where it has them (the lists of changes
to the national index: "Tiêu chí mới", "Bãi bỏ", "Đổi tên") and are sentence case,
for headings and table cells alike.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "CAUSES",
    "CHANGE_KINDS",
    "KIND_IDS",
    "Cause",
    "ChangeKind",
    "cause",
    "cause_label",
    "cause_order",
    "change_kind",
]


@dataclass(frozen=True)
class ChangeKind:
    """One kind of change to a node between two versions.

    ``moves_points``: a change of this kind can change a unit's points or index; the
    others (names, codes, places, texts) never do, so an audit lists them at 0.
    """

    id: str
    en: str  # heading in the terminal report
    vi: str  # heading in published reports
    moves_points: bool


CHANGE_KINDS: tuple[ChangeKind, ...] = (
    ChangeKind("added", "Added", "Tiêu chí mới", True),
    ChangeKind("removed", "Removed", "Bãi bỏ", True),
    ChangeKind("renamed", "Renamed", "Đổi tên", False),
    ChangeKind("moved", "Moved", "Chuyển vị trí", False),
    ChangeKind("renumbered", "Renumbered", "Đánh số lại", False),
    ChangeKind("reweighted", "Reweighted", "Thay đổi điểm tối đa", True),
    ChangeKind("rule_changed", "Scoring rule changed", "Thay đổi cách chấm điểm", True),
    ChangeKind("inputs_changed", "Inputs changed", "Thay đổi dữ liệu đầu vào", True),
    ChangeKind("guidance_changed", "Guidance changed", "Thay đổi hướng dẫn", False),
    ChangeKind("source_changed", "Source changed", "Thay đổi căn cứ", False),
    ChangeKind(
        "applicability_changed", "Applicability changed", "Thay đổi điều kiện áp dụng", True
    ),
    ChangeKind("assessed_by_changed", "Assessor changed", "Thay đổi hình thức đánh giá", True),
    ChangeKind("evidence_changed", "Evidence changed", "Thay đổi tài liệu kiểm chứng", False),
    ChangeKind("settings_changed", "Settings changed", "Thay đổi thiết lập", True),
)
KIND_IDS: tuple[str, ...] = tuple(k.id for k in CHANGE_KINDS)
_KINDS = {k.id: k for k in CHANGE_KINDS}


def change_kind(kind_id: str) -> ChangeKind:
    """The kind called ``kind_id`` (KeyError naming it and the known ones otherwise)."""
    try:
        return _KINDS[kind_id]
    except KeyError:
        known = ", ".join(KIND_IDS)
        raise KeyError(f"unknown change kind {kind_id!r}; kinds are: {known}") from None


@dataclass(frozen=True)
class Cause:
    """One cause a change of index is attributed to.

    ``kind`` is the change kind this cause is (its words come from it), or None for a
    cause that is not a change to a node.
    """

    id: str
    en: str
    vi: str
    kind: ChangeKind | None

    @property
    def moves_points(self) -> bool:
        return self.kind is None or self.kind.moves_points


def _of_kind(kind_id: str) -> Cause:
    k = _KINDS[kind_id]
    return Cause(k.id, k.en, k.vi, k)


CAUSES: tuple[Cause, ...] = (
    Cause("performance", "Performance", "Kết quả thực hiện của đơn vị", None),
    _of_kind("removed"),
    _of_kind("added"),
    _of_kind("reweighted"),
    _of_kind("rule_changed"),
    _of_kind("applicability_changed"),
    Cause("aggregation", "Cap of a parent", "Giới hạn điểm (cộng dồn)", None),
    Cause("policy_changed", "N/A policy changed", "Thay đổi cách xử lý không phát sinh", None),
    Cause("scale_changed", "Scale changed", "Thay đổi thang điểm", None),
    _of_kind("renamed"),
    _of_kind("moved"),
    Cause("rounding", "Rounding", "Làm tròn", None),
)
_CAUSES = {c.id: c for c in CAUSES}
_ORDER = {c.id: i for i, c in enumerate(CAUSES)}


def cause(cause_id: str) -> Cause:
    """The cause called ``cause_id`` (KeyError naming it and the known ones otherwise)."""
    try:
        return _CAUSES[cause_id]
    except KeyError:
        known = ", ".join(_CAUSES)
        raise KeyError(f"unknown cause {cause_id!r}; causes are: {known}") from None


def cause_label(cause_id: str) -> str:
    """The Vietnamese label of a cause; an unknown id (from a document made elsewhere)
    is shown as it is."""
    found = _CAUSES.get(cause_id)
    return found.vi if found is not None else cause_id


def cause_order(causes: Iterable[str]) -> list[str]:
    """``causes`` without repeats, in report order (unknown ones last, alphabetically)."""
    return sorted(set(causes), key=lambda c: (_ORDER.get(c, len(_ORDER)), c))
