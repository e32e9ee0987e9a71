"""Two small versions of an example methodology, written as folders, for the diff tests.

(A helper module rather than a conftest.py: other test folders import their own
``conftest`` by name, and a second one would shadow it.)

Version 2013 → 2014 exercises every kind of change: a sub-criterion inserted
(renumbering its siblings), one removed, a tier table tightened, points cut,
inputs relabelled, guidance edited, a new legal basis, a field renamed through
``replaces``, two criteria merged, a criterion moved to the other field, and a
criterion rewritten under a new id without ``replaces`` (a rename proposal).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

from methodology.tree import Methodology
from methodology.versions import load_directory

MANIFEST = """\
id: vi-du
title: Chỉ số cải cách hành chính (ví dụ)
level: tỉnh
scale: 100
"""

SRC_2013 = 'source: {decision: 1880/QĐ-UBND, date: 2013-10-31, issuer: UBND tỉnh Cà Mau, row: "%s"}'
SRC_2014 = 'source: {decision: 2640/QĐ-UBND, date: 2014-12-01, issuer: UBND tỉnh Cà Mau, row: "%s"}'


def node(front: str, body: str = "") -> str:
    """A node file from front matter text and a guidance body."""
    return f"---\n{front.strip()}\n---\n{body}"


V2013: dict[str, str] = {
    "cong-tac-chi-dao/_node.md": node(
        f"""
id: cong-tac-chi-dao
code: "1"
title: Công tác chỉ đạo, điều hành cải cách hành chính
max_points: 10
{SRC_2013 % "1"}
""",
        "Lĩnh vực đánh giá công tác chỉ đạo, điều hành.\n",
    ),
    "cong-tac-chi-dao/ke-hoach-cchc/_node.md": node(f"""
id: ke-hoach-cchc
code: "1.1"
title: Kế hoạch cải cách hành chính
max_points: 4
{SRC_2013 % "1.1"}
"""),
    "cong-tac-chi-dao/ke-hoach-cchc/ban-hanh-ke-hoach.md": node(f"""
id: ban-hanh-ke-hoach
code: "1.1.1"
title: Ban hành kế hoạch CCHC năm
max_points: 1
inputs:
  da_ban_hanh: {{type: bool, label: Đã ban hành kế hoạch đúng hạn}}
scoring: {{kind: boolean, when: da_ban_hanh}}
{SRC_2013 % "1.1.1"}
"""),
    "cong-tac-chi-dao/ke-hoach-cchc/muc-do-thuc-hien-ke-hoach.md": node(
        f"""
id: muc-do-thuc-hien-ke-hoach
code: "1.1.2"
title: Mức độ thực hiện kế hoạch CCHC
max_points: 2
inputs:
  ty_le_hoan_thanh: {{type: ratio, label: Tỷ lệ nhiệm vụ hoàn thành}}
scoring:
  kind: tiers
  tiers:
    - {{when: ty_le_hoan_thanh >= 90%, points: 2}}
    - {{when: ty_le_hoan_thanh >= 70%, points: 1}}
    - {{otherwise: true, points: 0}}
{SRC_2013 % "1.1.2"}
""",
        """\
Tỷ lệ = số nhiệm vụ hoàn thành / tổng số nhiệm vụ trong kế hoạch.

Tài liệu kiểm chứng: báo cáo CCHC năm.
""",
    ),
    "cong-tac-chi-dao/ke-hoach-cchc/kiem-tra-cchc.md": node(f"""
id: kiem-tra-cchc
code: "1.1.3"
title: Kiểm tra công tác CCHC
max_points: 1
inputs:
  so_don_vi_da_kiem_tra: {{type: count, label: Số đơn vị đã kiểm tra}}
  so_don_vi_ke_hoach: {{type: count, label: Số đơn vị theo kế hoạch}}
scoring: {{kind: ratio, numerator: so_don_vi_da_kiem_tra, denominator: so_don_vi_ke_hoach, on_zero: full}}
{SRC_2013 % "1.1.3"}
"""),
    "cong-tac-chi-dao/tuyen-truyen-cchc/_node.md": node(f"""
id: tuyen-truyen-cchc
code: "1.2"
title: Tuyên truyền cải cách hành chính
max_points: 2
inputs:
  so_hoat_dong: {{type: count, label: Số hoạt động tuyên truyền}}
scoring:
  kind: tiers
  tiers:
    - {{when: so_hoat_dong >= 4, points: 2}}
    - {{when: so_hoat_dong >= 1, points: 1}}
    - {{otherwise: true, points: 0}}
{SRC_2013 % "1.2"}
"""),
    "cong-tac-chi-dao/bao-cao-cchc/_node.md": node(f"""
id: bao-cao-cchc
code: "1.3"
title: Báo cáo định kỳ
max_points: 1
inputs:
  du_bao_cao: {{type: bool, label: Gửi đủ báo cáo định kỳ}}
scoring: {{kind: boolean, when: du_bao_cao}}
{SRC_2013 % "1.3"}
"""),
    "cong-tac-chi-dao/thong-tin-bao-cao/_node.md": node(f"""
