"""Publishing rankings (`/api/publications`) through the test client, on SQLite and
PostgreSQL: who may publish, what anyone then reads, a withdrawal kept in the history,
a published ranking frozen against later changes, and bad input refused with nothing
written."""

from __future__ import annotations

import copy
import re
import typing
from decimal import Decimal

import pytest
from sqlmodel import select

from server.models import AuditEntry, Evaluation, Publication, PublicationResult
from server.schemas import DocumentKind
from server.services.publications import DOCUMENT_KINDS
from server.web.messages import vi_detail
from tests.server.helpers import (
    METHODOLOGY,
    PERIOD,
    REF,
    KeptRows,
    add_units,
    appraise_as_sample,
    assert_problem,
    count,
    db,
    keep_rows,
    paths,
    post_submission,
    put_rows,
    sample,
    survey_scores,
    user_id_of,
)

UNITS = ("so-noi-vu", "so-tu-phap", "thanh-tra-tinh")
QUERY = {"cohort": "daklak-so", "period": PERIOD}
DOCUMENT = {
    "document_number": "123/QĐ-UBND",
    "document_date": "2024-04-15",
    "objections_close": "2099-12-31",
}


def body(**changes) -> dict:
    return {**QUERY, "ref": REF, **DOCUMENT, **changes}


# The cohort's rows per database, made through the API by the module's first test that
# asks for it and copied into the others' databases (~1 s a test through the API).
KEPT: dict[str, tuple[KeptRows, dict]] = {}


@pytest.fixture
def cohort(request, client, make_user, db_url, tmp_path_factory):
    """Three of Đắk Lắk's departments (the province's own methodology) with their 2023
    samples submitted and appraised, their survey scores imported; an admin and a Đắk Lắk
    editor to publish."""
    database = db_url.split(":", 1)[0]
    if database in KEPT:
        rows, made = KEPT[database]
        put_rows(client, rows)
        return copy.deepcopy(made)
    made = make_cohort(client, make_user)
    where = tmp_path_factory.mktemp("kept")
    rows = keep_rows(client, [made["admin"], made["editor"]], where, request.config.add_cleanup)
    KEPT[database] = (rows, copy.deepcopy(made))
    return made


def make_cohort(client, make_user) -> dict:
    admin = make_user("admin")
    add_units(client, admin, only=set(UNITS))
    submissions = {}
    for unit in UNITS:
        submissions[unit] = post_submission(client, admin, unit)["id"]
        appraise_as_sample(client, admin, submissions[unit], unit)
    survey = {"methodology": METHODOLOGY, "ref": REF, "period": PERIOD}
    r = client.post(
        "/api/surveys", json={**survey, "scores": survey_scores(list(UNITS))}, headers=admin
    )
    assert r.status_code == 201, r.text
    editor = make_user("province_editor", province="dak-lak")
    return {"admin": admin, "editor": editor, "submissions": submissions}


def written(client) -> tuple[int, int, int, int]:
    return (
        count(client, Publication),
        count(client, PublicationResult),
        count(client, Evaluation),
        count(client, AuditEntry),
    )


def test_the_document_kinds_are_the_services():
    assert typing.get_args(DocumentKind) == DOCUMENT_KINDS


