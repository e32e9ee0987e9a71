"""Official titles stay official where a node's points are illustrative: provenance per part."""

from __future__ import annotations

from methodology import open_methodology, parse_node
from server.labels import provenance_mark, provenance_parts

NODE = """---
id: a
code: "1"
title: Cải cách thể chế
max_points: 10
source: {{illustrative: true, {official}note: "x"}}
---
"""


def test_876_field_titles_are_official_and_only_their_points_illustrative(store):
    m = open_methodology(store, "par-provincial@par-provincial/2022")
    for field in m.roots():
        assert field.provenance_parts() == (("title", "counts"), ("max_points",)), field.id
        assert provenance_mark(field) == "tên, số tiêu chí chính thức; điểm tối đa minh hoạ"
        assert provenance_parts(field) == ("tên, số tiêu chí chính thức", "điểm tối đa minh hoạ")
    added = m.nodes["doi-thoai-lanh-dao-tinh"]
    assert provenance_mark(added) == "tên chính thức; điểm tối đa, cách chấm minh hoạ"
    # a wholly illustrative node keeps the one short mark; an official one has none
    leaf = next(n for n in m.leaves() if not n.source.official)
    assert provenance_mark(leaf) == "minh hoạ"
    official = open_methodology(store, "par-provincial@par-provincial/2017").roots()[0]
    assert official.provenance == "official" and provenance_mark(official) == ""
    assert provenance_parts(official) == ("chính thức", "")


def test_the_json_of_a_tree_lists_the_official_and_illustrative_parts(store):
    data = open_methodology(store, "par-ministry@par-ministry/2022").to_json()
    field = data["nodes"][0]
    assert field["official_parts"] == ["counts"]
    assert field["illustrative_parts"] == ["title", "max_points"]
    assert field["source"]["official"] == ["counts"]


def test_official_must_name_known_parts():
    good, problems = parse_node(NODE.format(official="official: [title], "), file="a/_node.md")
    assert problems == [] and good.source.official == ("title",)
    _, problems = parse_node(NODE.format(official="official: [titel], "), file="a/_node.md")
    assert [(p.path, p.message) for p in problems] == [
        (
            "source.official",
            "official lists the official parts among: title, max_points, counts, scoring",
        )
    ]
