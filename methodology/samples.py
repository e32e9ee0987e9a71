"""Synthetic sample submissions, generated deterministically from a seed.

Every unit of a bundled cohort gets one submission per period, against the methodology
version in force: input values of the declared types and bounds, a few "không phát
sinh" claims where the node allows them, unit facts, evidence references, appraisal
adjustments and survey scores. Each file says `synthetic: true`.

The samples are calibrated to what was published (`bundled/published/<cohort>.yaml`):
each period's ranked units get target totals — a unit's published total where there is
one, at its published rank; otherwise the quantiles of a normal distribution with the
year's published average (or the plan's `mean`) and the plan's `spread`, held inside the
published A/B/C group counts and re-centred on the average — and each unit's values are
searched (bisection on one "quality" level, then on the survey level) until the scored
total meets its target. Scoring is the caller's (`score`): methodology does not import
the evaluators. Every draw is seeded by the plan's seed, the set, the unit and the leaf,
so a run is reproducible and one leaf's values never depend on another's.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from statistics import NormalDist
from typing import Any

from methodology._git import nfc
from methodology._yaml import yaml_dump, yaml_load
from methodology.catalog import bundled_root
from methodology.node import Node
from methodology.published import PublishedYear, load_published
from methodology.store import Store
from methodology.tree import Methodology
from methodology.versions import Spec, open_methodology
from rules import InputSpec, InputType, Ratio

__all__ = [
    "SAMPLE_APPRAISER",
    "SampleSet",
    "Scorer",
    "Unit",
    "calibration_targets",
    "generate",
    "load_plan",
    "submission_for",
    "write_samples",
]

SAMPLE_APPRAISER = "Hội đồng thẩm định (mẫu)"

# The index (in % of the scale) a submission scores under a methodology, or None.
Scorer = Callable[[Methodology, Mapping[str, Any]], float | None]

# The A/B/C/D bands of the published results, in % (A ≥ 90, B 80–<90, C 70–<80).
_BANDS = (("A", 90.0, 100.0), ("B", 80.0, 90.0), ("C", 70.0, 80.0), ("D", 0.0, 70.0))
_MARGIN = 0.05  # targets keep this far inside a band, so a search's last 0.05 stays there


@dataclass(frozen=True)
class Unit:
    id: str
    name: str
    ranked: bool = True


@dataclass(frozen=True)
class SampleSet:
    cohort: str
    methodology: str
    period: int
    ref: str
    units: tuple[Unit, ...]
    # the calibration: the year's published results, the mean used where no average
    # was published and the spread (standard deviation, points) of the targets
    published: PublishedYear | None = None
    mean: float = 85.0
    spread: float = 2.5


def load_plan(root: Path | None = None) -> tuple[int, list[SampleSet]]:
    """The seed and the sample sets listed in `bundled/samples.yaml`."""
    root = root or bundled_root()
    plan = yaml_load((root / "samples.yaml").read_text(encoding="utf-8"))
    sets = []
    for entry in plan["sets"]:
        cohort = yaml_load(
            (root / "cohorts" / f"{entry['cohort']}.yaml").read_text(encoding="utf-8")
        )
        units = tuple(Unit(u["id"], nfc(u["name"]), u.get("ranked", True)) for u in cohort["units"])
        published = load_published(entry["cohort"], root)
        for period in entry["periods"]:
            year = int(period["period"])
            sets.append(
                SampleSet(
                    entry["cohort"],
                    entry["methodology"],
                    year,
                    period["ref"],
                    units,
                    published.year(year) if published else None,
                    float(period.get("mean", entry.get("mean", 85.0))),
                    float(period.get("spread", entry.get("spread", 2.5))),
                )
            )
    return int(plan["seed"]), sets


def generate(store: Store, seed: int, sets: list[SampleSet], score: Scorer) -> dict[str, str]:
    """Every sample file, as {path under `submissions/`: YAML text}."""
    out: dict[str, str] = {}
    for sample_set in sets:
        m = open_methodology(store, Spec(sample_set.methodology, sample_set.ref))
        targets = calibration_targets(sample_set, seed)
        for unit in sample_set.units:
            submission = _calibrated(m, sample_set, unit, seed, targets[unit.id], score)
            path = f"{sample_set.methodology}/{sample_set.period}/{unit.id}.yaml"
            out[path] = _dump(submission)
    return out


def write_samples(
    store: Store,
    score: Scorer,
    out: Path | None = None,
    *,
    progress: Callable[[str], None] | None = None,
) -> int:
    """Regenerate every bundled sample set into ``out`` (default: `bundled/submissions`)."""
    out = out or bundled_root() / "submissions"
    seed, sets = load_plan()
    count = 0
    for sample_set in sets:
        if progress:
            progress(f"{sample_set.methodology} {sample_set.period}: {len(sample_set.units)} units")
        for path, text in generate(store, seed, [sample_set], score).items():
            target = out / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
            count += 1
    return count


def _rng(seed: int, *parts: object) -> random.Random:
    # Python's hash() is salted per process; a digest keeps runs identical.
    digest = hashlib.sha256("/".join(map(str, (seed, *parts))).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def calibration_targets(sample_set: SampleSet, seed: int) -> dict[str, float]:
    """The total (in %) each unit's sample aims at; see the module's docstring."""
    year = sample_set.published
    ranked = [u for u in sample_set.units if u.ranked]
    n = len(ranked)
    mean = float(year.average) if year and year.average is not None else sample_set.mean
    normal = NormalDist(mean, sample_set.spread)
    slots = [normal.inv_cdf((n - i - 0.5) / n) for i in range(n)]  # highest first
    bounds = _group_bounds(n, year.groups if year and year.groups else {})
    pins: dict[int, str] = {}  # slot → unit
    pinned_value: dict[int, float] = {}
    figures = year.units if year else {}
    ordered = sorted(
        (u for u in ranked if u.id in figures),
        key=lambda u: (next((f.rank for f in figures[u.id] if f.rank), 10**6), u.id),
    )
    for unit in ordered:
        rank = next((f.rank for f in figures[unit.id] if f.rank), None)
        total = year.total(unit.id) if year else None
        if rank is not None and rank <= n:
            slot = rank - 1
        else:
            free = [i for i in range(n) if i not in pins]
            slot = min(free, key=lambda i: abs(slots[i] - float(total or mean)))
        pins[slot] = unit.id
        if total is not None:
            pinned_value[slot] = float(total)
    for _ in range(4):
        slots = [
            pinned_value.get(i, min(bounds[i][1], max(bounds[i][0], s)))
            for i, s in enumerate(slots)
        ]
        slots = _keep_order(slots, pinned_value)
        free = [i for i in range(n) if i not in pinned_value]
        if free and year and year.average is not None:
            shift = (mean * n - sum(slots)) / len(free)
            slots = [s + shift if i in free else s for i, s in enumerate(slots)]
    targets: dict[str, float] = {}
    rng = _rng(seed, "targets", sample_set.methodology, sample_set.period)
    rest = [u.id for u in ranked if u.id not in pins.values()]
    rng.shuffle(rest)
    free_slots = [i for i in range(n) if i not in pins]
    targets.update({pins[i]: slots[i] for i in pins})
    targets.update({unit: slots[i] for unit, i in zip(rest, free_slots, strict=True)})
    for unit in sample_set.units:
        if not unit.ranked:
            targets[unit.id] = min(99.0, max(50.0, rng.gauss(mean, sample_set.spread)))
    return {u: round(v, 2) for u, v in targets.items()}


def _group_bounds(n: int, groups: Mapping[str, int]) -> list[tuple[float, float]]:
    """Per slot (highest first), the band its target must stay in, from the group counts."""
    bounds = [(0.0, 100.0)] * n
    position = 0
    for name, low, high in _BANDS:
        if name not in groups:
            # the rest may take any band below the last one counted
            ceiling = _BANDS[[b[0] for b in _BANDS].index(name) - 1][1] if position else 100.0
            for i in range(position, n):
                bounds[i] = (0.0, ceiling - _MARGIN)
            break
        for i in range(position, min(n, position + groups[name])):
            bounds[i] = (low + _MARGIN, high - _MARGIN if name != "A" else high)
        position += groups[name]
    return bounds


def _keep_order(slots: Sequence[float], pinned: Mapping[int, float]) -> list[float]:
    """Slots above a pinned one stay above it, those below stay below."""
    out = list(slots)
    for p, value in sorted(pinned.items()):
        for i in range(len(out)):
            if i < p and i not in pinned:
                out[i] = max(out[i], value + 0.02 * (p - i))
            elif i > p and i not in pinned:
                out[i] = min(out[i], value - 0.02 * (i - p))
    return out


def _calibrated(
    m: Methodology, sample_set: SampleSet, unit: Unit, seed: int, target: float, score: Scorer
) -> dict[str, Any]:
    """The unit's submission whose score is nearest ``target``: a bisection on the quality
    of the assessed values, then one on the level of the survey."""

    def at(quality: float, survey: float = 0.0) -> tuple[dict[str, Any], float, float]:
        submission = submission_for(m, sample_set, unit, seed, quality=quality, survey_level=survey)
        return submission, float(score(m, submission) or 0.0), quality

    low, high = 0.2, 1.4
    best = at((low + high) / 2)
    for _ in range(10):
        if abs(best[1] - target) < 0.3:
            break
        middle = (low + high) / 2
        best_here = at(middle)
        if abs(best_here[1] - target) < abs(best[1] - target):
            best = best_here
        if best_here[1] < target:
            low = middle
        else:
            high = middle
    quality = best[2]
    low_s, high_s = -0.6, 0.6
    for _ in range(12):
        if abs(best[1] - target) < 0.02:
            break
        middle = (low_s + high_s) / 2
        candidate = at(quality, middle)
        if abs(candidate[1] - target) < abs(best[1] - target):
            best = candidate
        if candidate[1] < target:
            low_s = middle
        else:
            high_s = middle
    return best[0]


def submission_for(
    m: Methodology,
    sample_set: SampleSet,
    unit: Unit,
    seed: int,
    *,
    quality: float = 0.85,
    survey_level: float = 0.0,
) -> dict[str, Any]:
    """One unit's synthetic submission for one period, at a quality level (about the
    share of the maximum its values earn) and a survey level relative to it."""
    rng = _rng(seed, sample_set.methodology, sample_set.period, unit.id)
    values: dict[str, Any] = {}
    not_applicable: dict[str, str] = {}
    evidence: dict[str, list[dict[str, str]]] = {}
    appraisal: dict[str, dict[str, Any]] = {}
    survey: dict[str, float] = {}
    leaves = list(m.leaves())
    # each input's spec, from the first leaf that declares it (one walk of the tree, not
    # one per adjusted value)
    specs: dict[str, InputSpec] = {}
    for leaf in leaves:
        for input_id, spec in leaf.inputs.items():
            specs.setdefault(input_id, spec)
    for leaf in leaves:
        # one stream per leaf: a leaf's values move with the quality alone, never with
        # how many draws the leaves before it took
        own = _rng(seed, sample_set.methodology, sample_set.period, unit.id, leaf.id)
        if leaf.applicability.allow_not_applicable and own.random() < 0.06:
            not_applicable[leaf.id] = "Không phát sinh nhiệm vụ trong năm đánh giá"
            continue
        if leaf.assessed_by == "survey" or (
            leaf.scoring is not None and leaf.scoring.kind == "survey"
        ):
            survey[leaf.id] = _points(
                leaf.max_points * Decimal(str(_clamp(own.gauss(quality + survey_level, 0.06))))
            )
            continue
        if leaf.scoring is not None and leaf.scoring.kind == "manual":
            appraisal[leaf.id] = {
                "points": _points(leaf.max_points * Decimal(str(_clamp(own.gauss(quality, 0.1))))),
                "reason": "Điểm do Hội đồng thẩm định chấm",
                "by": SAMPLE_APPRAISER,
            }
            continue
        values.update(_leaf_values(leaf, own, quality, sample_set.period))
        if leaf.evidence:
            evidence[leaf.id] = [
                {"title": e.title, "file": f"{leaf.id}-{i + 1}.pdf"}
                for i, e in enumerate(leaf.evidence)
            ]
    for input_id in sorted(values):
        if rng.random() < 0.04:
            adjusted = _adjust(values[input_id], specs.get(input_id), rng)
            if adjusted != values[input_id]:
                appraisal[input_id] = {
                    "value": adjusted,
                    "reason": "Thiếu tài liệu kiểm chứng; điều chỉnh theo hồ sơ",
                    "by": SAMPLE_APPRAISER,
                }
    facts = {}
    if m.manifest is not None:
        for fact_id, spec in m.manifest.facts.items():
            facts[fact_id] = _value(spec, rng, 0.9, sample_set.period)
    return {
        "synthetic": True,
        "seed": seed,
        "unit": unit.id,
        "unit_name": unit.name,
        "period": sample_set.period,
        "methodology": sample_set.methodology,
        "ref": sample_set.ref,
        "facts": facts,
        "values": values,
        "not_applicable": not_applicable,
        "evidence": evidence,
        "appraisal": appraisal,
        "survey": survey,
    }


def _leaf_values(leaf: Node, rng: random.Random, quality: float, period: int) -> dict[str, Any]:
    out = {input_id: _value(spec, rng, quality, period) for input_id, spec in leaf.inputs.items()}
    rule = leaf.scoring
    if isinstance(rule, Ratio):
        # Keep a count numerator within its denominator, as real data is.
        num, den = sorted(rule.numerator.names), sorted(rule.denominator.names)
        if len(num) == 1 and len(den) == 1 and num[0] in leaf.inputs and den[0] in leaf.inputs:
            spec = leaf.inputs[den[0]]
            if spec.type in (InputType.COUNT, InputType.NUMBER):
                high = int(spec.max) if spec.max is not None else 400
                total = rng.randint(max(1, int(spec.min or 0)), max(1, high))
                out[den[0]] = total
                out[num[0]] = min(total, round(total * _clamp(rng.gauss(quality, 0.08))))
    return out


def _value(spec: InputSpec, rng: random.Random, quality: float, period: int) -> Any:
    if spec.type is InputType.BOOL:
        return rng.random() < quality + 0.05
    if spec.type is InputType.ENUM:
        return spec.choices[0] if rng.random() < quality else rng.choice(spec.choices)
    if spec.type is InputType.DATE:
        return (dt.date(period, 1, 1) + dt.timedelta(days=rng.randint(0, 364))).isoformat()
    low = float(spec.domain_min) if spec.domain_min is not None else 0.0
    high = (
        float(spec.domain_max)
        if spec.domain_max is not None
        else (100.0 if spec.type is InputType.NUMBER else 50.0)
    )
    if spec.type is InputType.RATIO:
        return round(low + (high - low) * _clamp(rng.gauss(quality, 0.08)), 4)
    if spec.type is InputType.COUNT:
        return rng.randint(int(low), int(max(low, min(high, low + 50))))
    value = round(low + (high - low) * _clamp(rng.gauss(quality, 0.1)), 2)
    # a whole number is written as one, as a form or a spreadsheet gives it back
    return int(value) if value == int(value) else value


def _adjust(value: Any, spec: InputSpec | None, rng: random.Random) -> Any:
    """What an appraisal council lowers a self-assessed value to."""
    if spec is None:
        return value
    if isinstance(value, bool):
        return False
    if spec.type is InputType.RATIO:
        return round(max(float(spec.domain_min or 0), value - rng.uniform(0.05, 0.2)), 4)
    if spec.type is InputType.COUNT:
        return max(int(spec.domain_min or 0), value - rng.randint(1, 3))
    if spec.type is InputType.ENUM and len(spec.choices) > 1:
        return spec.choices[1]
    return value


def _clamp(x: float) -> float:
    return min(1.0, max(0.0, x))


def _points(value: Decimal) -> float:
    return float(value.quantize(Decimal("0.01")))


def _dump(data: Mapping[str, Any]) -> str:
    header = "# Synthetic sample submission generated by `parindex samples`; not real data.\n"
    return header + yaml_dump(dict(data), allow_unicode=True, sort_keys=False, width=100)
