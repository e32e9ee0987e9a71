"""An auditor's main job in a real browser: the ranking of Đắk Lắk's departments (the
API's numbers), sorted by a field, one department's result tree with the rule that
fired; an audit between two versions of the provincial index run from the page in the
background, stored as an analysis row, with its waterfall chart; a sensitivity run that
does not hold up other pages while it works."""

from __future__ import annotations

import re
import sqlite3
import time
from decimal import Decimal

import httpx
import pytest

from server.services.samples import sample_documents
from tests.server.helpers import (
    FROM,
    METHODOLOGY,
    PERIOD,
    REF,
    TO,
    add_units,
    appraise_as_sample,
    cohort_units,
    post_submission,
    provincial,
    survey_scores,
)
from tests.web.helpers import add_person, browser_page

pytestmark = pytest.mark.slow

DEPARTMENTS = ["so-noi-vu", "so-tu-phap", "so-y-te", "so-tai-chinh", "thanh-tra-tinh"]
PROVINCES = ["an-giang", "bac-giang", "bac-ninh", "ben-tre", "binh-dinh"]
REFS = {"2021": "par-provincial/2019", "2022": "par-provincial/2022"}
AUDITOR = "kiem-tra-vien"


def _post(api: httpx.Client, path: str, body: dict, headers: dict) -> dict:
    r = api.post(path, json=body, headers=headers)
    assert r.status_code in (200, 201), r.text
    return r.json()


@pytest.fixture(scope="module")
def data(site):
    """Đắk Lắk's departments with their 2023 samples (submitted, appraised, surveyed) and
    five provinces with their 2021 and 2022 samples, all through the API; an auditor."""
    api = httpx.Client(base_url=site.url, timeout=120)
    admin = site.admin_headers()
    add_units(api, admin, only=set(DEPARTMENTS))
    for unit in DEPARTMENTS:
        appraise_as_sample(api, admin, post_submission(api, admin, unit)["id"], unit)
    survey = {"methodology": METHODOLOGY, "ref": REF, "period": PERIOD}
    _post(api, "/api/surveys", {**survey, "scores": survey_scores(DEPARTMENTS)}, admin)

    names = {u["id"]: u["name"] for u in cohort_units("provinces")}
    for unit in PROVINCES:
        body = {"id": unit, "name": names[unit], "level": "tỉnh", "cohorts": ["provinces"]}
        _post(api, "/api/units", {**body, "methodology": "par-provincial"}, admin)
    for period, ref in REFS.items():
        scores = []
        for unit in PROVINCES:
            s = provincial(unit, period)
            draft = {
                "unit_id": unit,
                "period": period,
                "methodology": "par-provincial",
                "ref": ref,
                "values": s["values"],
                "not_applicable": s.get("not_applicable") or {},
                "facts": s.get("facts") or {},
                "documents": sample_documents(s),
            }
            sub = _post(api, "/api/submissions", draft, admin)
            _post(api, f"/api/submissions/{sub['id']}/submit", {}, admin)
            for key, entry in (s.get("appraisal") or {}).items():
                change = {"key": key, "reason": entry["reason"]}
                change.update(
                    {"points": entry["points"]} if "points" in entry else {"value": entry["value"]}
                )
                _post(api, f"/api/submissions/{sub['id']}/appraisals", change, admin)
            scores += [
                {"unit_id": unit, "node_id": node, "score": score}
                for node, score in (s.get("survey") or {}).items()
            ]
        body = {"methodology": "par-provincial", "ref": ref, "period": period, "scores": scores}
        _post(api, "/api/surveys", body, admin)
    add_person(site, AUDITOR, "auditor")
    return {"api": api, "admin": admin}


def _number(text: str) -> Decimal | None:
    text = text.strip()
    return None if text in ("—", "") else Decimal(text.replace(",", ".").replace("−", "-"))


