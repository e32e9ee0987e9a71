"""Scoring submissions against any methodology version, explaining every point.

A `Program` (`program`) is a methodology version ready to score; a `Submission`
(`submission`) is scored by it into a `Result` (`result`). `scoring/` holds what every
engine shares (the plan: cleaning, points, aggregation, N/A policies; ranking);
`engines/` the engines that decide leaves (`compiled`, its NumPy batch path `vector/`,
and the durable-rules engine `durable/`); `analysis/` what is computed over scored
cohorts (audit, trend, sensitivity, their charts and reports); `runner` opens engines and
runs the requests of the command line and the API.

This ``__all__`` is the public surface: other packages import only these names.
"""

from evaluators.analysis.audit import Audit, VersionPair, audit
from evaluators.analysis.charts import (
    rank_interval_chart,
    ranking_chart,
    slope_chart,
    waterfall_chart,
    write_charts,
)
from evaluators.analysis.charts import render as render_chart
from evaluators.analysis.labels import vn
from evaluators.analysis.progress import Progress
from evaluators.analysis.published import PublishedComparison, compare_published
from evaluators.analysis.reports import source_name
from evaluators.analysis.sensitivity import LEVELS, METHODS, Sensitivity, sensitivity
from evaluators.analysis.trend import Trend, trend
from evaluators.engines.compiled import CompiledEngine
from evaluators.engines.vector.ranked import cohort_scores
from evaluators.errors import (
    EngineError,
    EvaluatorError,
    IncompleteSubmission,
    SubmissionError,
    WorkerCrashed,
)
from evaluators.program import Case, Decision, Program, build_program
from evaluators.report import analysis_text, evaluation_json, evaluation_text
from evaluators.result import ENGINE_VERSION, NodeResult, Result, hash_result
from evaluators.runner import (
    ENGINES,
    audit_request,
    bundled_samples,
    evaluate_path,
    open_engine,
    program_for,
    rank_path,
    sample_scorer,
    sensitivity_request,
    trend_request,
    write_report,
)
from evaluators.scoring.cleaning import clean_number
from evaluators.scoring.plan import Engine, clean_problems, score, score_many
from evaluators.scoring.ranking import (
    DEFAULT_BANDS,
    Ranking,
    UnitScores,
    rank,
    rank_scores,
    vietnamese_key,
)
from evaluators.submission import Submission, load_submission, load_submissions, parse_submission

__all__ = [
    "DEFAULT_BANDS",
    "ENGINES",
    "ENGINE_VERSION",
    "LEVELS",
    "METHODS",
    "Audit",
    "Case",
    "CompiledEngine",
    "Decision",
    "Engine",
    "EngineError",
    "EvaluatorError",
    "IncompleteSubmission",
    "NodeResult",
    "Program",
    "Progress",
    "PublishedComparison",
    "Ranking",
    "Result",
    "Sensitivity",
    "Submission",
    "SubmissionError",
    "Trend",
    "UnitScores",
    "VersionPair",
    "WorkerCrashed",
    "analysis_text",
    "audit",
    "audit_request",
    "build_program",
    "bundled_samples",
    "clean_number",
    "clean_problems",
    "cohort_scores",
    "compare_published",
    "evaluate_path",
    "evaluation_json",
    "evaluation_text",
    "hash_result",
    "load_submission",
    "load_submissions",
    "open_engine",
    "parse_submission",
    "program_for",
    "rank",
    "rank_interval_chart",
    "rank_path",
    "rank_scores",
    "ranking_chart",
    "render_chart",
    "sample_scorer",
    "score",
    "score_many",
    "sensitivity",
    "sensitivity_request",
    "slope_chart",
    "source_name",
    "trend",
    "trend_request",
    "vietnamese_key",
    "vn",
    "waterfall_chart",
    "write_charts",
    "write_report",
]
