"""Units that merge, split and disappear, over real HTTP-shaped requests on a real
database: the registry's levels, succession events with their dates and legal basis, a
unit's lineage, its series across a merger (predecessors listed, combined by a named
rule), and cohorts or units not ranked in a period with the reason.

The data-driven tests load a small slice of the bundled samples (Đắk Lắk and Phú Yên
merged into `dak-lak-2025`, Hà Nội unchanged, Thừa Thiên Huế renamed Huế, Đắk Lắk's
departments in 2024) through the same loader as the full set.
"""

from __future__ import annotations

import io
import shutil
import unicodedata
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from litestar.testing import TestClient
from openpyxl import load_workbook

from server.app import create_app
from server.db import migrate
from server.services.samples import load_samples
from server.services.succession import ended_units
from server.settings import Settings
from tests.server.helpers import BUNDLED, assert_problem, user_maker


def _unit(client, headers, uid: str, level: str = "tỉnh", **extra) -> None:
    body = {"id": uid, "name": uid.replace("-", " ").title(), "level": level, **extra}
    r = client.post("/api/units", json=body, headers=headers)
    assert r.status_code == 201, r.text


# -- the registry and events, on an empty database (SQLite and PostgreSQL) -----------


def test_levels_are_defined_once_and_a_unit_level_must_be_one_of_them(client, make_user):
    editor = make_user("ministry_editor")
    levels = client.get("/api/units/levels").json()
    assert [lv["key"] for lv in levels] == ["tỉnh", "sở", "huyện", "xã", "bộ", "đơn vị"]
    by_key = {lv["key"]: lv for lv in levels}
    assert by_key["xã"]["label"] == "Xã, phường, đặc khu"
    assert by_key["huyện"]["until"] == "2025-07-01" and by_key["tỉnh"]["until"] is None
    for cohort in BUNDLED.glob("cohorts/*.yaml"):  # every bundled cohort's level is known
        level = yaml.safe_load(cohort.read_text(encoding="utf-8"))["level"]
        assert level in by_key, cohort.name

    r = client.post(
        "/api/units", json={"id": "x", "name": "X", "level": "province"}, headers=editor
    )
    problem = assert_problem(r, 400)
    assert problem["errors"][0]["path"] == "$.level" and "tỉnh" in problem["errors"][0]["message"]
    nfd = unicodedata.normalize("NFD", "xã")
    r = client.post("/api/units", json={"id": "xa-a", "name": "Xã A", "level": nfd}, headers=editor)
    assert r.status_code == 201 and r.json()["level"] == "xã"


def test_events_have_dates_and_a_basis_and_the_lineage_runs_both_ways(client, make_user):
    editor = make_user("ministry_editor")
    for uid in ("a", "b", "c", "d", "e"):
        _unit(client, editor, uid)
    rename = {
        "kind": "rename",
        "effective": "01/01/2025",
        "basis": "Nghị quyết 175/2024/QH15",
        "predecessors": ["a"],
        "successors": ["b"],
    }
    r = client.post("/api/successions", json=rename, headers=editor)
    assert r.status_code == 201, r.text
    assert r.json()["effective"] == "2025-01-01" and r.json()["kind_label"] == "đổi tên đơn vị"
    merge = {
        "kind": "merge",
        "effective": "2025-07-01",
        "basis": "Nghị quyết 202/2025/QH15",
        "predecessors": ["b", "c"],
        "successors": ["d"],
    }
    r = client.post("/api/successions", json=merge, headers=editor)
    assert r.status_code == 201, r.text
    assert [p["id"] for p in r.json()["predecessors"]] == ["b", "c"]  # the act's order

    d = client.get("/api/units/d/lineage", headers=editor).json()
    assert [e["kind"] for e in d["earlier"]] == ["merge", "rename"]  # latest first
    assert [e["kind"] for e in d["began"]] == ["merge"] and d["ended"] is None
    a = client.get("/api/units/a/lineage", headers=editor).json()
    assert [e["kind"] for e in a["later"]] == ["rename", "merge"]  # oldest first
    assert a["ended"]["successors"] == [{"id": "b", "name": "B"}] and a["earlier"] == []
    listed = client.get("/api/successions", params={"unit": "c"}, headers=editor).json()
    assert [e["kind"] for e in listed] == ["merge"]

    # b has ended: it cannot end again
    again = {**merge, "predecessors": ["b", "e"], "successors": ["a"]}
    problem = assert_problem(client.post("/api/successions", json=again, headers=editor), 409)
    assert problem["errors"][0]["path"] == "$.predecessors[0]"


