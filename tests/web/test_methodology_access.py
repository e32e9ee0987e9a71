"""The methodology pages over real HTTP without a browser: who may read which version,
Vietnamese 404 pages, and guidance whose raw HTML is shown as text."""

from __future__ import annotations

import re
import subprocess

import httpx
import pytest

pytestmark = pytest.mark.slow  # a real server per module, like the other page modules

PAGE = {"Accept": "text/html"}


def _signed_in(site) -> httpx.Client:
    """The admin, signed in through the sign-in form (session cookie and CSRF token)."""
    client = httpx.Client(base_url=site.url, headers=PAGE)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/dang-nhap").text)
    password = (site.data_dir / "admin-password").read_text().strip()
    form = {"ten": "admin", "mat_khau": password, "csrf_token": token[1], "tiep": "/"}
    assert client.post("/dang-nhap", data=form).status_code == 303
    return client


def _head(site) -> str:
    return subprocess.run(
        ["git", "--git-dir", str(site.store), "rev-parse", "HEAD"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip


@pytest.mark.parametrize(
    ("path", "says"),
    [
        ("/bo-chi-so/khong-co", "Không có bộ chỉ số 'khong-co'"),
        ("/bo-chi-so/par-provincial/khong-co", "Bộ chỉ số par-provincial không có mục 'khong-co'"),
        ("/bo-chi-so/par-provincial?phien-ban=khong-co", "Không có phiên bản 'khong-co'"),
        (
            "/bo-chi-so/par-provincial/ke-hoach-cchc?phien-ban=par-provincial/1999",
            "Không có phiên bản",
        ),
        ("/bo-chi-so/par-provincial/so-sanh?tu=par-provincial/2019&den=khong-co", "khong-co"),
    ],
)
def test_an_unknown_methodology_node_or_version_is_a_vietnamese_404(site, path, says):
    client = _signed_in(site)
    r = client.get(path)
    assert r.status_code == 404, r.text[:300]
    assert r.headers["content-type"].startswith("text/html")
    assert "<h1>Không tìm thấy</h1>" in r.text
    assert says in r.text.replace("&#39;", "'")


def test_anonymous_readers_see_releases_and_are_sent_to_sign_in_for_drafts(site):
    head = _head(site)
    api = httpx.get(f"{site.url}/api/methodologies/par-provincial", params={"ref": head})
    assert api.status_code == 401  # the API refuses a draft to anonymous readers

    for path in (
        f"/bo-chi-so/par-provincial?phien-ban={head}",
        f"/bo-chi-so/par-provincial/ke-hoach-cchc?phien-ban={head}",
        "/bo-chi-so/par-provincial/so-sanh?tu=par-provincial/2019&den=par-provincial/2022",
    ):
        r = httpx.get(site.url + path, headers=PAGE)
        assert r.status_code == 303, path
        assert r.headers["location"].startswith("/dang-nhap?tiep=/bo-chi-so/par-provincial")

    # a release is public; without a version an anonymous reader gets the latest one
    release = subprocess.run(
        ["git", "--git-dir", str(site.store), "rev-list", "-n1", "par-provincial/2022"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    r = httpx.get(f"{site.url}/bo-chi-so/par-provincial", headers=PAGE)
    assert r.status_code == 200
    assert f"<code>{release[:10]}</code>" in r.text
    assert "phiên bản <strong>par-provincial/2022</strong>" in r.text  # named, not a draft
    assert "/ke-hoach-cchc?phien-ban=par-provincial%2F2022" in r.text  # and kept on its links
    node = httpx.get(f"{site.url}/bo-chi-so/par-provincial/ke-hoach-cchc", headers=PAGE)
    assert node.status_code == 200
    assert "Đăng nhập</a> để xem lịch sử" in node.text  # the log is for signed-in readers
    assert 'class="history"' not in node.text

    signed = _signed_in(site)
    r = signed.get(f"/bo-chi-so/par-provincial?phien-ban={head}")
    assert r.status_code == 200 and f"<code>{head[:10]}</code>" in r.text


def test_raw_html_in_guidance_is_shown_as_text(site):
    api = httpx.Client(base_url=site.url, headers=site.admin_headers())
    node = api.get("/api/methodologies/par-provincial/nodes/bao-cao-cchc").json()
    guidance = "<script>alert('x')</script> Báo cáo **đúng hạn**.\n\n<img src=x onerror=alert(1)>\n"
    written = api.put(
        "/api/methodologies/par-provincial/nodes/bao-cao-cchc",
        json={
            "node": {**node["front_matter"], "guidance": guidance},
            "base": node["commit"],
            "message": "Thử hướng dẫn có HTML",
        },
    )
    assert written.status_code == 200, written.text
    html = _signed_in(site).get("/bo-chi-so/par-provincial/bao-cao-cchc").text
    guidance_html = html[html.index('<div class="guidance">') :]
    guidance_html = guidance_html[: guidance_html.index("</div>")]
    assert "<script" not in guidance_html and "<img" not in guidance_html
    assert "&lt;script&gt;alert('x')&lt;/script&gt;" in guidance_html
    assert "<strong>đúng hạn</strong>" in guidance_html  # Markdown still renders
    # the blame names the API's user for the new lines and escapes them too
    blame = html[html.index('<details class="blame">') :]
    body = blame.index("<tbody>")
    first = blame[body : blame.index("</tr>", body)]
    assert "&lt;script&gt;" in first and "<script" not in first
    assert "admin" in first
    author = subprocess.run(
        ["git", "--git-dir", str(site.store), "log", "-1", "--format=%an"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    assert author == "admin"
