"""Words the pages show for the API's codes: roles and submission statuses."""

from __future__ import annotations

__all__ = ["ROLE_LABELS", "STATUS_LABELS"]

ROLE_LABELS: dict[str, str] = {
    "admin": "Quản trị hệ thống",
    "ministry_editor": "Biên tập viên Bộ Nội vụ",
    "province_editor": "Biên tập viên cấp tỉnh",
    "unit_submitter": "Cán bộ đơn vị tự đánh giá",
    "appraiser": "Thành viên hội đồng thẩm định",
    "auditor": "Kiểm tra, giám sát",
    "anonymous": "Khách",
}

STATUS_LABELS: dict[str, str] = {
    "draft": "Đang soạn",
    "submitted": "Đã nộp",
    "appraised": "Đã thẩm định",
    "reopened": "Trả lại để sửa",
    "superseded": "Đã thay thế",
}