def test_a_province_editor_publishes_and_anyone_reads_the_published_ranking(
    client, make_user, cohort
):
    # Before publishing, an anonymous visitor is asked to sign in, as for any ranking.
    assert client.get("/api/rankings", params=QUERY).status_code == 401
    live = client.get("/api/rankings", params={**QUERY, "ref": REF}, headers=cohort["editor"])
    assert live.status_code == 200 and live.json()["published"] is False
    assert live.json()["publication"] is None

    r = client.post(
        "/api/publications",
        json=body(ranking_hash=live.json()["ranking_hash"], document_kind="decision"),
        headers=cohort["editor"],
    )
    assert r.status_code == 201, r.text
    published = r.json()
    assert published["in_force"] and published["cohort"] == "daklak-so"
    assert published["ranking_hash"] == live.json()["ranking_hash"]
    assert published["commit"] == live.json()["commit"]
    assert published["document_number"] == "123/QĐ-UBND"
    assert published["document_date"] == "2024-04-15"
    assert published["published_by"] == user_id_of(client, cohort["editor"])
    assert set(published["evaluations"]) == set(UNITS)

    with db(client) as session:
        row = session.get(Publication, published["id"])
        assert row is not None and row.withdrawn_at is None and row.ref == REF
        assert row.ranking["units"] == live.json()["units"]
        (entry,) = [
            e for e in session.exec(select(AuditEntry)).all() if e.action == "ranking.publish"
        ]
        assert entry.entity_id == str(published["id"]) and entry.after["in_force"]

    # Anyone reads it: anonymous, a unit's submitter, the ranking and each unit's result.
    submitter = make_user("unit_submitter", unit_id="so-noi-vu")
    for headers in ({}, submitter):
        r = client.get("/api/rankings", params=QUERY, headers=headers)
        assert r.status_code == 200, r.text
        answer = r.json()
        assert answer["published"] is True and answer["publication"]["id"] == published["id"]
        assert answer["units"] == live.json()["units"]
    other = cohort["submissions"]["so-tu-phap"]
    assert client.get(f"/api/submissions/{other}", headers=submitter).status_code == 403
    anonymous = client.get("/api/rankings", params=QUERY).json()
    assert anonymous["units"] == live.json()["units"]
    assert anonymous["ranking_hash"] == published["ranking_hash"]
    evaluation = published["evaluations"]["so-noi-vu"]
    r = client.get(f"/api/evaluations/{evaluation}")
    assert r.status_code == 200 and r.json()["unit_id"] == "so-noi-vu"
    index = next(u["index"] for u in anonymous["units"] if u["unit"] == "so-noi-vu")
    assert Decimal(r.json()["index"]) == Decimal(str(index))
    listed = client.get("/api/publications").json()
    assert [p["id"] for p in listed] == [published["id"]]
    # Another version than the published one is not published: sign in for it.
    assert client.get("/api/rankings", params={**QUERY, "ref": "main"}).status_code == 401


def test_the_published_ranking_has_an_etag_until_it_is_withdrawn(client, make_user, cohort):
    published = client.post("/api/publications", json=body(), headers=cohort["editor"]).json()
    url = f"/api/publications/{published['id']}/ranking"
    r = client.get(url)  # anyone, while in force
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "public, no-cache"
    answer, etag = r.json(), r.headers["etag"]
    assert answer["published"] is True and answer["publication"] == published
    assert answer == client.get("/api/rankings", params=QUERY).json()
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag

    r = client.post(
        f"/api/publications/{published['id']}/withdraw",
        json={"reason": "Thu hồi"},
        headers=cohort["editor"],
    )
    assert r.status_code == 200, r.text
    # Withdrawn: no 304 for the former ETag, not for anyone; the history for the auditor.
    assert_problem(client.get(url, headers={"If-None-Match": etag}), 401)
    auditor = make_user("auditor")
    r = client.get(url, headers={**auditor, "If-None-Match": etag})
    assert r.status_code == 200 and r.headers["etag"] != etag
    assert r.headers["cache-control"] == "private, no-cache"
    assert r.json()["publication"]["in_force"] is False
    assert r.json()["units"] == answer["units"]
    assert_problem(client.get("/api/publications/999999/ranking", headers=auditor), 404)


def test_a_published_ranking_is_frozen_and_newer_data_are_told(client, make_user, cohort):
    r = client.post("/api/publications", json=body(), headers=cohort["admin"])
    assert r.status_code == 201, r.text
    published = r.json()
    before = client.get("/api/rankings", params=QUERY).json()
    # The council reopens a record and the unit submits new values: the live ranking moves.
    appraiser = make_user("appraiser")
    first = cohort["submissions"]["so-noi-vu"]
    r = client.post(
        f"/api/submissions/{first}/reopen", json={"reason": "Sửa số liệu"}, headers=appraiser
    )
    assert r.status_code == 200, r.text
    worse = {**sample("so-noi-vu")["values"], "ty_le_hoan_thanh_ke_hoach_cchc": 0.1}
    post_submission(client, cohort["admin"], "so-noi-vu", values=worse)
    auditor = make_user("auditor")
    live = client.get("/api/rankings", params={**QUERY, "ref": REF}, headers=auditor).json()
    assert live["published"] is False and live["ranking_hash"] != published["ranking_hash"]
    assert live["publication"]["ranking_hash"] == published["ranking_hash"]  # newer data
    after = client.get("/api/rankings", params=QUERY).json()
    assert after == before  # the published numbers did not move
    snapshot = client.get(
        "/api/rankings", params={**QUERY, "published": "true"}, headers=auditor
    ).json()
    assert snapshot["published"] and snapshot["units"] == before["units"]


