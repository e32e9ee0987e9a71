"""Criteria tables in: a workbook in the annex layout becomes a commit on a draft branch.

`read_table` reads the sheet (every cell checked, every mistake an `OfficeError` naming
its cell: ``Phụ lục!C14: '1,2,5' không phải là một số``); `plan_import` lines its rows up
with the current version — by the machine column `id`, else by the same code and title,
else by the rename detector of `methodology.diff` — and builds the methodology the table describes;
`write_import` commits the difference on a draft branch through `methodology.apply_edits`
(which validates the result), or nothing at all.

What a row changes: its code (STT), title, maximum points and evidence, and with the
machine columns its rule and inputs. The rule as words, the note and the derivation
column are written for people and never read back; the guidance and the legal source of
a node the table keeps are kept.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from server.format import parse_number
from server.labels import OPTIONAL_EVIDENCE
from server.office.annex import (
    DERIVED_HEADER,
    HEADERS,
    MACHINE_HEADERS,
    SHEET,
    TOTAL_LABEL,
)
from server.office.errors import OfficeError
from server.office.files import open_workbook

if TYPE_CHECKING:
    from methodology import Diff, Methodology, Node, Person, Store

__all__ = [
    "MAX_ROWS",
    "ImportPlan",
    "Table",
    "TableRow",
    "draft_branch",
    "plan_import",
    "read_table",
    "write_import",
]

MAX_ROWS = 2000  # the 876 annex has 133; a table of thousands is not a criteria table
_HEADER_SCAN = 20  # the header row is looked for among the first rows
# Header text (NFC, case-folded, spaces collapsed) → the column's key; the words are the
# annex's own (`annex.HEADERS`), so the table reads back what it writes.
_KEYS = {
    " ".join(header.casefold().split()): key
    for header, key in zip(
        (*HEADERS, DERIVED_HEADER, *MACHINE_HEADERS),
        (
            "code",
            "title",
            "points",
            "rule",
            "evidence",
            "note",
            "derivation",
            "id",
            "scoring",
            "inputs",
        ),
        strict=True,
    )
}
_REQUIRED = {"code": HEADERS[0], "title": HEADERS[1], "points": HEADERS[2]}
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


@dataclass(frozen=True)
class TableRow:
    """One row of criteria as typed: values checked, nothing matched yet.

    ``scoring``/``inputs`` are the parsed YAML of the machine columns (None: the column
    is absent or the cell empty, so the node keeps what it has)."""

    row: int
    code: str
    title: str
    max_points: Decimal
    evidence: tuple[tuple[str, bool], ...] | None
    node_id: str | None
    scoring: Any = None
    inputs: Any = None


@dataclass(frozen=True)
class Table:
    """The rows of a criteria table and where its columns are (key → column letter)."""

    name: str
    rows: list[TableRow]
    columns: dict[str, str]

    def cell(self, key: str, row: int) -> str:
        """``Phụ lục!C14``: the cell of column ``key`` (the code's when absent) in ``row``."""
        return f"{SHEET}!{self.columns.get(key, self.columns['code'])}{row}"


def read_table(data: bytes, name: str = "bảng.xlsx") -> Table:
    """The criteria table of a workbook in the annex layout, or an `OfficeError` naming
    the sheet and cell of the first thing wrong (``name`` is the file, for errors about
    the whole file)."""
    workbook = open_workbook(data, name)
    try:
        return _read(workbook, name)
    finally:
        workbook.close()


def _read(workbook: Any, name: str) -> Table:
    names = list(workbook.sheetnames)
    if len(names) != 1:
        extra = ", ".join(f"'{n}'" for n in names if n != SHEET) or ""
        raise OfficeError(
            f"tệp có {len(names)} trang tính ({extra}); bảng tiêu chí chỉ có một trang "
            f"tính tên '{SHEET}': hãy xoá các trang tính khác",
            name,
        )
    if unicodedata.normalize("NFC", names[0]) != SHEET:
        raise OfficeError(
            f"trang tính tên '{names[0]}', không phải '{SHEET}': hãy đổi lại tên trang tính "
            f"(tệp xuất bằng `parindex export … --to bảng.xlsx` có sẵn trang '{SHEET}')",
            names[0],
        )
    sheet = workbook[names[0]]
    merged = sorted(sheet.merged_cells.ranges, key=lambda r: (r.min_row, r.min_col))
    if merged:
        raise OfficeError(
            "ô gộp (merge cells): bảng tiêu chí không được gộp ô; hãy bỏ gộp và ghi giá trị "
            "vào từng ô",
            f"{SHEET}!{merged[0].coord}",
        )
    header = _header_row(sheet)
    if sheet.max_row - header > MAX_ROWS + 1:
        raise OfficeError(
            f"bảng có {sheet.max_row - header} dòng, quá giới hạn {MAX_ROWS} dòng",
            f"{SHEET}!A{sheet.max_row}",
        )
    columns = _columns(sheet, header)
    table = Table(name=name, rows=[], columns={k: v for k, (v, _) in columns.items()})
    width = max(index for _, index in columns.values())
    for cells in sheet.iter_rows(min_row=header + 1, max_row=sheet.max_row, max_col=width):
        for cell in cells:
            _refuse_formula(cell)
        values = {key: cells[index - 1] for key, (_, index) in columns.items()}
        code_cell, title_cell = values["code"], values["title"]
        if all(c.value is None or str(c.value).strip() == "" for c in cells):
            continue
        if code_cell.value in (None, "") and _text(title_cell) == TOTAL_LABEL:
            break  # "Tổng cộng": the end of the table
        table.rows.append(_row(values, code_cell.row))
    _check_codes(table)
    return table


def _header_row(sheet: Any) -> int:
    for (cell,) in sheet.iter_rows(min_row=1, max_row=min(sheet.max_row, _HEADER_SCAN), max_col=1):
        if isinstance(cell.value, str) and _norm(cell.value) == "stt":
            return int(cell.row)
    raise OfficeError(
        f"không thấy dòng tiêu đề của bảng: ô '{HEADERS[0]}' ở cột A trong {_HEADER_SCAN} dòng đầu",
        f"{SHEET}!A1",
    )


def _columns(sheet: Any, header: int) -> dict[str, tuple[str, int]]:
    found: dict[str, tuple[str, int]] = {}
    for cell in next(sheet.iter_rows(min_row=header, max_row=header)):
        _refuse_formula(cell)
        if cell.value is None or str(cell.value).strip() == "":
            continue
        where = f"{SHEET}!{cell.coordinate}"
        if not isinstance(cell.value, str):
            raise OfficeError(f"tiêu đề cột phải là chữ, không phải {cell.value!r}", where)
        key = _KEYS.get(_norm(cell.value))
        if key is None:
            known = ", ".join(f"'{h}'" for h in (*HEADERS, DERIVED_HEADER, *MACHINE_HEADERS))
            raise OfficeError(f"cột lạ '{cell.value.strip()}'; các cột của bảng: {known}", where)
        if key in found:
            raise OfficeError(
                f"cột '{cell.value.strip()}' đã có ở ô {SHEET}!{found[key][0]}{header}", where
            )
        found[key] = (cell.column_letter, cell.column)
    for key, title in _REQUIRED.items():
        if key not in found:
            raise OfficeError(f"thiếu cột '{title}' ở dòng tiêu đề", f"{SHEET}!A{header}")
    return found


def _refuse_formula(cell: Any) -> None:
    value = cell.value
    if cell.data_type == "f" or (isinstance(value, str) and value.startswith("=")):
        shown = value if isinstance(value, str) else "công thức mảng"
        raise OfficeError(
            f"ô chứa công thức {shown!r}; bảng tiêu chí chỉ nhận giá trị: hãy dán giá trị "
            "(Paste Values) thay cho công thức",
            f"{SHEET}!{cell.coordinate}",
        )


def _text(cell: Any) -> str:
    value = cell.value
    return unicodedata.normalize("NFC", value).strip() if isinstance(value, str) else ""


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "giá trị đúng/sai"
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return "ngày giờ"
    if isinstance(value, int | float | Decimal):
        return "số"
    return type(value).__name__


def _row(values: Mapping[str, Any], row: int) -> TableRow:
    def where(key: str) -> str:
        return f"{SHEET}!{values[key].coordinate}"

    code_value = values["code"].value
    if isinstance(code_value, bool) or code_value in (None, ""):
        raise OfficeError("thiếu mã số (STT) của dòng", where("code"))
    if isinstance(code_value, int):
        code = str(code_value)
    elif isinstance(code_value, str):
        code = unicodedata.normalize("NFC", code_value).strip().rstrip(".")
    else:
        raise OfficeError(
            f"mã số {code_value!r} là {_kind(code_value)}: hãy định dạng cột STT là chữ "
            "(Text), vì Excel đọc 1.10 thành 1.1",
            where("code"),
        )
    if not re.fullmatch(r"[0-9A-Za-zĐđ]+(\.[0-9A-Za-zĐđ]+)*", code):
        raise OfficeError(
            f"mã số '{code}' không hợp lệ (viết ví dụ 1, 1.2 hoặc 1.2.3)", where("code")
        )

    title_value = values["title"].value
    if not isinstance(title_value, str) or not title_value.strip():
        what = "trống" if title_value in (None, "") else f"là {_kind(title_value)}"
        raise OfficeError(f"tên của mục {code} {what}; tên phải là chữ", where("title"))
    title = " ".join(unicodedata.normalize("NFC", title_value).split())

    points_value = values["points"].value
    if isinstance(points_value, bool | dt.datetime | dt.date | dt.time):
        raise OfficeError(
            f"điểm tối đa là {_kind(points_value)}, không phải một số", where("points")
        )
    if isinstance(points_value, int | float):
        points = Decimal(str(points_value))
    elif isinstance(points_value, str):
        try:
            points = parse_number(points_value)
        except ValueError as exc:
            raise OfficeError(str(exc), where("points")) from None
    else:
        raise OfficeError(f"thiếu điểm tối đa của mục {code}", where("points"))
    if not points.is_finite() or points < 0:
        raise OfficeError(f"điểm tối đa {points_value!r} phải là số không âm", where("points"))

    evidence = None
    if "evidence" in values:
        evidence = _evidence(values["evidence"], where("evidence"))
    node_id = None
    if "id" in values and values["id"].value not in (None, ""):
        raw = values["id"].value
        node_id = raw.strip() if isinstance(raw, str) else ""
        if not _ID.match(node_id):
            raise OfficeError(
                f"id {raw!r} không hợp lệ (chữ thường không dấu, số, '-' hoặc '_')", where("id")
            )
    scoring = _yaml(values, "scoring", where) if "scoring" in values else None
    inputs = _yaml(values, "inputs", where) if "inputs" in values else None
    return TableRow(row, code, title, points, evidence, node_id, scoring, inputs)


def _evidence(cell: Any, where: str) -> tuple[tuple[str, bool], ...]:
    value = cell.value
    if value in (None, ""):
        return ()
    if not isinstance(value, str):
        raise OfficeError(f"tài liệu kiểm chứng là {_kind(value)}; hãy ghi tên tài liệu", where)
    items = []
    for line in unicodedata.normalize("NFC", value).splitlines():
        title = " ".join(line.split())
        if not title:
            continue
        optional = title.endswith(OPTIONAL_EVIDENCE.strip())
        if optional:
            title = title[: -len(OPTIONAL_EVIDENCE.strip())].strip()
        items.append((title, not optional))
    return tuple(items)


def _yaml(values: Mapping[str, Any], key: str, where: Any) -> Any:
    import yaml

    from methodology import yaml_load

    value = values[key].value
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise OfficeError(f"cột {key} chứa {_kind(value)}; cần văn bản YAML", where(key))
    try:
        parsed = yaml_load(value)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" (dòng {mark.line + 1} trong ô)" if mark is not None else ""
        problem = getattr(exc, "problem", exc)
        raise OfficeError(f"YAML không đọc được{at}: {problem}", where(key)) from None
    if not isinstance(parsed, dict):
        raise OfficeError(f"cột {key} phải là một ánh xạ YAML (khoá: giá trị)", where(key))
    return parsed


def _check_codes(table: Table) -> None:
    seen: dict[str, int] = {}
    for row in table.rows:
        if row.code in seen:
            raise OfficeError(
                f"mã số {row.code} trùng với dòng {seen[row.code]}", table.cell("code", row.row)
            )
        seen[row.code] = row.row
        parent = row.code.rpartition(".")[0]
        if parent and parent not in seen:
            raise OfficeError(
                f"mục {row.code} không có mục cha {parent} ở các dòng phía trên",
                table.cell("code", row.row),
            )
    if not table.rows:
        raise OfficeError("bảng không có dòng tiêu chí nào", f"{SHEET}!A1")


# -- lining the table up with the current version -------------------------------------


@dataclass
class ImportPlan:
    """What importing ``table`` into ``current`` would do: the resulting methodology, its
    diff from the current version, and the node texts to write (id → text, parent)."""

    current: Methodology
    candidate: Methodology
    diff: Diff
    texts: dict[str, str]
    parents: dict[str, str | None]
    rows: dict[str, int] = field(default_factory=dict)  # node id → table row

    @property
    def unchanged(self) -> bool:
        return not self.diff.changes


def plan_import(store: Store, slug: str, table: Table, base: str | None = None) -> ImportPlan:
    """The table as a version of ``slug`` read at ``base`` (default: the head), checked:
    an `OfficeError` names the cell of anything the methodology would not accept."""
    from methodology import Spec, diff, open_methodology

    current = open_methodology(store, Spec(slug, base))
    if current.extends:
        raise OfficeError(
            f"{slug} là chỉ số dẫn xuất từ {current.extends['methodology']}: các mục kế thừa "
            "được sửa qua overlay (trang Chỉ số dẫn xuất), không nhập từ bảng",
            table.name,
        )
    ids = _match(current, table)
    candidate, texts, parents = _candidate(store, current, table, ids)
    # Rows the id and the code did not place: the diff's rename detector pairs them with
    # removed nodes (a code retyped, a title reworded), as `parindex diff` would propose.
    new = {ids[r.row] for r in table.rows if ids[r.row] not in current.nodes}
    renames = {
        p.to_id: p.from_id
        for p in diff(current, candidate).proposals
        if p.to_id in new and p.from_id not in candidate.nodes
    }
    if renames:
        ids = {row: renames.get(node_id, node_id) for row, node_id in ids.items()}
        candidate, texts, parents = _candidate(store, current, table, ids)
    plan = ImportPlan(
        current=current,
        candidate=candidate,
        diff=diff(current, candidate, renames=False),
        texts=texts,
        parents=parents,
        rows={node_id: row for row, node_id in ids.items()},
    )
    _check_valid(plan, table)
    return plan


def _match(current: Methodology, table: Table) -> dict[int, str]:
    """Row → node id: the id column; else the current node of the same code and title;
    else a new id (which the rename detector may still pair with a removed node)."""
    by_code = {n.code: n for n in current.walk()}
    claimed: set[str] = set()
    out: dict[int, str] = {}
    for row in table.rows:
        if row.node_id and row.node_id in current.nodes and row.node_id not in claimed:
            out[row.row] = row.node_id
            claimed.add(row.node_id)
    for row in table.rows:
        found = by_code.get(row.code)
        if row.row in out or row.node_id or found is None or found.id in claimed:
            continue
        if _norm(found.title) == _norm(row.title):
            out[row.row] = found.id
            claimed.add(found.id)
    taken = set(current.nodes) | claimed
    for row in table.rows:
        if row.row in out:
            continue
        node_id = row.node_id if row.node_id and row.node_id not in taken else _new_id(row, taken)
        out[row.row] = node_id
        taken.add(node_id)
    return out


def _new_id(row: TableRow, taken: set[str]) -> str:
    text = unicodedata.normalize("NFD", row.title.replace("đ", "d").replace("Đ", "D")).lower()
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    words = re.findall(r"[a-z0-9]+", text)
    base, candidate, n = "-".join(words)[:50].strip("-") or "muc", "", 1
    candidate = base
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def _candidate(
    store: Store, current: Methodology, table: Table, ids: dict[int, str]
) -> tuple[Methodology, dict[str, str], dict[str, str | None]]:
    from methodology import build_tree

    by_code = {row.code: ids[row.row] for row in table.rows}
    parents: dict[str, str | None] = {}
    texts: dict[str, str] = {}
    facts = current.manifest.facts if current.manifest else {}
    for row in table.rows:
        node_id = ids[row.row]
        parent_code = row.code.rpartition(".")[0]
        parents[node_id] = by_code[parent_code] if parent_code else None
        texts[node_id] = _node_text(store, current.nodes.get(node_id), node_id, row, table, facts)
    children: dict[str | None, list[str]] = {}
    for node_id, parent in parents.items():
        children.setdefault(parent, []).append(node_id)

    files: dict[str, str] = {}

    def place(parent: str | None, folder: str) -> None:
        for node_id in children.get(parent, []):
            if children.get(node_id):
                files[f"{folder}{node_id}/_node.md"] = node_id
                place(node_id, f"{folder}{node_id}/")
            else:
                files[f"{folder}{node_id}.md"] = node_id

    place(None, "")
    manifest = store.read_file(str(current.commit), f"{current.name}/methodology.yaml")
    files["methodology.yaml"] = ""

    def read(key: str) -> bytes:
        return manifest if key == "" else texts[key].encode("utf-8")

    candidate = build_tree(current.name, files, read, file_prefix=f"{current.name}/")
    candidate.ref = table.name
    return candidate, texts, parents


def _node_text(
    store: Store,
    old: Node | None,
    node_id: str,
    row: TableRow,
    table: Table,
    facts: Mapping[str, Any],
) -> str:
    """The node file the row describes: the current node with what the row changes (its
    file as it is when the row changes nothing)."""
    from methodology import parse_node, to_json_value, yaml_dump

    if old is not None and old.blob and _same(old, row):
        return store.read_blob(old.blob).decode("utf-8")
    data: dict[str, Any] = to_json_value(old.front_matter()) if old is not None else {"id": node_id}
    data.update(code=row.code, title=row.title, max_points=to_json_value(row.max_points))
    if row.evidence is not None:
        data.pop("evidence", None)
        if row.evidence:
            data["evidence"] = [
                t if required else {"title": t, "required": False} for t, required in row.evidence
            ]
    for key in ("scoring", "inputs"):
        given = getattr(row, key)
        if given is not None:
            data[key] = given
    guidance = old.guidance if old is not None else ""
    text = "---\n" + yaml_dump(data, allow_unicode=True, sort_keys=False) + "---\n" + guidance
    node, problems = parse_node(text, facts=facts)
    errors = [p for p in problems if p.severity == "error"]
    if node is None or errors:
        first = errors[0] if errors else None
        key = ((first.path or "") if first else "").split(".")[0].split("[")[0]
        column = {"scoring": "scoring", "inputs": "inputs", "max_points": "points"}.get(key, "code")
        message = _vi(first.message, first.suggestion) if first else "mục không đọc được"
        raise OfficeError(f"mục {row.code}: {message}", table.cell(column, row.row))
    if (
        old is not None
        and old.blob
        and to_json_value(node.front_matter()) == to_json_value(old.front_matter())
    ):
        return store.read_blob(old.blob).decode("utf-8")
    return node.to_text()


def _same(old: Node, row: TableRow) -> bool:
    """Whether the row says of the node exactly what its file says (nothing to rewrite)."""
    from methodology import to_json_value

    if (old.code, old.title, old.max_points) != (row.code, row.title, row.max_points):
        return False
    if row.evidence is not None and row.evidence != tuple(
        (e.title, e.required) for e in old.evidence
    ):
        return False
    front = old.front_matter()
    return all(
        given is None or given == to_json_value(front.get(key))
        for key, given in (("scoring", row.scoring), ("inputs", row.inputs))
    )


def _check_valid(plan: ImportPlan, table: Table) -> None:
    from methodology import validate

    errors = validate(plan.candidate).errors
    if not errors:
        return
    by_file = {n.path: n.id for n in plan.candidate.walk()}
    first = errors[0]
    node_id = by_file.get(first.file or "")
    row = plan.rows.get(node_id or "")
    column = {"max_points": "points", "code": "code", "title": "title"}.get(
        (first.path or "").split(".")[0], "code"
    )
    where = table.cell(column, row) if row else table.name
    more = f" (và {len(errors) - 1} lỗi khác)" if len(errors) > 1 else ""
    message = _vi(first.message, first.suggestion)
    raise OfficeError(f"bộ chỉ số sau khi nhập không hợp lệ: {message}{more}", where)


def _vi(message: str, suggestion: str | None) -> str:
    """A checker's or validation's problem as the pages say it (`server.check_messages`)."""
    from server.check_messages import vi_check

    text = vi_check(message) or message
    if suggestion:
        text = f"{text.rstrip('.')}; gợi ý: {vi_check(suggestion) or suggestion}"
    return text


# -- writing ----------------------------------------------------------------------------


def write_import(
    store: Store,
    plan: ImportPlan,
    *,
    author: Person,
    message: str,
    branch: str,
) -> str | None:
    """Commit the plan on ``branch`` (created at the version it was planned from); the
    new commit, or None when the table changes nothing (nothing is written)."""
    from methodology import CreateNode, DeleteNode, MoveNode, UpdateNode, apply_edits

    if plan.unchanged:
        return None
    current, candidate = plan.current, plan.candidate
    edits: list[Any] = []
    for node in candidate.walk():
        old = current.nodes.get(node.id)
        text = plan.texts[node.id]
        if old is None:
            edits.append(CreateNode(plan.parents[node.id], text))
            continue
        if old.parent != plan.parents[node.id]:
            edits.append(MoveNode(node.id, plan.parents[node.id]))
        if old.blob is None or store.read_blob(old.blob).decode("utf-8") != text:
            edits.append(UpdateNode(node.id, text))
    removed = {n.id for n in current.walk() if n.id not in candidate.nodes}
    edits += [
        DeleteNode(node_id) for node_id in removed if current.nodes[node_id].parent not in removed
    ]
    return apply_edits(
        store,
        current.name,
        edits,
        author=author,
        message=message,
        base=current.commit,
        branch=branch,
    )


def draft_branch(store: Store, slug: str, now: dt.datetime | None = None) -> str:
    """``nhap/par-provincial-20261207-153000``: a draft branch for an import that does not
    exist yet (``-2``, ``-3`` … after it when two imports share a second)."""
    base = f"nhap/{slug}-{(now or dt.datetime.now(dt.UTC)).strftime('%Y%m%d-%H%M%S')}"
    name, n = base, 1
    while store.head(name) is not None:
        n += 1
        name = f"{base}-{n}"
    return name
