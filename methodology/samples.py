"""Synthetic sample submissions, generated deterministically from a seed.

Every unit of a bundled cohort gets one submission per period, against the methodology
version in force: input values of the declared types and bounds, a few "không phát
sinh" claims where the node allows them, unit facts, evidence references, appraisal
adjustments and survey scores. Each file says `synthetic: true`. A unit's published
total, where known, steers its values so the sample spread resembles the real one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from methodology._git import nfc
from methodology.catalog import bundled_root
from methodology.node import Node
from methodology.store import Store
from methodology.tree import Methodology
from methodology.versions import Spec, open_methodology
from rules import InputSpec, InputType, Ratio

__all__ = [
    "SAMPLE_APPRAISER",
    "SampleSet",
    "Unit",
    "generate",
    "load_plan",
    "submission_for",
    "write_samples",
]

SAMPLE_APPRAISER = "Hội đồng thẩm định (mẫu)"


@dataclass(frozen=True)
class Unit:
    id: str
    name: str
    ranked: bool = True
    published: Mapping[int, float] | None = None


@dataclass(frozen=True)
class SampleSet:
    cohort: str
    methodology: str
    period: int
    ref: str
    units: tuple[Unit, ...]


def load_plan(root: Path | None = None) -> tuple[int, list[SampleSet]]:
    """The seed and the sample sets listed in `bundled/samples.yaml`."""
    root = root or bundled_root()
    plan = yaml.safe_load((root / "samples.yaml").read_text(encoding="utf-8"))
    sets = []
    for entry in plan["sets"]:
        cohort = yaml.safe_load(
            (root / "cohorts" / f"{entry['cohort']}.yaml").read_text(encoding="utf-8")
        )
        units = tuple(
            Unit(u["id"], nfc(u["name"]), u.get("ranked", True), u.get("published"))
            for u in cohort["units"]
        )
        for period in entry["periods"]:
            sets.append(
                SampleSet(
                    entry["cohort"],
                    entry["methodology"],
                    int(period["period"]),
                    period["ref"],
                    units,
                )
            )
    return int(plan["seed"]), sets


def generate(store: Store, seed: int, sets: list[SampleSet]) -> dict[str, str]:
    """Every sample file, as {path under `submissions/`: YAML text}."""
    out: dict[str, str] = {}
    for sample_set in sets:
        m = open_methodology(store, Spec(sample_set.methodology, sample_set.ref))
        for unit in sample_set.units:
            submission = submission_for(m, sample_set, unit, seed)
            path = f"{sample_set.methodology}/{sample_set.period}/{unit.id}.yaml"
            out[path] = _dump(submission)
    return out


def write_samples(
    store: Store, out: Path | None = None, *, progress: Callable[[str], None] | None = None
) -> int:
    """Regenerate every bundled sample set into ``out`` (default: `bundled/submissions`)."""
    out = out or bundled_root() / "submissions"
    seed, sets = load_plan()
    count = 0
    for sample_set in sets:
        if progress:
            progress(f"{sample_set.methodology} {sample_set.period}: {len(sample_set.units)} units")
        for path, text in generate(store, seed, [sample_set]).items():
            target = out / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
            count += 1
    return count


def _rng(seed: int, *parts: object) -> random.Random:
    # Python's hash() is salted per process; a digest keeps runs identical.
    digest = hashlib.sha256("/".join(map(str, (seed, *parts))).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def submission_for(m: Methodology, sample_set: SampleSet, unit: Unit, seed: int) -> dict[str, Any]:
    """One unit's synthetic submission for one period."""
    rng = _rng(seed, sample_set.methodology, sample_set.period, unit.id)
    published = (unit.published or {}).get(sample_set.period)
    quality = published / 100 if published else rng.uniform(0.78, 0.92)
    values: dict[str, Any] = {}
    not_applicable: dict[str, str] = {}
    evidence: dict[str, list[dict[str, str]]] = {}
    appraisal: dict[str, dict[str, Any]] = {}
    survey: dict[str, float] = {}
    for leaf in m.leaves():
        if leaf.applicability.allow_not_applicable and rng.random() < 0.06:
            not_applicable[leaf.id] = "Không phát sinh nhiệm vụ trong năm đánh giá"
            continue
        if leaf.assessed_by == "survey" or (
            leaf.scoring is not None and leaf.scoring.kind == "survey"
        ):
            survey[leaf.id] = _points(
                leaf.max_points * Decimal(str(_clamp(rng.gauss(quality, 0.06))))
            )
            continue
        if leaf.scoring is not None and leaf.scoring.kind == "manual":
            appraisal[leaf.id] = {
                "points": _points(leaf.max_points * Decimal(str(_clamp(rng.gauss(quality, 0.1))))),
                "reason": "Điểm do Hội đồng thẩm định chấm",
                "by": SAMPLE_APPRAISER,
            }
            continue
        values.update(_leaf_values(leaf, rng, quality, sample_set.period))
        if leaf.evidence:
            evidence[leaf.id] = [
                {"title": e.title, "file": f"{leaf.id}-{i + 1}.pdf"}
                for i, e in enumerate(leaf.evidence)
            ]
    for input_id in sorted(values):
        if rng.random() < 0.04:
            adjusted = _adjust(values[input_id], _spec(m, input_id), rng)
            if adjusted != values[input_id]:
                appraisal[input_id] = {
                    "value": adjusted,
                    "reason": "Thiếu tài liệu kiểm chứng; điều chỉnh theo hồ sơ",
                    "by": SAMPLE_APPRAISER,
                }
    facts = {}
    if m.manifest is not None:
        for fact_id, spec in m.manifest.facts.items():
            facts[fact_id] = _value(spec, rng, max(quality, 0.9), sample_set.period)
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
    return round(low + (high - low) * _clamp(rng.gauss(quality, 0.1)), 2)


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


def _spec(m: Methodology, input_id: str) -> InputSpec | None:
    for leaf in m.leaves():
        if input_id in leaf.inputs:
            return leaf.inputs[input_id]
    return None


def _clamp(x: float) -> float:
    return min(1.0, max(0.0, x))


def _points(value: Decimal) -> float:
    return float(value.quantize(Decimal("0.01")))


def _dump(data: Mapping[str, Any]) -> str:
    header = "# Synthetic sample submission generated by `parindex samples`; not real data.\n"
    return header + yaml.safe_dump(dict(data), allow_unicode=True, sort_keys=False, width=100)