def _rows(page) -> list[dict]:
    """The ranking table as the browser shows it."""
    return page.eval_on_selector_all(
        "table.ranking tbody tr",
        """rows => rows.map(r => ({
            rank: r.cells[0].innerText,
            unit: r.querySelector('th a').getAttribute('href').split('/').pop(),
            cells: Array.from(r.cells).map(c => c.innerText),
        }))""",
    )


def test_an_auditor_reads_the_ranking_sorts_it_and_opens_a_units_tree(browser, site, data):
    api = data["api"].get(
        "/api/rankings", params={"cohort": "daklak-so", "period": PERIOD}, headers=data["admin"]
    )
    assert api.status_code == 200, api.text
    ranking = api.json()
    assert all(u["index"] is not None for u in ranking["units"])
    with browser_page(browser, site, AUDITOR) as page:
        page.get_by_role("link", name="Kết quả").first.click()
        page.get_by_role("link", name=f"Năm {PERIOD}").first.click()
        page.wait_for_url(f"**/ket-qua/daklak-so/{PERIOD}")
        rows = _rows(page)
        assert [r["unit"] for r in rows] == [u["unit"] for u in ranking["units"]]
        for row, unit in zip(rows, ranking["units"], strict=True):
            assert row["rank"] == (str(unit["rank"]) if unit["rank"] is not None else "—")
            index = Decimal(str(unit["index"])).quantize(Decimal("0.01"))
            assert _number(row["cells"][2]) == index, unit["unit"]
            assert "," in row["cells"][2]  # a decimal comma
        unranked = next(r for r in rows if r["unit"] == "thanh-tra-tinh")
        assert "không xếp hạng" in unranked["cells"][1]

        # Sort by the first field: a plain link, descending points first.
        field_id, first = next(iter(ranking["units"][0]["fields"].items()))
        del first
        header = page.locator("table.ranking thead th").nth(4)
        header.get_by_role("link").click()
        page.wait_for_url(f"**sap-xep=-{field_id}")
        assert header.get_attribute("aria-sort") == "descending"
        points = {
            u["unit"]: Decimal(str(u["fields"][field_id]["points"])) for u in ranking["units"]
        }
        order = [r["unit"] for r in _rows(page)]
        assert [points[u] for u in order] == sorted(points.values(), reverse=True)

        page.get_by_role("link", name="Sở Nội vụ").click()
        page.wait_for_url(f"**/ket-qua/daklak-so/{PERIOD}/so-noi-vu")
        fired = page.locator("li.fired").first
        assert fired.is_visible()
        assert "điểm" in fired.inner_text() or "×" in fired.inner_text()
        row = page.locator("tr.leaf", has=page.locator("li.fired")).first
        assert row.locator("ul.values li strong").count() >= 1
        index = page.locator("dl.summary dd").first.inner_text()
        so_noi_vu = next(u for u in ranking["units"] if u["unit"] == "so-noi-vu")
        assert _number(index) == Decimal(str(so_noi_vu["index"])).quantize(Decimal("0.01"))


