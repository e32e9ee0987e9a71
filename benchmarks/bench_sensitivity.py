"""Benchmark of `evaluators.analysis.sensitivity` on the 63 provinces of par-provincial/2022.

Loads par-provincial/2022 from the bundled catalog folder and its 63 synthetic 2022
submissions, then times, as medians of warm runs:
- the one-off scoring (`VectorProgram.build` and `score_cohort`), which
  `sensitivity()` does once before any replication;
- `sensitivity()` end to end with 10,000 replications (target ≤ 2 s);
- the 10,000 replications alone (draw weights, re-aggregate, round, rank, tally),
  vectorised over replications in chunks;
- the baseline, measured in the same run: the same computation looping in Python over
  replications — the same model, one replication drawn, re-aggregated, ranked and
  tallied per iteration. It is measured on 200 replications and extrapolated
  linearly (×50) to 10,000, since its cost per replication is constant.

Run: ``python -m benchmarks.bench_sensitivity [--replications N] [--runs N]``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

if __package__ in (None, ""):  # run by path: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._timing import median_ms
from evaluators import build_program, load_submissions
from evaluators.analysis.sensitivity import _simulate, sensitivity
from evaluators.analysis.sensitivity_model import Model, competition_ranks
from evaluators.engines.vector.batch import VectorProgram, score_cohort
from evaluators.scoring.ranking import competition_ranks as decimal_ranks
from methodology.catalog import bundled_root
from methodology.versions import load_directory

__all__ = ["main"]

TARGET_MS = 2000.0
BASELINE_REPLICATIONS = 200


def _cohort():
    root = bundled_root()
    program = build_program(load_directory(root / "par-provincial" / "2022"))
    subs = load_submissions(root / "submissions" / "par-provincial" / "2022")
    return program, subs


def _model(program, subs):
    vprog = VectorProgram.build(program)
    batch = score_cohort(vprog, subs)
    model = Model.of_batch(vprog, batch)
    official = decimal_ranks({s.unit: i for s, i in zip(subs, batch.index, strict=True)})
    return model, np.array([official[s.unit] for s in subs], np.int64)


def _looped(model: Model, official: np.ndarray, replications: int, seed: int = 0):
    """The baseline: one replication per Python iteration, same steps and statistics."""
    streams = model.streams(seed)
    fields = range(len(model.fields))
    n = len(official)
    ranks = np.empty((replications, n), np.int64)
    shift = np.empty(replications)
    drivers = np.empty((replications, len(fields)))
    for r in range(replications):
        draw = model.draw(
            streams, 1, method="uniform", spread=0.2, level="both", concentration=200.0,
            driver_nodes=fields,
        )  # fmt: skip
        ranks[r] = competition_ranks(model.scores(draw.weights))[0]
        shift[r] = np.abs(ranks[r] - official).mean()
        drivers[r] = draw.drivers[0]
    return (
        np.percentile(ranks, [5, 50, 95], axis=0),
        ranks.min(axis=0),
        ranks.max(axis=0),
        (ranks != official).mean(axis=0),
        shift,
        drivers,
    )


def main(argv: list[str] | None = None) -> int:
    """Time scoring, sensitivity() and its replications against a Python loop."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    program, subs = _cohort()
    model, official = _model(program, subs)
    reps = args.replications
    scale_up = reps / BASELINE_REPLICATIONS

    def score() -> object:
        return score_cohort(VectorProgram.build(program), subs)

    def simulate() -> object:
        return _simulate(
            model,
            official,
            list(range(len(model.fields))),
            replications=reps,
            method="uniform",
            spread=0.2,
            level="both",
            concentration=200.0,
            seed=0,
        )

    scoring = median_ms(score, args.runs)
    end_to_end = median_ms(lambda: sensitivity(program, subs, replications=reps), args.runs)
    vectorised = median_ms(simulate, args.runs)
    looped = median_ms(lambda: _looped(model, official, BASELINE_REPLICATIONS), args.runs)
    baseline = looped * scale_up
    rows = [
        ("one-off scoring: VectorProgram.build + score_cohort", "—", scoring, None, None),
        (
            "baseline: Python loop over replications (measured)",
            f"{BASELINE_REPLICATIONS:,}",
            looped,
            None,
            None,
        ),
        (
            f"baseline extrapolated ×{scale_up:g} (linear in replications)",
            f"{reps:,}",
            baseline,
            None,
            1.0,
        ),
        ("replications only, vectorised", f"{reps:,}", vectorised, None, vectorised / baseline),
        ("sensitivity() end to end", f"{reps:,}", end_to_end, TARGET_MS, end_to_end / baseline),
    ]
    print(
        f"sensitivity of the ranks of {len(subs)} provinces to the weights "
        f"(par-provincial/2022, {len(model.fields)} fields, {len(model.components)} criteria; "
        f"uniform ±20%, fields and criteria; median of {args.runs} warm runs)\n"
    )
    print("| operation | replications | median ms | target ms | ratio to baseline |")
    print("|---|---:|---:|---:|---:|")
    for name, count, ms, target, ratio in rows:
        target_text = f"{target:.0f}" if target is not None else "—"
        ratio_text = f"{ratio:.4f}×" if ratio is not None else "—"
        print(f"| {name} | {count} | {ms:.2f} | {target_text} | {ratio_text} |")
    print(
        f"\nvectorised replications are {baseline / vectorised:.0f}× faster than the loop; "
        f"the end-to-end call {'meets' if end_to_end <= TARGET_MS else 'misses'} the "
        f"{TARGET_MS:.0f} ms target."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
