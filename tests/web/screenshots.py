"""`make screenshots` (`python -m tests.web.screenshots`): PNG screenshots of the main
pages in docs/ui/, taken in headless Chromium from a `parindex serve` over a temporary
data folder with the bundled samples loaded, as a newcomer's first `make run` shows them.

A new page is added with one line in SHOTS: file name, address, who signs in (None:
nobody; else a role, whose person `add_role_people` makes). Not a test module: pytest
does not collect it."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from tests.server.helpers import running_server
from tests.web.helpers import HOW_TO_GET_CHROMIUM, add_role_people, chromium_path, person, sign_in

OUT = Path(__file__).resolve().parents[2] / "docs" / "ui"
VIEWPORT = {"width": 1280, "height": 860}

SHOTS: list[tuple[str, str, str | None]] = [
    ("trang-chu", "/", None),
    ("dang-nhap", "/dang-nhap", None),
    ("bo-chi-so", "/bo-chi-so", None),
    ("cay-chi-so", "/bo-chi-so/par-provincial?phien-ban=par-provincial/2022", None),
    (
        "so-sanh",
        "/bo-chi-so/vi-du/so-sanh?tu=vi-du/2013&den=vi-du/2014",
        "auditor",
    ),
    ("tu-danh-gia", "/tu-danh-gia", "unit_submitter"),
    ("ket-qua", "/ket-qua/daklak-so/2023", "auditor"),
    ("tham-dinh", "/tham-dinh?nhom=daklak-so&ky=2023", "appraiser"),
    ("quan-tri-nguoi-dung", "/quan-tri/nguoi-dung", "admin"),
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help="folder of the PNGs (docs/ui)")
    args = parser.parse_args(argv)
    executable = chromium_path()
    if executable is None:
        print(HOW_TO_GET_CHROMIUM, file=sys.stderr)
        return 1
    from playwright.sync_api import sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory(prefix="parindex-screenshots-") as tmp,
        running_server(Path(tmp), samples=True) as server,
        sync_playwright() as playwright,
    ):
        add_role_people(server)
        launch_args = ["--no-sandbox"] if os.geteuid() == 0 else []
        browser = playwright.chromium.launch(
            executable_path=executable, args=launch_args, headless=True
        )
        contexts: dict[str | None, Any] = {}
        for name, path, who in SHOTS:
            if who not in contexts:
                context = browser.new_context(locale="vi-VN", viewport=VIEWPORT)
                if who is not None:
                    signer = context.new_page()
                    sign_in(signer, server, *person(server, who))
                    signer.close()
                contexts[who] = context
            page = contexts[who].new_page()
            page.goto(f"{server.url}{path}")
            page.wait_for_load_state("networkidle")
            target = args.out / f"{name}.png"
            page.screenshot(path=str(target), full_page=True)
            page.close()
            print(f"{target} ({path}{', ' + who if who else ''})")
        browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
