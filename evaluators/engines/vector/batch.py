"""Vectorised batch scoring for the compiled engine: a whole cohort at once, in NumPy.

`VectorProgram.build(program)` compiles a methodology version once: each leaf's
conditions, adjustments and arithmetic become NumPy operations over columns (one array
per input), see `evaluators.engines.vector.leaves`. Then

- `score_columns(vprog, columns, facts=…, claims=…, units=…)` scores columnar inputs
  (one array per input id, as a cohort loaded from a database arrives), and
- `score_cohort(vprog, submissions)` builds those columns from `Submission` objects or
  submission dicts — cleaning every value exactly as `evaluators.scoring.cleaning.clean_value`
  does, vectorised for plain floats, ints and booleans — then scores them;
  `score_cohort(vprog, submissions, engine)` lets an engine decide every leaf instead
  (the durable one, in its worker processes), the rest staying vectorised.

Both return a `Batch`: per unit the total, applicable maximum, index (and the
self-assessed total and index), completeness and every node's points, all equal to what
`score_many(program, submissions, CompiledEngine())` gives; `Batch.results()` builds the
full `Result` trees through `score_many` when they are wanted.

Exactness. Points are integers in units of 10**-d (d: the rounding places, or more if a
node's maximum needs it), so sums and caps are exact; Decimals appear only at the end.
Comparisons of inputs with constants are exact in float64 for every value that is the
shortest repr of its double (every decimal of up to 15 significant digits is); a value
that is not (say ``"0.89999999999999999"``) makes its rows go the exact way. Arithmetic
(ratios, linear interpolation, formulas, ``per``) runs in float64 with an error bound
that covers both the float and the Decimal context's 15-digit rounding; a row whose
comparison or rounding to the places the bound cannot settle is scored by the exact
closures (`evaluators.engines.compiled` and `evaluators.scoring.plan`). So results are always the
exact ones; the fast path only decides how fast.
"""

from __future__ import annotations

import itertools
import operator
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np

from evaluators.engines.compiled import CompiledEngine, _Compiled, _decide_leaf
from evaluators.engines.vector.columns import (
    MISSING,
    Col,
    clean_array,
    clean_one,
    clean_raws,
    empty,
    encode,
    number_checks,
    plain_bounds,
)
from evaluators.engines.vector.expressions import Ctx, Unsupported, V, compile_node
from evaluators.engines.vector.ladders import climb, stackable
from evaluators.engines.vector.leaves import (
    INVALID,
    NA,
    SCORED,
    VLeaf,
    compile_leaf,
    describe,
    evaluate_leaf,
)
from evaluators.engines.vector.leaves import (
    MISSING as ST_MISSING,
)
from evaluators.program import Program
from evaluators.result import Result
from evaluators.scoring.cleaning import POINTS, clean_value
from evaluators.scoring.plan import (
    CHUNK,
    Engine,
    _arithmetic,
    _decided,
    _index,
    _plan,
    _points,
    score_many,
    submitted,
)
from evaluators.submission import Adjustment, Submission, parse_submission
from rules import EvaluationError, Type, ast, decimal_places, did_you_mean

__all__ = ["Batch", "VectorProgram", "score_cohort", "score_columns"]

_STATUS = {SCORED: "scored", NA: "not_applicable", ST_MISSING: "missing", INVALID: "invalid"}
_FROM_STATUS = {"scored": SCORED, "not_applicable": NA, "missing": ST_MISSING, "invalid": INVALID}


# -- the compiled program --------------------------------------------------------------


@dataclass
class _NaRule:
    rule: Any  # evaluators.program.NaRule
    names: tuple[str, ...]
    fn: Any = None  # compiled over the facts, or None: evaluated row by row
    never: bool = False  # reads a name that is not a declared fact: always skipped


@dataclass(kw_only=True)
class VectorProgram:
    """A methodology version compiled for vectorised scoring (build once, reuse)."""

    program: Program
    places: int
    digits: int  # points are held in units of 10**-digits
    scale: Decimal
    policy: str
    codes: dict[str, int]
    strings: list[str]
    facts: dict[str, Any]  # fact id → InputSpec
    leaves: list[VLeaf]
    na_rules: list[_NaRule]
    leaf_rules: list[list[int]]  # per leaf: the N/A rules targeting its lineage
    leaf_claims: list[list[str]]  # per leaf: the nodes of its lineage that may be claimed
    claimable: frozenset[str]
    nodes: list[str]  # leaves first (program order), then the others children first
    kids: dict[int, np.ndarray]  # internal node index → its children's indices
    caps: dict[int, int]  # internal node index → its max in units (sum_capped only)
    max_units: np.ndarray  # per node: max_points in units
    roots: np.ndarray
    exact: _Compiled = field(repr=False)

    @classmethod
    def build(cls, program: Program) -> VectorProgram:
        m = program.methodology
        places = m.manifest.rounding_places if m.manifest else 2
        scale = (
            m.manifest.scale if m.manifest else sum((n.max_points for n in m.roots()), Decimal(0))
        )
        policy = m.manifest.not_applicable_policy if m.manifest else "exclude_and_normalize"
        facts = dict(m.manifest.facts) if m.manifest else {}
        strings: list[str] = []
        for spec in [*program.inputs.values(), *facts.values()]:
            for choice in spec.choices:
                if choice not in strings:
                    strings.append(choice)
        for leaf in program.leaves:
            for expr in _expressions(leaf):
                for node in _walk(expr.ast):
                    if type(node).__name__ == "String" and node.value not in strings:
                        strings.append(node.value)
        for rule in program.na_rules:
            for node in _walk(rule.condition.ast):
                if type(node).__name__ == "String" and node.value not in strings:
                    strings.append(node.value)
        codes = {s: i for i, s in enumerate(strings)}
        fact_types = {k: s.value_type for k, s in facts.items()}
        leaves = []
        for i, leaf in enumerate(program.leaves):
            types = {**fact_types, **{k: s.value_type for k, s in leaf.node.inputs.items()}}
            leaves.append(compile_leaf(leaf, i, types, frozenset(facts), codes, places))
        na_rules = []
        for rule in program.na_rules:
            names = tuple(sorted(rule.condition.names))
            entry = _NaRule(rule, names, never=any(n not in facts for n in names))
            if not entry.never:
                try:
                    keys = {n: "f:" + n for n in names}
                    fn, typ = compile_node(rule.condition.ast, fact_types, codes, keys)
                    entry.fn = fn if typ is Type.BOOL else None
                except Unsupported:
                    entry.fn = None
            na_rules.append(entry)
        claimable = frozenset(
            node.id for node in m.walk() if node.applicability.allow_not_applicable
        )
        leaf_rules = [
            [j for j, r in enumerate(program.na_rules) if not r.targets.isdisjoint(leaf.lineage)]
            for leaf in program.leaves
        ]
        leaf_claims = [[n for n in leaf.lineage if n in claimable] for leaf in program.leaves]
        # node order: leaves (as the program lists them), then the others children first
        nodes = [leaf.id for leaf in program.leaves]
        position = {node_id: i for i, node_id in enumerate(nodes)}
        kids_ids: dict[str, list[str]] = {}

        def visit(node) -> None:
            children = m.children_of(node.id)
            for c in children:
                visit(c)
            if children:
                kids_ids[node.id] = [c.id for c in children]
                position[node.id] = len(nodes)
                nodes.append(node.id)

        for root in m.roots():
            visit(root)
        digits = max([places, *(decimal_places(m.nodes[n].max_points) for n in nodes)])
        unit = Decimal(10) ** digits
        max_units = np.array([int(m.nodes[n].max_points * unit) for n in nodes], dtype=np.int64)
        kids = {position[p]: _indexer([position[c] for c in cs]) for p, cs in kids_ids.items()}
        caps = {
            position[p]: int(max_units[position[p]])
            for p in kids_ids
            if m.nodes[p].aggregation == "sum_capped"
        }
        roots = np.array([position[r.id] for r in m.roots()])
        return cls(
            program=program,
            places=places,
            digits=digits,
            scale=scale,
            policy=policy,
            codes=codes,
            strings=strings,
            facts=facts,
            leaves=leaves,
            na_rules=na_rules,
            leaf_rules=leaf_rules,
            leaf_claims=leaf_claims,
            claimable=claimable,
            nodes=nodes,
            kids=kids,
            caps=caps,
            max_units=max_units,
            roots=roots,
            exact=_Compiled(program),
        )

    def modes(self) -> list[dict[str, Any]]:
        """Per leaf: its kind and how it is scored ("int", "float" or "exact", and why)."""
        return [describe(v) for v in self.leaves]


