"""`parindex audit` and `parindex trend` as real processes on the bundled catalog."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from methodology.catalog import bundled_root
from tests.helpers import run

pytestmark = pytest.mark.slow  # a `parindex` process per command

SAMPLES = bundled_root() / "submissions" / "par-provincial"
FROM, TO = "par-provincial@par-provincial/2019", "par-provincial@par-provincial/2022"


@pytest.fixture(scope="module")
def cli_store(tmp_path_factory, template_store: Path) -> Path:
    """A copy of the store `parindex init` makes (tests/methodology/test_cli.py runs init)."""
    path = tmp_path_factory.mktemp("audit") / "store"
    shutil.copytree(template_store, path)
    return path


def test_audit_json_on_the_bundled_samples(cli_store):
    out = run("audit", "--from", FROM, "--to", TO, "--format", "json", store=cli_store).stdout
    data = json.loads(out)
    assert data["from"]["label"] == "1149/QĐ-BNV" and data["to"]["label"] == "876/QĐ-BNV"
    assert data["submissions"]["source"] == "bundled samples provinces 2021, provinces 2022"
    assert len(data["units"]) == 63
    for unit in data["units"]:
        amounts = sum((Decimal(repr(e["amount"])) for e in unit["attribution"]), Decimal(0))
        assert amounts == Decimal(repr(unit["delta"]))
        assert unit["rank_change"] == unit["rank_from"] - unit["rank_to"]


def test_audit_of_a_folder_reports_incomplete_units(cli_store):
    result = run("audit", "--from", FROM, "--to", TO, str(SAMPLES / "2021"), store=cli_store).stdout
    assert "63 units, 0 complete" in result
    assert "incomplete: missing Số cuộc đối thoại" in result


def test_audit_markdown_and_charts(cli_store, tmp_path):
    out = run(
        "audit",
        "--from",
        FROM,
        "--to",
        TO,
        str(SAMPLES / "2021"),
        "--fill",
        str(SAMPLES / "2022"),
        "--format",
        "markdown",
        "--charts",
        str(tmp_path),
        "--unit",
        "tp-ho-chi-minh",
        store=cli_store,
    ).stdout
    assert out.startswith("# So sánh điểm Chỉ số CCHC giữa hai phiên bản bộ chỉ số")
    assert "| Thành phố Hồ Chí Minh |" in out
    for name in ("slope", "waterfall"):
        assert (tmp_path / f"{name}.svg").read_text(encoding="utf-8").lstrip().startswith("<?xml")
        assert (tmp_path / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"]({tmp_path / f'{name}.svg'})" in out


def test_trend_json(cli_store):
    data = json.loads(
        run("trend", "--from", FROM, "--to", TO, "--format", "json", store=cli_store).stdout
    )
    hcm = next(u for u in data["units"] if u["unit"] == "tp-ho-chi-minh")
    assert (hcm["period_from"], hcm["period_to"]) == ("2021", "2022")
    total = Decimal(repr(hcm["methodology_effect"])) + Decimal(repr(hcm["performance_effect"]))
    assert total + Decimal(repr(hcm["rounding"])) == Decimal(repr(hcm["delta"]))


def test_trend_reads_versions_from_the_submissions(cli_store):
    out = run("trend", str(SAMPLES / "2021"), str(SAMPLES / "2022"), store=cli_store).stdout
    assert out.startswith(f"from {FROM} (1149/QĐ-BNV) to {TO} (876/QĐ-BNV)")


def test_unknown_version_is_one_line_error(cli_store):
    result = run(
        "audit", "--from", "par-provincial@khong-co", "--to", TO, store=cli_store, check_rc=2
    )
    assert result.stderr.startswith("error:") and len(result.stderr.splitlines()) == 1
