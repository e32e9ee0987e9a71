"""The API's English error details, said in Vietnamese for the pages.

The API keeps its details (programs and their logs read them); a page shows a person
the Vietnamese sentence. Each pattern is matched against the whole detail; then the
rule checker's and validation's messages (`server.check_messages`), alone or with
their suggestion in brackets as the API joins them; a detail nothing knows is shown as
it is (most are already Vietnamese)."""

from __future__ import annotations

import re

from server.check_messages import vi_check
from server.format import vi_date
from server.labels import JOB_STATUS_LABELS, SCHEDULE_LABELS, STATUS_LABELS

__all__ = ["STATUS_TITLES", "vi_detail", "vi_problem"]

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
    "submission evidence": "tải minh chứng cho hồ sơ này",
    "submission submit": "nộp hồ sơ này",
    "appraisal create": "thẩm định",
    "submission reopen": "trả lại hồ sơ",
    "submission return": "yêu cầu đơn vị bổ sung hồ sơ",
    "submission unlock": "mở lại hồ sơ cho đơn vị sửa",
    "appraisal council": "chuyển hồ sơ sang Hội đồng thẩm định",
    "period read": "xem kỳ đánh giá",
    "period manage": "lập hoặc sửa kỳ đánh giá của nhóm đơn vị này",
    "period extend": "gia hạn cho đơn vị",
    "survey import": "nhập điểm điều tra xã hội học",
    "evaluation run": "chấm điểm",
    "ranking read": "xem bảng xếp hạng",
    "ranking publish": "công bố hoặc thu hồi kết quả của nhóm đơn vị này",
    "objection file": "gửi kiến nghị cho đơn vị này",
    "objection answer": "trả lời kiến nghị",
    "objection read": "xem kiến nghị",
    "analysis run": "chạy phân tích",
    "analysis read": "xem phân tích",
    "user manage": "quản lý người dùng",
    "list units": "xem danh sách đơn vị",
}


def _action(text: str) -> str:
    return _ACTIONS.get(text, text)


_SLUG_WHAT = {
    "node": "mã mục",
    "methodology": "mã bộ chỉ số",
    "cohort": "mã nhóm đơn vị",
    "unit": "mã đơn vị",
    "unit_id": "mã đơn vị",
    "slug": "mã",
}

