"""Plain services behind `parindex evaluate` and `parindex rank` (and later the API)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from evaluators.compiled import CompiledEngine
from evaluators.errors import EvaluatorError
from evaluators.program import Program, build_program
from evaluators.ranking import DEFAULT_BANDS, Ranking, rank
from evaluators.result import Result
from evaluators.scoring import Engine, score_many
from evaluators.submission import load_submissions
from methodology import Store, open_methodology, parse_spec

__all__ = ["ENGINES", "evaluate_path", "open_engine", "program_for", "rank_path"]

ENGINES = ("compiled", "durable")


def open_engine(name: str, *, workers: int = 1) -> Engine:
    """A scoring engine by name; the durable one runs in worker processes."""
    if name == "compiled":
        return CompiledEngine()
    if name == "durable":
        from evaluators.durable import DurableEngine

        return DurableEngine(workers=workers)
    raise EvaluatorError(f"unknown engine '{name}'; choose one of {', '.join(ENGINES)}")


def program_for(store: Store, spec: str) -> Program:
    return build_program(open_methodology(store, parse_spec(spec)))


def evaluate_path(store: Store, spec: str, path: str | Path, engine: Engine) -> list[Result]:
    """Score a submission file, or every submission in a folder."""
    return score_many(program_for(store, spec), load_submissions(path), engine)


def rank_path(
    store: Store, spec: str, path: str | Path, engine: Engine, *, period: str | None = None
) -> Ranking:
    """Score and rank every submission in a folder (optionally of one period)."""
    program = program_for(store, spec)
    submissions = [s for s in load_submissions(path) if period is None or s.period == str(period)]
    if not submissions:
        raise EvaluatorError(f"no submissions{f' for period {period}' if period else ''} in {path}")
    manifest = program.methodology.manifest
    group = manifest.ranking.get("group_by_maximum") if manifest else None
    return rank(
        score_many(program, submissions, engine),
        not_ranked=manifest.not_ranked if manifest else (),
        bands=(manifest.bands if manifest and manifest.bands else DEFAULT_BANDS),
        group_by_maximum=Decimal(str(group)) if group else None,
    )
