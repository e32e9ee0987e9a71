"""Words for a diff: one-line summaries of rule changes, and the text and Markdown reports.

Summaries are for people who read the decision, not the YAML: conditions use the
display rendering (``ty_le ≥ 95%``) and numbers drop trailing zeros.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Any

from methodology.change_kinds import change_kind

if TYPE_CHECKING:
    from methodology.diff import Change, Diff, Endpoint
    from methodology.node import Applicability, Node, Requirements

__all__ = [
    "LEVEL_WORDS",
    "adjustment_changes",
    "applicability_change",
    "display",
    "evidence_change",
    "guidance_lines",
    "input_changes",
    "jsonable",
    "markdown_report",
    "number",
    "points",
    "scoring_changes",
    "text_report",
    "unified",
    "value",
]

LEVEL_WORDS = {1: "field", 2: "criterion", 3: "sub-criterion"}
PROPOSALS_HEADING = "Possible renames (confirm by adding `replaces`)"


# -- values ------------------------------------------------------------------------


def number(value: Decimal | int | float) -> str:
    """``2.50`` → ``2.5``, ``2.0`` → ``2``; never scientific notation."""
    d = Decimal(str(value)) if not isinstance(value, Decimal) else value
    if d == d.to_integral_value():
        return str(int(d))
    return format(d.normalize(), "f")


def points(value: Decimal) -> str:
    """``1 point``, ``2.5 points``."""
    return f"{number(value)} point" + ("" if value == 1 else "s")


def display(obj: Any) -> str:
    """How a rule value reads in a summary (expressions in display form)."""
    render = getattr(obj, "render", None)
    if callable(render):
        try:
            return str(render(style="display"))
        except TypeError:
            return str(render())
    if hasattr(obj, "to_dict") and not isinstance(obj, type):
        return value(obj.to_dict())
    if isinstance(obj, tuple | list) and obj and all(isinstance(x, tuple | list) for x in obj):
        return ", ".join("(" + ", ".join(display(y) for y in x) + ")" for x in obj)
    return value(obj)


def value(obj: Any) -> str:
    """Short text of a plain value; ``—`` for nothing."""
    if obj is None:
        return "—"
    if isinstance(obj, bool):
        return "yes" if obj else "no"
    if isinstance(obj, Decimal | int | float):
        return number(obj)
    if isinstance(obj, Enum):
        return str(obj.value)
    if isinstance(obj, dt.date):
        return obj.isoformat()
    if isinstance(obj, Mapping):
        return "{" + ", ".join(f"{k}: {value(v)}" for k, v in obj.items()) + "}"
    if isinstance(obj, list | tuple):
        return "[" + ", ".join(value(v) for v in obj) + "]"
    return str(obj)


def jsonable(obj: Any) -> Any:
    """Plain JSON data: Decimals as int or float, dates ISO, expressions as their text."""
    if isinstance(obj, Mapping):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [jsonable(v) for v in obj]
    if isinstance(obj, bool) or obj is None or isinstance(obj, int | float):
        return obj
    if isinstance(obj, Decimal):
        return int(obj) if obj == obj.to_integral_value() else float(obj)
    if isinstance(obj, Enum):
        return obj.value
    if isinstance(obj, str):
        return str(obj)
    if isinstance(obj, dt.date):
        return obj.isoformat()
    if hasattr(obj, "to_dict"):
        return jsonable(obj.to_dict())
    return str(obj)


# -- rule summaries ------------------------------------------------------------------


def _condition(tier: Any) -> str:
    condition = getattr(tier, "condition", None)
    return "otherwise" if condition is None else display(condition)


def _tier_pair(label: str, old: Any, new: Any) -> str | None:
    parts = []
    was, now = _condition(old), _condition(new)
    if getattr(old, "condition", None) != getattr(new, "condition", None):
        parts.append(f"{label}: {was} → {now}")
    if old.points != new.points:
        head = "points" if parts else f"{label} points"
        parts.append(f"{head} {number(old.points)} → {number(new.points)}")
    if getattr(old, "per", None) != getattr(new, "per", None):
        head = "per" if parts else f"{label} per"
        parts.append(f"{head} {display(old.per)} → {display(new.per)}")
    return ", ".join(parts) or None


def _tier_text(tier: Any) -> str:
    return f"{_condition(tier)} → {points(tier.points)}"


def tier_changes(old: Sequence[Any], new: Sequence[Any], noun: str = "tier") -> list[str]:
    """Per-tier differences: changed conditions or points, tiers added or removed."""
    out: list[str] = []
    if len(old) == len(new):
        for i, (was, now) in enumerate(zip(old, new, strict=True), start=1):
            text = _tier_pair(f"{noun} {i}", was, now)
            if text:
                out.append(text)
        return out
    # Different counts: align the unchanged tiers, then pair what is left in place.
    keys_old = [(_condition(t), t.points) for t in old]
    keys_new = [(_condition(t), t.points) for t in new]
    matcher = difflib.SequenceMatcher(None, keys_old, keys_new, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        common = min(i2 - i1, j2 - j1)
        for k in range(common):
            text = _tier_pair(f"{noun} {j1 + k + 1}", old[i1 + k], new[j1 + k])
            if text:
                out.append(text)
        for k in range(i1 + common, i2):
            out.append(f"{noun} {k + 1} removed ({_tier_text(old[k])})")
        for k in range(j1 + common, j2):
            out.append(f"{noun} {k + 1} added ({_tier_text(new[k])})")
    out.insert(0, f"{len(old)} → {len(new)} {noun}s")
    return out


def scoring_changes(old: Any, new: Any) -> list[str]:
    """What changed in a node's scoring rule, as short phrases."""
    if old is None:
        return [f"scoring added ({new.kind})"]
    if new is None:
        return [f"scoring removed (was {old.kind})"]
    if old.kind != new.kind:
        return [f"{old.kind} → {new.kind}"]
    if hasattr(old, "tiers") and hasattr(new, "tiers"):
        return tier_changes(tuple(old.tiers), tuple(new.tiers))
    return _field_changes(old, new)


