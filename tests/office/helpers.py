"""What the office tests share: LibreOffice in headless mode, found or explained."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

__all__ = ["HOW_TO_GET_LIBREOFFICE", "convert", "soffice_path"]

HOW_TO_GET_LIBREOFFICE = (
    "LibreOffice not found: `apt-get install -y --no-install-recommends "
    "libreoffice-calc-nogui libreoffice-writer-nogui poppler-utils` (Debian), "
    "or set $PARINDEX_SOFFICE"
)


def soffice_path() -> str:
    """LibreOffice's `soffice`: skipped locally when missing, a failure under CI=true."""
    named = os.environ.get("PARINDEX_SOFFICE") or shutil.which("soffice")
    if named and Path(named).exists():
        return named
    if os.environ.get("CI") == "true":
        pytest.fail(f"{HOW_TO_GET_LIBREOFFICE} (CI=true: the office tests may not be skipped)")
    pytest.skip(HOW_TO_GET_LIBREOFFICE)


def convert(source: Path, to: str, out_dir: Path) -> Path:
    """``source`` converted by headless LibreOffice (``to``: ``pdf``, ``csv``, ``xlsx`` …).

    Each call gets its own profile folder: two LibreOffice processes sharing one (as
    parallel test workers would) wait on its lock or fail."""
    profile = out_dir / ".lo-profile"
    subprocess.run(
        [
            soffice_path(),
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            to,
            "--outdir",
            str(out_dir),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return out_dir / f"{source.stem}.{to.split(':')[0]}"
