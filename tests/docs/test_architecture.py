"""docs/architecture.md names real things: every path, dotted name, route and test it
shows in `code` exists, so the page cannot drift from the code it describes.

A code span is read as
- a path when it has a `/` (`server/deps.py`, `evaluators/scoring/`): it exists under
  the repository's root — unless "(planned)" follows it, and then it must not exist yet;
- a dotted name when it starts with a package (`evaluators.scoring.plan._Plan.prepare`):
  the longest importable module, then attributes; a name taken from a package that has an
  `__all__` is in it, so `rules.register_kind` also says "public";
- a route (`POST /api/evaluations`): the OpenAPI document serves it with that method;
- a test name (`test_no_import_cycles`): some module under `tests/` defines it;
- a command (`parindex rank`): the command line has it (commands that run are shown in
  README.md, whose every command `test_documented_commands.py` runs).
Spans that are none of these (options, snippets of code) are prose; a span is kept on
one line, so that none escapes the reading by wrapping.
"""

from __future__ import annotations

import importlib
import re
import types
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "architecture.md"
LAYERS = ("rules", "methodology", "evaluators", "server")

SPAN = re.compile(r"`([^`]+)`(\s*\(planned\))?")
PATH = re.compile(r"^[\w.-]+(?:/[\w.-]+)*/?$")
DOTTED = re.compile(rf"^(?:{'|'.join(LAYERS)})(?:\.\w+)+$")
ROUTE = re.compile(r"^(GET|POST|PUT|PATCH|DELETE) (/\S+)$")
TEST = re.compile(r"^test_\w+$")
COMMAND = re.compile(r"^parindex( [a-z][\w-]*)?")


def _prose(text: str) -> str:
    """The page without its fenced blocks, whose lines are pictures, not references."""
    kept, fenced = [], False
    for line in text.splitlines():
        if line.strip().startswith("```"):
            fenced = not fenced
        elif not fenced:
            kept.append(line)
    return "\n".join(kept)


def spans(text: str) -> list[tuple[str, bool]]:
    """(code, planned) for every code span outside fenced blocks, in order."""
    return [(m.group(1).strip(), bool(m.group(2))) for m in SPAN.finditer(_prose(text))]


SPANS = spans(PAGE.read_text(encoding="utf-8"))
PATHS = sorted({(c, p) for c, p in SPANS if "/" in c and PATH.match(c)})
NAMES = sorted({c for c, _ in SPANS if DOTTED.match(c)})
ROUTES = sorted({c for c, _ in SPANS if ROUTE.match(c)})
TESTS = sorted({c for c, _ in SPANS if TEST.match(c)})
COMMANDS = sorted({c for c, _ in SPANS if COMMAND.match(c)})


def resolve(name: str) -> Any:
    """The object a dotted name stands for; AttributeError or ImportError if there is
    none, AssertionError if a package's `__all__` does not list a name taken from it."""
    parts = name.split(".")
    for i in range(len(parts), 0, -1):
        module_name = ".".join(parts[:i])
        try:
            found: Any = importlib.import_module(module_name)
            break
        except ModuleNotFoundError as exc:
            if exc.name is None or not module_name.startswith(exc.name):
                raise  # a module that exists failed to import: not ours to hide
    else:  # pragma: no cover - DOTTED starts every name with a package
        raise ImportError(name)
    if len(parts) == 2:  # `methodology.validate` is a module too; the page means the name
        public = getattr(importlib.import_module(parts[0]), "__all__", None)
        assert public is None or parts[1] in public, f"{parts[0]}.__all__ lacks {parts[1]}"
    for attr in parts[i:]:
        if isinstance(found, types.ModuleType) and hasattr(found, "__path__"):
            public = getattr(found, "__all__", None)
            assert public is None or attr in public, f"{found.__name__}.__all__ lacks {attr}"
        found = getattr(found, attr)
    return found


def test_the_page_is_read_at_all():
    """Each kind of reference is found, so a broken reader cannot pass by finding none."""
    assert len(PATHS) > 20 and len(NAMES) > 50 and ROUTES and TESTS and COMMANDS
    assert [c for c, _ in SPANS if "\n" in c] == [], "a code span wraps a line"


def test_the_reader_tells_kinds_apart():
    text = (
        "`server/deps.py` and `server/pages/` (planned), `evaluators.score_many`,\n"
        "`GET /api/rankings`, `test_no_import_cycles`, `parindex --help`\n"
        "```\nrules  ←  `not/a/reference.py`\n```\n"
    )
    found = spans(text)
    assert found == [
        ("server/deps.py", False),
        ("server/pages/", True),
        ("evaluators.score_many", False),
        ("GET /api/rankings", False),
        ("test_no_import_cycles", False),
        ("parindex --help", False),
    ]


def test_the_resolver_refuses_what_is_not_there():
    assert resolve("evaluators.scoring.plan._Plan.prepare") is not None
    with pytest.raises(AttributeError):
        resolve("evaluators.scoring.plan.no_such_function")
    with pytest.raises(AssertionError, match="__all__ lacks"):
        resolve("evaluators.scoring")  # a subpackage, not a public name
    with pytest.raises(AssertionError, match="__all__ lacks"):
        resolve("server.cli.CliError")  # there, but not exported


@pytest.mark.parametrize(("path", "planned"), PATHS, ids=[p for p, _ in PATHS])
def test_paths_exist(path: str, planned: bool):
    exists = (ROOT / path).exists()
    if planned:
        assert not exists, f"{path} exists now: describe it on the page, not as planned"
    else:
        assert exists, f"docs/architecture.md names {path}, which does not exist"
        assert not path.endswith("/") or (ROOT / path).is_dir(), path


@pytest.mark.parametrize("name", NAMES)
def test_dotted_names_resolve(name: str):
    resolve(name)


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> set[tuple[str, str]]:
    from server.app import create_app
    from server.settings import Settings

    data_dir = tmp_path_factory.mktemp("architecture")
    document = create_app(Settings(data_dir=str(data_dir))).openapi_schema.to_schema()
    return {(m.upper(), path) for path, item in document["paths"].items() for m in item}


@pytest.mark.parametrize("route", ROUTES)
def test_routes_are_served(route: str, served: set[tuple[str, str]]):
    method, path = ROUTE.match(route).groups()  # type: ignore[union-attr]
    assert (method, path) in served, f"{route} is not in the OpenAPI document"


@pytest.mark.parametrize("name", TESTS)
def test_tests_exist(name: str):
    defined = re.compile(rf"^def {name}\(", re.M)
    assert any(
        defined.search(p.read_text(encoding="utf-8")) for p in (ROOT / "tests").rglob("*.py")
    ), f"no test called {name}"


def test_the_readme_links_the_page():
    assert "(docs/architecture.md)" in (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("command", COMMANDS)
def test_commands_exist(command: str):
    import typer.main

    from server.cli import app

    name = COMMAND.match(command).group(1)  # type: ignore[union-attr]
    if name:
        known = typer.main.get_command(app).commands  # type: ignore[attr-defined]
        assert name.strip() in known, f"`{command}`: parindex has no command {name.strip()}"
