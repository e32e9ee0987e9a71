"""Domain errors from every layer reach the user as one `error:` line and exit 2.

`main` recognises their classes only among modules already imported (so that it need not
import them itself); these runs prove it still recognises each kind.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.server.helpers import parindex


def one_line_error(run: subprocess.CompletedProcess[str]) -> str:
    assert run.returncode == 2, run.stdout + run.stderr
    assert run.stdout == ""
    lines = run.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), run.stderr
    return lines[0]


def test_a_database_that_does_not_answer(tmp_path: Path):
    """An SQLAlchemy error: the driver's multi-line message is cut to its first line."""
    url = "postgresql+psycopg://nobody@127.0.0.1:1/nothing"
    run = parindex("user", "list", "--database-url", url, "--data-dir", str(tmp_path), cwd=tmp_path)
    assert "OperationalError" in one_line_error(run)


def test_a_submission_that_is_not_yaml(tmp_path: Path, template_store: Path):
    """An evaluator error names the file."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("unit: x\nperiod: [\n", encoding="utf-8")
    run = parindex(
        "evaluate", "vi-du@vi-du/2014", str(bad), "--store", str(template_store), cwd=tmp_path
    )
    assert f"error: {bad}: not valid YAML" in one_line_error(run)


def test_an_unknown_methodology(tmp_path: Path, template_store: Path):
    """A methodology error, with its suggestion."""
    run = parindex("show", "vi-du@2031", "--store", str(template_store), cwd=tmp_path)
    assert "unknown ref '2031' (did you mean 2014" in one_line_error(run)


def test_an_unknown_unit_and_an_unknown_succession_kind(tmp_path: Path, template_store: Path):
    """A service's refusal and a wrong option of `parindex units`."""
    data = tmp_path / "var"
    run = parindex(
        "units", "lineage", "nobody", "--data-dir", str(data),
        "--store", str(template_store), cwd=tmp_path,
    )  # fmt: skip
    assert one_line_error(run) == "error: no unit 'nobody'"
    run = parindex("units", "succession", "--kind", "fold", cwd=tmp_path)
    assert "--kind: one of merge, split, rename, abolish" in one_line_error(run)
