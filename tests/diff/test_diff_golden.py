"""The 2013 → 2014 example diff, compared with reviewed golden files.

Set PARINDEX_UPDATE_GOLDEN=1 to rewrite the files after an intended change, then
read the new files line by line before committing them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from methodology.diff import diff
from tests import golden_plugin as golden

from .diff_cases import example_versions


@pytest.fixture
def versions(tmp_path):
    return example_versions(tmp_path)


GOLDEN = Path(__file__).parent / "golden"


def check_golden(name: str, actual: str) -> None:
    golden.check_golden(GOLDEN / name, actual)


@pytest.fixture
def example(versions):
    a, b = versions
    return diff(a, b)


def test_json_matches_golden(example):
    text = json.dumps(example.to_json(), indent=2, ensure_ascii=False, sort_keys=False) + "\n"
    check_golden("vi-du-2013-2014.json", text)


def test_text_matches_golden(example):
    check_golden("vi-du-2013-2014.txt", example.to_text() + "\n")


def test_markdown_matches_golden(example):
    check_golden("vi-du-2013-2014.md", example.to_markdown() + "\n")


def test_json_round_trips_through_json(example):
    data = example.to_json()
    assert json.loads(json.dumps(data)) == data
    assert list(data) == ["from", "to", "changes", "proposals", "counts"]
    assert all(
        list(change) == ["kind", "id", "code", "title", "before", "after", "summary"]
        for change in data["changes"]
    )


def test_example_covers_every_required_kind(example):
    required = {
        "added",
        "removed",
        "renamed",
        "moved",
        "renumbered",
        "reweighted",
        "rule_changed",
        "inputs_changed",
        "guidance_changed",
        "source_changed",
        "applicability_changed",
    }
    assert required <= set(example.counts)
    assert sum(example.counts.values()) == len(example.changes)
