"""Golden rebase of Đắk Lắk's department index onto a modified national version.

The modified version (committed here with a fixed date, so its commit is stable) has one
change of each kind a rebase must handle: it removes a node daklak-so overrides (a
conflict), retitles a node daklak-so overrides (drift), and replaces a node daklak-so
overrides by a new id with `replaces` (followed, not a conflict).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from methodology import Delete, Person, Put, open_methodology
from methodology.rebase import plan_rebase, write_rebase
from tests.golden_plugin import check_golden

GOLDEN = Path(__file__).parent / "golden"
MOHA = Person("Vụ Cải cách hành chính (thử nghiệm)", "vu-cchc@parindex.invalid")
WHEN = dt.datetime(2024, 12, 5, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=7)))


def national_next(store) -> str:
    m = open_methodology(store, "par-provincial@par-provincial/2022")

    def text(node_id: str) -> str:
        return store.read_blob(m.nodes[node_id].blob).decode("utf-8")

    one_stop = m.nodes["to-chuc-bo-phan-mot-cua"].path
    replaced = text("to-chuc-bo-phan-mot-cua").replace(
        "id: to-chuc-bo-phan-mot-cua", "id: bo-phan-mot-cua\nreplaces: [to-chuc-bo-phan-mot-cua]"
    )
    plan = text("ke-hoach-cchc").replace(
        "title: Kế hoạch", "title: Xây dựng và thực hiện kế hoạch", 1
    )
    commit = store.commit(
        [
            Delete(m.nodes["xin-loi-ho-so-tre-han"].path),
            Delete(one_stop),
            Put(
                one_stop.replace("to-chuc-bo-phan-mot-cua.md", "bo-phan-mot-cua.md"),
                replaced.encode("utf-8"),
            ),
            Put(m.nodes["ke-hoach-cchc"].path, plan.encode("utf-8")),
        ],
        message="par-provincial: bản sửa đổi thử nghiệm",
        author=MOHA,
        date=WHEN,
    )
    store.tag_release(
        "par-provincial", "2024-thu-nghiem", commit, decision="TN-01/2024", date=WHEN.date()
    )
    return commit


def test_rebase_daklak_so_onto_a_modified_national_version(store):
    national_next(store)
    head = store.head()
    report = plan_rebase(store, "daklak-so", "2024-thu-nghiem")
    assert store.head() == head  # nothing written
    assert [(c["id"], c["entry"]) for c in report.conflicts] == [
        ("xin-loi-ho-so-tre-han", "override xin-loi-ho-so-tre-han")
    ]
    assert [(d["id"], d["keys"]) for d in report.drift] == [("ke-hoach-cchc", ["title"])]
    drift = report.drift[0]
    assert drift["parent_new"]["title"].startswith("Xây dựng và thực hiện kế hoạch")
    assert drift["ours"]["title"] == "Kế hoạch cải cách hành chính năm của sở"
    assert [(f["id"], f["to"], f["kind"]) for f in report.followed] == [
        ("to-chuc-bo-phan-mot-cua", "bo-phan-mot-cua", "replaced")
    ]
    assert report.inherited == []
    data = report.to_json()
    assert list(data) == [
        "derived",
        "from",
        "onto",
        "ok",
        "conflicts",
        "drift",
        "followed",
        "inherited",
        "effective_diff",
    ]
    for name, text in (
        ("rebase-daklak-so.json", json.dumps(data, ensure_ascii=False, indent=2)),
        ("rebase-daklak-so.txt", report.to_text()),
    ):
        check_golden(GOLDEN / name, text + "\n")


def test_resolving_the_conflict_lets_the_rebase_write(store):
    national_next(store)
    m = open_methodology(store, "daklak-so")
    overlay_path = "daklak-so/overlay.yaml"
    text = store.read_file(m.commit, overlay_path).decode("utf-8")
    start = text.index("  xin-loi-ho-so-tre-han:\n")
    end = text.index("\n\n", start) + 1
    store.commit(
        [Put(overlay_path, (text[:start] + text[end:]).encode("utf-8"))],
        message="daklak-so: bỏ ghi đè tiêu chí đã bị bãi bỏ",
        author=MOHA,
    )
    report = plan_rebase(store, "daklak-so", "2024-thu-nghiem")
    assert report.ok and report.effective_diff is not None
    kinds = {(c.kind, c.id) for c in report.effective_diff.changes}
    assert ("removed", "xin-loi-ho-so-tre-han") in kinds
    write_rebase(store, report, author=MOHA)
    rebased = open_methodology(store, "daklak-so")
    assert rebased.extends["ref"] == "par-provincial/2024-thu-nghiem"
    assert (
        rebased.derivation["bo-phan-mot-cua"].status == "overridden"
    )  # the override followed the new id
    assert rebased.nodes["bo-phan-mot-cua"].title.startswith("Tiếp nhận, trả kết quả TTHC của sở")
