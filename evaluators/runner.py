"""Plain services behind `parindex evaluate` and `parindex rank` (and later the API)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evaluators.engines.compiled import CompiledEngine
from evaluators.errors import EvaluatorError
from evaluators.program import Program, build_program
from evaluators.result import Result
from evaluators.scoring.plan import Engine, score_many
from evaluators.scoring.ranking import DEFAULT_BANDS, Ranking, rank
from evaluators.submission import Submission, load_submissions
from methodology import (
    Methodology,
    MethodologyError,
    Store,
    Versions,
    open_methodology,
    parse_spec,
)

if TYPE_CHECKING:
    from evaluators.analysis.audit import Audit
    from evaluators.analysis.sensitivity import Sensitivity
    from evaluators.analysis.trend import Trend
    from evaluators.engines.durable.engine import DurableEngine

__all__ = [
    "ENGINES",
    "Samples",
    "audit_request",
    "bundled_samples",
    "evaluate_path",
    "open_engine",
    "program_for",
    "rank_path",
    "sample_scorer",
    "sensitivity_request",
    "trend_request",
    "write_report",
]

ENGINES = ("compiled", "durable")


def open_engine(name: str, *, workers: int = 1) -> CompiledEngine | DurableEngine:
    """A scoring engine by name, to close after use; the durable one runs in worker
    processes."""
    if name == "compiled":
        return CompiledEngine()
    if name == "durable":
        from evaluators.engines.durable.engine import DurableEngine

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


def sample_scorer() -> Callable[[Methodology, Mapping[str, Any]], float | None]:
    """What `methodology.write_samples` calibrates with: a submission's index, in % of the
    scale, scored by the compiled engine (programs kept per version)."""
    from evaluators.submission import parse_submission

    engine = CompiledEngine()
    programs: dict[int, Program] = {}

    def score(m: Methodology, data: Mapping[str, Any]) -> float | None:
        program = programs.get(id(m))
        if program is None:
            program = programs[id(m)] = build_program(m)
        result = score_many(program, [parse_submission(dict(data))], engine)[0]
        scale = m.manifest.scale if m.manifest else Decimal(100)
        return None if result.index is None else float(result.index * 100 / scale)

    return score


@dataclass
class Samples:
    """Bundled sample submissions chosen for a comparison of two versions: the latest
    period scored under the earlier version and the first under the later one."""

    earlier: list[Submission]
    later: list[Submission]
    description: str


def bundled_samples(
    store: Store, a: Methodology, b: Methodology | None = None, versions: Versions | None = None
) -> Samples:
    """The bundled samples of the cohort scored under ``a`` (and ``b``), matched by
    version, however spelled; ``later`` is empty when no sample period is scored
    under ``b``."""
    from methodology import bundled_root, load_plan

    _, sets = load_plan()
    versions = versions or Versions(store)

    def under(m: Methodology):
        # a store without a sample set's release has no samples for it: `same` is False
        found = [s for s in sets if versions.same(m, s.methodology, s.ref)]
        return sorted(found, key=lambda s: s.period)

    def load(s) -> list[Submission]:
        return load_submissions(bundled_root() / "submissions" / s.methodology / str(s.period))

    sets_a = under(a)
    sets_b = under(b) if b is not None else []
    if not sets_a and not sets_b:
        names = f"{a.name}@{a.ref}" + (f" or {b.name}@{b.ref}" if b is not None else "")
        raise EvaluatorError(
            f"no bundled sample submissions are scored under {names}; pass a submissions folder"
        )
    if not sets_a:
        first = sets_b[0]
        return Samples(load(first), [], f"bundled samples {first.cohort} {first.period}")
    last = sets_a[-1]
    later = next((s for s in sets_b if s.period > last.period), sets_b[0] if sets_b else None)
    text = f"bundled samples {last.cohort} {last.period}"
    if later is not None:
        text += f", {later.cohort} {later.period}"
    return Samples(load(last), load(later) if later is not None else [], text)


def audit_request(
    store: Store,
    source: str,
    target: str,
    submissions: str | Path | Sequence[Submission] | None = None,
    *,
    fill: str | Path | Sequence[Submission] | None = None,
    period: str | None = None,
    not_ranked: Sequence[str] = (),
) -> Audit:
    """`parindex audit`: compare two versions on a folder of submissions or, without
    one, on the bundled samples (filled from the next period's samples)."""
    from evaluators.analysis.audit import audit

    a, b = program_for(store, source), program_for(store, target)
    versions = Versions(store)
    label = None
    if submissions is None:
        samples = bundled_samples(store, a.methodology, b.methodology, versions)
        subs, donors, label = samples.earlier or samples.later, samples.later, samples.description
        if not samples.earlier:
            donors = []
    else:
        subs = _given(submissions, period)
        donors = _given(fill, None) if fill is not None else []
        label = str(submissions) if isinstance(submissions, str | Path) else None
    return audit(
        a,
        b,
        subs,
        fill={d.unit: d for d in donors},
        not_ranked=not_ranked,
        source=label,
        versions=versions,
    )


def trend_request(
    store: Store,
    source: str | None,
    target: str | None,
    earlier: str | Path | Sequence[Submission] | None = None,
    later: str | Path | Sequence[Submission] | None = None,
    *,
    not_ranked: Sequence[str] = (),
) -> Trend:
    """`parindex trend`: versions default to the ones the submissions name; without
    folders, the bundled samples of the two versions' periods."""
    from evaluators.analysis.trend import trend

    versions = Versions(store)
    if earlier is None or later is None:
        if source is None or target is None:
            raise EvaluatorError("without submission folders, give --from and --to")
        a, b = program_for(store, source), program_for(store, target)
        samples = bundled_samples(store, a.methodology, b.methodology, versions)
        if not samples.earlier or not samples.later:
            raise EvaluatorError(
                f"the bundled samples have no two periods scored under {source} and {target}"
            )
        return trend(a, b, samples.earlier, samples.later, not_ranked=not_ranked, versions=versions)
    first, second = _given(earlier, None), _given(later, None)
    a = program_for(store, source or _named(first, versions))
    b = program_for(store, target or _named(second, versions))
    return trend(a, b, first, second, not_ranked=not_ranked, versions=versions)


def sensitivity_request(
    store: Store,
    target: str,
    submissions: str | Path | Sequence[Submission] | None = None,
    *,
    period: str | None = None,
    **options: Any,
) -> Sensitivity:
    """`parindex sensitivity`: weight perturbations over a folder of submissions or, by
    default, the latest bundled sample period scored under ``target``."""
    from evaluators.analysis.sensitivity import sensitivity

    program = program_for(store, target)
    if submissions is None:
        subs = bundled_samples(store, program.methodology).earlier
    else:
        subs = _given(submissions, period)
    try:
        return sensitivity(program, subs, **options)
    except ValueError as exc:  # a bad parameter, named in the message
        raise EvaluatorError(str(exc)) from exc


def _given(items: str | Path | Sequence[Submission], period: str | None) -> list[Submission]:
    where = f" in {items}" if isinstance(items, str | Path) else ""
    if isinstance(items, str | Path):
        items = load_submissions(items)
    subs = [s for s in items if period is None or s.period == str(period)]
    if not subs:
        raise EvaluatorError(f"no submissions{f' for period {period}' if period else ''}{where}")
    return subs


def _named(subs: Sequence[Submission], versions: Versions) -> str:
    """The one version a set of submissions names (``methodology@ref``, the first
    spelling of it: refs spelled differently that resolve to one version are one)."""
    spellings = dict.fromkeys((s.methodology, s.ref) for s in subs)
    named: dict[tuple[str, ...], tuple[str, str]] = {}
    for m, ref in spellings:
        if m is None or ref is None:
            raise EvaluatorError("a submission names no methodology@ref; give --from and --to")
        try:
            named.setdefault(versions.of(m, ref), (m, ref))
        except MethodologyError as exc:
            raise EvaluatorError(
                f"the submissions name {m}@{ref}, which is not in the store: {exc}"
            ) from None
    if len(named) != 1:
        listed = ", ".join(f"{m}@{ref}" for m, ref in named.values())
        raise EvaluatorError(
            f"the submissions name more than one version ({listed}); give --from and --to"
        )
    m, ref = next(iter(named.values()))
    return f"{m}@{ref}"


def write_report(
    store: Store,
    source: str,
    target: str,
    folder: str | Path,
    *,
    unit: str | None = None,
    replications: int = 10000,
    seed: int = 1,
) -> Path:
    """`parindex report`: one person-readable report in ``folder`` (``report.md`` and
    its charts as SVG and PNG) — the audit of the bundled samples from ``source`` to
    ``target``, the methodology-adjusted trend, and the sensitivity of the ranking
    under ``target`` to its weights. Chart links are relative to the report."""
    from evaluators.analysis.charts import write_charts

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    audited = audit_request(store, source, target)
    moved = trend_request(store, source, target)
    fragile = sensitivity_request(store, target, replications=replications, seed=seed)

    def charts(result: Any, sub: str) -> dict[str, str]:
        written = write_charts(result, out / sub, unit=unit)
        return {k: Path(v).relative_to(out).as_posix() for k, v in written.items()}

    parts = [
        audited.to_markdown(charts=charts(audited, "audit")),
        moved.to_markdown(charts=charts(moved, "trend")),
        fragile.to_markdown(charts=charts(fragile, "sensitivity")),
    ]
    head = [
        f"# Báo cáo kiểm toán Chỉ số CCHC: {audited.source['label']} → {audited.target['label']}",
        "",
        f"Tạo bằng `parindex report --from {source} --to {target}"
        + (f" --unit {unit}" if unit else "")
        + f" --replications {replications} --seed {seed}` từ bộ chỉ số đóng gói và hồ sơ "
        "mẫu của dự án. **Hồ sơ mẫu là dữ liệu tổng hợp (synthetic), không phải kết quả "
        "thật của các tỉnh**; nội dung tiêu chí được đánh dấu minh hoạ trong bộ chỉ số.",
        "",
    ]
    body = "\n\n".join(_demote(p) for p in parts)
    path = out / "report.md"
    path.write_text("\n".join(head) + "\n" + body + "\n", encoding="utf-8")
    return path


def _demote(markdown: str) -> str:
    """Headings one level down, so that sections fit under the report's title."""
    return "\n".join("#" + line if line.startswith("#") else line for line in markdown.splitlines())
