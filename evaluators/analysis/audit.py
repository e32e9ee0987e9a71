"""Comparing two methodology versions on the same submissions, with every point of
difference attributed to a cause and a node.

Each submission is scored under both versions (inputs carried across through node
lineage and identical input ids). Per unit: total, index and rank under each version,
the delta of index, and the attribution of the delta to removed, added, re-weighted
and re-ruled nodes, applicability and N/A-policy changes, caps, and the rounding of
the published indices; renamed and moved nodes are listed with no effect. The amounts
sum exactly to the delta (see `evaluators.analysis.attribution`). A unit that lacks inputs one
version needs is reported incomplete, with the inputs, never scored as 0.

Example: ``audit(build_program(v2019), build_program(v2022), submissions).to_json()``
(`parindex audit` and `POST /api/audits` call it).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

from evaluators.analysis.attribution import (
    Entry,
    Scored,
    Skipped,
    VersionPair,
    entries,
    find_unit,
    index_exact,
    ranks,
    sort_notes,
    to_index,
)
from evaluators.analysis.labels import number, vn
from evaluators.analysis.progress import Progress, Steps
from evaluators.analysis.reports import (
    cell,
    chart_lines,
    move_text,
    rank_text,
    row_start,
    skipped_markdown,
    skipped_text,
    source_name,
    table,
    top_causes,
    version_name,
    versions_line,
)
from evaluators.errors import EvaluatorError
from evaluators.program import Program
from evaluators.scoring.ranking import vietnamese_key
from evaluators.submission import Submission
from methodology import Versions, cause_label, cause_order, change_kind

__all__ = ["Audit", "Skipped", "UnitAudit", "VersionPair", "audit"]


@dataclass
class UnitAudit:
    """One unit compared under two versions."""

    unit: str
    unit_name: str
    period: str
    complete: bool
    ranked: bool
    total_from: Decimal | None = None
    total_to: Decimal | None = None
    index_from: Decimal | None = None
    index_to: Decimal | None = None
    delta: Decimal | None = None
    rank_from: int | None = None
    rank_to: int | None = None
    attribution: list[Entry] = field(default_factory=list)
    missing: list[dict[str, Any]] = field(default_factory=list)
    filled: list[dict[str, Any]] = field(default_factory=list)
    notes: list[dict[str, Any]] = field(default_factory=list)

    @property
    def rank_change(self) -> int | None:
        """Places gained (positive) or lost between the two versions."""
        if self.rank_from is None or self.rank_to is None:
            return None
        return self.rank_from - self.rank_to

    def to_json(self) -> dict[str, Any]:
        return {
            "unit": self.unit,
            "unit_name": self.unit_name,
            "period": self.period,
            "complete": self.complete,
            "ranked": self.ranked,
            "total_from": number(self.total_from),
            "total_to": number(self.total_to),
            "index_from": number(self.index_from),
            "index_to": number(self.index_to),
            "delta": number(self.delta),
            "rank_from": self.rank_from,
            "rank_to": self.rank_to,
            "rank_change": self.rank_change,
            "attribution": [e.to_json() for e in self.attribution],
            "missing": self.missing,
            "filled": self.filled,
            "notes": self.notes,
        }


@dataclass
class Audit:
    """The comparison of a cohort under two versions (`to_json`, `to_markdown`)."""

    source: dict[str, Any]
    target: dict[str, Any]
    submissions: dict[str, Any]
    units: list[UnitAudit]
    changes: dict[str, int]
    quantum: int  # decimals of the attributed amounts
    skipped: list[Skipped] = field(default_factory=list)

    def by_cause(self) -> dict[str, Decimal]:
        """Attributed amounts summed over the complete units, per cause."""
        sums: dict[str, Decimal] = defaultdict(Decimal)
        for u in self.units:
            for e in u.attribution:
                sums[e.cause] += e.amount
        return {c: sums[c] for c in cause_order(sums)}

    def by_node(self) -> list[dict[str, Any]]:
        """Per (cause, node): the mean, smallest and largest amount over complete units."""
        groups: dict[tuple[str, str | None], list[Decimal]] = defaultdict(list)
        labels: dict[tuple[str, str | None], Entry] = {}
        complete = [u for u in self.units if u.complete]
        for u in complete:
            for e in u.attribution:
                groups[(e.cause, e.node)].append(e.amount)
                labels.setdefault((e.cause, e.node), e)
        rows: list[dict[str, Any]] = []
        for key, amounts in groups.items():
            amounts += [Decimal(0)] * (len(complete) - len(amounts))
            e = labels[key]
            rows.append(
                {
                    "cause": e.cause,
                    "node": e.node,
                    "code": e.code,
                    "title": e.title,
                    "mean": sum(amounts) / len(amounts),
                    "min": min(amounts),
                    "max": max(amounts),
                }
            )
        rows.sort(key=lambda r: (-abs(r["mean"]), r["code"] or ""))
        return rows

    def unit(self, unit_id: str) -> UnitAudit:
        return find_unit(self.units, unit_id)

    def to_json(self) -> dict[str, Any]:
        """``{"from", "to", "submissions", "summary", "changes", "units", "skipped"}``."""
        complete = [u for u in self.units if u.complete]
        return {
            "from": self.source,
            "to": self.target,
            "submissions": self.submissions,
            "summary": {
                "units": len(self.units),
                "complete": len(complete),
                "incomplete": len(self.units) - len(complete),
                "skipped": len(self.skipped),
                "by_cause": {c: number(v) for c, v in self.by_cause().items()},
            },
            "changes": self.changes,
            "units": [u.to_json() for u in self.units],
            "skipped": [s.to_json() for s in self.skipped],
        }

    def to_markdown(self, *, charts: Mapping[str, str] | None = None) -> str:
        """A report in Vietnamese for auditors; ``charts`` maps a chart name ("slope",
        "waterfall") to an image path to embed."""
        return audit_markdown(self, charts or {})


def audit(
    a: Program,
    b: Program,
    submissions: Sequence[Submission],
    *,
    fill: Mapping[str, Submission] | None = None,
    not_ranked: Sequence[str] = (),
    source: str | None = None,
    pair: VersionPair | None = None,
    versions: Versions | None = None,
    progress: Progress | None = None,
) -> Audit:
    """Score ``submissions`` under versions ``a`` and ``b`` and attribute each unit's
    change of index to causes per node.

    ``fill`` maps a unit to another submission of the same unit (another period) whose
    values fill the inputs a version needs and the submission lacks; every filled
    input is listed. Units still lacking inputs are incomplete: listed with what is
    missing, with no delta and no rank.

    ``versions`` (from the store) tells which version each submission was made for,
    however its ref is spelled; every step left out (points not rescaled, entries
    that match no node, units with nothing to fill from) is listed in ``skipped``.

    ``progress`` (`evaluators.analysis.progress`) hears of 2 × units + 2 steps: each
    unit carried to both versions, each version scored, each unit's change attributed.
    """
    if not submissions:
        raise EvaluatorError("an audit needs at least one submission")
    steps = Steps(progress, 2 * len(submissions) + 2)
    pair = pair or VersionPair(a, b, versions)
    fill = fill or {}
    on_a, on_b, notes, filled = [], [], [], []
    skipped: list[Skipped] = []
    for sub in submissions:
        pa, na = pair.project(sub, "a")
        pb, nb = pair.project(sub, "b")
        donor = fill.get(sub.unit)
        if fill and donor is None:
            skipped.append(
                Skipped(
                    "fill_missing",
                    f"không có hồ sơ kỳ khác của đơn vị '{sub.unit}' để bổ sung dữ liệu còn thiếu",
                    sub.unit,
                    period=sub.period,
                )
            )
        pa, fa = pair.fill(pa, donor, "a", na)
        pb, fb = pair.fill(pb, donor, "b", nb)
        on_a.append(pa)
        on_b.append(pb)
        kept_a, skipped_a = sort_notes(na, unit=sub.unit, version="from", period=sub.period)
        kept_b, skipped_b = sort_notes(nb, unit=sub.unit, version="to", period=sub.period)
        notes.append([*kept_a, *kept_b])
        skipped += [*skipped_a, *skipped_b]
        filled.append(
            [*({**f, "version": "from"} for f in fa), *({**f, "version": "to"} for f in fb)]
        )
        steps.advance()
    audited = {s.unit for s in submissions}
    skipped += [
        Skipped(
            "fill_unmatched",
            f"hồ sơ bổ sung của đơn vị '{unit}' (kỳ {donor.period}) không khớp hồ sơ nào "
            "được so sánh",
            unit,
            period=donor.period,
        )
        for unit, donor in fill.items()
        if unit not in audited
    ]
    sa = Scored.of(pair.a, on_a)
    steps.advance()
    sb = Scored.of(pair.b, on_b)
    steps.advance()
    skip = pair.not_ranked(not_ranked)
    ranks_a = ranks(sa, submissions, skip)
    ranks_b = ranks(sb, submissions, skip)
    places = max(pair.a.places, pair.b.places) + 2
    missing = _missing(sa, "from")
    for row, problems in _missing(sb, "to").items():
        missing.setdefault(row, []).extend(problems)
    units = []
    for row, sub in enumerate(submissions):
        complete = bool(sa.batch.complete[row]) and bool(sb.batch.complete[row])
        u = UnitAudit(
            unit=sub.unit,
            unit_name=sub.unit_name or sub.unit,
            period=sub.period,
            complete=complete,
            ranked=sub.unit not in skip,
            missing=missing.get(row, []),
            filled=filled[row],
            notes=notes[row],
        )
        if sa.batch.complete[row]:
            u.total_from, u.index_from = sa.batch.total[row], sa.batch.index[row]
            u.rank_from = ranks_a.get(sub.unit)
        if sb.batch.complete[row]:
            u.total_to, u.index_to = sb.batch.total[row], sb.batch.index[row]
            u.rank_to = ranks_b.get(sub.unit)
        if complete and u.index_from is not None and u.index_to is not None:
            u.delta = u.index_to - u.index_from
            u.attribution = _attribute(pair, sa, sb, row, u.delta, places)
        units.append(u)
        steps.advance()
    units.sort(key=lambda u: (u.rank_to is None, u.rank_to or 0, vietnamese_key(u.unit_name)))
    return Audit(
        source=pair.a.describe(),
        target=pair.b.describe(),
        submissions={"count": len(submissions), "source": source},
        units=units,
        changes=pair.changes.counts,
        quantum=places,
        skipped=skipped,
    )


def _attribute(
    pair: VersionPair, sa: Scored, sb: Scored, row: int, delta: Decimal, places: int
) -> list[Entry]:
    a, b = pair.a, pair.b
    total_a, amax_a = sa.total(row), sa.applicable_max(row)
    total_b, amax_b = sb.total(row), sb.applicable_max(row)
    exact_a = index_exact(a.policy, a.scale, total_a, amax_a)
    exact_b = index_exact(b.policy, b.scale, total_b, amax_b)
    assert exact_a is not None and exact_b is not None  # complete units have an index
    raw, den = to_index(
        pair.terms(sa, row, sb, row),
        policy=a.policy,
        scale=a.scale,
        total_a=total_a,
        amax_a=amax_a,
        amax_b=amax_b,
    )
    extra: list[tuple[str, str | None, Fraction]] = []
    if (a.policy, a.scale) != (b.policy, b.scale):
        middle = index_exact(a.policy, a.scale, total_b, amax_b)
        assert middle is not None
        cause = "policy_changed" if a.policy != b.policy else "scale_changed"
        extra.append((cause, None, exact_b - middle))
    extra.append(("rounding", None, Fraction(delta) - (exact_b - exact_a)))
    return entries(pair, raw, den, extra, delta, places)


def _missing(scored: Scored, version: str) -> dict[int, list[dict[str, Any]]]:
    """Per incomplete row, its problems (missing inputs by id and label), tagged with
    the version that needs them; built through the full scorer, for these rows only."""
    rows = [i for i, ok in enumerate(scored.batch.complete) if not ok]
    if not rows:
        return {}
    out: dict[int, list[dict[str, Any]]] = {}
    for row, result in zip(rows, scored.batch.results(rows), strict=True):
        out[row] = [
            {
                "version": version,
                "path": p.get("path"),
                "status": p.get("status"),
                "message": p.get("message"),
            }
            for p in result.problems
        ]
    return out


def audit_markdown(audit: Audit, charts: Mapping[str, str]) -> str:
    """The audit as a Markdown document (no trailing newline)."""
    complete = [u for u in audit.units if u.complete]
    q = audit.quantum
    lines = [
        "# So sánh điểm Chỉ số CCHC giữa hai phiên bản bộ chỉ số",
        "",
        f"- Phiên bản trước: {version_name(audit.source)}",
        f"- Phiên bản sau: {version_name(audit.target)}",
        f"- Hồ sơ tự đánh giá: {source_name(audit.submissions.get('source'))} "
        f"— {len(audit.units)} đơn vị, {len(complete)} đủ dữ liệu để so sánh",
        "",
        "Mỗi hồ sơ được chấm theo cả hai phiên bản (dữ liệu được chuyển qua các tiêu chí "
        "kế thừa nhau — cùng mã định danh hoặc khai báo `replaces`). Chênh lệch chỉ số của "
        "từng đơn vị được phân bổ cho từng nguyên nhân và từng tiêu chí; tổng các khoản "
        "bằng đúng chênh lệch đã làm tròn, phần do làm tròn hai chỉ số ghi riêng là "
        f"“{cause_label('rounding')}”.",
        "",
    ]
    lines += chart_lines(
        charts, {"slope": "Thay đổi thứ hạng", "waterfall": "Phân tích chênh lệch"}
    )
    if audit.changes:
        lines += ["## Thay đổi của bộ chỉ số", "", "| Loại thay đổi | Số tiêu chí |", "|---|---:|"]
        lines += [f"| {change_kind(k).vi} | {n} |" for k, n in audit.changes.items()]
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
            f"| {cause_label(cause)} | {vn(total, q, sign=True)} | {vn(mean, q, sign=True)} |"
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
            f"| {cell(u.unit_name)} | {vn(u.index_from)} | {vn(u.index_to)} "
            f"| {vn(u.delta, sign=True)} | {rank_text(u.rank_from)} | {rank_text(u.rank_to)} "
            f"| {move_text(u.rank_change)} | {cell(top_causes(u.attribution))} |"
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
            f"| {r['code']} | {cell(r['title'])} | {cause_label(r['cause'])} "
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
    lines += skipped_markdown(audit.skipped)
    return "\n".join(lines)


def audit_text(audit: Audit) -> str:
    """The audit for a terminal: versions, per-cause totals, then one line per unit."""
    q = audit.quantum
    lines = [
        versions_line(audit.source, audit.target),
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
                    *row_start(u),
                    f"{rank_text(u.rank_from)}→{rank_text(u.rank_to)}",
                    top_causes(u.attribution, 1),
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
    lines += table(
        ["rank", "unit", "from", "to", "delta", "rank", "main cause"], rows, {0, 2, 3, 4}
    )
    lines += skipped_text(audit.skipped)
    return "\n".join(lines)
