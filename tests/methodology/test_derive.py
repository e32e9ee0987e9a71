"""Derived indices: overlays on a pinned parent, resolved to an effective tree."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from methodology import Put, open_methodology, validate
from methodology.errors import MethodologyError
from tests.methodology.helpers import AUTHOR, LOCAL, MANIFEST, OVERLAY, commit_derived


@pytest.fixture
def derived(store):
    commit_derived(
        store,
        {
            "methodology.yaml": MANIFEST,
            "overlay.yaml": OVERLAY,
            "cai-cach-tthc/tham-muu-tthc.md": LOCAL,
        },
    )
    return open_methodology(store, "vi-du-so")


def test_effective_tree_applies_removals_overrides_and_local_nodes(derived):
    assert {"tiep-nhan-phan-anh", "xu-ly-phan-anh", "hai-long-xu-ly"}.isdisjoint(derived.nodes)
    assert derived.nodes["bao-cao-cchc"].title == "Báo cáo CCHC của sở"
    assert derived.nodes["tham-muu-tthc"].parent == "cai-cach-tthc"
    assert [n.code for n in derived.children_of("cai-cach-tthc")] == ["2.1", "2.3", "2.4"]
    assert derived.extends["methodology"] == "vi-du" and derived.extends["ref"] == "vi-du/2014"
    assert len(derived.extends["commit"]) == 40


def test_each_node_is_marked(derived):
    marks = derived.derivation
    # rescaled ×20/18, so its points differ from the parent's: overridden, with the old value
    assert marks["ket-qua-ro-rang"].status == "overridden"
    assert marks["ket-qua-ro-rang"].parent == {"max_points": Decimal(1)}
    assert marks["bao-cao-cchc"].status == "overridden"
    assert marks["bao-cao-cchc"].parent["title"] == "Báo cáo CCHC"
    assert marks["bao-cao-cchc"].reason == "Tên theo cấp sở"
    assert marks["tham-muu-tthc"].status == "local"
    assert set(marks) == set(derived.nodes)


def test_rescale_gives_the_exact_total_and_keeps_rules_consistent(derived):
    assert derived.total == Decimal(20)
    report = validate(derived)
    assert report.ok, [str(p) for p in report.errors]
    for leaf in derived.leaves():
        rule = leaf.scoring
        if rule is not None and rule.kind == "tiers":
            assert max(t.points for t in rule.tiers) == leaf.max_points
    # the overridden rule was scaled too: 2 points × 20/18
    tiers = derived.nodes["muc-do-thuc-hien"].scoring.tiers
    assert tiers[0].points == derived.nodes["muc-do-thuc-hien"].max_points == Decimal("2.22")
    assert derived.derivation["ke-hoach-cchc"].parent["max_points"] == Decimal(5)


def test_show_json_carries_derivation(derived):
    data = derived.to_json()
    assert data["extends"]["methodology"] == "vi-du"
    field = data["nodes"][1]
    assert field["derivation"]["status"] == "overridden"
    local = next(c for c in field["children"] if c["id"] == "tham-muu-tthc")
    assert local["derivation"] == {"status": "local", "parent": {}, "reason": "rescaled ×1.1111"}


def test_overlay_errors_name_the_line_and_suggest(store):
    overlay = OVERLAY.replace("  bao-cao-cchc:\n", "  bao-cao-cchcc:\n")
    commit_derived(
        store,
        {
            "methodology.yaml": MANIFEST,
            "overlay.yaml": overlay,
            "cai-cach-tthc/tham-muu-tthc.md": LOCAL,
        },
    )
    report = validate(open_methodology(store, "vi-du-so"))
    problem = next(p for p in report.errors if p.code == "overlay-unknown-node")
    assert problem.file == "vi-du-so/overlay.yaml" and problem.line == 5
    assert problem.suggestion == "did you mean `bao-cao-cchc`?"


def test_local_node_clashing_or_unattached(store):
    clash = LOCAL.replace("id: tham-muu-tthc", "id: ty-le-dung-han")
    commit_derived(
        store,
        {
            "methodology.yaml": MANIFEST,
            "overlay.yaml": OVERLAY,
            "cai-cach-tthc/ty-le-dung-han.md": clash,
            "cai-cach-tthx/tham-muu-tthc.md": LOCAL,
        },
    )
    codes = {p.code for p in validate(open_methodology(store, "vi-du-so")).errors}
    assert {"local-id-clash", "unknown-attach-point"} <= codes


def test_locked_parent_nodes_cannot_be_removed_or_reweighted(store):
    m = open_methodology(store, "vi-du")
    for node_id in ("tiep-nhan-phan-anh", "cai-cach-tthc"):
        text = store.read_blob(m.nodes[node_id].blob).decode("utf-8")
        store.commit(
            [
                Put(
                    m.nodes[node_id].path,
                    text.replace("max_points:", "locked: true\nmax_points:", 1).encode(),
                )
            ],
            message="lock",
            author=AUTHOR,
        )
    manifest = MANIFEST.replace("vi-du@vi-du/2014", "vi-du@main")
    commit_derived(
        store,
        {
            "methodology.yaml": manifest,
            "overlay.yaml": OVERLAY,
            "cai-cach-tthc/tham-muu-tthc.md": LOCAL,
        },
    )
    errors = [
        p for p in validate(open_methodology(store, "vi-du-so")).errors if p.code == "locked-node"
    ]
    messages = " | ".join(p.message for p in errors)
    assert "may not be removed" in messages and "may not be re-weighted" in messages


def test_derived_of_derived(store, derived):
    manifest = """id: vi-du-phong
title: Chỉ số mẫu cấp phòng
level: đơn vị
extends: vi-du-so@main
scale: 20
"""
    overlay = "override:\n  tham-muu-tthc:\n    title: Tham mưu công bố TTHC\n"
    commit_derived(
        store, {"methodology.yaml": manifest, "overlay.yaml": overlay}, name="vi-du-phong"
    )
    child = open_methodology(store, "vi-du-phong")
    assert child.nodes["tham-muu-tthc"].title == "Tham mưu công bố TTHC"
    assert child.derivation["tham-muu-tthc"].status == "overridden"
    assert (
        child.derivation["bao-cao-cchc"].status == "inherited"
    )  # overridden in the parent, inherited here
    assert validate(child).ok


def test_missing_parent_is_a_clear_error(store):
    commit_derived(
        store, {"methodology.yaml": MANIFEST.replace("vi-du@vi-du/2014", "vi-du@vi-du/2099")}
    )
    with pytest.raises(MethodologyError, match="extends vi-du@vi-du/2099"):
        open_methodology(store, "vi-du-so")


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ref=st.sampled_from(["vi-du/2013", "vi-du/2014"]))
def test_an_empty_overlay_gives_the_parent_tree(store, ref):
    manifest = f"id: vi-du-rong\ntitle: Rỗng\nlevel: sở\nextends: vi-du@{ref}\nscale: 20\n"
    name = f"vi-du-rong-{ref[-4:]}"
    if name not in store.methodologies(store.head()):
        commit_derived(store, {"methodology.yaml": manifest.replace("vi-du-rong", name)}, name=name)
    derived = open_methodology(store, name)
    parent = open_methodology(store, f"vi-du@{ref}")
    assert [(n.id, n.code, n.title, n.max_points, n.scoring) for n in derived.walk()] == [
        (n.id, n.code, n.title, n.max_points, n.scoring) for n in parent.walk()
    ]
    assert {d.status for d in derived.derivation.values()} == {"inherited"}
