"""`parindex validate`: every check a methodology must pass before it is released."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from methodology.node import Node
from methodology.tree import Methodology
from rules import KINDS, Origin, Problem, check_adjustment, check_scoring, did_you_mean

__all__ = ["Report", "validate"]

_COUNT_LABELS = {"fields": "fields", "criteria": "criteria", "sub_criteria": "sub-criteria"}


@dataclass
class Report:
    """The outcome of validating one methodology at one ref."""

    methodology: str
    ref: str | None
    commit: str | None
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_json(self) -> dict[str, Any]:
        return {
            "methodology": self.methodology,
            "ref": self.ref,
            "commit": self.commit,
            "ok": self.ok,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "problems": [asdict(p) for p in self.problems],
        }

    def to_text(self) -> str:
        lines = [str(p) for p in self.problems]
        verdict = "valid" if self.ok else "invalid"
        lines.append(
            f"{self.methodology}: {verdict} ({len(self.errors)} errors, {len(self.warnings)} warnings)"
        )
        return "\n".join(lines)


def validate(m: Methodology) -> Report:
    """Check a resolved methodology; problems are sorted by file and position."""
    problems = list(m.problems)
    problems += _check_structure(m)
    problems += _check_points(m)
    problems += _check_rules(m)
    problems += _check_manifest(m)
    problems += _check_documentation(m)
    problems.sort(
        key=lambda p: (p.severity != "error", p.file or "", p.line or 0, p.column or 0, p.code)
    )
    return Report(methodology=m.name, ref=m.ref, commit=m.commit, problems=problems)


def _check_structure(m: Methodology) -> list[Problem]:
    out = []
    by_code: dict[str, list[str]] = defaultdict(list)
    for node in m.walk():
        if node.code:
            by_code[node.code].append(node.id)
        parent = m.nodes.get(node.parent) if node.parent else None
        if parent and parent.code and node.code and not node.code.startswith(parent.code + "."):
            out.append(
                Problem(
                    "warning",
                    "code-outside-parent",
                    f"code {node.code} of '{node.id}' does not start with its parent's code {parent.code}.",
                    file=node.path,
                    path="code",
                )
            )
        if node.id in node.replaces:
            out.append(
                Problem(
                    "error",
                    "bad-replaces",
                    f"'{node.id}' lists itself in replaces",
                    file=node.path,
                    path="replaces",
                )
            )
        elif any(r in m.nodes for r in node.replaces):
            alive = ", ".join(r for r in node.replaces if r in m.nodes)
            out.append(
                Problem(
                    "warning",
                    "replaces-live-node",
                    f"'{node.id}' replaces {alive}, which still exists in this version",
                    file=node.path,
                    path="replaces",
                )
            )
    for code, ids in by_code.items():
        if len(ids) > 1:
            for node_id in ids:
                others = ", ".join(i for i in ids if i != node_id)
                out.append(
                    Problem(
                        "error",
                        "duplicate-code",
                        f"code {code} is also used by {others}",
                        file=m.nodes[node_id].path,
                        path="code",
                    )
                )
    return out


def _check_points(m: Methodology) -> list[Problem]:
    out = []
    unknown = _unknown_maximum(m)
    for node in m.walk():
        kids = m.children_of(node.id)
        if not kids or unknown.intersection([node.id, *(k.id for k in kids)]):
            continue
        total = sum((k.max_points for k in kids), Decimal(0))
        if total > node.max_points and node.aggregation == "sum_capped":
            out.append(
                Problem(
                    "error",
                    "children-exceed-parent",
                    f"children of {node.code} '{node.id}' add up to {total}, more than its max_points {node.max_points}",
                    file=node.path,
                    path="max_points",
                    suggestion=f"set max_points to {total} or lower the children's points",
                )
            )
        elif total < node.max_points:
            out.append(
                Problem(
                    "error",
                    "children-below-parent",
                    f"children of {node.code} '{node.id}' add up to {total}, less than its max_points {node.max_points}: it can never reach its maximum",
                    file=node.path,
                    path="max_points",
                )
            )
    known = not unknown.intersection(n.id for n in m.roots()) and not any(
        p.code == "bad-value" and p.path == "scale" for p in m.problems
    )
    if m.manifest is not None and m.roots() and known and m.total != m.manifest.scale:
        out.append(
            Problem(
                "error",
                "total-not-scale",
                f"fields add up to {m.total}, but the manifest's scale is {m.manifest.scale}",
                file="methodology.yaml",
                path="scale",
            )
        )
    if m.manifest is not None and m.manifest.survey_points is not None:
        survey = sum((n.max_points for n in m.leaves() if n.assessed_by == "survey"), Decimal(0))
        if survey != m.manifest.survey_points:
            out.append(
                Problem(
                    "warning",
                    "survey-points",
                    f"survey-assessed nodes carry {survey} points, the manifest says {m.manifest.survey_points}",
                    file="methodology.yaml",
                    path="survey_points",
                )
            )
    return out


def _unknown_maximum(m: Methodology) -> set[str]:
    """Nodes whose max_points is invalid (already an error): nothing is checked against
    it, so a typo such as `0,5` is one error, not its knock-on effects."""
    bad = {p.file for p in m.problems if p.code == "bad-points"}
    return {node.id for node in m.walk() if node.path in bad}


def _check_rules(m: Methodology) -> list[Problem]:
    out: list[Problem] = []
    input_owner: dict[str, str] = {}
    unknown = _unknown_maximum(m)
    for node in m.walk():
        leaf = m.is_leaf(node.id)
        if not leaf:
            for key, present in (("scoring", node.scoring), ("inputs", node.inputs)):
                if present:
                    out.append(
                        Problem(
                            "error",
                            "rule-on-parent",
                            f"'{node.id}' has children, so its points are theirs: remove '{key}'",
                            file=node.path,
                            path=key,
                        )
                    )
            if node.requires.to_dict():
                line, column = node.positions.get("requires", (None, None))
                out.append(
                    Problem(
                        "error",
                        "requires-on-parent",
                        f"'{node.id}' has sub-criteria: the unit attaches evidence and "
                        "explanations to them, so declare 'requires' on them",
                        file=node.path,
                        line=line,
                        column=column,
                        path="requires",
                    )
                )
            continue
        for input_id in node.inputs:
            if input_id in input_owner:
                out.append(
                    Problem(
                        "error",
                        "duplicate-input",
                        f"input '{input_id}' is also declared by '{input_owner[input_id]}'; input ids are unique in a methodology",
                        file=node.path,
                        path=f"inputs.{input_id}",
                    )
                )
            else:
                input_owner[input_id] = node.id
        if node.scoring is None:
            if not any(p.file == node.path and p.code == "bad-scoring" for p in m.problems):
                out.append(
                    Problem(
                        "error",
                        "missing-scoring",
                        f"leaf '{node.id}' has no scoring rule",
                        file=node.path,
                        path="scoring",
                        suggestion=f"add scoring: {{kind: {'|'.join(KINDS)}, …}}",
                    )
                )
            continue
        located = _locator(node)
        out += check_scoring(
            node.scoring,
            inputs=node.inputs,
            max_points=None if node.id in unknown else node.max_points,
            path="scoring",
            facts=m.manifest.facts if m.manifest else {},
            locate=located,
            bonus=node.bonus,
            penalty=node.penalty,
            places=m.manifest.rounding_places if m.manifest else 2,  # as scoring rounds
        )
        used = set(node.scoring.names)
        for name in ("bonus", "penalty"):
            adjustment = getattr(node, name)
            if adjustment is not None:
                out += check_adjustment(adjustment, path=name, locate=located)
                used |= set(adjustment.names)
        for input_id in node.inputs:
            if input_id not in used:
                out.append(
                    Problem(
                        "error",
                        "unused-input",
                        f"input '{input_id}' of '{node.id}' is not used by any rule",
                        file=node.path,
                        path=f"inputs.{input_id}",
                        suggestion="use it in a rule or remove it",
                    )
                )
    if m.manifest is not None:
        for i, rule in enumerate(m.manifest.applicability_rules):
            for target in rule.not_applicable:
                if target not in m.nodes:
                    out.append(
                        Problem(
                            "error",
                            "unknown-node",
                            f"applicability rule {i + 1} names unknown node '{target}'",
                            file="methodology.yaml",
                            path=f"applicability_rules[{i}].not_applicable",
                            suggestion=did_you_mean(target, list(m.nodes)),
                        )
                    )
    return out


def _check_manifest(m: Methodology) -> list[Problem]:
    if m.manifest is None:
        return []
    out = []
    counts = m.counts()
    for key, expected in m.manifest.expected.items():
        found = counts.get(key, 0)
        if found != expected:
            label = _COUNT_LABELS[key]
            out.append(
                Problem(
                    "warning",
                    "count-mismatch",
                    f"{expected} {label} expected, {found} found",
                    file="methodology.yaml",
                    path=f"expected.{key}",
                )
            )
    return out


def _check_documentation(m: Methodology) -> list[Problem]:
    out = []
    for node in m.walk():
        if not node.guidance.strip():
            out.append(
                Problem(
                    "warning",
                    "missing-guidance",
                    f"'{node.id}' has no guidance for assessors",
                    file=node.path,
                )
            )
        if node.provenance == "unknown":
            out.append(
                Problem(
                    "warning",
                    "missing-source",
                    f"'{node.id}' has no source: give the decision, date, table and row, or illustrative: true",
                    file=node.path,
                    path="source",
                )
            )
    return out


def _locator(node: Node) -> Callable[[str], Origin]:
    # Static checks run on parsed rules; positions were recorded when the file was read.
    def locate(path: str) -> Origin:
        line, column = node.positions.get(path, (None, None))
        return Origin(file=node.path, line=line, column=column, path=path)

    return locate
