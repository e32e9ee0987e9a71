"""An appraiser's main job in a real browser: open a submitted record, adjust two
criteria with reasons (one typed with a decimal comma), watch the totals follow without
a reload, finish; then what was stored, and the API's scores, follow the council."""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.server.helpers import (
    METHODOLOGY,
    PERIOD,
    QUERY,
    REF,
    add_units,
    post_submission,
    survey_scores,
)
from tests.web.helpers import add_person, browser_page

pytestmark = pytest.mark.slow

APPRAISER = "Nguyễn Thị Hội Đồng"
MANUAL = "muc-tieu-chuong-trinh-tong-the"  # scored by the council itself, 0 to 1,11
RULED, INPUT = "muc-do-thuc-hien-ke-hoach-cchc", "ty_le_hoan_thanh_ke_hoach_cchc"


def _rows(site, sql: str, *args: Any) -> list[tuple]:
    with sqlite3.connect(site.data_dir / "parindex.db") as db:
        return db.execute(sql, args).fetchall()


def _points(text: str) -> Decimal:
    """`97,5 điểm` as the page shows it → 97.5."""
    return Decimal(text.replace("điểm", "").strip().replace(",", "."))


def _walk(nodes: list[dict[str, Any]]):
    for node in nodes:
        yield node
        yield from _walk(node.get("children", []))


def _evaluate(site, submission: int) -> dict[str, Any]:
    r = httpx.post(
        f"{site.url}/api/evaluations",
        json={"submissions": [submission]},
        headers=site.admin_headers(),
        timeout=60,
    )
    assert r.status_code == 201, r.text
    return r.json()[0]


def _adjust(page, node: str, key: str, typed: str, reason: str) -> None:
    row = page.locator(f"#tc-{node}")
    row.locator("summary").click()
    page.locator(f"#v-{key}").fill(typed)
    page.locator(f"#r-{key}").fill(reason)
    page.locator(f"#v-{key}").locator("xpath=ancestor::form").get_by_role("button").click()
    # htmx swaps the row in place: its confirmation appears without a navigation
    page.locator(f"#tc-{node} [role=status]").wait_for()


def test_an_appraiser_adjusts_two_criteria_and_finishes(browser, site):
    admin = site.admin_headers()
    with httpx.Client(base_url=site.url, timeout=60) as api:
        add_units(api, admin, only={"so-noi-vu", "so-tu-phap"})
        submission = post_submission(api, admin, "so-noi-vu")["id"]
        post_submission(api, admin, "so-tu-phap")
        survey = {"methodology": METHODOLOGY, "ref": REF, "period": PERIOD}
        survey["scores"] = survey_scores(["so-noi-vu", "so-tu-phap"])
        assert api.post("/api/surveys", json=survey, headers=admin).status_code == 201
    before = _evaluate(site, submission)
    add_person(site, APPRAISER, "appraiser")
    [(appraiser_id,)] = _rows(site, "SELECT id FROM users WHERE name = ?", APPRAISER)

    with browser_page(browser, site, APPRAISER) as page:
        page.get_by_role("link", name="Thẩm định").click()
        page.wait_for_load_state()
        assert page.get_by_role("heading", name="Đã nộp (2)").is_visible()
        page.get_by_role("link", name="Sở Nội vụ").click()
        page.wait_for_load_state()
        assert page.url.endswith(f"/tham-dinh/{submission}")
        total = page.locator("#tong-tham-dinh")
        # The council's own criterion has no points until it scores it: no total yet.
        assert total.inner_text() == "—"
        assert page.locator("#tong-tu-cham").inner_text() == "—"
        page.evaluate("window.notReloaded = true")

        _adjust(page, MANUAL, MANUAL, "0,25", "Chỉ đạt một phần mục tiêu của chương trình")
        after_one = _points(total.inner_text())
        assert page.locator(f"#tc-{MANUAL} td.appraised").inner_text() == "0,25 điểm"

        _adjust(page, RULED, INPUT, "0.1", "Báo cáo thực tế chỉ hoàn thành 10% kế hoạch")
        after_two = _points(total.inner_text())
        assert after_two < after_one
        assert page.evaluate("window.notReloaded === true")  # both saved without a reload

        page.get_by_role("button", name="Hoàn tất thẩm định").click()
        page.wait_for_load_state()
        assert page.get_by_role("status").first.inner_text() == "Đã hoàn tất thẩm định hồ sơ."
        assert page.locator("#trang-thai").inner_text() == "Đã thẩm định vòng 1"
        assert _points(page.locator("#tong-tham-dinh").inner_text()) == after_two

    rows = _rows(
        site,
        "SELECT key, points, value, reason, by_user FROM appraisals WHERE submission_id = ? "
        "ORDER BY id",
        submission,
    )
    # `value` is a JSON column: the number the API gets from a JSON body, null for points
    assert rows == [
        (MANUAL, "0.25", "null", "Chỉ đạt một phần mục tiêu của chương trình", appraiser_id),
        (INPUT, None, 0.1, "Báo cáo thực tế chỉ hoàn thành 10% kế hoạch", appraiser_id),
    ]
    assert _rows(site, "SELECT status FROM submissions WHERE id = ?", submission) == [
        ("appraised",)
    ]
    audited = _rows(
        site, "SELECT action FROM audit_log WHERE entity_id = ? ORDER BY id", str(submission)
    )
    assert [a for (a,) in audited if a.startswith("appraisal.")] == ["appraisal.create"] * 2

    # The API scores the council's points now: the page's total, and the ranking's index.
    after = _evaluate(site, submission)
    assert before["total"] is None and after["total"] is not None
    assert abs(Decimal(after["total"]) - after_two) < Decimal("0.0001")
    nodes = {n["id"]: n for n in _walk(after["result"]["nodes"])}
    assert Decimal(str(nodes[MANUAL]["points"])) == Decimal("0.25")
    ranking = httpx.get(
        f"{site.url}/api/rankings", params=QUERY, headers=site.admin_headers(), timeout=60
    ).json()
    [ranked] = [u for u in ranking["units"] if u["unit"] == "so-noi-vu"]
    assert Decimal(str(ranked["index"])) == Decimal(str(after["index"]))