def test_an_auditor_runs_an_audit_and_sees_its_waterfall_chart(browser, site, data):
    with browser_page(browser, site, AUDITOR) as page:
        images: list = []
        page.on("response", lambda r: images.append(r) if "/bieu-do/" in r.url else None)
        page.goto(f"{site.url}/kiem-tra")
        form = page.locator("form[action='/kiem-tra/so-sanh']")
        form.get_by_label("Phiên bản cũ").select_option(FROM)
        form.get_by_label("Phiên bản mới", exact=True).select_option(TO)
        form.get_by_label("Nhóm đơn vị").select_option("provinces")
        form.get_by_label("Kỳ đánh giá của hồ sơ").fill("2021")
        form.get_by_label("Kỳ bổ sung").fill("2022")
        form.get_by_role("button", name="Chạy so sánh").click()
        page.wait_for_url(re.compile(r".*/kiem-tra/so-sanh/\d+(\?.*)?$"), timeout=120_000)
        analysis_id = int(re.search(r"/so-sanh/(\d+)", page.url)[1])
        waterfall = page.get_by_role("img", name=re.compile("Biểu đồ thác nước"))
        waterfall.wait_for()
        page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=waterfall.element_handle()
        )
        loaded = [r for r in images if "/bieu-do/waterfall.svg" in r.url]
        assert loaded and loaded[0].status == 200
        assert loaded[0].headers["content-type"] == "image/svg+xml"
        # The attribution table of the unit charted sums to its change.
        amounts = page.eval_on_selector_all(
            "#thac-nuoc ~ table tbody td:last-child", "cells => cells.map(c => c.innerText)"
        )
        total = page.locator("#thac-nuoc ~ table tfoot td").inner_text()
        assert amounts and sum(_number(a) for a in amounts) == _number(total)
        # The trend of the same cohort, 2021 under the old version to 2022 under the new,
        # loaded by htmx: the two effects and the rounding add up to the change.
        page.locator("table.trend").wait_for(timeout=60_000)
        trend = page.eval_on_selector_all(
            "table.trend tbody tr",
            "rows => rows.map(r => Array.from(r.cells).map(c => c.innerText))",
        )
        assert len(trend) == len(PROVINCES)
        for cells in trend:
            delta, *effects = (_number(c) for c in cells[3:7])
            assert delta is not None and sum(effects) == delta, cells
        png = page.request.get(f"{site.url}/kiem-tra/so-sanh/{analysis_id}/bieu-do/waterfall.png")
        assert png.status == 200 and png.headers["content-type"] == "image/png"
        assert png.body().startswith(b"\x89PNG")

    with sqlite3.connect(site.data_dir / "parindex.db") as db:
        kind, request, by = db.execute(
            "select a.kind, a.request, u.name from analyses a join users u on u.id = a.created_by"
            " where a.id = ?",
            (analysis_id,),
        ).fetchone()
        logged = db.execute(
            "select count(*) from audit_log where action = 'analysis.run' and entity_id = ?",
            (str(analysis_id),),
        ).fetchone()
    assert kind == "audit" and by == AUDITOR and logged == (1,)
    assert '"cohort": "provinces"' in request and '"fill_period": "2022"' in request
    assert '"ref": "par-provincial/2019"' in request


def test_a_sensitivity_run_shows_progress_and_other_pages_still_answer(browser, site, data):
    with browser_page(browser, site, AUDITOR) as page:
        page.goto(f"{site.url}/kiem-tra")
        form = page.locator("form[action='/kiem-tra/do-nhay']")
        form.get_by_label("Phiên bản bộ chỉ số").select_option(TO)
        form.get_by_label("Nhóm đơn vị").select_option("provinces")
        form.get_by_label("Kỳ đánh giá").fill("2022")
        form.get_by_label("Số lần lặp").fill("100000")
        form.get_by_label("Biên độ").fill("0,3")
        form.get_by_role("button", name="Chạy phân tích độ nhạy").click()
        page.wait_for_url("**/kiem-tra/viec/*")
        job_url = page.url
        assert page.locator("progress").is_visible()
        started = time.monotonic()
        home = httpx.get(f"{site.url}/", timeout=10)
        took = time.monotonic() - started
        still = page.request.get(job_url, max_redirects=0)
        assert home.status_code == 200 and took < 1.0, took
        assert still.status == 200 and "Đang chạy" in still.text(), "the run ended too soon"
        # htmx asks every second and goes to the result when it is stored.
        page.wait_for_url(re.compile(r".*/kiem-tra/do-nhay/\d+$"), timeout=300_000)
        chart = page.get_by_role("img", name=re.compile("Khoảng thứ hạng"))
        page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=chart.element_handle()
        )
        assert page.locator("table.intervals tbody tr").count() == len(PROVINCES)
        run_id = int(page.url.rsplit("/", 1)[1])
    with sqlite3.connect(site.data_dir / "parindex.db") as db:
        (request,) = db.execute("select request from analyses where id = ?", (run_id,)).fetchone()
    assert '"replications": 100000' in request and '"spread": 0.3' in request
