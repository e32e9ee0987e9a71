"""The methodology pages in a real browser: the tree of a release, a node, the diff of
two releases, a derived index. What the pages show is checked against the store itself
(the tree and the diff read with `methodology`, the history with git)."""

from __future__ import annotations

import dataclasses
import subprocess
from decimal import Decimal

import pytest

from methodology import (
    CHANGE_KINDS,
    CreateNode,
    DeleteNode,
    Person,
    Spec,
    Store,
    apply_edits,
    change_kind,
    diff,
    open_methodology,
)
from server.format import vi_number
from tests.web.helpers import add_person, browser_page

pytestmark = pytest.mark.slow

TREE = "/bo-chi-so/par-provincial?phien-ban=par-provincial/2022"


def _version(site, slug: str, ref: str):
    store = Store(site.store)
    try:
        return open_methodology(store, Spec(slug, ref))
    finally:
        store.close()


def test_the_tree_of_a_release_by_field_in_code_order_with_totals(browser, site):
    m = _version(site, "par-provincial", "par-provincial/2022")
    with browser_page(browser, site) as page:  # anonymous: a release is public
        page.goto(site.url + TREE)
        fields = page.locator("details.field")
        assert fields.evaluate_all("els => els.map(e => e.dataset.code)") == [
            str(i) for i in range(1, 9)
        ]
        # every row in the order of the tree (siblings by natural code order: 1.2 < 1.10)
        codes = page.locator("details.field tr[data-code]").evaluate_all(
            "els => els.map(e => e.dataset.code)"
        )
        assert codes == [n.code for n in m.walk() if n.parent is not None]
        assert len(codes) == 37 + 88
        assert "100 điểm" in page.locator("#tong").inner_text()
        assert (
            "8 lĩnh vực, 37 tiêu chí, 88 tiêu chí thành phần" in page.locator("#tong").inner_text()
        )

        # a field's counts and the sum of its criteria, as the store has them
        field = m.nodes["cai-cach-tthc"]
        criteria = m.children_of(field.id)
        subs = [s for c in criteria for s in m.children_of(c.id)]
        details = page.locator("details#f-cai-cach-tthc")
        summary = details.locator("summary")
        assert f"{len(criteria)} tiêu chí, {len(subs)} tiêu chí thành phần" in summary.inner_text()
        total = sum((c.max_points for c in criteria), Decimal(0))
        assert details.locator("tfoot td.total").text_content() == vi_number(total)

        # closed at first; the keyboard opens and closes it
        assert details.get_attribute("open") is None
        assert not details.locator("table").is_visible()
        summary.focus()
        page.keyboard.press("Enter")
        assert details.get_attribute("open") is not None
        assert details.locator("table").is_visible()
        first = criteria[0]
        assert details.get_by_role("link", name=first.title, exact=True).is_visible()
        page.keyboard.press("Space")
        assert details.get_attribute("open") is None

        # badges from each node's source: every node of this release is illustrative in
        # part, and the parts taken from a public source (the field titles and counts of
        # 876, the titles of the Đắk Lắk change list) are badged official beside it
        assert page.locator("details.field .badge.illustrative").count() == 8 + 37 + 88
        partly = [n for n in m.walk() if n.source.official]
        assert len(partly) > 8
        assert page.locator("details.field .badge.official").count() == len(partly)
        badges = summary.locator(".badge")
        assert badges.all_text_contents() == ["tên, số tiêu chí chính thức", "điểm tối đa minh hoạ"]

        # the version picker is a GET form: another release by its tag
        page.get_by_label("Xem phiên bản").fill("par-provincial/2017")
        page.get_by_role("button", name="Xem", exact=True).click()
        page.wait_for_url("**phien-ban=par-provincial%2F2017")
        older = _version(site, "par-provincial", "par-provincial/2017")
        assert page.locator("details.field").count() == len(older.roots())
        official = sum(1 for n in older.walk() if n.provenance == "official")
        assert official > 0
        assert page.locator("details.field .badge.official").count() == official


