"""A script filling the blank self-assessment form, as a unit's own tool would: values into
the value cells (Có / Không, a choice's label, a ratio as the fraction a percent cell
holds), "Không phát sinh" with its giải trình, facts, and evidence documents."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml
from openpyxl import Workbook, load_workbook

from methodology import Spec, Store, open_methodology
from server.labels import choice_label
from server.office import FORM_SHEET

__all__ = [
    "BUNDLED",
    "change",
    "fill",
    "opener",
    "row_of",
    "sample_file",
    "submission_of",
]

BUNDLED = Path(__file__).resolve().parents[2] / "methodology" / "bundled" / "submissions"


def sample_file(methodology: str, period: str, unit: str) -> Path:
    return BUNDLED / methodology / period / f"{unit}.yaml"


def submission_of(path: Path) -> dict[str, Any]:
    """A bundled sample as plain data (its dates as text, as JSON would carry them)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return json.loads(json.dumps(data, default=str))


def _cell_value(value: Any) -> Any:
    if isinstance(value, bool):
        return "Có" if value else "Không"
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return choice_label(value)
    return value


def fill(
    blank: bytes,
    submission: Mapping[str, Any],
    documents: Mapping[str, list[dict[str, Any]]] | None = None,
) -> bytes:
    """``blank`` with the submission's values, facts and claims typed in."""
    wb = load_workbook(io.BytesIO(blank))
    ws = wb[FORM_SHEET]
    values = submission.get("values") or {}
    facts = submission.get("facts") or {}
    claims = submission.get("not_applicable") or {}
    documents = dict(documents or {})
    for row in ws.iter_rows(min_row=7):
        node, key = row[0].value, row[1].value or ""
        kind, _, name = key.partition(":")
        source = facts if kind == "fact" else values
        if kind and name in source:
            row[6].value = _cell_value(source[name])
        if node in claims and row[7].protection.locked is False:
            row[7].value = "Không phát sinh"
            row[8].value = claims[node]
        for doc in documents.pop(node, []):
            row[9].value, row[10].value, row[11].value = doc["number"], doc["date"], doc["title"]
    return _saved(wb)


def change(data: bytes, edit: Callable[[Workbook], None]) -> bytes:
    """``data`` opened, changed by ``edit`` (openpyxl ignores the protection) and saved."""
    wb = load_workbook(io.BytesIO(data))
    edit(wb)
    return _saved(wb)


def _saved(wb: Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def row_of(data: bytes, key: str) -> int:
    """The row of an input (`input:<id>`) or the first row of a node id."""
    ws = load_workbook(io.BytesIO(data))[FORM_SHEET]
    for row in ws.iter_rows(min_row=7):
        if row[1].value == key or (row[0].value == key and not key.startswith("input:")):
            return row[0].row
    raise KeyError(key)


def opener(store: Store) -> Callable[[str, str | None], Any]:
    return lambda name, ref: open_methodology(store, Spec(name, ref))
