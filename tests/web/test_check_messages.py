"""The rule checker's and methodology validation's messages reach a page in Vietnamese.

Every message template is read from the source of `rules` and `methodology` (the
arguments of the calls that raise or report a problem, and the texts helpers return
to be put into one); `server.check_messages.CATALOG` must say each in Vietnamese,
and hold nothing no source writes. Then a range of bad rules, nodes, overlays and whole
methodologies is checked for real and every problem, with its suggestion, is said
without an English word left."""

from __future__ import annotations

import ast
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import yaml

from methodology import load_directory, parse_overlay, validate
from server.check_messages import CATALOG, vi_check
from server.web.messages import vi_detail, vi_problem

ROOT = Path(__file__).resolve().parents[2]
# What a methodology's author can meet: the rule language (but its renderer, whose
# texts are rules, and the package's `__init__`) and the methodology's files,
# validation, overlay and edits.
SOURCES = sorted(
    [p for p in (ROOT / "rules").glob("*.py") if p.name not in ("_render.py", "__init__.py")]
    + [
        ROOT / "methodology" / name
        for name in (
            "_frontmatter.py",
            "authoring.py",
            "derive.py",
            "node.py",
            "tree.py",
            "validate.py",
        )
    ]
)
# Raised only at a programmer registering a scoring kind or an operator, never at a
# methodology's author.
DEVELOPER_FUNCTIONS = {"register_kind", "register_operator", "_problem"}
# Part of a rule's wording in Vietnamese (`rules.Scoring.describe`), for people already.
WORDING_FUNCTIONS = {"_phrase"}
DEVELOPER_ERRORS = {"NotImplementedError", "TypeError", "KeyError"}
REPORTING = {"message", "suggestion"}
WORD = re.compile(r"[A-Za-z]{2,}")
# a letter only Vietnamese writes: such a text is Vietnamese already
VIETNAMESE = re.compile(r"[àáạảãâầấậẩẫăằắặẳẵèéẹẻẽêềếệểễìíịỉĩòóọỏõôồốộổỗơờớợởỡùúụủũưừứựửữỳýỵỷỹđ]")


def _template(node: ast.expr) -> str | None:
    """The text of a literal or f-string, each interpolated part a ``{}`` (a
    ``str.format`` field such as ``{got}`` too)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        text = node.value
    elif isinstance(node, ast.JoinedStr):
        text = "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _template(node.left), _template(node.right)
        if left is None and right is None:
            return None
        text = (left if left is not None else "{}") + (right if right is not None else "{}")
    else:
        return None
    return re.sub(r"\{[a-z_]+\}", "{}", text)


def _texts(node: ast.expr) -> Iterator[str]:
    """Every template ``node`` may be: itself, either branch, either side of a ``+``."""
    text = _template(node)
    if text is not None:
        yield text
    if isinstance(node, ast.IfExp):
        yield from _texts(node.body)
        yield from _texts(node.orelse)
    if isinstance(node, ast.BoolOp | ast.Tuple | ast.List):
        for value in node.values if isinstance(node, ast.BoolOp) else node.elts:
            yield from _texts(value)
    if isinstance(node, ast.BinOp):
        for side in (node.left, node.right):
            if not isinstance(side, ast.Constant | ast.JoinedStr):
                yield from _texts(side)


def _is_message(text: str) -> bool:
    words = WORD.findall(text.replace("{}", ""))
    return " " in text and bool(words) and not VIETNAMESE.search(text)


def source_messages() -> dict[str, str]:
    """Every English message template of the sources → where one is written."""
    found: dict[str, str] = {}
    for path in SOURCES:
        for node in _walk(ast.parse(path.read_text(encoding="utf-8"))):
            values: list[ast.expr] = []
            if isinstance(node, ast.Call):
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if name in DEVELOPER_ERRORS or name in ("join", "split", "replace", "Operator"):
                    continue
                values = [*node.args, *(k.value for k in node.keywords if k.arg in REPORTING)]
            elif isinstance(node, ast.Return | ast.Assign) and node.value is not None:
                values = [node.value]
            for value in values:
                for text in _texts(value):
                    if _is_message(text):
                        found.setdefault(text, f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def _walk(node: ast.AST) -> Iterator[ast.AST]:
    """Every node of a module but those of the functions that write no message for a
    methodology's author."""
    yield node
    for child in ast.iter_child_nodes(node):
        skipped = DEVELOPER_FUNCTIONS | WORDING_FUNCTIONS
        if isinstance(child, ast.FunctionDef) and child.name in skipped:
            continue
        yield from _walk(child)


