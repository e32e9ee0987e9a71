"""Derive and rebase pages without a browser: permissions, refusals that write nothing,
and a derived index created and edited through the forms (httpx against a real server)."""

from __future__ import annotations

import re
import subprocess

import httpx
import pytest

from tests.web.helpers import PASSWORD, add_person


def _signed_in(site, name: str) -> httpx.Client:
    client = httpx.Client(base_url=site.url, follow_redirects=False, timeout=60)
    form = client.get("/dang-nhap").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)[1]
    r = client.post(
        "/dang-nhap", data={"csrf_token": token, "ten": name, "mat_khau": PASSWORD, "tiep": "/"}
    )
    assert r.status_code == 303, r.text
    return client


def _csrf(client: httpx.Client, path: str) -> str:
    r = client.get(path)
    assert r.status_code == 200, r.text
    return re.search(r'name="csrf_token" value="([^"]+)"', r.text)[1]


def _git(site, *args: str) -> str:
    return subprocess.run(
        ["git", "--git-dir", str(site.store), *args],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


@pytest.fixture(scope="module")
def editors(site):
    add_person(site, "Biên Tập Đắk Lắk", "province_editor", province="dak-lak")
    add_person(site, "Biên Tập Hà Nội", "province_editor", province="ha-noi")
    add_person(site, "Người Tự Đánh Giá", "unit_submitter", unit="so-noi-vu")
    return site


def test_a_rebase_without_acknowledgements_is_refused_and_writes_nothing(editors):
    site = editors
    # A derived index of 2019 that changes nothing: onto 2022 it has no conflict, only
    # the three criteria 2022 added, each to acknowledge before anything is written.
    made = httpx.post(
        f"{site.url}/api/methodologies",
        headers=site.admin_headers(),
        json={
            "slug": "thu-xac-nhan",
            "manifest": {
                "title": "Chỉ số thử xác nhận",
                "level": "sở",
                "scale": 100,
                "owner": {"province": "dak-lak"},
                "extends": "par-provincial@par-provincial/2019",
            },
            "overlay": {},
        },
        timeout=60,
    )
    assert made.status_code == 201, made.text
    client = _signed_in(site, "Biên Tập Đắk Lắk")
    plan = client.get("/dia-phuong/thu-xac-nhan/cap-nhat", params={"len": "par-provincial/2022"})
    assert plan.status_code == 200
    inherited = re.findall(r'name="nhan" value="([^"]+)"', plan.text)
    assert len(inherited) == 3
    token = re.search(r'name="csrf_token" value="([^"]+)"', plan.text)[1]
    head = _git(site, "rev-parse", "HEAD")
    for acknowledged in ([], inherited[:2]):
        r = client.post(
            "/dia-phuong/thu-xac-nhan/cap-nhat",
            data={"csrf_token": token, "len": "par-provincial/2022", "nhan": acknowledged},
        )
        assert r.status_code == 422, r.text
        assert "chưa được xác nhận" in r.text
        assert _git(site, "rev-parse", "HEAD") == head


def test_another_province_may_not_open_or_post_the_overlay(editors):
    site = editors
    client = _signed_in(site, "Biên Tập Hà Nội")
    assert client.get("/dia-phuong/daklak-so/overlay").status_code == 403
    assert client.get("/dia-phuong/daklak-so/cap-nhat").status_code == 403
    token = _csrf(client, "/dia-phuong")
    head = _git(site, "rev-parse", "HEAD")
    r = client.post(
        "/dia-phuong/daklak-so/overlay", data={"csrf_token": token, "base": head, "quy_doi": "90"}
    )
    assert r.status_code == 403
    assert _git(site, "rev-parse", "HEAD") == head


def test_a_submitter_may_not_derive(editors):
    client = _signed_in(editors, "Người Tự Đánh Giá")
    r = client.get("/dia-phuong/tao-moi")
    assert r.status_code == 403
    assert "Không có quyền" in r.text


def test_an_unknown_index_is_404(editors):
    client = _signed_in(editors, "Biên Tập Đắk Lắk")
    assert client.get("/dia-phuong/khong-co/overlay").status_code == 404


def test_bad_points_are_shown_at_the_row_and_nothing_is_written(editors):
    site = editors
    client = _signed_in(site, "Biên Tập Đắk Lắk")
    page = client.get("/dia-phuong/daklak-so/overlay").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    base = re.search(r'name="base" value="([^"]+)"', page)[1]
    ids = re.findall(r'name="nut" value="([^"]+)"', page)
    removed = re.findall(r'name="bo" value="([^"]+)"[^>]*checked', page)
    points = ["" for _ in ids]
    points[ids.index("chi-dao-dieu-hanh")] = "hai"
    r = client.post(
        "/dia-phuong/daklak-so/overlay",
        data={
            "csrf_token": token,
            "base": base,
            "nut": ids,
            "bo": removed,
            "ten_moi": ["" for _ in ids],
            "diem_moi": points,
            "ly_do": ["" for _ in ids],
        },
    )
    assert r.status_code == 422, r.text
    row = re.search(r'<tr id="nut-chi-dao-dieu-hanh"[^>]*>(.*?)</tr>', r.text, re.S)[1]
    assert 'class="error"' in row
    assert _git(site, "rev-parse", "HEAD") == base


def test_the_overlay_form_adds_a_local_criterion_and_rescales(editors):
    site = editors
    made = httpx.post(
        f"{site.url}/api/methodologies",
        headers=site.admin_headers(),
        json={
            "slug": "thu-rieng",
            "manifest": {
                "title": "Chỉ số thử tiêu chí riêng",
                "level": "sở",
                "scale": 100,
                "owner": {"province": "dak-lak"},
                "extends": "par-provincial@par-provincial/2022",
            },
            "overlay": {},
        },
        timeout=60,
    )
    assert made.status_code == 201, made.text
    client = _signed_in(site, "Biên Tập Đắk Lắk")
    page = client.get("/dia-phuong/thu-rieng/overlay").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    base = re.search(r'name="base" value="([^"]+)"', page)[1]
    ids = re.findall(r'name="nut" value="([^"]+)"', page)
    blank = ["" for _ in ids]
    r = client.post(
        "/dia-phuong/thu-rieng/overlay",
        data={
            "csrf_token": token,
            "base": base,
            "nut": ids,
            "ten_moi": blank,
            "diem_moi": blank,
            "ly_do": blank,
            "moi_cha": ["chi-dao-dieu-hanh", "chi-dao-dieu-hanh"],
            "moi_id": ["giao-ban-cchc-hang-quy", ""],
            "moi_ma": ["1.9", ""],
            "moi_ten": ["Giao ban CCHC hằng quý", ""],
            "moi_diem": ["0,5", ""],
            "quy_doi": "100",
        },
    )
    assert r.status_code == 303, r.text
    node = _git(site, "show", "HEAD:thu-rieng/chi-dao-dieu-hanh/giao-ban-cchc-hang-quy.md")
    assert "title: Giao ban CCHC hằng quý" in node and "max_points: 0.5" in node
    assert "total: 100" in _git(site, "show", "HEAD:thu-rieng/overlay.yaml")
    tree = httpx.get(
        f"{site.url}/api/methodologies/thu-rieng", headers=site.admin_headers(), timeout=60
    ).json()
    fields = {n["id"]: n for n in tree["nodes"]}
    local = [
        c for c in fields["chi-dao-dieu-hanh"]["children"] if c["id"] == "giao-ban-cchc-hang-quy"
    ]
    assert local and local[0]["derivation"]["status"] == "local"
    assert sum(n["max_points"] for n in tree["nodes"]) == pytest.approx(100)