@pytest.mark.parametrize(
    ("body", "status", "path"),
    [
        ({"kind": "merge", "predecessors": ["a"], "successors": ["b"]}, 422, "$"),
        ({"kind": "split", "predecessors": ["a"], "successors": ["b"]}, 422, "$"),
        ({"kind": "merge", "predecessors": ["a", "nobody"], "successors": ["b"]}, 422, None),
        ({"kind": "merge", "effective": "31/02/2025"}, 400, "$.effective"),
        ({"kind": "fold"}, 400, "$.kind"),
        ({"basis": ""}, 400, "$.basis"),
    ],
)
def test_a_wrong_event_is_refused_where_it_is_wrong_and_writes_nothing(
    client, make_user, body, status, path
):
    editor = make_user("ministry_editor")
    _unit(client, editor, "a")
    _unit(client, editor, "b")
    base = {
        "kind": "merge",
        "effective": "2025-07-01",
        "basis": "Nghị quyết 202/2025/QH15",
        "predecessors": ["a", "b"],
        "successors": ["a"],
    }
    r = client.post("/api/successions", json={**base, **body}, headers=editor)
    problem = assert_problem(r, status)
    paths = [e["path"] for e in problem["errors"]]
    assert path is None or path in paths, paths
    if path is None:
        assert "$.predecessors[1]" in paths
    assert client.get("/api/successions", headers=editor).json() == []


def test_only_editors_record_successions_and_not_ranked_entries(client, make_user):
    editor = make_user("ministry_editor")
    _unit(client, editor, "a", cohorts=["provinces"], methodology="par-provincial")
    _unit(client, editor, "b")
    submitter = make_user("unit_submitter", unit_id="a")
    body = {
        "kind": "rename",
        "effective": "2025-01-01",
        "basis": "NQ",
        "predecessors": ["a"],
        "successors": ["b"],
    }
    assert_problem(client.post("/api/successions", json=body, headers=submitter), 403)
    entry = {"cohort": "provinces", "period": "2024", "reason": "Đang sắp xếp"}
    assert_problem(client.post("/api/not-ranked", json=entry, headers=submitter), 403)
    other = make_user("province_editor", province="son-la")
    assert_problem(client.post("/api/not-ranked", json=entry, headers=other), 403)
    r = client.post("/api/not-ranked", json=entry, headers=editor)
    assert r.status_code == 201 and r.json()["unit"] is None
    assert_problem(client.post("/api/not-ranked", json=entry, headers=editor), 409)
    stranger = {**entry, "unit": "b"}
    problem = assert_problem(client.post("/api/not-ranked", json=stranger, headers=editor), 422)
    assert problem["errors"][0]["path"] == "$.unit"
    listed = client.get("/api/not-ranked", params={"cohort": "provinces"}, headers=editor)
    assert [e["reason"] for e in listed.json()] == ["Đang sắp xếp"]


# -- across the 2025 merger, on a slice of the bundled samples ------------------------


