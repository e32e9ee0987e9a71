"""The node file format: parsing, positions, problems, NFC, serialisation."""

from __future__ import annotations

import unicodedata
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from methodology import parse_node, render_guidance
from rules import InputSpec, InputType, Tiers

NODE = """---
id: muc-do-thuc-hien
code: "1.1.4"
title: Mức độ thực hiện kế hoạch CCHC
title_en: Degree of plan implementation
max_points: 14.5
inputs:
  ty_le:
    type: ratio
    label: Tỷ lệ nhiệm vụ hoàn thành
scoring:
  kind: tiers
  tiers:
    - when: ty_le > 90%
      points: 2
    - otherwise: true
      points: 0
evidence:
  - Báo cáo kết quả
  - {title: Biên bản kiểm tra, required: false}
source: {decision: 1880/QĐ-UBND, issuer: UBND tỉnh Cà Mau, row: "1.1.4"}
applicability:
  allow_not_applicable: true
  not_applicable_when: not co_tthc
replaces: [thuc-hien-ke-hoach]
---
Thực hiện **trên 90%** kế hoạch: 2 điểm.
"""


def line_of(text: str, fragment: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if fragment in line)


FACTS = {"co_tthc": InputSpec.from_dict("co_tthc", {"type": "bool", "label": "Có TTHC"})}


def test_every_key_is_read():
    node, problems = parse_node(NODE, file="n.md", facts=FACTS)
    assert problems == []
    assert node.id == "muc-do-thuc-hien" and node.code == "1.1.4"
    assert node.max_points == Decimal("14.5")  # exact, not a float
    assert node.inputs["ty_le"].type is InputType.RATIO
    assert isinstance(node.scoring, Tiers) and len(node.scoring.tiers) == 2
    assert [e.title for e in node.evidence] == ["Báo cáo kết quả", "Biên bản kiểm tra"]
    assert node.evidence[1].required is False
    assert node.source.decision == "1880/QĐ-UBND" and node.provenance == "official"
    assert node.applicability.allow_not_applicable
    assert node.applicability.not_applicable_when.names == frozenset({"co_tthc"})
    assert node.replaces == ("thuc-hien-ke-hoach",)
    assert node.guidance == "Thực hiện **trên 90%** kế hoạch: 2 điểm.\n"


def test_titles_are_stored_nfc():
    decomposed = unicodedata.normalize("NFD", NODE)
    assert decomposed != NODE
    node, _ = parse_node(decomposed, facts=FACTS)
    assert node.title == unicodedata.normalize("NFC", "Mức độ thực hiện kế hoạch CCHC")
    assert unicodedata.is_normalized("NFC", node.guidance)


def test_positions_point_into_the_file():
    node, _ = parse_node(NODE, facts=FACTS)
    assert node.positions["max_points"] == (6, 13)
    assert node.positions["scoring.tiers[0].when"] == (line_of(NODE, "when: ty_le > 90%"), 13)


def test_unknown_key_is_reported_with_suggestion_and_line():
    text = NODE.replace("max_points: 14.5", "max_point: 14.5")
    _, problems = parse_node(text, file="n.md", facts=FACTS)
    unknown = [p for p in problems if p.code == "unknown-key"]
    assert (
        unknown and unknown[0].line == 6 and unknown[0].suggestion == "did you mean `max_points`?"
    )
    assert any(p.code == "bad-points" for p in problems)


def test_unknown_input_in_rule_names_line_column_and_nearest_name():
    text = NODE.replace("- when: ty_le > 90%", "- when: ty_lee > 90%")
    _, problems = parse_node(text, file="n.md", facts=FACTS)
    (problem,) = [p for p in problems if p.code == "bad-scoring"]
    assert (problem.file, problem.line, problem.column) == ("n.md", line_of(text, "ty_lee"), 13)
    assert "ty_lee" in problem.message and problem.suggestion and "ty_le" in problem.suggestion


def test_unknown_fact_in_applicability():
    _, problems = parse_node(NODE, facts={})
    assert [p.code for p in problems] == ["bad-applicability"]
    assert problems[0].line == line_of(NODE, "not_applicable_when")


def test_malformed_yaml_reports_its_line():
    text = NODE.replace('code: "1.1.4"', 'code: "1.1.4')
    node, problems = parse_node(text, file="n.md")
    assert node is None
    assert problems[0].code == "malformed-front-matter" and problems[0].line is not None


def test_missing_front_matter():
    node, problems = parse_node("# just markdown\n", file="n.md")
    assert node is None and problems[0].line == 1 and "front matter" in problems[0].message


def test_duplicate_yaml_key():
    node, problems = parse_node(NODE.replace("title_en:", "title:"), file="n.md")
    assert node is None and "duplicate key 'title'" in problems[0].message and problems[0].line == 5


def test_guidance_html_escapes_raw_html_and_keeps_links():
    html = render_guidance("Xem [Quyết định](https://vanban.example/876) <script>alert(1)</script>")
    assert '<a href="https://vanban.example/876">Quyết định</a>' in html
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_serialise_then_parse_is_identity():
    node, _ = parse_node(NODE, facts=FACTS)
    again, problems = parse_node(node.to_text(), facts=FACTS)
    assert problems == []
    assert again == node


_slug = st.from_regex(r"[a-z][a-z0-9-]{0,12}", fullmatch=True)
_title = (
    st.text(
        alphabet="aăâbcdđeêghiklmnoôơpqrstuưvxyàảãáạằắẳẵặầấẩẫậềếểễệọỏốồổỗộớờởỡợùúủũụừứửữự ,",
        min_size=1,
        max_size=40,
    )
    .map(str.strip)
    .filter(bool)
)
_points = st.decimals(min_value=0, max_value=100, places=2, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(
    node_id=_slug,
    title=_title,
    points=_points,
    threshold=st.integers(1, 99),
    high=st.decimals(min_value=0, max_value=10, places=1),
    guidance=st.text(max_size=80),
)
def test_parse_serialise_parse_roundtrip(node_id, title, points, threshold, high, guidance):
    guidance = guidance.replace("\r", "").replace("---", "")
    text = f"""---
id: {node_id}
code: "1.2"
title: "{title}"
max_points: {points}
inputs:
  x: {{type: ratio, label: Tỷ lệ}}
scoring:
  kind: tiers
  tiers:
    - {{when: x >= {threshold}%, points: {high}}}
    - {{otherwise: true, points: 0}}
source: {{illustrative: true}}
---
{guidance}"""
    first, problems = parse_node(text)
    assert problems == [] and first is not None
    second, problems = parse_node(first.to_text())
    assert problems == []
    assert second == first
    assert second.to_text() == first.to_text()
