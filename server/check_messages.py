"""The rule checker's and methodology validation's English messages, in Vietnamese.

`rules` and `methodology` write their messages (and suggestions) in English for the
API, the CLI and logs; the pages show them in Vietnamese. Each entry of `CATALOG` is
keyed by the message's template exactly as its source writes it, every interpolated
part a ``{}`` — the template is the message's stable code — and says it in Vietnamese,
``{0}``, ``{1}`` … standing for the parts in the order the English has them.
`tests/web/test_check_messages.py` reads every template from the source of `rules` and
`methodology` and fails when one has no entry here (or an entry no source writes), so
the two cannot drift.

An entry's ``{2#}`` is a number written as the pages write numbers (`vi_number`:
``0,5``); other parts keep their dots (codes such as 3.3). The parts themselves (a type, a tier list, a nested message) are translated the same
way, then by the few words of `_WORDS`; names, values and expressions stay as written."""

from __future__ import annotations

import re
from functools import cache

from server.format import vi_number

__all__ = ["CATALOG", "vi_check", "vi_yaml_problem"]

CATALOG: dict[str, str] = {
    # -- the front matter (methodology/_frontmatter.py) -----------------------------------
    "malformed YAML: {}": "YAML viết sai: {0}",
    "invalid YAML": "YAML không hợp lệ",
    "missing front matter: the file must start with a '---' line": (
        "Thiếu phần khai báo: tệp phải bắt đầu bằng dòng '---'"
    ),
    "front matter is not closed by a '---' line": "Phần khai báo chưa được đóng bằng dòng '---'",
    "front matter must be a mapping of keys to values": (
        "Phần khai báo phải là một bảng “khoá: giá trị”"
    ),
    "duplicate key '{}'": "Khoá '{0}' bị lặp lại",
    "not a number: {}": "Không phải là số: {0}",
    "mapping keys must be plain names": "Khoá của bảng phải là tên đơn giản",
    # -- editing (methodology/authoring.py) -------------------------------------------------
    "the edit leaves {} invalid: {}": "Sửa như vậy làm bộ chỉ số {0} không hợp lệ: {1}",
    "the edit is valid on {} but not with the changes since ({}): {}": (
        "Thay đổi hợp lệ trên bản {0} nhưng không còn hợp lệ với các thay đổi sau đó ({1}): {2}"
    ),
    "'{}' is inherited from the parent methodology: override it in {}": (
        "Mục '{0}' kế thừa từ bộ chỉ số gốc: hãy thay đổi nó trong {1}"
    ),
    "no node '{}' in this methodology": "Bộ chỉ số này không có mục '{0}'",
    "node '{}' already exists": "Đã có mục '{0}'",
    "an update may not change the id ('{}' → '{}')": (
        "Khi sửa không được đổi mã định danh ('{0}' → '{1}')"
    ),
    "cannot move '{}' under itself": "Không thể chuyển mục '{0}' vào dưới chính nó",
    "unusable node text": "Không đọc được nội dung của mục",
    # -- the overlay of a derived index (methodology/derive.py) ------------------------------
    "overlay.yaml must be a mapping with remove, override and rescale": (
        "overlay.yaml phải là một bảng gồm remove (bỏ), override (thay) và rescale (quy đổi)"
    ),
    "each removal is a node id or {id, reason}": (
        "Mỗi mục bỏ là một mã định danh hoặc {id, reason} (mã và lý do)"
    ),
    "override maps node ids to the keys they replace": (
        "override phải ghép mỗi mã định danh với các khoá được thay"
    ),
    "override of '{}' must be a mapping of keys to new values": (
        "Phần thay đổi của '{0}' phải là một bảng “khoá: giá trị mới”"
    ),
    "'{}' cannot be overridden": "Không được thay đổi '{0}'",
    "each rescale entry is {nodes: [...], total: <points>}": (
        "Mỗi lần quy đổi có dạng {nodes: [...], total: <điểm>} (các mục và tổng điểm)"
    ),
    "nodes must be a list of node ids": "nodes phải là danh sách mã định danh các mục",
    "total must be a positive number": "total (tổng điểm) phải là số dương",
    "'{}' was removed earlier in this overlay": "Mục '{0}' đã bị bỏ ở phần trước của overlay",
    "the parent has no node '{}'": "Bộ chỉ số gốc không có mục '{0}'",
    "'{}' is locked by the parent and may not be removed": (
        "Mục '{0}' bị bộ chỉ số gốc khoá nên không được bỏ"
    ),
    "'{}' is locked by the parent and may not be re-weighted": (
        "Mục '{0}' bị bộ chỉ số gốc khoá nên không được đổi điểm"
    ),
    "'{}' is locked by the parent and may not be rescaled": (
        "Mục '{0}' bị bộ chỉ số gốc khoá nên không được quy đổi điểm"
    ),
    "local node '{}' has the id of a parent node": (
        "Mục riêng '{0}' trùng mã định danh với một mục của bộ chỉ số gốc"
    ),
    "choose a new id, or override the parent's node": (
        "hãy chọn mã định danh khác, hoặc thay đổi mục của bộ chỉ số gốc"
    ),
    "folder '{}' names no node of the parent, so '{}' has nowhere to attach": (
        "Thư mục '{0}' không ứng với mục nào của bộ chỉ số gốc nên không gắn được '{1}' vào đâu"
    ),
    "points of removed or added children": "điểm của các mục con bị bỏ hoặc được thêm",
    "rescaled ×{}": "quy đổi ×{0}",
    # -- a node file (methodology/node.py) ---------------------------------------------------
    "unknown key '{}'": "Không có khoá '{0}'",
    "missing 'id'": "Thiếu mã định danh (id)",
    "id '{}' must be a lowercase slug (a-z, 0-9, '-', '_')": (
        "Mã định danh '{0}' chỉ được gồm chữ thường không dấu, chữ số, '-' và '_'"
    ),
    "missing 'code'": "Thiếu mã số (code)",
    "missing 'title'": "Thiếu tên (title)",
    "max_points: {}": "Điểm tối đa: {0}",
    "missing or invalid 'max_points' (a decimal number)": (
        "Thiếu điểm tối đa hoặc điểm tối đa không phải là số"
    ),
    "max_points {} is negative": "Điểm tối đa {0#} là số âm",
    "assessed_by must be one of {}, not '{}'": (
        "Người chấm (assessed_by) phải là một trong {0}, không phải '{1}'"
    ),
    "aggregation must be one of {}": "Cách cộng điểm (aggregation) phải là một trong {0}",
    "locked must be true or false": "locked (khoá) phải là true hoặc false",
    "inputs must be a mapping of input id to its declaration": (
        "Dữ liệu đầu vào phải là một bảng “mã đầu vào: khai báo”"
    ),
    "input '{}' must be a mapping (type, label, …)": (
        "Đầu vào '{0}' phải là một bảng (type, label, …)"
    ),
    "scoring must be a mapping with a 'kind'": "Cách chấm phải là một bảng có 'kind' (loại)",
    "{} must be a mapping with 'cap' and 'rules'": (
        "{0} phải là một bảng có 'cap' (mức trần) và 'rules' (các quy tắc)"
    ),
    "applicability must be a mapping": "applicability (điều kiện áp dụng) phải là một bảng",
    "allow_not_applicable must be true or false": (
        "allow_not_applicable (cho phép “không áp dụng”) phải là true hoặc false"
    ),
    "evidence must be a list of documents": "Minh chứng phải là danh sách tài liệu",
    "each evidence item is a title or {title, required}": (
        "Mỗi minh chứng là một tên tài liệu hoặc {title, required}"
    ),
    "requires must be a mapping (evidence: true, explanation: [not_applicable])": (
        "requires (yêu cầu khi nộp) phải là một bảng (evidence: true, "
        "explanation: [not_applicable])"
    ),
    "requires is for self-assessed nodes, not for one assessed by {}": (
        "requires (yêu cầu khi nộp) chỉ dùng cho nội dung đơn vị tự chấm, không dùng cho "
        "nội dung chấm theo {0}"
    ),
    "requires.evidence must be true or false": (
        "requires.evidence (bắt buộc có tài liệu kiểm chứng) phải là true hoặc false"
    ),
    "requires.explanation must be a list of {}": (
        "requires.explanation (khi nào phải giải trình) phải là danh sách gồm {0}"
    ),
    "an explanation is required when one of {}, not '{}'": (
        "Giải trình chỉ bắt buộc khi {0}, không phải '{1}'"
    ),
    "an explanation when not_applicable needs applicability.allow_not_applicable: true "
    "(otherwise the unit cannot claim it)": (
        "Giải trình khi “không phát sinh” cần applicability.allow_not_applicable: true "
        "(nếu không, đơn vị không thể kê khai không phát sinh)"
    ),
    "'{}' has sub-criteria: the unit attaches evidence and explanations to them, so "
    "declare 'requires' on them": (
        "'{0}' có tiêu chí thành phần: đơn vị gửi minh chứng và giải trình cho từng tiêu chí "
        "thành phần, nên hãy khai báo 'requires' ở đó"
    ),
    "source must be a mapping (decision, date, table, row) or {illustrative: true}": (
        "Căn cứ (source) phải là một bảng (decision, date, table, row) hoặc {illustrative: true}"
    ),
    "illustrative must be true or false": "illustrative phải là true hoặc false",
    "official lists the official parts among: {}": (
        "official liệt kê các phần chính thức, chọn trong: {0}"
    ),
    "date must be written YYYY-MM-DD": "Ngày phải viết dạng YYYY-MM-DD (năm-tháng-ngày)",
    "replaces must be a list of node ids": "replaces (thay cho) phải là danh sách mã định danh",
    # -- a methodology's tree (methodology/tree.py) --------------------------------------------
    "no {} in '{}'": "Không có {0} trong '{1}'",
    "rename the file or set id: {}": "hãy đổi tên tệp hoặc đặt id: {0}",
    "id '{}' does not match its file name '{}'": (
        "Mã định danh '{0}' không khớp với tên tệp '{1}'"
    ),
    "duplicate id '{}' (also in {})": "Mã định danh '{0}' bị trùng (cũng có trong {1})",
    "folder '{}' has no {}, so '{}' has no parent": (
        "Thư mục '{0}' không có {1} nên '{2}' không có mục cha"
    ),
    "add {}/{}": "hãy thêm {0}/{1}",
    # -- validation of a whole methodology (methodology/validate.py) --------------------------
    "'{}' replaces {}, which still exists in this version": (
        "Mục '{0}' thay cho {1}, nhưng mục đó vẫn còn trong phiên bản này"
    ),
    "code {} is also used by {}": "Mã số {0} cũng đã dùng cho {1}",
    "set max_points to {} or lower the children's points": (
        "hãy đặt điểm tối đa là {0#} hoặc giảm điểm các mục con"
    ),
    "children of {} '{}' add up to {}, more than its max_points {}": (
        "Các mục con của {0} '{1}' cộng lại được {2#} điểm, nhiều hơn điểm tối đa {3#}"
    ),
    "children of {} '{}' add up to {}, less than its max_points {}: it can never reach "
    "its maximum": (
        "Các mục con của {0} '{1}' cộng lại được {2#} điểm, ít hơn điểm tối đa {3#}: "
        "mục này không bao giờ đạt điểm tối đa"
    ),
    "fields add up to {}, but the manifest's scale is {}": (
        "Tổng điểm các lĩnh vực là {0#}, khác thang điểm {1#} của bộ chỉ số"
    ),
    "survey-assessed nodes carry {} points, the manifest says {}": (
        "Các mục chấm bằng điều tra xã hội học có tổng {0#} điểm, bộ chỉ số ghi {1#} điểm"
    ),
    "'{}' has children, so its points are theirs: remove '{}'": (
        "Mục '{0}' có mục con nên điểm là của các mục con: hãy bỏ '{1}'"
    ),
    "input '{}' is also declared by '{}'; input ids are unique in a methodology": (
        "Đầu vào '{0}' đã được khai báo ở mục '{1}'; mã đầu vào không được trùng trong "
        "một bộ chỉ số"
    ),
    "add scoring: {kind: {}, …}": "hãy thêm cách chấm: {kind: {0}, …}",
    "leaf '{}' has no scoring rule": "Mục '{0}' chưa có cách chấm",
    "input '{}' of '{}' is not used by any rule": (
        "Đầu vào '{0}' của mục '{1}' không được quy tắc nào dùng đến"
    ),
    "use it in a rule or remove it": "hãy dùng nó trong quy tắc hoặc bỏ đi",
    "applicability rule {} names unknown node '{}'": (
        "Quy tắc áp dụng thứ {0} nhắc đến mục không có: '{1}'"
    ),
    "{} {} expected, {} found": "Cần {0} {1}, có {2}",
    "'{}' has no guidance for assessors": "Mục '{0}' chưa có hướng dẫn cho người chấm",
    "'{}' has no source: give the decision, date, table and row, or illustrative: true": (
        "Mục '{0}' chưa có căn cứ: hãy ghi quyết định, ngày, bảng và dòng, hoặc illustrative: true"
    ),
    "{}: {} ({} errors, {} warnings)": "{0}: {1} ({2} lỗi, {3} cảnh báo)",
    "code {} of '{}' does not start with its parent's code {}.": (
        "Mã số {0} của '{1}' không bắt đầu bằng mã số {2} của mục cha."
    ),
    "'{}' lists itself in replaces": "Mục '{0}' tự ghi chính nó trong replaces (thay cho)",
    # -- types of expressions (rules/_checker.py, rules/operators.py) ------------------------
    "a list needs at least one item": "Danh sách cần ít nhất một phần tử",
    "list items must be literal values": "Phần tử của danh sách phải là giá trị viết sẵn",
    "list items must all have the same type: {} and {}": (
        "Các phần tử của danh sách phải cùng kiểu: {0} và {1}"
    ),
    "unknown operator {}": "Không có phép toán {0}",
    'write a list like `["a", "b"]`': 'hãy viết một danh sách như `["a", "b"]`',
    "{} needs a list on the right, got {}": "{0} cần một danh sách ở bên phải, nhưng có {1}",
    "cannot look for a list in a list with {}": (
        "Không thể tìm một danh sách trong danh sách bằng {0}"
    ),
    "cannot look for a {} in a {}": "Không thể tìm {0} trong {1}",
    "{} is not a choice of {}": "{0} không phải là một lựa chọn của {1}",
    "unknown name {}": "Không có tên {0} (không phải đầu vào hay dữ kiện nào)",
    "list of {}": "danh sách {0}",
    "unary '-' needs a number operand, got {}": "Dấu '-' đứng trước cần một số, nhưng có {0}",
    "'not' needs a bool operand, got {}": "'not' cần một giá trị đúng/sai, nhưng có {0}",
    "{} needs number operands, got {}": "{0} cần các số, nhưng có {1}",
    "{} needs bool operands, got {}": "{0} cần các giá trị đúng/sai, nhưng có {1}",
    "cannot compare {} with {} using {}": "Không thể so sánh {0} với {1} bằng {2}",
    "cannot compare {} with {}": "Không thể so sánh {0} với {1}",
    "use == or != for text and true/false values": (
        "với chữ và giá trị đúng/sai hãy dùng == hoặc !="
    ),
    "{} needs numbers or dates, got {}": "{0} cần số hoặc ngày, nhưng có {1}",
    "{}() needs number arguments, got {}": "{0}() cần các đối số là số, nhưng có {1}",
    "if() condition must be bool, got {}": "Điều kiện của if() phải là đúng/sai, nhưng có {0}",
    "if() branches must have the same type, got {} and {}": (
        "Hai nhánh của if() phải cùng kiểu, nhưng có {0} và {1}"
    ),
    "round() digits must be a whole number literal ≥ 0": (
        "Số chữ số của round() phải là một số nguyên viết sẵn ≥ 0"
    ),
    # -- evaluating (rules/_interpreter.py, rules/compile.py) --------------------------------
    "cannot compare values with {}": "Không thể so sánh các giá trị bằng {0}",
    "missing value for {}": "Thiếu giá trị của {0}",
    "value for {} must be {}, got {}": "Giá trị của {0} phải là {1}, nhưng có {2}",
    "a rule value": "một giá trị của quy tắc",
    # -- reading an expression (rules/_lexer.py, rules/_parser.py) ---------------------------
    "unexpected {}: a name cannot start with a digit": (
        "Không đọc được {0}: tên không được bắt đầu bằng chữ số"
    ),
    "unknown escape '\\{}' in string": "Chuỗi chữ có ký tự thoát không hợp lệ '\\{0}'",
    "only \\\\, \\' and \\\" are escapes": "chỉ \\\\, \\' và \\\" là ký tự thoát",
    "unterminated string": "Chuỗi chữ chưa có dấu nháy đóng",
    "unexpected {}": "Không đọc được {0} ở đây",
    "use `{}` instead": "hãy dùng `{0}`",
    "unexpected '.'": "Không đọc được dấu '.' ở đây",
    "write numbers with a leading digit, e.g. `0.5`": (
        "hãy viết số có chữ số đứng đầu, ví dụ `0.5`"
    ),
    "unexpected character {}": "Ký tự không hợp lệ {0}",
    "expression is nested more than {} levels deep": "Biểu thức lồng nhau quá {0} tầng",
    "unbalanced brackets": "các dấu ngoặc chưa khớp nhau",
    "expected an operator or end of expression": "cần một phép toán hoặc kết thúc biểu thức",
    "comparisons cannot be chained": "Không được viết các phép so sánh nối liền nhau",
    "combine them with `and`, e.g. `a <= x and x <= b`": (
        "hãy nối chúng bằng `and`, ví dụ `a <= x and x <= b`"
    ),
    "expected expression{}": "Cần một biểu thức{0}",
    " after {}": " sau {0}",
    "unexpected '+'": "Không đọc được dấu '+' ở đây",
    "unary plus is not supported; drop the '+'": "không dùng dấu '+' đứng trước; hãy bỏ nó",
    "unexpected {}; expected expression{}": "Không đọc được {0}; cần một biểu thức{1}",
    "write `({} ...)`": "hãy viết `({0} ...)`",
    "{} must be parenthesised here": "{0} phải đặt trong ngoặc ở đây",
    "unexpected keyword {}; expected expression": "Không đọc được từ khoá {0}; cần một biểu thức",
    "unknown function {}": "Không có hàm {0}",
    "functions are: {}": "các hàm có: {0}",
    "{}() {}, got {}": "{0}() {1}, nhưng có {2}",
    "takes at least {} arguments": "cần ít nhất {0} đối số",
    "takes {} argument{}": "cần {0} đối số",
    "takes {} to {} arguments": "cần từ {0} đến {1} đối số",
    'date() takes a literal string like "2024-12-31"': (
        'date() cần một chuỗi ngày viết sẵn như "2024-12-31"'
    ),
    "write dates as YYYY-MM-DD": "hãy viết ngày dạng YYYY-MM-DD (năm-tháng-ngày)",
    "invalid date {}": "Ngày không hợp lệ {0}",
    "expected {}, found {}": "Cần {0}, nhưng gặp {1}",
    "to close {}{}": "để đóng {0}{1}",
    " at column {}": " ở cột {0}",
    "end of expression": "cuối biểu thức",
    "empty expression": "Biểu thức trống",
    # -- numbers (rules/_numbers.py) -------------------------------------------------------------
    "expected a number, got {}": "Cần một số, nhưng có {0}",
    "expected a finite number, got {}": "Cần một số hữu hạn, nhưng có {0}",
    "{} has no decimal places": "{0} không có phần thập phân",
    "a percentage is not allowed here: {}": "Ở đây không dùng phần trăm: {0}",
    "use '.' as the decimal separator: {}": "Hãy dùng dấu '.' để ngăn phần thập phân: {0}",
    # -- rule mappings (rules/_spec.py, rules/inputs.py, rules/scoring.py …) -------------------
    "expected a mapping, got {}": "Cần một bảng “khoá: giá trị”, nhưng có {0}",
    "{} must be a list, got {}": "{0} phải là một danh sách, nhưng có {1}",
    "unknown key {}": "Không có khoá {0}",
    "missing key {}": "Thiếu khoá {0}",
    "expected an expression, got {}": "Cần một biểu thức, nhưng có {0}",
    "did you mean `{}`?": "có phải ý bạn là `{0}`?",
    "kinds are: {}": "các loại có: {0}",
    "choices are: {}": "các lựa chọn có: {0}",
    "expected a mapping of input ids": "Cần một bảng “mã đầu vào: khai báo”",
    "invalid input id {}: use lower-case letters, digits and '_'": (
        "Mã đầu vào {0} không hợp lệ: chỉ dùng chữ thường không dấu, chữ số và '_'"
    ),
    "input {} must be a mapping, got {}": "Đầu vào {0} phải là một bảng, nhưng có {1}",
    "input {} has no label": "Đầu vào {0} chưa có nhãn (label)",
    "min ({}) is greater than max ({})": "Giá trị nhỏ nhất ({0}) lớn hơn giá trị lớn nhất ({1})",
    "required must be true or false": "required (bắt buộc) phải là true hoặc false",
    "input {} has no type": "Đầu vào {0} chưa có kiểu (type)",
    "unknown input type {}": "Không có kiểu đầu vào {0}",
    "{} must be a non-empty string": "{0} phải là chữ, không được để trống",
    "{} is only allowed on numeric inputs, not {}": "{0} chỉ dùng cho đầu vào là số, không cho {1}",
    "bad {}: {}": "{0} không hợp lệ: {1}",
    "{} of a count must be a whole number, got {}": "{0} của một số đếm phải là số nguyên, nhưng có {1}",
    "{} of a ratio must lie within [0, 1], got {}": "{0} của một tỉ lệ phải trong [0, 1], nhưng có {1}",
    "min of a count cannot be negative, got {}": "Giá trị nhỏ nhất của số đếm không được âm, nhưng có {0}",
    "choices are only allowed on enum inputs": "Chỉ đầu vào kiểu lựa chọn (enum) mới có choices",
    "enum input {} needs a non-empty list of choices": (
        "Đầu vào lựa chọn {0} cần một danh sách các lựa chọn"
    ),
    "each choice must be a non-empty string": "Mỗi lựa chọn phải là chữ, không được để trống",
    "duplicate choice {}": "Lựa chọn {0} bị lặp lại",
    "adjustment kind must be bonus or penalty, got {}": (
        "Loại điều chỉnh phải là bonus (điểm thưởng) hoặc penalty (điểm trừ), nhưng có {0}"
    ),
    "missing key 'kind'": "Thiếu khoá 'kind' (loại cách chấm)",
    "unknown scoring kind {}": "Không có loại cách chấm {0}",
    "expected kind {}, got {}": "Cần loại {0}, nhưng có {1}",
    "tiers must not be empty": "Danh sách mức (tiers) không được để trống",
    "otherwise must be true": "otherwise (các trường hợp còn lại) phải là true",
    "the otherwise tier must come last": "Mức otherwise (các trường hợp còn lại) phải ở cuối",
    "tier {}": "mức {0}",
    "tiers {} and {}": "các mức {0} và {1}",
    "the condition": "điều kiện",
    "on_zero must be one of {}; got {}": "on_zero (khi mẫu số bằng 0) phải là một trong {0}; nhưng có {1}",
    "denominator is 0: not applicable": "Mẫu số bằng 0: không áp dụng",
    "linear scoring needs at least 2 thresholds, got {}": (
        "Chấm tuyến tính cần ít nhất 2 mốc, nhưng có {0}"
    ),
    "threshold {}": "mốc {0}",
    "threshold {} (at {}) must be above threshold {} (at {})": (
        "Mốc {0} (tại {1#}) phải lớn hơn mốc {2} (tại {3#})"
    ),
    "list thresholds with strictly ascending `at`": "hãy xếp các mốc theo `at` tăng dần",
    "no points submitted": "Chưa nhập điểm",
    "a mapping": "một bảng “khoá: giá trị”",
    "a list": "một danh sách",
    "when ": "khi ",
    "division by zero": "chia cho 0",
    "round() result is too large": "kết quả của round() quá lớn",
    "{} is outside [0, {}]": "{0#} nằm ngoài [0, {1#}]",
    "{} must be {}, got {}": "{0} phải là {1}, nhưng có {2}",
    # -- checks of a rule (rules/checks.py, rules/_tiers_*.py) -------------------------------
    "{} gives {} points, outside [0, {}]": "{0} cho {1#} điểm, nằm ngoài [0, {2#}]",
    "{} cap must be greater than 0, got {}": "Mức trần {0} phải lớn hơn 0, nhưng là {1#}",
    "{} rule {} must give more than 0 points, got {}": (
        "Quy tắc {1} của {0} phải cho nhiều hơn 0 điểm, nhưng cho {2#}"
    ),
    "a penalty's points are subtracted, so write them as positive numbers": (
        "điểm trừ được trừ đi, nên hãy viết bằng số dương"
    ),
    "{} overlap at {}": "{0} chồng lên nhau tại {1}",
    "{} overlap for every value": "{0} chồng lên nhau ở mọi giá trị",
    "no tier covers {}": "Không mức nào áp dụng cho {0}",
    "any value": "giá trị nào",
    "the otherwise tier (tier {}) is unreachable: {} cover every value": (
        "Mức còn lại (mức {0}) không bao giờ được dùng: {1} đã bao mọi giá trị"
    ),
    "tier {} can never apply: its condition is false for every allowed value": (
        "Mức {0} không bao giờ áp dụng: điều kiện của nó sai với mọi giá trị cho phép"
    ),
    "tier {} never applies: earlier tiers already cover every value where it holds": (
        "Mức {0} không bao giờ áp dụng: các mức trước đã bao mọi giá trị mà điều kiện của nó đúng"
    ),
    "tier {} may never apply: {} in {} sampled values": (
        "Mức {0} có thể không bao giờ áp dụng: {1} trong {2} giá trị được thử"
    ),
    "earlier tiers held wherever it did": "các mức trước đều đúng ở mọi chỗ nó đúng",
    "its condition was never true": "điều kiện của nó chưa bao giờ đúng",
    "in {}{}, {}{}": "trong {0}{1}, {2}{3}",
}

