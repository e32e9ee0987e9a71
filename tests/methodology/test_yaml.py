"""`yaml_load` and `yaml_dump` give what `yaml.safe_load` and `yaml.safe_dump` give —
data, errors (message, line, column) and text — only faster: libyaml where PyYAML was
built with it, and the usual documents built in one pass."""

from __future__ import annotations

import ast
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from methodology import YamlDumper, YamlLoader, bundled_root, yaml_dump, yaml_load


def _bundled() -> list:
    """Every bundled YAML file but the sample submissions, and one submission of each
    cohort and period (the pure-Python loader takes a second per dozen of them)."""
    files = sorted(bundled_root().rglob("*.yaml"))
    out, periods = [], set()
    for path in files:
        if "submissions" not in path.parts or path.parent not in periods:
            out.append(path)
            periods.add(path.parent)
    return out


BUNDLED = _bundled()


def test_libyaml_is_used_where_pyyaml_has_it():
    assert yaml.__with_libyaml__, "the shared environment's PyYAML is built with libyaml"
    assert issubclass(YamlLoader, yaml.CSafeLoader)
    assert issubclass(YamlDumper, yaml.CSafeDumper)


def test_every_bundled_file_loads_and_dumps_as_the_pure_python_classes_do():
    assert len(BUNDLED) > 30
    for path in BUNDLED:
        text = path.read_text(encoding="utf-8")
        data = yaml.load(text, Loader=yaml.SafeLoader)
        assert yaml_load(text) == data, path
        options = {"allow_unicode": True, "sort_keys": False, "width": 100}
        assert yaml_dump(data, **options) == yaml.safe_dump(data, **options), path


@pytest.mark.parametrize(
    "text",
    [
        "a: &x [1, 2]\nb: *x\n",  # an anchor and its alias
        "x: &a {k: *a}\n",  # a mapping that holds itself
        "<<: {a: 1, b: 1}\nb: 2\n",  # a merge key
        "= : 1\n",  # a value key
        "!!set {a, b}\n",
        "!!omap [a: 1, b: 2]\n",
        "!!pairs [a: 1, a: 2]\n",
        "t: 2020-01-01\nu: 2020-01-01 10:00:00\nv: !!binary aGk=\n",
        "- !!str 1\n- !!int '2'\n- ~\n- yes\n- 0x1F\n- 1_000.5\n- .inf\n",
        "",
        "# only a comment\n",
        "plain scalar\n",
    ],
)
def test_unusual_documents_load_as_safe_load_loads_them(text):
    expected = yaml.safe_load(text)
    assert repr(yaml_load(text)) == repr(expected)


@pytest.mark.parametrize(
    "text",
    [
        "a: b: c\n",  # libyaml: "... not allowed in this context"
        "a:\n\tb: 1\n",  # libyaml does not name the tab
        "a: [1, 2\n",  # libyaml marks the end of the text
        "a: *nope\n",
        "a:\n  b: 1\n c: 2\n",
        "[1, 2]: x\n",  # a constructor's error, not the parser's
        "a: !foo x\n",  # a tag no constructor knows
        "a: =\n",  # PyYAML's "value" tag, which the safe loader does not build
    ],
)
def test_errors_are_the_ones_safe_load_raises(text):
    with pytest.raises(yaml.YAMLError) as expected:
        yaml.safe_load(text)
    with pytest.raises(yaml.YAMLError) as got:
        yaml_load(text)
    assert type(got.value) is type(expected.value)
    assert str(got.value) == str(expected.value)
    got_mark, mark = got.value.problem_mark, expected.value.problem_mark
    assert (got_mark.line, got_mark.column) == (mark.line, mark.column)


def test_a_dumper_subclass_keeps_its_representers():
    class Dumper(YamlDumper):
        pass

    Dumper.add_representer(
        Decimal, lambda d, v: d.represent_scalar("tag:yaml.org,2002:float", str(v))
    )
    text = yaml.dump({"d": Decimal("14.50"), "day": dt.date(2022, 11, 10)}, Dumper=Dumper)
    assert text == "d: 14.50\nday: 2022-11-10\n"


def test_the_packages_read_and_write_yaml_only_through_these():
    """A `yaml.safe_load` (pure Python) slipping back in would go unnoticed but for this:
    every call of PyYAML's loading or dumping functions outside `methodology/_yaml.py`
    passes one of our loader or dumper classes."""
    root = Path(__file__).resolve().parents[2]
    functions = {"load", "safe_load", "load_all", "safe_load_all", "full_load", "unsafe_load"}
    functions |= {"dump", "safe_dump", "dump_all", "safe_dump_all", "compose", "compose_all"}
    strays = []
    for package in ("rules", "methodology", "evaluators", "server"):
        for path in sorted((root / package).rglob("*.py")):
            if path.name == "_yaml.py":
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Name)
                    and node.func.value.id == "yaml"
                    and node.func.attr in functions
                ):
                    continue
                ours = [
                    k.value
                    for k in node.keywords
                    if k.arg in ("Loader", "Dumper") and not isinstance(k.value, ast.Attribute)
                ]
                if not ours:
                    strays.append(f"{path.relative_to(root)}:{node.lineno} yaml.{node.func.attr}")
    assert strays == []
