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
    st.sampled_from(TITLES),
    st.sampled_from(POINTS),
    st.sampled_from(RULES),
    st.sampled_from(GUIDANCE),
    st.sampled_from(("1880/QĐ-UBND", "2640/QĐ-UBND")),
)


Spec = dict[str, tuple[str | None, tuple[str, str, str, str, str]]]  # id → (parent, attributes)


@st.composite
def specs(draw, base: Spec | None = None) -> Spec:
    """A random tree: some fields, criteria under any field, sub-criteria under any criterion.

    With ``base``, each node is kept as it was in ``base`` more often than not, so the
    two versions share most nodes and differ by a few edits, as real versions do.
    """

    def keep(node_id: str) -> bool:
        return base is not None and node_id in base and draw(st.integers(0, 9)) < 7

    def attrs(node_id: str) -> tuple[str, str, str, str, str]:
        return base[node_id][1] if keep(node_id) else draw(attributes)  # type: ignore[index]

    spec: Spec = {}
    fields = [f for f in FIELDS if (keep(f) or draw(st.booleans()))] or ["f1"]
    for f in fields:
        spec[f] = (None, attrs(f))
    for c in CRITERIA:
        if keep(c) and base[c][0] in fields:  # type: ignore[index]
            spec[c] = (base[c][0], attrs(c))  # type: ignore[index]
            continue
        where = draw(st.sampled_from((None, *fields)))
        if where is not None:
            spec[c] = (where, attrs(c))
    criteria = [c for c in CRITERIA if c in spec]
    for s in SUBS:
        if keep(s) and base[s][0] in criteria:  # type: ignore[index]
            spec[s] = (base[s][0], attrs(s))  # type: ignore[index]
            continue
        where = draw(st.sampled_from((None, *criteria))) if criteria else None
        if where is not None:
            spec[s] = (where, attrs(s))
    return spec


def build(spec: Spec) -> Methodology:
    """The methodology of ``spec``, built from in-memory files; codes follow the tree."""
    folder: dict[str, str] = {}
    texts: dict[str, str] = {"methodology.yaml": MANIFEST}
    codes: dict[str | None, str] = {None: ""}
    for node_id in sorted(spec, key=(FIELDS + CRITERIA + SUBS).index):
        up, (title, points, rule, guidance, decision) = spec[node_id]
        siblings = sorted(i for i, (p, _) in spec.items() if p == up)
        codes[node_id] = f"{codes[up]}.{siblings.index(node_id) + 1}".lstrip(".")
        folder[node_id] = node_id if up is None else f"{folder[up]}/{node_id}"
        path = f"{folder[up]}/{node_id}.md" if node_id in SUBS else f"{folder[node_id]}/_node.md"
        texts[path] = (
            f'---\nid: {node_id}\ncode: "{codes[node_id]}"\ntitle: {title}\nmax_points: {points}\n'
            f"{rule if node_id not in FIELDS else ''}source: {{decision: {decision}}}\n---\n{guidance}"
        )
    m = build_tree("ngau-nhien", {p: p for p in texts}, lambda p: texts[p].encode())
    assert not m.problems, m.problems
    assert set(m.nodes) == set(spec)
    return m


def versions() -> st.SearchStrategy[Methodology]:
    """One random version."""
    return specs().map(build)


@st.composite
def version_pairs(draw) -> tuple[Methodology, Methodology]:
    """Two versions, the second an edit of the first (sometimes an unrelated one)."""
    first = draw(specs())
    second = draw(specs(base=None if draw(st.integers(0, 4)) == 0 else first))
    return build(first), build(second)


def ids_of(d, kind: str) -> set[str]:
    return {c.id for c in d.changes if c.kind == kind}


PROPERTIES = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTIES
@given(versions())
def test_a_version_has_no_differences_with_itself(a):
    result = diff(a, a)
    assert result.is_empty
    assert result.to_text() == "No differences."


@PROPERTIES
@given(version_pairs())
def test_added_one_way_is_removed_the_other_way(pair):
    a, b = pair
    forward, backward = diff(a, b), diff(b, a)
    assert ids_of(forward, "added") == ids_of(backward, "removed") == set(b.nodes) - set(a.nodes)
    assert ids_of(forward, "removed") == ids_of(backward, "added") == set(a.nodes) - set(b.nodes)


@PROPERTIES
@given(version_pairs())
def test_reweighted_swaps_before_and_after(pair):
    a, b = pair
    forward = {c.id: c for c in diff(a, b).changes if c.kind == "reweighted"}
    backward = {c.id: c for c in diff(b, a).changes if c.kind == "reweighted"}
    assert forward.keys() == backward.keys()
    for node_id, change in forward.items():
        assert change.before == backward[node_id].after
        assert change.after == backward[node_id].before
        assert Decimal(str(change.before["max_points"])) == a.nodes[node_id].max_points


@PROPERTIES
@given(version_pairs())
def test_symmetric_kinds_report_the_same_nodes_both_ways(pair):
    a, b = pair
    forward, backward = diff(a, b), diff(b, a)
    for kind in (
        "moved",
        "renumbered",
        "renamed",
        "rule_changed",
        "guidance_changed",
        "source_changed",
        "inputs_changed",
    ):
        assert ids_of(forward, kind) == ids_of(backward, kind), kind


def expected_kinds(old, new) -> list[str]:
    """The kinds a shared node must be reported with, read straight from its two files."""
    was, now = old.front_matter(), new.front_matter()
    checks = [
        ("renamed", was["title"] != now["title"]),
        ("moved", old.parent != new.parent),
        ("renumbered", was["code"] != now["code"]),
        ("reweighted", was["max_points"] != now["max_points"]),
        ("rule_changed", was.get("scoring") != now.get("scoring")),
        ("inputs_changed", was.get("inputs") != now.get("inputs")),
        ("guidance_changed", old.guidance.strip() != new.guidance.strip()),
        ("source_changed", was.get("source") != now.get("source")),
    ]
    return [kind for kind, differs in checks if differs]


@PROPERTIES
@given(version_pairs())
def test_each_shared_node_gets_exactly_the_kinds_it_needs(pair):
    a, b = pair
    result = diff(a, b)
    for node_id in set(a.nodes) & set(b.nodes):
        reported = [c.kind for c in result.changes if c.id == node_id]
        assert reported == expected_kinds(a.nodes[node_id], b.nodes[node_id]), node_id


@PROPERTIES
@given(version_pairs())
def test_reports_render_for_any_diff(pair):
    result = diff(*pair)
    text, markdown = result.to_text(), result.to_markdown()
    for change in result.changes:
        assert f"{change.title} — {change.summary}" in text
        assert change.summary and "\n" not in change.summary
    sections = 0 if result.is_empty else 1 + len(result.counts) + bool(result.proposals)
    assert markdown.count("\n## ") == sections