def _indexer(positions: list[int]):
    """A slice when the positions are consecutive (a view, no copy), else an array."""
    if positions == list(range(positions[0], positions[0] + len(positions))):
        return slice(positions[0], positions[0] + len(positions))
    return np.array(positions)


def _expressions(leaf):
    node = leaf.node
    out = [c for _, c in leaf.conditions if c is not None]
    out += [c for _, c in leaf.adjustments]
    rule = node.scoring
    for attr in ("numerator", "denominator", "of", "expression"):
        if hasattr(rule, attr):
            out.append(getattr(rule, attr))
    for name in ("bonus", "penalty"):
        adjustment = getattr(node, name)
        if adjustment is not None:
            out += [r.per for r in adjustment.rules if r.per is not None]
    return out


def _walk(tree):
    return ast.walk(tree)


# -- the inputs of a run ---------------------------------------------------------------


@dataclass(kw_only=True)
class _Inputs:
    """Everything a run reads, as columns over n rows."""

    n: int
    units: list[str]
    values: dict[str, Col]  # appraised values (the ones scored)
    self_values: dict[str, Col]  # self-assessed values where they differ (self_rows)
    self_rows: np.ndarray  # rows whose self-assessed values differ from the appraised
    facts: dict[str, Col]
    claims: dict[str, np.ndarray]  # claimable node id → rows claiming it
    survey: dict[str, Col]
    manual: dict[str, Col]
    problems: np.ndarray  # rows with a problem found while preparing
    source: _Source


class _Source:
    """Each row as a `Submission`, for the exact path and for `Batch.results()`."""

    def __init__(self, program: Program) -> None:
        self.program = program
        m = program.methodology
        self.fact_specs = dict(m.manifest.facts) if m.manifest else {}
        self._facts: dict[int, dict[str, Any]] = {}

    def submission(self, row: int) -> Submission:  # pragma: no cover - abstract
        raise NotImplementedError

    def facts(self, row: int) -> dict[str, Any]:
        """The row's clean facts, as `scoring._prepare` keeps them."""
        found = self._facts.get(row)
        if found is None:
            specs = self.fact_specs
            found = {}
            for fact_id, raw in self.submission(row).facts.items():
                spec = specs.get(fact_id)
                if spec is not None:
                    value, error = clean_value(spec, raw)
                    if not error:
                        found[fact_id] = value
            self._facts[row] = found
        return found

    def env(self, row: int, appraised: bool, inputs: Iterable[str]) -> dict[str, Any]:
        """The clean values the exact closures read for a leaf with these ``inputs``:
        the facts, then the inputs (appraised or self-assessed) that are clean."""
        s = self.submission(row)
        env = dict(self.facts(row))
        for key in inputs:
            raw = s.values.get(key, MISSING)
            if appraised:
                adjustment = s.appraisal.get(key)
                if adjustment is not None and adjustment.value is not None:
                    raw = adjustment.value
            if raw is not MISSING:
                value, error = clean_value(self.program.inputs[key], raw)
                if not error:
                    env[key] = value
                else:
                    env.pop(key, None)
        return env


class _Ctx(Ctx):
    def __init__(self, n: int, values: Mapping[str, Col], facts: Mapping[str, Col]) -> None:
        self.n = n
        self.values = values
        self.facts = facts
        self._cache: dict[str, tuple[Any, Any, Any]] = {}

    def column(self, key: str):
        found = self._cache.get(key)
        if found is None:
            table = self.values if key[0] == "v" else self.facts
            col = table[key[2:]]
            found = self._cache[key] = (col.val, col.available(), col.odd)
        return found


# -- scoring ---------------------------------------------------------------------------


