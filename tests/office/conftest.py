"""Office fixtures: real stores replaying the bundled catalog (one shared read-only copy
per module, a private copy for each test that writes)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from methodology import Store


@pytest.fixture(scope="module")
def shared_store(tmp_path_factory, template_store: Path) -> Iterator[Store]:
    """A store the module's tests only read."""
    target = tmp_path_factory.mktemp("office") / "store"
    shutil.copytree(template_store, target)
    store = Store.open(target)
    yield store
    store.close()


@pytest.fixture
def fresh_store(tmp_path: Path, template_store: Path) -> Iterator[Store]:
    """A private store for a test that imports into it."""
    target = tmp_path / "store"
    shutil.copytree(template_store, target)
    store = Store.open(target)
    yield store
    store.close()


def refs(store: Store) -> str:
    """Every branch and tag with its object: equal before and after means nothing written."""
    return str(store.repo.git.for_each_ref())
