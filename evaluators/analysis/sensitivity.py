"""How much a cohort's ranks depend on the weights: an uncertainty and sensitivity
analysis in the manner of the JRC's COINr (``get_sensitivity``).

The cohort is scored once by the vectorised compiled engine; everything after that
works on arrays. The weights of the fields and of their criteria are drawn ``N`` times
around the official ones, each unit's index is re-aggregated from its per-criterion
achievement under the methodology's N/A policy and rounding, the cohort is re-ranked,
and the spread of each unit's rank is reported with the fields (or criteria) whose
weight moves the ranks most. See `sensitivity` for the rules.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np

from evaluators.analysis.progress import Progress, Steps
from evaluators.analysis.sensitivity_model import (
    LEVELS,
    METHODS,
    Model,
    competition_ranks,
)
from evaluators.analysis.sensitivity_stats import (
    centred_ranks,
    first_order,
    percentiles_from_counts,
    rank_correlation,
)
from evaluators.engines.vector.batch import VectorProgram, score_cohort
from evaluators.program import Program
from evaluators.scoring.ranking import competition_ranks as decimal_ranks
from evaluators.scoring.ranking import vietnamese_key
from evaluators.submission import Submission, parse_submission
from methodology import to_json_value

__all__ = [
    "LEVELS",
    "MAX_REPLICATIONS",
    "METHODS",
    "Driver",
    "Sensitivity",
    "UnitSensitivity",
    "sensitivity",
]

MAX_REPLICATIONS = 1_000_000
# Working memory per chunk of replications (weights, indices, ranks), in bytes.
_CHUNK_BYTES = 200_000_000
# With a progress callback, at least this many chunks (when there are replications
# enough), so the reported fraction moves while the run lasts.
_PROGRESS_CHUNKS = 50
_MAX_BINS = 20
_METHOD_TEXT = {"uniform": "đều", "dirichlet": "Dirichlet"}
_CHART_TEXT = {"intervals": "Khoảng thứ hạng", "rank_interval": "Khoảng thứ hạng"}
_LEVEL_TEXT = {
    "field": "trọng số lĩnh vực",
    "criterion": "trọng số tiêu chí trong lĩnh vực",
    "both": "trọng số lĩnh vực và tiêu chí",
}


@dataclass(frozen=True)
class UnitSensitivity:
    """One unit's official index and rank and the distribution of its rank over the
    replications (None for units that are incomplete or not ranked)."""

    unit: str
    unit_name: str
    ranked: bool
    complete: bool
    index: Decimal | None
    rank: int | None
    rank_median: float | None = None
    rank_p05: float | None = None
    rank_p95: float | None = None
    rank_min: int | None = None
    rank_max: int | None = None
    changed_share: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "unit": self.unit,
            "unit_name": self.unit_name,
            "ranked": self.ranked,
            "complete": self.complete,
            "index": to_json_value(self.index),
            "rank": self.rank,
            "rank_median": self.rank_median,
            "rank_p05": self.rank_p05,
            "rank_p95": self.rank_p95,
            "rank_min": self.rank_min,
            "rank_max": self.rank_max,
            "changed_share": self.changed_share,
        }


@dataclass(frozen=True)
class Driver:
    """A field (or, at ``level="criterion"``, a criterion) and how much its weight
    explains the mean absolute rank shift: first-order index and Spearman correlation."""

    node: str
    code: str
    title: str
    first_order: float
    correlation: float

    def to_json(self) -> dict[str, Any]:
        return {
            "node": self.node,
            "code": self.code,
            "title": self.title,
            "first_order": self.first_order,
            "correlation": self.correlation,
        }


@dataclass
class Sensitivity:
    """The result of `sensitivity`: parameters, units (official rank order) and drivers
    (most influential first)."""

    methodology: dict[str, Any]
    replications: int
    seed: int
    method: str
    spread: float
    level: str
    concentration: float
    policy: str
    units: list[UnitSensitivity] = field(default_factory=list)
    drivers: list[Driver] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """Plain JSON data (numbers as numbers, absent ranks as null)."""
        return {
            "methodology": dict(self.methodology),
            "replications": self.replications,
            "seed": self.seed,
            "method": self.method,
            "spread": self.spread,
            "level": self.level,
            "concentration": self.concentration,
            "policy": self.policy,
            "units": [u.to_json() for u in self.units],
            "drivers": [d.to_json() for d in self.drivers],
        }

    def to_markdown(self, *, charts: Mapping[str, str] | None = None) -> str:
        """A report in Vietnamese: parameters, the units' rank intervals, the drivers;
        ``charts`` maps a chart name to an image path to embed after the units' table."""
        m = self.methodology
        name = f"{m['methodology']}@{m['ref']}" if m.get("ref") else str(m["methodology"])
        label = f" ({m['label']})" if m.get("label") and m["label"] != m.get("ref") else ""
        commit = f", commit `{m['commit'][:12]}`" if m.get("commit") else ""
        if self.method == "uniform":
            draw = f"nhân mỗi trọng số với (1 + U(−{self.spread:g}, {self.spread:g})), rồi chuẩn hoá lại"
        else:
            draw = f"Dirichlet(độ tập trung {self.concentration:g} × tỷ trọng chính thức)"
        lines = [
            "# Độ nhạy của thứ hạng theo trọng số",
            "",
            f"- Bộ chỉ số: {name}{label}{commit}",
            f"- Số lần lặp: {self.replications}; hạt giống ngẫu nhiên (seed): {self.seed}",
            f"- Phân phối: {_METHOD_TEXT[self.method]} — {draw}",
            f"- Thay đổi: {_LEVEL_TEXT[self.level]}",
            f"- Chính sách không áp dụng (N/A): {self.policy}",
            "- Chỉ số được tính lại từ tỷ lệ đạt của từng tiêu chí, làm tròn như chỉ số công bố,"
            " rồi xếp hạng cạnh tranh (1, 2, 2, 4).",
            "",
            "## Thứ hạng",
            "",
            "| Hạng chính thức | Đơn vị | Chỉ số | Trung vị | Khoảng 5–95% | Thấp nhất–cao nhất"
            " | Tỷ lệ lần đổi hạng |",
            "|---:|---|---:|---:|---:|---:|---:|",
        ]
        for u in self.units:
            note = ""
            if not u.complete:
                note = " (thiếu dữ liệu)"
            elif not u.ranked:
                note = " (đánh giá, không xếp hạng)"
            index = "—" if u.index is None else f"{u.index}"
            if u.rank is None:
                cells = ["—", "—", "—", "—", "—"]
            else:
                cells = [
                    str(u.rank),
                    _num(u.rank_median),
                    f"{_num(u.rank_p05)}–{_num(u.rank_p95)}",
                    f"{u.rank_min}–{u.rank_max}",
                    f"{100 * (u.changed_share or 0):.1f}%",
                ]
            lines.append(
                f"| {cells[0]} | {_cell(u.unit_name)}{note} | {index} | {cells[1]} | {cells[2]}"
                f" | {cells[3]} | {cells[4]} |"
            )
        for name, path in (charts or {}).items():
            lines += ["", f"![{_CHART_TEXT.get(name, name)}]({path})"]
        kind = "tiêu chí" if self.level == "criterion" else "lĩnh vực"
        lines += [
            "",
            f"## Các {kind} tác động nhiều nhất đến thay đổi thứ hạng",
            "",
            "Chỉ số độ nhạy bậc nhất: phần phương sai của độ lệch hạng trung bình"
            f" |hạng − hạng chính thức| giải thích được bởi trọng số của {kind}"
            " (ước lượng theo nhóm phân vị); tương quan hạng Spearman giữa hệ số trọng số"
            " và độ lệch đó.",
            "",
            f"| Mã | {kind.capitalize()} | Chỉ số bậc nhất | Tương quan |",
            "|---|---|---:|---:|",
        ]
        for d in self.drivers:
            lines.append(
                f"| {_cell(d.code)} | {_cell(d.title)} | {d.first_order:.3f} | {d.correlation:.3f} |"
            )
        return "\n".join(lines) + "\n"