def score_columns(
    vprog: VectorProgram,
    columns: Mapping[str, Any],
    *,
    facts: Mapping[str, Any] | None = None,
    claims: Mapping[str, Any] | None = None,
    survey: Mapping[str, Any] | None = None,
    manual: Mapping[str, Any] | None = None,
    units: Sequence[str],
) -> Batch:
    """Score a cohort given as columns: one array per input id (floats for numbers —
    NaN for none —, bools, strings or objects for enums — None for none —, dates or
    datetime64[D]; a masked array's masked rows are missing), ``facts`` likewise,
    ``claims`` a bool array per node claimed not applicable, ``survey`` the imported
    survey score and ``manual`` the appraisal council's points per leaf (NaN: none).

    Row ``i`` is scored as the submission whose values are the columns' row ``i`` (a
    float ``x`` meaning ``Decimal(str(x))``, as in a JSON submission); there is no
    separate self-assessment, so the self-assessed totals equal the totals.
    Unknown column names raise KeyError."""
    program = vprog.program
    n = len(units)
    raws: dict[str, list[Any]] = {}
    values: dict[str, Col] = {}
    for key, array in columns.items():
        spec = program.inputs.get(key)
        if spec is None:
            hint = did_you_mean(key, list(program.inputs))
            raise KeyError(f"unknown input '{key}'" + (f" ({hint})" if hint else ""))
        values[key], raws[key] = clean_array(spec, array, vprog.codes)
        if len(values[key].val) != n:
            raise ValueError(f"column '{key}' has {len(values[key].val)} rows, not {n}")
    for key, spec in program.inputs.items():
        if key not in values:
            values[key] = empty(spec.value_type, n)
    fact_cols: dict[str, Col] = {}
    fact_raws: dict[str, list[Any]] = {}
    for key, array in (facts or {}).items():
        spec = vprog.facts.get(key)
        if spec is None:
            raise KeyError(f"unknown fact '{key}'")
        fact_cols[key], fact_raws[key] = clean_array(spec, array, vprog.codes)
    for key, spec in vprog.facts.items():
        if key not in fact_cols:
            fact_cols[key] = empty(spec.value_type, n)
    problems = np.zeros(n, bool)
    for col in [*values.values(), *fact_cols.values()]:
        if col.invalid is not None:
            problems |= col.invalid
    claim_cols: dict[str, np.ndarray] = {}
    claimed: dict[str, np.ndarray] = {}
    for node_id, array in (claims or {}).items():
        rows = np.asarray(array, dtype=bool)
        claimed[node_id] = rows
        if node_id in vprog.claimable:
            claim_cols[node_id] = rows
        else:
            problems |= rows  # unknown node, or one that does not allow a claim
    survey_cols, survey_raws = _number_columns(vprog, survey or {}, "survey", n)
    manual_cols, manual_raws = _number_columns(vprog, manual or {}, "manual", n)
    source = _ColumnSource(program, units, raws, fact_raws, claimed, survey_raws, manual_raws)
    inputs = _Inputs(
        n=n,
        units=list(units),
        values=values,
        self_values={},
        self_rows=np.zeros(0, np.int64),
        facts=fact_cols,
        claims=claim_cols,
        survey=survey_cols,
        manual=manual_cols,
        problems=problems,
        source=source,
    )
    return _run(vprog, inputs)


def _number_columns(vprog: VectorProgram, data: Mapping[str, Any], kind: str, n: int):
    spec = POINTS
    cols: dict[str, Col] = {}
    raws: dict[str, list[Any]] = {}
    for leaf_id, array in data.items():
        cols[leaf_id], raws[leaf_id] = clean_array(spec, array, vprog.codes)
    return cols, raws


class _ColumnSource(_Source):
    def __init__(self, program, units, raws, fact_raws, claimed, survey_raws, manual_raws):
        super().__init__(program)
        self.units = units
        self.raws = raws
        self.fact_raws = fact_raws
        self.claimed = claimed
        self.survey_raws = survey_raws
        self.manual_raws = manual_raws

    def submission(self, row: int) -> Submission:
        def pick(table):
            got = {k: get(row) for k, get in table.items()}
            return {k: v for k, v in got.items() if v is not MISSING}

        survey = {k: Decimal(str(v)) for k, v in pick(self.survey_raws).items()}
        appraisal = {
            k: Adjustment(points=Decimal(str(v))) for k, v in pick(self.manual_raws).items()
        }
        return Submission(
            unit=str(self.units[row]),
            period="",
            values=pick(self.raws),
            facts=pick(self.fact_raws),
            not_applicable={k: "" for k, rows in self.claimed.items() if rows[row]},
            survey=survey,
            appraisal=appraisal,
        )


def score_cohort(
    vprog: VectorProgram,
    submissions: Sequence[Submission | Mapping[str, Any]],
    engine: Engine | None = None,
) -> Batch:
    """Score `Submission` objects or submission dicts (dicts are checked as
    `parse_submission` checks them, raising `SubmissionError` the same way).

    With an ``engine`` (a `DurableEngine`, say), that engine decides every leaf of every
    unit — N/A rules, tiers, booleans, bonus and penalty rules — instead of the NumPy
    closures; values are cleaned and points worked out from its decisions as
    `score_many` does, and the aggregation and the N/A policy stay vectorised. The
    batch is the same either way; the engine only decides who decides."""
    if engine is not None:
        return _decided_batch(vprog, submissions, engine)
    try:
        inputs = _gather(vprog, submissions)
    except _Reparse:
        inputs = _gather(vprog, [_parsed(s) for s in submissions])
    return _run(vprog, inputs)


