"""`requires`: the evidence and giải trình a node asks for before submit, read from its
front matter, written back canonically, checked with file and line, and listed by the
diff as a change of evidence."""

from __future__ import annotations

from methodology import Requirements, diff_nodes, load_directory, parse_node, validate
from tests.methodology.conftest import edit

NODE = """---
id: ban-hanh-ke-hoach
code: "1.1"
title: Ban hành kế hoạch CCHC năm
max_points: 1
inputs:
  da_ban_hanh: {type: bool, label: Đã ban hành kế hoạch}
scoring:
  kind: boolean
  when: da_ban_hanh
evidence:
  - Kế hoạch CCHC năm
requires:
  evidence: true
  explanation: [not_applicable]
applicability: {allow_not_applicable: true}
source: {illustrative: true}
---
Ban hành đúng hạn: 1 điểm.
"""


def _problems(text: str):
    return parse_node(text, file="n.md")[1]


def test_requires_is_read_and_written_back():
    node, problems = parse_node(NODE, file="n.md")
    assert problems == []
    assert node.requires == Requirements(evidence=True, explanation=("not_applicable",))
    again, _ = parse_node(node.to_text())
    assert again.requires == node.requires
    assert "requires:\n  evidence: true\n  explanation:\n  - not_applicable\n" in node.to_text()


def test_a_bad_value_is_reported_at_its_file_and_line():
    line = NODE.splitlines().index("  evidence: true") + 1
    problems = _problems(NODE.replace("  evidence: true", "  evidence: co"))
    assert [(p.file, p.line, p.path, p.code) for p in problems] == [
        ("n.md", line, "requires.evidence", "bad-value")
    ]
    problems = _problems(NODE.replace("[not_applicable]", "[not_aplicable]"))
    (problem,) = problems
    assert (problem.line, problem.path) == (line + 1, "requires.explanation[0]")
    assert problem.suggestion == "did you mean `not_applicable`?"
    (problem,) = _problems(NODE.replace("  evidence: true", "  evidenc: true"))
    assert (problem.code, problem.line) == ("unknown-key", line)


def test_an_explanation_of_a_claim_the_node_does_not_allow_and_a_survey_node_are_refused():
    (problem,) = _problems(NODE.replace("applicability: {allow_not_applicable: true}\n", ""))
    assert problem.path == "requires.explanation[0]"
    assert "allow_not_applicable" in problem.message
    survey = NODE.replace("max_points: 1\n", "max_points: 1\nassessed_by: survey\n")
    assert any(p.path == "requires" and "survey" in p.message for p in _problems(survey))


def test_requires_on_a_criterion_with_sub_criteria_is_an_error(example):
    parent = example / "chi-dao-dieu-hanh" / "_node.md"
    edit(parent, "\nmax_points:", "\nrequires: {evidence: true}\nmax_points:")
    report = validate(load_directory(example))
    (problem,) = [p for p in report.errors if p.code == "requires-on-parent"]
    assert problem.file.endswith("chi-dao-dieu-hanh/_node.md") and problem.line is not None


def test_the_diff_reports_a_new_requirement_as_an_evidence_change():
    without = NODE.replace("requires:\n  evidence: true\n  explanation: [not_applicable]\n", "")
    old, _ = parse_node(without)
    new, _ = parse_node(NODE)
    (change,) = diff_nodes(old, new)
    assert change.kind == "evidence_changed"
    assert change.after["requires"] == {"evidence": True, "explanation": ["not_applicable"]}
    assert "required before submit: nothing → evidence (or an explanation)" in change.summary
