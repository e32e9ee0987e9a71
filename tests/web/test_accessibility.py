"""axe-core on every main page, as the person who uses it: no serious or critical
violation, and every form control has an accessible name; and each page, with the
stylesheets and scripts it loads, weighs at most 200 KB (issue 12; images aside).

A new page is checked by adding one line to PAGES: its address and who signs in to see
it (None: nobody; else a role, whose person `add_role_people` makes)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.server.helpers import Server, running_server
from tests.web.helpers import add_role_people, browser_page, person

pytestmark = pytest.mark.slow

AXE = Path(__file__).parent / "vendor" / "axe.min.js"  # axe-core 4.14.1, see vendor/README.md
BLOCKING = {"serious", "critical"}

PAGES: list[tuple[str, str | None]] = [
    ("/", None),
    ("/", "unit_submitter"),
    ("/dang-nhap", None),
    ("/dang-nhap?tiep=/bo-chi-so", None),
    ("/bo-chi-so", None),
    ("/bo-chi-so/par-provincial?phien-ban=par-provincial/2022", None),
    ("/bo-chi-so/par-provincial/cong-bo-tthc?phien-ban=par-provincial/2022", "auditor"),
    ("/bo-chi-so/par-provincial/so-sanh?tu=par-provincial/2019&den=par-provincial/2022", None),
    ("/bien-tap/par-provincial", "ministry_editor"),
    ("/bien-tap/par-provincial/cong-bo-tthc", "ministry_editor"),
    ("/bien-tap/par-provincial/tac-dong-quan-ly-nha-nuoc/diem", "ministry_editor"),
    ("/bien-tap/par-provincial/nhap-bang", "ministry_editor"),
    ("/tu-danh-gia", "unit_submitter"),
    ("/tham-dinh", "appraiser"),
    ("/ky-danh-gia", "province_editor"),  # the periods and the form that opens one
    ("/dia-phuong", "province_editor"),
    ("/dia-phuong/tao-moi", "province_editor"),
    ("/ket-qua", "auditor"),
    ("/ket-qua", None),  # the published results, to anyone
    ("/ket-qua/daklak-so/2023", "province_editor"),  # with the "Công bố kết quả" form
    ("/ket-qua/daklak-so/2023", "auditor"),
    ("/ket-qua/daklak-so/2023/so-noi-vu", "auditor"),
    ("/kiem-tra", "auditor"),
    ("/quan-tri/nguoi-dung", "admin"),
    ("/quan-tri/nguoi-dung/1", "admin"),
    ("/quan-tri/nguoi-dung", "auditor"),  # the 403 page
    ("/khong-co-trang-nay", None),  # the 404 page
]

MAX_WEIGHT = 200 * 1024
# The page's HTML and the stylesheets and scripts it loaded, as the browser decoded them.
WEIGHT = """() => performance.getEntriesByType('navigation')[0].decodedBodySize
  + performance.getEntriesByType('resource')
      .filter(r => r.initiatorType === 'script' || r.initiatorType === 'link')
      .reduce((total, r) => total + r.decodedBodySize, 0)"""

# Every input, select and textarea a person can reach has a name from a <label>,
# aria-label or aria-labelledby (axe checks this too; this says which control).
UNNAMED_CONTROLS = """() => [...document.querySelectorAll('input, select, textarea')]
  .filter(el => el.type !== 'hidden')
  .filter(el => {
    const text = s => (s || '').trim().length > 0;
    const labels = [...(el.labels || [])].some(l => text(l.textContent));
    const labelled = (el.getAttribute('aria-labelledby') || '').split(/\\s+/)
      .some(id => id && text(document.getElementById(id)?.textContent));
    return !(labels || labelled || text(el.getAttribute('aria-label')));
  })
  .map(el => el.outerHTML.slice(0, 160))"""


@pytest.fixture(scope="module")
def site(tmp_path_factory, template_store: Path) -> Iterator[Server]:
    """A server with the bundled samples loaded (pages show what a newcomer sees) and a
    person for each role."""
    with running_server(tmp_path_factory.mktemp("site"), template_store, samples=True) as server:
        add_role_people(server)
        yield server


def violations(page) -> list[str]:
    """The serious and critical axe violations of the page, one line per element."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}) at {' '.join(map(str, node['target']))}: {v['help']}"
        for v in result["violations"]
        if v["impact"] in BLOCKING
        for node in v["nodes"]
    ]


@pytest.fixture(scope="module")
def signed_in(browser, site) -> Callable[[str], dict[str, Any]]:
    """`signed_in(role)`: the cookies of the role's person, who signs in through the
    sign-in page once per module (not once per page: a second each)."""
    states: dict[str, dict[str, Any]] = {}

    def state(role: str) -> dict[str, Any]:
        if role not in states:
            name, password = person(site, role)
            with browser_page(browser, site, name, password) as page:
                assert page.locator(".who").inner_text().startswith(name), "sign-in failed"
                states[role] = page.context.storage_state()
        return states[role]

    return state


@pytest.mark.parametrize(("path", "who"), PAGES, ids=[f"{p} {w or ''}" for p, w in PAGES])
def test_a_page_has_no_serious_accessibility_violation(browser, site, signed_in, path, who):
    with browser_page(browser, site, storage_state=signed_in(who) if who else None) as page:
        response = page.goto(f"{site.url}{path}")
        assert response is not None and response.status < 500, path
        page.wait_for_load_state("networkidle")
        if who is not None:  # the page seen is the person's, not the sign-in page
            assert page.locator(".who").inner_text().startswith(person(site, who)[0]), path
        found = violations(page)
        assert not found, f"{path} as {who}:\n" + "\n".join(found)
        unnamed = page.evaluate(UNNAMED_CONTROLS)
        assert not unnamed, f"{path} as {who}: controls without a name: {unnamed}"
        weight = page.evaluate(WEIGHT)
        assert 1000 < weight <= MAX_WEIGHT, f"{path} as {who}: {weight:,} bytes"


def test_axe_finds_what_it_should(browser, site):
    """The check can fail: a page with an unlabelled input and low contrast is reported."""
    with browser_page(browser, site) as page:
        page.goto(f"{site.url}/dang-nhap")
        page.evaluate(
            """() => {
              document.querySelector('main').insertAdjacentHTML('beforeend',
                '<input id="x"><p style="color:#bbb;background:#fff">mờ</p>');
            }"""
        )
        found = violations(page)
        assert any(line.startswith("label (critical) at #x") for line in found), found
        assert any(line.startswith("color-contrast (serious)") for line in found), found
        assert page.evaluate(UNNAMED_CONTROLS) == ['<input id="x">']
