"""One vocabulary of change kinds and causes: every report, chart and document reads its
words from `methodology/change_kinds.py`, and nothing else spells them."""

from __future__ import annotations

import ast
import io
import re
import tokenize
import unicodedata
from decimal import Decimal
from pathlib import Path

import pytest

from evaluators.analysis.attribution import Entry
from methodology import (
    CAUSES,
    CHANGE_KINDS,
    Change,
    cause,
    cause_label,
    cause_order,
    change_kind,
)
from methodology.diff import KINDS

ROOT = Path(__file__).resolve().parents[2]
TABLE = ROOT / "methodology" / "change_kinds.py"
PACKAGES = ("rules", "methodology", "evaluators", "server")
# Wordings the three old vocabularies used and the table retired.
RETIRED = ("Thêm mới", "đổi số thứ tự", "số liệu đầu vào", "Thay đổi cách chấm")


def _sources() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py") if p != TABLE)


def _strings(path: Path) -> list[tuple[int, str]]:
    """The string literals of a module (f-strings included), with their line."""
    tokens = tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline)
    return [(t.start[0], t.string) for t in tokens if t.type == tokenize.STRING]


def test_ids_are_unique_and_labels_distinct_nfc_sentence_case():
    for table in (CHANGE_KINDS, CAUSES):
        ids = [entry.id for entry in table]
        assert len(set(ids)) == len(ids)
        for lang in ("en", "vi"):
            labels = [getattr(entry, lang) for entry in table]
            assert len(set(labels)) == len(labels), f"two entries share a {lang} label"
            for label in labels:
                assert label == unicodedata.normalize("NFC", label) == label.strip()
                assert label[0].isupper(), label
    assert tuple(k.id for k in CHANGE_KINDS) == KINDS


def test_an_id_in_both_tables_means_the_same_thing():
    kinds = {k.id: k for k in CHANGE_KINDS}
    for c in CAUSES:
        if c.id in kinds:
            assert c.kind is kinds[c.id]
            assert (c.en, c.vi) == (kinds[c.id].en, kinds[c.id].vi)
        else:
            assert c.kind is None


def test_the_ministry_words_and_one_word_per_kind():
    assert change_kind("added").vi == "Tiêu chí mới"
    assert change_kind("removed").vi == "Bãi bỏ"
    assert change_kind("renamed").vi == "Đổi tên"
    assert change_kind("renumbered").vi == "Đánh số lại"
    assert cause_label("rule_changed") == change_kind("rule_changed").vi


def test_lookups_name_what_is_unknown():
    with pytest.raises(KeyError, match=r"frobbed.*kinds are: added, removed"):
        change_kind("frobbed")
    with pytest.raises(KeyError, match=r"frobbed.*causes are: performance, removed"):
        cause("frobbed")
    assert cause_label("made_elsewhere") == "made_elsewhere"
    assert cause_order(["rounding", "zz", "added", "performance", "added", "aa"]) == [
        "performance",
        "added",
        "rounding",
        "aa",
        "zz",
    ]


def test_only_the_kinds_that_never_move_points_are_listed_at_zero():
    # The audit lists renamed and moved nodes with amount 0 (docs/audit.md): exactly the
    # causes whose kind cannot move points.
    from evaluators.analysis.attribution import _LISTED

    assert {"renamed", "moved"} == _LISTED
    assert all(not change_kind(k).moves_points for k in _LISTED)


def test_a_change_or_an_entry_of_an_unknown_kind_cannot_be_made():
    with pytest.raises(KeyError, match="unknown change kind 'frobbed'"):
        Change("frobbed", "n", "1.1", "Tiêu chí")
    with pytest.raises(KeyError, match="unknown cause 'frobbed'"):
        Entry("frobbed", None, None, None, Decimal(0))


def _first_strings(tree: ast.AST, call: str) -> set[str]:
    """The string a call ``call(...)``/``x.call((...))`` or a ``return "...", …``
    starts with: how the diff and the attribution name the kind or cause they make."""
    found: set[str] = set()
    for node in ast.walk(tree):
        first = None
        if isinstance(node, ast.Call) and node.args:
            name = getattr(node.func, "attr", getattr(node.func, "id", None))
            if name == call:
                first = node.args[0]
                if isinstance(first, ast.Tuple) and first.elts:
                    first = first.elts[0]
        elif isinstance(node, ast.Return) and isinstance(node.value, ast.Tuple):
            first = node.value.elts[0] if node.value.elts else None
        elif isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id in ("kind", "cause") for t in node.targets
        ):
            first = node.value
        found |= _literal(first)
    return found


def _literal(expr: ast.AST | None) -> set[str]:
    """The strings an expression can be: a literal, or either branch of ``a if c else b``."""
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return {expr.value}
    if isinstance(expr, ast.IfExp):
        return _literal(expr.body) | _literal(expr.orelse)
    return set()


def test_every_kind_the_diff_makes_and_every_cause_an_audit_makes_is_in_the_table():
    kinds = set()
    for name in ("diff.py", "_diff_render.py"):
        tree = ast.parse((ROOT / "methodology" / name).read_text(encoding="utf-8"))
        kinds |= _first_strings(tree, "_change")
    ids = {k.id for k in CHANGE_KINDS}
    made = {k for k in kinds if re.fullmatch(r"[a-z_]+", k)}
    assert {"added", "removed", "renamed", "moved", "applicability_changed"} <= made
    assert made <= ids, made - ids

    causes = set()
    for name in ("attribution.py", "audit.py", "trend.py"):
        tree = ast.parse((ROOT / "evaluators" / "analysis" / name).read_text(encoding="utf-8"))
        causes |= _first_strings(tree, "append")
    # these modules also render their reports (`lines.append("")`): ids are snake_case
    causes = {c for c in causes if re.fullmatch(r"[a-z_]+", c)}
    assert {"performance", "added", "removed", "policy_changed", "rounding"} <= causes
    assert causes <= {c.id for c in CAUSES}, causes - {c.id for c in CAUSES}


def test_no_module_but_the_table_spells_a_label():
    labels = {entry.vi for table in (CHANGE_KINDS, CAUSES) for entry in table}
    found = []
    for path in _sources():
        for line, literal in _strings(path):
            text = unicodedata.normalize("NFC", literal)
            try:
                bare = str(ast.literal_eval(text)).strip(" |“”")
            except ValueError:  # an f-string
                bare = text
            hits = [w for w in labels if w in text or bare == w.lower()]
            hits += [w for w in RETIRED if w.lower() in text.lower()]
            if hits:
                found.append(f"{path.relative_to(ROOT)}:{line}: {hits}")
    assert not found, "use methodology.change_kind()/cause_label():\n" + "\n".join(found)


def test_the_docs_list_every_kind_and_cause_with_the_table_words():
    text = (ROOT / "docs" / "audit.md").read_text(encoding="utf-8")

    def rows(header: str) -> list[tuple[str, ...]]:
        block = text[text.index(f"| {header} | in reports |") :].split("\n\n", 1)[0]
        return [
            m.groups() for m in re.finditer(r"^\| `(\w+)` \| ([^|]+?) \| ([^|]+?) \|", block, re.M)
        ]

    assert [r[:2] for r in rows("cause")] == [(c.id, c.vi) for c in CAUSES]
    moves = {True: "yes", False: "no"}
    assert rows("kind") == [(k.id, k.vi, moves[k.moves_points]) for k in CHANGE_KINDS]
