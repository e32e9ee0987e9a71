"""The pictures README.md and docs/*.md show exist, and `make screenshots` made them."""

from __future__ import annotations

import re
from pathlib import Path

from tests.office import screenshots as office
from tests.web.screenshots import OUT, SHOTS

ROOT = Path(__file__).resolve().parents[2]
IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)\)")
PNG = b"\x89PNG\r\n\x1a\n"


def shown_images() -> list[tuple[Path, str, str]]:
    return [
        (document, alt, target)
        for document in [
            ROOT / "README.md",
            *sorted((ROOT / "docs").glob("*.md")),
            *sorted((ROOT / "docs" / "office").glob("*.md")),
        ]
        for alt, target in IMAGE.findall(document.read_text(encoding="utf-8"))
    ]


def test_every_shown_image_exists_and_says_what_it_shows():
    images = shown_images()
    for document, alt, target in images:
        path = (document.parent / target).resolve()
        assert path.is_file(), f"{document.name}: {target} does not exist"
        assert alt.strip(), f"{document.name}: {target} has no alternative text"
        if path.suffix == ".png":
            assert path.read_bytes().startswith(PNG), f"{target} is not a PNG"


def test_the_readme_shows_two_screenshots_of_the_list():
    made = {f"docs/ui/{name}.png" for name, _, _ in SHOTS}
    shown = {target for document, _, target in shown_images() if document.name == "README.md"}
    assert len(shown & made) >= 2, shown
    assert {p.name for p in OUT.glob("*.png")} == {f"{name}.png" for name, _, _ in SHOTS}


def test_the_office_docs_show_each_document_make_office_screenshots_made():
    """docs/office/ holds exactly the pages `make office-screenshots` renders, and its
    documents show every one of them."""
    made = {f"{name}.png" for name, _, _ in office.SHOTS}
    assert {p.name for p in office.OUT.glob("*.png")} == made
    shown = {
        Path(target).name for document, _, target in shown_images() if document.parent == office.OUT
    }
    assert shown == made, made - shown
