"""The self-assessment pages over HTTP (no browser): who may open a unit's form, a value
that cannot be stored, and the running points against the API's evaluation."""

from __future__ import annotations

import html
import json
import re
import statistics
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.server.helpers import (
    METHODOLOGY,
    PERIOD,
    REF,
    add_units,
    appraise_as_sample,
    post_submission,
    sample,
)
from tests.web.helpers import PASSWORD, add_person, db_rows

UNIT, OTHER = "so-noi-vu", "so-tu-phap"
TOKEN = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


def signed_in(site, name: str) -> httpx.Client:
    """An HTTP client with a page session of ``name`` (signed in through the form)."""
    client = httpx.Client(base_url=site.url, timeout=30, headers={"Accept": "text/html"})
    token = TOKEN.search(client.get("/dang-nhap").text)[1]
    r = client.post("/dang-nhap", data={"ten": name, "mat_khau": PASSWORD, "csrf_token": token})
    assert r.status_code == 303, r.text
    return client


def csrf(client: httpx.Client, path: str = "/tu-danh-gia") -> str:
    return TOKEN.search(client.get(path).text)[1]


def start(client: httpx.Client) -> int:
    """A draft for the period, started from the page; its id."""
    r = client.post(
        "/tu-danh-gia/bat-dau",
        data={"ky": PERIOD, "phien_ban": f"{METHODOLOGY}@{REF}", "csrf_token": csrf(client)},
    )
    assert r.status_code == 303, r.text
    return int(r.headers["location"].rsplit("/", 1)[1])


def row(site, submission_id: int) -> dict[str, Any]:
    return db_rows(site, "SELECT * FROM submissions WHERE id = ?", submission_id)[0]


def typed(values: dict[str, Any], ratios: set[str]) -> dict[str, str]:
    """A sample's values as a person types them: percentages with a decimal comma."""
    out = {}
    for key, value in values.items():
        if isinstance(value, bool):
            out[f"v.{key}"] = "co" if value else "khong"
        elif key in ratios:
            out[f"v.{key}"] = str(Decimal(str(value)) * 100).replace(".", ",")
        else:
            out[f"v.{key}"] = str(value)
    return out


@pytest.fixture(scope="module")
def people(site) -> Iterator[dict[str, httpx.Client]]:
    with httpx.Client(base_url=site.url, timeout=30) as api:
        add_units(api, site.admin_headers(), only={UNIT, OTHER})
    add_person(site, "Cán bộ Sở Nội vụ", "unit_submitter", unit=UNIT)
    add_person(site, "Cán bộ Sở Tư pháp", "unit_submitter", unit=OTHER)
    add_person(site, "Thẩm định viên", "appraiser")
    clients = {
        "mine": signed_in(site, "Cán bộ Sở Nội vụ"),
        "other": signed_in(site, "Cán bộ Sở Tư pháp"),
        "appraiser": signed_in(site, "Thẩm định viên"),
    }
    yield clients
    for c in clients.values():
        c.close()


@pytest.fixture(scope="module")
def drafts(people) -> dict[str, int]:
    return {"mine": start(people["mine"]), "other": start(people["other"])}


def test_the_home_page_lists_the_units_submissions_in_vietnamese(people, drafts):
    page = people["mine"].get("/tu-danh-gia").text
    assert "Sở Nội vụ" in page
    assert f'href="/tu-danh-gia/{drafts["mine"]}"' in page
    assert "Đang soạn" in page
    assert f'/tu-danh-gia/{drafts["other"]}"' not in page
    # starting the same period again opens the existing draft
    assert start(people["mine"]) == drafts["mine"]


def test_another_units_form_is_the_403_page_and_nothing_changes(site, people, drafts):
    theirs = drafts["other"]
    before = row(site, theirs)
    client = people["mine"]
    r = client.get(f"/tu-danh-gia/{theirs}")
    assert r.status_code == 403
    assert "Không có quyền" in r.text and "xem hồ sơ này" in r.text
    token = csrf(client)
    for path in (f"/tu-danh-gia/{theirs}", f"/tu-danh-gia/{theirs}/diem"):
        r = client.post(
            path,
            data={"csrf_token": token, "v.so_sang_kien_cchc": "5", "revision": "1"},
        )
        assert r.status_code == 403, path
    r = client.post(
        f"/tu-danh-gia/{theirs}/minh-chung",
        data={"csrf_token": token},
        files={"tep.sang-kien-cchc": ("a.pdf", b"%PDF-1.4\n", "application/pdf")},
    )
    assert r.status_code == 403
    assert row(site, theirs) == before