def _decided_batch(vprog: VectorProgram, items: Sequence[Any], engine: Engine) -> Batch:
    """`score_cohort` with ``engine`` deciding the leaves, while the caller turns the
    decisions of each chunk of units into status and points columns.

    Units whose inputs are all clean numbers, with nothing else to weigh (no claim, no
    appraisal, no fact an N/A rule reads), go to an engine that can take them straight
    from the cleaned columns (`DurableEngine.columnar_cases`) without a `Submission`
    each; the others are prepared one by one, as `score_many` prepares them."""
    program = vprog.program
    plan = _plan(program)
    n, count = len(items), len(plan.leaves)
    status = np.zeros((count, n), np.int8)
    points = np.zeros((count, n), np.int64)
    own_passes: dict[int, tuple[list[int], list[int]]] = {}  # self-assessments that differ
    complete = np.ones(n, bool)
    inputs, fast, cases = _columnar(vprog, items, engine)
    if inputs is not None:
        source: _Source = inputs.source
    else:
        parsed = {i: s for i, s in enumerate(items) if isinstance(s, Submission)}
        source = _CohortSource(program, items, parsed)
    leaves = plan.leaves  # in the program's order, as ``vprog.leaves``
    if fast:
        no_readiness: dict[str, tuple[str, str]] = {}
        # Only an engine with `columnar_cases` (the durable one) gives fast rows, and it
        # streams; `Engine` has neither method.
        answers = engine.decide_stream(program, _slices(cases, CHUNK))  # type: ignore[attr-defined]
        at = 0
        for decisions in answers:
            for got in decisions:
                row = fast[at]
                at += 1
                prepared = _Lazy(plan, source, row)
                codes, column, bad = _leaf_column(
                    plan, leaves, prepared, got, no_readiness, True, {}
                )
                status[:, row] = codes
                points[:, row] = column
                complete[row] = not bad
    taken = set(fast)
    slow = [row for row in range(n) if row not in taken]
    subs = [source.submission(row) for row in slow]
    position = iter(slow)
    for prepared_chunk, slots, decisions in _decided(plan, subs, engine):
        for p, (own, final) in zip(prepared_chunk, slots, strict=True):
            row = next(position)
            envs: dict[bool, dict[str, Any]] = {}
            ready = p.appraised_ready
            codes, column, bad = _leaf_column(
                plan, leaves, lambda p=p: p, decisions[final], ready, True, envs
            )
            status[:, row] = codes
            points[:, row] = column
            complete[row] = not (bad or p.problems)
            if own != final:
                codes, column, _ = _leaf_column(
                    plan, leaves, lambda p=p: p, decisions[own], p.self_ready, False, envs
                )
                own_passes[row] = (codes, column)
    self_status, self_points = status, points
    if own_passes:
        self_status, self_points = status.copy(), points.copy()
        for r, (codes, column) in own_passes.items():
            self_status[:, r] = codes
            self_points[:, r] = column
    stats = {"exact_rows": 0, "decided_by": engine.name, "from_columns": len(fast)}
    units = inputs.units if inputs is not None else [s.unit for s in subs]
    return Batch(vprog, units, status, points, self_status, self_points, complete, source, stats)


def _slices(cases: list, size: int):
    return (cases[i : i + size] for i in range(0, len(cases), size))


class _Lazy:
    """A unit's `_Prepared`, made only when a decision needs more than its known score."""

    def __init__(self, plan, source: _Source, row: int) -> None:
        self.plan, self.source, self.row, self.found = plan, source, row, None

    def __call__(self):
        if self.found is None:
            self.found = self.plan.prepare(self.source.submission(self.row))
        return self.found


def _columnar(vprog: VectorProgram, items: Sequence[Any], engine: Engine):
    """(the cleaned columns, the rows the engine takes from them, their cases): the
    rows whose every input is a clean, exact number and that carry nothing else to
    weigh. No rows (and no columns, when they cannot be built) when the engine or the
    methodology cannot take them so."""
    columnar = getattr(engine, "columnar_cases", None)
    program = vprog.program
    if columnar is None or program.na_rules:
        return None, [], []
    try:
        inputs = _gather(vprog, items)
    except _Reparse:
        return None, [], []
    clean = ~inputs.problems
    if len(inputs.self_rows):
        clean[inputs.self_rows] = False
    for rows in inputs.claims.values():
        clean &= ~rows
    columns: dict[str, np.ndarray] = {}
    for key, col in inputs.values.items():
        if col.typ is not Type.NUMBER or col.val.dtype != np.float64:
            return inputs, [], []
        available = col.available()
        if available is not None:
            clean &= available
        if col.odd is not None:
            clean &= ~col.odd
        columns[key] = col.val
    fast = np.flatnonzero(clean)
    if not len(fast):
        return inputs, [], []
    cases = columnar(program, columns, fast)
    if cases is None:
        return inputs, [], []
    return inputs, fast.tolist(), cases


def _leaf_column(plan, leaves, prepared, decisions, ready, appraised: bool, envs):
    """One pass of one unit: every leaf's status code and points (units of
    10**-places, 0 unless scored), and whether a leaf is missing or invalid.
    ``prepared()`` gives the unit's `_Prepared` when a decision needs it."""
    codes: list[int] = []
    column: list[int] = []
    get, score_leaf, places = decisions.get, plan.leaf_score, plan.places
    bad = False
    for lp in leaves:
        decision = get(lp.id)
        ls = lp.known(decision, ready)
        if ls is None:
            ls = score_leaf(prepared(), lp, decision, ready, appraised, envs)
        code = _FROM_STATUS[ls.status]
        codes.append(code)
        if code == SCORED:
            units = ls.units
            if units is None:  # kept with the score: most scores are shared
                assert ls.points is not None
                units = ls.units = int(ls.points.scaleb(places))
            column.append(units)
        else:
            column.append(0)
            bad = bad or code != NA
    return codes, column, bad


def _parsed(item: Any) -> Submission:
    return item if isinstance(item, Submission) else parse_submission(item)


# -- building the columns from submissions ---------------------------------------------

_FAST_KEYS = frozenset(
    {
        "unit",
        "unit_name",
        "period",
        "methodology",
        "ref",
        "values",
        "synthetic",
        "seed",
        "evidence",
        "not_applicable",
    }
)


class _CohortSource(_Source):
    def __init__(self, program: Program, items: Sequence[Any], parsed: dict[int, Submission]):
        super().__init__(program)
        self.items = items
        self.parsed = parsed

    def submission(self, row: int) -> Submission:
        found = self.parsed.get(row)
        if found is None:
            found = self.parsed[row] = parse_submission(self.items[row])
        return found


