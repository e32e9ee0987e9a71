"""The API's English error details, said in Vietnamese for the pages.

The API keeps its details (programs and their logs read them); a page shows a person
the Vietnamese sentence. Each pattern is matched against the whole detail; a detail
no pattern knows is shown as it is (most are already Vietnamese)."""

from __future__ import annotations

import re

__all__ = ["STATUS_TITLES", "vi_detail"]

STATUS_TITLES: dict[int, str] = {
    400: "Yêu cầu không hợp lệ",
    401: "Cần đăng nhập",
    403: "Không có quyền",
    404: "Không tìm thấy",
    405: "Không hỗ trợ thao tác này",
    409: "Xung đột dữ liệu",
    413: "Nội dung quá lớn",
    422: "Dữ liệu chưa hợp lệ",
    429: "Quá nhiều lần thử",
    500: "Lỗi hệ thống",
}

_ACTIONS = {
    "methodology read": "xem bộ chỉ số",
    "methodology edit": "sửa bộ chỉ số",
    "methodology release": "ban hành phiên bản",
    "methodology create": "tạo bộ chỉ số",
    "methodology rebase": "cập nhật bộ chỉ số theo bản gốc mới",
    "unit create": "tạo đơn vị",
    "cohort create": "tạo nhóm đơn vị",
    "cohort join": "thêm đơn vị vào nhóm",
    "submission create": "tạo hồ sơ tự đánh giá",
    "submission edit": "sửa hồ sơ tự đánh giá",
    "submission read": "xem hồ sơ này",
    "appraisal create": "thẩm định",
    "submission reopen": "trả lại hồ sơ",
    "survey import": "nhập điểm điều tra xã hội học",
    "evaluation run": "chấm điểm",
    "ranking read": "xem bảng xếp hạng",
    "analysis run": "chạy phân tích",
    "analysis read": "xem phân tích",
    "user manage": "quản lý người dùng",
    "list units": "xem danh sách đơn vị",
}


def _action(text: str) -> str:
    return _ACTIONS.get(text, text)


_PATTERNS: list[tuple[re.Pattern[str], object]] = [
    (re.compile(r"no methodology '(.+)'"), lambda m: f"Không có bộ chỉ số '{m[1]}'."),
    (re.compile(r"no node '(.+)' in (.+)"), lambda m: f"Bộ chỉ số {m[2]} không có mục '{m[1]}'."),
    (re.compile(r"no submission (\d+)"), lambda m: f"Không có hồ sơ số {m[1]}."),
    (re.compile(r"no cohort '(.+)'"), lambda m: f"Không có nhóm đơn vị '{m[1]}'."),
    (re.compile(r"no evaluation (\d+)"), lambda m: f"Không có lần chấm điểm số {m[1]}."),
    (re.compile(r"no (audit|sensitivity) (\d+)"), lambda m: f"Không có phân tích số {m[2]}."),
    (re.compile(r"methodology '(.+)' already exists"), lambda m: f"Đã có bộ chỉ số '{m[1]}'."),
    (re.compile(r"unit '(.+)' exists"), lambda m: f"Đã có đơn vị '{m[1]}'."),
    (re.compile(r"sign in to (.+)"), lambda m: f"Hãy đăng nhập để {_action(m[1])}."),
    (
        re.compile(r"an? (\w+) may not (.+?)(?: \(.*\))?"),
        lambda m: f"Vai trò của bạn không được {_action(m[2])}.",
    ),
    (
        re.compile(r"(\d+) newly inherited criteria are not acknowledged"),
        lambda m: (
            f"Còn {m[1]} tiêu chí mới kế thừa chưa được xác nhận; hãy đánh dấu từng tiêu chí."
        ),
    ),
    (
        re.compile(r"(\d+) conflicts remain; .*"),
        lambda m: f"Còn {m[1]} xung đột chưa giải quyết; hãy chọn cách giải quyết từng xung đột.",
    ),
    (re.compile(r"the overlay is invalid"), "Overlay chưa hợp lệ."),
    (
        re.compile(r"the edit leaves (\S+) invalid: (.+)"),
        lambda m: f"Thay đổi này làm bộ chỉ số {m[1]} không hợp lệ: {m[2]}",
    ),
    (
        re.compile(r"fields add up to (.+), but the manifest's scale is (.+)"),
        lambda m: (
            f"Tổng điểm các lĩnh vực là {m[1]}, khác thang điểm {m[2]}: hãy quy đổi hoặc sửa điểm."
        ),
    ),
    (
        re.compile(r"the node changed after .*"),
        "Đã có người sửa nội dung này; hãy tải lại để xem thay đổi của họ.",
    ),
    (re.compile(r"the body is malformed.*"), "Nội dung gửi lên không đọc được."),
    (re.compile(r"the request is malformed.*"), "Yêu cầu không hợp lệ."),
]


def vi_detail(detail: str) -> str:
    """``detail`` in Vietnamese when it is one of the API's English sentences."""
    text = detail.strip()
    for pattern, say in _PATTERNS:
        match = pattern.fullmatch(text)
        if match:
            return say(match) if callable(say) else str(say)
    return detail
