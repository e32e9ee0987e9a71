"""The peers measured by `benchmarks.engines`: zen-engine (GoRules) and openfisca-core.

Both are optional (``pip install -e '.[bench]'``; `make bench` does it in .venv-bench).
Each peer is built from the same criteria as our methodology — a list of
`Criterion` (input id, thresholds, points) — and returns one float total per submission.
`missing()` names the peers that cannot be imported, so the benchmark skips them.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np

__all__ = ["Criterion", "OpenFiscaPeer", "ZenPeer", "missing"]

PERIOD = "2024"


class Criterion(NamedTuple):
    """One leaf: ``points[0]`` if value ≥ ``high``, ``points[1]`` if ≥ ``low``, else ``points[2]``."""

    leaf: str  # our node id
    input: str  # its ratio input id
    high: float
    low: float
    points: tuple[float, float, float]


def missing() -> list[str]:
    """The peers that cannot be imported, by their PyPI names."""
    out = []
    for name, module in (("zen-engine", "zen"), ("openfisca-core", "openfisca_core.simulations")):
        try:
            importlib.import_module(module)
        except ImportError:
            out.append(name)
    return out


# -- zen-engine ----------------------------------------------------------------------


class ZenPeer:
    """The criteria as GoRules JSON decision models (JDM), evaluated one submission per call.

    Two equivalent graphs, so the benchmark can report zen-engine's best figure:
    ``tables`` — one first-hit decision table per criterion, then an expression node for
    the total; ``expressions`` — one expression node with a conditional per criterion,
    then the total."""

    GRAPHS = ("tables", "expressions")

    def __init__(self, criteria: Sequence[Criterion]) -> None:
        import zen

        self.criteria = list(criteria)
        self._engine = zen.ZenEngine()
        self.decisions = {
            name: self._engine.create_decision(json.dumps(self.graph(name))) for name in self.GRAPHS
        }

    def graph(self, name: str) -> dict[str, Any]:
        """The JDM of graph ``name`` (a dict ready for ``json.dumps``)."""
        total = {
            "id": "total",
            "type": "expressionNode",
            "name": "Tổng điểm",
            "position": {"x": 600, "y": 0},
            "content": {
                "expressions": [
                    {
                        "id": "total",
                        "key": "total",
                        "value": " + ".join(f"diem.{c.input}" for c in self.criteria),
                    }
                ]
            },
        }
        nodes: list[dict[str, Any]] = [_node("request", "inputNode", "Request", 0), total]
        edges: list[tuple[str, str]] = []
        if name == "tables":
            for i, c in enumerate(self.criteria):
                table_id = f"table-{i}"
                nodes.append(
                    _node(table_id, "decisionTableNode", c.leaf, 300) | {"content": _tiers_table(c)}
                )
                edges += [("request", table_id), (table_id, "total")]
        elif name == "expressions":
            expressions = [
                {
                    "id": c.input,
                    "key": f"diem.{c.input}",
                    # a value left out (a claimed criterion) scores the bottom tier
                    "value": (
                        f"({c.input} ?? -1) >= {c.high!r} ? {c.points[0]!r} : "
                        f"(({c.input} ?? -1) >= {c.low!r} ? {c.points[1]!r} : {c.points[2]!r})"
                    ),
                }
                for c in self.criteria
            ]
            nodes.append(
                _node("criteria", "expressionNode", "Điểm tiêu chí", 300)
                | {"content": {"expressions": expressions}}
            )
            edges += [("request", "criteria"), ("criteria", "total")]
        else:
            raise ValueError(f"unknown graph {name!r}")
        nodes.append(_node("response", "outputNode", "Response", 900))
        edges.append(("total", "response"))
        return {
            "contentType": "application/vnd.gorules.decision",
            "nodes": nodes,
            "edges": [
                {"id": f"edge-{i}", "type": "edge", "sourceId": a, "targetId": b}
                for i, (a, b) in enumerate(edges)
            ],
        }

    def scorer(self, name: str) -> Callable[[Sequence[Mapping[str, Any]]], list[float]]:
        """Score submission dicts one ``evaluate`` call each; their totals."""
        evaluate = self.decisions[name].evaluate

        def run(submissions: Sequence[Mapping[str, Any]]) -> list[float]:
            return [float(evaluate(s["values"])["result"]["total"]) for s in submissions]

        return run


def _node(node_id: str, kind: str, name: str, x: int) -> dict[str, Any]:
    return {"id": node_id, "type": kind, "name": name, "position": {"x": x, "y": 0}}


def _tiers_table(c: Criterion) -> dict[str, Any]:
    return {
        "hitPolicy": "first",
        "inputs": [{"id": "value", "name": c.input, "field": c.input}],
        "outputs": [{"id": "points", "name": "Điểm", "field": f"diem.{c.input}"}],
        "rules": [
            {"_id": "tier-1", "value": f">= {c.high!r}", "points": repr(c.points[0])},
            {"_id": "tier-2", "value": f"[{c.low!r}..{c.high!r})", "points": repr(c.points[1])},
            {"_id": "tier-3", "value": "", "points": repr(c.points[2])},
        ],
    }


# -- openfisca-core ------------------------------------------------------------------


class OpenFiscaPeer:
    """The criteria as an OpenFisca tax-benefit system: one entity (the unit), one float
    input variable per criterion, one formula variable per criterion and a total.

    OpenFisca stores float variables as float32, so the thresholds are float32 too:
    compared with float64 thresholds a submitted 0.7 (0.699999988 in float32) falls to
    the bottom tier."""

    def __init__(self, criteria: Sequence[Criterion]) -> None:
        from openfisca_core.entities import build_entity
        from openfisca_core.periods import DateUnit
        from openfisca_core.simulations import SimulationBuilder
        from openfisca_core.taxbenefitsystems import TaxBenefitSystem
        from openfisca_core.variables import Variable

        self.criteria = list(criteria)
        self._builder = SimulationBuilder
        unit = build_entity(key="unit", plural="units", label="Đơn vị", is_person=True)
        system = TaxBenefitSystem([unit])

        def variable(name: str, label: str, formula: Callable | None = None) -> None:
            attributes: dict[str, Any] = {
                "value_type": float,
                "entity": unit,
                "definition_period": DateUnit.YEAR,
                "label": label,
            }
            if formula is not None:
                attributes["formula"] = formula
            system.add_variable(type(name, (Variable,), attributes))

        for c in self.criteria:
            variable(c.input, f"Tỷ lệ ({c.leaf})")
            variable(f"diem_{c.input}", f"Điểm {c.leaf}", _tiers_formula(c))
        names = [f"diem_{c.input}" for c in self.criteria]

        def total(unit, period):
            return sum(unit(name, period) for name in names)

        variable("tong_diem", "Tổng điểm", total)
        self.system = system

    def from_situation(self, submissions: Sequence[Mapping[str, Any]]) -> list[float]:
        """OpenFisca's own dict input: a situation (unit → variable → period → value)
        built from the submission dicts, read by ``SimulationBuilder.build_from_entities``."""
        situation = {
            "units": {
                s["unit"]: {key: {PERIOD: value} for key, value in s["values"].items()}
                for s in submissions
            }
        }
        simulation = self._builder().build_from_entities(self.system, situation)
        return simulation.calculate("tong_diem", PERIOD).tolist()

    def from_dicts(self, submissions: Sequence[Mapping[str, Any]]) -> list[float]:
        """One column per input gathered from the submission dicts, then ``set_input``."""
        n = len(submissions)
        return self._run(
            n,
            {
                c.input: np.fromiter(
                    (s["values"].get(c.input, np.nan) for s in submissions), float, n
                )
                for c in self.criteria
            },
        )

    def on_columns(self, columns: Mapping[str, np.ndarray]) -> list[float]:
        """Prebuilt arrays, one per input."""
        return self._run(len(next(iter(columns.values()))), columns)

    def _run(self, n: int, columns: Mapping[str, np.ndarray]) -> list[float]:
        simulation = self._builder().build_default_simulation(self.system, n)
        for key, column in columns.items():
            simulation.set_input(key, PERIOD, column)
        return simulation.calculate("tong_diem", PERIOD).tolist()


def _tiers_formula(c: Criterion) -> Callable:
    high, low = np.float32(c.high), np.float32(c.low)
    points = [np.float32(p) for p in c.points]

    def formula(unit, period):
        value = unit(c.input, period)
        return np.select([value >= high, value >= low], points[:2], points[2])

    return formula
