"""Helpers shared across test packages: the `parindex` command as a real process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(sys.executable).with_name("parindex")


def run(
    *args: str, store: Path | None = None, check_rc: int | None = 0
) -> subprocess.CompletedProcess:
    command = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "server"]
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    if store is not None:
        env["PARINDEX_STORE"] = str(store)
    result = subprocess.run([*command, *args], capture_output=True, text=True, env=env, timeout=120)
    if check_rc is not None:
        assert result.returncode == check_rc, result.stdout + result.stderr
    return result
