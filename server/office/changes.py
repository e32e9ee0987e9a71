"""The change list between two versions as a Word document a council can read.

Grouped by kind of change in the order of `methodology.CHANGE_KINDS`, headed by each
kind's Vietnamese label from that table, each change a row with the node's code
and title and what it was before and is after, in words: points with a decimal comma,
rules as their scoring kind describes them (`annex.rule_text`), the keys of a node as
the pages name them (`server.labels.NODE_KEY_LABELS`).
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from server.format import vi_number
from server.labels import NODE_KEY_LABELS
from server.office.annex import decision_line, rule_text, table_style, title_block
from server.office.style import new_document

if TYPE_CHECKING:
    from methodology import Change, Methodology, Node, Release

__all__ = ["CHANGE_HEADERS", "change_lines", "changes_docx", "changes_filename"]

CHANGE_HEADERS = ("STT", "Mã số", "Tiêu chí", "Nội dung thay đổi", "Trước", "Sau")
_WIDTHS = (1.4, 1.8, 6.2, 3.6, 7.1, 7.1)


def _value(value: Any) -> str:
    from methodology import to_json_value

    value = to_json_value(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "có" if value else "không"
    if isinstance(value, int | float):
        return vi_number(value)
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, indent=1)


def change_lines(
    a: Methodology, b: Methodology, change: Change, old: Node | None, new: Node | None
) -> list[tuple[str, str, str]]:
    """What one change is, as (what, before, after) lines in Vietnamese."""
    title = NODE_KEY_LABELS["title"]
    points = NODE_KEY_LABELS["max_points"]
    rule = NODE_KEY_LABELS["scoring"]
    if change.kind == "added" and new is not None:
        lines = [(title, "", new.title), (points, "", vi_number(new.max_points))]
        text = rule_text(new)
        return [*lines, (rule, "", text)] if text else lines
    if change.kind == "removed" and old is not None:
        lines = [(title, old.title, ""), (points, vi_number(old.max_points), "")]
        if "replaced_by" in change.after:
            target = b.nodes.get(change.after["replaced_by"])
            merged = f"{target.code} {target.title}" if target else change.after["replaced_by"]
            lines.append(("gộp vào", "", merged))
        return lines
    if change.kind == "renamed":
        return [(title, old.title if old else "", new.title if new else "")]
    if change.kind == "rule_changed":
        return [(rule, rule_text(old) if old else "", rule_text(new) if new else "")]
    if change.kind == "guidance_changed":
        return [
            (NODE_KEY_LABELS["guidance"], old.guidance if old else "", new.guidance if new else "")
        ]
    keys = list(dict.fromkeys([*change.before, *change.after]))
    return [
        (
            NODE_KEY_LABELS.get(key, key),
            _value(change.before.get(key)),
            _value(change.after.get(key)),
        )
        for key in keys
    ]


def _side(m: Methodology) -> str:
    return m.ref or (m.commit or "")[:10] or "bản đang soạn"


def changes_filename(a: Methodology, b: Methodology) -> str:
    """``Danh sách thay đổi par-provincial 2019 - 2022.docx``."""
    return f"Danh sách thay đổi {b.name} {_side(a).split('/')[-1]} - {_side(b).split('/')[-1]}.docx"


def changes_docx(
    a: Methodology,
    b: Methodology,
    releases: Sequence[Release] = (),
) -> bytes:
    """Every change from ``a`` to ``b``, grouped by kind, as a Word document."""
    from docx.shared import Cm, Pt

    from methodology import change_kind, diff, lineage

    found = diff(a, b)
    pairs = lineage(a, b)
    document = new_document(landscape=True)
    table_style(document)
    title = b.manifest.title if b.manifest else b.name
    title_block(
        document,
        [
            ("DANH SÁCH THAY ĐỔI", True, False),
            (title.upper(), True, False),
            (f"Từ phiên bản {_side(a)} {decision_line(a, releases)}", False, True),
            (f"đến phiên bản {_side(b)} {decision_line(b, releases)}", False, True),
        ],
    )

    groups = found.by_kind()
    if not groups:
        document.add_paragraph("Hai phiên bản giống nhau: không có thay đổi nào.")
    else:
        summary = "; ".join(f"{change_kind(k).vi}: {len(v)}" for k, v in groups.items())
        document.add_paragraph(f"Tổng cộng {len(found.changes)} thay đổi ({summary}).")
    widths = [Cm(w) for w in _WIDTHS]

    def fill(cells: Sequence[Any], values: Sequence[str], *, bold: bool = False) -> None:
        for index, (cell, value) in enumerate(zip(cells, values, strict=True)):
            cell.width = widths[index]
            run = cell.paragraphs[0].add_run(value)
            if bold:
                run.bold = True

    for number, (kind, changes) in enumerate(groups.items(), 1):
        heading = document.add_paragraph()
        heading.paragraph_format.keep_with_next = True
        heading.paragraph_format.space_before = Pt(12)
        heading.add_run(f"{number}. {change_kind(kind).vi} ({len(changes)})").bold = True
        rows: list[list[str]] = []
        for index, change in enumerate(changes, 1):
            if change.kind == "removed":
                old, new = a.nodes.get(change.id), None
            else:
                was = pairs.get(change.id)
                old, new = (a.nodes.get(was) if was else None), b.nodes.get(change.id)
            for line, (what, before, after) in enumerate(change_lines(a, b, change, old, new)):
                first = line == 0
                rows.append(
                    [
                        str(index) if first else "",
                        change.code if first else "",
                        change.title if first else "",
                        what,
                        before,
                        after,
                    ]
                )
        table = document.add_table(rows=len(rows) + 1, cols=len(CHANGE_HEADERS))
        table.style = document.styles["Table Grid"]
        table.autofit = False
        for column, width in zip(table.columns, _WIDTHS, strict=True):
            column.width = Cm(width)
        table_rows = list(table.rows)
        fill(table_rows[0].cells, CHANGE_HEADERS, bold=True)
        for values, table_row in zip(rows, table_rows[1:], strict=True):
            fill(table_row.cells, values)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