def _num(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.1f}".removesuffix(".0") if value == round(value, 1) else f"{value:.2f}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def sensitivity(
    program: Program,
    submissions: Sequence[Submission | Mapping],
    *,
    replications: int = 1000,
    spread: float = 0.2,
    method: str = "uniform",
    level: str = "both",
    concentration: float = 200.0,
    seed: int = 0,
    not_ranked: Sequence[str] = (),
    progress: Progress | None = None,
) -> Sensitivity:
    """Uncertainty of the cohort's ranks under random weights, and which weights drive it.

    **Components.** The criteria (children of the top-level fields; a field without
    children is its own component). Per complete unit u and component c: points p and
    applicable maximum a (0 when not applicable) from one vectorised scoring
    (`score_cohort`, `Batch.arrays`).

    **Weights.** ``replications`` draws, all vectorised (in chunks of at most ~200 MB,
    which do not change the result), from generators spawned from
    ``numpy.random.default_rng(seed)`` — one for the fields, one per field for its
    criteria:

    - ``method="uniform"``: each field weight and each criterion weight is multiplied
      by ``1 + U(-spread, spread)``; criteria are renormalised within their field to
      the field's (perturbed) weight and fields to the official total (the scale).
    - ``method="dirichlet"``: field weights ~ Dirichlet(concentration × official field
      shares) × total; criterion shares within each field ~ Dirichlet(concentration ×
      official within-field shares). ``spread`` is then unused (and ``concentration``
      is unused by "uniform").
    - ``level``: "field" perturbs only the fields (criteria keep their official shares
      of their field), "criterion" only the criteria within their (official) field
      weight, "both" both.

    **Re-aggregation.** Component c counts, under a new weight w, for ``p/a`` (its
    official achievement) × w × ``a/m`` (its applicable share, m its official maximum):
    ``w·p/m`` points out of ``w·a/m`` applicable. Then the index follows the
    manifest's N/A policy: exclude_and_normalize ``Σ w·p/m ÷ Σ w·a/m × scale``;
    count_as_zero ``Σ w·p/m`` (N/A components give 0); count_as_full ``Σ w·p/m +
    (scale − Σ w·a/m)`` (N/A parts give their full new weight). The ``a/m`` factor is
    what makes the official weights reproduce the official index exactly when a
    criterion is partly not applicable (the official index weighs it by its applicable
    part); with ``a = m`` it is the plain ``w·p/a``. Caps inside criteria are already in
    p and a. A `sum_capped` field whose criteria's maxima exceed its own (a validation
    error; no bundled methodology has one) is capped at its maximum scaled by its new
    weight, which again reproduces the official index. Indices are rounded half-up to
    the manifest's places, as published, and ranked with competition ranks (1 + the
    number of strictly higher indices) among the ranked units: complete, with an
    index, and not in the manifest's ``ranking.not_ranked`` nor in ``not_ranked``.
    With ``spread=0`` every replication reproduces the official indices and ranks.

    **Per unit.** Official index and rank, then over the replications the rank's
    median, 5th and 95th percentiles (``np.percentile``, linear), minimum, maximum and
    the share of replications whose rank differs from the official one. Units that
    are incomplete or not ranked get null ranks.

    **Drivers.** Y per replication is the mean ``|rank − official rank|`` over the
    ranked units; X is, per field, its sampled factor: the uniform multiplier
    ``1 + U`` or the Dirichlet share ÷ the official share. The first-order index is
    estimated by cutting X into ``min(20, ⌊√N⌋)`` equal-count quantile bins:
    ``S = Σ_b n_b (Ȳ_b − Ȳ)² / Σ_i (Y_i − Ȳ)²`` (the correlation ratio, in [0, 1];
    it carries an upward bias of about (bins − 1)/N, 0.02 for N=1000 — read S near
    that level as "no effect"). The correlation is Spearman's between X and Y. 0 when
    X or Y is constant (as with ``spread=0``). With ``level="criterion"`` field weights
    do not move, so the drivers are the criteria instead (node = the criterion; X its
    multiplier or its within-field share ÷ official share), for every criterion in a
    field with at least two weighted criteria. Sorted by first-order index, descending
    (then by code).

    **Progress.** ``progress`` (`evaluators.analysis.progress`) hears of replications
    + 1 steps: the scoring, then each chunk of replications; with it the chunks are at
    most a fiftieth of the run, so that it moves (the result is the same).

    Raises ValueError naming the parameter for ``replications`` outside
    [1, MAX_REPLICATIONS], ``spread`` outside [0, 1), an unknown ``method`` or
    ``level``, ``concentration`` ≤ 0, a negative ``seed``, a unit submitted twice, and
    when no unit is complete.
    """
    replications = _check_parameters(replications, spread, method, level, concentration, seed)
    steps = Steps(progress, replications + 1)
    # the tuples' own strings, so that a str enum member serialises and compares plainly
    method, level, seed = METHODS[METHODS.index(method)], LEVELS[LEVELS.index(level)], int(seed)
    subs = [s if isinstance(s, Submission) else parse_submission(s) for s in submissions]
    seen: set[str] = set()
    for s in subs:
        if s.unit in seen:
            raise ValueError(f"submissions: unit '{s.unit}' appears twice (one period at a time)")
        seen.add(s.unit)
    if isinstance(not_ranked, str):  # one id, not its characters
        not_ranked = [not_ranked]
    m = program.methodology
    manifest = m.manifest
    vprog = program.cached("vector", VectorProgram.build)
    batch = score_cohort(vprog, subs)
    complete = np.asarray(batch.complete, bool)
    if not complete.any():
        raise ValueError("submissions: no complete units to analyse")
    skip = set(manifest.not_ranked if manifest else ()) | set(not_ranked)
    index = batch.index
    scorable = [i for i in range(len(subs)) if complete[i] and index[i] is not None]
    ranked = [i for i in scorable if subs[i].unit not in skip]
    official = decimal_ranks({subs[i].unit: v for i in ranked if (v := index[i]) is not None})
    official_ranks = np.array([official[subs[i].unit] for i in ranked], np.int64)
    model = Model.of_batch(vprog, batch, ranked)
    steps.advance()
    if level == "criterion":
        driver_nodes = model.criterion_drivers()
        driver_info = [model.components[c] for c in driver_nodes]
    else:
        driver_nodes = list(range(len(model.fields)))
        driver_info = list(model.fields)
    run = _simulate(
        model,
        official_ranks,
        driver_nodes,
        replications=replications,
        method=method,
        spread=float(spread),
        level=level,
        concentration=float(concentration),
        seed=seed,
        steps=steps if progress is not None else None,
    )
    units = _units(subs, complete, index, skip, ranked, official_ranks, run)
    bins = max(1, min(_MAX_BINS, math.isqrt(replications)))
    shift_ranks = centred_ranks(run.shift) if replications > 1 else run.shift
    drivers = [
        Driver(
            node.id,
            node.code,
            node.title,
            round(first_order(run.drivers[:, k], run.shift, bins), 6),
            round(rank_correlation(run.drivers[:, k], shift_ranks), 6),
        )
        for k, node in enumerate(driver_info)
    ]
    drivers.sort(key=lambda d: (-d.first_order, _code_key(d.code)))
    return Sensitivity(
        methodology={
            "methodology": m.name,
            "ref": m.ref,
            "commit": m.commit,
            "label": _label(m),
        },
        replications=replications,
        seed=seed,
        method=method,
        spread=float(spread),
        level=level,
        concentration=float(concentration),
        policy=vprog.policy,
        units=units,
        drivers=drivers,
    )


