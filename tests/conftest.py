"""Fixtures shared by every test package: the bundled catalog replayed once per session."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from methodology import Store, init_store


@pytest.fixture(scope="session")
def template_store(tmp_path_factory) -> Path:
    """The bundled catalog replayed once per session (it validates every release).

    Its objects are packed: replaying leaves ~900 loose object files, which made each
    copy of the store cost ~2 s on the test machine, against a few milliseconds for a
    pack. Git reads both the same way and later writes still add loose objects."""
    path = tmp_path_factory.mktemp("template") / "store"
    init_store(path).close()
    subprocess.run(["git", "--git-dir", str(path), "repack", "-a", "-d", "-q"], check=True)
    return path


@pytest.fixture
def store(tmp_path: Path, template_store: Path) -> Store:
    """A real store replaying the bundled catalog: a private copy for each test."""
    target = tmp_path / "store"
    shutil.copytree(template_store, target)
    return Store.open(target)