def _slice(root: Path) -> None:
    """`methodology/bundled` cut down to Đắk Lắk, Phú Yên, Hà Nội and Thừa Thiên Huế
    (2023), their 2025 successors, and Đắk Lắk's departments in 2024."""
    keep = {"dak-lak", "phu-yen", "ha-noi", "thua-thien-hue"}
    after = {"dak-lak-2025", "ha-noi", "hue"}
    (root / "cohorts").mkdir()
    for name, ids in (("provinces", keep), ("provinces-2025", after)):
        data = yaml.safe_load((BUNDLED / "cohorts" / f"{name}.yaml").read_text(encoding="utf-8"))
        data["units"] = [u for u in data["units"] if u["id"] in ids]
        (root / "cohorts" / f"{name}.yaml").write_text(
            yaml.safe_dump(data, allow_unicode=True), encoding="utf-8"
        )
    shutil.copy(BUNDLED / "cohorts" / "daklak-so.yaml", root / "cohorts")
    plan = {
        "seed": 2026,
        "sets": [
            {
                "cohort": "provinces",
                "methodology": "par-provincial",
                "periods": [{"period": 2023, "ref": "par-provincial/2022"}],
            },
            {
                "cohort": "provinces-2025",
                "methodology": "par-provincial",
                "periods": [{"period": 2025, "ref": "par-provincial/2022"}],
            },
            {
                "cohort": "daklak-so",
                "methodology": "daklak-so",
                "periods": [{"period": 2024, "ref": "daklak-so/2022"}],
            },
        ],
    }
    (root / "samples.yaml").write_text(yaml.safe_dump(plan), encoding="utf-8")
    (root / "submissions").symlink_to(BUNDLED / "submissions", target_is_directory=True)
    (root / "succession.yaml").symlink_to(BUNDLED / "succession.yaml")


@pytest.fixture(scope="module")
def merged(tmp_path_factory, template_store) -> Iterator[tuple[TestClient, dict[str, str]]]:
    base = tmp_path_factory.mktemp("merged")
    root = base / "bundled"
    root.mkdir()
    _slice(root)
    shutil.copytree(template_store, base / "var" / "store")
    url = f"sqlite:///{base / 'parindex.db'}"
    migrate(url)
    settings = Settings(data_dir=str(base / "var"), database_url=url, samples=False)
    with TestClient(create_app(settings)) as client:
        summary = load_samples(client.app.state.services, root=root)
        assert summary is not None and summary.submissions == 4 + 3 + 18
        yield client, user_maker(client)("auditor")


def test_the_bundled_succession_is_loaded_between_the_units_loaded(merged):
    client, auditor = merged
    events = client.get("/api/successions", headers=auditor).json()
    # only the events whose units are all loaded: Huế's rename and Đắk Lắk's merger
    assert [(e["kind"], e["effective"], e["basis"]) for e in events] == [
        ("rename", "2025-01-01", "Nghị quyết 175/2024/QH15"),
        ("merge", "2025-07-01", "Nghị quyết 202/2025/QH15"),
    ]
    lineage = client.get("/api/units/dak-lak-2025/lineage", headers=auditor).json()
    assert [p["id"] for p in lineage["began"][0]["predecessors"]] == ["dak-lak", "phu-yen"]
    assert lineage["unit"] == {"id": "dak-lak-2025", "name": "Đắk Lắk", "level": "tỉnh"}
    members = client.get("/api/units", params={"cohort": "provinces-2025"}, headers=auditor)
    by_id = {u["id"]: u for u in members.json()}
    assert set(by_id) == {"dak-lak-2025", "ha-noi", "hue"}
    assert by_id["ha-noi"]["cohorts"] == ["provinces", "provinces-2025"]  # the same unit
    assert by_id["hue"]["group"] == "thành phố trực thuộc Trung ương"


