"""Reading methodologies at refs straight from git objects, with caching."""

from __future__ import annotations

import subprocess

import pytest

from methodology import RefNotFound, open_methodology, parse_spec
from methodology.errors import MethodologyError
from methodology.versions import _caches_for


def test_store_is_bare_and_needs_no_checkout(store):
    assert store.repo.bare
    assert (
        subprocess.run(
            ["git", "-C", str(store.path), "rev-parse", "--is-bare-repository"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        == "true"
    )


def test_refs_tag_shorthand_branch_commit_and_date(store):
    by_tag = open_methodology(store, "vi-du@vi-du/2013")
    assert by_tag.manifest.decision["number"] == "VD-01/2013"
    assert "chat-luong-bao-cao" in by_tag.nodes
    assert open_methodology(store, "vi-du@2013").commit == by_tag.commit
    head = open_methodology(store, "vi-du")
    assert open_methodology(store, "vi-du@main").commit == head.commit
    assert "chat-luong-bao-cao" not in head.nodes
    assert open_methodology(store, f"vi-du@{by_tag.commit[:8]}").commit == by_tag.commit
    # "as of" a date: the version in force on that day
    assert open_methodology(store, "vi-du@2014-06-30").commit == by_tag.commit
    assert (
        open_methodology(store, "vi-du@2015-01-01").commit
        == open_methodology(store, "vi-du@2014").commit
    )


def test_unknown_ref_and_methodology(store):
    with pytest.raises(RefNotFound):
        open_methodology(store, "vi-du@2099-no-such")
    with pytest.raises(RefNotFound) as info:
        open_methodology(store, "vi-dü")
    assert info.value.suggestion == "did you mean `vi-du`?"


def test_warm_read_reuses_parsed_nodes(store):
    first = open_methodology(store, "vi-du@2014")
    second = open_methodology(store, "vi-du@main")
    assert second.nodes is first.nodes  # same tree id, parsed once
    older = open_methodology(store, "vi-du@2013")
    # unchanged files are parsed once across versions (cached by blob id)
    assert older.nodes["ket-qua-ro-rang"].blob == first.nodes["ket-qua-ro-rang"].blob
    distinct = {n.blob for n in first.nodes.values()} | {n.blob for n in older.nodes.values()}
    parsed = list(_caches_for(store).nodes)
    assert len(parsed) == len(distinct)  # each distinct file parsed exactly once


def test_parse_spec():
    assert parse_spec("vi-du").ref is None
    assert parse_spec("par-provincial@par-provincial/2022").ref == "par-provincial/2022"
    with pytest.raises(MethodologyError):
        parse_spec("@main")
    with pytest.raises(MethodologyError):
        parse_spec("vi-du@")
