"""What the methodology pages compute themselves: the tree's order by code, the word
diff, and a version typed as a Vietnamese date."""

from __future__ import annotations

from decimal import Decimal

from methodology import build_tree
from server.auth import ANONYMOUS, Principal
from server.services.methodologies import diff_view, node_view, outline
from server.web.pages.methodologies import _diff_row, _ref, word_diff


def _node(node_id: str, code: str, points: str) -> str:
    return f'---\nid: {node_id}\ncode: "{code}"\ntitle: Mục {code}\nmax_points: {points}\n---\n'


def test_the_outline_orders_codes_naturally_not_by_id_or_text():
    texts = {
        "f2/_node.md": _node("a-field-two", "2", "1"),
        "f1/_node.md": _node("z-field-one", "1", "12"),
        "f1/b.md": _node("b", "1.10", "1"),
        "f1/c.md": _node("c", "1.9", "2"),
        "f1/d/_node.md": _node("d", "1.2", "9"),
        "f1/d/x.md": _node("x", "1.2.11", "4"),
        "f1/d/y.md": _node("y", "1.2.3", "5"),
        "f2/e.md": _node("e", "2.1", "1"),
    }
    # {path: blob id} and a reader of blobs, as the store gives them; here the path is the id
    m = build_tree("thu", {path: path for path in texts}, lambda blob: texts[blob].encode())
    fields = outline(m)
    assert [f.node.code for f in fields] == ["1", "2"]
    first = fields[0]
    assert [r.node.code for r in first.rows] == ["1.2", "1.2.3", "1.2.11", "1.9", "1.10"]
    assert [r.depth for r in first.rows] == [2, 3, 3, 2, 2]
    assert (first.criteria, first.sub_criteria) == (3, 2)
    assert first.children_points == Decimal(12)  # 9 + 2 + 1: the criteria, not the subs
    assert [r.leaf for r in first.rows] == [False, True, True, True, True]


def test_the_word_diff_marks_whole_runs_and_escapes_everything():
    before, after = word_diff(
        "Sáng kiến mới trong cải cách <b>hành chính</b>",
        "Đổi mới, sáng tạo trong cải cách <b>hành chính</b> số",
    )
    assert before == "<del>Sáng kiến</del> mới trong cải cách &lt;b&gt;hành chính&lt;/b&gt;"
    assert after == (
        "<ins>Đổi</ins> mới<ins>, sáng tạo</ins> trong cải cách &lt;b&gt;hành chính&lt;/b&gt;"
        "<ins> số</ins>"
    )
    # changed words with only spaces between them are one run, not one tag per word
    gone, came = word_diff("mới trong cải cách hành chính", "mới trong triển khai nhiệm vụ")
    assert gone == "mới trong <del>cải cách hành chính</del>"
    assert came == "mới trong <ins>triển khai nhiệm vụ</ins>"
    same, again = word_diff("không đổi", "không đổi")
    assert same == again == "không đổi"
    gone, empty = word_diff("bỏ hẳn", "")
    assert (gone, empty) == ("<del>bỏ hẳn</del>", "")


def test_a_version_typed_as_a_vietnamese_date_is_read_as_that_day():
    assert _ref("31/12/2022") == "2022-12-31"
    assert _ref(" 1/2/2023 ") == "2023-02-01"
    assert _ref("par-provincial/2022") == "par-provincial/2022"
    assert _ref("") is None and _ref(None) is None


ADMIN = Principal(1, "admin", "admin")


def test_a_diff_row_links_each_side_to_its_node_at_its_version(store):
    view = diff_view(store, ADMIN, "par-provincial", "par-provincial/2019", "par-provincial/2022")
    groups = dict(view.groups)
    renamed = next(i for i in groups["renamed"] if i.change.id == "sang-kien-cchc")
    row = _diff_row(view.source, view.target, renamed)
    assert (
        row.before_link
        == "/bo-chi-so/par-provincial/sang-kien-cchc?phien-ban=par-provincial%2F2019"
    )
    assert (
        row.after_link == "/bo-chi-so/par-provincial/sang-kien-cchc?phien-ban=par-provincial%2F2022"
    )
    removed = groups["removed"][0]
    gone = _diff_row(view.source, view.target, removed)
    assert gone.after_link is None and gone.before_link and removed.after is None
    assert [what for what, _, _ in gone.lines] == ["tên"]
    assert view.count == sum(len(items) for items in groups.values())


def test_the_guidance_blame_of_a_derived_node_comes_from_where_its_text_lives(store):
    # inherited as it is: the parent's file at the pinned commit
    inherited = node_view(store, ADMIN, "mic-units", "danh-gia-che-do-cong-vu", None)
    assert inherited.derivation is not None and inherited.derivation.status == "inherited"
    assert inherited.blame and inherited.blame_note is None
    # guidance overridden in overlay.yaml: no file to blame, and the page says why
    overridden = node_view(store, ADMIN, "daklak-so", "nhiem-vu-duoc-giao", None)
    assert overridden.blame is None and overridden.blame_note == "overlay"
    # a local node has its own file in the derived index
    local = node_view(store, ADMIN, "daklak-so", "tham-muu-ban-hanh-van-ban", None)
    assert local.blame and local.blame_note is None
    assert local.history and local.history[-1]["kind"] == "added"
    # an anonymous reader gets the node but neither history nor blame (as the API's log)
    anonymous = node_view(store, ANONYMOUS, "daklak-so", "tham-muu-ban-hanh-van-ban", None)
    assert anonymous.history is None and anonymous.blame is None