_PATTERNS: list[tuple[re.Pattern[str], object]] = [
    (
        re.compile(r"invalid (\w+) '(.*)'"),
        lambda m: (
            f"{_SLUG_WHAT.get(m[1], m[1]).capitalize()} '{m[2]}' không hợp lệ: chỉ gồm chữ "
            "thường không dấu, chữ số, '-' và '_', bắt đầu bằng chữ hoặc số."
        ),
    ),
    (
        re.compile(r"invalid period"),
        "Kỳ đánh giá không hợp lệ: hãy viết năm, ví dụ 2023 (tối đa 20 ký tự, không ký tự điều khiển).",
    ),
    (
        re.compile(r"the sensitivity parameters are invalid"),
        "Thông số phân tích độ nhạy chưa hợp lệ (số lần mô phỏng, mức dao động hoặc hạt giống).",
    ),
    (
        re.compile(r"the form's rows do not line up"),
        "Các dòng của biểu mẫu không khớp nhau; hãy tải lại trang rồi nhập lại.",
    ),
    (
        re.compile(r"no methodology '([^']+)' at .+"),
        lambda m: f"Không có bộ chỉ số '{m[1]}' ở phiên bản này.",
    ),
    (re.compile(r"no methodology '(.+)'"), lambda m: f"Không có bộ chỉ số '{m[1]}'."),
    (
        re.compile(r"unknown ref '([^']*)'(?: \((.*)\))?"),
        lambda m: f"Không có phiên bản '{m[1]}' (một lần ban hành, nhánh, mã commit hoặc ngày).",
    ),
    # -- releases and the refs that name them (`methodology/releases.py`) ---------------
    (
        re.compile(r"years: (.+?) is not a year or a span of years; .*"),
        lambda m: (
            f"Năm áp dụng: {m[1]} không phải là năm hay khoảng năm; hãy viết ví dụ 2022-2030."
        ),
    ),
    (
        re.compile(r"years: no year given; .*"),
        "Năm áp dụng: chưa nhập năm; hãy viết ví dụ 2022-2030.",
    ),
    (
        re.compile(r"years: (.+) spans more than (\d+) years"),
        lambda m: f"Năm áp dụng: {m[1]} dài hơn {m[2]} năm.",
    ),
    (
        re.compile(r"years: (\d+) is not a year \(1 to 9999\)"),
        lambda m: f"Năm áp dụng: {m[1]} không phải là năm (từ 1 đến 9999).",
    ),
    (
        re.compile(r"years: (.+) ends before it starts"),
        lambda m: f"Năm áp dụng: khoảng {m[1]} kết thúc trước khi bắt đầu.",
    ),
    (
        re.compile(r"the effective date (\S+) is before the decision date (\S+)"),
        lambda m: (
            f"Ngày hiệu lực {vi_date(m[1])} trước ngày ban hành {vi_date(m[2])}; "
            f"hãy chọn từ ngày {vi_date(m[2])} trở đi."
        ),
    ),
    (
        re.compile(r"amends: (\S+) is not a release of (\S+); .*"),
        lambda m: (
            f"Sửa đổi, bổ sung: {m[1]} không phải là phiên bản của {m[2]}; một lần ban hành "
            "chỉ sửa đổi, bổ sung phiên bản trước đó của chính bộ chỉ số đó."
        ),
    ),
    (
        re.compile(r"amends: no release (\S+) \(the releases of (\S+): (.*)\)"),
        lambda m: (
            f"Sửa đổi, bổ sung: không có phiên bản {m[1]} (các phiên bản của {m[2]}: {m[3]})."
        ),
    ),
    (
        re.compile(r"amends: (\S+) takes effect on (\S+), after this release \((\S+)\); .*"),
        lambda m: (
            f"Sửa đổi, bổ sung: {m[1]} có hiệu lực từ {vi_date(m[2])}, sau ngày hiệu lực của "
            f"lần ban hành này ({vi_date(m[3])}); chỉ sửa đổi, bổ sung được phiên bản trước đó."
        ),
    ),
    (
        re.compile(r"'(.*)' is not an assessment year; .*"),
        lambda m: f"'{m[1]}' không phải là năm đánh giá; hãy viết năm:YYYY, ví dụ năm:2023.",
    ),
    (re.compile(r"'(.*)' is not a date: .*"), lambda m: f"'{m[1]}' không phải là ngày có thật."),
    (
        re.compile(
            r"(\S+): no release (?:to be )?in force on (\S+?)(?:; the earliest, (\S+), takes effect on (\S+))?"
        ),
        lambda m: (
            f"{m[1]}: ngày {vi_date(m[2])} chưa có phiên bản nào có hiệu lực"
            + (f"; phiên bản sớm nhất, {m[3]}, có hiệu lực từ {vi_date(m[4])}." if m[3] else ".")
        ),
    ),
    (
        re.compile(r"(\S+): no release names the assessment years it applies to; .*"),
        lambda m: (
            f"{m[1]}: chưa phiên bản nào ghi năm áp dụng; hãy chọn một lần ban hành hoặc một ngày."
        ),
    ),
    (
        re.compile(r"(\S+): no release applies to assessment year (\d+) \((.*)\)"),
        lambda m: f"{m[1]}: không phiên bản nào áp dụng cho năm đánh giá {m[2]} ({m[3]}).",
    ),
    (
        re.compile(
            r"(\S+) is ambiguous: (.+) all (?:take effect on|apply to assessment year) (\S+) and .*"
        ),
        lambda m: (
            f"{m[1]} chưa rõ là phiên bản nào: {m[2]} cùng áp dụng cho {vi_date(m[3])} "
            "và không phiên bản nào sửa đổi, bổ sung các phiên bản kia; hãy chọn một phiên bản."
        ),
    ),
    (re.compile(r"no node '(.+)' in (.+)"), lambda m: f"Bộ chỉ số {m[2]} không có mục '{m[1]}'."),
    (re.compile(r"no submission (\d+)"), lambda m: f"Không có hồ sơ số {m[1]}."),
    (re.compile(r"no cohort '(.+)'"), lambda m: f"Không có nhóm đơn vị '{m[1]}'."),
    (re.compile(r"no evaluation (\d+)"), lambda m: f"Không có lần chấm điểm số {m[1]}."),
    (re.compile(r"no publication (\d+)"), lambda m: f"Không có lần công bố số {m[1]}."),
    (re.compile(r"no objection (\d+)"), lambda m: f"Không có kiến nghị số {m[1]}."),
    (
        re.compile(r"the ranking of (\S+) for (.+) is published already; .*"),
        lambda m: (
            f"Kết quả của nhóm đơn vị '{m[1]}' kỳ {m[2]} đã được công bố; "
            "hãy thu hồi bản đang có hiệu lực trước khi công bố lại."
        ),
    ),
    (
        re.compile(r"the ranking of (\S+) for (.+) changed since it was read; .*"),
        "Bảng xếp hạng đã thay đổi từ lúc bạn mở trang; hãy xem lại bảng mới rồi hãy công bố.",
    ),
    (
        re.compile(r"no published results for (\S+) in (.+)"),
        lambda m: f"Không có kết quả được công bố của nhóm đơn vị '{m[1]}' năm {m[2]}.",
    ),
    (
        re.compile(r"the ranking of (\S+) for (.+) is not published"),
        lambda m: f"Kết quả của nhóm đơn vị '{m[1]}' kỳ {m[2]} chưa được công bố.",
    ),
    (
        re.compile(r"publication (\d+) was withdrawn on (\d{4})-(\d{2})-(\d{2})"),
        lambda m: f"Lần công bố số {m[1]} đã bị thu hồi ngày {m[4]}/{m[3]}/{m[2]}.",
    ),
    (
        re.compile(r"unit '(.+)' has no published result for (.+)"),
        lambda m: f"Đơn vị '{m[1]}' không có trong kết quả đã công bố của kỳ {m[2]}.",
    ),
    (re.compile(r"no (audit|sensitivity) (\d+)"), lambda m: f"Không có phân tích số {m[2]}."),
    (
        re.compile(r"no unit '(.+)' in cohort '(.+)'"),
        lambda m: f"Nhóm đơn vị '{m[2]}' không có đơn vị '{m[1]}'.",
    ),
    (
        re.compile(r"unit '(.+)' has no submitted submission for (.+)"),
        lambda m: f"Đơn vị '{m[1]}' chưa có hồ sơ đã nộp cho kỳ {m[2]}.",
    ),
    (re.compile(r"no job .+"), "Không tìm thấy lần chạy này; hãy chạy lại."),
    (
        re.compile(r"job \d+ has already finished \((\w+)\)"),
        lambda m: f"Lần chạy này đã kết thúc ({JOB_STATUS_LABELS.get(m[1], m[1])}).",
    ),
    (
        re.compile(r"the request of an? (\w+) job is malformed"),
        "Yêu cầu chạy nền chưa hợp lệ: xem từng trường được nêu.",
    ),
    (
        re.compile(r"no chart '(.+)' of .+"),
        lambda m: f"Không có biểu đồ '{m[1]}'.",
    ),
    (
        re.compile(r"(?:audit \d+ has no unit|.+ is incomplete in audit \d+).*"),
        "Đơn vị này không có trong phân tích hoặc thiếu dữ liệu nên không vẽ được biểu đồ.",
    ),
    (
        re.compile(r"no submitted .+ submissions? of cohort (.+) for (.+)"),
        lambda m: f"Nhóm đơn vị '{m[1]}' chưa có hồ sơ đã nộp cho kỳ {m[2]}.",
    ),
    (
        re.compile(r"cohort (.+) has no submitted (.+) submission for (.+)"),
        lambda m: f"Nhóm đơn vị '{m[1]}' chưa có hồ sơ đã nộp theo bộ chỉ số {m[2]} cho kỳ {m[3]}.",
    ),
    (re.compile(r"unexpected error: .+"), "Đã có lỗi không mong muốn khi chạy phân tích."),
    (re.compile(r"methodology '(.+)' already exists"), lambda m: f"Đã có bộ chỉ số '{m[1]}'."),
    (re.compile(r"unit '(.+)' exists"), lambda m: f"Đã có đơn vị '{m[1]}'."),
    (re.compile(r"sign in to (.+)"), lambda m: f"Hãy đăng nhập để {_action(m[1])}."),
    (
        re.compile(r"an? (\w+) may not (.+?)(?: \(.*\))?"),
        lambda m: f"Vai trò của bạn không được {_action(m[2])}.",
    ),
    (
        re.compile(r"submission (\d+) is at revision (\d+), not (\d+); reload it"),
        lambda m: (
            f"Hồ sơ số {m[1]} đã được sửa ở nơi khác sau khi bạn mở trang; "
            "hãy tải lại trang để xem bản mới nhất rồi sửa tiếp."
        ),
    ),
    (
        re.compile(r"submission (\d+) is (\w+): it can no longer be changed"),
        lambda m: (
            f"Hồ sơ số {m[1]} ở trạng thái "
            f"“{STATUS_LABELS.get(m[2], m[2])}” nên không sửa được nữa."
        ),
    ),
    (re.compile(r"missing period"), "Chưa nhập kỳ đánh giá."),
    (
        re.compile(r"a window of the schedule closes before it opens"),
        "Lịch chưa hợp lệ: có mốc kết thúc sớm hơn mốc bắt đầu.",
    ),
    (
        re.compile(r"before (\w+) \((\d{4})-(\d{2})-(\d{2})\)"),
        lambda m: f"Sớm hơn mốc “{SCHEDULE_LABELS.get(m[1], m[1])}” ({m[4]}/{m[3]}/{m[2]}).",
    ),
    (
        re.compile(r"cohort (\S+) has no period (.+)"),
        lambda m: f"Nhóm đơn vị '{m[1]}' chưa có kỳ đánh giá {m[2]}.",
    ),
    (re.compile(r"unknown late policy .*"), "Hãy chọn cách xử lý hồ sơ nộp muộn trong danh sách."),
    (
        re.compile(r"unknown nodes to supplement"),
        "Có mục cần bổ sung không thuộc phiên bản bộ chỉ số của hồ sơ.",
    ),
    (
        re.compile(r"no stored or sample submissions of (.+) to preview the draft on"),
        lambda m: f"Chưa có hồ sơ đã nộp hay hồ sơ mẫu nào của {m[1]} để xem trước.",
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
    # the API joins a problem and its suggestion as `message (suggestion)`
    joined = _JOINED.fullmatch(text)
    if joined and vi_check(joined[1]) is not None and vi_check(joined[2]) is not None:
        return vi_problem(joined[1], joined[2])
    found = vi_check(text)
    return detail if found is None else _sentence(found)


_JOINED = re.compile(r"(.+) \((.+)\)", re.S)


def vi_problem(message: str, suggestion: str | None = None) -> str:
    """A checker's or validation's problem and its suggestion, in Vietnamese."""
    text = vi_detail(message)
    if suggestion:
        hint = vi_check(suggestion) or vi_detail(suggestion)
        text = f"{text.rstrip('.')}. Gợi ý: {hint}"
    return text


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]
