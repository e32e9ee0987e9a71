"""A unit fills in and submits its self-assessment in a real browser, with evidence;
what the pages stored is read back from the database and the evidence folder."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal

import httpx
import pytest

from tests.server.helpers import PERIOD, add_units, sample
from tests.web.helpers import add_person, browser_page, db_rows

pytestmark = pytest.mark.slow

UNIT = "so-noi-vu"
NOT_APPLICABLE = "giam-don-vi-su-nghiep-cong-lap"  # 4.2.2, allows "không phát sinh"
WHY = "Sở không có đơn vị sự nghiệp công lập trực thuộc trong năm 2023"
CLAIMS = sample(UNIT)["not_applicable"]  # claimed too, as the sample claims them
LEFT_OUT = "so_nhiem_vu_cchc_duoc_giao"  # of 1.6: typed only after the refused submit
PLAN = "ban-hanh-ke-hoach-cchc"  # 1.1.1: requires evidence, given none here
WAITING = "Văn bản đang trình ký; bổ sung khi thẩm định"
EVIDENCE_ROW = "sang-kien-cchc"  # 1.5
DROPPED_ROW = "kiem-tra-cchc"  # 1.3
DROPPED = ("Biên bản kiểm tra CCHC.txt", "Biên bản kiểm tra năm 2023\n".encode(), "text/plain")
FILES = [
    ("Quyết định công nhận sáng kiến.pdf", b"%PDF-1.4\n% quyet dinh\n%%EOF\n", "application/pdf"),
    ("Báo cáo kết quả áp dụng.txt", "Báo cáo áp dụng sáng kiến năm 2023\n".encode(), "text/plain"),
]


def _submission(site, submission_id: int) -> dict:
    return db_rows(site, "SELECT * FROM submissions WHERE id = ?", submission_id)[0]


def _typed(key: str, value: object) -> str:
    """A sample value as a person types it: percentages as percent with a comma."""
    if key.startswith("ty_le_"):
        return str(Decimal(str(value)) * 100).replace(".", ",")
    return str(value)


def _fill(page, key: str, value: object) -> None:
    if isinstance(value, bool):
        page.check(f'input[name="v.{key}"][value="{"co" if value else "khong"}"]')
    elif page.locator(f"select#v-{key}").count():
        page.select_option(f"#v-{key}", str(value))
    else:
        page.fill(f"#v-{key}", _typed(key, value))


def test_a_unit_fills_in_and_submits_its_form_with_evidence(browser, site, tmp_path):
    with httpx.Client(base_url=site.url, timeout=30) as api:
        add_units(api, site.admin_headers(), only={UNIT})
    add_person(site, "Nguyễn Thị Lan", "unit_submitter", unit=UNIT)
    values = dict(sample(UNIT)["values"])
    files = []
    for name, content, _ in FILES:
        path = tmp_path / name
        path.write_bytes(content)
        files.append(path)

    with browser_page(browser, site, "Nguyễn Thị Lan") as page:
        page.get_by_role("link", name="Tự đánh giá").click()
        page.get_by_label("Kỳ đánh giá (năm)").fill(PERIOD)
        page.get_by_role("button", name="Bắt đầu tự đánh giá").click()
        page.wait_for_url(f"{site.url}/tu-danh-gia/*")
        submission_id = int(page.url.rsplit("/", 1)[1])
        assert page.get_by_role("heading", level=1).inner_text() == (
            "Tự đánh giá năm 2023: Sở Nội vụ"
        )

        # the running total follows what is typed
        total = page.locator("#tong-diem")
        assert total.inner_text() == "0,00 điểm (tạm tính)"
        page.fill("#v-ty_le_hoan_thanh_ke_hoach_cchc", "85,5")
        page.wait_for_function(
            "() => !document.querySelector('#tong-diem').textContent.startsWith('0,00 điểm')"
        )
        assert total.inner_text() == "1,11 điểm (tạm tính)"  # 85,5 % is the 1,11 tier
        assert page.locator("#loi-so_sang_kien_cchc").inner_text() == ""  # missing, not wrong
        page.fill("#v-ty_le_co_quan_duoc_kiem_tra", "120")
        page.get_by_text("giá trị phải là từ 0 đến 100 %").wait_for()  # said as it is typed
        assert page.locator("#diem-muc-do-thuc-hien-ke-hoach-cchc").inner_text() == "1,11"
        field_points = page.locator("#diem-chi-dao-dieu-hanh").inner_text()
        assert field_points == page.locator("#diem-muc-do-thuc-hien-ke-hoach-cchc").inner_text()

        for key, value in values.items():
            if key != LEFT_OUT:
                _fill(page, key, value)
        page.check(f"#kps-{NOT_APPLICABLE}")
        page.fill(f"#gt-{NOT_APPLICABLE}", WHY)
        for node, why in CLAIMS.items():  # the sample's own "không phát sinh"
            page.check(f"#kps-{node}")
            page.fill(f"#gt-{node}", why)

        # two files to one criterion; htmx puts them in its list without leaving the page
        row = page.locator(f"#dong-{EVIDENCE_ROW}")
        row.locator(f"#tep-{EVIDENCE_ROW}").set_input_files([str(p) for p in files])
        row.get_by_role("button", name="Tải lên").click()
        for name, _, _ in FILES:
            row.get_by_role("link", name=name).wait_for()
        # a file dropped onto another criterion's area is uploaded to that criterion
        page.evaluate(
            """([text, name, row]) => {
              const files = new DataTransfer();
              files.items.add(new File([text], name, {type: "text/plain"}));
              const zone = document.querySelector(`#dong-${row} [data-drop]`);
              zone.dispatchEvent(new DragEvent("drop", {dataTransfer: files, bubbles: true}));
            }""",
            [DROPPED[1].decode(), DROPPED[0], DROPPED_ROW],
        )
        page.locator(f"#dong-{DROPPED_ROW}").get_by_role("link", name=DROPPED[0]).wait_for()
        # what was typed before the uploads is still there
        assert page.input_value("#v-ty_le_hoan_thanh_ke_hoach_cchc") == _typed(
            "ty_le_hoan_thanh_ke_hoach_cchc", values["ty_le_hoan_thanh_ke_hoach_cchc"]
        )

        page.get_by_role("button", name="Lưu nháp").click()
        page.get_by_text("Đã lưu bản nháp.").wait_for()
        stored = _submission(site, submission_id)
        assert stored["status"] == "draft" and stored["revision"] > 1
        assert json.loads(stored["not_applicable"]) == {**CLAIMS, NOT_APPLICABLE: WHY}

        # submitting with an input missing lists it, linked to its row; nothing is submitted
        page.get_by_role("button", name="Nộp hồ sơ").click()
        missing = page.get_by_role("alert").filter(has_text="Chưa nộp được")
        missing.wait_for()
        link = missing.get_by_role("link", name="1.6")
        assert link.get_attribute("href") == "#dong-nhiem-vu-duoc-giao"
        assert "Tổng số nhiệm vụ về CCHC được giao trong năm" in missing.inner_text()
        refused = _submission(site, submission_id)
        assert (refused["status"], refused["submitted_at"]) == ("draft", None)
        assert refused["revision"] == stored["revision"]
        link.click()
        page.fill(f"#v-{LEFT_OUT}", str(values[LEFT_OUT]))
        # every row says what evidence it still lacks; the dropped file settled its row
        lacking = [
            row.get_attribute("id").removeprefix("thieu-")
            for row in page.locator(".thieu-dong").all()
        ]
        assert PLAN in lacking and DROPPED_ROW not in lacking, lacking
        assert page.locator(f"#thieu-{PLAN}").inner_text().startswith("Còn thiếu: chưa có minh")
        page.get_by_role("button", name="Nộp hồ sơ").click()
        missing = page.get_by_role("alert").filter(has_text="Chưa nộp được")
        missing.wait_for()
        assert missing.get_by_role("link", name="1.1.1").get_attribute("href") == f"#dong-{PLAN}"
        assert f"thiếu {len(lacking)} nội dung" in missing.inner_text()
        assert _submission(site, submission_id)["status"] == "draft"
        for node in lacking:  # a giải trình where there is no document yet
            page.fill(f"#gtmc-{node}", WAITING)
        page.get_by_role("button", name="Nộp hồ sơ").click()
        page.get_by_text("Đã nộp hồ sơ tự đánh giá.").wait_for()
        assert page.locator("#trang-thai").inner_text() == "Đã nộp"
        assert page.get_by_role("button", name="Nộp hồ sơ").count() == 0  # read-only now

    stored = _submission(site, submission_id)
    assert stored["status"] == "submitted" and stored["submitted_at"] is not None
    saved = json.loads(stored["values"])
    assert saved == values  # numbers stored as numbers, percentages as the API's ratios
    assert all(not isinstance(v, str) for k, v in saved.items() if k.startswith(("ty_le_", "so_")))
    assert json.loads(stored["not_applicable"]) == {**CLAIMS, NOT_APPLICABLE: WHY}
    assert json.loads(stored["documents"])[PLAN] == [{"explanation": WAITING}]

    rows = db_rows(
        site,
        "SELECT node_id, filename, media_type, size, sha256 FROM evidence "
        "WHERE submission_id = ? ORDER BY id",
        submission_id,
    )
    assert [(r["node_id"], r["filename"], r["media_type"]) for r in rows] == [
        *((EVIDENCE_ROW, name, media) for name, _, media in FILES),
        (DROPPED_ROW, DROPPED[0], DROPPED[2]),
    ]
    for r, (_, content, _) in zip(rows, [*FILES, DROPPED], strict=True):
        assert r["sha256"] == hashlib.sha256(content).hexdigest() and r["size"] == len(content)
        on_disk = site.data_dir / "evidence" / r["sha256"][:2] / r["sha256"]
        assert on_disk.read_bytes() == content


def test_a_unit_removes_a_wrong_file_from_its_draft(browser, site, tmp_path):
    """Two files on one criterion; the wrong one's button removes it in place (htmx):
    its row is gone from the database and its bytes from the evidence folder, the other
    file stays, and what was typed is kept."""
    unit, name = "so-tu-phap", "Trần Văn Minh"
    with httpx.Client(base_url=site.url, timeout=30) as api:
        add_units(api, site.admin_headers(), only={unit})
    add_person(site, name, "unit_submitter", unit=unit)
    keep = ("Kế hoạch sáng kiến.txt", "Kế hoạch sáng kiến 2023\n".encode())
    wrong = ("Danh sách cá nhân (gửi nhầm).txt", "Họ tên, số CCCD\n".encode())
    for file_name, content in (keep, wrong):
        (tmp_path / file_name).write_bytes(content)

    with browser_page(browser, site, name) as page:
        page.goto(f"{site.url}/tu-danh-gia")
        page.get_by_label("Kỳ đánh giá (năm)").fill(PERIOD)
        page.get_by_role("button", name="Bắt đầu tự đánh giá").click()
        page.wait_for_url(f"{site.url}/tu-danh-gia/*")
        submission_id = int(page.url.rsplit("/", 1)[1])
        page.fill("#v-ty_le_hoan_thanh_ke_hoach_cchc", "85,5")
        row = page.locator(f"#dong-{EVIDENCE_ROW}")
        row.locator(f"#tep-{EVIDENCE_ROW}").set_input_files(
            [str(tmp_path / keep[0]), str(tmp_path / wrong[0])]
        )
        row.get_by_role("button", name="Tải lên").click()
        row.get_by_role("link", name=wrong[0]).wait_for()
        added = db_rows(
            site,
            "SELECT id, filename, sha256 FROM evidence WHERE submission_id = ? ORDER BY id",
            submission_id,
        )
        assert [r["filename"] for r in added] == [keep[0], wrong[0]]
        on_disk = [site.data_dir / "evidence" / r["sha256"][:2] / r["sha256"] for r in added]
        assert [p.read_bytes() for p in on_disk] == [keep[1], wrong[1]]

        row.get_by_role("button", name=f"Xoá minh chứng {wrong[0]}").click()
        row.get_by_role("link", name=wrong[0]).wait_for(state="detached")
        assert row.get_by_role("link", name=keep[0]).is_visible()
        assert page.url == f"{site.url}/tu-danh-gia/{submission_id}"  # stayed on the page
        assert page.input_value("#v-ty_le_hoan_thanh_ke_hoach_cchc") == "85,5"

    left = db_rows(site, "SELECT id, filename FROM evidence WHERE submission_id = ?", submission_id)
    assert [(r["id"], r["filename"]) for r in left] == [(added[0]["id"], keep[0])]
    assert on_disk[0].read_bytes() == keep[1] and not on_disk[1].exists()
    removal = db_rows(
        site,
        "SELECT entity_id, before FROM audit_log WHERE action = 'submission.evidence.remove'",
    )
    assert [(r["entity_id"], json.loads(r["before"])["filename"]) for r in removal] == [
        (str(added[1]["id"]), wrong[0])
    ]
