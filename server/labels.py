"""Words people read for the API's codes: roles, submission statuses, the kinds of document
results are published under and the state of a result, and the methodology's codes
(scoring kinds, provenance, derivation, history events).

One table for every reader: the web pages, the command line and the office documents
(`server.office`). Plain data with no imports, so the CLI and the document writers read
it without loading the web stack."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from methodology import Node

__all__ = [
    "CHOICE_LABELS",
    "DERIVATION_LABELS",
    "DOCUMENT_KIND_LABELS",
    "EVENT_LABELS",
    "INPUT_TYPE_LABELS",
    "JOB_STATUS_LABELS",
    "KIND_LABELS",
    "LATE_LABELS",
    "NODE_KEY_LABELS",
    "OBJECTION_DECISIONS",
    "OPTIONAL_EVIDENCE",
    "PART_LABELS",
    "PROVENANCE_LABELS",
    "PUBLICATION_LABELS",
    "RELEASE_LABELS",
    "ROLE_LABELS",
    "SCHEDULE_LABELS",
    "STAGE_LABELS",
    "STATUS_LABELS",
    "TRANSITION_LABELS",
    "choice_label",
    "kind_label",
    "provenance_mark",
    "provenance_parts",
]

ROLE_LABELS: dict[str, str] = {
    "admin": "Quản trị hệ thống",
    "ministry_editor": "Biên tập viên Bộ Nội vụ",
    "province_editor": "Biên tập viên cấp tỉnh",
    "unit_submitter": "Cán bộ đơn vị tự đánh giá",
    "appraiser": "Thành viên hội đồng thẩm định",
    "auditor": "Kiểm tra, giám sát",
    "anonymous": "Khách",
}

# `server.models.SUBMISSION_STATUSES` (tests/server/test_cycle.py checks every one has a label).
# A background job's status (`server.models.JOB_STATUSES`).
JOB_STATUS_LABELS: dict[str, str] = {
    "queued": "Đang chờ",
    "running": "Đang chạy",
    "done": "Đã xong",
    "failed": "Không chạy được",
    "cancelled": "Đã huỷ",
}

STATUS_LABELS: dict[str, str] = {
    "draft": "Đang soạn",
    "submitted": "Đã nộp",
    "returned": "Yêu cầu bổ sung",
    "resubmitted": "Đã nộp bổ sung",
    "appraised": "Đã thẩm định vòng 1",
    "council": "Hội đồng thẩm định (vòng 2)",
    "reopened": "Trả lại để sửa",
    "superseded": "Đã thay thế",
}

# The actions of `server.transitions.TRANSITIONS`, as the submission's history shows them.
TRANSITION_LABELS: dict[str, str] = {
    "create": "Tạo hồ sơ",
    "submit": "Nộp hồ sơ",
    "return": "Yêu cầu bổ sung",
    "appraise": "Thẩm định vòng 1",
    "council": "Chuyển Hội đồng thẩm định (vòng 2)",
    "reopen": "Mở lại để nộp hồ sơ mới",
    "supersede": "Thay thế bằng hồ sơ mới",
    "unlock": "Quản trị viên mở lại để đơn vị sửa",
}

# `server.models.SCHEDULE`: the dates of an assessment period.
SCHEDULE_LABELS: dict[str, str] = {
    "self_assessment_opens": "Bắt đầu tự đánh giá",
    "self_assessment_closes": "Hạn nộp tự đánh giá",
    "appraisal_opens": "Bắt đầu thẩm định",
    "appraisal_closes": "Kết thúc thẩm định",
    "survey_import": "Nhập kết quả điều tra xã hội học",
    "preliminary_publication": "Công bố kết quả sơ bộ",
    "objection_opens": "Bắt đầu nhận kiến nghị",
    "objection_closes": "Hết hạn nhận kiến nghị",
    "final_publication": "Công bố kết quả chính thức",
}

# `server.models.LATE_POLICIES`: what a submission after the deadline gets.
LATE_LABELS: dict[str, str] = {
    "refuse": "Không nhận hồ sơ nộp muộn",
    "flag": "Nhận và đánh dấu “nộp muộn”",
}

# `server.services.publications.DOCUMENT_KINDS`: what a result is published under.
DOCUMENT_KIND_LABELS: dict[str, str] = {
    "decision": "Quyết định",
    "official_letter": "Công văn",
}

# What a release says (`methodology.Release`): the catalog and version pages, the release
# form and `parindex releases`.
RELEASE_LABELS: dict[str, str] = {
    "name": "Phiên bản",
    "decision": "Quyết định",
    "date": "Ngày ban hành",
    "effective": "Ngày hiệu lực",
    "years": "Năm áp dụng",
    "amends": "Sửa đổi, bổ sung",
}

# `models.PUBLICATION_STAGES`: a publication's stage.
STAGE_LABELS: dict[str, str] = {
    "preliminary": "Kết quả sơ bộ",
    "final": "Kết quả chính thức",
}

# `services.objections.DECISIONS`, and an objection still open.
OBJECTION_DECISIONS: dict[str, str] = {
    "accepted": "Chấp nhận",
    "rejected": "Không chấp nhận",
    "open": "Chưa trả lời",
}

# The state of a cohort's results for a period.
PUBLICATION_LABELS: dict[str, str] = {
    "published": "Đã công bố",
    "withdrawn": "Đã thu hồi",
    "unpublished": "Chưa công bố",
}

# The scoring kinds of `rules.KINDS` (the registry has no words for people); a kind
# registered later without a row here is shown by its id (`kind_label`).
KIND_LABELS: dict[str, str] = {
    "tiers": "Theo mức",
    "boolean": "Đạt / không đạt",
    "ratio": "Theo tỷ lệ",
    "linear": "Nội suy tuyến tính",
    "formula": "Theo công thức",
    "survey": "Điều tra xã hội học",
    "manual": "Hội đồng chấm trực tiếp",
}


def kind_label(kind: str | None) -> str:
    return KIND_LABELS.get(kind, kind) if kind else ""


# `Node.provenance`: from the node's `source` (a decision, or `illustrative: true`).
PROVENANCE_LABELS: dict[str, str] = {
    "official": "chính thức",
    "illustrative": "minh hoạ",
    "unknown": "chưa rõ nguồn",
}

# The parts of a node that can be official while the node is illustrative
# (`Source.official`): the pages, documents and CLI say which, through `provenance_mark`.
PART_LABELS: dict[str, str] = {
    "title": "tên",
    "max_points": "điểm tối đa",
    "counts": "số tiêu chí",
    "scoring": "cách chấm",
}


def provenance_parts(node: Node) -> tuple[str, str]:
    """What of ``node`` is official and what illustrative, as the words people read
    ("tên chính thức", "điểm tối đa, số tiêu chí minh hoạ"); either may be empty."""
    if node.provenance != "illustrative":
        return PROVENANCE_LABELS[node.provenance], ""
    official, illustrative = node.provenance_parts()
    said = ", ".join(PART_LABELS[p] for p in official)
    if not official:
        return "", PROVENANCE_LABELS["illustrative"]
    return (
        f"{said} {PROVENANCE_LABELS['official']}",
        f"{', '.join(PART_LABELS[p] for p in illustrative)} {PROVENANCE_LABELS['illustrative']}",
    )


def provenance_mark(node: Node) -> str:
    """The one marker of an illustrative node: "minh hoạ", or which parts are official
    and which illustrative ("tên chính thức; điểm tối đa minh hoạ"); "" when official."""
    if node.provenance != "illustrative":
        return ""
    return "; ".join(part for part in provenance_parts(node) if part)


# How a node of a derived index relates to the index it extends (`Derivation.status`).
DERIVATION_LABELS: dict[str, str] = {
    "inherited": "kế thừa",
    "overridden": "ghi đè",
    "local": "địa phương",
}

# The keys of a node file, as the pages name them (an override lists what it changed).
NODE_KEY_LABELS: dict[str, str] = {
    "title": "tên",
    "code": "mã số",
    "max_points": "điểm tối đa",
    "scoring": "cách chấm điểm",
    "inputs": "dữ liệu đầu vào",
    "evidence": "tài liệu kiểm chứng",
    "guidance": "hướng dẫn",
    "applicability": "điều kiện áp dụng",
    "source": "căn cứ",
    "assessed_by": "hình thức đánh giá",
    "bonus": "điểm thưởng",
    "penalty": "điểm trừ",
    "parent": "thuộc mục",
}

# An evidence document the unit may omit, as a line of the editing form and of the annex
# ("Ảnh chụp (không bắt buộc)"); both read such a line back.
OPTIONAL_EVIDENCE = " (không bắt buộc)"

# A node's history (`methodology.log_entries`): what one commit did to its file.
EVENT_LABELS: dict[str, str] = {
    "added": "Tạo mục",
    "removed": "Xoá mục",
    "moved": "Chuyển sang mục cha khác",
    "modified": "Sửa nội dung",
    "overlay": "Sửa overlay của chỉ số dẫn xuất",
}

# `rules.InputType`: how a value is entered.
INPUT_TYPE_LABELS: dict[str, str] = {
    "number": "số",
    "ratio": "tỷ lệ",
    "count": "số đếm",
    "bool": "có / không",
    "enum": "lựa chọn",
    "date": "ngày",
}

# The choices the bundled methodologies use, as a form shows them; another choice is
# shown as its code with spaces.
CHOICE_LABELS = {
    "dung_han": "Đúng hạn",
    "tre_han": "Trễ hạn",
    "khong_thuc_hien": "Không thực hiện",
    "khong_ban_hanh": "Không ban hành",
    "ban_hanh_va_thuc_hien_day_du": "Ban hành và thực hiện đầy đủ",
    "thuc_hien_chua_day_du": "Thực hiện chưa đầy đủ",
    "dung_ke_hoach": "Đúng kế hoạch",
    "cham_ke_hoach": "Chậm so với kế hoạch",
    "chua_hoan_thanh": "Chưa hoàn thành",
    "day_du_dung_han": "Đầy đủ, đúng hạn",
    "co_van_ban_cham": "Có văn bản chậm",
    "con_van_ban_chua_ban_hanh": "Còn văn bản chưa ban hành",
}


def choice_label(code: str) -> str:
    return CHOICE_LABELS.get(code, code.replace("_", " "))
