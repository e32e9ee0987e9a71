"""Node-level writes: one commit per edit list, stale bases refused, nothing half-written."""

from __future__ import annotations

import pytest

from methodology import StaleBaseError, open_methodology
from methodology.authoring import (
    CreateNode,
    DeleteNode,
    EditRejected,
    MoveNode,
    UpdateNode,
    apply_edits,
)
from methodology.errors import FormatError, MethodologyError
from tests.methodology.helpers import ANH, BINH, node_text


def test_update_lands_as_one_commit_with_the_author(store):
    head = store.head()
    text = node_text(store, "ket-qua-ro-rang").replace("Đạt yêu cầu", "Đạt đầy đủ yêu cầu")
    commit = apply_edits(
        store,
        "vi-du",
        [UpdateNode("ket-qua-ro-rang", text)],
        author=ANH,
        message="Làm rõ hướng dẫn 1.1.3",
        base=head,
    )
    info = store.commit_info(commit)
    assert info.parents == (head,) or list(info.parents) == [head]
    assert info.author_name == "Nguyễn Văn Anh"
    assert (
        "Đạt đầy đủ yêu cầu" in open_methodology(store, "vi-du").nodes["ket-qua-ro-rang"].guidance
    )


def test_create_move_delete_in_one_commit(store):
    new = """---
id: cong-khai-ket-qua
code: "1.3.2"
title: Công khai kết quả kiểm tra
max_points: 1
inputs:
  da_cong_khai: {type: bool, label: Đã công khai kết quả kiểm tra}
scoring: {kind: boolean, when: da_cong_khai}
source: {illustrative: true}
---
Kết quả kiểm tra được công khai trên cổng thông tin điện tử.
"""
    parent = node_text(store, "kiem-tra-cchc").replace("max_points: 3", "max_points: 4")
    plan = node_text(store, "ke-hoach-cchc").replace("max_points: 5", "max_points: 4")
    complaints = node_text(store, "tiep-nhan-phan-anh").replace("max_points: 4", "max_points: 2")
    moved_leaf = node_text(store, "xu-ly-phan-anh").replace('code: "2.2.1"', 'code: "2.3.2"')
    online = node_text(store, "dich-vu-cong-truc-tuyen").replace("max_points: 2", "max_points: 4")
    before = store.head()
    commit = apply_edits(
        store,
        "vi-du",
        [
            CreateNode("kiem-tra-cchc", new),
            UpdateNode("kiem-tra-cchc", parent),
            DeleteNode("ket-qua-ro-rang"),
            UpdateNode("ke-hoach-cchc", plan),
            MoveNode("xu-ly-phan-anh", "dich-vu-cong-truc-tuyen"),
            UpdateNode("xu-ly-phan-anh", moved_leaf),
            UpdateNode("tiep-nhan-phan-anh", complaints),
            UpdateNode("dich-vu-cong-truc-tuyen", online),
        ],
        author=BINH,
        message="Sắp xếp lại",
        base=before,
    )
    m = open_methodology(store, "vi-du")
    assert m.commit == commit and store.commit_info(commit).parents[0] == before
    assert m.nodes["cong-khai-ket-qua"].parent == "kiem-tra-cchc"
    assert m.nodes["xu-ly-phan-anh"].parent == "dich-vu-cong-truc-tuyen"
    assert (
        m.nodes["xu-ly-phan-anh"].path
        == "vi-du/cai-cach-tthc/dich-vu-cong-truc-tuyen/xu-ly-phan-anh.md"
    )
    assert "ket-qua-ro-rang" not in m.nodes
    changed = {c.path for entry in store.log("vi-du/", commit)[:1] for c in entry.changes}
    assert "vi-du/chi-dao-dieu-hanh/ke-hoach-cchc/ket-qua-ro-rang.md" in changed
    assert "vi-du/chi-dao-dieu-hanh/kiem-tra-cchc/cong-khai-ket-qua.md" in changed


def test_invalid_result_writes_nothing(store):
    head = store.head()
    text = node_text(store, "ket-qua-ro-rang").replace("max_points: 1", "max_points: 2")
    with pytest.raises(EditRejected) as info:
        apply_edits(store, "vi-du", [UpdateNode("ket-qua-ro-rang", text)], author=ANH, message="x")
    assert any(p.code == "children-exceed-parent" for p in info.value.report.errors)
    assert store.head() == head


def test_malformed_text_writes_nothing(store):
    head = store.head()
    with pytest.raises(FormatError):
        apply_edits(
            store,
            "vi-du",
            [UpdateNode("ket-qua-ro-rang", "no front matter")],
            author=ANH,
            message="x",
        )
    assert store.head() == head


def test_stale_base_refused_when_the_same_node_changed(store):
    base = store.head()
    first = node_text(store, "ket-qua-ro-rang").replace("Đạt yêu cầu", "Anh sửa")
    apply_edits(
        store, "vi-du", [UpdateNode("ket-qua-ro-rang", first)], author=ANH, message="a", base=base
    )
    second = node_text(store, "ket-qua-ro-rang", f"vi-du@{base}").replace("Đạt yêu cầu", "Bình sửa")
    head = store.head()
    with pytest.raises(StaleBaseError) as info:
        apply_edits(
            store,
            "vi-du",
            [UpdateNode("ket-qua-ro-rang", second)],
            author=BINH,
            message="b",
            base=base,
        )
    assert any("ket-qua-ro-rang" in path for path in info.value.conflicts)
    assert store.head() == head


def test_stale_base_accepted_when_other_nodes_changed(store):
    base = store.head()
    a = node_text(store, "ket-qua-ro-rang").replace("Đạt yêu cầu", "Anh sửa")
    apply_edits(
        store, "vi-du", [UpdateNode("ket-qua-ro-rang", a)], author=ANH, message="a", base=base
    )
    b = node_text(store, "xac-dinh-nhiem-vu", f"vi-du@{base}").replace("Không đầy đủ", "Bình sửa")
    apply_edits(
        store, "vi-du", [UpdateNode("xac-dinh-nhiem-vu", b)], author=BINH, message="b", base=base
    )
    m = open_methodology(store, "vi-du")
    assert "Anh sửa" in m.nodes["ket-qua-ro-rang"].guidance
    assert "Bình sửa" in m.nodes["xac-dinh-nhiem-vu"].guidance


def test_derived_methodology_local_node_edits_and_inherited_refusal(store):
    m = open_methodology(store, "daklak-so")
    local = m.nodes["nhiem-vu-ubnd-tinh-giao"]
    assert m.derivation[local.id].status == "local"
    text = store.read_blob(local.blob).decode("utf-8") + "\nBổ sung hướng dẫn.\n"
    commit = apply_edits(
        store, "daklak-so", [UpdateNode(local.id, text)], author=ANH, message="sửa", base=m.commit
    )
    assert "Bổ sung hướng dẫn." in open_methodology(store, "daklak-so").nodes[local.id].guidance
    inherited = (
        store.read_blob(m.nodes["ke-hoach-cchc"].blob).decode("utf-8")
        if m.nodes["ke-hoach-cchc"].blob
        else ""
    )
    with pytest.raises(MethodologyError, match="inherited"):
        apply_edits(
            store,
            "daklak-so",
            [UpdateNode("ke-hoach-cchc", inherited or "---\nid: x\n---\n")],
            author=ANH,
            message="x",
            base=commit,
        )
