"""`parindex evaluate` and `parindex rank` as real processes on the bundled catalog."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from methodology.catalog import bundled_root
from tests.helpers import run

pytestmark = pytest.mark.slow  # a `parindex` process per command

SAMPLES = bundled_root() / "submissions"


@pytest.fixture(scope="module")
def cli_store(tmp_path_factory, template_store: Path) -> Path:
    """A copy of the store `parindex init` makes (tests/methodology/test_cli.py runs init)."""
    path = tmp_path_factory.mktemp("scoring") / "store"
    shutil.copytree(template_store, path)
    return path


def test_evaluate_json_has_the_stable_keys(cli_store):
    out = run(
        "evaluate",
        "par-provincial@par-provincial/2022",
        str(SAMPLES / "par-provincial/2022/quang-ninh.yaml"),
        "--format",
        "json",
        store=cli_store,
    ).stdout
    data = json.loads(out)
    assert {
        "unit",
        "period",
        "methodology",
        "commit",
        "total",
        "applicable_max",
        "index",
        "result_hash",
        "nodes",
    } <= set(data)
    assert data["unit"] == "quang-ninh" and data["complete"] is True
    node = data["nodes"][0]
    assert set(node) == {"id", "code", "points", "max_points", "applicable_max", "status", "rule"}
    leaves = [n for n in data["nodes"] if n["rule"]]
    assert leaves and all(n["status"] in ("scored", "not_applicable") for n in leaves)


def test_evaluate_explain_shows_values(cli_store):
    out = run(
        "evaluate",
        "par-provincial@par-provincial/2022",
        str(SAMPLES / "par-provincial/2022/ha-noi.yaml"),
        "--explain",
        store=cli_store,
    ).stdout
    assert "Hà Nội · 2022 · par-provincial" in out.splitlines()[0]
    assert "tier:" in out and "[" in out  # the rule and the values behind it


def test_evaluate_incomplete_exits_1_and_lists_every_missing_input(cli_store, tmp_path):
    source = (SAMPLES / "par-provincial/2022/ha-noi.yaml").read_text(encoding="utf-8")
    lines = [line for line in source.splitlines() if not line.startswith("  ty_le")]
    broken = tmp_path / "ha-noi.yaml"
    broken.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run(
        "evaluate",
        "par-provincial@par-provincial/2022",
        str(broken),
        "--format",
        "json",
        store=cli_store,
        check_rc=1,
    )
    data = json.loads(result.stdout)
    missing = [p for p in data["problems"] if p["status"] == "missing"]
    dropped = [
        line.split(":")[0].strip() for line in source.splitlines() if line.startswith("  ty_le")
    ]
    assert {p["path"] for p in missing} >= {f"$.values.{i}" for i in dropped}
    assert data["total"] is None


def test_rank_folder_text_and_json(cli_store):
    folder = str(SAMPLES / "daklak-so/2023")
    text = run("rank", "daklak-so@daklak-so/2022", folder, store=cli_store).stdout
    assert "(đánh giá, không xếp hạng)" in text and "1, 2, 2, 4" in text
    data = json.loads(
        run("rank", "daklak-so@daklak-so/2022", folder, "--format", "json", store=cli_store).stdout
    )
    units = {u["unit"]: u for u in data["units"]}
    assert units["ban-dan-toc"]["rank"] is None and units["thanh-tra-tinh"]["rank"] is None
    ranks = sorted(u["rank"] for u in data["units"] if u["rank"] is not None)
    assert ranks[0] == 1 and len(ranks) == 16
    assert sum(data["bands"].values()) == 18


def test_both_engines_give_the_same_result_from_the_cli(cli_store):
    sample = str(SAMPLES / "par-provincial/2021/hai-phong.yaml")
    outputs = [
        json.loads(
            run(
                "evaluate",
                "par-provincial@par-provincial/2019",
                sample,
                "--engine",
                engine,
                "--format",
                "json",
                "--explain",
                store=cli_store,
            ).stdout
        )
        for engine in ("compiled", "durable")
    ]
    compiled, durable = outputs
    assert (compiled["engine"], durable["engine"]) == ("compiled", "durable")
    assert compiled["result_hash"] == durable["result_hash"]
    assert compiled["total"] == durable["total"] and compiled["nodes"] == durable["nodes"]


def test_rank_compares_with_the_published_results(cli_store):
    out = run(
        "rank",
        "par-provincial@par-provincial/2022",
        str(SAMPLES / "par-provincial/2023"),
        "--compare-published",
        "--format",
        "json",
        store=cli_store,
    ).stdout
    published = json.loads(out)["published"]
    assert published["cohort"] == "provinces" and published["year"] == 2023
    assert published["published_average"] == 86.98 and published["published_groups"] == {"A": 7}
    rows = {(r["unit"], r["source"]): r for r in published["units"]}
    # both of Hải Phòng's published totals are shown, each with its source
    assert rows[("hai-phong", "ghi-chep")]["published_total"] == 91.87
    assert rows[("hai-phong", "doanhnghiephoinhap-hai-phong")]["published_total"] == 91.81
    an_giang = rows[("an-giang", "ghi-chep-2023")]
    assert an_giang["published_rank"] == 63 and an_giang["rank"] == 63
    assert abs(an_giang["difference"]) <= 0.5
    text = run(
        "rank",
        "par-provincial@par-provincial/2022",
        str(SAMPLES / "par-provincial/2024"),
        "--compare-published",
        store=cli_store,
    ).stdout
    assert "So với kết quả công bố năm 2024 (provinces)" in text
    assert "Trung bình:" in text and "công bố 88.37" in text and "A: 13" in text
