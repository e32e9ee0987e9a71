"""Contributors on the self-assessment page, over HTTP (no browser): the focal point gives
a field to a department, the department's submitter fills only its rows and marks its
part done, and the focal point sees who filled what; what the pages stored is read back
from the database."""

from __future__ import annotations

import json
import re

import httpx

from tests.server.helpers import METHODOLOGY, PERIOD, REF, add_units, sample
from tests.web.helpers import PASSWORD, add_person, db_rows

UNIT, LAW = "so-noi-vu", "so-tu-phap"
FIELD_2 = "xay-dung-thuc-hien-vbqppl"
TOKEN = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')
OURS = "so_van_ban_da_xu_ly_sau_kiem_tra"  # an input of 2.2.3, Sở Tư pháp's field
THEIRS = "ty_le_hoan_thanh_ke_hoach_cchc"  # of 1.1.2, the focal point's


def _signed_in(site, name: str) -> httpx.Client:
    client = httpx.Client(base_url=site.url, timeout=30, headers={"Accept": "text/html"})
    token = TOKEN.search(client.get("/dang-nhap").text)[1]
    r = client.post("/dang-nhap", data={"ten": name, "mat_khau": PASSWORD, "csrf_token": token})
    assert r.status_code == 303, r.text
    return client


def _token(client: httpx.Client, path: str) -> str:
    return TOKEN.search(client.get(path).text)[1]


def test_a_department_fills_its_field_and_marks_it_done(site):
    with httpx.Client(base_url=site.url, timeout=30) as api:
        add_units(api, site.admin_headers(), only={UNIT, LAW})
    add_person(site, "Trần Văn Đầu Mối", "unit_submitter", unit=UNIT)
    add_person(site, "Lê Thị Tư Pháp", "unit_submitter", unit=LAW)
    focal, law = _signed_in(site, "Trần Văn Đầu Mối"), _signed_in(site, "Lê Thị Tư Pháp")
    r = focal.post(
        "/tu-danh-gia/bat-dau",
        data={
            "ky": PERIOD,
            "phien_ban": f"{METHODOLOGY}@{REF}",
            "csrf_token": _token(focal, "/tu-danh-gia"),
        },
    )
    form = r.headers["location"]
    sid = int(form.rsplit("/", 1)[1])
    assert law.get(form).status_code == 403  # nothing assigned yet

    page = focal.get(form).text
    assert "Phân công điền hồ sơ" in page and 'name="giao.xay-dung-thuc-hien-vbqppl"' in page
    assert "Trước khi nộp: còn" in page and 'id="thieu-ban-hanh-ke-hoach-cchc"' in page
    r = focal.post(
        f"{form}/phan-cong", data={f"giao.{FIELD_2}": LAW, "csrf_token": _token(focal, form)}
    )
    assert r.status_code == 303, r.text
    (stored,) = db_rows(site, "SELECT unit_id, nodes FROM assignments WHERE submission_id = ?", sid)
    assert (stored["unit_id"], json.loads(stored["nodes"])) == (LAW, [FIELD_2])

    # The department finds the draft on its page, its rows open, the others closed, and
    # no submit.
    home = law.get("/tu-danh-gia").text
    assert "Hồ sơ của đơn vị khác giao cho đơn vị điền" in home and f'href="{form}"' in home
    page = law.get(form).text
    assert re.search(rf'id="v-{OURS}"[^>]*>', page)[0].count("disabled") == 0
    assert "disabled" in re.search(rf'id="v-{THEIRS}"[^>]*>', page)[0]
    assert "Nộp hồ sơ" not in page and "Đánh dấu xong phần được giao" in page
    value = sample(UNIT)["values"][OURS]
    r = law.post(
        form,
        data={
            f"v.{OURS}": str(value),
            "revision": "1",
            "hanh_dong": "luu",
            "csrf_token": _token(law, form),
        },
    )
    assert r.status_code == 303, r.text
    (row,) = db_rows(site, "SELECT * FROM submissions WHERE id = ?", sid)
    assert json.loads(row["values"]) == {OURS: value}
    r = law.post(f"{form}/xong", data={"csrf_token": _token(law, form)})
    assert r.status_code == 303
    (stored,) = db_rows(site, "SELECT done_at FROM assignments WHERE submission_id = ?", sid)
    assert stored["done_at"] is not None

    # The focal point sees the department's part done, and its progress.
    page = focal.get(form).text
    line = re.search(r'<tr id="giao-so-tu-phap">.*?</tr>', page, re.S)[0]
    assert "Sở Tư pháp" in line and "Đã xong" in line and "Lê Thị Tư Pháp" in line
