"""`python -m benchmarks`: run every benchmark and print their tables (see docs/benchmarks.md)."""

from __future__ import annotations

import platform
import subprocess
import sys

from benchmarks import (
    bench_assessment,
    bench_audit,
    bench_cli,
    bench_diff,
    bench_forms,
    bench_load,
    bench_office,
    bench_pages,
    bench_resolve,
    bench_scoring,
    bench_sensitivity,
    bench_store,
    engines,
)


def main() -> int:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    print(
        f"Python {platform.python_version()} on {platform.machine()}, commit {commit or 'unknown'}\n"
    )
    for module in (
        bench_resolve,
        bench_diff,
        bench_store,
        engines,
        bench_scoring,
        bench_audit,
        bench_sensitivity,
        bench_assessment,
        bench_forms,
        bench_pages,
        bench_office,
        bench_cli,
        bench_load,
    ):
        print(f"## {module.__name__.rsplit('.', 1)[1]}\n")
        sys.stdout.flush()
        module.main([])
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