# Single words the parts of a message are made of: types, kinds, connectives.
_WORDS: dict[str, str] = {
    "number": "số",
    "bool": "đúng/sai",
    "string": "chữ",
    "date": "ngày",
    "list": "danh sách",
    "ratio": "tỉ lệ",
    "count": "số đếm",
    "enum": "lựa chọn",
    "nothing": "không có gì",
    "true/false": "đúng/sai",
    "str": "chữ",
    "int": "số nguyên",
    "float": "số",
    "dict": "một bảng",
    "condition": "điều kiện",
    "expression": "biểu thức",
    "bonus": "điểm thưởng",
    "penalty": "điểm trừ",
    "field": "lĩnh vực",
    "fields": "lĩnh vực",
    "criterion": "tiêu chí",
    "criteria": "tiêu chí",
    "sub_criterion": "tiêu chí thành phần",
    "sub_criteria": "tiêu chí thành phần",
    "top level": "cấp cao nhất",
}
# Connectives inside a part that is not a whole message (a tier gap: `x in [0, 1) when
# y = 2 or …`), said word for word.
_CONNECTIVES = (
    (" in [", " trong ["),
    (" in (", " trong ("),
    (" when ", " khi "),
    (" or ", " hoặc "),
)


_DECIMAL = re.compile(r"-?\d+(?:\.\d+)?")


