"""Fixtures: the bundled catalog's par-provincial/2022 and its 63 sample submissions."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from evaluators import Program, Submission, load_submissions
from evaluators.runner import program_for
from methodology import Store
from methodology.catalog import bundled_root

SPEC = "par-provincial@par-provincial/2022"
SAMPLES = bundled_root() / "submissions"


@pytest.fixture(scope="module")
def module_store(tmp_path_factory, template_store: Path):
    """One private copy of the bundled store for a test module (read only here)."""
    target = tmp_path_factory.mktemp("sensitivity") / "store"
    shutil.copytree(template_store, target)
    store = Store.open(target)
    yield store
    store.close()


@pytest.fixture(scope="module")
def provincial(module_store: Store) -> Program:
    return program_for(module_store, SPEC)


@pytest.fixture(scope="module")
def provinces() -> list[Submission]:
    return load_submissions(SAMPLES / "par-provincial" / "2022")
