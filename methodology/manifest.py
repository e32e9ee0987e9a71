"""The `methodology.yaml` manifest: what a methodology is, as a whole."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from methodology._frontmatter import load_yaml
from methodology.errors import FormatError
from methodology.node import _decimal, _text, problem_from_error
from rules import (
    Expression,
    InputSpec,
    Origin,
    Problem,
    RuleError,
    Type,
    decimal_comma,
    did_you_mean,
)

__all__ = [
    "LEVELS",
    "MANIFEST_FILE",
    "NA_POLICIES",
    "RANKING_POLICIES",
    "ApplicabilityRule",
    "Manifest",
    "parse_manifest",
]

MANIFEST_FILE = "methodology.yaml"
NA_POLICIES = ("exclude_and_normalize", "count_as_zero", "count_as_full")
RANKING_POLICIES = ("score_desc",)
# `not_ranked`: units of the cohort that are evaluated but not ranked with the others.
RANKING_KEYS = ("policy", "not_ranked", "bands", "group_by_maximum")
LEVELS = ("tỉnh", "bộ", "sở", "huyện", "xã", "đơn vị")
COUNT_KEYS = ("fields", "criteria", "sub_criteria")
MANIFEST_KEYS = (
    "id",
    "title",
    "title_en",
    "level",
    "scale",
    "survey_points",
    "not_applicable_policy",
    "ranking",
    "rounding",
    "expected",
    "facts",
    "applicability_rules",
    "decision",
    "extends",
    "description",
    "owner",
)


@dataclass(frozen=True)
class ApplicabilityRule:
    """A rule across nodes: when a fact about the unit holds, these nodes are not applicable."""

    when: Expression
    not_applicable: tuple[str, ...]
    reason: str | None = None


@dataclass(frozen=True)
class Manifest:
    id: str
    title: str
    level: str
    scale: Decimal
    title_en: str | None = None
    survey_points: Decimal | None = None
    not_applicable_policy: str = "exclude_and_normalize"
    ranking: Mapping[str, Any] = field(default_factory=lambda: {"policy": "score_desc"})

    @property
    def not_ranked(self) -> list[str]:
        """Units evaluated but not ranked with the others."""
        return [
            str(e["unit"]) for e in self.ranking.get("not_ranked") or [] if isinstance(e, Mapping)
        ]

    @property
    def bands(self) -> list[tuple[str, Decimal]] | None:
        """Declared bands (label, lower bound in % of the scale), highest first."""
        raw = self.ranking.get("bands")
        if not raw:
            return None
        pairs = [(str(b["label"]), Decimal(str(b["min"]))) for b in raw if isinstance(b, Mapping)]
        return sorted(pairs, key=lambda pair: pair[1], reverse=True)

    rounding_places: int = 2
    expected: Mapping[str, int] = field(default_factory=dict)
    facts: Mapping[str, InputSpec] = field(default_factory=dict)
    applicability_rules: tuple[ApplicabilityRule, ...] = ()
    decision: Mapping[str, Any] = field(default_factory=dict)
    extends: str | None = None
    description: str | None = None
    # Who may edit it through the API: {province: <slug>} for a province's index,
    # nothing for national ones (the Ministry's editors).
    owner: Mapping[str, Any] = field(default_factory=dict)

    @property
    def province(self) -> str | None:
        value = self.owner.get("province")
        return None if value is None else str(value)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "title_en": self.title_en,
            "level": self.level,
            "scale": str(self.scale),
            "survey_points": None if self.survey_points is None else str(self.survey_points),
            "not_applicable_policy": self.not_applicable_policy,
            "ranking": dict(self.ranking),
            "rounding": {"places": self.rounding_places, "mode": "half_up"},
            "expected": dict(self.expected),
            "facts": {k: _json(v.to_dict()) for k, v in self.facts.items()},
            "decision": _json(dict(self.decision)),
            "extends": self.extends,
        }


def _json(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def parse_manifest(text: str, *, file: str) -> tuple[Manifest | None, list[Problem]]:
    """Parse `methodology.yaml`; return the manifest (None if unusable) and its problems."""
    problems: list[Problem] = []

    def add(path: str, message: str, code: str, suggestion: str | None = None) -> None:
        line, column = positions.get(path, (None, None))
        problems.append(
            Problem(
                severity="error",
                code=code,
                message=message,
                path=path or None,
                file=file,
                line=line,
                column=column,
                suggestion=suggestion,
            )
        )

    try:
        data, positions = load_yaml(text, file=file)
    except FormatError as exc:
        return None, [problem_from_error(exc, code="malformed-manifest", file=file)]
    if not isinstance(data, dict):
        return None, [
            Problem(
                severity="error",
                code="malformed-manifest",
                file=file,
                line=1,
                column=1,
                message="methodology.yaml must be a mapping",
                path=None,
                suggestion=None,
            )
        ]
    for key in data:
        if key not in MANIFEST_KEYS:
            add(key, f"unknown key '{key}'", "unknown-key", did_you_mean(key, MANIFEST_KEYS))
    for key in ("id", "title", "level", "scale"):
        if data.get(key) in (None, ""):
            add("", f"missing '{key}'", "missing-key")
    if problems:
        return None, problems

    scale = _decimal(data["scale"])
    if scale is None or scale <= 0:
        dotted = decimal_comma(data["scale"])
        add(
            "scale",
            "scale must be a positive number"
            + (f": {data['scale']!r} dùng dấu phẩy thập phân" if dotted else ""),
            "bad-value",
            f"scale: {dotted}" if dotted else None,
        )
        scale = Decimal(100)
    survey_points = None
    if data.get("survey_points") is not None:
        survey_points = _decimal(data["survey_points"])
        if survey_points is None or survey_points < 0:
            dotted = decimal_comma(data["survey_points"])
            add(
                "survey_points",
                "survey_points must be a number ≥ 0"
                + (f": {data['survey_points']!r} dùng dấu phẩy thập phân" if dotted else ""),
                "bad-value",
                f"survey_points: {dotted}" if dotted else None,
            )
            survey_points = None
    policy = _text(data.get("not_applicable_policy")) or "exclude_and_normalize"
    if policy not in NA_POLICIES:
        add(
            "not_applicable_policy",
            f"unknown N/A policy '{policy}'",
            "bad-value",
            did_you_mean(policy, NA_POLICIES),
        )
    ranking = data.get("ranking") or {"policy": "score_desc"}
    if not isinstance(ranking, Mapping):
        add("ranking", "ranking must be a mapping with a 'policy'", "bad-value")
        ranking = {"policy": "score_desc"}
    elif ranking.get("policy", "score_desc") not in RANKING_POLICIES:
        add(
            "ranking.policy",
            f"unknown ranking policy '{ranking.get('policy')}'",
            "bad-value",
            did_you_mean(str(ranking.get("policy")), RANKING_POLICIES),
        )
    if isinstance(ranking, Mapping):
        for key in ranking:
            if key not in RANKING_KEYS:
                add(
                    f"ranking.{key}",
                    f"unknown key '{key}'",
                    "unknown-key",
                    did_you_mean(key, RANKING_KEYS),
                )
        for i, entry in enumerate(ranking.get("bands") or []):
            if (
                not isinstance(entry, Mapping)
                or "label" not in entry
                or _decimal(entry.get("min")) is None
            ):
                add(
                    f"ranking.bands[{i}]",
                    "each band is {label: A, min: <percent of the scale>}",
                    "bad-value",
                )
        for i, entry in enumerate(ranking.get("not_ranked") or []):
            if not isinstance(entry, Mapping) or not isinstance(entry.get("unit"), str):
                add(
                    f"ranking.not_ranked[{i}]",
                    "each unit not ranked is {unit: <id>, name, reason}",
                    "bad-value",
                )
    places = 2
    rounding = data.get("rounding")
    if rounding is not None:
        if isinstance(rounding, Mapping) and isinstance(rounding.get("places", 2), int):
            places = rounding.get("places", 2)
        else:
            add("rounding", "rounding must be {places: <int>}", "bad-value")
    expected: dict[str, int] = {}
    raw_expected = data.get("expected") or {}
    if not isinstance(raw_expected, Mapping):
        add("expected", "expected must map fields/criteria/sub_criteria to counts", "bad-value")
    else:
        for key, value in raw_expected.items():
            if key not in COUNT_KEYS:
                add(
                    f"expected.{key}",
                    f"unknown count '{key}'",
                    "unknown-key",
                    did_you_mean(key, COUNT_KEYS),
                )
            elif not isinstance(value, int) or isinstance(value, bool) or value < 0:
                add(f"expected.{key}", "an expected count is a whole number", "bad-value")
            else:
                expected[key] = value

    def locate(path: str) -> Origin:
        line, column = positions.get(path, (None, None))
        return Origin(file=file, line=line, column=column, path=path)

    facts: dict[str, InputSpec] = {}
    raw_facts = data.get("facts") or {}
    if not isinstance(raw_facts, Mapping):
        add("facts", "facts must map fact ids to declarations", "bad-value")
    else:
        for key, spec in raw_facts.items():
            try:
                facts[key] = InputSpec.from_dict(
                    key,
                    spec if isinstance(spec, Mapping) else {},
                    path=f"facts.{key}",
                    locate=locate,
                )
            except RuleError as exc:
                problems.append(problem_from_error(exc, code="bad-fact", file=file))

    rules: list[ApplicabilityRule] = []
    raw_rules = data.get("applicability_rules") or []
    if not isinstance(raw_rules, list):
        add("applicability_rules", "applicability_rules must be a list", "bad-value")
        raw_rules = []
    for i, rule in enumerate(raw_rules):
        path = f"applicability_rules[{i}]"
        if not isinstance(rule, Mapping) or "when" not in rule or "not_applicable" not in rule:
            add(
                path,
                "each rule needs 'when' and 'not_applicable' (a list of node ids)",
                "bad-value",
            )
            continue
        targets = rule["not_applicable"]
        if isinstance(targets, str):
            targets = [targets]
        try:
            when = Expression.parse(
                str(rule["when"]), facts, expect=Type.BOOL, origin=locate(f"{path}.when")
            )
        except RuleError as exc:
            problems.append(problem_from_error(exc, code="bad-applicability", file=file))
            continue
        rules.append(
            ApplicabilityRule(
                when=when,
                not_applicable=tuple(str(t) for t in targets),
                reason=_text(rule.get("reason")),
            )
        )

    manifest = Manifest(
        id=str(data["id"]),
        title=_text(data["title"]) or "",
        title_en=_text(data.get("title_en")),
        level=_text(data["level"]) or "",
        scale=scale,
        survey_points=survey_points,
        not_applicable_policy=policy,
        ranking=dict(ranking),
        rounding_places=places,
        expected=expected,
        facts=facts,
        applicability_rules=tuple(rules),
        decision=dict(data.get("decision") or {}),
        extends=_text(data.get("extends")),
        description=_text(data.get("description")),
        owner=dict(data.get("owner") or {}) if isinstance(data.get("owner"), Mapping) else {},
    )
    return manifest, problems
