"""Levels of the units evaluated, and how units succeed one another (merge, split,
rename, abolish) — defined once, read by the server's registry and the bundled data.

A level's key is the word the cohorts and `Unit.level` store ("tỉnh", "sở", …); its
label is the name people read. The district level (huyện) ended on 1 July 2025, when
local government became two-level; a level's `until` says so.

Identity across a succession: a unit id names one legal entity for as long as it
exists. A merger makes a new unit — even when it keeps the name of the first province
merged (Đắk Lắk from 1 July 2025 is `dak-lak-2025`, successor of `dak-lak` and
`phu-yen`) — so a series never runs through a merger as if nothing had happened. A
unit left unchanged keeps its id, and its series is continuous.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from methodology._yaml import yaml_load
from methodology.catalog import bundled_root
from methodology.errors import FormatError

__all__ = [
    "COMBINATION_RULES",
    "LEVELS",
    "SUCCESSION_KINDS",
    "Level",
    "SuccessionEvent",
    "check_event",
    "combine",
    "level_of",
    "load_succession",
]


@dataclass(frozen=True)
class Level:
    key: str
    label: str
    until: dt.date | None = None  # the day the level ceased to exist


LEVELS: tuple[Level, ...] = (
    Level("tỉnh", "Tỉnh, thành phố trực thuộc Trung ương"),
    Level("sở", "Sở, ban, ngành (cơ quan chuyên môn thuộc UBND tỉnh)"),
    Level("huyện", "Huyện, quận, thị xã, thành phố thuộc tỉnh", until=dt.date(2025, 7, 1)),
    Level("xã", "Xã, phường, đặc khu"),
    Level("bộ", "Bộ, cơ quan ngang bộ"),
    Level("đơn vị", "Đơn vị thuộc bộ"),
)
_BY_KEY = {level.key: level for level in LEVELS}

# kind -> (label, predecessors allowed (min, max), successors allowed (min, max))
SUCCESSION_KINDS: Mapping[str, tuple[str, tuple[int, int], tuple[int, int]]] = {
    "merge": ("hợp nhất, sáp nhập", (2, 1000), (1, 1)),
    "split": ("chia tách", (1, 1), (2, 1000)),
    "rename": ("đổi tên đơn vị", (1, 1), (1, 1)),
    "abolish": ("giải thể, chấm dứt hoạt động", (1, 1000), (0, 1000)),
}

# A rule combining predecessors' indices into one number, named in every output using it.
COMBINATION_RULES: Mapping[str, str] = {
    "mean": "trung bình cộng giản đơn chỉ số của các đơn vị tiền nhiệm",
}


def level_of(key: str) -> Level:
    """The level stored as ``key`` (NFC); KeyError naming the known keys."""
    found = _BY_KEY.get(unicodedata.normalize("NFC", key))
    if found is None:
        raise KeyError(f"unknown level {key!r}; one of: {', '.join(_BY_KEY)}")
    return found


def combine(rule: str, values: Sequence[Decimal]) -> Decimal | None:
    """Predecessors' indices as one number by ``rule`` (a key of `COMBINATION_RULES`);
    None when a value is missing, since a mean of some predecessors is another number."""
    if rule not in COMBINATION_RULES:
        raise KeyError(f"unknown combination rule {rule!r}")
    if not values:
        return None
    return (sum(values, Decimal(0)) / len(values)).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class SuccessionEvent:
    kind: str
    effective: dt.date
    basis: str
    predecessors: tuple[str, ...]
    successors: tuple[str, ...]
    note: str = ""
    sources: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "effective": self.effective.isoformat(),
            "basis": self.basis,
            "predecessors": list(self.predecessors),
            "successors": list(self.successors),
            "note": self.note,
            "sources": list(self.sources),
        }


def load_succession(root: Path | None = None) -> list[SuccessionEvent]:
    """The succession events of `bundled/succession.yaml`, groups flattened, checked
    (kinds, counts, dates); a `FormatError` names the file and the entry."""
    path = (root or bundled_root()) / "succession.yaml"
    data = yaml_load(path.read_text(encoding="utf-8")) or {}
    events: list[SuccessionEvent] = []
    for g, group in enumerate(data.get("groups") or []):
        for e, entry in enumerate(group.get("events") or []):
            where = f"{path.name}: groups[{g}].events[{e}]"
            event = SuccessionEvent(
                kind=entry.get("kind", ""),
                effective=_date(entry.get("effective", group.get("effective")), where),
                basis=str(entry.get("basis", group.get("basis", ""))),
                predecessors=tuple(_ids(entry.get("from"))),
                successors=tuple(_ids(entry.get("to"))),
                note=str(entry.get("note", group.get("note", "")) or ""),
                sources=tuple(group.get("sources") or ()),
            )
            problem = check_event(event.kind, event.predecessors, event.successors)
            if problem:
                raise FormatError(f"{where}: {problem}")
            events.append(event)
    return events


def check_event(kind: str, predecessors: Sequence[str], successors: Sequence[str]) -> str | None:
    """What is wrong with an event of ``kind`` between these units, or None."""
    if kind not in SUCCESSION_KINDS:
        return f"kind {kind!r} is not one of {', '.join(SUCCESSION_KINDS)}"
    _, (pmin, pmax), (smin, smax) = SUCCESSION_KINDS[kind]
    if not pmin <= len(predecessors) <= pmax:
        return f"a {kind} has {_count(pmin, pmax)} predecessor(s), not {len(predecessors)}"
    if not smin <= len(successors) <= smax:
        return f"a {kind} has {_count(smin, smax)} successor(s), not {len(successors)}"
    if len(set(predecessors)) != len(predecessors) or len(set(successors)) != len(successors):
        return "a unit is listed twice"
    if set(predecessors) & set(successors) and kind != "split":
        return "a unit cannot succeed itself"
    return None


def _count(low: int, high: int) -> str:
    return str(low) if low == high else f"at least {low}"


def _ids(value: Any) -> Iterable[str]:
    if value is None:
        return []
    return [str(v) for v in (value if isinstance(value, list) else [value])]


def _date(value: Any, where: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise FormatError(f"{where}: effective {value!r} is not a date (yyyy-mm-dd)") from None