def test_withdrawing_keeps_the_history_and_ends_public_reading(client, make_user, cohort):
    published = client.post("/api/publications", json=body(), headers=cohort["editor"]).json()
    # A second publication while one is in force is refused, nothing written.
    before = written(client)
    r = client.post("/api/publications", json=body(), headers=cohort["editor"])
    assert_problem(r, 409, extra=frozenset({"existing"}))
    assert paths(r) == ["$.period"] and r.json()["existing"] == published["id"]
    assert vi_detail(r.json()["detail"]) == (
        f"Kết quả của nhóm đơn vị 'daklak-so' kỳ {PERIOD} đã được công bố; "
        "hãy thu hồi bản đang có hiệu lực trước khi công bố lại."
    )
    assert written(client) == before

    r = client.post(
        f"/api/publications/{published['id']}/withdraw",
        json={"reason": "Thu hồi để sửa sai sót"},
        headers=cohort["editor"],
    )
    assert r.status_code == 200, r.text
    withdrawn = r.json()
    assert not withdrawn["in_force"] and withdrawn["withdrawal_reason"] == "Thu hồi để sửa sai sót"
    assert withdrawn["withdrawn_by"] == user_id_of(client, cohort["editor"])
    again = client.post(
        f"/api/publications/{published['id']}/withdraw",
        json={"reason": "lần nữa"},
        headers=cohort["editor"],
    )
    assert_problem(again, 409)
    said = vi_detail(again.json()["detail"])
    assert re.fullmatch(
        rf"Lần công bố số {published['id']} đã bị thu hồi ngày \d\d/\d\d/\d{{4}}\.", said
    )

    # Not public any more; the history stays for those who read unpublished rankings.
    assert client.get("/api/rankings", params=QUERY).status_code == 401
    evaluation = published["evaluations"]["so-tu-phap"]
    assert client.get(f"/api/evaluations/{evaluation}").status_code == 401
    assert client.get("/api/publications").json() == []
    auditor = make_user("auditor")
    r = client.get("/api/rankings", params={**QUERY, "published": "true"}, headers=auditor)
    assert_problem(r, 404)
    history = client.get("/api/publications", headers=auditor).json()
    assert [(p["id"], p["in_force"]) for p in history] == [(published["id"], False)]
    with db(client) as session:
        actions = [e.action for e in session.exec(select(AuditEntry)).all()]
        assert actions.count("ranking.publish") == 1 and actions.count("ranking.withdraw") == 1

    # Published again: a second row, the first kept.
    r = client.post(
        "/api/publications", json=body(document_number="200/QĐ-UBND"), headers=cohort["editor"]
    )
    assert r.status_code == 201, r.text
    assert count(client, Publication) == 2
    history = client.get("/api/publications", params=QUERY, headers=cohort["admin"]).json()
    assert [p["in_force"] for p in history] == [True, False]


@pytest.mark.parametrize(
    ("role", "scope", "status"),
    [
        ("ministry_editor", {}, 403),  # a province's cohort is the province's to publish
        ("province_editor", {"province": "ha-noi"}, 403),
        ("auditor", {}, 403),
        ("appraiser", {}, 403),
        ("unit_submitter", {"unit_id": "so-noi-vu"}, 403),
        (None, {}, 401),
    ],
)
def test_who_may_not_publish_or_withdraw(client, make_user, cohort, role, scope, status):
    headers = make_user(role, **scope) if role else {}
    before = written(client)
    assert_problem(client.post("/api/publications", json=body(), headers=headers), status)
    assert written(client) == before
    published = client.post("/api/publications", json=body(), headers=cohort["admin"]).json()
    before = written(client)
    r = client.post(
        f"/api/publications/{published['id']}/withdraw", json={"reason": "x"}, headers=headers
    )
    assert_problem(r, status)
    assert written(client) == before
    assert client.get("/api/publications").json()[0]["in_force"]