def _gather(vprog: VectorProgram, items: Sequence[Any]) -> _Inputs:
    program = vprog.program
    m = program.methodology
    n = len(items)
    input_keys = frozenset(program.inputs)
    parsed: dict[int, Submission] = {}
    value_maps: list[Mapping[str, Any]] = []
    units: list[str] = []
    rich: list[int] = []  # rows with facts, claims, appraisal or survey
    problems = np.zeros(n, bool)
    fast_rows: list[int] = []  # plain dicts: unit, period, values, claims, evidence
    fast_claims: list[tuple[int, dict[str, Any]]] = []
    for i, item in enumerate(items):
        if type(item) is dict and _fast(item):
            given = item.get("values")
            value_maps.append({} if given is None else given)
            claimed_here = item.get("not_applicable")
            if claimed_here:
                fast_claims.append((i, claimed_here))
            unit = item["unit"]
            units.append(str(unicodedata.normalize("NFC", unit) if isinstance(unit, str) else unit))
            fast_rows.append(i)
            continue
        s = item if isinstance(item, Submission) else parse_submission(item)
        value_maps.append(s.values)
        units.append(s.unit)
        parsed[i] = s
        if s.facts or s.not_applicable or s.appraisal or s.survey:
            rich.append(i)
    # values: one itemgetter call per row for each group of inputs, then the columns
    keys = list(program.inputs)
    values: dict[str, Col] = {}
    plain = [
        k
        for k in keys
        if program.inputs[k].value_type is Type.NUMBER and plain_bounds(program.inputs[k])
    ]
    others = [k for k in keys if k not in set(plain)]
    found = np.zeros(n, np.int64)  # per row: how many inputs it has
    for group, numbers in ((plain, True), (others, False)):
        if not group:
            continue
        gaps: list[tuple[int, int]] = []  # rows lacking some: how many (numbers only)
        rows = _rows(value_maps, group, found, gaps if numbers else None)
        kinds = set(map(type, itertools.chain.from_iterable(rows))) if rows else set()
        matrix = None
        if numbers and kinds <= {float, int}:
            try:
                matrix = np.array(rows, dtype=np.float64).reshape(n, len(group))
            except OverflowError:
                matrix = None
        elif gaps:  # values that are not plain numbers: cleaned one by one, gaps as such
            rows = [tuple(MISSING if x is _GAP else x for x in row) for row in rows]
        if matrix is not None:
            present = None
            if gaps:
                present = ~np.isnan(matrix)
                lacking = np.zeros(n, np.int64)
                at, absent = zip(*gaps, strict=True)
                lacking[list(at)] = absent
                # a row with a NaN submitted as a value: its gaps found by identity
                for i in np.flatnonzero((~present).sum(axis=1) != lacking).tolist():
                    present[i] = [x is not _GAP for x in rows[i]]
            for j, key in enumerate(group):
                column = _plain_column(
                    program.inputs[key],
                    matrix[:, j],
                    int in kinds,
                    None if present is None or present[:, j].all() else present[:, j].copy(),
                )
                if column.odd is not None:
                    # a big int's double may round across a bound (10**101 - 1 onto 1e101)
                    for i in np.flatnonzero(column.odd).tolist():
                        column.set(i, clean_one(program.inputs[key], rows[i][j], vprog.codes))
                values[key] = column
        else:
            columns = list(zip(*rows, strict=True)) if rows else [() for _ in group]
            for key, raws in zip(group, columns, strict=True):
                values[key] = clean_raws(program.inputs[key], raws, vprog.codes)
    for key in keys:
        if values[key].invalid is not None:
            problems |= values[key].invalid
    # a row with more values than inputs found has an unknown input
    for i in np.flatnonzero(np.fromiter(map(len, value_maps), np.int64, n) != found).tolist():
        if i in parsed:
            problems[i] = True
        else:  # a plain dict: let parse_submission normalise its keys, then look again
            s = parsed[i] = parse_submission(items[i])
            if not s.values.keys() <= input_keys:
                problems[i] = True
            if s.values.keys() != value_maps[i].keys():  # pragma: no cover - NFC-equal keys
                raise _Reparse()
    facts: dict[str, Col] = {}
    fact_raws: dict[str, list[Any]] = {k: [MISSING] * n for k in vprog.facts}
    claims: dict[str, np.ndarray] = {}
    survey: dict[str, list[Any]] = {}
    manual: dict[str, list[Any]] = {}
    overrides: dict[str, list[tuple[int, Any]]] = {}
    self_rows = []
    # the leaves whose kind reads a number submitted per criterion, and its table
    tables = {"survey": survey, "appraisal": manual}
    sourced = [
        (v.leaf.id, rule.source)
        for v in vprog.leaves
        if (rule := v.leaf.node.scoring) is not None and rule.source is not None
    ]
    for i, claimed_here in fast_claims:
        if i in parsed:  # parsed after all (an unknown input): read below
            rich.append(i)
            continue
        for node_id in claimed_here:
            if node_id in vprog.claimable:
                claim_rows = claims.get(node_id)
                if claim_rows is None:
                    claim_rows = claims[node_id] = np.zeros(n, bool)
                claim_rows[i] = True
            else:
                problems[i] = True
    for i in rich:
        s = parsed[i]
        for key, raw in s.facts.items():
            if key in fact_raws:
                fact_raws[key][i] = raw
            else:
                problems[i] = True
        for node_id in s.not_applicable:
            if node_id in vprog.claimable:
                # a column is made on a node's first claim only (a default built for
                # every claim made the gathering quadratic in the cohort's size)
                claimed = claims.get(node_id)
                if claimed is None:
                    claimed = claims[node_id] = np.zeros(n, bool)
                claimed[i] = True
            else:
                problems[i] = True
        touched = False
        for key, adjustment in s.appraisal.items():
            if key in program.inputs and adjustment.value is not None:
                entry = clean_one(program.inputs[key], adjustment.value, vprog.codes)
                problems[i] |= entry[1]
                overrides.setdefault(key, []).append((i, entry))
                touched = True
            elif key not in m.nodes:
                problems[i] = True
        if touched:
            self_rows.append(i)
        for leaf_id, source in sourced:
            number = submitted(source, leaf_id, s)
            if number is not None:
                table = tables[source]
                leaf_scores = table.get(leaf_id)
                if leaf_scores is None:
                    leaf_scores = table[leaf_id] = [MISSING] * n
                leaf_scores[i] = number
    for key, spec in vprog.facts.items():
        facts[key] = clean_raws(spec, fact_raws[key], vprog.codes)
        if facts[key].invalid is not None:
            problems |= facts[key].invalid
    appraised = dict(values)
    for key, entries in overrides.items():
        col = appraised[key] = values[key].copy()
        for row, entry in entries:
            col.set(row, entry)
    return _Inputs(
        n=n,
        units=units,
        values=appraised,
        self_values=values,
        self_rows=np.array(self_rows, dtype=np.int64),
        facts=facts,
        claims=claims,
        survey={k: _decimal_col(v, vprog) for k, v in survey.items()},
        manual={k: _decimal_col(v, vprog) for k, v in manual.items()},
        problems=problems,
        source=_CohortSource(program, items, parsed),
    )


def _fast(item: dict) -> bool:
    """A dict with a unit, a period, values and at most claims (their node ids in ASCII)
    and evidence (which scores nothing): parse_submission would accept it and, but for
    value keys written in another Unicode form (checked later), change nothing the
    scoring reads."""
    if not item.keys() <= _FAST_KEYS or not item.get("unit") or item.get("period") in (None, ""):
        return False
    values = item.get("values")
    if values is not None and type(values) is not dict:
        return False
    evidence = item.get("evidence")
    if evidence is not None and type(evidence) is not dict:
        return False
    claims = item.get("not_applicable")
    if claims is None:
        return True
    if type(claims) is not dict:
        return False
    try:
        return "".join(claims).isascii()  # node ids as the methodology writes them
    except TypeError:  # a key that is not text
        return False


