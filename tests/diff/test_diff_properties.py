"""Properties of diff() over randomly generated methodology versions."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from methodology.diff import diff
from methodology.tree import Methodology, build_tree

MANIFEST = "id: ngau-nhien\ntitle: Ngẫu nhiên\nlevel: tỉnh\nscale: 100\n"
FIELDS = ("f1", "f2", "f3")
CRITERIA = ("c1", "c2", "c3", "c4", "c5")
SUBS = ("s1", "s2", "s3", "s4")
TITLES = (
    "Công tác chỉ đạo, điều hành",
    "Cải cách thủ tục hành chính",
    "Cải cách tổ chức bộ máy",
    "Xây dựng chính quyền số",
    "Mức độ hài lòng của người dân",
)
POINTS = ("1", "1.5", "2", "4")
RULES = (
    "",
    "inputs:\n  ty_le: {type: ratio, label: Tỷ lệ}\nscoring:\n  kind: tiers\n  tiers:\n"
    "    - {when: ty_le >= 90%, points: 1}\n    - {otherwise: true, points: 0}\n",
    "inputs:\n  ty_le: {type: ratio, label: Tỷ lệ}\nscoring:\n  kind: tiers\n  tiers:\n"
    "    - {when: ty_le >= 95%, points: 1}\n    - {otherwise: true, points: 0}\n",
    "inputs:\n  co: {type: bool, label: Có thực hiện}\nscoring: {kind: boolean, when: co}\n",
    "inputs:\n  co: {type: bool, label: Có thực hiện đúng hạn}\nscoring: {kind: boolean, when: co}\n",
)
GUIDANCE = ("", "Hướng dẫn chấm.\n", "Hướng dẫn chấm.\nTài liệu kiểm chứng: báo cáo.\n")

attributes = st.tuples(
    st.sampled_from(TITLES), st.sampled_from(POINTS), st.sampled_from(RULES),
    st.sampled_from(GUIDANCE), st.sampled_from(("1880/QĐ-UBND", "2640/QĐ-UBND")),
)


@st.composite
def versions(draw) -> Methodology:
    """A random tree: some fields, criteria under any field, sub-criteria under any criterion."""
    fields = draw(st.lists(st.sampled_from(FIELDS), min_size=1, max_size=3, unique=True))
    parent: dict[str, str | None] = dict.fromkeys(sorted(fields))
    for c in CRITERIA:
        where = draw(st.sampled_from((None, *sorted(fields))))
        if where is not None:
            parent[c] = where
    criteria = [c for c in CRITERIA if c in parent]
    for s in SUBS:
        where = draw(st.sampled_from((None, *criteria))) if criteria else None
        if where is not None:
            parent[s] = where

    folder: dict[str, str] = {}
    texts: dict[str, str] = {"methodology.yaml": MANIFEST}
    codes: dict[str | None, str] = {None: ""}
    for node_id in sorted(parent, key=lambda i: (FIELDS + CRITERIA + SUBS).index(i)):
        up = parent[node_id]
        siblings = sorted(i for i, p in parent.items() if p == up)
        codes[node_id] = f"{codes[up]}.{siblings.index(node_id) + 1}".lstrip(".")
        title, points, rule, guidance, decision = draw(attributes)
        folder[node_id] = node_id if up is None else f"{folder[up]}/{node_id}"
        path = f"{folder[up]}/{node_id}.md" if node_id in SUBS else f"{folder[node_id]}/_node.md"
        texts[path] = (
            f'---\nid: {node_id}\ncode: "{codes[node_id]}"\ntitle: {title}\nmax_points: {points}\n'
            f"{rule if node_id not in FIELDS else ''}source: {{decision: {decision}}}\n---\n{guidance}"
        )
    m = build_tree("ngau-nhien", {p: p for p in texts}, lambda p: texts[p].encode())
    assert not m.problems, m.problems
    assert set(m.nodes) == set(parent)
    return m


def ids_of(d, kind: str) -> set[str]:
    return {c.id for c in d.changes if c.kind == kind}


PROPERTIES = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTIES
@given(versions())
def test_a_version_has_no_differences_with_itself(a):
    result = diff(a, a)
    assert result.is_empty
    assert result.to_text() == "No differences.\n"


@PROPERTIES
@given(versions(), versions())
def test_added_one_way_is_removed_the_other_way(a, b):
    forward, backward = diff(a, b), diff(b, a)
    assert ids_of(forward, "added") == ids_of(backward, "removed") == set(b.nodes) - set(a.nodes)
    assert ids_of(forward, "removed") == ids_of(backward, "added") == set(a.nodes) - set(b.nodes)


@PROPERTIES
@given(versions(), versions())
def test_reweighted_swaps_before_and_after(a, b):
    forward = {c.id: c for c in diff(a, b).changes if c.kind == "reweighted"}
    backward = {c.id: c for c in diff(b, a).changes if c.kind == "reweighted"}
    assert forward.keys() == backward.keys()
    for node_id, change in forward.items():
        assert change.before == backward[node_id].after
        assert change.after == backward[node_id].before
        assert Decimal(str(change.before["max_points"])) == a.nodes[node_id].max_points


@PROPERTIES
@given(versions(), versions())
def test_symmetric_kinds_report_the_same_nodes_both_ways(a, b):
    forward, backward = diff(a, b), diff(b, a)
    for kind in ("moved", "renumbered", "renamed", "rule_changed", "guidance_changed",
                 "source_changed", "inputs_changed"):
        assert ids_of(forward, kind) == ids_of(backward, kind), kind


@PROPERTIES
@given(versions(), versions())
def test_a_shared_node_has_changes_exactly_when_it_differs(a, b):
    changed = {c.id for c in diff(a, b).changes}
    for node_id in set(a.nodes) & set(b.nodes):
        old, new = a.nodes[node_id], b.nodes[node_id]
        differs = (
            old.front_matter() != new.front_matter()
            or old.guidance.strip() != new.guidance.strip()
            or old.parent != new.parent
        )
        assert (node_id in changed) == differs, node_id
