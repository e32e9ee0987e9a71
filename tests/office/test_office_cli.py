"""`parindex export` and `parindex import-table` as real processes on a real store."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook

from methodology import Store
from server.office.annex import SHEET
from tests.office.conftest import refs

ROOT = Path(__file__).resolve().parents[2]


def parindex(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "utf-8", "PATH": "/usr/bin:/bin"},
        check=False,
    )


@pytest.mark.slow  # processes
def test_export_then_import_a_table_from_the_command_line(tmp_path: Path, template_store: Path):
    store = tmp_path / "store"
    shutil.copytree(template_store, store)
    s = ["--store", str(store)]
    spec = "par-provincial@par-provincial/2022"
    done = parindex("export", spec, "--to", "phu-luc.docx", *s, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("wrote phu-luc.docx (Word, ")
    assert len(Document(tmp_path / "phu-luc.docx").tables[0].rows) == 135
    done = parindex("export", spec, "--to", "bang.xlsx", *s, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    done = parindex(
        "export", "par-provincial@par-provincial/2019", "--diff", spec, "--to", "thay-doi.docx",
        *s, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0 and (tmp_path / "thay-doi.docx").stat().st_size > 10_000

    before = refs(Store.open(store))
    done = parindex(
        "import-table", "bang.xlsx", "--into", "par-provincial", "--dry-run", *s, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "dry run: nothing written"

    workbook = load_workbook(tmp_path / "bang.xlsx")
    workbook[SHEET]["C9"] = "một"
    workbook.save(tmp_path / "sai.xlsx")
    done = parindex(
        "import-table", "sai.xlsx", "--into", "par-provincial", "-m", "x", *s, cwd=tmp_path
    )
    assert done.returncode == 2
    assert done.stderr.startswith(f"error: {SHEET}!C9: 'một' không phải là một số")
    assert "Traceback" not in done.stderr
    assert refs(Store.open(store)) == before

    workbook[SHEET]["C9"] = None
    workbook[SHEET]["B9"] = "Ban hành kế hoạch cải cách hành chính năm"
    workbook[SHEET]["C9"] = 1
    out = io.BytesIO()
    workbook.save(out)
    (tmp_path / "sua.xlsx").write_bytes(out.getvalue())
    done = parindex(
        "import-table", "sua.xlsx", "--into", "par-provincial", "-m", "Đổi tên 1.1.1",
        "--branch", "nhap/cli", *s, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Renamed" in done.stdout
    assert done.stdout.splitlines()[-1].startswith("committed ")
    assert done.stdout.splitlines()[-1].endswith("on branch nhap/cli (1 changes)")
    assert Store.open(store).head("nhap/cli") is not None