class _Reparse(Exception):
    """A plain dict's value keys changed under NFC: score the cohort the general way."""


# Where a number is absent: a NaN, so a row of numbers with gaps (criteria claimed "không
# phát sinh" leave their values out) still makes one float matrix; told from a submitted
# NaN (invalid) by identity, through the gaps `_rows` lists.
_GAP = float("nan")


class _GapFilled(dict):
    """A row's values, `_GAP` where one is absent (read by `operator.itemgetter`), and
    how many were."""

    __slots__ = ("absent",)
    absent: int

    def __missing__(self, key: str) -> Any:
        self.absent += 1
        return _GAP


class _MissingFilled(_GapFilled):
    """A row's values, `MISSING` where one is absent."""

    __slots__ = ()

    def __missing__(self, key: str) -> Any:
        self.absent += 1
        return MISSING


def _rows(
    value_maps: list[Mapping[str, Any]],
    keys: list[str],
    found: np.ndarray,
    gaps: list[tuple[int, int]] | None = None,
) -> list[tuple]:
    """Per row, the values of ``keys`` (`MISSING` where absent); counts them in ``found``.
    With ``gaps``, an absent value is `_GAP` instead, and each row lacking some is listed
    there with how many it lacks."""
    getter = operator.itemgetter(*keys)
    count = len(keys)
    single = count == 1
    filled = _MissingFilled if gaps is None else _GapFilled
    rows = []
    for i, v in enumerate(value_maps):
        if len(v) >= count:  # may hold them all
            try:
                got = getter(v)
            except KeyError:
                pass
            else:
                found[i] += count
                rows.append((got,) if single else got)
                continue
        # one C-level pass over a copy that fills and counts what is absent: a row
        # lacking values is most rows when claims are common
        row = filled(v)
        row.absent = 0
        got = getter(row)
        if single:
            got = (got,)
        absent = row.absent
        found[i] += count - absent
        if gaps is not None and absent:
            gaps.append((i, absent))
        rows.append(got)
    return rows


def _plain_column(spec, val: np.ndarray, ints: bool, present: np.ndarray | None = None) -> Col:
    val = np.ascontiguousarray(val)
    invalid = number_checks(spec, val)
    odd = np.abs(val) >= 2.0**53 if ints else None
    if present is not None:  # an absent value is neither invalid nor odd
        val = np.where(present, val, 0.0)
        invalid &= present
        if odd is not None:
            odd &= present
    return Col(
        Type.NUMBER,
        val,
        present,
        invalid if invalid.any() else None,
        odd if odd is not None and odd.any() else None,
    )


def _decimal_col(raws: list[Any], vprog: VectorProgram) -> Col:
    n = len(raws)
    val = np.zeros(n)
    present = np.zeros(n, bool)
    odd = np.zeros(n, bool)
    for i, d in enumerate(raws):
        if d is MISSING:
            continue
        present[i] = True
        val[i], _, odd[i] = encode(Type.NUMBER, d, vprog.codes)
    return Col(Type.NUMBER, val, present, None, odd if odd.any() else None)


# -- the run ---------------------------------------------------------------------------


def _run(vprog: VectorProgram, inputs: _Inputs) -> Batch:
    n = inputs.n
    L = len(vprog.leaves)
    source = inputs.source
    # N/A rules on facts, then claims
    fired = []
    rule_problem = np.zeros(n, bool)
    fact_ctx = _Ctx(n, {}, inputs.facts)
    for entry in vprog.na_rules:
        skip = np.zeros(n, bool)
        if entry.never:
            skip[:] = True
        for name in entry.names:
            col = inputs.facts.get(name)
            if col is not None:
                available = col.available()
                if available is not None:
                    skip |= ~available
        rule_problem |= skip
        hit = np.zeros(n, bool)
        if not skip.all():
            if entry.fn is not None:
                v = entry.fn(fact_ctx)
                ok = ~skip
                if v.fail is not None:
                    ok &= ~np.broadcast_to(v.fail, (n,))
                hit = ok & np.broadcast_to(np.asarray(v.val, bool), (n,))
                todo = np.flatnonzero(ok & v.unk) if v.unk is not None else ()
            else:
                todo = np.flatnonzero(~skip)
            if len(todo):
                test = next(t for r, t in vprog.exact.na if r.id == entry.rule.id)
                hit = hit.copy()
                for row in todo:
                    try:
                        hit[row] = bool(test(source.facts(int(row))))
                    except EvaluationError:
                        hit[row] = False
        fired.append(hit)
    leaf_na = np.zeros((L, n), bool)
    for li in range(L):
        for j in vprog.leaf_rules[li]:
            leaf_na[li] |= fired[j]
        for node_id in vprog.leaf_claims[li]:
            rows = inputs.claims.get(node_id)
            if rows is not None:
                leaf_na[li] |= rows
    # the appraised pass, then the self-assessed one where its values differ
    stats = {"exact_rows": 0}
    status, points = _pass(vprog, inputs, inputs.values, np.arange(n), leaf_na, True, stats)
    self_status, self_points = status, points
    if len(inputs.self_rows):
        rows = inputs.self_rows
        sub = {k: c.take(rows) for k, c in inputs.self_values.items()}
        sub_inputs = _Inputs(
            n=len(rows),
            units=[],
            values=sub,
            self_values={},
            self_rows=rows,
            facts={k: c.take(rows) for k, c in inputs.facts.items()},
            claims={k: c[rows] for k, c in inputs.claims.items()},
            survey={k: c.take(rows) for k, c in inputs.survey.items()},
            manual={k: c.take(rows) for k, c in inputs.manual.items()},
            problems=inputs.problems[rows],
            source=source,
        )
        s_status, s_points = _pass(vprog, sub_inputs, sub, rows, leaf_na[:, rows], False, stats)
        self_status, self_points = status.copy(), points.copy()
        self_status[:, rows] = s_status
        self_points[:, rows] = s_points
    failed = ((status == ST_MISSING) | (status == INVALID)).any(axis=0) if status.any() else False
    complete = ~(inputs.problems | rule_problem | failed)
    return Batch(
        vprog, inputs.units, status, points, self_status, self_points, complete, source, stats
    )