def _check_parameters(replications, spread, method, level, concentration, seed) -> int:
    if isinstance(replications, bool) or not isinstance(replications, int | np.integer):
        raise ValueError(f"replications must be a whole number, not {replications!r}")
    if not 1 <= replications <= MAX_REPLICATIONS:
        raise ValueError(
            f"replications must be between 1 and {MAX_REPLICATIONS}, not {replications}"
        )
    if not isinstance(spread, int | float) or isinstance(spread, bool) or not 0 <= spread < 1:
        raise ValueError(f"spread must lie in [0, 1), not {spread!r}")
    if not isinstance(method, str) or method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, not {method!r}")
    if not isinstance(level, str) or level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}, not {level!r}")
    if (
        not isinstance(concentration, int | float)
        or isinstance(concentration, bool)
        or not 0 < concentration < math.inf
    ):
        raise ValueError(f"concentration must be a positive number, not {concentration!r}")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a whole number ≥ 0, not {seed!r}")
    return int(replications)


@dataclass
class _Run:
    counts: np.ndarray  # (ranked units, n): how often each unit took each rank
    shift: np.ndarray  # (R,): mean |rank − official| per replication
    drivers: np.ndarray  # (R, K): the sampled factors


def _simulate(
    model: Model,
    official: np.ndarray,
    driver_nodes: Sequence[int],
    *,
    replications: int,
    method: str,
    spread: float,
    level: str,
    concentration: float,
    seed: int,
    chunk_bytes: int = _CHUNK_BYTES,
    steps: Steps | None = None,
) -> _Run:
    """Draw, re-aggregate, rank and tally, chunk by chunk (the chunks' size does not
    change the result: see `Model.streams`); each chunk is a step of ``steps``."""
    streams = model.streams(seed)
    n = len(official)
    C, F = len(model.components), len(model.fields)
    per_replication = 8 * (6 * C + 4 * F + 12 * max(n, 1) + len(driver_nodes))
    chunk = max(1, min(replications, chunk_bytes // per_replication))
    if steps is not None:
        chunk = min(chunk, -(-replications // _PROGRESS_CHUNKS))
    counts = np.zeros((n, max(n, 1)), np.int64)
    shift = np.empty(replications)
    drivers = np.empty((replications, len(driver_nodes)), np.float32)
    cells = np.arange(n) * max(n, 1) - 1
    for start in range(0, replications, chunk):
        size = min(chunk, replications - start)
        draw = model.draw(
            streams,
            size,
            method=method,
            spread=spread,
            level=level,
            concentration=concentration,
            driver_nodes=driver_nodes,
        )
        drivers[start : start + size] = draw.drivers
        ranks = competition_ranks(model.scores(draw.weights))
        counts += np.bincount((ranks + cells).ravel(), minlength=counts.size).reshape(counts.shape)
        shift[start : start + size] = np.abs(ranks - official).mean(axis=1) if n else np.zeros(size)
        if steps is not None:
            steps.advance(size)
    return _Run(counts, shift, drivers)


def _units(subs, complete, index, skip, ranked, official, run: _Run) -> list[UnitSensitivity]:
    stats: dict[int, dict[str, Any]] = {}
    if ranked:
        counts = run.counts
        total = counts[0].sum()
        p05 = percentiles_from_counts(counts, 5)
        median = percentiles_from_counts(counts, 50)
        p95 = percentiles_from_counts(counts, 95)
        seen = counts > 0
        low = seen.argmax(axis=1) + 1
        high = counts.shape[1] - seen[:, ::-1].argmax(axis=1)
        stay = counts[np.arange(len(ranked)), official - 1]
        for j, row in enumerate(ranked):
            stats[row] = {
                "rank": int(official[j]),
                "rank_median": float(median[j]),
                "rank_p05": float(p05[j]),
                "rank_p95": float(p95[j]),
                "rank_min": int(low[j]),
                "rank_max": int(high[j]),
                "changed_share": float((total - stay[j]) / total),
            }
    units = [
        UnitSensitivity(
            unit=s.unit,
            unit_name=s.unit_name or s.unit,
            ranked=s.unit not in skip,
            complete=bool(complete[i]),
            index=index[i] if complete[i] else None,
            **stats.get(i, {"rank": None}),
        )
        for i, s in enumerate(subs)
    ]
    units.sort(key=lambda u: (u.rank is None, u.rank or 0, vietnamese_key(u.unit_name)))
    return units


def _label(m) -> str | None:
    decision = m.manifest.decision if m.manifest else {}
    number = decision.get("number") if decision else None
    return str(number) if number else (m.ref or m.name)


def _code_key(code: str) -> tuple:
    return tuple(int(p) if p.isdigit() else 0 for p in code.split("."))
