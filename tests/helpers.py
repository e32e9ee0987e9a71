"""Helpers shared across test packages: the `parindex` command as a real process, and a
coroutine run to its end from synchronous test code."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

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


def run_async(main: Callable[[], Awaitable[T]]) -> T:
    """``asyncio.run(main())`` in a thread of its own. A pytest worker that drove the
    pages' browser earlier holds Playwright's event loop, still marked as running, in its
    main thread, where a second loop refuses to start."""

    async def call() -> T:
        return await main()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, call()).result()
