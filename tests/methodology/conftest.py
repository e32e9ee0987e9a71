"""Fixtures: the bundled example copied into temp folders, and stores built from it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from methodology.catalog import bundled_root


@pytest.fixture
def example(tmp_path: Path) -> Path:
    """A writable copy of the bundled example's 2014 release."""
    target = tmp_path / "vi-du"
    shutil.copytree(bundled_root() / "vi-du" / "2014", target)
    return target


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
