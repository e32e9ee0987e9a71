"""Benchmark of ``methodology.diff`` on two 100-node versions.

Builds a 4 fields × 4 criteria × 5 sub-criteria methodology (100 nodes) and a
second version in which 20 random nodes have a new title or a changed tier
table, then prints a Markdown table of median timings over warm runs (nodes
already parsed). The baseline, measured in the same run, compares the two
versions' canonical front matter with ``==`` for every node, so the ratio
says what the diff costs beyond merely noticing that something changed.

Run: ``python -m benchmarks.bench_diff [--runs N] [--seed S]``.
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import sys
from pathlib import Path

if __package__ in (None, ""):  # run by path: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._timing import median_ms
from methodology.diff import diff
from methodology.tree import Methodology, build_tree

__all__ = ["build_versions", "main", "renamed_copy", "synthetic_files"]

MANIFEST = "id: bench\ntitle: Benchmark\nlevel: tỉnh\nscale: 100\n"
TARGET_MS = 50.0
WORDS = (
    "công tác",
    "cải cách",
    "thủ tục",
    "hành chính",
    "dịch vụ công",
    "trực tuyến",
    "kiểm tra",
    "báo cáo",
    "tổ chức",
    "bộ máy",
    "chính quyền số",
    "tài chính công",
)


def _leaf(node_id: str, code: str, title: str, threshold: int, points: str) -> str:
    return (
        f'---\nid: {node_id}\ncode: "{code}"\ntitle: {title}\nmax_points: {points}\n'
        "inputs:\n  ty_le: {type: ratio, label: Tỷ lệ hoàn thành}\n"
        "scoring:\n  kind: tiers\n  tiers:\n"
        f"    - {{when: ty_le >= {threshold}%, points: {points}}}\n"
        f"    - {{when: ty_le >= 50%, points: 0.5}}\n"
        "    - {otherwise: true, points: 0}\n"
        "source: {illustrative: true}\n"
        f"---\nHướng dẫn chấm tiêu chí {code}.\n"
    )


def _branch(node_id: str, code: str, title: str, points: str) -> str:
    return f'---\nid: {node_id}\ncode: "{code}"\ntitle: {title}\nmax_points: {points}\n---\n'


def synthetic_files(rng: random.Random) -> dict[str, str]:
    """The files of a 100-node methodology: 4 fields × 4 criteria × 5 tiered sub-criteria."""
    files = {"methodology.yaml": MANIFEST}
    for f in range(1, 5):
        files[f"f{f}/_node.md"] = _branch(
            f"f{f}", str(f), f"Lĩnh vực {f} {rng.choice(WORDS)}", "20"
        )
        for c in range(1, 5):
            files[f"f{f}/c{f}-{c}/_node.md"] = _branch(
                f"c{f}-{c}", f"{f}.{c}", f"Tiêu chí {rng.choice(WORDS)} {rng.choice(WORDS)}", "5"
            )
            for s in range(1, 6):
                files[f"f{f}/c{f}-{c}/s{f}-{c}-{s}.md"] = _leaf(
                    f"s{f}-{c}-{s}",
                    f"{f}.{c}.{s}",
                    f"Tiêu chí thành phần {rng.choice(WORDS)} {rng.choice(WORDS)}",
                    90,
                    "1",
                )
    return files


def build_versions(seed: int = 11, changed: int = 20) -> tuple[Methodology, Methodology]:
    """Two 100-node versions; ``changed`` random leaves differ in title or tier rule."""
    rng = random.Random(seed)
    before = synthetic_files(rng)
    after = dict(before)
    leaves = sorted(p for p in before if p.count("/") == 2 and not p.endswith("_node.md"))
    for path in rng.sample(leaves, changed):
        node_id = path.rsplit("/", 1)[1][:-3]
        f, c, s = node_id[1:].split("-")
        code = f"{f}.{c}.{s}"
        if rng.random() < 0.5:
            after[path] = _leaf(
                node_id, code, f"Tiêu chí thành phần {rng.choice(WORDS)} (sửa đổi)", 90, "1"
            )
        else:
            title = before[path].split("title: ", 1)[1].split("\n", 1)[0]
            after[path] = _leaf(
                node_id, code, title, rng.choice((80, 95)), rng.choice(("1", "1.5"))
            )
    a = build_tree("bench", {p: p for p in before}, lambda p: before[p].encode())
    b = build_tree("bench", {p: p for p in after}, lambda p: after[p].encode())
    assert not a.problems and not b.problems, (a.problems, b.problems)
    assert len(a.nodes) == len(b.nodes) == 100
    return a, b


def renamed_copy(m: Methodology, prefix: str = "x-") -> Methodology:
    """``m`` with every id changed: the worst case, every pair is scored as a rename."""
    new = {i: prefix + i for i in m.nodes}
    nodes = {
        new[i]: dataclasses.replace(n, id=new[i], parent=new.get(n.parent) if n.parent else None)
        for i, n in m.nodes.items()
    }
    children = {(new[k] if k else None): [new[c] for c in v] for k, v in m.children.items()}
    return dataclasses.replace(m, nodes=nodes, children=children)


def main(argv: list[str] | None = None) -> int:
    """Time diff() and its reports; print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args(argv)
    a, b = build_versions(args.seed)

    def baseline() -> int:
        # Counts rather than all(): every node is compared, as diff() must.
        return sum(a.nodes[i].front_matter() != b.nodes[i].front_matter() for i in a.nodes)

    result = diff(a, b)
    independent = renamed_copy(b)
    base = median_ms(baseline, args.runs)
    rows = [
        ("baseline: front_matter() == per node", base, None),
        ("diff(a, b)", median_ms(lambda: diff(a, b), args.runs), TARGET_MS),
        ("diff(a, a)", median_ms(lambda: diff(a, a), args.runs), TARGET_MS),
        (
            "diff, every id changed (100 × 100 rename scoring)",
            median_ms(lambda: diff(a, independent), max(3, args.runs // 4)),
            None,
        ),
        ("Diff.to_json()", median_ms(result.to_json, args.runs), None),
        ("Diff.to_text()", median_ms(result.to_text, args.runs), None),
        ("Diff.to_markdown()", median_ms(result.to_markdown, args.runs), None),
    ]
    print(
        f"diff of two 100-node versions ({len(result.changes)} changes, "
        f"median of {args.runs} warm runs)\n"
    )
    print("| operation | median ms | target ms | ratio to baseline |")
    print("|---|---:|---:|---:|")
    for name, ms, target in rows:
        target_text = f"{target:.0f}" if target is not None else "—"
        print(f"| {name} | {ms:.2f} | {target_text} | {ms / base:.2f}× |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
