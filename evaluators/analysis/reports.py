"""Markdown reports of audits and trends, in Vietnamese, for auditors and the public."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from evaluators.analysis.attribution import SKIP_REASONS, Skipped
from evaluators.analysis.labels import CAUSE_LABELS, vn

if TYPE_CHECKING:
    from evaluators.analysis.audit import Audit
    from evaluators.analysis.trend import Trend

__all__ = ["audit_markdown", "audit_text", "trend_markdown", "trend_text"]

_KIND_LABELS = {
    "added": "thêm mới",
    "removed": "bãi bỏ",
    "renamed": "đổi tên",
    "moved": "chuyển vị trí",
    "renumbered": "đổi số thứ tự",
    "reweighted": "thay đổi điểm tối đa",
    "rule_changed": "thay đổi cách chấm",
    "inputs_changed": "thay đổi dữ liệu đầu vào",
    "guidance_changed": "thay đổi hướng dẫn",
    "source_changed": "thay đổi căn cứ",
    "applicability_changed": "thay đổi điều kiện áp dụng",
    "assessed_by_changed": "thay đổi hình thức đánh giá",
    "evidence_changed": "thay đổi tài liệu kiểm chứng",
    "settings_changed": "thay đổi thiết lập",
}


def _version(v: Mapping[str, Any]) -> str:
    commit = (v.get("commit") or "")[:10]
    return f"{v['label']} (`{v['methodology']}@{v.get('ref') or commit}`, commit `{commit}`)"


def _source(text: str | None) -> str:
    if not text:
        return "do người dùng cung cấp"
    if text.startswith("bundled samples "):
        return "hồ sơ mẫu đóng gói (" + text.removeprefix("bundled samples ") + ")"
    return f"`{text}`"


def _cell(text: str | None) -> str:
    return (text or "").replace("|", "\\|").replace("\n", " ")


def _rank(r: int | None) -> str:
    return "—" if r is None else str(r)


def _move(change: int | None) -> str:
    if change is None:
        return "—"
    if change > 0:
        return f"↑{change}"
    return f"↓{-change}" if change < 0 else "="


def _top_causes(attribution, n: int = 2) -> str:
    ranked = sorted(
        (e for e in attribution if e.amount and e.node is not None),
        key=lambda e: -abs(e.amount),
    )[:n]
    return "; ".join(
        f"{CAUSE_LABELS.get(e.cause, e.cause)} {e.code} ({vn(e.amount, sign=True)})" for e in ranked
    )


def _charts(charts: Mapping[str, str], names: Mapping[str, str]) -> list[str]:
    out = []
    for key, caption in names.items():
        if key in charts:
            out += [f"![{caption}]({charts[key]})", ""]
    return out


_VERSION_NAMES = {"from": "phiên bản trước", "to": "phiên bản sau"}
# Skipped steps shown per reason in text and Markdown; the JSON lists every one.
_SHOWN = 10


def _skipped_markdown(skipped: list[Skipped]) -> list[str]:
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
                f"- **{_cell(s.unit) or 'toàn bộ'}**"
                + (f" ({', '.join(where)})" if where else "")
                + f": {_cell(s.message)}"
            )
        if len(group) > _SHOWN:
            lines.append(f"- … và {len(group) - _SHOWN} mục khác (bản JSON, khoá `skipped`)")
        lines.append("")
    return lines[:-1]


def _skipped_text(skipped: list[Skipped]) -> list[str]:
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


def audit_markdown(audit: Audit, charts: Mapping[str, str]) -> str:
    """The audit as a Markdown document (no trailing newline)."""
    complete = [u for u in audit.units if u.complete]
    q = audit.quantum
    lines = [
        "# So sánh điểm Chỉ số CCHC giữa hai phiên bản bộ chỉ số",
        "",
        f"- Phiên bản trước: {_version(audit.source)}",
        f"- Phiên bản sau: {_version(audit.target)}",
        f"- Hồ sơ tự đánh giá: {_source(audit.submissions.get('source'))} "
        f"— {len(audit.units)} đơn vị, {len(complete)} đủ dữ liệu để so sánh",
        "",
        "Mỗi hồ sơ được chấm theo cả hai phiên bản (dữ liệu được chuyển qua các tiêu chí "
        "kế thừa nhau — cùng mã định danh hoặc khai báo `replaces`). Chênh lệch chỉ số của "
        "từng đơn vị được phân bổ cho từng nguyên nhân và từng tiêu chí; tổng các khoản "
        "bằng đúng chênh lệch đã làm tròn, phần do làm tròn hai chỉ số ghi riêng là "
        "“Làm tròn”.",
        "",
    ]
    lines += _charts(charts, {"slope": "Thay đổi thứ hạng", "waterfall": "Phân tích chênh lệch"})
    if audit.changes:
        lines += ["## Thay đổi của bộ chỉ số", "", "| Loại thay đổi | Số tiêu chí |", "|---|---:|"]
        lines += [f"| {_KIND_LABELS.get(k, k)} | {n} |" for k, n in audit.changes.items()]
        lines.append("")
    lines += [
        "## Chênh lệch theo nguyên nhân",
        "",
        "| Nguyên nhân | Tổng trên các đơn vị | Bình quân mỗi đơn vị |",
        "|---|---:|---:|",
    ]
    for cause, total in audit.by_cause().items():
        mean = total / len(complete) if complete else Decimal(0)
        lines.append(
            f"| {CAUSE_LABELS.get(cause, cause)} | {vn(total, q, sign=True)} "
            f"| {vn(mean, q, sign=True)} |"
        )
    lines += [
        "",
        "## Kết quả theo đơn vị",
        "",
        "| Đơn vị | Chỉ số trước | Chỉ số sau | Chênh lệch | Hạng trước | Hạng sau "
        "| Thay đổi hạng | Nguyên nhân chính |",
        "|---|---:|---:|---:|---:|---:|:---:|---|",
    ]
    for u in audit.units:
        if not u.complete:
            continue
        lines.append(
            f"| {_cell(u.unit_name)} | {vn(u.index_from)} | {vn(u.index_to)} "
            f"| {vn(u.delta, sign=True)} | {_rank(u.rank_from)} | {_rank(u.rank_to)} "
            f"| {_move(u.rank_change)} | {_cell(_top_causes(u.attribution))} |"
        )
    rows = [r for r in audit.by_node() if r["node"] is not None and r["mean"]][:15]
    if rows:
        lines += [
            "",
            "## Tiêu chí ảnh hưởng nhiều nhất (bình quân mỗi đơn vị)",
            "",
            "| Mã | Tiêu chí | Nguyên nhân | Bình quân | Thấp nhất | Cao nhất |",
            "|---|---|---|---:|---:|---:|",
        ]
        lines += [
            f"| {r['code']} | {_cell(r['title'])} | {CAUSE_LABELS.get(r['cause'], r['cause'])} "
            f"| {vn(r['mean'], q, sign=True)} | {vn(r['min'], q, sign=True)} "
            f"| {vn(r['max'], q, sign=True)} |"
            for r in rows
        ]
    incomplete = [u for u in audit.units if not u.complete]
    if incomplete:
        lines += ["", "## Đơn vị chưa đủ dữ liệu để so sánh", ""]
        for u in incomplete:
            lines.append(f"- **{u.unit_name}** (kỳ {u.period}):")
            lines += [
                f"  - phiên bản {'trước' if p['version'] == 'from' else 'sau'}: {p['message']} "
                f"(`{p['path']}`)"
                for p in u.missing
            ]
    filled = sum(1 for u in audit.units if u.filled)
    if filled:
        lines += [
            "",
            f"Ghi chú: {filled} đơn vị được bổ sung dữ liệu của chính đơn vị ở kỳ khác cho các "
            "tiêu chí mà hồ sơ không có (danh sách trong bản JSON, khoá `filled`).",
        ]
    lines += _skipped_markdown(audit.skipped)
    return "\n".join(lines)


def trend_markdown(trend: Trend, charts: Mapping[str, str]) -> str:
    """The year-over-year analysis as a Markdown document (no trailing newline)."""
    complete = [u for u in trend.units if u.complete]
    lines = [
        "# Biến động Chỉ số CCHC giữa hai kỳ, đã tách ảnh hưởng của thay đổi bộ chỉ số",
        "",
        f"- Kỳ trước chấm theo: {_version(trend.source)}",
        f"- Kỳ sau chấm theo: {_version(trend.target)}",
        "",
        "Ảnh hưởng của bộ chỉ số = chỉ số kỳ sau theo phiên bản mới − chỉ số của cùng hồ sơ "
        "kỳ sau chấm theo phiên bản cũ; phần còn lại là kết quả thực hiện của đơn vị.",
        "",
    ]
    lines += _charts(charts, {"waterfall": "Phân tích biến động"})
    lines += [
        "| Đơn vị | Chỉ số kỳ trước | Chỉ số kỳ sau | Chênh lệch | Do bộ chỉ số "
        "| Do kết quả thực hiện | Làm tròn | Hạng trước | Hạng sau |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for u in complete:
        lines.append(
            f"| {_cell(u.unit_name)} | {vn(u.index_from)} | {vn(u.index_to)} "
            f"| {vn(u.delta, sign=True)} "
            f"| {vn(u.effect('performance', 'rounding', exclude=True), 4, sign=True)} "
            f"| {vn(u.effect('performance'), 4, sign=True)} "
            f"| {vn(u.effect('rounding'), 4, sign=True)} "
            f"| {_rank(u.rank_from)} | {_rank(u.rank_to)} |"
        )
    incomplete = [u for u in trend.units if not u.complete]
    if incomplete:
        lines += ["", "## Đơn vị chưa đủ dữ liệu", ""]
        lines += [
            f"- **{u.unit_name}**: " + "; ".join(p["message"] for p in u.missing)
            for u in incomplete
        ]
    lines += _skipped_markdown(trend.skipped)
    return "\n".join(lines)


def _table(header: list[str], rows: list[list[str]], right: set[int]) -> list[str]:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(row: list[str]) -> str:
        cells = [
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        return "  ".join(cells).rstrip()

    return [line(header), *[line(r) for r in rows]]


def _versions_line(source: Mapping[str, Any], target: Mapping[str, Any]) -> str:
    return (
        f"from {source['methodology']}@{source.get('ref')} ({source['label']})"
        f" to {target['methodology']}@{target.get('ref')} ({target['label']})"
    )


def _row_start(u: Any) -> list[str]:
    """Rank, name, indices and delta: the first columns of a unit's line."""
    return [
        _rank(u.rank_to),
        u.unit_name,
        vn(u.index_from),
        vn(u.index_to),
        vn(u.delta, sign=True),
    ]


