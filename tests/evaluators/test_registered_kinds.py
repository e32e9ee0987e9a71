"""A scoring kind registered with `rules.register_kind` is checked when a methodology is
validated and scores on every engine, the same.

The kinds live only in this file, so nothing in the engines can know them by name: the
compiled and durable engines decide them from the registry (the kind is its own outcome,
or the first of its conditions that holds) and their points come from the kind's
`base_points` or `score`; the vectorised engine evaluates its `vector_points` expression
or `vector_score` over the columns, or sends the leaf to the exact path. A kind's own
`check` reports problems at file:line like the built-in kinds' checks.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from evaluators import CompiledEngine, build_program, parse_submission, score_many
from evaluators.engines.durable.engine import DurableEngine
from evaluators.engines.vector.batch import VectorProgram, score_cohort, score_columns
from methodology import validate
from methodology.versions import load_directory
from rules import (
    KINDS,
    Base,
    EvaluationError,
    Expression,
    Scoring,
    SpecContext,
    Type,
    VectorBase,
    compile_expression,
    register_kind,
)

from .helpers import FULL_VALUES, VI_DU

LEAF = "ty-le-truc-tuyen"
LEAF_FILE = "cai-cach-tthc/dich-vu-cong-truc-tuyen/ty-le-truc-tuyen.md"


@dataclass(frozen=True)
class CappedCount(Scoring):
    """``per`` points for each unit of ``of``, at most ``cap`` (the node's maximum)."""

    of: Expression
    per: Decimal
    cap: Decimal
    # the same points as an expression, for the vectorised engine
    vector: Expression = field(compare=False, repr=False)

    @classmethod
    def from_spec(cls, data, ctx: SpecContext, path: str) -> CappedCount:
        ctx.keys(data, path, required=("kind", "of", "per"), optional=("cap",))
        of = ctx.expression(data["of"], f"{path}.of", expect=Type.NUMBER)
        per = ctx.number(data["per"], f"{path}.per")
        if per <= 0:
            raise ctx.error(f"per phải lớn hơn 0 (đang là {per})", f"{path}.per")
        cap = ctx.number(data.get("cap", ctx.max_points), f"{path}.cap")
        if not 0 < cap <= ctx.max_points:
            raise ctx.error(
                f"cap phải trong khoảng (0, {ctx.max_points}] (đang là {cap})", f"{path}.cap"
            )
        vector = ctx.expression(
            f"min(({of.text}) * {per}, {cap})", f"{path}.of", expect=Type.NUMBER
        )
        return cls(of, per, cap, vector)

    def to_dict(self):
        return {"kind": self.kind, "of": self.of.render(), "per": self.per, "cap": self.cap}

    @property
    def names(self):
        return self.of.names

    def check(self, report, max_points):
        if self.per > self.cap:
            report.add(
                "per-above-cap",
                f"một đơn vị đã cho {self.per} điểm, vượt mức tối đa {self.cap} điểm",
                "per",
                suggestion="giảm per hoặc tăng cap",
            )

    def base_points(self, outcome, values, max_points):
        return min(compile_expression(self.of)(values) * self.per, self.cap)

    def vector_points(self, max_points):
        return self.vector

    def describe(self, max_points):
        return f"Mỗi đơn vị được {self.per} điểm, tối đa {self.cap} điểm"


@dataclass(frozen=True)
class CappedCountExact(CappedCount):
    """The same kind without vectorised points: the exact path scores it."""

    def vector_points(self, max_points):
        return None


@dataclass(frozen=True)
class Steps(Scoring):
    """Points by steps of one number: ``steps: [{from, points}, ...]`` in ascending
    ``from``; below the first step, 0. Its outcomes are conditions, like tiers'."""

    of: Expression
    steps: tuple[tuple[Decimal, Decimal], ...]
    tests: tuple[Expression, ...] = field(compare=False, repr=False)

    @classmethod
    def from_spec(cls, data, ctx: SpecContext, path: str) -> Steps:
        ctx.keys(data, path, required=("kind", "of", "steps"))
        of = ctx.expression(data["of"], f"{path}.of", expect=Type.NUMBER)
        steps, tests = [], []
        for index, row in enumerate(ctx.sequence(data, "steps", path)):
            where = f"{path}.steps[{index}]"
            row = ctx.mapping(row, where)
            ctx.keys(row, where, required=("from", "points"))
            start = ctx.number(row["from"], f"{where}.from")
            if steps and start <= steps[-1][0]:
                raise ctx.error(f"các bậc phải tăng dần ({start} ≤ {steps[-1][0]})", where)
            steps.append((start, ctx.number(row["points"], f"{where}.points")))
        for start, _ in reversed(steps):  # the highest step that is reached fires
            tests.append(ctx.expression(f"({of.text}) >= {start}", path, expect=Type.BOOL))
        return cls(of, tuple(steps), tuple(tests))

    def to_dict(self):
        rows = [{"from": start, "points": points} for start, points in self.steps]
        return {"kind": self.kind, "of": self.of.render(), "steps": rows}

    @property
    def names(self):
        return self.of.names

    def conditions(self):
        count = len(self.steps)
        return (
            *((f"step:{count - i}", test) for i, test in enumerate(self.tests)),
            ("step:0", None),
        )

    def base_points(self, outcome, values, max_points):
        step = int(outcome.removeprefix("step:"))
        return Decimal(0) if step == 0 else self.steps[step - 1][1]

    def describe(self, max_points):
        return "; ".join(f"từ {start}: {points} điểm" for start, points in self.steps)


STEPS_SPEC = """scoring:
  kind: steps_test
  of: so_ho_so_truc_tuyen
  steps: [{from: 2, points: 0.5}, {from: 5, points: 1.25}, {from: 8, points: 2}]
"""


@dataclass(frozen=True)
class ConstantSteps(Steps):
    """Steps saying that its points depend on the step alone: the vectorised engine
    then picks them per row, in integers."""

    constant_points = True


@pytest.mark.parametrize(("cls", "mode"), [(Steps, "exact"), (ConstantSteps, "int")])
def test_a_registered_kind_with_conditions_scores_the_same_on_every_engine(tmp_path, cls, mode):
    register_kind("steps_test", cls)
    try:
        folder = _folder(tmp_path, STEPS_SPEC)
        m = load_directory(folder)
        assert [p for p in m.problems if p.severity == "error"] == []
        program = build_program(m)
        submissions = _submissions()
        compiled = score_many(program, submissions, CompiledEngine())
        assert [r.node(LEAF).rule for r in compiled] == [
            f"step:{s}" for s in (0, 0, 1, 1, 1, 2, 2, 2, 3, 3)
        ]
        assert [r.node(LEAF).points for r in compiled] == [
            Decimal(p) for p in ("0", "0", "0.5", "0.5", "0.5", "1.25", "1.25", "1.25", "2", "2")
        ]
        with DurableEngine(workers=1) as durable:
            decided = score_many(program, submissions, durable)
        vprog = VectorProgram.build(program)
        assert next(r["mode"] for r in vprog.modes() if r["leaf"] == LEAF) == mode
        for other in (decided, score_cohort(vprog, submissions).results()):
            assert [r.tree() for r in other] == [r.tree() for r in compiled]
            assert [r.result_hash for r in other] == [r.result_hash for r in compiled]

        leaf = folder / LEAF_FILE
        leaf.write_text(
            leaf.read_text(encoding="utf-8").replace("{from: 5,", "{from: 1,"), encoding="utf-8"
        )
        errors = [p for p in load_directory(folder).problems if p.severity == "error"]
        assert len(errors) == 1 and "các bậc phải tăng dần (1 ≤ 2)" in str(errors[0]), errors
    finally:
        del KINDS["steps_test"]


KIND_SPEC = """scoring:
  kind: {kind}
  of: so_ho_so_truc_tuyen - 1
  per: {per}
  cap: 1.5
"""


@pytest.fixture(params=[("capped_count", CappedCount), ("capped_count_exact", CappedCountExact)])
def kind(request):
    name, cls = request.param
    register_kind(name, cls)
    try:
        yield name
    finally:
        del KINDS[name]


def _folder(tmp_path: Path, spec: str) -> Path:
    """vi-du with the online-filing leaf scored by ``spec``."""
    folder = tmp_path / "vi-du"
    shutil.copytree(VI_DU, folder)
    leaf = folder / LEAF_FILE
    text = leaf.read_text(encoding="utf-8")
    start, end = text.index("scoring:\n"), text.index("source:")
    leaf.write_text(text[:start] + spec + text[end:], encoding="utf-8")
    return folder


def _submissions():
    # counts 0..9: 1 -> 0 points, 3 -> 0.6, 7 -> capped; 0 -> below zero, clamped to 0
    out = []
    for count in range(10):
        values = dict(FULL_VALUES, so_ho_so_truc_tuyen=count)
        out.append(
            parse_submission(
                {
                    "unit": f"don-vi-{count}",
                    "period": "2024",
                    "values": values,
                    "facts": {"co_thu_tuc_hanh_chinh": True},
                    "survey": {"hai-long-xu-ly": 1.5},
                }
            )
        )
    return out


def test_a_registered_kind_scores_the_same_on_every_engine(tmp_path, kind):
    m = load_directory(_folder(tmp_path, KIND_SPEC.format(kind=kind, per="0.3")))
    assert [p for p in m.problems if p.severity == "error"] == []
    assert m.nodes[LEAF].scoring.describe(Decimal(2)) == (
        "Mỗi đơn vị được 0.3 điểm, tối đa 1.5 điểm"
    )
    program = build_program(m)
    submissions = _submissions()
    compiled = score_many(program, submissions, CompiledEngine())

    points = [r.node(LEAF).points for r in compiled]
    assert [r.node(LEAF).status for r in compiled] == ["scored"] * 10
    # min((n - 1) × 0.3, 1.5) clamped to [0, 2]; the rest of vi-du is unchanged
    expected = [
        min(max(Decimal(n - 1) * Decimal("0.3"), Decimal(0)), Decimal("1.5")) for n in range(10)
    ]
    assert points == [p.quantize(Decimal("0.01")) for p in expected]
    assert all(r.complete for r in compiled)

    with DurableEngine(workers=1) as durable:
        decided = score_many(program, submissions, durable)
        by_durable = score_cohort(VectorProgram.build(program), submissions, durable).results()
    vprog = VectorProgram.build(program)
    mode = next(row["mode"] for row in vprog.modes() if row["leaf"] == LEAF)
    assert mode == ("float" if kind == "capped_count" else "exact")
    cohort = score_cohort(vprog, submissions)
    columns = score_columns(
        vprog,
        {k: np.array([s.values[k] for s in submissions]) for k in program.inputs},
        facts={"co_thu_tuc_hanh_chinh": np.array([True] * 10)},
        survey={"hai-long-xu-ly": np.array([1.5] * 10)},
        units=[s.unit for s in submissions],
    )
    for other in (decided, by_durable, cohort.results(), columns.results()):
        assert [r.tree() for r in other] == [r.tree() for r in compiled]
        assert [(r.total, r.index, r.self_total, r.self_index) for r in other] == [
            (r.total, r.index, r.self_total, r.self_index) for r in compiled
        ]
        assert [r.problems for r in other] == [r.problems for r in compiled]
    # a batch from columns hashes the submissions the columns make (NumPy values)
    for other in (decided, by_durable, cohort.results()):
        assert [r.result_hash for r in other] == [r.result_hash for r in compiled]


def test_a_registered_kinds_own_check_fires_in_validation_at_file_and_line(tmp_path, kind):
    def errors(per: str, where: Path) -> tuple[Path, list]:
        folder = _folder(where, KIND_SPEC.format(kind=kind, per=per))
        found = validate(load_directory(folder)).errors  # the leaf's other input is unused
        return folder, [p for p in found if p.code != "unused-input"]

    assert errors("0.3", tmp_path / "ok")[1] == []
    folder, found = errors("2", tmp_path / "bad")
    assert [(p.code, p.path) for p in found] == [("per-above-cap", "scoring.per")]
    errors = found
    lines = (folder / LEAF_FILE).read_text(encoding="utf-8").splitlines()
    assert errors[0].file.endswith("ty-le-truc-tuyen.md")
    assert lines[errors[0].line - 1] == "  per: 2"
    assert "một đơn vị đã cho 2 điểm, vượt mức tối đa 1.5 điểm" in str(errors[0])
    assert "(giảm per hoặc tăng cap)" in str(errors[0])


@dataclass(frozen=True)
class SurveyShare(Scoring):
    """``share`` of the imported survey score: a kind whose points are submitted per
    criterion (`Scoring.source`) rather than computed from the values."""

    share: Decimal
    source = "survey"
    missing_source = "chưa có kết quả điều tra"

    @classmethod
    def from_spec(cls, data, ctx: SpecContext, path: str) -> SurveyShare:
        ctx.keys(data, path, required=("kind", "share"))
        return cls(ctx.number(data["share"], f"{path}.share"))

    def to_dict(self):
        return {"kind": self.kind, "share": self.share}

    def check(self, report, max_points):
        if not 0 < self.share <= 1:
            report.add(
                "share-range", f"share phải trong khoảng (0, 1] (đang là {self.share})", "share"
            )

    def score(self, outcome, given, max_points):
        if not 0 <= given.source <= max_points:
            raise EvaluationError(f"điểm điều tra {given.source} nằm ngoài [0, {max_points}]")
        return Base(given.source * self.share, outcome)

    def vector_score(self, max_points, ops):
        survey = ops.source()
        outside = ops.outside(survey, ops.const(Decimal(0)), ops.const(max_points))
        points = ops.mul(survey, ops.const(self.share))
        return VectorBase(points, reads=(survey,), invalid=outside)

    def describe(self, max_points):
        return f"{self.share} lần điểm điều tra"


SURVEY_LEAF = "hai-long-xu-ly"
SURVEY_FILE = "cai-cach-tthc/tiep-nhan-phan-anh/hai-long-xu-ly.md"


def test_a_registered_kind_with_a_source_scores_the_same_on_every_engine(tmp_path):
    register_kind("survey_share_test", SurveyShare)
    try:
        folder = tmp_path / "vi-du"
        shutil.copytree(VI_DU, folder)
        leaf = folder / SURVEY_FILE
        text = leaf.read_text(encoding="utf-8")
        spec = "scoring: {kind: survey_share_test, share: 0.75}\n"
        leaf.write_text(text.replace("source:", spec + "source:", 1), encoding="utf-8")
        m = load_directory(folder)
        assert validate(m).errors == []
        program = build_program(m)
        surveys = [None, 0.0, 1.0, 1.37, 2.0, 3.0, 0.333]  # as the survey columns hold them
        submissions = [
            parse_submission(
                {
                    "unit": f"don-vi-{i}",
                    "period": "2024",
                    "values": FULL_VALUES,
                    "facts": {"co_thu_tuc_hanh_chinh": True},
                    "survey": {} if survey is None else {SURVEY_LEAF: survey},
                }
            )
            for i, survey in enumerate(surveys)
        ]
        compiled = score_many(program, submissions, CompiledEngine())
        leaves = [r.node(SURVEY_LEAF) for r in compiled]
        assert [(n.status, n.points) for n in leaves] == [
            ("missing", None),
            ("scored", Decimal("0.00")),
            ("scored", Decimal("0.75")),
            ("scored", Decimal("1.03")),  # 1.0275, half-up
            ("scored", Decimal("1.50")),
            ("invalid", None),
            ("scored", Decimal("0.25")),  # 0.24975
        ]
        assert leaves[0].reason == "chưa có kết quả điều tra"
        assert leaves[5].reason == "điểm điều tra 3.0 nằm ngoài [0, 2]"
        with DurableEngine(workers=1) as durable:
            decided = score_many(program, submissions, durable)
        vprog = VectorProgram.build(program)
        assert next(r["mode"] for r in vprog.modes() if r["leaf"] == SURVEY_LEAF) == "float"
        columns = score_columns(
            vprog,
            {k: np.array([FULL_VALUES[k]] * len(surveys)) for k in program.inputs},
            facts={"co_thu_tuc_hanh_chinh": np.array([True] * len(surveys))},
            survey={SURVEY_LEAF: np.array([np.nan if x is None else x for x in surveys])},
            units=[s.unit for s in submissions],
        )
        for other in (decided, score_cohort(vprog, submissions).results(), columns.results()):
            assert [r.tree() for r in other] == [r.tree() for r in compiled]
            assert [r.problems for r in other] == [r.problems for r in compiled]
        for other in (decided, score_cohort(vprog, submissions).results()):
            assert [r.result_hash for r in other] == [r.result_hash for r in compiled]

        bad = spec.replace("0.75", "1.5")
        leaf.write_text(text.replace("source:", bad + "source:", 1), encoding="utf-8")
        errors = validate(load_directory(folder)).errors
        assert [(p.code, p.path, p.file) for p in errors] == [
            ("share-range", "scoring.share", str(leaf))
        ]
        assert lines_at(leaf, errors[0].line).startswith("scoring: {kind: survey_share_test")
    finally:
        del KINDS["survey_share_test"]


def lines_at(path: Path, line: int) -> str:
    return path.read_text(encoding="utf-8").splitlines()[line - 1]


def test_a_registered_kind_bad_config_is_a_located_error(tmp_path, kind):
    m = load_directory(_folder(tmp_path, KIND_SPEC.format(kind=kind, per="-1")))
    errors = [p for p in m.problems if p.severity == "error"]
    assert len(errors) == 1, errors
    text = str(errors[0])
    assert "per phải lớn hơn 0 (đang là -1)" in text
    assert "ty-le-truc-tuyen.md" in text
