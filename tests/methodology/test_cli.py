"""The `parindex` command, run as a real process against a real store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from methodology.catalog import bundled_root
from tests.helpers import run

pytestmark = pytest.mark.slow  # a `parindex` process per command


@pytest.fixture(scope="module")
def cli_store(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "store"
    result = run("init", "--store", str(path))
    assert "initialised" in result.stdout
    assert "vi-du/2013" in result.stderr  # progress goes to stderr
    return path


def test_show_text_lists_the_tree(cli_store):
    out = run("show", "vi-du@vi-du/2014", store=cli_store).stdout
    lines = out.splitlines()
    assert (
        lines[0].startswith("vi-du@vi-du/2014 (") and "Chỉ số cải cách hành chính mẫu" in lines[0]
    )
    assert any(
        line.startswith("    1.1.4") and "Mức độ thực hiện kế hoạch CCHC" in line for line in lines
    )
    assert lines[-1] == "2 lĩnh vực, 6 tiêu chí, 10 tiêu chí thành phần; tổng 20 điểm"


def test_show_json_shape(cli_store):
    data = json.loads(run("show", "vi-du@2013", "--format", "json", store=cli_store).stdout)
    assert {"methodology", "ref", "commit", "nodes"} <= set(data)
    assert data["methodology"] == "vi-du" and data["ref"] == "2013" and len(data["commit"]) == 40
    field = data["nodes"][0]
    keys = {
        "id",
        "code",
        "title",
        "max_points",
        "inputs",
        "scoring",
        "applicability",
        "assessed_by",
        "provenance",
        "children",
    }
    assert keys <= set(field)
    leaf = field["children"][0]["children"][3]
    assert leaf["code"] == "1.1.4" and leaf["provenance"] == "official"
    assert leaf["scoring"]["tiers"][0] == {"when": "ty_le_hoan_thanh_ke_hoach > 90%", "points": 2}


def test_validate_exit_codes(cli_store, tmp_path):
    ok = run("validate", "vi-du@2014", store=cli_store)
    assert ok.stdout.strip().endswith("vi-du: valid (0 errors, 0 warnings)")
    bad = tmp_path / "bad"
    import shutil

    shutil.copytree(bundled_root() / "vi-du" / "2014", bad)
    manifest = bad / "methodology.yaml"
    manifest.write_text(
        manifest.read_text(encoding="utf-8").replace("scale: 20", "scale: 100"), encoding="utf-8"
    )
    result = run("validate", str(bad), "--format", "json", check_rc=1)
    data = json.loads(result.stdout)
    assert data["ok"] is False and data["problems"][0]["code"] == "total-not-scale"


def test_diff_formats(cli_store):
    data = json.loads(
        run("diff", "vi-du@2013", "vi-du@2014", "--format", "json", store=cli_store).stdout
    )
    assert set(data) >= {"from", "to", "changes"}
    kinds = {(c["kind"], c["code"]) for c in data["changes"]}
    assert (
        ("removed", "1.2.2") in kinds and ("added", "2.3") in kinds and ("moved", "2.3.1") in kinds
    )
    text = run("diff", "vi-du@2013", "vi-du@2014", store=cli_store).stdout
    assert "Kiểm tra CCHC" in text and "≥ 95%" in text
    markdown = run(
        "diff", "vi-du@2013", "vi-du@2014", "--format", "markdown", store=cli_store
    ).stdout
    assert markdown.startswith("#") and "|" in markdown


def test_log_follows_a_moved_node(cli_store):
    data = json.loads(
        run("log", "vi-du", "ty-le-truc-tuyen", "--format", "json", store=cli_store).stdout
    )
    kinds = [e["kind"] for e in data["entries"]]
    assert kinds == ["moved", "added"]
    assert data["entries"][0]["path"].endswith("dich-vu-cong-truc-tuyen/ty-le-truc-tuyen.md")
    assert data["entries"][0]["old_path"].endswith("giai-quyet-tthc/ty-le-truc-tuyen.md")


def test_blame_and_releases(cli_store):
    blame = json.loads(
        run("blame", "vi-du", "muc-do-thuc-hien", "--format", "json", store=cli_store).stdout
    )
    assert blame[0]["text"].startswith("Thực hiện từ 95%") and blame[0]["date"].startswith(
        "2014-12-31"
    )
    assert blame[-1]["date"].startswith("2013-12-31")
    releases = json.loads(run("releases", "vi-du", "--format", "json", store=cli_store).stdout)
    assert [(r["tag"], r["decision"], r["date"]) for r in releases] == [
        ("vi-du/2013", "VD-01/2013", "2013-12-31"),
        ("vi-du/2014", "VD-02/2014", "2014-12-31"),
    ]
    assert [(r["effective"], r["years"], r["amends"]) for r in releases] == [
        ("2013-12-31", [2014], None),
        ("2014-12-31", [2015, 2016, 2017, 2018, 2019, 2020], "vi-du/2013"),
    ]


def test_release_tags_a_version_with_its_years_effective_date_and_amended_release(cli_store):
    made = run(
        "release",
        "vi-du",
        "sua-doi",
        "--decision",
        "VD-03/2016",
        "--date",
        "30/06/2016",
        "--years",
        "2016-2020",
        "--effective",
        "2016-07-01",
        "--amends",
        "vi-du/2014",
        store=cli_store,
    ).stdout
    assert made.startswith("released vi-du/sua-doi (VD-03/2016, 2016-06-30) at ")
    assert made.rstrip().endswith("in force from 2016-07-01, for 2016–2020, amending vi-du/2014")
    lines = run("releases", "vi-du", store=cli_store).stdout.splitlines()
    assert lines[0].split() == [
        "Quyết",
        "định",
        "Ngày",
        "ban",
        "hành",
        "Ngày",
        "hiệu",
        "lực",
        "Năm",
        "áp",
        "dụng",
        "commit",
        "Sửa",
        "đổi,",
        "bổ",
        "sung",
    ]
    assert lines[-1].split()[:5] == [
        "vi-du/sua-doi",
        "VD-03/2016",
        "2016-06-30",
        "2016-07-01",
        "2016–2020",
    ]
    assert lines[-1].split()[-1] == "vi-du/2014"
    # the year 2017 is 2014's and its amendment's: the amendment is the version for it
    shown = json.loads(run("show", "vi-du@year:2017", "--format", "json", store=cli_store).stdout)
    tagged = json.loads(run("show", "vi-du@sua-doi", "--format", "json", store=cli_store).stdout)
    assert shown["commit"] == tagged["commit"]
    before = json.loads(run("show", "vi-du@2016-06-30", "--format", "json", store=cli_store).stdout)
    older = json.loads(run("show", "vi-du@2014", "--format", "json", store=cli_store).stdout)
    assert before["commit"] == older["commit"] != tagged["commit"]  # decided, not yet in force
    for args, said in (
        (("--years", "2016-20"), "error: years: 2016-20 ends before it starts"),
        (
            ("--amends", "par-provincial/2022"),
            "error: amends: par-provincial/2022 is not a release of vi-du",
        ),
        (("--effective", "2016-06-29"), "error: the effective date 2016-06-29 is before"),
        (("--effective", "mai"), "error: --effective: “mai” không phải là ngày"),
    ):
        refused = run(
            "release",
            "vi-du",
            "khac",
            "--decision",
            "VD-04/2016",
            "--date",
            "2016-06-30",
            *args,
            store=cli_store,
            check_rc=None,
        )
        assert refused.returncode != 0 and refused.stderr.startswith(said), refused.stderr
    assert "vi-du/khac" not in run("releases", "vi-du", store=cli_store).stdout


def test_errors_are_one_line_and_non_zero(cli_store, tmp_path):
    result = run("show", "vi-du@2031", store=cli_store, check_rc=2)
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        "error: unknown ref '2031' (did you mean 2014, 2013?)"
    ]
    missing = run("show", "vi-du", "--store", str(tmp_path / "none"), check_rc=2)
    assert len(missing.stderr.strip().splitlines()) == 1 and "parindex init" in missing.stderr
    again = run("init", "--store", str(cli_store), check_rc=2)
    assert "already exists" in again.stderr