def audit_text(audit: Audit) -> str:
    """The audit for a terminal: versions, per-cause totals, then one line per unit."""
    q = audit.quantum
    lines = [
        _versions_line(audit.source, audit.target),
        f"{len(audit.units)} units, {sum(u.complete for u in audit.units)} complete"
        + (f" ({audit.submissions['source']})" if audit.submissions.get("source") else ""),
        "",
    ]
    lines += [
        f"  {cause:<22} {vn(total, q, sign=True):>12}" for cause, total in audit.by_cause().items()
    ]
    lines.append("")
    rows = []
    for u in audit.units:
        if u.complete:
            rows.append(
                [
                    *_row_start(u),
                    f"{_rank(u.rank_from)}→{_rank(u.rank_to)}",
                    _top_causes(u.attribution, 1),
                ]
            )
        else:
            rows.append(
                [
                    "—",
                    u.unit_name,
                    "",
                    "",
                    "",
                    "",
                    "incomplete: " + "; ".join(p["message"] for p in u.missing[:2]),
                ]
            )
    lines += _table(
        ["rank", "unit", "from", "to", "delta", "rank", "main cause"], rows, {0, 2, 3, 4}
    )
    lines += _skipped_text(audit.skipped)
    return "\n".join(lines)


def trend_text(trend: Trend) -> str:
    """The trend for a terminal: one line per unit with the two effects."""
    lines = [
        _versions_line(trend.source, trend.target),
        "",
    ]
    rows = []
    for u in trend.units:
        if u.complete:
            rows.append(
                [
                    *_row_start(u),
                    vn(u.effect("performance", "rounding", exclude=True), 4, sign=True),
                    vn(u.effect("performance"), 4, sign=True),
                ]
            )
        else:
            rows.append(["—", u.unit_name, "", "", "", "", "incomplete"])
    lines += _table(
        ["rank", "unit", "from", "to", "delta", "methodology", "performance"],
        rows,
        {0, 2, 3, 4, 5, 6},
    )
    lines += _skipped_text(trend.skipped)
    return "\n".join(lines)