def test_every_message_the_checker_or_validation_writes_has_a_vietnamese_entry():
    found = source_messages()
    assert len(found) > 150  # the reader finds them (a broken reader finds none)
    missing = {text: where for text, where in found.items() if text not in CATALOG}
    assert missing == {}


def test_the_catalog_holds_only_what_a_source_writes():
    found = source_messages()
    assert sorted(set(CATALOG) - set(found)) == []


def test_every_entry_keeps_the_parts_of_its_message():
    for english, vietnamese in CATALOG.items():
        fields = [int(n) for n in re.findall(r"\{(\d+)#?\}", vietnamese)]
        parts = range(english.count("{}"))
        # an English plural ending (`argument{}`) has no Vietnamese word to go to
        expected = list(parts)[:-1] if english.endswith("argument{}") else list(parts)
        assert sorted(fields) == expected, english
        assert not _english_left(re.sub(r"\{\d+#?\}", "", vietnamese)), english


# -- a range of bad rules, nodes, overlays and methodologies ---------------------------

LEAF = (
    ROOT
    / "methodology/bundled/par-provincial/2019/cai-cach-tthc/mot-cua-lien-thong"
    / "cap-nhat-mot-cua-dien-tu.md"
)
RATIO = "ty_le_ho_so_cap_nhat_mot_cua_dien_tu"
# English words a message could leave untranslated (names and values are quoted)
ENGLISH = re.compile(
    r"\b(the|must|is|are|of|got|expected|unknown|missing|invalid|not|cannot|needs|with|"
    r"and|or|has|have|never|tier|tiers|value|values|found|use|write|did|you|mean|"
    r"unexpected|empty|every|only|list|number|mapping|string|name|key|found|points|"
    r"overlap|covers|apply|applies|after|close|column|takes|arguments|duplicate|choice)\b"
)
# quoted names and values, and a YAML key named in brackets after its Vietnamese words
QUOTED = re.compile(r"'[^']*'|`[^`]*`|\"[^\"]*\"|“[^”]*”|\{[^}]*\}|\[[^\]]*\]|\([a-z_]+\)")


def _english_left(text: str) -> list[str]:
    return ENGLISH.findall(QUOTED.sub("", text))


def _node(**changes: object) -> str:
    _, front, guidance = LEAF.read_text(encoding="utf-8").split("---", 2)
    data = yaml.safe_load(front)
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return f"---\n{yaml.safe_dump(data, allow_unicode=True, sort_keys=False)}---{guidance}"


def _tiers(*rows: dict) -> dict:
    return {"kind": "tiers", "tiers": list(rows)}