id: thong-tin-bao-cao
code: "1.4"
title: Chất lượng thông tin báo cáo
max_points: 1
inputs:
  dung_mau: {{type: bool, label: Báo cáo đúng mẫu}}
scoring: {{kind: boolean, when: dung_mau}}
{SRC_2013 % "1.4"}
"""),
    "cong-tac-chi-dao/kiem-soat-tthc/_node.md": node(f"""
id: kiem-soat-tthc
code: "1.5"
title: Kiểm soát thủ tục hành chính
max_points: 2
inputs:
  cap_nhat_kip_thoi: {{type: bool, label: Cập nhật TTHC kịp thời}}
scoring: {{kind: boolean, when: cap_nhat_kip_thoi}}
{SRC_2013 % "1.5"}
"""),
    "cai-cach-tthc/_node.md": node(f"""
id: cai-cach-tthc
code: "2"
title: Cải cách thủ tục hành chính
max_points: 8
{SRC_2013 % "2"}
"""),
    "cai-cach-tthc/cong-khai-tthc/_node.md": node(f"""
id: cong-khai-tthc
code: "2.1"
title: Công khai thủ tục hành chính
max_points: 4
inputs:
  so_tthc_cong_khai: {{type: count, label: Số TTHC được công khai}}
  tong_so_tthc: {{type: count, label: Tổng số TTHC}}
scoring: {{kind: ratio, numerator: so_tthc_cong_khai, denominator: tong_so_tthc, on_zero: full}}
{SRC_2013 % "2.1"}
"""),
    "cai-cach-tthc/cung-cap-dvc-truc-tuyen/_node.md": node(f"""
id: cung-cap-dvc-truc-tuyen
code: "2.2"
title: Cung cấp dịch vụ công trực tuyến
max_points: 4
inputs:
  ty_le_dvc: {{type: ratio, label: Tỷ lệ TTHC có dịch vụ công trực tuyến}}
scoring:
  kind: linear
  of: ty_le_dvc
  thresholds: [{{at: 0, points: 0}}, {{at: 100%, points: 4}}]
{SRC_2013 % "2.2"}
"""),
}

V2014: dict[str, str] = {
    "cong-tac-chi-dao/_node.md": node(
        f"""
id: cong-tac-chi-dao
code: "1"
title: Công tác chỉ đạo, điều hành cải cách hành chính
max_points: 7.5
{SRC_2013 % "1"}
""",
        "Lĩnh vực đánh giá công tác chỉ đạo, điều hành.\n",
    ),
    "cong-tac-chi-dao/ke-hoach-cchc/_node.md": node(f"""
id: ke-hoach-cchc
code: "1.1"
title: Kế hoạch cải cách hành chính
max_points: 3.5
{SRC_2013 % "1.1"}
"""),
    "cong-tac-chi-dao/ke-hoach-cchc/xac-dinh-nhiem-vu.md": node(f"""
id: xac-dinh-nhiem-vu
code: "1.1.1"
title: Xác định nhiệm vụ trọng tâm CCHC
max_points: 1
inputs:
  co_nhiem_vu_trong_tam: {{type: bool, label: Kế hoạch nêu rõ nhiệm vụ trọng tâm}}
scoring: {{kind: boolean, when: co_nhiem_vu_trong_tam}}
{SRC_2014 % "1.1.1"}
"""),
    "cong-tac-chi-dao/ke-hoach-cchc/ban-hanh-ke-hoach.md": node(f"""
id: ban-hanh-ke-hoach
code: "1.1.2"
title: Ban hành kế hoạch CCHC năm
max_points: 1
inputs:
  da_ban_hanh: {{type: bool, label: Đã ban hành kế hoạch đúng hạn}}
scoring: {{kind: boolean, when: da_ban_hanh}}
{SRC_2014 % "1.1.2"}
"""),
    "cong-tac-chi-dao/ke-hoach-cchc/muc-do-thuc-hien-ke-hoach.md": node(
        f"""
id: muc-do-thuc-hien-ke-hoach
code: "1.1.3"
title: Mức độ thực hiện kế hoạch CCHC
max_points: 1.5
inputs:
  ty_le_hoan_thanh: {{type: ratio, label: Tỷ lệ nhiệm vụ hoàn thành}}
scoring:
  kind: tiers
  tiers:
    - {{when: ty_le_hoan_thanh >= 95%, points: 1.5}}
    - {{when: ty_le_hoan_thanh >= 70%, points: 1}}
    - {{otherwise: true, points: 0}}
{SRC_2013 % "1.1.2"}
""",
        """\
Tỷ lệ = số nhiệm vụ hoàn thành / tổng số nhiệm vụ trong kế hoạch.

Tài liệu kiểm chứng: báo cáo CCHC năm và báo cáo quý.
Nhiệm vụ chuyển sang năm sau không được tính là hoàn thành.
""",
    ),
    "cong-tac-chi-dao/tuyen-truyen-cchc/_node.md": node(f"""
id: tuyen-truyen-cchc
code: "1.2"
title: Tuyên truyền cải cách hành chính
max_points: 2
inputs:
  so_hoat_dong: {{type: count, label: Số hoạt động tuyên truyền trong năm, max: 100}}
  co_chuyen_muc: {{type: bool, label: Có chuyên mục CCHC trên cổng thông tin}}
