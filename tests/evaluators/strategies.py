"""Hypothesis strategies: random methodologies (node files built in memory) and random
submissions for them.

Values are drawn from small pools shared with the constants of the conditions, so tier
boundaries are hit exactly, denominators are often zero and values are sometimes
missing or invalid.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import yaml
from hypothesis import strategies as st

from evaluators import Submission, parse_submission
from methodology import Methodology
from methodology.tree import build_tree

NUMBERS = ["0", "0.5", "1", "3", "5", "10", "-2", "0.1", "2.5"]
RATIOS = ["0", "0.5", "0.7", "0.9", "0.95", "1"]
RATIO_LITERALS = ["0", "50%", "0.7", "90%", "0.95", "1"]
COUNTS = ["0", "1", "2", "3", "5", "10"]
DATES = ["2024-01-01", "2024-06-30", "2024-12-31"]
CHOICES = ["dung_han", "tre_han", "khong"]
POINTS = ["0", "0.5", "1", "1.5", "2", "2.5"]

FACTS = {
    "co_tthc": {"type": "bool", "label": "Có thủ tục hành chính"},
    "so_dan": {"type": "number", "label": "Số dân"},
    "loai_don_vi": {"type": "enum", "label": "Loại đơn vị", "choices": list(CHOICES)},
    "ngay_thanh_lap": {"type": "date", "label": "Ngày thành lập"},
}


@dataclass
class Spec:
    """What a generated methodology reads, for drawing submissions."""

    inputs: dict[str, str] = field(default_factory=dict)  # input id → type
    leaves: dict[str, str] = field(default_factory=dict)  # leaf id → kind
    max_points: dict[str, Decimal] = field(default_factory=dict)
    claimable: list[str] = field(default_factory=list)
    nodes: list[str] = field(default_factory=list)
    # ladders drawn so far: (input id, its declaration, tiers), for later leaves to reuse
    ladders: list[tuple[str, dict[str, Any], list[dict[str, Any]]]] = field(default_factory=list)


_WORDS = {"min", "max", "round", "abs", "if", "and", "or", "not", "in", "true", "false", "date"}


def _has_names(text: str) -> bool:
    return any(w not in _WORDS for w in re.findall(r"[a-z_][a-z0-9_]*", text))


class _Expressions:
    """Random, well-typed expression text over some inputs and the facts."""

    def __init__(self, draw, inputs: dict[str, str]) -> None:
        self.draw = draw
        self.inputs = inputs

    def pick(self, options):
        return self.draw(st.sampled_from(options))

    def names(self, *types: str, facts: bool = True) -> list[str]:
        found = [n for n, t in self.inputs.items() if t in types]
        if facts:
            found += [n for n, spec in FACTS.items() if spec["type"] in types]
        return found

    def literal(self, typ: str) -> str:
        if typ == "ratio":
            return self.pick(RATIO_LITERALS)
        if typ == "count":
            return self.pick(COUNTS)
        return self.pick(NUMBERS)

    def number(self, depth: int) -> str:
        names = self.names("number", "ratio", "count")
        choice = self.draw(st.integers(0, 9 if depth > 0 else 2))
        if choice <= 1 and names:
            return self.pick(names)
        if choice == 2 or (not names and choice <= 1):
            return self.literal(self.pick(["number", "ratio", "count"]))
        a, b = self.number(depth - 1), self.number(depth - 1)
        if choice == 3:
            return f"({a} {self.pick(['+', '-', '*'])} {b})"
        if choice in (4, 5):
            if not _has_names(b):  # validation refuses a divisor that is always 0
                b = self.pick(["2", "0.5", "10"])
            return f"({a} / {b})"
        if choice == 6:
            return f"{self.pick(['min', 'max'])}({a}, {b})"
        if choice == 7:
            return f"round({a}, {self.pick(['0', '1', '2'])})"
        if choice == 8:
            return f"abs({a})"
        return f"if({self.condition(depth - 1)}, {a}, {b})"

    def comparison(self, depth: int) -> str:
        kind = self.draw(st.integers(0, 5))
        op = self.pick(["<", "<=", ">", ">=", "==", "!="])
        if kind <= 2:
            names = self.names("number", "ratio", "count")
            if names:
                name = self.pick(names)
                typ = self.inputs.get(name, "number")
                if self.draw(st.booleans()):
                    return f"{name} {op} {self.literal(typ)}"
                return f"{self.literal(typ)} {op} {name}"
            return f"{self.number(depth)} {op} {self.literal('number')}"
        if kind == 3:
            return f"{self.number(depth)} {op} {self.number(depth)}"
        if kind == 4:
            names = self.names("enum")
            name = self.pick(names)
            if self.draw(st.booleans()):
                return f'{name} {self.pick(["==", "!="])} "{self.pick(CHOICES)}"'
            items = self.draw(
                st.lists(st.sampled_from(CHOICES), min_size=1, max_size=3, unique=True)
            )
            listed = ", ".join(f'"{c}"' for c in items)
            return f"{name} {self.pick(['in', 'not in'])} [{listed}]"
        names = self.names("date")
        return f'{self.pick(names)} {op} date("{self.pick(DATES)}")'

    def condition(self, depth: int) -> str:
        choice = self.draw(st.integers(0, 8 if depth > 0 else 3))
        bools = self.names("bool")
        if choice == 0 and bools:
            return self.pick(bools)
        if choice <= 3:
            return self.comparison(depth)
        if choice == 4:
            return f"not ({self.condition(depth - 1)})"
        if choice in (5, 6):
            a, b = self.condition(depth - 1), self.condition(depth - 1)
            return f"({a} {self.pick(['and', 'or'])} {b})"
        if choice == 7:
            return (
                self.pick(["true", "false"])
                if self.draw(st.integers(0, 3)) == 0
                else (f"{self.pick(bools)} == {self.pick(['true', 'false'])}" if bools else "true")
            )
        return f"if({self.condition(depth - 1)}, {self.condition(depth - 1)}, {self.condition(depth - 1)})"


def _front(data: dict[str, Any]) -> str:
    return "---\n" + yaml.safe_dump(data, allow_unicode=True, sort_keys=False) + "---\n"


def _bound(draw, name: str, literal: str) -> str:
    """``name`` compared with ``literal``, either way round."""
    op = draw(st.sampled_from(["<", "<=", ">", ">=", "=="]))
    return f"{name} {op} {literal}" if draw(st.booleans()) else f"{literal} {op} {name}"


def _leaf(
    draw, index: int, code: str, max_points: Decimal, spec: Spec, plain: bool = False
) -> dict[str, Any]:
    node_id = f"l{index}"
    kind = (
        "ladder"
        if plain
        else draw(
            st.sampled_from(
                [
                    "tiers",
                    "tiers",
                    "tiers",
                    "ladder",
                    "ladder",
                    "boolean",
                    "ratio",
                    "linear",
                    "formula",
                    "survey",
                    "manual",
                ]
            )
        )
    )
    data: dict[str, Any] = {
        "id": node_id,
        "code": code,
        "title": f"Tiêu chí {code}",
        "max_points": float(max_points),
    }
    inputs: dict[str, dict[str, Any]] = {}
    if kind in ("tiers", "ladder", "boolean", "linear", "formula", "ratio"):
        types = draw(
            st.lists(
                st.sampled_from(["number", "ratio", "count", "bool", "enum", "date"]),
                min_size=1,
                max_size=3,
            )
        )
        if kind == "ratio":
            types = ["count", "count", *types[:1]]
        if kind == "ladder":  # tiers on one number, as most criteria are
            types = [draw(st.sampled_from(["number", "ratio", "count"]))]
        for j, typ in enumerate(types):
            name = f"i{index}_{j}"
            declared: dict[str, Any] = {"type": typ, "label": f"Chỉ số {index}.{j}"}
            if typ == "enum":
                declared["choices"] = list(CHOICES)
            if typ == "number" and draw(st.booleans()):
                declared["min"] = -2
            if draw(st.integers(0, 5)) == 0:
                declared["required"] = False
            inputs[name] = declared
            spec.inputs[name] = typ
        data["inputs"] = inputs
    types = {n: d["type"] for n, d in inputs.items()}
    ex = _Expressions(draw, types)
    points = [p for p in POINTS if Decimal(p) <= max_points] + [str(max_points)]
    if kind == "tiers":
        tiers = [
            {
                "when": ex.condition(draw(st.integers(0, 2))),
                "points": float(draw(st.sampled_from(points))),
            }
            for _ in range(draw(st.integers(1, 4)))
        ]
        if draw(st.integers(0, 4)) > 0:
            tiers.append({"otherwise": True, "points": 0})
        data["scoring"] = {"kind": "tiers", "tiers": tiers}
    elif kind == "ladder":
        (name,) = types
        if spec.ladders and draw(st.booleans()):
            # an earlier criterion's ladder on this one's input (the durable engine's
            # classes: criteria asking the same question share their rules)
            old, declared, template = draw(st.sampled_from(spec.ladders))
            inputs[name] = dict(declared)
            spec.inputs[name] = types[name] = declared["type"]  # `ex` reads types too
            top = float(max_points)
            tiers = [
                {
                    **tier,
                    "points": min(tier["points"], top),
                    **(
                        {"when": re.sub(rf"\b{old}\b", name, tier["when"])}
                        if "when" in tier
                        else {}
                    ),
                }
                for tier in template
            ]
        else:
            tiers = [
                {
                    "when": " and ".join(
                        _bound(draw, name, ex.literal(types[name]))
                        for _ in range(draw(st.integers(1, 2)))
                    ),
                    "points": float(draw(st.sampled_from(points))),
                }
                for _ in range(draw(st.integers(1, 3)))
            ]
            if draw(st.integers(0, 3)) > 0:
                tiers.append({"otherwise": True, "points": 0})
            spec.ladders.append((name, dict(inputs[name]), tiers))
        data["scoring"] = {"kind": "tiers", "tiers": tiers}
        kind = "tiers"
    elif kind == "boolean":
        data["scoring"] = {"kind": "boolean", "when": ex.condition(draw(st.integers(0, 2)))}
        if draw(st.booleans()):
            data["scoring"]["points"] = float(draw(st.sampled_from(points)))
    elif kind == "ratio":
        counts = [n for n, t in types.items() if t == "count"]
        numerator = counts[0] if draw(st.booleans()) else ex.number(1)
        data["scoring"] = {
            "kind": "ratio",
            "numerator": numerator,
            "denominator": counts[1],
            "on_zero": draw(st.sampled_from(["full", "zero", "not_applicable"])),
        }
    elif kind == "linear":
        ats = sorted(
            set(draw(st.lists(st.sampled_from([0, 0.5, 1, 3, 5, 10]), min_size=2, max_size=3)))
        )
        if len(ats) < 2:
            ats = [0, 10]
        data["scoring"] = {
            "kind": "linear",
            "of": ex.number(1),
            "thresholds": [{"at": a, "points": float(draw(st.sampled_from(points)))} for a in ats],
        }
    elif kind == "formula":
        data["scoring"] = {"kind": "formula", "expression": ex.number(2)}
    elif kind == "survey":
        data["assessed_by"] = "survey"
    else:
        data["assessed_by"] = "appraisal"
    if kind in ("tiers", "boolean", "linear", "formula", "ratio") and not plain:
        for name in ("bonus", "penalty"):
            if draw(st.integers(0, 3)) == 0:
                rules = []
                for _ in range(draw(st.integers(1, 2))):
                    rule: dict[str, Any] = {
                        "when": ex.condition(draw(st.integers(0, 1))),
                        "points": float(draw(st.sampled_from(["0.25", "0.5", "1"]))),
                    }
                    if draw(st.integers(0, 2)) == 0:
                        rule["per"] = ex.number(1)
                    rules.append(rule)
                data[name] = {
                    "cap": float(draw(st.sampled_from(["0.5", "1", "2"]))),
                    "rules": rules,
                }
    spec.leaves[node_id] = kind
    return data


def _applicability(draw, data: dict[str, Any], spec: Spec, plain: bool = False) -> None:
    applicability: dict[str, Any] = {}
    if draw(st.integers(0, 3)) == 0:
        applicability["allow_not_applicable"] = True
        spec.claimable.append(data["id"])
    if not plain and draw(st.integers(0, 4)) == 0:
        applicability["not_applicable_when"] = _Expressions(draw, {}).condition(
            draw(st.integers(0, 2))
        )
    if applicability:
        data["applicability"] = applicability


@st.composite
def methodologies(draw, plain: bool = False) -> tuple[Methodology, Spec]:
    """A methodology of 1–3 fields, 1–3 criteria each, criteria with 0–3 sub-criteria.
    ``plain``: every leaf has tiers on one number, no bonus, no penalty and no N/A rule
    on facts (claims only) — each event then carries one value, as in most methodologies."""
    spec = Spec()
    files: dict[str, str] = {}
    fields_total = Decimal(0)
    leaf_index = 0
    for f in range(1, draw(st.integers(1, 3)) + 1):
        field_id = f"f{f}"
        field_total = Decimal(0)
        criteria_files: dict[str, str] = {}
        for c in range(1, draw(st.integers(1, 3)) + 1):
            criterion_id = f"c{f}_{c}"
            code = f"{f}.{c}"
            subs = draw(st.integers(0, 3))
            if subs == 0:
                leaf_index += 1
                max_points = Decimal(draw(st.sampled_from(["1", "2", "2.5", "3"])))
                data = _leaf(draw, leaf_index, code, max_points, spec, plain)
                data["id"] = criterion_id
                spec.leaves[criterion_id] = spec.leaves.pop(f"l{leaf_index}")
                _applicability(draw, data, spec, plain)
                criteria_files[f"{field_id}/{criterion_id}.md"] = _front(data)
                spec.max_points[criterion_id] = max_points
            else:
                total = Decimal(0)
                for s in range(1, subs + 1):
                    leaf_index += 1
                    max_points = Decimal(draw(st.sampled_from(["1", "2", "2.5", "3"])))
                    total += max_points
                    data = _leaf(draw, leaf_index, f"{code}.{s}", max_points, spec, plain)
                    _applicability(draw, data, spec, plain)
                    criteria_files[f"{field_id}/{criterion_id}/{data['id']}.md"] = _front(data)
                    spec.max_points[data["id"]] = max_points
                    spec.nodes.append(data["id"])
                # sometimes the criterion caps its children below their sum
                capped = total > 1 and draw(st.integers(0, 3)) == 0
                max_points = total - 1 if capped else total
                criterion = {
                    "id": criterion_id,
                    "code": code,
                    "title": f"Tiêu chí {code}",
                    "max_points": float(max_points),
                }
                if draw(st.integers(0, 4)) == 0:
                    criterion["aggregation"] = "sum"
                _applicability(draw, criterion, spec, plain)
                criteria_files[f"{field_id}/{criterion_id}/_node.md"] = _front(criterion)
            spec.nodes.append(criterion_id)
            field_total += max_points
        field_data = {
            "id": field_id,
            "code": str(f),
            "title": f"Lĩnh vực {f}",
            "max_points": float(field_total),
        }
        _applicability(draw, field_data, spec, plain)
        files[f"{field_id}/_node.md"] = _front(field_data)
        files.update(criteria_files)
        spec.nodes.append(field_id)
        fields_total += field_total
    rules = []
    for _ in range(0 if plain else draw(st.sampled_from([0, 0, 1, 1, 2]))):
        rules.append(
            {
                "when": _Expressions(draw, {}).condition(draw(st.integers(0, 2))),
                "not_applicable": draw(
                    st.lists(st.sampled_from(spec.nodes), min_size=1, max_size=2, unique=True)
                ),
            }
        )
    manifest = {
        "id": "gen",
        "title": "Phương pháp sinh ngẫu nhiên",
        "level": "tỉnh",
        "scale": float(draw(st.sampled_from([fields_total, Decimal(100)]))),
        "not_applicable_policy": draw(
            st.sampled_from(["exclude_and_normalize", "count_as_zero", "count_as_full"])
        ),
        "rounding": {"places": draw(st.integers(0, 3))},
        "facts": FACTS,
        "applicability_rules": rules,
    }
    files["methodology.yaml"] = yaml.safe_dump(manifest, allow_unicode=True, sort_keys=False)
    m = build_tree("gen", {path: path for path in files}, lambda path: files[path].encode())
    errors = [p for p in m.problems if p.severity == "error"]
    assert not errors, [str(p) for p in errors]
    return m, spec


# Magnitudes far beyond the accepted ones (cleaning refuses them: |adjusted exponent|
# above 100) and at its edges (accepted, so they reach every engine's arithmetic: a
# product of a few of them leaves the doubles), as text, floats and ints.
EXTREMES = {
    "number": [
        "9e999999",
        "-9e999999",
        "1e-5000",
        "1e5000",
        "9.99999999999999E+999999",
        "1E-1000013",
        "0e200",
        "1e100",
        "-1e100",
        "9.99999999999999e100",
        "1e101",
        "1e-100",
        "-1e-100",
        "9e-101",
        "123456789012345678901234567890.5",
        1e100,
        -1e-100,
        1e200,
        5e-324,
        1.7976931348623157e308,
        10**100,
        -(10**101),
        10**101 - 1,  # its double is 1e101: only its exact value is within the bounds
    ],
    "ratio": ["1e-100", "9e-101", "1e-5000", 1e-100, 5e-324, "0e-200"],
    "count": ["1e100", "9e999999", "1e5000", 10**100, 10**101, 10**101 - 1, 1e100, 1e200],
}


def _value(draw, typ: str, extreme: bool = False) -> Any:
    if extreme and typ in EXTREMES and draw(st.booleans()):
        return draw(st.sampled_from(EXTREMES[typ]))
    if typ == "bool":
        return draw(st.booleans())
    if typ == "enum":
        return draw(st.sampled_from([*CHOICES, "sai"]))  # "sai": not a choice (invalid)
    if typ == "date":
        return draw(st.sampled_from(DATES))
    if typ == "ratio":  # the last two round onto the doubles of 0.9 and 0.95
        return draw(st.sampled_from([*RATIOS, "0.90000000000000001", "0.94999999999999999"]))
    if typ == "count":
        return draw(st.sampled_from(COUNTS))
    return draw(
        st.sampled_from(
            [*NUMBERS, "1e-7", "123456789.125", "1.0000000000000001", "2.9999999999999999"]
        )
    )


@st.composite
def submissions(draw, spec: Spec, extreme: bool = False) -> Submission:
    """A submission for a methodology drawn by `methodologies`; with ``extreme``, numbers
    are often drawn from `EXTREMES`."""
    values = {}
    for name, typ in spec.inputs.items():
        if draw(st.integers(0, 9)) > 0:
            values[name] = _value(draw, typ, extreme)
    facts = {}
    for name, declared in FACTS.items():
        if draw(st.integers(0, 6)) > 0:
            facts[name] = _value(draw, declared["type"], extreme)
    claims = {}
    if spec.claimable and draw(st.booleans()):
        for node_id in draw(st.lists(st.sampled_from(spec.claimable), max_size=2, unique=True)):
            claims[node_id] = "không phát sinh"
    survey = {}
    appraisal: dict[str, Any] = {}
    for leaf_id, kind in spec.leaves.items():
        top = spec.max_points[leaf_id]
        if kind == "survey" and draw(st.integers(0, 4)) > 0:
            scores = [0, 0.5, float(top), float(top) + 1]
            survey[leaf_id] = draw(
                st.sampled_from(scores + (["1e-100", 1e-100] if extreme else []))
            )
        if kind == "manual" and draw(st.integers(0, 4)) > 0:
            appraisal[leaf_id] = {
                "points": draw(st.sampled_from([0, 0.75, float(top)])),
                "reason": "thẩm định",
            }
    for name, typ in spec.inputs.items():
        if draw(st.integers(0, 7)) == 0:
            appraisal[name] = {"value": _value(draw, typ, extreme), "reason": "điều chỉnh"}
    return parse_submission(
        {
            "unit": "don-vi",
            "period": "2024",
            "values": values,
            "facts": facts,
            "not_applicable": claims,
            "survey": survey,
            "appraisal": appraisal,
        }
    )