OK_LAST = {"otherwise": True, "points": 0}
BAD_RULES = {
    "unknown name": _tiers({"when": "ty_le >= 100%", "points": 0.5}, OK_LAST),
    "syntax": _tiers({"when": f"{RATIO} >= ", "points": 0.5}, OK_LAST),
    "unbalanced": _tiers({"when": f"({RATIO} >= 1", "points": 0.5}, OK_LAST),
    "chained": _tiers({"when": f"0 < {RATIO} < 1", "points": 0.5}, OK_LAST),
    "foreign operator": _tiers({"when": f"{RATIO} >= 1 && {RATIO} < 2", "points": 0.5}, OK_LAST),
    "types": _tiers({"when": f"{RATIO} + true", "points": 0.5}, OK_LAST),
    "not a condition": _tiers({"when": f"{RATIO} * 2", "points": 0.5}, OK_LAST),
    "unknown function": _tiers({"when": f"maxx({RATIO}, 1) > 0", "points": 0.5}, OK_LAST),
    "arity": _tiers({"when": f"max({RATIO}) > 0", "points": 0.5}, OK_LAST),
    "string": _tiers({"when": f'{RATIO} == "a', "points": 0.5}, OK_LAST),
    "digit name": _tiers({"when": f"1abc > {RATIO}", "points": 0.5}, OK_LAST),
    "gap": _tiers({"when": f"{RATIO} >= 90%", "points": 0.5}),
    "overlap": _tiers(
        {"when": f"{RATIO} >= 50%", "points": 0.5},
        {"when": f"{RATIO} >= 40%", "points": 0.25},
        OK_LAST,
    ),
    "unreachable": _tiers(
        {"when": f"{RATIO} >= 0%", "points": 0.5}, {"when": f"{RATIO} > 50%", "points": 0.25}
    ),
    "points out of range": _tiers({"when": f"{RATIO} >= 90%", "points": 3}, OK_LAST),
    "otherwise first": _tiers(OK_LAST, {"when": f"{RATIO} >= 90%", "points": 0.5}),
    "no tiers": {"kind": "tiers", "tiers": []},
    "unknown key": _tiers({"whn": f"{RATIO} >= 90%", "points": 0.5}, OK_LAST),
    "missing kind": {"tiers": []},
    "unknown kind": {"kind": "tier"},
    "bad points": _tiers({"when": f"{RATIO} >= 90%", "points": "nhiều"}, OK_LAST),
    "comma points": _tiers({"when": f"{RATIO} >= 90%", "points": "0,5"}, OK_LAST),
    "linear": {"kind": "linear", "of": RATIO, "points": [{"at": 1, "points": 0.5}]},
    "linear order": {
        "kind": "linear",
        "of": RATIO,
        "points": [{"at": 1, "points": 0}, {"at": 0.5, "points": 0.5}],
    },
    "ratio zero": {"kind": "ratio", "numerator": RATIO, "denominator": "0", "on_zero": "x"},
    "unreachable max": _tiers({"when": f"{RATIO} >= 90%", "points": 0.25}, OK_LAST),
}
BAD_NODES = {
    "no title": {"title": None},
    "bad id": {"id": "Cap Nhat"},
    "negative points": {"max_points": -1},
    "comma points": {"max_points": "0,5"},
    "unknown key": {"titel": "x"},
    "bad inputs": {"inputs": {RATIO: {"type": "ratoi", "label": "Tỷ lệ"}}},
    "no label": {"inputs": {RATIO: {"type": "ratio"}}},
    "ratio bounds": {"inputs": {RATIO: {"type": "ratio", "label": "x", "min": 2}}},
    "enum": {"inputs": {RATIO: {"type": "enum", "label": "x", "choices": ["a", "a"]}}},
    "evidence": {"evidence": "một tài liệu"},
    "source": {"source": {"illustrative": "có"}},
    "penalty": {"penalty": {"cap": 0, "rules": [{"when": f"{RATIO} < 1", "points": -1}]}},
    "assessed by": {"assessed_by": "ai"},
}
BAD_OVERLAYS = [
    "- a\n- b\n",
    "remove: [{reason: x}]\noverride: 3\nrescale: [{nodes: x, total: -1}]\nxoa: []\n",
    "override:\n  cap-nhat-mot-cua-dien-tu: 3\n",
    "override:\n  cap-nhat-mot-cua-dien-tu: {id: x}\n",
    "remove: [x\n",
]


