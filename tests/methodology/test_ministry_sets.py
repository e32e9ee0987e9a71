"""The ministry sets follow their public counts, and their lineage reads as one history."""

from __future__ import annotations

import pytest

from methodology import diff, open_methodology

# (criteria, sub-criteria) of each field of 876's ministry set: baophapluat.vn post458794
PUBLISHED_876 = [(7, 6), (9, 15), (6, 19), (4, 14), (6, 16), (3, 13), (3, 14)]


def _per_field(m) -> list[tuple[int, int]]:
    out = []
    for field in m.roots():
        criteria = m.children_of(field.id)
        out.append((len(criteria), sum(len(m.children_of(c.id)) for c in criteria)))
    return out


def test_the_876_ministry_set_has_the_published_counts_per_field(store):
    m = open_methodology(store, "par-ministry@par-ministry/2022")
    assert _per_field(m) == PUBLISHED_876
    assert m.counts() == {"fields": 7, "criteria": 38, "sub_criteria": 97}
    assert m.total == 100
    assert sum(n.max_points for n in m.leaves() if n.assessed_by == "survey") == 31.5


def test_the_2019_ministry_set_has_its_counts_and_shows_both_decision_numbers(store):
    m = open_methodology(store, "par-ministry@par-ministry/2019")
    assert m.counts() == {"fields": 7, "criteria": 40, "sub_criteria": 87}
    assert m.total == 100
    decision = m.manifest.decision
    assert decision["number"] == "1149/QĐ-BNV" and "1150/QĐ-BNV" in decision["note"]


@pytest.mark.parametrize("later", ["par-ministry/2022"])
def test_the_ministry_lineage_diffs_from_2019(store, later):
    result = diff(
        open_methodology(store, "par-ministry@par-ministry/2019"),
        open_methodology(store, f"par-ministry@{later}"),
    )
    renamed = {c.before["title"]: c.after["title"] for c in result.changes if c.kind == "renamed"}
    # the field and criterion titles 876 changed, as in the provincial lineage
    assert (
        renamed["Hiện đại hóa hành chính"]
        == "Xây dựng và phát triển Chính phủ điện tử, Chính phủ số"
    )
    assert (
        renamed["Sáng kiến hoặc giải pháp mới trong cải cách hành chính"]
        == "Đổi mới, sáng tạo trong triển khai nhiệm vụ cải cách hành chính"
    )
