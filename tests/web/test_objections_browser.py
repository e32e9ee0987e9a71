"""An objection through the pages, in a real Chromium over a real server: Sở Nội vụ's
submitter finds the preliminary result with its window, files an objection to one
criterion, and an appraiser rejects it on the same page; the database says so."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from server.services.publications import today
from tests.server.helpers import (
    METHODOLOGY,
    PERIOD,
    REF,
    add_units,
    appraise_as_sample,
    post_submission,
    survey_scores,
)
from tests.web.helpers import add_person, browser_page, db_rows

pytestmark = pytest.mark.slow

UNITS = ["so-noi-vu", "so-tu-phap"]
SUBMITTER = "Cán bộ Sở Nội vụ"
APPRAISER = "Thẩm định viên"
RANKING = f"/ket-qua/daklak-so/{PERIOD}"


@pytest.fixture(scope="module")
def preliminary(site):
    """Two departments submitted, appraised and surveyed, their preliminary result
    published with five days to object; a submitter of Sở Nội vụ and an appraiser."""
    api = httpx.Client(base_url=site.url, timeout=60)
    admin = site.admin_headers()
    add_units(api, admin, only=set(UNITS))
    for unit in UNITS:
        submitted = post_submission(api, admin, unit)
        appraise_as_sample(api, admin, submitted["id"], unit)
    survey = {"methodology": METHODOLOGY, "ref": REF, "period": PERIOD}
    r = api.post("/api/surveys", json={**survey, "scores": survey_scores(UNITS)}, headers=admin)
    assert r.status_code == 201, r.text
    close = today() + dt.timedelta(days=5)
    body = {
        "cohort": "daklak-so",
        "period": PERIOD,
        "ref": REF,
        "document_number": "12/QĐ-UBND",
        "document_date": "2024-04-15",
        "objections_close": close.isoformat(),
    }
    r = api.post("/api/publications", json=body, headers=admin)
    assert r.status_code == 201, r.text
    add_person(site, SUBMITTER, "unit_submitter", unit="so-noi-vu")
    add_person(site, APPRAISER, "appraiser")
    return {"close": close, "publication": r.json()}


def test_a_unit_objects_and_an_appraiser_answers(browser, site, preliminary):
    with browser_page(browser, site, SUBMITTER) as page:
        page.goto(f"{site.url}{RANKING}")
        stage = page.locator("p.notice.stage").inner_text()
        assert stage.startswith("Kết quả sơ bộ")
        assert preliminary["close"].strftime("%d/%m/%Y") in stage
        # A reason is required: the form says so at its field, nothing is written.
        criterion = page.get_by_label("Tiêu chí kiến nghị")
        options = criterion.locator("option").all_inner_texts()
        assert len(options) > 10
        criterion.select_option(index=3)
        chosen = criterion.input_value()
        page.get_by_label("Lý do kiến nghị").fill("Sở đã hoàn thành đúng hạn, có báo cáo kèm theo")
        page.get_by_role("button", name="Gửi kiến nghị").click()
        page.wait_for_url(f"**{RANKING}?da=kien-nghi*")
        listed = page.locator("li.objection").inner_text()
        assert "Sở đã hoàn thành đúng hạn" in listed and "Chưa trả lời" in listed
    (row,) = db_rows(site, "select * from objections")
    assert row["unit_id"] == "so-noi-vu" and row["node_id"] == chosen
    assert row["status"] == "open" and row["publication_id"] == preliminary["publication"]["id"]

    with browser_page(browser, site, APPRAISER) as page:
        page.goto(f"{site.url}{RANKING}")
        form = page.get_by_role("form", name=f"Trả lời kiến nghị số {row['id']}")
        form.get_by_label("Quyết định").select_option(label="Không chấp nhận")
        form.get_by_label("Nội dung trả lời").fill("Báo cáo nộp sau thời hạn")
        form.get_by_role("button", name=f"Trả lời kiến nghị số {row['id']}").click()
        page.wait_for_url(f"**{RANKING}?da=tra-loi*")
        assert (
            "Không chấp nhận: Báo cáo nộp sau thời hạn" in page.locator("li.objection").inner_text()
        )
    (row,) = db_rows(site, "select * from objections")
    assert row["status"] == "rejected" and row["answer"] == "Báo cáo nộp sau thời hạn"
