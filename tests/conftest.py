"""Fixtures shared by every test package: the bundled catalog replayed once per session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from methodology import Store, init_store


@pytest.fixture(scope="session")
def template_store(tmp_path_factory) -> Path:
    """The bundled catalog replayed once per session (it validates every release)."""
    path = tmp_path_factory.mktemp("template") / "store"
    init_store(path).close()
    return path


@pytest.fixture
def store(tmp_path: Path, template_store: Path) -> Store:
    """A real store replaying the bundled catalog: a private copy for each test."""
    target = tmp_path / "store"
    shutil.copytree(template_store, target)
    return Store.open(target)