def test_a_node_page_says_the_rule_in_vietnamese_with_its_history(browser, site):
    add_person(site, "Phạm Thu Hà", "auditor")
    m = _version(site, "par-provincial", "par-provincial/2022")
    node = m.nodes["sang-kien-cchc"]
    with browser_page(browser, site, "Phạm Thu Hà") as page:
        page.goto(site.url + TREE)
        page.locator("details#f-chi-dao-dieu-hanh > summary").click()
        page.get_by_role("link", name=node.title, exact=True).click()
        page.wait_for_load_state()
        assert page.get_by_role("heading", level=1).inner_text() == f"{node.code} {node.title}"
        rule = page.locator("ul.rule li").all_inner_texts()
        assert rule == [
            "Từ 2 trở lên: 1,5 điểm",
            "Từ 1 đến dưới 2: 0,75 điểm",
            "Các trường hợp còn lại: 0 điểm",
        ]
        assert "Theo mức" in page.locator("main").inner_text()
        inputs = page.get_by_role("table").first.inner_text()
        assert "mô hình, giải pháp" in inputs and "từ 0 trở lên" in inputs  # unit and bound
        evidence = page.locator("h2:has-text('Tài liệu kiểm chứng') + ul li").all_inner_texts()
        assert evidence == [e.title for e in node.evidence]

        # the history is the node's commits in git, newest first
        log = subprocess.run(
            [
                "git",
                "--git-dir",
                str(site.store),
                "log",
                "--format=%H",
                "par-provincial/2022",
                "--",
                ":(glob)par-provincial/**/sang-kien-cchc.md",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        rows = page.locator("table.history tbody tr")
        assert rows.count() == len(log) == 3  # 2017 created, 2019 and 2022 edited
        assert [c[:8] for c in log] == rows.locator("code").all_inner_texts()
        assert rows.nth(2).inner_text().startswith("28/12/2017")
        assert "Tạo mục" in rows.nth(2).inner_text()

        # who last changed each guidance line: the 2022 rewrite, dated by its commit
        page.get_by_text("Ai sửa lần cuối từng dòng hướng dẫn").click()
        blame = page.locator("details.blame tbody tr")
        assert blame.count() >= len(node.guidance.strip().splitlines())
        assert "10/11/2022" in blame.first.inner_text()


def test_history_follows_a_node_renamed_by_replaces(browser, site):
    """A node that `replaces` another continues its history: the old id's creation in
    2017 shows on the new node's page."""
    store = Store(site.store)
    try:
        old = open_methodology(store, Spec("par-provincial")).nodes["sang-kien-cchc"]
        new = dataclasses.replace(old, id="sang-kien-doi-moi", replaces=("sang-kien-cchc",))
        apply_edits(
            store,
            "par-provincial",
            [DeleteNode(old.id), CreateNode(old.parent, new.to_text())],
            author=Person("Đỗ Minh Khoa", "khoa@parindex.invalid"),
            message="Mã mới cho tiêu chí sáng kiến",
        )
    finally:
        store.close()
    add_person(site, "Đỗ Minh Khoa", "ministry_editor")
    with browser_page(browser, site, "Đỗ Minh Khoa") as page:
        page.goto(f"{site.url}/bo-chi-so/par-provincial/sang-kien-doi-moi")
        rows = page.locator("table.history tbody tr")
        texts = rows.all_inner_texts()
        assert "Tạo mục" in texts[0]  # the new id, newest first
        assert any("sang-kien-cchc" in t and "28/12/2017" in t for t in texts)
        assert rows.count() == 4  # its own creation and the old id's three releases
        assert "Đỗ Minh Khoa" in texts[0]


def test_the_diff_of_two_releases_groups_kinds_and_marks_words(browser, site):
    a = _version(site, "par-provincial", "par-provincial/2019")
    b = _version(site, "par-provincial", "par-provincial/2022")
    found = diff(a, b)
    add_person(site, "Vũ Thị Lan", "auditor")
    with browser_page(browser, site, "Vũ Thị Lan") as page:
        page.goto(f"{site.url}/bo-chi-so/par-provincial/so-sanh")
        page.get_by_label("Từ phiên bản").fill("par-provincial/2019")
        page.get_by_label("Đến phiên bản").fill("par-provincial/2022")
        page.get_by_role("button", name="So sánh").click()
        page.wait_for_load_state()
        headings = page.locator("section.change-kind h2").all_inner_texts()
        order = [k.id for k in CHANGE_KINDS]
        expected = sorted(found.counts, key=order.index)
        assert headings == [f"{change_kind(k).vi} ({found.counts[k]})" for k in expected]

        renamed = page.locator(
            "section.change-kind", has=page.locator("h2", has_text=change_kind("renamed").vi)
        )
        row = renamed.locator("tr[data-code='1.5']")
        deleted = " ".join(row.locator("td.before del").all_inner_texts())
        inserted = " ".join(row.locator("td.after ins").all_inner_texts())
        old_title = a.nodes["sang-kien-cchc"].title
        new_title = b.nodes["sang-kien-cchc"].title
        assert deleted and inserted
        assert all(w in old_title and w not in new_title for w in deleted.split() if w != "mới")
        assert "sáng tạo" in inserted and "Sáng kiến" in deleted
        assert row.locator("td.before").inner_text().strip() == old_title
        assert row.locator("td.after").inner_text().strip() == new_title

        # guidance is compared word by word too
        guidance = page.locator(
            "section.change-kind",
            has=page.locator("h2", has_text=change_kind("guidance_changed").vi),
        )
        assert guidance.locator("td.after ins").count() > 0

        # into the node's lineage: the "after" link opens the node at the newer release
        row.get_by_role("link", name="sau").click()
        page.wait_for_load_state()
        assert page.get_by_role("heading", level=1).inner_text() == f"1.5 {new_title}"
        assert "phien-ban=par-provincial%2F2022" in page.url


def test_a_derived_index_marks_inherited_overridden_and_local_nodes(browser, site):
    derived = _version(site, "daklak-so", "daklak-so/2022")
    local = [n for n in derived.walk() if derived.derivation[n.id].status == "local"]
    with browser_page(browser, site) as page:
        page.goto(f"{site.url}/bo-chi-so/daklak-so")  # anonymous: the latest release
        assert derived.commit[:10] in page.locator("p.meta").inner_text()
        for node in local:
            cell = page.locator(f"tr[data-code='{node.code}'] .badge.local")
            if node.parent is None:
                cell = page.locator(f"details#f-{node.id} > summary .badge.local")
            assert cell.count() == 1, node.code
            assert cell.first.text_content() == "địa phương"
        overridden = page.locator("details.field .badge.overridden")
        assert overridden.count() == sum(
            1 for d in derived.derivation.values() if d.status == "overridden"
        )
        assert "điểm tối đa" in (overridden.first.get_attribute("title") or "")
        # daklak-so rescales every inherited node, so none is left unchanged there;
        # mic-units keeps most of its base as it is
        assert page.locator("details.field .badge.inherited").count() == 0
        page.goto(f"{site.url}/bo-chi-so/mic-units")
        mic = _version(site, "mic-units", "mic-units/2023")
        inherited = sum(1 for d in mic.derivation.values() if d.status == "inherited")
        assert inherited > 0
        assert page.locator("details.field .badge.inherited").count() == inherited
        assert page.locator("details.field .badge.inherited").first.text_content() == "kế thừa"