def test_evidence_uploaded_without_javascript_comes_back_to_its_row(site, people, drafts):
    mine = drafts["mine"]
    client = people["mine"]
    content = "Biên bản kiểm tra CCHC năm 2023\n".encode()
    r = client.post(
        f"/tu-danh-gia/{mine}/minh-chung",
        data={"csrf_token": csrf(client)},
        files=[
            ("tep.kiem-tra-cchc", ("Biên bản kiểm tra.txt", content, "text/plain")),
            (
                "tep.kiem-tra-cchc",
                ("Kế hoạch kiểm tra.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf"),
            ),
            ("tep.sang-kien-cchc", ("", b"", "application/octet-stream")),  # left empty
        ],
    )
    assert r.status_code == 303, r.text
    assert r.headers["location"] == f"/tu-danh-gia/{mine}?tb=da-tai#dong-kiem-tra-cchc"
    rows = db_rows(
        site,
        "SELECT id, node_id, filename FROM evidence WHERE submission_id = ? ORDER BY id",
        mine,
    )
    assert [(r["node_id"], r["filename"]) for r in rows] == [
        ("kiem-tra-cchc", "Biên bản kiểm tra.txt"),
        ("kiem-tra-cchc", "Kế hoạch kiểm tra.pdf"),
    ]
    page = client.get(f"/tu-danh-gia/{mine}").text
    assert f'href="/tu-danh-gia/{mine}/minh-chung/{rows[0]["id"]}">Biên bản kiểm tra.txt' in page
    got = client.get(f"/tu-danh-gia/{mine}/minh-chung/{rows[0]['id']}")
    assert got.status_code == 200 and got.content == content
    assert "attachment" in got.headers["content-disposition"]
    assert people["other"].get(f"/tu-danh-gia/{mine}/minh-chung/{rows[0]['id']}").status_code == 403
    r = client.post(
        f"/tu-danh-gia/{mine}/minh-chung",
        data={"csrf_token": csrf(client)},
        files=[
            ("tep.kiem-tra-cchc", ("chương trình.exe", b"MZ\x90\x00", "application/x-msdownload"))
        ],
    )
    assert r.status_code == 415 and "không nhận tệp loại" in r.text
    assert len(db_rows(site, "SELECT id FROM evidence WHERE submission_id = ?", mine)) == 2


def _on_disk(site, sha256: str):
    return site.data_dir / "evidence" / sha256[:2] / sha256


def test_evidence_removed_without_javascript_leaves_the_draft_and_the_disk(site, people, drafts):
    mine = drafts["mine"]
    client = people["mine"]
    content = "Danh sách gửi nhầm\n".encode()
    r = client.post(
        f"/tu-danh-gia/{mine}/minh-chung",
        data={"csrf_token": csrf(client)},
        files=[("tep.sang-kien-cchc", ("Gửi nhầm.txt", content, "text/plain"))],
    )
    assert r.status_code == 303, r.text
    (added,) = db_rows(site, "SELECT id, sha256 FROM evidence WHERE filename = 'Gửi nhầm.txt'")
    stored = _on_disk(site, added["sha256"])
    assert stored.read_bytes() == content
    remove = f"/tu-danh-gia/{mine}/minh-chung/{added['id']}/xoa"
    page = client.get(f"/tu-danh-gia/{mine}").text
    assert f'formaction="{remove}"' in page and 'aria-label="Xoá minh chứng Gửi nhầm.txt"' in page

    # another unit's submitter cannot remove it, and a form without the token is refused
    assert (
        people["other"].post(remove, data={"csrf_token": csrf(people["other"])}).status_code == 403
    )
    assert client.post(remove, data={}).status_code == 403
    assert stored.is_file()

    r = client.post(remove, data={"csrf_token": csrf(client)})
    assert r.status_code == 303, r.text
    assert r.headers["location"] == f"/tu-danh-gia/{mine}?tb=da-xoa#dong-sang-kien-cchc"
    assert client.get(r.headers["location"]).text.count("Đã xoá minh chứng.") == 1
    assert db_rows(site, "SELECT id FROM evidence WHERE id = ?", added["id"]) == []
    assert not stored.exists()
    assert client.post(remove, data={"csrf_token": csrf(client)}).status_code == 404


