"""Editing checks the whole methodology, and moves points between several nodes in one
commit (httpx against a real server, assertions on the git store).

Live validation (htmx) shows what an edit breaks elsewhere — a parent whose children no
longer add up, a code used twice — at the node it is about, in Vietnamese, and a rule's
problem where the person typed it (line and column in the box). The points page writes
a parent and its children together, refuses a sum that does not hold (nothing written),
and shows a newer commit instead of overwriting it."""

from __future__ import annotations

import html
import re
import subprocess

import httpx
import pytest
import yaml

from tests.web.helpers import PASSWORD, add_person

CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')
LEAF = "cap-nhat-mot-cua-dien-tu"  # 3.3.3, 0,5 điểm, under 3.3 (2,5 điểm)
SURVEY = "tac-dong-quan-ly-nha-nuoc"  # 8.4, 5 điểm = 8.4.1 (2,5) + 8.4.2 (2,5), survey-scored
FIRST, SECOND = "minh-bach-hoat-dong-hanh-chinh", "trach-nhiem-giai-trinh"
# English words a page could leave untranslated (names and values are quoted)
ENGLISH = re.compile(
    r"\b(the|must|is|of|got|expected|unknown|missing|not|cannot|needs|has|never|tier|"
    r"value|found|did|you|mean|add up|more than|less than|also used)\b"
)
QUOTED = re.compile(r"'[^']*'|`[^`]*`|“[^”]*”|<[^>]*>")


def _english(text: str) -> list[str]:
    return ENGLISH.findall(QUOTED.sub(" ", html.unescape(text)))


def _git(site, *args: str) -> str:
    return subprocess.run(
        ["git", "--git-dir", str(site.store), *args], capture_output=True, text=True, check=True
    ).stdout.strip()


@pytest.fixture(scope="module")
def editor(site):
    add_person(site, "Lê Thị Biên", "ministry_editor")
    with httpx.Client(base_url=site.url, headers={"Accept": "text/html"}, timeout=60) as client:
        token = CSRF.search(client.get("/dang-nhap").text)[1]
        r = client.post(
            "/dang-nhap", data={"ten": "Lê Thị Biên", "mat_khau": PASSWORD, "csrf_token": token}
        )
        assert r.status_code == 303, r.text
        yield client


def _form(client: httpx.Client, path: str) -> tuple[str, str, str]:
    page = client.get(path)
    assert page.status_code == 200, page.text
    base = re.search(r'name="base" value="([0-9a-f]+)"', page.text)[1]
    return page.text, CSRF.search(page.text)[1], base


def _box(page: str, name: str) -> str:
    return html.unescape(re.search(rf'name="{name}"[^>]*>(.*?)</textarea>', page, re.S)[1])


def _live(client, page: str, token: str, base: str, **changes: str) -> str:
    data = {
        "base": base,
        "nut": LEAF,
        "ma": "3.3.3",
        "tieu_de": html.unescape(re.search(r'name="tieu_de" value="([^"]*)"', page)[1]),
        "diem": "0,5",
        "cach_cham": _box(page, "cach_cham"),
        "dau_vao": _box(page, "dau_vao"),
        "minh_chung": _box(page, "minh_chung"),
        "huong_dan": _box(page, "huong_dan"),
        **changes,
    }
    r = client.post(
        "/bien-tap/par-provincial/kiem-tra",
        data=data,
        headers={"X-CSRF-Token": token, "HX-Request": "true"},
    )
    assert r.status_code == 200, r.text
    return r.text


def _part(text: str, id_: str) -> str:
    return re.search(rf'<div id="{id_}"[^>]*hx-swap-oob="true">(.*?)</div>', text, re.S)[1]


def test_live_validation_shows_the_parent_a_new_maximum_no_longer_adds_up_to(site, editor):
    page, token, base = _form(editor, f"/bien-tap/par-provincial/{LEAF}")
    head = _git(site, "rev-parse", "HEAD")
    live = _live(editor, page, token, base, diem="1")
    elsewhere = html.unescape(_part(live, "loi-khac"))
    assert "Ảnh hưởng đến mục khác" in elsewhere
    assert 'href="/bien-tap/par-provincial/mot-cua-lien-thong"' in elsewhere
    assert (
        "Các mục con của 3.3 'mot-cua-lien-thong' cộng lại được 3 điểm, nhiều hơn điểm tối đa 2,5"
        in elsewhere
    )
    assert "Gợi ý: hãy đặt điểm tối đa là 3 hoặc giảm điểm các mục con" in elsewhere
    # at its own field: the rule can never give the new maximum (said at the source in
    # Vietnamese), and the count of what is left to fix includes the parent's problem
    assert "không bao giờ cho đủ max_points 1" in _part(live, "loi-diem")
    assert "Còn 2 chỗ cần sửa" in live
    assert _english(elsewhere) == []
    assert _git(site, "rev-parse", "HEAD") == head  # checking writes nothing


