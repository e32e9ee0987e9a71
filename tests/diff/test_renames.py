"""Rename proposals between versions whose ids do not match."""

from __future__ import annotations

import unicodedata

import pytest

from methodology.diff import diff
from methodology.renames import normalise_title, propose_renames, title_similarity

from .diff_cases import V2014, example_versions, node, version_maker


@pytest.fixture
def versions(tmp_path):
    return example_versions(tmp_path)


@pytest.fixture
def make_version(tmp_path):
    return version_maker(tmp_path)


MANIFEST_FIELD = """
id: {id}
code: "{code}"
title: {title}
max_points: {points}
"""


def tree(nodes: list[tuple[str, str | None, str, str, str]]) -> dict[str, str]:
    """Files for (id, parent id, code, title, points); parents must come first."""
    folders: dict[str, str] = {}
    files: dict[str, str] = {}
    for node_id, parent, code, title, points in nodes:
        folder = node_id if parent is None else f"{folders[parent]}/{node_id}"
        folders[node_id] = folder
        files[f"{folder}/_node.md"] = node(
            MANIFEST_FIELD.format(id=node_id, code=code, title=title, points=points)
        )
    return files


# Two versions of the same index written by different teams: no id is shared.
TEAM_A = tree(
    [
        ("cai-cach-hanh-chinh", None, "1", "Cải cách thủ tục hành chính", "10"),
        ("cong-khai", "cai-cach-hanh-chinh", "1.1", "Công khai, minh bạch thủ tục hành chính", "3"),
        ("dvc-truc-tuyen", "cai-cach-hanh-chinh", "1.2", "Cung cấp dịch vụ công trực tuyến", "4"),
        (
            "mot-cua",
            "cai-cach-hanh-chinh",
            "1.3",
            "Thực hiện cơ chế một cửa, một cửa liên thông",
            "3",
        ),
        ("chinh-quyen-so", None, "2", "Xây dựng chính quyền điện tử", "6"),
        ("ha-tang", "chinh-quyen-so", "2.1", "Hạ tầng công nghệ thông tin", "3"),
        ("an-toan", "chinh-quyen-so", "2.2", "Bảo đảm an toàn thông tin", "3"),
    ]
)
TEAM_B = tree(
    [
        ("tthc", None, "1", "Cải cách thủ tục hành chính (TTHC)", "10"),
        ("minh-bach", "tthc", "1.1", "Công khai minh bạch thủ tục hành chính", "3"),
        (
            "dich-vu-cong",
            "tthc",
            "1.2",
            "Cung cap dich vu cong truc tuyen",
            "4",
        ),  # typed without accents
        ("mot-cua-lien-thong", "tthc", "1.3", "Thực hiện cơ chế một cửa liên thông", "3"),
        ("chuyen-doi-so", None, "2", "Chuyển đổi số", "6"),
        ("nen-tang", "chuyen-doi-so", "2.1", "Phát triển các nền tảng, cơ sở dữ liệu", "3"),
        ("an-ninh-mang", "chuyen-doi-so", "2.2", "Bảo đảm an toàn, an ninh thông tin mạng", "3"),
    ]
)


def test_normalise_title():
    assert normalise_title("  Cải cách   THỦ TỤC, hành chính. ") == "cải cách thủ tục hành chính"
    assert normalise_title("Đường điện", accents=False) == "duong dien"
    # Text typed on some systems arrives decomposed (NFD); it must compare equal.
    assert normalise_title(unicodedata.normalize("NFD", "Cải cách")) == "cải cách"


def test_unrelated_titles_are_dissimilar():
    exact, ascii_ = title_similarity(
        "Cung cấp dịch vụ công trực tuyến", "Phát triển các nền tảng, cơ sở dữ liệu"
    )
    assert max(exact, ascii_) < 0.5


def test_independent_versions_get_the_right_proposals(make_version):
    a, b = make_version(TEAM_A), make_version(TEAM_B)
    result = diff(a, b)
    pairs = {(p.from_id, p.to_id) for p in result.proposals}
    assert pairs == {
        ("cai-cach-hanh-chinh", "tthc"),
        ("cong-khai", "minh-bach"),
        ("dvc-truc-tuyen", "dich-vu-cong"),
        ("mot-cua", "mot-cua-lien-thong"),
        ("an-toan", "an-ninh-mang"),
    }
    # "Xây dựng chính quyền điện tử" ≠ "Chuyển đổi số", "Hạ tầng CNTT" ≠ "nền tảng, CSDL".
    assert not {"chinh-quyen-so", "ha-tang"} & {p.from_id for p in result.proposals}
    scores = [p.score for p in result.proposals]
    assert scores == sorted(scores, reverse=True)
    assert all(0.6 <= s <= 1 for s in scores)
    # Proposals are only suggestions: the nodes are still reported removed and added.
    assert result.counts == {"added": 7, "removed": 7}


