"""`parindex init`: the bundled catalog replayed as real git history."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
import subprocess

import pytest

from methodology import init_store
from methodology.catalog import bundled_releases
from methodology.errors import MethodologyError


def git(store, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(store.path), *args], capture_output=True, text=True, check=True
    ).stdout


def test_history_replays_each_release_on_its_decision_date(store):
    log = git(store, "log", "--format=%cI|%aI|%an|%s", "main").splitlines()
    assert [line.split("|")[0] for line in log] == [
        "2014-12-31T12:00:00+07:00",
        "2013-12-31T12:00:00+07:00",
    ]
    assert all(line.split("|")[2] == "Nhóm phương pháp (ví dụ)" for line in log)
    assert git(store, "for-each-ref", "--format=%(objecttype) %(refname:short)", "refs/tags").split(
        "\n"
    )[:2] == ["tag vi-du/2013", "tag vi-du/2014"]
    tag = git(store, "cat-file", "-p", "vi-du/2014")
    assert "VD-02/2014" in tag


def test_moves_in_a_release_are_delete_plus_add_in_one_commit(store):
    names = git(
        store, "show", "--no-renames", "--name-status", "--format=", "vi-du/2014^{commit}"
    ).splitlines()
    assert "D\tvi-du/cai-cach-tthc/giai-quyet-tthc/ty-le-truc-tuyen.md" in names
    assert "A\tvi-du/cai-cach-tthc/dich-vu-cong-truc-tuyen/ty-le-truc-tuyen.md" in names
    assert "D\tvi-du/chi-dao-dieu-hanh/bao-cao-cchc/chat-luong-bao-cao.md" in names


def test_init_refuses_an_existing_store(store):
    with pytest.raises(MethodologyError, match="already exists"):
        init_store(store.path)


def test_an_invalid_release_writes_nothing(tmp_path):
    releases = bundled_releases()
    broken = tmp_path / "broken"
    shutil.copytree(releases[1].folder, broken)
    manifest = broken / "methodology.yaml"
    manifest.write_text(
        manifest.read_text(encoding="utf-8").replace("scale: 20", "scale: 21"), encoding="utf-8"
    )
    target = tmp_path / "store"
    with pytest.raises(MethodologyError, match="invalid"):
        init_store(target, releases=[releases[0], dataclasses.replace(releases[1], folder=broken)])
    assert not target.exists()


def test_release_dates_are_the_catalog_dates():
    assert [(r.name, r.date) for r in bundled_releases()] == [
        ("2013", dt.date(2013, 12, 31)),
        ("2014", dt.date(2014, 12, 31)),
    ]
