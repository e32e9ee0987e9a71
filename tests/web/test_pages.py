"""The pages over real HTTP, without a browser: what is served, to whom, and that every
asset comes from parindex itself."""

from __future__ import annotations

import re

import httpx
import pytest

from server.web import STATIC_DIR
from tests.web.helpers import browser_page

pytestmark = pytest.mark.slow

TEMPLATES = STATIC_DIR.parent / "templates"
OTHER_HOST = re.compile(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", re.IGNORECASE)


def test_the_catalog_lists_releases_with_decisions_and_derived_indices(site):
    html = httpx.get(f"{site.url}/bo-chi-so", timeout=60).text
    assert "876/QĐ-BNV" in html and "10/11/2022" in html  # decision and its date, dd/mm/yyyy
    assert "2948/QĐ-BNV" in html and "28/12/2017" in html
    # the derived indices are inside the section of the national index they extend
    provincial = html.index('id="m-par-provincial"')
    ministry = html.index('id="m-par-ministry"')
    for derived in ("daklak-so", "daklak-huyen"):
        assert provincial < html.index(f'id="m-{derived}"')
    assert ministry < html.index('id="m-mic-units"')


def test_a_browser_gets_a_vietnamese_page_for_an_unknown_address(site):
    r = httpx.get(f"{site.url}/khong-co-trang-nay", headers={"Accept": "text/html"}, timeout=60)
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")
    assert "Không tìm thấy" in r.text


def test_a_program_still_gets_problem_json_from_the_api(site):
    r = httpx.get(
        f"{site.url}/api/methodologies/khong-co", headers={"Accept": "text/html"}, timeout=60
    )
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"


def test_the_api_takes_bearer_tokens_without_a_csrf_token(site):
    r = httpx.post(
        f"{site.url}/api/units",
        json={"id": "so-thu", "name": "Sở Thử", "level": "sở"},
        headers=site.admin_headers(),
        timeout=60,
    )
    assert r.status_code == 201, r.text


def test_a_form_posted_without_a_session_is_refused(site):
    r = httpx.post(f"{site.url}/dang-nhap", data={"ten": "admin", "mat_khau": "x"}, timeout=60)
    assert r.status_code == 403  # no session cookie, no token: refused before any check


def test_the_api_documentation_works_offline(site):
    html = httpx.get(f"{site.url}/schema", timeout=60).text
    assert "/static/redoc.standalone.js" in html
    assert not OTHER_HOST.search(html), OTHER_HOST.search(html)
    assert "fonts.googleapis" not in html
    script = httpx.get(f"{site.url}/static/redoc.standalone.js", timeout=60)
    assert script.status_code == 200 and len(script.content) > 500_000
    assert "cdn.redoc.ly" not in script.text


def test_no_template_or_stylesheet_names_another_host():
    for path in [*TEMPLATES.rglob("*.html"), *STATIC_DIR.glob("*.css")]:
        text = path.read_text(encoding="utf-8")
        assert not OTHER_HOST.search(text), f"{path}: {OTHER_HOST.search(text)}"
        assert "@import url(" not in text, path


def test_vendored_assets_are_the_versions_the_table_names():
    table = (STATIC_DIR / "VENDORED.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `([^`]+)` \| npm `([^`]+)`[^|]*\| ([0-9.]+) \|", table, re.MULTILINE)
    assert {name for name, _, _ in rows} == {"htmx.min.js", "redoc.standalone.js"}
    for name, _, version in rows:
        head = (STATIC_DIR / name).read_text(encoding="utf-8", errors="replace")
        stamp = f'version:"{version}"' if name == "htmx.min.js" else f'ReDoc Version: ","{version}"'
        assert stamp in head, f"{name} is not version {version}"
    assert (STATIC_DIR / "htmx.LICENSE.txt").exists()
    assert (STATIC_DIR / "redoc.standalone.js.LICENSE.txt").exists()


def test_the_api_documentation_renders_in_a_browser_asking_no_other_host(browser, site):
    """Redoc's bundle names other hosts (JSON Schema ids, links, a CDN logo patched out:
    static/VENDORED.md); opening the page must fetch nothing from them: `browser_page`
    fails on any such request."""
    with browser_page(browser, site) as page:
        page.goto(f"{site.url}/schema")
        page.get_by_text("parindex (0.1.0)").wait_for(timeout=60_000)
        page.get_by_text("API docs by Redocly").wait_for()  # the footer with the logo
        page.wait_for_load_state("networkidle")