def test_live_validation_names_the_node_that_already_has_the_code(editor):
    page, token, base = _form(editor, f"/bien-tap/par-provincial/{LEAF}")
    live = _live(editor, page, token, base, ma="3.3.2")
    at_code = html.unescape(_part(live, "loi-ma"))
    assert "Mã số 3.3.2 cũng đã dùng cho ty-le-tthc-lien-thong" in at_code
    elsewhere = html.unescape(_part(live, "loi-khac"))
    assert "/bien-tap/par-provincial/ty-le-tthc-lien-thong" in elsewhere
    assert "Mã số 3.3.2 cũng đã dùng cho cap-nhat-mot-cua-dien-tu" in elsewhere
    assert _english(at_code + elsewhere) == []


def test_a_rule_problem_is_shown_where_it_was_typed_in_vietnamese(editor):
    page, token, base = _form(editor, f"/bien-tap/par-provincial/{LEAF}")
    rule = _box(page, "cach_cham")
    line = next(i for i, text in enumerate(rule.splitlines(), 1) if "when:" in text)
    text = rule.splitlines()[line - 1]
    typo = text.replace("ty_le_ho_so_cap_nhat_mot_cua_dien_tu", "ty_le_ho_so_cap_nhat", 1)
    live = _live(editor, page, token, base, cach_cham=rule.replace(text, typo, 1))
    said = html.unescape(_part(live, "loi-cach_cham"))
    column = typo.index("ty_le_ho_so_cap_nhat") + 1
    assert said.startswith(f"Dòng {line}, cột {column}: Không có tên 'ty_le_ho_so_cap_nhat'")
    assert "Gợi ý: có phải ý bạn là `ty_le_ho_so_cap_nhat_mot_cua_dien_tu`?" in said
    # an input the rule reads removed: the rule's problem, in Vietnamese, at the rule
    live = _live(editor, page, token, base, dau_vao="")
    said = html.unescape(_part(live, "loi-cach_cham"))
    assert "Không có tên 'ty_le_ho_so_cap_nhat_mot_cua_dien_tu'" in said
    assert _english(said) == []
    # a syntax error: the column of the character the checker stops at
    broken = text.replace(">= 100%", ">= ")
    live = _live(editor, page, token, base, cach_cham=rule.replace(text, broken, 1))
    said = html.unescape(_part(live, "loi-cach_cham"))
    assert said.startswith(f"Dòng {line}, cột ")
    assert "Cần một biểu thức sau '>='" in said
    assert _english(said) == []


def _points(client, base: str, token: str, parent: str, first: str, second: str, **more):
    return client.post(
        f"/bien-tap/par-provincial/{SURVEY}/diem",
        data={
            "csrf_token": token,
            "base": base,
            f"diem:{SURVEY}": parent,
            f"diem:{FIRST}": first,
            f"diem:{SECOND}": second,
            **more,
        },
    )


def _front(site, node_id: str) -> dict:
    """The node's front matter as the head commit stores it."""
    listing = _git(site, "ls-tree", "-r", "--name-only", "HEAD", "par-provincial/")
    path = next(p for p in listing.splitlines() if p.endswith(f"/{node_id}.md"))
    return yaml.safe_load(_git(site, "show", f"HEAD:{path}").split("---")[1])


def _points_of(site, node_id: str) -> float:
    return _front(site, node_id)["max_points"]


def test_points_that_do_not_add_up_are_refused_at_the_parent_and_nothing_is_written(site, editor):
    page, token, base = _form(editor, f"/bien-tap/par-provincial/{SURVEY}/diem")
    assert f'name="diem:{FIRST}" value="2,5"' in page
    head = _git(site, "rev-parse", "HEAD")
    r = _points(editor, base, token, "5", "3", "2,5", thong_diep="Thử")
    assert r.status_code == 422
    text = html.unescape(r.text)
    row = re.search(rf'<div id="loi-{SURVEY}"[^>]*>(.*?)</div>', text, re.S)[1]
    assert "Các mục con của 8.4 'tac-dong-quan-ly-nha-nuoc' cộng lại được 5,5 điểm" in row
    assert "Tổng các mục con: <strong>5,5</strong>" in text
    assert f'name="diem:{FIRST}" value="3"' in text  # what was typed is kept
    assert _english(row) == []
    # a number that does not read, at its row
    r = _points(editor, base, token, "5", "ba", "2,5")
    assert r.status_code == 422
    assert "Điểm tối đa: &#39;ba&#39; không phải là một số" in r.text
    assert _git(site, "rev-parse", "HEAD") == head