def test_a_ministry_editor_publishes_a_national_cohort(client, make_user):
    admin = make_user("admin")
    unit = {"id": "ha-noi", "name": "Hà Nội", "level": "tỉnh", "cohorts": ["provinces"]}
    r = client.post("/api/units", json={**unit, "methodology": "vi-du"}, headers=admin)
    assert r.status_code == 201, r.text
    values = {
        "thoi_diem_ban_hanh": "dung_han",
        "du_nhiem_vu_va_kinh_phi": True,
        "ket_qua_ro_rang": True,
        "ty_le_hoan_thanh_ke_hoach": 0.93,
        "bao_cao_du_va_dung_han": True,
        "so_don_vi_duoc_kiem_tra": 3,
        "tong_so_don_vi": 4,
        "ty_le_dung_han": 0.985,
        "ty_le_phan_anh_duoc_xu_ly": 0.75,
        "so_ho_so_truc_tuyen": 10,
        "tong_so_ho_so": 40,
    }
    draft = {
        "unit_id": "ha-noi",
        "period": "2014",
        "methodology": "vi-du",
        "ref": "vi-du/2014",
        "values": values,
        "facts": {"co_thu_tuc_hanh_chinh": True},
    }
    r = client.post("/api/submissions", json=draft, headers=admin)
    assert r.status_code == 201, r.text
    r = client.post(f"/api/submissions/{r.json()['id']}/submit", headers=admin)
    assert r.status_code == 200, r.text
    national = {"cohort": "provinces", "period": "2014", "ref": "vi-du/2014", **DOCUMENT}
    province = make_user("province_editor", province="dak-lak")
    assert_problem(client.post("/api/publications", json=national, headers=province), 403)
    r = client.post(
        "/api/publications",
        json={**national, "document_kind": "official_letter"},
        headers=make_user("ministry_editor"),
    )
    assert r.status_code == 201, r.text
    assert r.json()["document_kind"] == "official_letter"
    r = client.get("/api/rankings", params={"cohort": "provinces", "period": "2014"})
    assert r.status_code == 200 and [u["unit"] for u in r.json()["units"]] == ["ha-noi"]


@pytest.mark.parametrize(
    ("change", "status", "path"),
    [
        ({"document_number": ""}, 400, "$.document_number"),
        ({"document_date": "15/04/2024"}, 400, "$.document_date"),
        ({"document_kind": "nghi-dinh"}, 400, "$.document_kind"),
        ({"cohort": "Khong Co"}, 400, "$.cohort"),
        ({"ranking_hash": "abc"}, 400, "$.ranking_hash"),
        ({"mesage": "x"}, 400, "$.mesage"),
        ({"cohort": "khong-co"}, 422, "$.cohort"),
        ({"period": "1999"}, 422, "$.period"),
        ({"ref": "daklak-so/1999"}, 422, "$.ref"),
        ({"ranking_hash": "0" * 64}, 409, "$.ranking_hash"),
    ],
)
def test_bad_publications_are_refused_at_the_field_with_nothing_written(
    client, cohort, change, status, path
):
    before = written(client)
    r = client.post("/api/publications", json=body(**change), headers=cohort["admin"])
    assert_problem(r, status)
    assert path in paths(r), r.json()
    assert written(client) == before


def test_bad_withdrawals_are_refused(client, cohort):
    r = client.post("/api/publications/999/withdraw", json={"reason": "x"}, headers=cohort["admin"])
    assert_problem(r, 404)
    published = client.post("/api/publications", json=body(), headers=cohort["admin"]).json()
    before = written(client)
    for reason in ("", None, ["x"]):
        r = client.post(
            f"/api/publications/{published['id']}/withdraw",
            json={"reason": reason},
            headers=cohort["admin"],
        )
        assert_problem(r, 400)
        assert paths(r) == ["$.reason"]
    assert written(client) == before
    assert client.get("/api/publications").json()[0]["in_force"]