# What PyYAML says about text it cannot read (the part of "malformed YAML: {}"): not
# ours, so an open set; what no pattern knows is said in general words.
_YAML: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"mapping values are not allowed here"), "không được viết “khoá: giá trị” ở đây"),
    (
        re.compile(r"found character '(.*)' that cannot start any token"),
        "ký tự '{0}' không được đứng ở đây",
    ),
    (
        re.compile(r"(?:did not find )?expected '(.)' or '(.)'(?:, but (?:got|found) .*)?"),
        "thiếu dấu '{0}' hoặc '{1}'",
    ),
    (re.compile(r"could not find expected ':'"), "thiếu dấu ':'"),
    (re.compile(r"found unexpected end of stream"), "văn bản kết thúc khi chưa đóng dấu nháy"),
    (re.compile(r"found undefined alias '(.*)'"), "không có tham chiếu '{0}'"),
    (
        re.compile(r"expected <block end>, but found .*"),
        "thụt lề không đúng: các dòng cùng cấp phải thẳng hàng",
    ),
    (re.compile(r"expected the node content, but found '(.*)'"), "không đọc được dấu '{0}' ở đây"),
    (re.compile(r"found duplicate anchor.*"), "tham chiếu bị khai báo hai lần"),
]


def vi_yaml_problem(text: str) -> str:
    """PyYAML's reason a text is not YAML, in Vietnamese."""
    for pattern, vietnamese in _YAML:
        match = pattern.fullmatch(text.strip())
        if match:
            return vietnamese.format(*match.groups())
    return "cấu trúc YAML không đúng (dấu hai chấm, thụt lề hoặc dấu ngoặc)"