def test_the_live_points_check_says_the_sum_and_what_breaks_above(editor):
    _, token, base = _form(editor, f"/bien-tap/par-provincial/{SURVEY}/diem")
    r = editor.post(
        f"/bien-tap/par-provincial/{SURVEY}/diem/kiem-tra",
        data={"base": base, f"diem:{SURVEY}": "6", f"diem:{FIRST}": "3", f"diem:{SECOND}": "3"},
        headers={"X-CSRF-Token": token, "HX-Request": "true"},
    )
    assert r.status_code == 200, r.text
    text = html.unescape(r.text)
    assert "Tổng các mục con: <strong>6</strong> / điểm tối đa của 8.4: <strong>6</strong>" in text
    assert "khớp." in text
    # the field above (8) no longer adds up: listed with a link to it
    assert "Ảnh hưởng đến mục khác" in text and "/bien-tap/par-provincial/tac-dong-cchc" in text
    assert "Các mục con của 8 'tac-dong-cchc' cộng lại được" in text
    assert _english(text.split("Ảnh hưởng đến mục khác")[1]) == []


def test_points_moved_between_two_sub_criteria_land_as_one_commit(site, editor):
    _, token, base = _form(editor, f"/bien-tap/par-provincial/{SURVEY}/diem")
    before = int(_git(site, "rev-list", "--count", "HEAD"))
    r = _points(editor, base, token, "5", "3", "2", thong_diep="Chuyển 0,5 điểm sang 8.4.1")
    assert r.status_code == 303, r.text
    assert int(_git(site, "rev-list", "--count", "HEAD")) == before + 1
    assert _git(site, "log", "-1", "--format=%an|%s") == "Lê Thị Biên|Chuyển 0,5 điểm sang 8.4.1"
    changed = _git(site, "show", "--name-only", "--format=", "HEAD").splitlines()
    assert sorted(p.rsplit("/", 1)[1] for p in changed) == [f"{FIRST}.md", f"{SECOND}.md"]
    assert (_points_of(site, FIRST), _points_of(site, SECOND)) == (3, 2)
    done = editor.get(r.headers["location"])
    assert "Đã lưu" in done.text and f'name="diem:{FIRST}" value="3"' in done.text


def test_a_newer_commit_is_shown_and_the_typed_points_are_reapplied_over_it(site, editor):
    _, token, base = _form(editor, f"/bien-tap/par-provincial/{SURVEY}/diem")
    first, second = _points_of(site, FIRST), _points_of(site, SECOND)
    # after this form was loaded, someone else changes 8.4.1 over the API (their
    # points alone would break the sum: refused; a new title lands)
    node = httpx.get(
        f"{site.url}/api/methodologies/par-provincial/nodes/{SECOND}",
        headers=site.admin_headers(),
        timeout=60,
    ).json()
    fields = {**node["front_matter"], "guidance": node["guidance"], "max_points": second + 0.5}
    other = httpx.put(
        f"{site.url}/api/methodologies/par-provincial/nodes/{SECOND}",
        headers=site.admin_headers(),
        json={"node": {**fields}, "base": node["commit"], "message": "ai đó"},
        timeout=60,
    )
    assert other.status_code == 422
    first_node = httpx.get(
        f"{site.url}/api/methodologies/par-provincial/nodes/{FIRST}",
        headers=site.admin_headers(),
        timeout=60,
    ).json()
    title = {**first_node["front_matter"], "guidance": first_node["guidance"], "title": "Minh bạch"}
    other = httpx.put(
        f"{site.url}/api/methodologies/par-provincial/nodes/{FIRST}",
        headers=site.admin_headers(),
        json={"node": title, "base": first_node["commit"], "message": "Đổi tên 8.4.1"},
        timeout=60,
    )
    assert other.status_code == 200, other.text
    head = _git(site, "rev-parse", "HEAD")
    r = _points(editor, base, token, "5", str(first - 1), str(second + 1))
    assert r.status_code == 409
    text = html.unescape(r.text)
    assert "Đã có người sửa bộ chỉ số này" in text and "Đổi tên 8.4.1" in text
    assert f'name="diem:{FIRST}" value="{first - 1:g}"' in text  # this person's points kept
    assert _git(site, "rev-parse", "HEAD") == head  # nothing written
    newer = re.search(r'name="base" value="([0-9a-f]+)"', r.text)[1]
    assert newer == head
    again = _points(editor, newer, token, "5", str(first - 1), str(second + 1))
    assert again.status_code == 303, again.text
    assert (_points_of(site, FIRST), _points_of(site, SECOND)) == (first - 1, second + 1)
    assert _front(site, FIRST)["title"] == "Minh bạch"  # theirs kept under these points
