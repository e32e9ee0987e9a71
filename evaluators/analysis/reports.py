"""The pieces the reports of audits and trends share (tables, versions, ranks, skipped
steps), in Vietnamese, for auditors and the public; each analysis renders itself with
them (`Audit.to_markdown`, `Trend.to_markdown`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from evaluators.analysis.attribution import SKIP_REASONS, Skipped
from evaluators.analysis.labels import vn
from methodology import cause_label

__all__ = [
    "cell",
    "chart_lines",
    "move_text",
    "rank_text",
    "row_start",
    "skipped_markdown",
    "skipped_text",
    "source_name",
    "table",
    "top_causes",
    "version_name",
    "versions_line",
]


def version_name(v: Mapping[str, Any]) -> str:
    commit = (v.get("commit") or "")[:10]
    return f"{v['label']} (`{v['methodology']}@{v.get('ref') or commit}`, commit `{commit}`)"


def source_name(text: str | None) -> str:
    if not text:
        return "do người dùng cung cấp"
    if text.startswith("bundled samples "):
        return "hồ sơ mẫu đóng gói (" + text.removeprefix("bundled samples ") + ")"
    return f"`{text}`"


def cell(text: str | None) -> str:
    return (text or "").replace("|", "\\|").replace("\n", " ")


def rank_text(r: int | None) -> str:
    return "—" if r is None else str(r)


def move_text(change: int | None) -> str:
    if change is None:
        return "—"
    if change > 0:
        return f"↑{change}"
    return f"↓{-change}" if change < 0 else "="


def top_causes(attribution, n: int = 2) -> str:
    ranked = sorted(
        (e for e in attribution if e.amount and e.node is not None),
        key=lambda e: -abs(e.amount),
    )[:n]
    return "; ".join(f"{cause_label(e.cause)} {e.code} ({vn(e.amount, sign=True)})" for e in ranked)


def chart_lines(charts: Mapping[str, str], names: Mapping[str, str]) -> list[str]:
    out = []
    for key, caption in names.items():
        if key in charts:
            out += [f"![{caption}]({charts[key]})", ""]
    return out


_VERSION_NAMES = {"from": "phiên bản trước", "to": "phiên bản sau"}
# Skipped steps shown per reason in text and Markdown; the JSON lists every one.
_SHOWN = 10


def skipped_markdown(skipped: list[Skipped]) -> list[str]:
    """What was left out, by reason, one line each (nothing when nothing was)."""
    if not skipped:
        return []
    lines = ["", "## Các bước bị bỏ qua", ""]
    for reason, label in SKIP_REASONS.items():
        group = [s for s in skipped if s.reason == reason]
        if not group:
            continue
        lines += [f"**{label}** (`{reason}`, {len(group)}):", ""]
        for s in group[:_SHOWN]:
            where = [
                w
                for w in (
                    _VERSION_NAMES.get(s.version or ""),
                    f"kỳ {s.period}" if s.period else None,
                    f"`{s.node}`" if s.node else None,
                )
                if w
            ]
            lines.append(
                f"- **{cell(s.unit) or 'toàn bộ'}**"
                + (f" ({', '.join(where)})" if where else "")
                + f": {cell(s.message)}"
            )
        if len(group) > _SHOWN:
            lines.append(f"- … và {len(group) - _SHOWN} mục khác (bản JSON, khoá `skipped`)")
        lines.append("")
    return lines[:-1]


def skipped_text(skipped: list[Skipped]) -> list[str]:
    if not skipped:
        return []
    lines = ["", f"skipped: {len(skipped)}"]
    for reason in SKIP_REASONS:
        group = [s for s in skipped if s.reason == reason]
        for s in group[:_SHOWN]:
            where = " ".join(x for x in (s.unit, s.node, s.version, s.period) if x)
            lines.append(f"  ! {s.reason} {where}: {s.message}")
        if len(group) > _SHOWN:
            lines.append(f"  ! {reason}: {len(group) - _SHOWN} more (--format json lists them)")
    return lines


def table(header: list[str], rows: list[list[str]], right: set[int]) -> list[str]:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(row: list[str]) -> str:
        cells = [
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        return "  ".join(cells).rstrip()

    return [line(header), *[line(r) for r in rows]]


def versions_line(source: Mapping[str, Any], target: Mapping[str, Any]) -> str:
    return (
        f"from {source['methodology']}@{source.get('ref')} ({source['label']})"
        f" to {target['methodology']}@{target.get('ref')} ({target['label']})"
    )


def row_start(u: Any) -> list[str]:
    """Rank, name, indices and delta: the first columns of a unit's line."""
    return [
        rank_text(u.rank_to),
        u.unit_name,
        vn(u.index_from),
        vn(u.index_to),
        vn(u.delta, sign=True),
    ]
