"""A cohort's ranking scores from the vectorised path: the numbers `rank` reads of each
unit, without building a result tree per unit."""

from __future__ import annotations

from collections.abc import Sequence

from evaluators.engines.vector.batch import VectorProgram, score_cohort
from evaluators.program import Program
from evaluators.scoring.ranking import UnitScores
from evaluators.submission import Submission

__all__ = ["cohort_scores"]


def cohort_scores(program: Program, submissions: Sequence[Submission]) -> list[UnitScores]:
    """Each submission's `UnitScores`, in order, equal to those of its `score_many`
    result (the compiled engine's)."""
    if not submissions:
        return []
    vprog = program.cached("vector", VectorProgram.build)
    batch = score_cohort(vprog, submissions)
    fields = [vprog.nodes[i] for i in vprog.roots.tolist()]
    columns = {f: batch.points(f) for f in fields}
    total, index, amax = batch.total, batch.index, batch.applicable_max
    complete = batch.complete.tolist()
    return [
        UnitScores(
            unit=s.unit,
            name=s.unit_name or s.unit,
            index=index[row],
            total=total[row],
            applicable_max=amax[row],
            scale=vprog.scale,
            complete=bool(complete[row]),
            fields={f: columns[f][row] for f in fields},
        )
        for row, s in enumerate(submissions)
    ]
