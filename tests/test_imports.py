"""The shape of the code, checked over its source with `ast`: no import cycle among our
modules, imports only flow down the layers (rules ← methodology ← evaluators ← server),
and a package is used by the others only through the names its ``__init__`` exports."""

from __future__ import annotations

import ast
import importlib
import types
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("rules", "methodology", "evaluators", "server")
# alembic's revision scripts are loaded by alembic from their folder, not imported
SKIPPED = ("server/migrations",)


@dataclass(frozen=True)
class Import:
    module: str  # the importing module
    line: int
    target: str  # the module named by the statement
    names: tuple[str, ...]  # for ``from target import names``; () for ``import target``
    typing_only: bool  # under ``if TYPE_CHECKING:``


def _modules() -> dict[str, Path]:
    found = {}
    for layer in LAYERS:
        for path in sorted((ROOT / layer).rglob("*.py")):
            rel = path.relative_to(ROOT)
            if any(rel.as_posix().startswith(s) for s in SKIPPED):
                continue
            parts = list(rel.with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


MODULES = _modules()


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(module: str, path: Path) -> list[Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out: list[Import] = []

    def visit(node: ast.AST, typing_only: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                for stmt in child.body:
                    visit_stmt(stmt, True)
                for stmt in child.orelse:
                    visit_stmt(stmt, typing_only)
                continue
            visit_stmt(child, typing_only)

    def visit_stmt(node: ast.AST, typing_only: bool) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                out.append(Import(module, node.lineno, alias.name, (), typing_only))
        elif isinstance(node, ast.ImportFrom):
            target = node.module or ""
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, target] if target else base)
            names = tuple(a.name for a in node.names)
            out.append(Import(module, node.lineno, target, names, typing_only))
        else:
            visit(node, typing_only)

    visit(tree, False)
    return [i for i in out if i.target.split(".")[0] in LAYERS]


IMPORTS = {m: _imports(m, p) for m, p in MODULES.items()}


def _edges(imp: Import) -> set[str]:
    """The modules of ours that executing ``imp`` runs (parent packages aside: Python
    has them in `sys.modules` before their children, so an import of oneself or of one's
    own ancestor runs nothing)."""
    found = {imp.target} if imp.target in MODULES else set()
    for name in imp.names:
        if f"{imp.target}.{name}" in MODULES:
            found.add(f"{imp.target}.{name}")
    return {m for m in found if m != imp.module and not imp.module.startswith(m + ".")}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return found


def _graph(*, typing_only: bool) -> dict[str, set[str]]:
    return {
        m: {t for i in imps if typing_only or not i.typing_only for t in _edges(i)}
        for m, imps in IMPORTS.items()
    }


def test_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles() -> None:
    """Imports inside functions count too: a lazy import that dodges a circle is one.
    Imports only a type checker runs (``if TYPE_CHECKING:``) are never executed."""
    assert _cycles(_graph(typing_only=False)) == []


def test_imports_flow_down_the_layers() -> None:
    rank = {layer: n for n, layer in enumerate(LAYERS)}
    upward = [
        f"{MODULES[i.module].relative_to(ROOT)}:{i.line} imports {i.target}"
        for imps in IMPORTS.values()
        for i in imps
        if rank[i.target.split(".")[0]] > rank[i.module.split(".")[0]]
    ]
    assert upward == []


def _public(package: str) -> set[str]:
    return set(importlib.import_module(package).__all__)


def test_other_packages_import_only_exported_names() -> None:
    """``from rules import X`` with X in ``rules.__all__`` is the only way into another
    package: its modules are its own to rearrange."""
    strays = []
    for imps in IMPORTS.values():
        for i in imps:
            home, target = i.module.split(".")[0], i.target.split(".")[0]
            if home == target:
                continue
            if i.target != target or not i.names:
                strays.append(f"{MODULES[i.module].relative_to(ROOT)}:{i.line} {i.target}")
                continue
            strays += [
                f"{MODULES[i.module].relative_to(ROOT)}:{i.line} {target}.{name}"
                for name in i.names
                if name not in _public(target)
            ]
    assert strays == []


@pytest.mark.parametrize("module", sorted(MODULES))
def test_exported_members_exist(module: str) -> None:
    """Every name a module lists in ``__all__`` is there; its classes and functions are
    ours (not a re-export of a library's)."""
    if module.endswith("__main__"):
        pytest.skip("runs the command line when imported")
    mod = importlib.import_module(module)
    for name in getattr(mod, "__all__", ()):
        member = getattr(mod, name)  # AttributeError names the missing member
        if isinstance(member, type | types.FunctionType):
            home = member.__module__
            assert home.split(".")[0] in LAYERS, f"{module}.{name} comes from {home}"


def test_the_import_reader_sees_lazy_typing_and_relative_imports(tmp_path: Path) -> None:
    source = tmp_path / "m.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "from . import sibling\n"
        "if TYPE_CHECKING:\n"
        "    from server.app import create_app\n"
        "def f():\n"
        "    import evaluators.runner\n",
        encoding="utf-8",
    )
    found = {(i.target, i.names, i.typing_only) for i in _imports("rules.m", source)}
    assert found == {
        ("rules", ("sibling",), False),
        ("server.app", ("create_app",), True),
        ("evaluators.runner", (), False),
    }