scoring:
  kind: tiers
  tiers:
    - {{when: so_hoat_dong >= 4 and co_chuyen_muc, points: 2}}
    - {{when: so_hoat_dong >= 1, points: 1}}
    - {{otherwise: true, points: 0}}
applicability: {{allow_not_applicable: true}}
{SRC_2013 % "1.2"}
"""),
    "cong-tac-chi-dao/bao-cao-cchc-dinh-ky/_node.md": node(f"""
id: bao-cao-cchc-dinh-ky
code: "1.3"
title: Báo cáo CCHC định kỳ
max_points: 2
replaces: [bao-cao-cchc, thong-tin-bao-cao]
inputs:
  du_bao_cao: {{type: bool, label: Gửi đủ báo cáo định kỳ}}
scoring: {{kind: boolean, when: du_bao_cao}}
{SRC_2013 % "1.3"}
"""),
    "cai-cach-thu-tuc-hanh-chinh/_node.md": node(f"""
id: cai-cach-thu-tuc-hanh-chinh
code: "2"
title: Cải cách thủ tục hành chính (TTHC)
max_points: 12
replaces: [cai-cach-tthc]
{SRC_2013 % "2"}
"""),
    "cai-cach-thu-tuc-hanh-chinh/cong-khai-tthc/_node.md": node(f"""
id: cong-khai-tthc
code: "2.1"
title: Công khai thủ tục hành chính
max_points: 4
inputs:
  so_tthc_cong_khai: {{type: count, label: Số TTHC được công khai}}
  tong_so_tthc: {{type: count, label: Tổng số TTHC}}
scoring: {{kind: ratio, numerator: so_tthc_cong_khai, denominator: tong_so_tthc, on_zero: full}}
{SRC_2013 % "2.1"}
"""),
    "cai-cach-thu-tuc-hanh-chinh/kiem-soat-tthc/_node.md": node(f"""
id: kiem-soat-tthc
code: "2.2"
title: Kiểm soát thủ tục hành chính
max_points: 2
inputs:
  cap_nhat_kip_thoi: {{type: bool, label: Cập nhật TTHC kịp thời}}
scoring: {{kind: boolean, when: cap_nhat_kip_thoi}}
{SRC_2013 % "1.5"}
"""),
    "cai-cach-thu-tuc-hanh-chinh/dich-vu-cong-truc-tuyen/_node.md": node(f"""
id: dich-vu-cong-truc-tuyen
code: "2.3"
title: Cung cấp dịch vụ công trực tuyến toàn trình
max_points: 4
inputs:
  ty_le_dvc: {{type: ratio, label: Tỷ lệ TTHC có dịch vụ công trực tuyến toàn trình}}
scoring:
  kind: linear
  of: ty_le_dvc
  thresholds: [{{at: 30%, points: 0}}, {{at: 80%, points: 4}}]
{SRC_2014 % "2.3"}
"""),
    "cai-cach-thu-tuc-hanh-chinh/nen-tang-so/_node.md": node(f"""
id: nen-tang-so
code: "2.4"
title: Phát triển các nền tảng, cơ sở dữ liệu
max_points: 2
inputs:
  ket_noi_csdl_quoc_gia: {{type: bool, label: Kết nối cơ sở dữ liệu quốc gia}}
scoring: {{kind: boolean, when: ket_noi_csdl_quoc_gia}}
{SRC_2014 % "2.4"}
"""),
}


def write_version(root: Path, files: dict[str, str], manifest: str = MANIFEST) -> Path:
    """Write a methodology folder (manifest + node files) and return it."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "methodology.yaml").write_text(manifest, encoding="utf-8")
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def load(
    root: Path, files: dict[str, str], *, ref: str | None = None, commit: str | None = None
) -> Methodology:
    """Write ``files`` under ``root`` and load them, failing on any loading problem."""
    m = load_directory(write_version(root, files))
    assert not [p for p in m.problems if p.severity == "error"], m.problems
    return dataclasses.replace(m, ref=ref, commit=commit)


def example_versions(tmp_path: Path) -> tuple[Methodology, Methodology]:
    """(2013, 2014) of the example methodology, labelled as released versions."""
    a = load(
        tmp_path / "2013" / "vi-du",
        V2013,
        ref="vi-du/2013",
        commit="3f2a9c1d5e7b8a6f4c3d2e1f0a9b8c7d6e5f4a3b",
    )
    b = load(
        tmp_path / "2014" / "vi-du",
        V2014,
        ref="vi-du/2014",
        commit="8c41d7e2b9a0f3c6d5e4b3a2918f7e6d5c4b3a29",
    )
    return a, b


def version_maker(tmp_path: Path) -> Callable[..., Methodology]:
    """Write and load a version from {relpath: text}; each call gets its own folder."""
    counter = iter(range(1_000_000))

    def make(files: dict[str, str], **labels: str) -> Methodology:
        return load(tmp_path / f"v{next(counter)}" / "vi-du", files, **labels)

    return make
