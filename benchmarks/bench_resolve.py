"""Benchmark of reading a 100-node methodology at a ref from a store.

Commits the 100-node synthetic methodology of `bench_diff` into a fresh store and
times `open_methodology(store, "bench@<tag>")`:
- cold: a new `Store` object each run, so every node file is read and parsed;
- warm: the same `Store`, so the tree id hits the cache and only the ref is resolved.
Baselines measured in the same run: `yaml.safe_load` of every node's front matter
(the least a cold read must do) and `git rev-parse <tag>` as a subprocess (what a
warm read would cost if it asked git each time).

Run: ``python -m benchmarks.bench_resolve [--runs N]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

if __package__ in (None, ""):  # run by path: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._timing import median_ms
from benchmarks.bench_diff import synthetic_files
from methodology.store import Person, Put, Store
from methodology.versions import open_methodology

__all__ = ["main"]

WARM_TARGET_MS = 10.0


def _store(path: Path) -> tuple[Store, dict[str, str]]:
    files = synthetic_files(random.Random(5))
    store = Store.init(path)
    commit = store.commit(
        [Put(f"bench/{p}", text.encode()) for p, text in files.items()],
        message="bench",
        author=Person("Bench", "bench@example.vn"),
    )
    store.tag_release("bench", "v1", commit, decision="1/QĐ-BENCH", date=dt.date(2024, 1, 1))
    return store, files


def main(argv: list[str] | None = None) -> int:
    """Time cold and warm resolves; print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        store, files = _store(Path(tmp) / "store")
        nodes = len(open_methodology(store, "bench@v1").nodes)

        def cold() -> object:
            fresh = Store.open(store.path)
            try:
                return open_methodology(fresh, "bench@v1")
            finally:
                fresh.close()

        def yaml_only() -> int:
            return sum(
                len(yaml.safe_load(t.split("---")[1]) or {})
                for t in files.values()
                if t.startswith("---")
            )

        def rev_parse() -> str:
            return subprocess.run(
                ["git", "-C", str(store.path), "rev-parse", "bench/v1^{commit}"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout

        rows = [
            (
                "baseline: yaml.safe_load of every front matter",
                median_ms(yaml_only, args.runs),
                None,
            ),
            (
                "resolve cold (new Store, parse every node)",
                median_ms(cold, max(5, args.runs // 3)),
                None,
            ),
            ("baseline: `git rev-parse` subprocess", median_ms(rev_parse, args.runs), None),
            (
                "resolve warm (cached tree)",
                median_ms(lambda: open_methodology(store, "bench@v1"), args.runs),
                WARM_TARGET_MS,
            ),
        ]
        store.close()
    print(f"resolve a {nodes}-node methodology at a tag (median of {args.runs} runs)\n")
    print("| operation | median ms | target ms | ratio to baseline |")
    print("|---|---:|---:|---:|")
    cold_base, warm_base = rows[0][1], rows[2][1]
    for i, (name, ms, target) in enumerate(rows):
        base = cold_base if i < 2 else warm_base
        target_text = f"{target:.0f}" if target is not None else "—"
        print(f"| {name} | {ms:.2f} | {target_text} | {ms / base:.2f}× |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