# Templates with two parts side by side, which no plain pattern can tell apart.
_SHAPES = {
    "to close {}{}": r"to close (.*?)((?: at column \d+)?)",
    "in {}{}, {}{}": r"in ([\[(])(.*?), (.*?)([\])])",
}
_FIELD = re.compile(r"\{(\d+)(#?)\}")


@cache
def _compiled() -> list[tuple[re.Pattern[str], str]]:
    """Every template as a pattern, the most specific (longest fixed text) first."""
    out = []
    for english, vietnamese in CATALOG.items():
        pieces = english.split("{}")
        pattern = _SHAPES.get(english) or "(.*?)".join(re.escape(p) for p in pieces)
        out.append((re.compile(pattern, re.S), vietnamese, len("".join(pieces))))
    out.sort(key=lambda item: -item[2])
    return [(p, v) for p, v, _ in out]


def vi_check(text: str) -> str | None:
    """``text`` in Vietnamese when it is one of the checker's or validation's messages
    (or a suggestion), else None."""
    for pattern, vietnamese in _compiled():
        match = pattern.fullmatch(text)
        if match:
            say = _PARTS.get(pattern.pattern, _part)
            return _fill(vietnamese, [say(g) for g in match.groups()])
    return None


_PARTS = {re.escape("malformed YAML: ") + "(.*?)": vi_yaml_problem}


def _fill(vietnamese: str, parts: list[str]) -> str:
    def field(f: re.Match[str]) -> str:
        part = parts[int(f[1])]
        return _number(part) if f[2] else part

    return _FIELD.sub(field, vietnamese)


def _number(text: str) -> str:
    """A number as the pages write one (``{2#}`` in an entry: a number of points)."""
    return vi_number(text) if _DECIMAL.fullmatch(text) else text


def _part(text: str) -> str:
    """One interpolated part: a message, a word, or a name or value kept as written."""
    if not text or text.startswith(("'", '"', "`")):
        return text
    if text in _WORDS:
        return _WORDS[text]
    found = vi_check(text)
    if found is not None:
        return found
    for english, vietnamese in _CONNECTIVES:
        text = text.replace(english, vietnamese)
    return text