def _problems(folder: Path) -> Iterator[tuple[str, object]]:
    """Each bad rule and node in the leaf's place, the whole methodology validated."""
    leaf = folder / LEAF.relative_to(LEAF.parents[2])
    cases = [(f"rule {n}", {"scoring": r}) for n, r in BAD_RULES.items()]
    cases += [(f"node {n}", changes) for n, changes in BAD_NODES.items()]
    for case, changes in cases:
        leaf.write_text(_node(**changes), encoding="utf-8")
        problems = validate(load_directory(folder)).problems
        assert problems, case
        for p in problems:
            yield case, p
    for text in BAD_OVERLAYS:
        _, problems = parse_overlay(text, file="overlay.yaml")
        assert problems, text
        for p in problems:
            yield f"overlay {text!r}", p


def test_bad_rules_nodes_and_overlays_are_said_in_vietnamese(tmp_path):
    folder = tmp_path / "par-provincial"
    shutil.copytree(LEAF.parents[2], folder)
    said = 0
    for case, p in _problems(folder):
        for text in (p.message, p.suggestion):
            if text and not VIETNAMESE.search(text):
                assert vi_check(text) is not None, (case, text)
        shown = vi_problem(p.message, p.suggestion)
        assert _english_left(shown) == [], (case, p.message, p.suggestion, shown)
        said += 1
    assert said > 40


def test_a_broken_methodology_is_said_in_vietnamese(tmp_path):
    """Whole-methodology problems: points that no longer add up, a duplicate code, an
    input no rule reads, a leaf without a rule, a missing guidance."""
    folder = tmp_path / "par-provincial"
    shutil.copytree(LEAF.parents[2], folder)
    leaf = folder / LEAF.relative_to(LEAF.parents[2])
    leaf.write_text(_node(max_points=3, code="3.3.2"), encoding="utf-8")
    sibling = leaf.with_name("thu-moi.md")
    sibling.write_text(
        _node(id="thu-moi", code="3.3.9", scoring=None).replace(
            "Đạt 100%: 0,5 điểm. Từ 90% đến dưới 100%: 0,25 điểm. Dưới 90%: 0 điểm.", ""
        ),
        encoding="utf-8",
    )
    report = validate(load_directory(folder))
    codes = {p.code for p in report.problems}
    assert {"children-exceed-parent", "duplicate-code", "missing-scoring"} <= codes, codes
    for p in report.problems:
        shown = vi_problem(p.message, p.suggestion)
        assert VIETNAMESE.search(p.message) or vi_check(p.message) is not None, p.message
        assert _english_left(shown) == [], (p.message, shown)


def test_the_api_joined_form_is_split_and_said():
    # put_node's 422 joins a problem and its suggestion: `message (suggestion)`
    detail = "unknown name 'ty_le' (did you mean `ty_le_ho_so`?)"
    assert vi_detail(detail) == (
        "Không có tên 'ty_le' (không phải đầu vào hay dữ kiện nào). "
        "Gợi ý: có phải ý bạn là `ty_le_ho_so`?"
    )
    assert vi_detail("children of 3.3 'x' add up to 1.5, more than its max_points 1") == (
        "Các mục con của 3.3 'x' cộng lại được 1,5 điểm, nhiều hơn điểm tối đa 1"
    )


def test_the_services_own_refusals_are_said_in_vietnamese():
    """Details the services and page handlers write themselves, beside the checker's."""
    assert vi_detail("invalid node 'Tiêu chí 1'") == (
        "Mã mục 'Tiêu chí 1' không hợp lệ: chỉ gồm chữ thường không dấu, chữ số, '-' và "
        "'_', bắt đầu bằng chữ hoặc số."
    )
    assert vi_detail("invalid cohort 'A B'").startswith("Mã nhóm đơn vị 'A B' không hợp lệ")
    assert vi_detail("the sensitivity parameters are invalid").startswith(
        "Thông số phân tích độ nhạy chưa hợp lệ"
    )
    assert "không khớp" in vi_detail("the form's rows do not line up")