def test_accent_free_title_is_matched_without_accents(make_version):
    a, b = make_version(TEAM_A), make_version(TEAM_B)
    [p] = [p for p in diff(a, b).proposals if p.to_id == "dich-vu-cong"]
    assert p.reasons["title_without_accents"] == 1.0
    assert p.reasons["title"] < p.reasons["title_without_accents"]
    assert p.reasons["same_level"] and p.reasons["same_points"]


def test_parent_pairing_counts_once_parents_are_proposed(make_version):
    a, b = make_version(TEAM_A), make_version(TEAM_B)
    [p] = [p for p in diff(a, b).proposals if p.to_id == "minh-bach"]
    # The parents' ids differ but their codes agree.
    assert p.reasons["parent"] == "same code"


def test_each_id_is_used_once(make_version):
    a = make_version(
        tree([("f", None, "1", "Lĩnh vực", "4"), ("x", "f", "1.1", "Kiểm tra công tác CCHC", "2")])
    )
    b = make_version(
        tree(
            [
                ("f", None, "1", "Lĩnh vực", "4"),
                ("y1", "f", "1.1", "Kiểm tra công tác CCHC", "2"),
                ("y2", "f", "1.2", "Kiểm tra công tác CCHC năm", "2"),
            ]
        )
    )
    [p] = diff(a, b).proposals
    assert (p.from_id, p.to_id) == ("x", "y1")
    assert p.score == 1.0


def test_siblings_with_same_points_and_different_titles_are_not_paired(make_version):
    a = make_version(
        tree(
            [
                ("f", None, "1", "Lĩnh vực", "4"),
                ("x", "f", "1.1", "Cung cấp dịch vụ công trực tuyến", "2"),
            ]
        )
    )
    b = make_version(
        tree(
            [
                ("f", None, "1", "Lĩnh vực", "4"),
                ("y", "f", "1.1", "Phát triển các nền tảng, cơ sở dữ liệu", "2"),
            ]
        )
    )
    result = diff(a, b)
    assert result.proposals == []
    assert propose_renames(a, b, ["x"], ["y"]) == []


def test_confirming_a_proposal_with_replaces_makes_the_diff_exact(versions, make_version):
    a, b = versions
    before = diff(a, b)
    [proposal] = before.proposals
    assert (proposal.from_id, proposal.to_id) == (
        "cung-cap-dvc-truc-tuyen",
        "dich-vu-cong-truc-tuyen",
    )
    kinds = {(c.kind, c.id) for c in before.changes}
    assert {("removed", "cung-cap-dvc-truc-tuyen"), ("added", "dich-vu-cong-truc-tuyen")} <= kinds
    assert "Possible renames (confirm by adding `replaces`)" in before.to_text()
    assert "Possible renames (confirm by adding `replaces`)" in before.to_markdown()

    # The author follows the advice: `replaces: [cung-cap-dvc-truc-tuyen]` on the new node.
    files = dict(V2014)
    key = "cai-cach-thu-tuc-hanh-chinh/dich-vu-cong-truc-tuyen/_node.md"
    files[key] = files[key].replace(
        "max_points: 4\n", "max_points: 4\nreplaces: [cung-cap-dvc-truc-tuyen]\n"
    )
    confirmed = make_version(files, ref=b.ref, commit=b.commit)
    after = diff(a, confirmed)
    assert after.proposals == []
    mine = [c for c in after.changes if c.id == "dich-vu-cong-truc-tuyen"]
    assert [c.kind for c in mine] == [
        "renamed",
        "renumbered",
        "rule_changed",
        "inputs_changed",
        "source_changed",
    ]
    renamed = mine[0]
    assert renamed.before == {
        "title": "Cung cấp dịch vụ công trực tuyến",
        "id": "cung-cap-dvc-truc-tuyen",
    }
    assert renamed.after == {
        "title": "Cung cấp dịch vụ công trực tuyến toàn trình",
        "id": "dich-vu-cong-truc-tuyen",
    }
    assert mine[2].summary == "thresholds: [at 0: 0, at 1: 4] → [at 0.3: 0, at 0.8: 4]"
    assert "cung-cap-dvc-truc-tuyen" not in {c.id for c in after.changes}
    assert after.counts["added"] == before.counts["added"] - 1
    assert after.counts["removed"] == before.counts["removed"] - 1
