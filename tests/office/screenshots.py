"""`make office-screenshots` (`python -m tests.office.screenshots`): the first page of each
document parindex writes, as a PNG in docs/office/, the way a person sees it printed.

Each document is made by its `parindex` command in a temporary folder laid out like a
checkout, converted to PDF by LibreOffice in headless mode and its first page to PNG by
pdftoppm (Debian's poppler-utils). A new document is added with one line in SHOTS: the
PNG's name, the document's suffix and the command's arguments, `{out}` standing for the
document to write; PAGES names the page to show where it is not the first.
Not a test module: pytest does not collect it."""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.server.helpers import CHECKOUT, checkout_env

OUT = CHECKOUT / "docs" / "office"
DPI = 60  # an A4 landscape page ≈ 700 × 500 pixels: readable, ~100 KB

SHOTS: list[tuple[str, str, list[str]]] = [
    ("phu-luc-word", "docx", ["export", "par-provincial@par-provincial/2022", "--to", "{out}"]),
    ("phu-luc-excel", "xlsx", ["export", "par-provincial@par-provincial/2022", "--to", "{out}"]),
    (
        "danh-sach-thay-doi",
        "docx",
        [
            "export",
            "par-provincial@par-provincial/2019",
            "--diff",
            "par-provincial@par-provincial/2022",
            "--to",
            "{out}",
        ],
    ),
    (
        "bieu-mau-tu-danh-gia",
        "xlsx",
        ["form", "par-provincial@2022", "--unit", "dak-lak", "--period", "2023", "--to", "{out}"],
    ),
    (
        "xep-hang-excel",
        "xlsx",
        [
            "rank",
            "par-provincial@2022",
            "methodology/bundled/submissions/par-provincial/2023",
            "--to",
            "{out}",
        ],
    ),
    (
        "bao-cao-xep-hang",
        "docx",
        [
            "rank",
            "par-provincial@2022",
            "methodology/bundled/submissions/par-provincial/2023",
            "--to",
            "{out}",
        ],
    ),
    (
        "bao-cao-so-sanh",
        "docx",
        [
            "audit",
            "--from",
            "par-provincial@2019",
            "--to",
            "par-provincial@2022",
            "--export",
            "{out}",
        ],
    ),
]


# The ranking report's first page holds only its summary; the chart starts the second.
PAGES = {"bao-cao-xep-hang": 2}


def _run(args: list[str], cwd: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "server", *args],
        cwd=cwd,
        env=checkout_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"parindex {' '.join(args)} failed:\n{done.stderr}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help="folder of the PNGs")
    args = parser.parse_args(argv)
    soffice, pdftoppm = shutil.which("soffice"), shutil.which("pdftoppm")
    if soffice is None or pdftoppm is None:
        from tests.office.helpers import HOW_TO_GET_LIBREOFFICE

        print(HOW_TO_GET_LIBREOFFICE, file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="parindex-office-") as tmp:
        work = Path(tmp)
        (work / "methodology").symlink_to(CHECKOUT / "methodology", target_is_directory=True)
        _run(["init"], work)
        for name, suffix, command in SHOTS:
            document = work / f"{name}.{suffix}"
            _run([part.replace("{out}", str(document)) for part in command], work)
            page = PAGES.get(name, 1)
            subprocess.run(
                [
                    soffice,
                    f"-env:UserInstallation=file://{work / '.lo-profile'}",
                    "--headless",
                    "--convert-to",
                    "pdf",
                    "--outdir",
                    str(work),
                    str(document),
                ],
                check=True,
                capture_output=True,
            )
            subprocess.run(
                [
                    pdftoppm,
                    "-png",
                    "-r",
                    str(DPI),
                    "-f",
                    str(page),
                    "-l",
                    str(page),
                    "-singlefile",
                    str(work / f"{name}.pdf"),
                    str(args.out / name),
                ],
                check=True,
            )
            print(f"docs/office/{name}.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