def test_evidence_of_a_submitted_form_is_not_removed_and_the_page_says_why(site, people):
    """A unit whose form was submitted through the API (with a file) gets a 409 page in
    Vietnamese, and an htmx request is sent back to the form with the same message."""
    unit, name = "so-tai-chinh", "Cán bộ Sở Tài chính"
    with httpx.Client(base_url=site.url, timeout=30) as api:
        admin = site.admin_headers()
        add_units(api, admin, only={unit})
        draft = post_submission(api, admin, unit, submit=False)
        content = b"%PDF-1.4\n% da nop\n%%EOF\n"
        r = api.post(
            f"/api/submissions/{draft['id']}/evidence",
            files={"file": ("Đã nộp.pdf", content, "application/pdf")},
            headers=admin,
        )
        assert r.status_code == 201, r.text
        evidence = r.json()
        assert api.post(f"/api/submissions/{draft['id']}/submit", headers=admin).status_code == 200
    add_person(site, name, "unit_submitter", unit=unit)
    client = signed_in(site, name)
    try:
        form = client.get(f"/tu-danh-gia/{draft['id']}").text
        assert "/xoa" not in form  # no remove buttons on a read-only form
        remove = f"/tu-danh-gia/{draft['id']}/minh-chung/{evidence['id']}/xoa"
        r = client.post(remove, data={"csrf_token": csrf(client)})
        assert r.status_code == 409
        assert "Không xoá được minh chứng: hồ sơ đã nộp nên không còn sửa được." in r.text
        r = client.post(remove, headers={"HX-Request": "true", "X-CSRF-Token": csrf(client)})
        assert r.headers["HX-Redirect"] == f"/tu-danh-gia/{draft['id']}?loi=khong-xoa"
        shown = client.get(r.headers["HX-Redirect"]).text
        assert "hồ sơ đã nộp nên không còn sửa được" in shown
    finally:
        client.close()
    assert db_rows(site, "SELECT id FROM evidence WHERE id = ?", evidence["id"]) != []
    assert _on_disk(site, evidence["sha256"]).read_bytes() == content


def test_an_appraiser_sees_the_form_read_only(people, drafts):
    r = people["appraiser"].get(f"/tu-danh-gia/{drafts['mine']}")
    assert r.status_code == 200
    assert "Chỉ xem" in r.text
    assert "Lưu nháp" not in r.text and 'type="file"' not in r.text
    assert 'id="v-so_sang_kien_cchc" name="v.so_sang_kien_cchc" value="" size="10"' in r.text


def test_the_home_page_is_for_a_units_submitters(people):
    r = people["appraiser"].get("/tu-danh-gia")
    assert r.status_code == 403
    assert "Vai trò của bạn không được tạo hồ sơ tự đánh giá." in r.text
    token = csrf(people["appraiser"], "/dang-nhap")
    r = people["appraiser"].post(
        "/tu-danh-gia/bat-dau",
        data={"ky": PERIOD, "phien_ban": f"{METHODOLOGY}@{REF}", "csrf_token": token},
    )
    assert r.status_code == 403


def test_an_unknown_submission_is_the_404_page(people):
    r = people["mine"].get("/tu-danh-gia/999999")
    assert r.status_code == 404
    assert "Không có hồ sơ số 999999." in r.text


@pytest.mark.parametrize(
    ("field", "text", "message"),
    [
        ("so_sang_kien_cchc", "mười hai", "không phải là một số"),
        ("so_sang_kien_cchc", "1.234,5", "không phải là một số"),
        ("ty_le_hoan_thanh_ke_hoach_cchc", "150", "giá trị phải là từ 0 đến 100 %"),
        ("so_sang_kien_cchc", "2,5", "giá trị phải là số nguyên, từ 0 trở lên"),
    ],
)
def test_a_bad_value_is_said_at_its_field_and_nothing_is_written(
    site, people, drafts, field, text, message
):
    mine = drafts["mine"]
    before = row(site, mine)
    client = people["mine"]
    r = client.post(
        f"/tu-danh-gia/{mine}",
        data={
            "csrf_token": csrf(client),
            "revision": str(before["revision"]),
            "v.so_nhiem_vu_cchc_duoc_giao": "12",
            f"v.{field}": text,
        },
    )
    assert r.status_code == 422
    error = re.search(rf'<span id="loi-{field}" class="loi">([^<]*)</span>', r.text)
    assert error is not None and message in html.unescape(error[1])
    assert f'value="{html.escape(text)}"' in r.text  # what was typed is shown back
    assert row(site, mine) == before


def test_a_value_typed_with_a_comma_is_stored_as_the_api_stores_it(site, people, drafts):
    mine = drafts["mine"]
    client = people["mine"]
    revision = row(site, mine)["revision"]
    r = client.post(
        f"/tu-danh-gia/{mine}",
        data={
            "csrf_token": csrf(client),
            "revision": str(revision),
            "v.ty_le_hoan_thanh_ke_hoach_cchc": "85,5",
            "v.ty_le_co_quan_duoc_kiem_tra": "64.98",
            "v.so_sang_kien_cchc": "42",
            "v.bao_cao_cchc_du_dung_han": "co",
            "v.thoi_han_ban_hanh_ke_hoach_cchc": "dung_han",
        },
    )
    assert r.status_code == 303, r.text
    stored = row(site, mine)
    values = json.loads(stored["values"])
    assert values == {
        "ty_le_hoan_thanh_ke_hoach_cchc": 0.855,
        "ty_le_co_quan_duoc_kiem_tra": 0.6498,
        "so_sang_kien_cchc": 42,
        "bao_cao_cchc_du_dung_han": True,
        "thoi_han_ban_hanh_ke_hoach_cchc": "dung_han",
    }
    assert stored["revision"] == revision + 1 and stored["status"] == "draft"
    page = client.get(f"/tu-danh-gia/{mine}").text
    assert 'value="85,5"' in page  # shown back as a percentage with a comma