def test_a_merged_province_earlier_years_are_its_predecessors_listed_and_a_named_mean(merged):
    client, auditor = merged
    r = client.get("/api/units/dak-lak-2025/series", headers=auditor)
    assert r.status_code == 200, r.text
    series = r.json()
    assert series["rule"] == "mean" and "trung bình cộng" in series["rule_label"]
    assert series["began"] == "2025-07-01"
    periods = {p["period"]: p for p in series["periods"]}
    assert set(periods) == {"2023", "2025"}
    before = periods["2023"]
    assert before["own"] is False and "index" not in before  # never the unit's own number
    listed = {p["unit"]: Decimal(p["index"]) for p in before["predecessors"]}
    assert set(listed) == {"dak-lak", "phu-yen"}
    mean = (sum(listed.values()) / 2).quantize(Decimal("0.01"))
    assert Decimal(before["combined"]) == mean and before["rule"] == "mean"
    assert periods["2025"]["own"] is True and periods["2025"]["unit"] == "dak-lak-2025"

    ranking = client.get(
        "/api/rankings", params={"cohort": "provinces", "period": "2023"}, headers=auditor
    ).json()
    indices = {u["unit"]: Decimal(str(u["index"])) for u in ranking["units"]}
    assert listed == {k: indices[k] for k in listed}  # the same numbers the ranking shows

    hanoi = client.get("/api/units/ha-noi/series", headers=auditor).json()
    assert hanoi["predecessors"] == [] and all(p["own"] for p in hanoi["periods"])
    assert [p["period"] for p in hanoi["periods"]] == ["2023", "2025"]
    problem = assert_problem(
        client.get("/api/units/dak-lak-2025/series", params={"rule": "median"}, headers=auditor),
        400,
    )
    assert problem["errors"][0]["path"] == "$.query.rule"


def test_a_cohort_not_ranked_in_a_period_lists_every_unit_with_the_reason(merged):
    client, auditor = merged
    r = client.get(
        "/api/rankings", params={"cohort": "daklak-so", "period": "2024"}, headers=auditor
    )
    assert r.status_code == 200, r.text
    ranking = r.json()
    assert "sắp xếp" in ranking["not_ranked"]["reason"]
    assert ranking["not_ranked"]["source"].startswith("baodaklak.vn")
    assert len(ranking["units"]) == 18  # listed, not dropped
    assert all(u["rank"] is None and not u["ranked"] for u in ranking["units"])
    assert all("sắp xếp" in u["not_ranked_reason"] for u in ranking["units"])
    assert all(u["index"] is not None for u in ranking["units"])  # still scored

    xlsx = client.get(
        "/api/rankings/report.xlsx",
        params={"cohort": "daklak-so", "period": "2024"},
        headers=auditor,
    )
    assert xlsx.status_code == 200, xlsx.text
    book = load_workbook(io.BytesIO(xlsx.content))
    cells = [str(c.value) for sheet in book for row in sheet.iter_rows() for c in row if c.value]
    assert any("sắp xếp" in c for c in cells)


def test_a_unit_not_ranked_keeps_its_score_and_the_others_rank_without_it(merged):
    client, auditor = merged
    editor = user_maker(client)("ministry_editor")
    entry = {
        "cohort": "provinces-2025",
        "period": "2025",
        "unit": "hue",
        "reason": "Minh hoạ: đơn vị mới thành lập",
    }
    r = client.post("/api/not-ranked", json=entry, headers=editor)
    assert r.status_code == 201, r.text
    ranking = client.get(
        "/api/rankings", params={"cohort": "provinces-2025", "period": "2025"}, headers=auditor
    ).json()
    assert ranking["not_ranked"] is None
    by_unit = {u["unit"]: u for u in ranking["units"]}
    assert by_unit["hue"]["rank"] is None and by_unit["hue"]["index"] is not None
    assert by_unit["hue"]["not_ranked_reason"] == entry["reason"]
    assert sorted(u["rank"] for u in ranking["units"] if u["ranked"]) == [1, 2]
    assert "not_ranked_reason" not in by_unit["ha-noi"]


def test_a_trend_names_the_units_that_ended_instead_of_joining_their_results(merged):
    client, _ = merged
    ended = ended_units(client.app.state.services, ["dak-lak", "phu-yen", "ha-noi", "hue"])
    assert [e["unit"] for e in ended] == ["dak-lak", "phu-yen"]
    event = ended[0]["event"]
    assert event["kind"] == "merge" and event["effective"] == "2025-07-01"
    assert event["successors"] == [{"id": "dak-lak-2025", "name": "Đắk Lắk"}]
