"""Benchmark of the git store's history reads on a large synthetic store.

Builds (with ``git fast-import``) a store holding one 105-node methodology and
5,000 commits that each modify one random node file, then prints a Markdown
table of median timings. The baseline is a plain ``git log --format=%H -- <path>``
subprocess measured in the same run, so ratios compare across machines.

Run: ``python -m benchmarks.bench_store [--commits N] [--store DIR]``.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run by path: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._timing import median_ms
from methodology.history import node_history
from methodology.store import Person, Put, Store

__all__ = ["build_store", "main", "node_paths"]

METHODOLOGY = "par-provincial"
START = 1_500_000_000  # commit dates: one hour apart from mid-2017


def node_paths(fields: int = 5, criteria: int = 4, subs: int = 4) -> list[str]:
    """Store-relative paths of the node files of a fields × criteria × subs tree."""
    paths = []
    for f in range(1, fields + 1):
        paths.append(f"{METHODOLOGY}/f{f}/_node.md")
        for c in range(1, criteria + 1):
            paths.append(f"{METHODOLOGY}/f{f}/c{f}-{c}/_node.md")
            paths += [f"{METHODOLOGY}/f{f}/c{f}-{c}/s{f}-{c}-{s}.md" for s in range(1, subs + 1)]
    return paths


def _data(text: str) -> bytes:
    raw = text.encode()
    return b"data %d\n%s\n" % (len(raw), raw)


def build_store(path: Path, commits: int, seed: int = 7) -> tuple[Store, list[str]]:
    """Create a store at ``path`` with ``commits`` commits through ``git fast-import``."""
    Store.init(path).close()
    rng = random.Random(seed)
    nodes = node_paths()
    chunks: list[bytes] = []
    for n in range(1, commits + 1):
        when = f"{START + n * 3600} +0700"
        chunks.append(b"commit refs/heads/main\nmark :%d\n" % n)
        chunks.append(f"author Bench {n % 7} <b{n % 7}@example.vn> {when}\n".encode())
        chunks.append(f"committer Bench {n % 7} <b{n % 7}@example.vn> {when}\n".encode())
        chunks.append(_data(f"change {n}"))
        if n == 1:
            targets = [f"{METHODOLOGY}/methodology.yaml", *nodes]
        else:
            chunks.append(b"from :%d\n" % (n - 1))
            targets = [rng.choice(nodes)]
        for target in targets:
            chunks.append(f"M 100644 inline {target}\n".encode())
            chunks.append(_data(f"---\ntitle: {target}\n---\nguidance revision {n}\n"))
    subprocess.run(
        ["git", "--git-dir", str(path), "fast-import", "--quiet"],
        input=b"".join(chunks),
        check=True,
    )
    return Store.open(path), nodes


def main(argv: list[str] | None = None) -> None:
    """Build the store, time the operations and print the Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--commits", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--store", type=Path, help="where to build (default: a temp dir)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        path = args.store or Path(tmp) / "store.git"
        start = time.perf_counter()
        store, nodes = build_store(path, args.commits)
        build_s = time.perf_counter() - start
        target = nodes[len(nodes) // 2]  # a sub-criterion file
        node_id = target.rsplit("/", 1)[1].removesuffix(".md")
        head = store.resolve()
        person = Person("Bench", "bench@example.vn")

        baseline = median_ms(
            lambda: subprocess.run(
                ["git", "--git-dir", str(path), "log", "--format=%H", "--", target],
                check=True,
                capture_output=True,
            ),
            args.runs,
        )
        counter = iter(range(10**9))
        rows = [
            ("baseline: git log --format=%H -- <node file>", baseline, None),
            ("store.log(methodology)", median_ms(lambda: store.log(METHODOLOGY), args.runs), 200),
            (
                "store.log(paths=[node file])",
                median_ms(lambda: store.log(METHODOLOGY, paths=[target]), args.runs),
                200,
            ),
            (
                f"node_history({node_id})",
                median_ms(lambda: node_history(store, METHODOLOGY, node_id), args.runs),
                200,
            ),
            (
                "list_files (warm)",
                median_ms(lambda: store.list_files(head, METHODOLOGY), args.runs),
                5,
            ),
            (
                "commit (one Put)",
                median_ms(
                    lambda: store.commit(
                        [Put(target, f"bench {next(counter)}\n".encode())],
                        message="bench",
                        author=person,
                    ),
                    args.runs,
                ),
                None,
            ),
        ]
        store.close()

    print(f"store: {len(nodes)} nodes, {args.commits} commits, built in {build_s:.1f} s\n")
    print("| operation | median ms | target ms | ratio to baseline |")
    print("| --- | ---: | ---: | ---: |")
    for name, ms, goal in rows:
        print(f"| {name} | {ms:.2f} | {goal if goal is not None else '-'} | {ms / baseline:.2f} |")


if __name__ == "__main__":
    main()
