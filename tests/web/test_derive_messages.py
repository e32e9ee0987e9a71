"""The derive pages say the overlay's and validation's problems in Vietnamese: an
overlay that leaves the fields off the scale, and a local criterion with a bad id or
a bad rule, each refused with nothing written (httpx against a real server)."""

from __future__ import annotations

import html
import re
import subprocess

import httpx
import pytest

from tests.web.helpers import PASSWORD, add_person

ENGLISH = re.compile(
    r"\b(the|must|is|of|got|expected|unknown|missing|not|cannot|needs|has|never|"
    r"add up|scale|found|did you mean|invalid|lowercase|leaves)\b"
)
QUOTED = re.compile(r"'[^']*'|`[^`]*`|“[^”]*”")


def _git(site, *args: str) -> str:
    return subprocess.run(
        ["git", "--git-dir", str(site.store), *args], capture_output=True, text=True, check=True
    ).stdout.strip()


@pytest.fixture(scope="module")
def client(site):
    add_person(site, "Biên Tập Lỗi", "province_editor", province="dak-lak")
    made = httpx.post(
        f"{site.url}/api/methodologies",
        headers=site.admin_headers(),
        json={
            "slug": "thu-loi",
            "manifest": {
                "title": "Chỉ số thử lỗi",
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
    with httpx.Client(base_url=site.url, timeout=60) as c:
        token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/dang-nhap").text)[1]
        r = c.post(
            "/dang-nhap", data={"csrf_token": token, "ten": "Biên Tập Lỗi", "mat_khau": PASSWORD}
        )
        assert r.status_code == 303, r.text
        yield c


def _errors(text: str) -> str:
    """Every error the page shows, as text."""
    found = re.findall(r'class="[^"]*error[^"]*"[^>]*>(.*?)</', text, re.S)
    return html.unescape(" ".join(found))


def _post(client, **rows):
    page = client.get("/dia-phuong/thu-loi/overlay").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    base = re.search(r'name="base" value="([^"]+)"', page)[1]
    ids = re.findall(r'name="nut" value="([^"]+)"', page)
    blank = ["" for _ in ids]
    data = {"csrf_token": token, "base": base, "nut": ids, "ten_moi": blank, "ly_do": blank}
    data["diem_moi"] = [rows.pop("points", {}).get(i, "") for i in ids]
    return client.post("/dia-phuong/thu-loi/overlay", data={**data, **rows}), base


@pytest.mark.parametrize(
    ("rows", "said"),
    [
        (
            {"points": {"chi-dao-dieu-hanh": "5"}},
            "Tổng điểm các lĩnh vực là 95, khác thang điểm 100",
        ),
        (
            {
                "moi_cha": ["chi-dao-dieu-hanh"],
                "moi_id": ["Giao Ban"],
                "moi_ma": ["1.9"],
                "moi_ten": ["Giao ban"],
                "moi_diem": ["0,5"],
            },
            "Mã định danh chỉ gồm chữ thường",
        ),
    ],
)
def test_an_overlay_problem_is_said_in_vietnamese_and_nothing_is_written(site, client, rows, said):
    r, base = _post(client, **rows)
    assert r.status_code in (400, 409, 422), r.text
    shown = _errors(r.text)
    assert shown.strip()
    assert said in shown
    assert ENGLISH.findall(QUOTED.sub(" ", shown)) == [], shown
    assert _git(site, "rev-parse", "HEAD") == base
