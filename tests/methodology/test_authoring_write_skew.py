"""Edits from one base that are valid alone but not together: the second is refused.

Two editors add the same new node id, each under another parent (each also gives up
half a point of an existing criterion, so both edit lists are valid on the base). The
files they touch differ, so the path check alone let both land, after which nobody could
edit or release the methodology. The combined tree is now validated under the store's
write lock; sequentially and in parallel, exactly one lands and the head stays valid.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from methodology import Store, open_methodology
from methodology.authoring import CreateNode, EditConflict, UpdateNode, apply_edits
from methodology.validate import validate
from tests.methodology.helpers import ANH, BINH, node_text

NEW = """---
id: tieu-chi-moi
code: "{code}"
title: Tiêu chí mới
max_points: 0.5
inputs:
  co_tieu_chi_moi:
    type: bool
    label: Có thực hiện tiêu chí mới
scoring:
  kind: boolean
  when: co_tieu_chi_moi
---
Đạt: 0,5 điểm.
"""
# (existing leaf giving up half a point, its max_points, parent of the new node, code)
PLANS = (
    ("ket-qua-ro-rang", 1, "ke-hoach-cchc", "1.1.8"),
    ("bao-cao-dung-han", 2, "bao-cao-cchc", "1.2.8"),
)


def _edits(store: Store, plan: tuple[str, int, str, str]) -> list:
    leaf, points, parent, code = plan
    text = node_text(store, leaf).replace(
        f"max_points: {points}\n", f"max_points: {points - 0.5}\n"
    )
    return [UpdateNode(leaf, text), CreateNode(parent, NEW.format(code=code))]


def _apply(store: Store, i: int, base: str, edits: list) -> str:
    return apply_edits(
        store, "vi-du", edits, author=(ANH, BINH)[i], message=f"Thêm tiêu chí ({i})", base=base
    )


def test_each_edit_is_valid_on_the_base(store):
    base = store.head()
    for plan in PLANS:
        _apply(store, 0, base, _edits(store, plan))  # lands alone ...
        store.repo.git.update_ref("refs/heads/main", base)  # ... and is undone


def test_the_same_new_id_under_two_parents_sequentially(store):
    base = store.head()
    first, second = (_edits(store, plan) for plan in PLANS)
    landed = _apply(store, 0, base, first)
    with pytest.raises(EditConflict) as info:
        _apply(store, 1, base, second)
    assert store.head() == landed
    assert info.value.head == landed
    assert any(p.endswith("ket-qua-ro-rang.md") for p in info.value.conflicts)
    assert "tieu-chi-moi" in str(info.value) or any(
        "tieu-chi-moi" in e.message for e in info.value.report.errors
    )
    assert validate(open_methodology(store, "vi-du")).ok


@pytest.mark.parametrize("trial", range(3))
def test_the_same_new_id_under_two_parents_in_parallel(store, trial):
    base = store.head()
    edits = [_edits(store, plan) for plan in PLANS]
    barrier = threading.Barrier(2, timeout=30)

    def run(i: int) -> str | Exception:
        barrier.wait()
        try:
            return _apply(store, i, base, edits[i])
        except EditConflict as exc:
            return exc

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = list(pool.map(run, range(2)))
    landed = [o for o in outcomes if isinstance(o, str)]
    refused = [o for o in outcomes if isinstance(o, EditConflict)]
    assert len(landed) == 1 and len(refused) == 1, outcomes
    assert store.head() == landed[0] == refused[0].head
    assert validate(open_methodology(store, "vi-du")).ok
    assert store.commit_info(landed[0]).parents == (base,)