def _field_changes(old: Any, new: Any, prefix: str = "") -> list[str]:
    # Which keys changed comes from the canonical mappings; how to show them from the
    # objects, whose expressions know how to render for people.
    was, now = old.to_dict(), new.to_dict()
    out = []
    for key in [*was, *(k for k in now if k not in was)]:
        if key == "kind" or was.get(key) == now.get(key):
            continue
        a = getattr(old, key, was.get(key))
        b = getattr(new, key, now.get(key))
        show = _FIELD_FORMAT.get(key, display)
        out.append(f"{prefix}{key}: {show(a)} → {show(b)}")
    return out


def _thresholds(rows: Any) -> str:
    return "[" + ", ".join(f"at {number(at)}: {number(p)}" for at, p in rows) + "]"


def _boolean_points(points: Any) -> str:
    # A boolean rule without points gives the node's maximum.
    return "max" if points is None else number(points)


_FIELD_FORMAT = {"thresholds": _thresholds, "points": _boolean_points}


def adjustment_changes(name: str, old: Any, new: Any) -> list[str]:
    """What changed in a bonus or penalty."""
    if old is None:
        return [f"{name} added (cap {display(getattr(new, 'cap', None))})"]
    if new is None:
        return [f"{name} removed"]
    out = []
    if getattr(old, "cap", None) != getattr(new, "cap", None):
        out.append(f"{name} cap {display(old.cap)} → {display(new.cap)}")
    was_rules, now_rules = tuple(getattr(old, "rules", ())), tuple(getattr(new, "rules", ()))
    if [_dict(r) for r in was_rules] != [_dict(r) for r in now_rules]:
        if all(hasattr(r, "points") for r in (*was_rules, *now_rules)):
            out += tier_changes(was_rules, now_rules, noun=f"{name} rule")
        else:
            out.append(f"{name} rules changed")
    return out or [f"{name} changed"]


def _dict(obj: Any) -> Any:
    return obj.to_dict() if hasattr(obj, "to_dict") else obj


def input_changes(
    ids: Sequence[str], was: Mapping[str, dict[str, Any]], now: Mapping[str, dict[str, Any]]
) -> list[str]:
    """Inputs added, removed, retyped, relabelled or rebounded."""
    out = []
    for key in ids:
        if key not in was:
            out.append(f"added {key} ({now[key]['type']}, “{now[key]['label']}”)")
        elif key not in now:
            out.append(f"removed {key}")
        else:
            a, b = was[key], now[key]
            parts = []
            for field in [*a, *(f for f in b if f not in a)]:
                if a.get(field) == b.get(field):
                    continue
                if field in ("label", "label_en"):
                    parts.append(f"{field} “{a.get(field) or '—'}” → “{b.get(field) or '—'}”")
                else:
                    parts.append(f"{field} {value(a.get(field))} → {value(b.get(field))}")
            out.append(f"{key}: " + ", ".join(parts))
    return out


def applicability_change(
    old: Applicability, new: Applicability
) -> tuple[str, dict[str, Any], dict[str, Any], str]:
    """(kind, before, after, summary) for changed applicability."""
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    parts = []
    if old.allow_not_applicable != new.allow_not_applicable:
        before["allow_not_applicable"] = old.allow_not_applicable
        after["allow_not_applicable"] = new.allow_not_applicable
        parts.append(
            f"“not applicable” allowed {value(old.allow_not_applicable)} → "
            f"{value(new.allow_not_applicable)}"
        )
    if old.not_applicable_when != new.not_applicable_when:
        was, now = old.not_applicable_when, new.not_applicable_when
        before["not_applicable_when"] = None if was is None else was.render()
        after["not_applicable_when"] = None if now is None else now.render()
        parts.append(f"not applicable when {display(was)} → {display(now)}")
    return "applicability_changed", before, after, "; ".join(parts) or "applicability changed"


