"""`make test` hands out the longest modules first: the order conftest.py gives the items."""

from __future__ import annotations

import json
from types import SimpleNamespace

import conftest


def _ids(items):
    return [item.nodeid for item in items]


def test_modules_go_longest_first_and_keep_their_own_order(tmp_path, monkeypatch):
    recorded = tmp_path / "durations.json"
    recorded.write_text(json.dumps({"tests/a.py": 1.5, "tests/b.py": 90.0}), encoding="utf-8")
    monkeypatch.setattr(conftest, "DURATIONS", recorded)
    items = [
        SimpleNamespace(nodeid=n)
        for n in (
            "tests/a.py::t1",
            "tests/a.py::t2",
            "tests/b.py::t2",
            "tests/b.py::t1",
            # Not recorded: a fifth of a second a test, so 20 tests weigh 4 s.
            *(f"tests/new.py::t{i}" for i in range(20)),
        )
    ]
    conftest.pytest_collection_modifyitems(None, None, items)
    order = _ids(items)
    assert order[:2] == ["tests/b.py::t2", "tests/b.py::t1"]  # as collected within a module
    assert order[2:22] == [f"tests/new.py::t{i}" for i in range(20)]
    assert order[22:] == ["tests/a.py::t1", "tests/a.py::t2"]


def test_without_a_record_the_collection_order_stays(tmp_path, monkeypatch):
    monkeypatch.setattr(conftest, "DURATIONS", tmp_path / "missing.json")
    items = [SimpleNamespace(nodeid=n) for n in ("tests/a.py::t", "tests/b.py::t")]
    conftest.pytest_collection_modifyitems(None, None, items)
    assert _ids(items) == ["tests/a.py::t", "tests/b.py::t"]


def test_the_record_names_only_modules_that_exist():
    recorded = json.loads(conftest.DURATIONS.read_text(encoding="utf-8"))
    root = conftest.DURATIONS.parents[1]
    assert recorded and all((root / module).is_file() for module in recorded), [
        m for m in recorded if not (root / m).is_file()
    ]