def test_a_stale_revision_is_refused_in_vietnamese_and_nothing_is_written(site, people, drafts):
    mine = drafts["mine"]
    before = row(site, mine)
    client = people["mine"]
    r = client.post(
        f"/tu-danh-gia/{mine}",
        data={
            "csrf_token": csrf(client),
            "revision": str(before["revision"] - 1),
            "v.so_sang_kien_cchc": "7",
        },
    )
    assert r.status_code == 409
    assert "đã được sửa ở nơi khác sau khi bạn mở trang" in r.text
    assert row(site, mine) == before


def _total(fragment: str) -> Decimal:
    found = re.search(r'<output id="tong-diem" hx-swap-oob="true">([^<]*)</output>', fragment)
    assert found is not None, fragment[:500]
    return Decimal(found[1].split(" điểm")[0].replace(",", ".").replace("\u2212", "-"))


def test_the_running_total_is_the_api_evaluation_of_the_same_values(site, people, drafts):
    """The other unit fills its whole form with the bundled sample (percentages typed
    with a comma) and submits it; with the survey scores imported and the council's
    appraisals added, /diem's total for the same form is the API evaluation's total."""
    theirs = drafts["other"]
    client = people["other"]
    values = sample(OTHER)["values"]
    ratios = {k for k in values if k.startswith("ty_le_")}
    survey = [
        {"unit_id": OTHER, "node_id": node, "score": score}
        for node, score in (sample(OTHER).get("survey") or {}).items()
    ]
    form = {"csrf_token": csrf(client), **typed(values, ratios)}
    for node, why in (sample(OTHER).get("not_applicable") or {}).items():
        form[f"kps.{node}"], form[f"giai_trinh.{node}"] = "1", why
    for node, documents in (sample(OTHER).get("evidence") or {}).items():
        # a giải trình where evidence is required (the sample names its documents only)
        form[f"gtmc.{node}"] = "Sẽ nộp: " + "; ".join(d["title"] for d in documents)
    r = client.post(f"/tu-danh-gia/{theirs}", data={**form, "revision": "1", "hanh_dong": "nop"})
    assert r.status_code == 303, r.text
    assert row(site, theirs)["status"] == "submitted"
    with httpx.Client(base_url=site.url, timeout=30) as api:
        r = api.post(
            "/api/surveys",
            json={"methodology": METHODOLOGY, "ref": REF, "period": PERIOD, "scores": survey},
            headers=site.admin_headers(),
        )
        assert r.status_code == 201, r.text
        appraise_as_sample(api, site.admin_headers(), theirs, OTHER)
        r = api.post(
            "/api/evaluations", json={"submissions": [theirs]}, headers=site.admin_headers()
        )
        assert r.status_code in (200, 201), r.text
        evaluated = Decimal(r.json()[0]["total"])
    timings = []
    for _ in range(20):
        began = time.perf_counter()
        r = client.post(f"/tu-danh-gia/{theirs}/diem", data=form, headers={"HX-Request": "true"})
        timings.append(time.perf_counter() - began)
        assert r.status_code == 200, r.text
    assert "(tạm tính)" not in r.text  # every input, survey score and appraisal is there
    assert _total(r.text) == evaluated
    timings.sort()
    p95 = timings[int(len(timings) * 0.95) - 1]
    print(
        f"running total over HTTP: median {statistics.median(timings) * 1000:.1f} ms, "
        f"p95 {p95 * 1000:.1f} ms"
    )
    assert p95 < 1.0  # the ≤100 ms target is measured and reported, not asserted here


def test_the_running_points_show_a_field_error_for_a_value_out_of_bounds(people, drafts):
    client = people["mine"]
    r = client.post(
        f"/tu-danh-gia/{drafts['mine']}/diem",
        data={"csrf_token": csrf(client), "v.ty_le_hoan_thanh_ke_hoach_cchc": "101"},
        headers={"HX-Request": "true"},
    )
    assert r.status_code == 200
    assert (
        '<span id="loi-ty_le_hoan_thanh_ke_hoach_cchc" class="loi" hx-swap-oob="true">'
        "giá trị phải là từ 0 đến 100 %</span>" in r.text
    )
    assert '<output id="diem-muc-do-thuc-hien-ke-hoach-cchc"' in r.text
    # an input not typed yet is missing, not wrong: its message is cleared
    assert '<span id="loi-so_sang_kien_cchc" class="loi" hx-swap-oob="true"></span>' in r.text
