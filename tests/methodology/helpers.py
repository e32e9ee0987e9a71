"""Helpers the methodology test modules share: two editors, a node's text, and the
derived index (manifest, overlay, a local criterion) that the derive and rebase tests build."""

from __future__ import annotations

from methodology import Person, Put, open_methodology

ANH = Person("Nguyễn Văn Anh", "anh@moha.example")
BINH = Person("Trần Thị Bình", "binh@moha.example")


def node_text(store, node_id, ref="vi-du"):
    m = open_methodology(store, ref)
    return store.read_blob(m.nodes[node_id].blob).decode("utf-8")


AUTHOR = Person("Sở Nội vụ", "snv@example.vn")

MANIFEST = """id: vi-du-so
title: Chỉ số CCHC mẫu cấp sở
level: sở
extends: vi-du@vi-du/2014
scale: 20
expected: {fields: 2, criteria: 6, sub_criteria: 7}
ranking:
  policy: score_desc
  not_ranked:
    - {unit: ban-dan-toc, name: Ban Dân tộc, reason: Cơ quan đặc thù}
"""

OVERLAY = """remove:
  - id: tiep-nhan-phan-anh
    reason: Sở không tiếp nhận phản ánh trực tiếp
override:
  bao-cao-cchc:
    title: Báo cáo CCHC của sở
    reason: Tên theo cấp sở
  cai-cach-tthc:
    max_points: 8
  muc-do-thuc-hien:
    scoring:
      kind: tiers
      tiers:
        - {when: ty_le_hoan_thanh_ke_hoach >= 80%, points: 2}
        - {otherwise: true, points: 0}
rescale:
  - total: 20
"""

LOCAL = """---
id: tham-muu-tthc
code: "2.4"
title: Tham mưu công bố thủ tục hành chính đúng hạn
max_points: 2
inputs:
  cong_bo_dung_han: {type: bool, label: Tham mưu công bố TTHC đúng hạn}
scoring: {kind: boolean, when: cong_bo_dung_han}
source: {illustrative: true}
---
Tham mưu UBND tỉnh công bố thủ tục hành chính đúng thời hạn: 2 điểm.
"""


def commit_derived(store, files: dict[str, str], name: str = "vi-du-so") -> str:
    return store.commit(
        [Put(f"{name}/{path}", text.encode("utf-8")) for path, text in files.items()],
        message=f"{name}: overlay",
        author=AUTHOR,
    )
