"""Benchmark of the office documents on the bundled 876/QĐ-BNV provincial set (133 nodes).

Replays the bundled catalog into a temporary store, reads `par-provincial@2022` once
(warm, as the server holds it) and times, from the methodology to the file's bytes:
the annex in Word (`annex_docx`) and in Excel (`annex_xlsx`), the change list from
1149/QĐ-BNV to 876/QĐ-BNV in Word (`changes_docx`), and importing the exported workbook
back (`read_table` and `plan_import`: opening, checking every cell, matching, building
and validating the version it describes). Baselines measured in the same run: python-docx
and openpyxl writing a bare table of the same rows and columns (no styles, no rules in
words), so the ratio says what the annex's layout costs beyond the libraries themselves.
Target (office issue): the 876 annex ≤ 1 s.

Run: ``python -m benchmarks.bench_office [--runs N]``.
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
from pathlib import Path

if __package__ in (None, ""):  # run by path: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._timing import median_ms
from methodology import init_store, open_methodology
from server.office import (
    annex_docx,
    annex_xlsx,
    changes_docx,
    plan_import,
    read_table,
)

__all__ = ["main"]

TARGET_MS = 1000.0


def main(argv: list[str] | None = None) -> int:
    """Time the writers and the reader; print a Markdown table."""
    from docx import Document
    from openpyxl import Workbook

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        store = init_store(Path(tmp) / "store")
        m = open_methodology(store, "par-provincial@par-provincial/2022")
        old = open_methodology(store, "par-provincial@par-provincial/2019")
        releases = store.releases()
        cells = [[n.code, n.title, str(n.max_points), "", "", ""] for n in m.walk()]
        workbook_bytes = annex_xlsx(m, releases)

        def bare_docx() -> bytes:
            document = Document()
            table = document.add_table(rows=len(cells), cols=6)
            for values, row in zip(cells, table.rows, strict=True):
                for value, cell in zip(values, row.cells, strict=True):
                    cell.text = value
            out = io.BytesIO()
            document.save(out)
            return out.getvalue()

        def bare_xlsx() -> bytes:
            workbook = Workbook()
            sheet = workbook.active
            assert sheet is not None
            for values in cells:
                sheet.append(values)
            out = io.BytesIO()
            workbook.save(out)
            return out.getvalue()

        def round_trip() -> object:
            return plan_import(store, "par-provincial", read_table(workbook_bytes), "2022")

        rows = [
            ("baseline: python-docx, a bare 133 × 6 table", median_ms(bare_docx, args.runs), None),
            (
                "annex in Word (`annex_docx`)",
                median_ms(lambda: annex_docx(m, releases), args.runs),
                TARGET_MS,
            ),
            ("baseline: openpyxl, a bare 133 × 6 sheet", median_ms(bare_xlsx, args.runs), None),
            (
                "annex in Excel (`annex_xlsx`)",
                median_ms(lambda: annex_xlsx(m, releases), args.runs),
                TARGET_MS,
            ),
            (
                "change list 1149 → 876 in Word (`changes_docx`)",
                median_ms(lambda: changes_docx(old, m, releases), args.runs),
                None,
            ),
            (
                "import the exported workbook (`read_table` + `plan_import`)",
                median_ms(round_trip, args.runs),
                None,
            ),
        ]
        store.close()
    print(
        f"office documents of par-provincial 876/QĐ-BNV, {len(m.nodes)} nodes (median of {args.runs} runs)\n"
    )
    print("| operation | median ms | target ms | ratio to baseline |")
    print("|---|---:|---:|---:|")
    docx_base, xlsx_base = rows[0][1], rows[2][1]
    for i, (name, ms, target) in enumerate(rows):
        base = docx_base if i < 2 or i == 4 else xlsx_base
        target_text = f"{target:.0f}" if target is not None else "—"
        print(f"| {name} | {ms:.1f} | {target_text} | {ms / base:.2f}× |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