def evidence_change(old: Node, new: Node) -> str:
    """Evidence documents added or removed (or otherwise changed)."""
    was = [e.title for e in old.evidence]
    now = [e.title for e in new.evidence]
    parts = [f"evidence added “{t}”" for t in now if t not in was]
    parts += [f"evidence removed “{t}”" for t in was if t not in now]
    if old.requires != new.requires:
        parts.append(
            f"required before submit: {_required(old.requires)} → {_required(new.requires)}"
        )
    return "; ".join(parts) or "evidence requirements changed"


def _required(requires: Requirements) -> str:
    parts = ["evidence (or an explanation)"] if requires.evidence else []
    parts += [f"an explanation {_OCCASIONS[w]}" for w in requires.explanation]
    return ", ".join(parts) or "nothing"


_OCCASIONS = {"not_applicable": "when not applicable", "always": "always"}


def guidance_lines(text: str) -> list[str]:
    """Guidance lines as compared: trailing spaces and surrounding blank lines dropped."""
    return [line.rstrip() for line in text.strip("\n").splitlines()] if text.strip() else []


def unified(old: list[str], new: list[str]) -> list[str]:
    """Unified diff hunks (one line of context), without the file header lines."""
    lines = list(difflib.unified_diff(old, new, n=1, lineterm=""))
    return lines[2:]


# -- reports -------------------------------------------------------------------------


def _endpoint(end: Endpoint) -> str:
    text = f"{end.methodology}@{end.ref}" if end.ref else end.methodology
    return f"{text} ({end.commit[:7]})" if end.commit else text


def text_report(d: Diff) -> str:
    """The terminal report: a heading per kind, one line per change."""
    if d.is_empty:
        return "No differences."
    n = len(d.changes)
    lines = [f"{_endpoint(d.source)} → {_endpoint(d.target)}: {n} change{'s' if n != 1 else ''}"]
    for kind, changes in d.by_kind().items():
        label = change_kind(kind).en
        width = max(len(c.code) for c in changes)
        lines += ["", f"{label} ({len(changes)})"]
        lines += [f"  {c.code:<{width}}  {c.title} — {c.summary}" for c in changes]
    if d.proposals:
        lines += ["", f"{PROPOSALS_HEADING} ({len(d.proposals)})"]
        for p in d.proposals:
            lines.append(
                f"  {p.score:.2f}  {p.from_code} {p.from_title} → {p.to_code} {p.to_title}"
                f"  [add `replaces: [{p.from_id}]` to {p.to_id}]"
            )
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], align: str = "") -> list[str]:
    marks = [("---:" if a == "r" else "---") for a in align.ljust(len(header), "l")]
    out = ["| " + " | ".join(header) + " |", "| " + " | ".join(marks) + " |"]
    out += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return out


def _version_cells(end: Endpoint) -> list[str]:
    return [
        f"`{end.methodology}`",
        f"`{end.ref}`" if end.ref else "—",
        f"`{end.commit[:10]}`" if end.commit else "—",
    ]


def markdown_report(d: Diff) -> str:
    """A publishable report: versions, counts per kind, then a table per kind."""
    name = d.target.methodology
    lines = [f"# Thay đổi phương pháp đánh giá: {name}", ""]
    lines += _table(
        ["", "Phương pháp", "Phiên bản", "Commit"],
        [["Từ (from)", *_version_cells(d.source)], ["Đến (to)", *_version_cells(d.target)]],
    )
    lines.append("")
    if d.is_empty:
        lines.append("No differences.")
        return "\n".join(lines)
    counts = d.counts
    rows = [[f"{change_kind(k).vi} ({k})", str(n)] for k, n in counts.items()]
    rows.append(["**Tổng cộng (total)**", f"**{sum(counts.values())}**"])
    lines += ["## Tóm tắt (summary)", ""]
    lines += _table(["Loại thay đổi", "Số lượng"], rows, align="lr")
    for kind, changes in d.by_kind().items():
        words = change_kind(kind)
        lines += ["", f"## {words.vi} — {words.en} ({len(changes)})", ""]
        lines += _table(
            ["Mã", "Tiêu chí", "Thay đổi"], [[c.code, c.title, c.summary] for c in changes]
        )
        if kind == "guidance_changed":
            lines += _guidance_blocks(changes)
    if d.proposals:
        lines += ["", f"## {PROPOSALS_HEADING}", ""]
        rows = [
            [
                f"{p.score:.2f}",
                f"{p.from_code} {p.from_title}",
                f"{p.to_code} {p.to_title}",
                f"`replaces: [{p.from_id}]` in `{p.to_id}`",
            ]
            for p in d.proposals
        ]
        lines += _table(["Điểm tương đồng", "Cũ (from)", "Mới (to)", "Xác nhận"], rows, align="r")
    return "\n".join(lines)


def _guidance_blocks(changes: Sequence[Change]) -> list[str]:
    out: list[str] = []
    for c in changes:
        body = c.after.get("diff", [])
        # A fence longer than any backtick run in the guidance keeps its code blocks inside.
        longest = max((len(run) for line in body for run in re.findall(r"`+", line)), default=0)
        fence = "`" * max(3, longest + 1)
        out += ["", f"### {c.code} {c.title}", "", f"{fence}diff", *body, fence]
    return out