def _pass(
    vprog: VectorProgram,
    inputs: _Inputs,
    values: Mapping[str, Col],
    rows: np.ndarray,
    leaf_na: np.ndarray,
    appraised: bool,
    stats: dict[str, int],
) -> tuple[np.ndarray, np.ndarray]:
    """Every leaf's status and points (units of 10**-places) over the pass's rows;
    ``rows`` maps them to the cohort's rows (for the exact path)."""
    n = inputs.n
    L = len(vprog.leaves)
    ctx = _Ctx(n, values, inputs.facts)
    status = np.zeros((L, n), np.int8)
    points = np.zeros((L, n), np.int64)
    places = vprog.places
    arith = None
    for v in vprog.leaves:
        li = v.index
        if stackable(v, values):
            climb(v, values[v.key[2:]], leaf_na[li], status[li], points[li])
            continue
        node = v.leaf.node
        # readiness: an invalid input, then a missing one, survey score or points
        missing = invalid = base = None
        if v.leaf.kind == "missing":
            invalid = np.ones(n, bool)
        else:
            for key, spec in node.inputs.items():
                col = values[key]
                if col.invalid is not None:
                    invalid = col.invalid if invalid is None else invalid | col.invalid
                if spec.required and col.present is not None:
                    missing = ~col.present if missing is None else missing | ~col.present
            source = None if node.scoring is None else node.scoring.source
            if source is not None:
                table = inputs.survey if source == "survey" else inputs.manual
                scores = table.get(v.leaf.id)
                if scores is None:
                    missing = np.ones(n, bool)
                else:
                    if scores.present is not None:
                        missing = ~scores.present if missing is None else missing | ~scores.present
                    base = V(Type.NUMBER, scores.val, unk=scores.odd)
        ready = None
        if missing is not None or invalid is not None:
            ready = np.full(n, SCORED, np.int8)
            if missing is not None:
                ready[missing] = ST_MISSING
            if invalid is not None:
                ready[invalid] = INVALID
        na = leaf_na[li]
        any_na = na.any()
        todo = None
        if any_na or ready is not None:
            todo = ~na if ready is None else ~na & (ready == SCORED)
        if v.mode != "exact" and (todo is None or todo.any()):
            out = evaluate_leaf(v, ctx, places, base)
            st, pts = out.status, out.points
            inexact = out.inexact
            exact_rows = (
                ()
                if inexact is None
                else np.flatnonzero(inexact if todo is None else todo & inexact)
            )
        else:
            st = np.zeros(n, np.int8)
            pts = np.zeros(n, np.int64)
            exact_rows = np.flatnonzero(todo) if todo is not None else np.arange(n)
        if len(exact_rows):
            st = st.copy()
            pts = pts.copy()
            if arith is None:
                arith = _arithmetic(vprog.program)
            leaf, conds, adjs = vprog.exact.leaves[li]
            for r in exact_rows:
                row = int(rows[r])
                env = inputs.source.env(row, appraised, node.inputs)
                decision = _decide_leaf(leaf, conds, adjs, env)
                if decision.error:
                    st[r] = INVALID
                    continue
                sub = inputs.source.submission(row)
                ls = _points(leaf, decision, env, sub, arith, places)
                st[r] = _FROM_STATUS[ls.status]
                if ls.points is not None:
                    pts[r] = int(ls.points.scaleb(places))
            stats["exact_rows"] += len(exact_rows)
        if ready is not None:
            st = np.where(ready != SCORED, ready, st)
        if any_na:
            st = np.where(na, NA, st)
        status[li] = st
        points[li] = pts
    if status.any():  # else every leaf is scored
        points[status != SCORED] = 0
    return status, points


# -- the results -----------------------------------------------------------------------


@dataclass(frozen=True)
class NodeArrays:
    """A batch's final scores in integer units of ``10**-digits``.

    ``points[i, u]`` is node ``nodes[i]``'s points for unit ``u`` (0 where ``none``:
    not applicable, missing or invalid), ``applicable`` whether it applies, ``applicable_max``
    its applicable maximum; ``total``/``total_none``/``applicable_total`` are per unit.
    """

    nodes: list[str]
    digits: int
    points: np.ndarray
    none: np.ndarray
    applicable: np.ndarray
    applicable_max: np.ndarray
    total: np.ndarray
    total_none: np.ndarray
    applicable_total: np.ndarray


