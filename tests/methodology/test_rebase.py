"""Rebase of a derived index onto a new parent version: conflicts, drift, followed, inherited."""

from __future__ import annotations

import pytest

from methodology import Delete, Person, Put, open_methodology, validate
from methodology.rebase import RebaseConflict, plan_rebase, write_rebase
from tests.methodology.helpers import LOCAL, MANIFEST, OVERLAY, commit_derived

EDITOR = Person("Vụ CCHC", "vucchc@example.vn")


def text(store, m, node_id: str) -> str:
    return store.read_blob(m.nodes[node_id].blob).decode("utf-8")


@pytest.fixture
def moved_parent(store):
    """vi-du/2015: one node replaced (new id), one overridden node retitled, one removed, one added."""
    commit_derived(
        store,
        {
            "methodology.yaml": MANIFEST,
            "overlay.yaml": OVERLAY,
            "cai-cach-tthc/tham-muu-tthc.md": LOCAL,
        },
    )
    m = open_methodology(store, "vi-du@vi-du/2014")
    old_path = m.nodes["muc-do-thuc-hien"].path
    replaced = text(store, m, "muc-do-thuc-hien").replace(
        "id: muc-do-thuc-hien", "id: ty-le-thuc-hien-ke-hoach\nreplaces: [muc-do-thuc-hien]"
    )
    report_node = text(store, m, "bao-cao-cchc").replace(
        "title: Báo cáo CCHC", "title: Báo cáo công tác CCHC"
    )
    field = text(store, m, "cai-cach-tthc")
    new_criterion = """---
id: so-hoa-ho-so
code: "2.4"
title: Số hoá hồ sơ, kết quả giải quyết TTHC
max_points: 4
inputs:
  ty_le_so_hoa: {type: ratio, label: Tỷ lệ hồ sơ được số hoá}
scoring: {kind: linear, of: ty_le_so_hoa, thresholds: [{at: 0, points: 0}, {at: 100%, points: 4}]}
source: {illustrative: true}
---
Điểm tăng tuyến tính theo tỷ lệ hồ sơ được số hoá.
"""
    commit = store.commit(
        [
            Delete(old_path),
            Put(
                old_path.replace("muc-do-thuc-hien.md", "ty-le-thuc-hien-ke-hoach.md"),
                replaced.encode(),
            ),
            Put(m.nodes["bao-cao-cchc"].path, report_node.encode()),
            Delete("vi-du/cai-cach-tthc/tiep-nhan-phan-anh"),
            Put("vi-du/cai-cach-tthc/so-hoa-ho-so.md", new_criterion.encode()),
            Put(m.nodes["cai-cach-tthc"].path, field.encode()),
        ],
        message="vi-du 2015",
        author=EDITOR,
    )
    import datetime as dt

    store.tag_release("vi-du", "2015", commit, decision="VD-03/2015", date=dt.date(2015, 12, 31))
    assert validate(open_methodology(store, "vi-du@vi-du/2015")).ok
    return store


def test_plan_reports_conflict_drift_followed_and_inherited(moved_parent):
    store = moved_parent
    head = store.head()
    report = plan_rebase(store, "vi-du-so", "vi-du/2015")
    assert store.head() == head  # planning writes nothing
    assert [(c["id"], c["entry"]) for c in report.conflicts] == [
        ("tiep-nhan-phan-anh", "remove tiep-nhan-phan-anh")
    ]
    assert "delete the `remove` entry" in report.conflicts[0]["resolution"]
    (drift,) = report.drift
    assert drift["id"] == "bao-cao-cchc" and drift["keys"] == ["title"]
    assert (drift["parent_old"]["title"], drift["parent_new"]["title"], drift["ours"]["title"]) == (
        "Báo cáo CCHC",
        "Báo cáo công tác CCHC",
        "Báo cáo CCHC của sở",
    )
    followed = {(f["id"], f["to"], f["kind"]) for f in report.followed}
    assert ("muc-do-thuc-hien", "ty-le-thuc-hien-ke-hoach", "replaced") in followed
    assert [n["id"] for n in report.inherited] == ["so-hoa-ho-so"]
    assert report.effective_diff is None  # not computed while conflicts remain
    data = report.to_json()
    assert {"conflicts", "drift", "followed", "inherited", "effective_diff"} <= set(data)
    with pytest.raises(RebaseConflict):
        write_rebase(store, report, author=EDITOR)
    assert store.head() == head


def test_resolved_conflict_then_write_moves_the_pin_and_follows_ids(moved_parent):
    store = moved_parent
    overlay = OVERLAY.replace(
        "remove:\n  - id: tiep-nhan-phan-anh\n    reason: Sở không tiếp nhận phản ánh trực tiếp\n",
        "",
    )
    commit_derived(store, {"overlay.yaml": overlay})
    report = plan_rebase(store, "vi-du-so", "vi-du/2015")
    assert report.ok and report.effective_diff is not None
    kinds = {(c.kind, c.id) for c in report.effective_diff.changes}
    assert ("added", "so-hoa-ho-so") in kinds
    commit = write_rebase(store, report, author=EDITOR)
    rebased = open_methodology(store, "vi-du-so")
    assert rebased.commit == commit
    assert rebased.extends["ref"] == "vi-du/2015"
    manifest = store.read_file(commit, "vi-du-so/methodology.yaml").decode()
    assert "extends: vi-du@vi-du/2015" in manifest
    overlay_after = store.read_file(commit, "vi-du-so/overlay.yaml").decode()
    assert "ty-le-thuc-hien-ke-hoach:" in overlay_after and "muc-do-thuc-hien" not in overlay_after
    assert rebased.derivation["ty-le-thuc-hien-ke-hoach"].status == "overridden"


def test_rebase_onto_the_same_pin_reports_nothing(store):
    commit_derived(
        store,
        {
            "methodology.yaml": MANIFEST,
            "overlay.yaml": OVERLAY,
            "cai-cach-tthc/tham-muu-tthc.md": LOCAL,
        },
    )
    report = plan_rebase(store, "vi-du-so", "vi-du/2014")
    assert (report.conflicts, report.drift, report.followed, report.inherited) == ([], [], [], [])
    assert report.effective_diff.is_empty
