"""Benchmark of ``evaluators.analysis.audit``: 82 units (63 provinces + 19 ministries) across two
versions each.

The provinces' 2021 sample submissions are audited from par-provincial 1149/QĐ-BNV to
876/QĐ-BNV (the 2022 samples fill the inputs 876 added); the ministries' 2023 samples
from par-ministry 876/QĐ-BNV to a draft revision committed for the run (two thresholds
raised, one sub-criterion moved). Timed: the two audits together, from parsed
submissions, versions already resolved; *warm* keeps each version's compiled form with
its program (as a server auditing the same versions does), *cold* compiles the four
versions inside every run. Pairing the versions' nodes is inside every run. Baselines in the same run: scoring the same submissions under the
four versions with `score_many` (the per-submission engine, no attribution), and the
audit done by `score_many` trees plus the same attribution arithmetic in Python
Fractions node by node (`_reference_audit`), the straightforward way to write it.

Run: ``python -m benchmarks.bench_audit [--runs N]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

if __package__ in (None, ""):  # run by path: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._timing import median_ms
from evaluators import CompiledEngine, build_program, load_submissions, score_many
from evaluators.analysis.attribution import VersionPair
from evaluators.analysis.audit import audit
from methodology import Person, init_store, open_methodology
from methodology.authoring import MoveNode, UpdateNode, apply_edits
from methodology.catalog import bundled_root

__all__ = ["main", "prepare"]

TARGET_MS = 200.0
SAMPLES = bundled_root() / "submissions"


def _draft(store) -> str:
    """A draft revision of par-ministry on top of its 2022 release: two thresholds
    raised (rule changes) and one sub-criterion moved to another criterion."""
    m = open_methodology(store, "par-ministry@par-ministry/2022")
    edits = []
    for node in m.leaves():
        text = store.read_blob(node.blob).decode("utf-8")
        if "> 90%" in text and len(edits) < 2:
            edits.append(
                UpdateNode(node.id, text.replace("> 90%", "> 95%").replace("<= 90%", "<= 95%"))
            )
    leaves = list(m.leaves())
    mover = leaves[3]
    target = next(n.parent for n in leaves if n.parent not in (None, mover.parent))
    edits.append(MoveNode(mover.id, target))
    return apply_edits(
        store,
        "par-ministry",
        edits,
        author=Person("Nhóm phương pháp (thử)", "bench@parindex.invalid"),
        message="Dự thảo sửa đổi (benchmark)",
        check=False,
    )


def prepare(folder: Path):
    store = init_store(folder / "store")
    draft = _draft(store)
    provinces = (
        build_program(open_methodology(store, "par-provincial@par-provincial/2019")),
        build_program(open_methodology(store, "par-provincial@par-provincial/2022")),
        load_submissions(SAMPLES / "par-provincial" / "2021"),
        {s.unit: s for s in load_submissions(SAMPLES / "par-provincial" / "2022")},
    )
    ministries = (
        build_program(open_methodology(store, "par-ministry@par-ministry/2022")),
        build_program(open_methodology(store, f"par-ministry@{draft}")),
        load_submissions(SAMPLES / "par-ministry" / "2023"),
        {},
    )
    return store, [provinces, ministries]


def _audits(cases) -> list:
    return [audit(a, b, subs, fill=fill) for a, b, subs, fill in cases]


def _cold(cases) -> list:
    fresh = [
        (build_program(a.methodology), build_program(b.methodology), subs, fill)
        for a, b, subs, fill in cases
    ]
    return _audits(fresh)


def _score_only(cases) -> None:
    for a, b, subs, fill in cases:
        pair = VersionPair(a, b)
        on_a = [pair.project(s, "a")[0] for s in subs]
        on_b = [pair.fill(pair.project(s, "b")[0], fill.get(s.unit), "b")[0] for s in subs]
        score_many(a, on_a, CompiledEngine())
        score_many(b, on_b, CompiledEngine())


def _reference_audit(cases) -> list[dict[str, Fraction]]:
    """Scalar scoring and per-node Fractions: what the audit would cost written plainly
    (exclude_and_normalize only, which both cohorts use)."""
    out = []
    for a, b, subs, fill in cases:
        pair = VersionPair(a, b)
        on_a = [pair.project(s, "a")[0] for s in subs]
        on_b = [pair.fill(pair.project(s, "b")[0], fill.get(s.unit), "b")[0] for s in subs]
        ra = score_many(a, on_a, CompiledEngine())
        rb = score_many(b, on_b, CompiledEngine())
        for x, y in zip(ra, rb, strict=True):
            pa = {n.id: n for n in x.walk()}
            pb = {n.id: n for n in y.walk()}
            s = Fraction(a.methodology.manifest.scale)
            t_a, m_a, m_b = (
                Fraction(x.total),
                Fraction(x.applicable_max),
                Fraction(y.applicable_max),
            )
            amounts: dict[str, Fraction] = {}
            for new, old in pair.b_to_a.items():
                if new in pb and old in pa and not pb[new].children:
                    d_t = Fraction(pb[new].points or 0) - Fraction(pa[old].points or 0)
                    d_m = Fraction(pb[new].applicable_max) - Fraction(pa[old].applicable_max)
                    amounts[new] = s / m_b * d_t - s * t_a / (m_a * m_b) * d_m
            out.append(amounts)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="parindex-bench-audit-") as tmp:
        store, cases = prepare(Path(tmp))
        units = sum(len(c[2]) for c in cases)
        results = _audits(cases)
        complete = sum(u.complete for r in results for u in r.units)
        exact = all(
            sum((e.amount for e in u.attribution), Decimal(0)) == u.delta
            for r in results
            for u in r.units
            if u.complete
        )
        ours = median_ms(lambda: _audits(cases), args.runs)
        cold = median_ms(lambda: _cold(cases), args.runs)
        score = median_ms(lambda: _score_only(cases), max(3, args.runs // 3))
        reference = median_ms(lambda: _reference_audit(cases), max(3, args.runs // 3))
        store.close()
    print(
        f"Audit of {units} units across two versions each ({complete} complete, "
        f"amounts sum exactly to every delta: {exact}); median of {args.runs} runs.\n"
    )
    print("| what | ms | × audit |")
    print("|---|---:|---:|")
    print(f"| `audit`, warm (vectorised scoring + integer attribution) | {ours:.1f} | 1.0 |")
    print(
        f"| `audit`, cold (the four versions compiled in the run) | {cold:.1f} | {cold / ours:.1f} |"
    )
    print(
        f"| baseline: `score_many` under both versions, no attribution | {score:.1f} | {score / ours:.1f} |"
    )
    print(
        f"| baseline: `score_many` trees + Fraction attribution per node | {reference:.1f} | {reference / ours:.1f} |"
    )
    verdict = "met" if max(ours, cold) <= TARGET_MS else "NOT met"
    print(f"\nTarget ≤ {TARGET_MS:.0f} ms: {verdict} (warm {ours:.1f} ms, cold {cold:.1f} ms).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
