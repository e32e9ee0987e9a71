"""`parindex form` and `parindex import-form`: in-process through the Typer app (one run as
a real process), over a copy of the bundled store; a filled form becomes the YAML
submission of the same values, a bad one names its cells and writes nothing, and with
`--user` the form becomes a draft in the server's database."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from evaluators import load_submission, parse_submission
from server.cli import app
from tests.office.form_helpers import change, fill, row_of, sample_file, submission_of

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


@pytest.fixture(scope="module")
def store(tmp_path_factory, template_store: Path) -> Path:
    target = tmp_path_factory.mktemp("cli") / "store"
    shutil.copytree(template_store, target)
    return target


@pytest.fixture(scope="module")
def blank(tmp_path_factory, store: Path) -> Path:
    to = tmp_path_factory.mktemp("form") / "bieu-mau.xlsx"
    r = runner.invoke(
        app,
        [
            *("form", "par-provincial@2022", "--unit", "dak-lak", "--period", "2023"),
            *("--to", str(to), "--store", str(store)),
        ],
    )
    assert r.exit_code == 0, r.output
    assert r.output.startswith(f"wrote {to}: par-provincial@2022, unit dak-lak, period 2023")
    return to


def test_a_filled_form_becomes_the_yaml_submission(tmp_path, store, blank):
    data = submission_of(sample_file("par-provincial", "2023", "dak-lak"))
    filled = tmp_path / "da-dien.xlsx"
    filled.write_bytes(fill(blank.read_bytes(), data))
    out = tmp_path / "dak-lak.yaml"
    r = runner.invoke(
        app,
        ["import-form", str(filled), "--to", str(out), "--unit", "dak-lak", "--store", str(store)],
    )
    assert r.exit_code == 0, r.output
    assert r.output.startswith(f"wrote {out}: dak-lak, period 2023, 96 values")
    written = load_submission(out)
    own = parse_submission(
        {k: data[k] for k in ("unit", "period", "values", "not_applicable", "facts")}
    )
    assert written.content_hash() == own.content_hash()
    assert (written.methodology, written.ref) == ("par-provincial", "2022")
    # Without --to, the same YAML on standard output.
    r = runner.invoke(app, ["import-form", str(filled), "--store", str(store)])
    assert r.exit_code == 0 and yaml.safe_load(r.stdout) == yaml.safe_load(out.read_text())


def test_bad_cells_are_named_and_nothing_is_written(tmp_path, store, blank):
    data = submission_of(sample_file("par-provincial", "2023", "dak-lak"))
    good = fill(blank.read_bytes(), data)
    ratio = row_of(good, "input:ty_le_hoan_thanh_ke_hoach_cchc")
    count = row_of(good, "input:so_sang_kien_cchc")

    def wrong(wb):
        wb["Tự đánh giá"][f"G{ratio}"] = 2.5
        wb["Tự đánh giá"][f"G{count}"] = "=10+2"

    bad = tmp_path / "sai.xlsx"
    bad.write_bytes(change(good, wrong))
    out = tmp_path / "khong-ghi.yaml"
    r = runner.invoke(app, ["import-form", str(bad), "--to", str(out), "--store", str(store)])
    assert r.exit_code == 2
    assert f"error: Tự đánh giá!G{count}: ô chứa công thức" in r.stderr
    assert not out.exists()
    # With the formula gone, the bound is the submission check's, at its cell.
    bad.write_bytes(change(good, lambda wb: wb["Tự đánh giá"].__setitem__(f"G{ratio}", 2.5)))
    r = runner.invoke(app, ["import-form", str(bad), "--to", str(out), "--store", str(store)])
    assert r.exit_code == 2 and not out.exists()
    assert r.stderr.strip() == f"error: Tự đánh giá!G{ratio}: giá trị phải là số, %, từ 0 đến 100"


def test_a_form_of_another_unit_or_period_is_refused(tmp_path, store, blank):
    out = tmp_path / "khong-ghi.yaml"
    for option, value, words in (
        ("--unit", "ha-noi", "đơn vị “dak-lak”, không phải “ha-noi”"),
        ("--period", "2024", "kỳ đánh giá “2023”, không phải “2024”"),
    ):
        r = runner.invoke(
            app,
            ["import-form", str(blank), option, value, "--to", str(out), "--store", str(store)],
        )
        assert r.exit_code == 2 and words in r.stderr and "Tự đánh giá!C3" in r.stderr
    assert not out.exists()


def test_with_user_the_form_becomes_a_draft_in_the_database(tmp_path, template_store):
    from sqlmodel import Session, select

    from server.auth import Principal
    from server.deps import open_services
    from server.models import Submission
    from server.serve import add_user
    from server.services.units import create_unit
    from server.settings import Settings

    data_dir = tmp_path / "var"
    shutil.copytree(template_store, data_dir / "store")
    url = f"sqlite:///{data_dir / 'parindex.db'}"
    settings = Settings(data_dir=str(data_dir), database_url=url, samples=False)
    admin = add_user(settings, "Quản trị", "admin")  # migrates the database first
    services = open_services(settings)
    try:
        create_unit(
            services,
            Principal(admin.id, admin.name, "admin"),
            {
                "id": "so-noi-vu",
                "name": "Sở Nội vụ",
                "level": "sở",
                "province": "dak-lak",
                "cohorts": ["daklak-so"],
                "methodology": "daklak-so",
            },
        )
    finally:
        services.close()
    add_user(settings, "Cán bộ Sở Nội vụ", "unit_submitter", unit_id="so-noi-vu")
    form = tmp_path / "so-noi-vu.xlsx"
    store = ["--store", str(data_dir / "store")]
    r = runner.invoke(
        app,
        [
            *("form", "daklak-so@daklak-so/2022", "--unit", "so-noi-vu", "--period", "2023"),
            *("--to", str(form), *store),
        ],
    )
    assert r.exit_code == 0, r.output
    data = submission_of(sample_file("daklak-so", "2023", "so-noi-vu"))
    form.write_bytes(fill(form.read_bytes(), data))
    db = ["--database-url", url, "--data-dir", str(data_dir)]
    r = runner.invoke(app, ["import-form", str(form), "--user", "Ai đó", *db])
    assert r.exit_code == 2 and "không có người dùng 'Ai đó'" in r.stderr
    r = runner.invoke(app, ["import-form", str(form), "--user", "Cán bộ Sở Nội vụ", *db])
    assert r.exit_code == 0, r.output
    assert r.output.startswith("draft 1 of so-noi-vu, period 2023 (daklak-so@daklak-so/2022)")
    services = open_services(settings)
    try:
        with Session(services.db) as session:
            rows = session.exec(select(Submission)).all()
    finally:
        services.close()
    assert [(s.status, s.values, s.not_applicable) for s in rows] == [
        ("draft", data["values"], data["not_applicable"])
    ]


@pytest.mark.slow  # a real process
def test_the_real_command_prints_each_problem_on_one_line(tmp_path, store, blank):
    bad = tmp_path / "sai.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really a workbook")
    result = subprocess.run(
        [sys.executable, "-m", "server", "import-form", str(bad), "--store", str(store)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip() == (
        "error: sai.xlsx: không phải tệp Excel .xlsx (tệp hỏng hoặc sai định dạng)"
    )
