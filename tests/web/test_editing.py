"""The editing pages without a browser: who may open them, what a refused or bad form
writes (nothing), and a release's effective date, years and amended release over the
API."""

from __future__ import annotations

import html
import re
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from server.web.messages import vi_detail
from server.web.pages.editing import field_of
from tests.web.helpers import PASSWORD, add_person

CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')
NODE = "cap-nhat-mot-cua-dien-tu"  # par-provincial 3.3.3, 0,5 điểm


@contextmanager
def signed_in(site, name: str) -> Iterator[httpx.Client]:
    """An HTTP client signed in through the sign-in form, as a browser would be."""
    with httpx.Client(base_url=site.url, headers={"Accept": "text/html"}, timeout=60) as client:
        form = client.get("/dang-nhap")
        token = CSRF.search(form.text)[1]
        done = client.post(
            "/dang-nhap", data={"ten": name, "mat_khau": PASSWORD, "csrf_token": token}
        )
        assert done.status_code == 303, done.text
        yield client


def csrf(client: httpx.Client, path: str) -> tuple[str, str]:
    """The page's text and its form token."""
    page = client.get(path)
    assert page.status_code == 200, page.text
    return page.text, CSRF.search(page.text)[1]


def commits(site) -> int:
    out = subprocess.run(
        ["git", "--git-dir", str(site.store), "rev-list", "--all", "--count"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(out.stdout)


def head(site) -> str:
    out = subprocess.run(
        ["git", "--git-dir", str(site.store), "rev-parse", "HEAD"],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


@pytest.fixture(scope="module")
def people(site):
    add_person(site, "Nguyễn Văn Bộ", "ministry_editor")
    add_person(site, "Y Bình Niê", "province_editor", province="dak-lak")
    add_person(site, "Đơn Vị Nộp", "unit_submitter", unit="so-noi-vu")
    return {
        "ministry": "Nguyễn Văn Bộ",
        "province": "Y Bình Niê",
        "submitter": "Đơn Vị Nộp",
    }


def test_anonymous_visitors_are_sent_to_sign_in(site):
    r = httpx.get(f"{site.url}/bien-tap/par-provincial", headers={"Accept": "text/html"})
    assert r.status_code == 303
    assert r.headers["location"] == "/dang-nhap?tiep=/bien-tap/par-provincial"


def test_a_unit_submitter_is_refused(site, people):
    with signed_in(site, people["submitter"]) as client:
        r = client.get("/bien-tap/par-provincial")
        assert r.status_code == 403
        assert "Vai trò của bạn không được sửa bộ chỉ số." in r.text
        assert client.get(f"/bien-tap/par-provincial/{NODE}").status_code == 403
        assert "/bien-tap" not in client.get("/").text.split("<main")[0]  # no menu entry


def test_a_province_editor_cannot_edit_the_national_index_but_can_edit_their_own(site, people):
    with signed_in(site, people["province"]) as client:
        refused = client.get("/bien-tap/par-provincial")
        assert refused.status_code == 403
        text, token = csrf(client, "/bien-tap/daklak-so")
        assert "Biên tập" in text
        before = commits(site)
        # an edit of a national node through a derived-index URL is refused too
        r = client.post(
            f"/bien-tap/par-provincial/{NODE}",
            data={"csrf_token": token, "tieu_de": "x", "diem": "1", "base": head(site)},
        )
        assert r.status_code == 403
        assert commits(site) == before
        listed = client.get("/bien-tap")
        assert 'href="/bien-tap/daklak-so"' in listed.text
        assert 'href="/bien-tap/par-provincial"' not in listed.text


def test_a_province_editor_saves_a_local_node_of_their_index(site, people):
    with signed_in(site, people["province"]) as client:
        text, _ = csrf(client, "/bien-tap/daklak-so")
        node = "nhiem-vu-ubnd-tinh-giao"  # a criterion of Đắk Lắk's own (1.8)
        assert f'href="/bien-tap/daklak-so/{node}"' in text
        assert 'href="/bien-tap/daklak-so/ke-hoach-cchc"' not in text  # inherited: no edit
        page, token = csrf(client, f"/bien-tap/daklak-so/{node}")
        form = dict(re.findall(r'name="(\w+)" value="([^"]*)"', page))
        title = re.search(r'id="f-tieu_de" name="tieu_de" value="([^"]*)"', page)[1]
        diem = re.search(r'id="f-diem" name="diem" value="([^"]*)"', page)[1]
        before = commits(site)
        r = client.post(
            f"/bien-tap/daklak-so/{node}",
            data={
                "csrf_token": token,
                "base": form["base"],
                "ma": re.search(r'id="f-ma" name="ma" value="([^"]*)"', page)[1],
                "tieu_de": title + " (sửa)",
                "diem": diem,
                "cach_cham": _textarea(page, "cach_cham"),
                "dau_vao": _textarea(page, "dau_vao"),
                "minh_chung": _textarea(page, "minh_chung"),
                "huong_dan": _textarea(page, "huong_dan"),
                "thong_diep": "Sửa tên mục riêng của Đắk Lắk",
            },
        )
        assert r.status_code == 303, r.text
        assert commits(site) == before + 1
        log = subprocess.run(
            ["git", "--git-dir", str(site.store), "log", "-1", "--format=%an|%s"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        assert log == "Y Bình Niê|Sửa tên mục riêng của Đắk Lắk"


def _textarea(page: str, name: str) -> str:
    found = re.search(rf'name="{name}"[^>]*>(.*?)</textarea>', page, re.S)
    return html.unescape(found[1]) if found else ""


def test_a_post_without_the_csrf_token_writes_nothing(site, people):
    with signed_in(site, people["ministry"]) as client:
        before = commits(site)
        r = client.post(
            f"/bien-tap/par-provincial/{NODE}",
            data={"tieu_de": "Không có mã chống giả mạo", "diem": "1", "base": head(site)},
        )
        assert r.status_code == 403
        assert "biểu mẫu đã hết hạn" in r.text
        assert commits(site) == before


def test_bad_points_are_shown_at_the_field_and_nothing_is_written(site, people):
    with signed_in(site, people["ministry"]) as client:
        page, token = csrf(client, f"/bien-tap/par-provincial/{NODE}")
        base = re.search(r'name="base" value="([0-9a-f]+)"', page)[1]
        before = commits(site)
        r = client.post(
            f"/bien-tap/par-provincial/{NODE}",
            data={
                "csrf_token": token,
                "base": base,
                "ma": "3.3.3",
                "tieu_de": "Tỷ lệ",
                "diem": "abc",
                "cach_cham": _textarea(page, "cach_cham"),
            },
        )
        assert r.status_code == 422
        error = re.search(r'<div id="loi-diem"[^>]*>(.*?)</div>', r.text, re.S)[1]
        assert "'abc' không phải là một số" in html.unescape(error)
        assert commits(site) == before
        # the live check says the same at the same field, and writes nothing either
        live = client.post(
            "/bien-tap/par-provincial/kiem-tra",
            data={"base": base, "nut": NODE, "ma": "3.3.3", "tieu_de": "Tỷ lệ", "diem": "abc"},
            headers={"X-CSRF-Token": token, "HX-Request": "true"},
        )
        assert live.status_code == 200
        error = re.search(r'<div id="loi-diem"[^>]*hx-swap-oob="true">(.*?)</div>', live.text)
        assert "'abc' không phải là một số" in html.unescape(error[1])
        broken_yaml = client.post(
            f"/bien-tap/par-provincial/{NODE}",
            data={
                "csrf_token": token,
                "base": base,
                "ma": "3.3.3",
                "tieu_de": "Tỷ lệ",
                "diem": "0,5",
                "cach_cham": "kind: tiers\ntiers: [",
            },
        )
        assert broken_yaml.status_code == 422
        error = re.search(r'<div id="loi-cach_cham"[^>]*>(.*?)</div>', broken_yaml.text, re.S)
        assert "Không đọc được YAML" in error[1]
        assert commits(site) == before


def test_a_rule_error_comes_back_at_the_rule_field_with_the_suggestion(site, people):
    with signed_in(site, people["ministry"]) as client:
        page, token = csrf(client, f"/bien-tap/par-provincial/{NODE}")
        base = re.search(r'name="base" value="([0-9a-f]+)"', page)[1]
        rule = _textarea(page, "cach_cham").replace(
            "ty_le_ho_so_cap_nhat_mot_cua_dien_tu >= 100%",
            "ty_le_ho_so_cap_nhat_mot_cua_dien_tx >= 100%",
        )
        live = client.post(
            "/bien-tap/par-provincial/kiem-tra",
            data={
                "base": base,
                "nut": NODE,
                "ma": "3.3.3",
                "tieu_de": "Tỷ lệ",
                "diem": "0,5",
                "cach_cham": rule,
                "dau_vao": _textarea(page, "dau_vao"),
            },
            headers={"X-CSRF-Token": token, "HX-Request": "true"},
        )
        error = re.search(r'<div id="loi-cach_cham"[^>]*hx-swap-oob="true">(.*?)</div>', live.text)
        assert "ty_le_ho_so_cap_nhat_mot_cua_dien_tx" in error[1]
        assert "Gợi ý" in error[1] and "ty_le_ho_so_cap_nhat_mot_cua_dien_tu" in error[1]


def test_an_unknown_node_is_a_404_page(site, people):
    with signed_in(site, people["ministry"]) as client:
        r = client.get("/bien-tap/par-provincial/khong-co-muc-nay")
        assert r.status_code == 404
        assert "không có mục 'khong-co-muc-nay'" in html.unescape(r.text)


def test_a_release_carries_its_effective_date_years_and_amends_over_the_api(site):
    headers = site.admin_headers()
    api = f"{site.url}/api/methodologies/vi-du"
    current = httpx.get(api, headers=headers).json()["commit"]
    body = {
        "ref": current,
        "name": "2098",
        "decision": "9/QĐ-VD",
        "date": "2098-01-01",
        "effective": "2098-03-01",
        "years": "2098–2100",
        "amends": "2014",
    }
    r = httpx.post(f"{api}/releases", headers=headers, json=body)
    assert r.status_code == 201, r.text
    made = r.json()
    assert made == {
        "methodology": "vi-du",
        "tag": "vi-du/2098",
        "name": "2098",
        "decision": "9/QĐ-VD",
        "date": "2098-01-01",
        "commit": current,
        "effective": "2098-03-01",
        "years": [2098, 2099, 2100],
        "amends": "vi-du/2014",
    }
    listed = httpx.get(f"{api}/versions", headers=headers).json()["releases"]
    assert [x for x in listed if x["name"] == "2098"] == [made]
    assert [(x["name"], x["years"], x["amends"]) for x in listed if x["name"] != "2098"] == [
        ("2013", [2014], None),
        ("2014", [2015, 2016, 2017, 2018, 2019, 2020], "vi-du/2013"),
    ]
    tag = subprocess.run(
        ["git", "--git-dir", str(site.store), "cat-file", "-p", "vi-du/2098"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "effective: 2098-03-01\nyears: 2098-2100\namends: vi-du/2014\n" in tag
    # a date names the release in force, a year the release for that assessment year
    by_tag = httpx.get(api, params={"ref": "vi-du/2014"}, headers=headers).json()["commit"]
    for ref, commit in (
        ("2098-02-28", by_tag),
        ("2098-03-01", current),
        ("year:2099", current),
        ("năm:2016", by_tag),
    ):
        found = httpx.get(api, params={"ref": ref}, headers=headers)
        assert found.status_code == 200 and found.json()["commit"] == commit, (ref, found.text)
    missing = httpx.get(api, params={"ref": "year:2101"}, headers=headers)
    assert missing.status_code == 404
    assert missing.json()["detail"].startswith(
        "vi-du@year:2101: no release applies to assessment year 2101"
    )
    for field, value in (
        ("effective", "2097-12-31"),
        ("years", "2100-2098"),
        ("years", [2098, "sau 2100"]),
        ("amends", "par-provincial/2022"),
        ("amends", "2099"),
    ):
        bad = {**body, "name": "2097", "date": "2098-01-01", field: value}
        r = httpx.post(f"{api}/releases", headers=headers, json=bad)
        assert r.status_code == 400, r.text
        assert [e["path"] for e in r.json()["errors"]] == [f"$.{field}"]
    names = [x["name"] for x in httpx.get(f"{api}/versions", headers=headers).json()["releases"]]
    assert "2097" not in names


def test_a_node_is_added_moved_and_removed_each_as_one_commit(site, people):
    def git_log() -> list[str]:
        out = subprocess.run(
            ["git", "--git-dir", str(site.store), "log", "-1", "--format=%an|%s", "--name-status"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return [line for line in out.splitlines() if line.strip()]

    with signed_in(site, people["ministry"]) as client:
        page, token = csrf(client, "/bien-tap/vi-du/them?cha=ke-hoach-cchc")
        assert '<option value="ke-hoach-cchc" selected>' in page
        base = re.search(r'name="base" value="([0-9a-f]+)"', page)[1]
        new = {
            "csrf_token": token,
            "base": base,
            "nut": "thu-nghiem-moi",
            "cha": "ke-hoach-cchc",
            "ma": "1.1.9",
            "tieu_de": "Tiêu chí thử nghiệm",
            "diem": "0",
            "cach_cham": "kind: boolean\nwhen: co_thu_nghiem\n",
            "dau_vao": "co_thu_nghiem:\n  type: bool\n  label: Có thử nghiệm\n",
            "thong_diep": "Thêm tiêu chí thử nghiệm",
        }
        r = client.post("/bien-tap/vi-du/them", data=new)
        assert r.status_code == 303, r.text
        assert git_log() == [
            "Nguyễn Văn Bộ|Thêm tiêu chí thử nghiệm",
            "A\tvi-du/chi-dao-dieu-hanh/ke-hoach-cchc/thu-nghiem-moi.md",
        ]
        again = client.post("/bien-tap/vi-du/them", data=new)  # the id is taken now
        assert again.status_code == 422
        assert (
            "Đã có mục “thu-nghiem-moi”"
            in re.search(r'<div id="loi-nut"[^>]*>(.*?)</div>', again.text, re.S)[1]
        )

        page, token = csrf(client, "/bien-tap/vi-du/thu-nghiem-moi/chuyen")
        base = re.search(r'name="base" value="([0-9a-f]+)"', page)[1]
        r = client.post(
            "/bien-tap/vi-du/thu-nghiem-moi/chuyen",
            data={"csrf_token": token, "base": base, "cha": "bao-cao-cchc", "thong_diep": "Chuyển"},
        )
        assert r.status_code == 303, r.text
        assert git_log()[0] == "Nguyễn Văn Bộ|Chuyển"
        assert git_log()[1].startswith("R100\tvi-du/chi-dao-dieu-hanh/ke-hoach-cchc/")

        page, token = csrf(client, "/bien-tap/vi-du/thu-nghiem-moi/xoa")
        assert "Xoá 1.1.9 Tiêu chí thử nghiệm?" in page
        r = client.post(
            "/bien-tap/vi-du/thu-nghiem-moi/xoa",
            data={"csrf_token": token, "base": base, "thong_diep": "Xoá thử nghiệm"},
        )
        # `base` is from before the move: the file changed since, so nothing is removed
        assert r.status_code == 409
        assert "Đã có người sửa nội dung này" in r.text
        assert git_log()[0] == "Nguyễn Văn Bộ|Chuyển"
        base = re.search(r'name="base" value="([0-9a-f]+)"', page)[1]
        r = client.post(
            "/bien-tap/vi-du/thu-nghiem-moi/xoa",
            data={"csrf_token": token, "base": base, "thong_diep": "Xoá thử nghiệm"},
        )
        assert r.status_code == 303, r.text
        assert git_log() == [
            "Nguyễn Văn Bộ|Xoá thử nghiệm",
            "D\tvi-du/chi-dao-dieu-hanh/bao-cao-cchc/thu-nghiem-moi.md",
        ]


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("max_points", "diem"),
        ("$.node.max_points", "diem"),
        ("scoring.tiers[0].when", "cach_cham"),
        ("$.node.penalty.rules[1]", "cach_cham"),
        ("inputs.ty_le", "dau_vao"),
        ("evidence[2]", "minh_chung"),
        ("$.node.title", "tieu_de"),
        ("$ (par-provincial/overlay.yaml)", "chung"),
        (None, "chung"),
    ],
)
def test_a_problem_is_shown_at_the_field_its_path_names(path, field):
    assert field_of(path) == field


def test_the_points_sum_problem_is_said_in_vietnamese():
    said = vi_detail(
        "the edit leaves par-provincial invalid: children of 7.1 'ung-dung-cntt' add up to "
        "2.25, less than its max_points 2.5: it can never reach its maximum"
    )
    assert said == (
        "Sửa như vậy làm bộ chỉ số par-provincial không hợp lệ: Các mục con của 7.1 "
        "'ung-dung-cntt' cộng lại được 2,25 điểm, ít hơn điểm tối đa 2,5: mục này không bao "
        "giờ đạt điểm tối đa"
    )


def test_the_pages_show_what_a_release_says_and_the_release_form_checks_it(site, people):
    """The catalog and a version's page show each release's effective date, years and
    amended release; the release form says a bad one in Vietnamese and tags nothing."""
    page = httpx.get(f"{site.url}/bo-chi-so", headers={"Accept": "text/html"})
    text = html.unescape(page.text)
    for label in ("Ngày hiệu lực", "Năm áp dụng", "Sửa đổi, bổ sung"):
        assert f'<th scope="col">{label}</th>' in text
    row = re.search(r'<tr data-release="par-provincial/2019">(.*?)</tr>', text, re.S)[1]
    assert "1149/QĐ-BNV" in row and "30/12/2019" in row and "2020–2021" in row
    amended = re.search(r'<tr data-release="vi-du/2014">(.*?)</tr>', text, re.S)[1]
    assert re.search(r'class="amends"><a href="/bo-chi-so/vi-du\?phien-ban=vi-du/2013">', amended)
    # a year ref on a version's page: the release for that assessment year, with its metadata
    tree = httpx.get(
        f"{site.url}/bo-chi-so/par-provincial",
        params={"phien-ban": "năm:2021"},
        headers={"Accept": "text/html"},
    )
    assert tree.status_code == 200
    shown = re.search(r'<dl class="release"[^>]*>(.*?)</dl>', html.unescape(tree.text), re.S)[1]
    assert "<dd>1149/QĐ-BNV</dd>" in shown and '<dd class="years">2020–2021</dd>' in shown
    assert '<dd class="effective">30/12/2019</dd>' in shown
    none = httpx.get(
        f"{site.url}/bo-chi-so/par-provincial",
        params={"phien-ban": "năm:2040"},
        headers={"Accept": "text/html"},
    )
    assert none.status_code == 404
    assert "không phiên bản nào áp dụng cho năm đánh giá 2040" in html.unescape(none.text)
    with signed_in(site, people["ministry"]) as client:
        form, token = csrf(client, "/bien-tap/par-provincial")
        head = re.search(r'name="phien_ban" value="([0-9a-f]+)"', form)[1]
        sent = {
            "csrf_token": token,
            "phien_ban": head,
            "ten": "2031",
            "so_quyet_dinh": "1/QĐ-BNV",
            "ngay": "01/01/2031",
        }
        r = client.post(
            "/bien-tap/par-provincial/ban-hanh",
            data={**sent, "nam_ap_dung": "2035-2031", "sua_doi": "2017"},
        )
        assert r.status_code == 422
        said = html.unescape(r.text)
        assert "Năm áp dụng: khoảng 2035-2031 kết thúc trước khi bắt đầu." in said
        r = client.post(
            "/bien-tap/par-provincial/ban-hanh", data={**sent, "sua_doi": "par-ministry/2022"}
        )
        assert r.status_code == 422
        assert "Sửa đổi, bổ sung: par-ministry/2022 không phải là phiên bản của par-provincial" in (
            html.unescape(r.text)
        )
    tags = subprocess.run(
        ["git", "--git-dir", str(site.store), "tag", "--list", "par-provincial/*"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert "par-provincial/2031" not in tags