class Batch:
    """A cohort's scores. Per unit: ``total``, ``applicable_max``, ``index``,
    ``self_total``, ``self_index`` (Decimals or None, equal to score_many's),
    ``complete``; per node: `points` and `status`; `results()` for full trees."""

    def __init__(
        self, vprog, units, status, points, self_status, self_points, complete, source, stats
    ):
        self.vprog = vprog
        self.units = units
        self.complete = complete
        self.stats = stats
        self._source = source
        shift = 10 ** (vprog.digits - vprog.places)
        (self._pts, self._none, self._status, self._amax) = _aggregate(
            vprog, status, points if shift == 1 else points * shift, status
        )
        if self_status is status and self_points is points:
            self_pts, self_none = self._pts, self._none
        else:
            self_points = self_points if shift == 1 else self_points * shift
            self_pts, self_none, _, _ = _aggregate(vprog, self_status, self_points, status)
        roots = vprog.roots
        applicable = self._status[roots] != NA
        self._total = np.where(applicable, self._pts[roots], 0).sum(axis=0)
        self._total_none = (self._none[roots] & applicable).any(axis=0)
        self._self_total = np.where(applicable, self_pts[roots], 0).sum(axis=0)
        self._self_none = (self_none[roots] & applicable).any(axis=0)
        self._applicable_max = self._amax[roots].sum(axis=0)
        self._position = {node_id: i for i, node_id in enumerate(vprog.nodes)}
        self._decimals: dict[int, Decimal] = {}
        self._cache: dict[str, list] = {}

    def __len__(self) -> int:
        return len(self.units)

    def _dec(self, units: int) -> Decimal:
        found = self._decimals.get(units)
        if found is None:
            found = self._decimals[units] = Decimal(units).scaleb(-self.vprog.digits)
        return found

    def _decimal_list(self, values: np.ndarray, none: np.ndarray | None) -> list[Decimal | None]:
        dec = self._dec
        if none is None or not none.any():
            return [dec(x) for x in values.tolist()]
        return [None if z else dec(x) for x, z in zip(values.tolist(), none.tolist(), strict=True)]

    @property
    def total(self) -> list[Decimal | None]:
        if "total" not in self._cache:
            self._cache["total"] = self._decimal_list(self._total, self._total_none)
        return self._cache["total"]

    @property
    def applicable_max(self) -> list[Decimal]:
        if "amax" not in self._cache:
            self._cache["amax"] = self._decimal_list(self._applicable_max, None)
        return self._cache["amax"]

    @property
    def self_total(self) -> list[Decimal | None]:
        if "self_total" not in self._cache:
            self._cache["self_total"] = self._decimal_list(self._self_total, self._self_none)
        return self._cache["self_total"]

    def _indices(self, totals, none) -> list[Decimal | None]:
        vp = self.vprog
        memo: dict[tuple[int, int], Decimal | None] = {}
        out: list[Decimal | None] = []
        for t, z, a in zip(
            totals.tolist(), none.tolist(), self._applicable_max.tolist(), strict=True
        ):
            if z:
                out.append(None)
                continue
            key = (t, a)
            if key not in memo:
                memo[key] = _index(self._dec(t), self._dec(a), vp.scale, vp.policy, vp.places)
            out.append(memo[key])
        return out

    @property
    def index(self) -> list[Decimal | None]:
        if "index" not in self._cache:
            self._cache["index"] = self._indices(self._total, self._total_none)
        return self._cache["index"]

    @property
    def self_index(self) -> list[Decimal | None]:
        if "self_index" not in self._cache:
            self._cache["self_index"] = self._indices(self._self_total, self._self_none)
        return self._cache["self_index"]

    def points(self, node_id: str) -> list[Decimal | None]:
        """Every unit's points for a node (None: not applicable, missing or invalid)."""
        i = self._position[node_id]
        return self._decimal_list(self._pts[i], self._none[i])

    def status(self, node_id: str) -> list[str]:
        i = self._position[node_id]
        return [_STATUS[s] for s in self._status[i].tolist()]

    def arrays(self) -> NodeArrays:
        """The final (appraised) scores as integer arrays, one row per node of
        ``vprog.nodes`` and one column per unit, for batch analyses (audits,
        sensitivity) that must stay exact without building Decimals."""
        return NodeArrays(
            nodes=list(self.vprog.nodes),
            digits=self.vprog.digits,
            points=self._pts,
            none=self._none,
            applicable=self._status != NA,
            applicable_max=self._amax,
            total=self._total,
            total_none=self._total_none,
            applicable_total=self._applicable_max,
        )

    def node_points(self, row: int) -> dict[str, Decimal | None]:
        """One unit's points, node id → points."""
        return {
            node_id: None if self._none[i, row] else self._dec(int(self._pts[i, row]))
            for i, node_id in enumerate(self.vprog.nodes)
        }

    def results(self, rows: Sequence[int] | None = None) -> list[Result]:
        """Full result trees (both passes, problems, reasons) through `score_many`."""
        rows = range(len(self.units)) if rows is None else rows
        subs = [self._source.submission(i) for i in rows]
        return score_many(self.vprog.program, subs, CompiledEngine())


def _aggregate(vprog: VectorProgram, status, points, final_status):
    """Per node (leaves, then the others): points in units, None-mask, status, and
    applicable maximum; applicability always follows ``final_status`` (the appraised
    pass), as `scoring._assemble` does for the self-assessed points."""
    L, n = status.shape
    N = len(vprog.nodes)
    pts = np.zeros((N, n), np.int64)
    none = np.zeros((N, n), bool)
    st = np.zeros((N, n), np.int8)
    amax = np.zeros((N, n), np.int64)
    pts[:L] = points
    amax[:L] = vprog.max_units[:L, None]
    if not status.any() and not final_status.any():  # every leaf scored (SCORED is 0)
        for i in range(L, N):
            kids = vprog.kids[i]
            a = amax[kids].sum(axis=0)
            p = pts[kids].sum(axis=0)
            cap = vprog.caps.get(i)
            if cap is not None:
                a = np.minimum(a, cap)
                p = np.minimum(p, cap)
            pts[i] = p
            amax[i] = a
        return pts, none, st, amax
    if status is final_status:
        return _aggregate_one(vprog, status, pts, st, amax)
    none[:L] = status != SCORED
    st[:L] = final_status
    amax[:L][final_status == NA] = 0
    for i in range(L, N):
        kids = vprog.kids[i]
        ks = st[kids]
        applicable = ks != NA
        if applicable.all():
            some = np.ones(n, bool)
            a = amax[kids].sum(axis=0)
            p = pts[kids].sum(axis=0)  # not applicable and failed points are 0
            z = none[kids].any(axis=0)
        else:
            some = applicable.any(axis=0)
            a = np.where(applicable, amax[kids], 0).sum(axis=0)
            p = np.where(applicable, pts[kids], 0).sum(axis=0)
            z = (none[kids] & applicable).any(axis=0) | ~some
        cap = vprog.caps.get(i)
        if cap is not None:
            a = np.minimum(a, cap)
            p = np.minimum(p, cap)
        bad_invalid = (ks == INVALID).any(axis=0)
        bad_missing = (ks == ST_MISSING).any(axis=0)
        st[i] = np.where(
            ~some, NA, np.where(bad_invalid, INVALID, np.where(bad_missing, ST_MISSING, SCORED))
        )
        pts[i] = np.where(z, 0, p)
        none[i] = z
        amax[i] = a
    return pts, none, st, amax


def _aggregate_one(vprog: VectorProgram, status, pts, st, amax):
    """`_aggregate` when applicability follows the pass's own statuses. A node that is
    not applicable then has no points and no applicable maximum, so children sum as
    they are; and with SCORED < NA < MISSING < INVALID, a node is INVALID or MISSING
    as its worst child is, else not applicable when every child is, else scored:
    the children's highest status when it is a failure, else their lowest."""
    L = status.shape[0]
    st[:L] = status
    # multiplied by masks: a masked copy costs several times more per element
    pts[:L] *= status == SCORED
    amax[:L] *= status != NA
    for i in range(L, len(vprog.nodes)):
        kids = vprog.kids[i]
        ks = st[kids]
        worst = ks.max(axis=0)
        code = np.where(worst >= ST_MISSING, worst, ks.min(axis=0))
        a = amax[kids].sum(axis=0)
        p = pts[kids].sum(axis=0)
        cap = vprog.caps.get(i)
        if cap is not None:
            np.minimum(a, cap, out=a)
            np.minimum(p, cap, out=p)
        st[i] = code
        np.multiply(p, code == SCORED, out=p)
        pts[i] = p
        amax[i] = a
    return pts, st != SCORED, st, amax
