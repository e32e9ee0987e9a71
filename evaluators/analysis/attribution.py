"""The arithmetic behind audits and trends: mapping a submission onto another version,
and splitting a change of index into exact amounts per cause and node.

A version's total is the sum, over every node, of the node's *contribution*: a leaf
contributes its points, a parent contributes its points minus its children's (zero
unless a cap binds). The applicable maximum splits the same way. So the change of
total between two scorings is exactly the sum of the per-node changes of contribution,
node paired with node through lineage (`methodology.lineage`); the index formula of
the N/A policy then turns each node's change of points and of applicable maximum into
a change of index (for `exclude_and_normalize`, ΔI = s/M₂·ΔT − s·T₁/(M₁·M₂)·ΔM, which
is exact). Amounts are kept as fractions until the end, where they are apportioned to
a decimal quantum by largest remainders, so that they sum to the published delta
(difference of two rounded indices) to the last digit; the difference between that
delta and the exact one is reported as the cause ``rounding``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np

from evaluators.engines.vector.batch import Batch, NodeArrays, VectorProgram, score_cohort
from evaluators.program import Program
from evaluators.scoring.ranking import competition_ranks
from evaluators.submission import Submission
from methodology import (
    CAUSES,
    Methodology,
    MethodologyError,
    Spec,
    Versions,
    lineage,
    open_methodology,
)
from methodology import cause as known_cause
from methodology import diff as diff_versions

__all__ = [
    "SKIP_REASONS",
    "Entry",
    "Scored",
    "Side",
    "Skipped",
    "Terms",
    "VersionPair",
    "apportion",
    "entries",
    "find_unit",
    "index_exact",
    "ranks",
]

# Changes that are causes but never move points: every such node is listed at 0.
_LISTED = frozenset(c.id for c in CAUSES if not c.moves_points)

# What an audit or a trend can leave out because something does not match, with the
# heading reports give it. Each such step is listed (`Skipped`), never silent.
SKIP_REASONS = {
    "not_rescaled": "Điểm điều tra xã hội học, điểm thẩm định không được quy đổi",
    "points_dropped": "Điểm của tiêu chí không có trong phiên bản nào",
    "value_dropped": "Dữ liệu không thuộc phiên bản nào",
    "claim_dropped": "Khai báo “không phát sinh” không được áp dụng",
    "fill_missing": "Không có hồ sơ kỳ khác để bổ sung",
    "fill_unmatched": "Hồ sơ bổ sung không khớp đơn vị nào",
    "unmatched": "Đơn vị chỉ có hồ sơ ở một kỳ",
}


@dataclass(frozen=True)
class Skipped:
    """A step left out for one unit (or the whole run): why, where, and in words."""

    reason: str  # a key of SKIP_REASONS
    message: str
    unit: str | None = None
    node: str | None = None
    version: str | None = None  # "from" or "to": the scoring it concerns
    period: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "reason": self.reason,
            "unit": self.unit,
            "node": self.node,
            "version": self.version,
            "period": self.period,
            "message": self.message,
        }


def sort_notes(
    notes: Sequence[Mapping[str, Any]], *, unit: str, version: str, period: str | None = None
) -> tuple[list[dict[str, Any]], list[Skipped]]:
    """A projection's notes split into the unit's notes (what was done, tagged with the
    version) and what was skipped."""
    kept: list[dict[str, Any]] = []
    skipped: list[Skipped] = []
    for n in notes:
        if n["kind"] in SKIP_REASONS:
            skipped.append(Skipped(n["kind"], n["message"], unit, n.get("node"), version, period))
        else:
            kept.append({**n, "version": version})
    return kept, skipped


@dataclass(frozen=True)
class Entry:
    """One attributed amount: a cause (`methodology.CAUSES`) and, except for
    version-wide causes, a node."""

    cause: str
    node: str | None
    code: str | None
    title: str | None
    amount: Decimal  # rounded by `apportion` so that a version pair's amounts add up

    def __post_init__(self) -> None:
        known_cause(self.cause)  # a cause without words in the table is a mistake here

    def to_json(self) -> dict[str, Any]:
        amount = self.amount
        return {
            "cause": self.cause,
            "node": self.node,
            "code": self.code,
            "title": self.title,
            "amount": float(amount),
        }


@dataclass
class Side:
    """One version of a comparison, compiled once for the whole cohort."""

    program: Program
    vprog: VectorProgram
    methodology: Methodology
    position: dict[str, int]  # node id → row in the vectorised arrays
    leaves: frozenset[str]
    max_points: dict[str, Decimal]

    @classmethod
    def of(cls, program: Program) -> Side:
        # Compiled once per version and kept with the program (the server audits the
        # same versions again and again).
        vprog = program.cached("vector", VectorProgram.build)
        m = program.methodology
        return cls(
            program=program,
            vprog=vprog,
            methodology=m,
            position={node_id: i for i, node_id in enumerate(vprog.nodes)},
            leaves=frozenset(n.id for n in m.leaves()),
            max_points={n.id: n.max_points for n in m.walk()},
        )

    @property
    def places(self) -> int:
        return self.vprog.places

    @property
    def scale(self) -> Decimal:
        return self.vprog.scale

    @property
    def policy(self) -> str:
        return self.vprog.policy

    def describe(self) -> dict[str, Any]:
        m = self.methodology
        decision = (m.manifest.decision or {}) if m.manifest else {}
        label = decision.get("number") or m.ref or (m.commit or "")[:10]
        return {
            "methodology": m.name,
            "ref": m.ref,
            "commit": m.commit,
            "label": str(label),
            "policy": self.policy,
            "scale": float(self.scale),
        }

    def node_label(self, node_id: str) -> tuple[str, str]:
        node = self.methodology.nodes[node_id]
        return node.code, node.title


@dataclass
class Scored:
    """A cohort scored under one version: per-node contributions in integer units."""

    side: Side
    batch: Batch
    arrays: NodeArrays
    contrib: np.ndarray  # points contributions (nodes × units)
    contrib_max: np.ndarray  # applicable-maximum contributions
    applicable: np.ndarray  # bool, nodes × units

    @classmethod
    def of(cls, side: Side, submissions: Sequence[Submission]) -> Scored:
        batch = score_cohort(side.vprog, submissions)
        arrays = batch.arrays()
        points = np.where(arrays.none, 0, arrays.points)
        amax = arrays.applicable_max
        contrib = points.copy()
        contrib_max = amax.copy()
        for i, kids in side.vprog.kids.items():
            contrib[i] -= points[kids].sum(axis=0)
            contrib_max[i] -= amax[kids].sum(axis=0)
        return cls(side, batch, arrays, contrib, contrib_max, arrays.applicable)

    def unit(self) -> Fraction:
        return Fraction(1, 10**self.arrays.digits)

    def total(self, row: int) -> Fraction:
        return Fraction(int(self.arrays.total[row]), 10**self.arrays.digits)

    def applicable_max(self, row: int) -> Fraction:
        return Fraction(int(self.arrays.applicable_total[row]), 10**self.arrays.digits)


def index_exact(policy: str, scale: Decimal, total: Fraction, amax: Fraction) -> Fraction | None:
    """The unrounded index of a total under an N/A policy (as `scoring._index`)."""
    if policy == "exclude_and_normalize":
        return None if amax == 0 else total / amax * Fraction(scale)
    if policy == "count_as_full":
        return total + (Fraction(scale) - amax)
    return total


class VersionPair:
    """Two versions compared node by node: lineage, input mapping and the static
    changes (renamed, moved) that every unit lists with no effect.

    ``versions`` tells which of the two a submission was made for, however its ref is
    spelled (a tag, its short name, a commit, a date). Without it (no store at hand)
    only a submission naming a version exactly as it was opened is recognised; any
    other is carried without rescaling, and that is reported."""

    def __init__(self, a: Program, b: Program, versions: Versions | None = None) -> None:
        self.a = Side.of(a)
        self.b = Side.of(b)
        self.versions = versions
        self._origins: dict[tuple[str | None, str | None], Origin] = {}
        ma, mb = a.methodology, b.methodology
        self.b_to_a = {
            new: old
            for new, old in lineage(ma, mb).items()
            if (new in self.b.leaves) == (old in self.a.leaves)
        }
        self.a_to_b = {old: new for new, old in reversed(list(self.b_to_a.items()))}
        self.input_map = _input_map(ma, mb, self.b_to_a)
        changes = diff_versions(ma, mb, renames=False)
        self.listed = [(c.kind, c.id) for c in changes.changes if c.kind in _LISTED]
        self.changes = changes
        self._lcm: dict[int, int] = {}
        # Node pairs as index arrays, for one vectorised subtraction per cohort.
        pairs = [(self.b.position[n], self.a.position[o]) for n, o in self.b_to_a.items()]
        self.pair_b = np.array([p[0] for p in pairs], dtype=np.intp)
        self.pair_a = np.array([p[1] for p in pairs], dtype=np.intp)
        self.added = np.array(
            [self.b.position[n] for n in self.b.vprog.nodes if n not in self.b_to_a],
            dtype=np.intp,
        )
        paired_a = set(self.b_to_a.values())
        self.removed = np.array(
            [self.a.position[n] for n in self.a.vprog.nodes if n not in paired_a],
            dtype=np.intp,
        )

    # -- projecting a submission onto a version ---------------------------------------

    def project(self, sub: Submission, onto: str) -> tuple[Submission, list[dict[str, Any]]]:
        """``sub`` rewritten for version ``onto`` ("a" or "b") with its final values:
        inputs (the appraisal council's values replacing the unit's), claims, survey
        scores and council points carried through lineage. What cannot be carried is
        left out and returned as notes; evidence is left out (it scores nothing)."""
        side = self.a if onto == "a" else self.b
        node_map = self.b_to_a if onto == "a" else self.a_to_b
        inputs = side.program.inputs
        notes: list[dict[str, Any]] = []

        def key(k: str, known) -> str | None:
            if k in known:
                return k
            mapped = self.input_map.get(k)
            if mapped in known:
                return mapped
            mapped = node_map.get(k)
            return mapped if mapped in known else None

        values = {k: v for k, v in sub.values.items() if k in inputs}
        if len(values) != len(sub.values):
            for k, v in sub.values.items():
                target = None if k in inputs else key(k, inputs)
                if target is not None and target not in values:
                    values[target] = v
                elif target is None and k not in inputs and not self._known_input(k):
                    notes.append(_dropped("value_dropped", k, "dữ liệu", v, self))
        nodes = side.methodology.nodes
        claimable = side.vprog.claimable
        claims: dict[str, str] = {}
        for node_id, reason in sub.not_applicable.items():
            target = key(node_id, nodes)
            if target in claimable:
                claims[target] = reason
            else:
                notes.append(
                    {
                        "kind": "claim_dropped",
                        "node": node_id,
                        "message": f"khai báo “không phát sinh” ở '{node_id}' không được "
                        f"áp dụng: {_spelled(side.methodology)} không có tiêu chí tương ứng "
                        "cho phép khai báo này",
                    }
                )
        rescale = self._rescaler(sub, onto, node_map, notes)
        survey = {}
        for node_id, score in sub.survey.items():
            target = key(node_id, side.leaves)
            if target is not None:
                survey[target] = rescale(node_id, target, score)
            elif not self._known_node(node_id):
                notes.append(
                    _dropped("points_dropped", node_id, "điểm điều tra xã hội học", score, self)
                )
        appraisal = {}
        for k, adj in sub.appraisal.items():
            if adj.points is not None:
                target = key(k, nodes)
                if target is not None:
                    appraisal[target] = replace(adj, points=rescale(k, target, adj.points))
                elif not self._known_node(k):
                    notes.append(_dropped("points_dropped", k, "điểm thẩm định", adj.points, self))
            elif adj.value is not None:
                target = key(k, inputs)
                if target is not None:
                    values[target] = adj.value
        declared = side.methodology.manifest.facts if side.methodology.manifest else {}
        facts = {k: v for k, v in sub.facts.items() if k in declared}
        projected = replace(
            sub,
            methodology=side.methodology.name,
            ref=side.methodology.ref,
            values=values,
            not_applicable=claims,
            facts=facts,
            evidence={},
            appraisal=appraisal,
            survey=survey,
        )
        return projected, notes

    def origin(self, sub: Submission) -> Origin:
        """The version ``sub`` was made for: "a", "b", "other" (a third version, read
        from the store) or None (it cannot be told, and why)."""
        key = (sub.methodology, sub.ref)
        found = self._origins.get(key)
        if found is None:
            found = self._origins[key] = self._find_origin(sub.methodology, sub.ref)
        return found

    def _find_origin(self, methodology: str | None, ref: str | None) -> Origin:
        spelled = f"{methodology}@{ref}" if ref else str(methodology)
        if methodology is None:
            return Origin(None, "hồ sơ không ghi bộ chỉ số được lập theo")
        sides = (("a", self.a), ("b", self.b))
        if self.versions is None:
            for name, side in sides:
                m = side.methodology
                if methodology == m.name and ref in (m.ref, m.commit):
                    return Origin(name, spelled, side.max_points)
            return Origin(
                None, f"không xác định được phiên bản {spelled} khi không có kho bộ chỉ số"
            )
        try:
            wanted = self.versions.of(methodology, ref)
        except MethodologyError as exc:
            return Origin(None, f"không đọc được phiên bản {spelled} mà hồ sơ ghi: {exc}")
        for name, side in sides:
            try:
                if self.versions.identity(side.methodology) == wanted:
                    return Origin(name, spelled, side.max_points)
            except MethodologyError:
                continue
        # A third version: its points are out of its own maxima (node ids are never reused).
        m = open_methodology(self.versions.store, Spec(methodology, ref))
        return Origin("other", spelled, {n.id: n.max_points for n in m.walk()})

    def _known_node(self, node_id: str) -> bool:
        return node_id in self.a.methodology.nodes or node_id in self.b.methodology.nodes

    def _known_input(self, input_id: str) -> bool:
        return input_id in self.a.program.inputs or input_id in self.b.program.inputs

    def _rescaler(self, sub: Submission, onto: str, node_map, notes: list[dict[str, Any]]):
        """Survey scores and council points are points out of the node's maximum in the
        version the submission was made for; carried to a version where that maximum
        differs they are rescaled to it (rounded to the version's places), and noted.
        When that version cannot be told, they are carried as they are, and that is
        noted as skipped."""
        origin = self.origin(sub)
        if origin.side is None:
            has_points = bool(sub.survey) or any(
                a.points is not None for a in sub.appraisal.values()
            )
            if has_points:
                notes.append(
                    {
                        "kind": "not_rescaled",
                        "node": None,
                        "message": "điểm điều tra xã hội học và điểm thẩm định được giữ "
                        f"nguyên, không quy đổi theo điểm tối đa của {_spelled(self.a.methodology)}"
                        f" / {_spelled(self.b.methodology)}: {origin.why}",
                    }
                )
            return lambda _old, _new, points: points
        if origin.side == onto:
            return lambda _old, _new, points: points
        target = self.a if onto == "a" else self.b
        maxima = origin.max_points or {}

        def rescale(old: str, new: str, points: Decimal) -> Decimal:
            max_old = maxima.get(old)
            max_new = target.max_points.get(new)
            if not max_old or max_new is None or max_old == max_new:
                return points
            scaled = (points * max_new / max_old).quantize(Decimal(1).scaleb(-target.places))
            notes.append(
                {
                    "kind": "points_rescaled",
                    "node": new,
                    "message": f"{points} of {max_old} points on '{old}' ({origin.why}) carried as "
                    f"{scaled} of {max_new}",
                }
            )
            return scaled

        return rescale

    def fill(
        self,
        sub: Submission,
        donor: Submission | None,
        onto: str,
        notes: list[dict[str, Any]] | None = None,
    ) -> tuple[Submission, list[dict[str, Any]]]:
        """Inputs, facts and survey scores of version ``onto`` that ``sub`` lacks, taken
        from ``donor`` (the same unit's submission of another period), each listed.
        What projecting the donor skipped is added to ``notes``."""
        if donor is None:
            return sub, []
        donor, donor_notes = self.project(donor, onto)
        if notes is not None:
            notes += [
                {**n, "message": f"hồ sơ kỳ {donor.period} dùng để bổ sung: {n['message']}"}
                for n in donor_notes
                if n["kind"] in SKIP_REASONS
            ]
        filled: list[dict[str, Any]] = []

        def take(mine: Mapping[str, Any], theirs: Mapping[str, Any], skip=()) -> dict:
            merged = dict(mine)
            for k, v in theirs.items():
                if k not in merged and k not in skip:
                    merged[k] = v
                    filled.append({"input": k, "period": donor.period})
            return merged

        values = take(sub.values, donor.values)
        survey = take(sub.survey, donor.survey)
        # council points only: projected submissions carry the council's values as values
        points = {k: a for k, a in donor.appraisal.items() if a.points is not None}
        appraisal = take(sub.appraisal, points, skip=sub.not_applicable)
        facts = take(sub.facts, donor.facts)
        if not filled:
            return sub, []
        return replace(sub, values=values, survey=survey, appraisal=appraisal, facts=facts), filled

    # -- attribution --------------------------------------------------------------------

    def terms(
        self, sa: Scored, ra: int, sb: Scored, rb: int, *, same_version: bool = False
    ) -> Terms:
        """Per node, the change of points and of applicable maximum from row ``ra`` of
        ``sa`` to row ``rb`` of ``sb``, with its cause, as integers over one denominator."""
        digits = max(sa.arrays.digits, sb.arrays.digits)
        fa, fb = 10 ** (digits - sa.arrays.digits), 10 ** (digits - sb.arrays.digits)
        out: list[tuple[str, str | None, int, int]] = []
        if same_version:
            side = sa.side
            d_t = sb.contrib[:, rb] * fb - sa.contrib[:, ra] * fa
            d_m = sb.contrib_max[:, rb] * fb - sa.contrib_max[:, ra] * fa
            for i in np.flatnonzero((d_t != 0) | (d_m != 0)).tolist():
                out.append(("performance", side.vprog.nodes[i], int(d_t[i]), int(d_m[i])))
            return Terms(out, digits, 1)
        b_nodes, a_nodes = self.b.vprog.nodes, self.a.vprog.nodes
        ct_b = sb.contrib[self.pair_b, rb] * fb
        cm_b = sb.contrib_max[self.pair_b, rb] * fb
        ct_a = sa.contrib[self.pair_a, ra] * fa
        cm_a = sa.contrib_max[self.pair_a, ra] * fa
        app_b, app_a = sb.applicable[self.pair_b, rb], sa.applicable[self.pair_a, ra]
        # Re-weighting a leaf by max_b/max_a divides by max_a: one common multiple of
        # those maxima keeps every amount an integer.
        lcm = self.reweight_lcm(digits)
        for k in np.flatnonzero((ct_b != ct_a) | (cm_b != cm_a)).tolist():
            nb, na = b_nodes[self.pair_b[k]], a_nodes[self.pair_a[k]]
            d_t = (int(ct_b[k]) - int(ct_a[k])) * lcm
            d_m = (int(cm_b[k]) - int(cm_a[k])) * lcm
            if nb not in self.b.leaves:
                out.append(("aggregation", nb, d_t, d_m))
            elif bool(app_b[k]) != bool(app_a[k]):
                out.append(("applicability_changed", nb, d_t, d_m))
            else:
                max_a, max_b = self.a.max_points[na], self.b.max_points[nb]
                if max_a != max_b and max_a != 0:
                    unit_a = int(max_a.scaleb(digits))
                    reweight = int(ct_a[k]) * (int(max_b.scaleb(digits)) - unit_a) * (lcm // unit_a)
                    out.append(("reweighted", nb, reweight, d_m))
                    d_t -= reweight
                    d_m = 0
                if d_t or d_m:
                    out.append(("rule_changed", nb, d_t, d_m))
        for i in self.added.tolist():
            t, m = int(sb.contrib[i, rb]) * fb, int(sb.contrib_max[i, rb]) * fb
            if t or m:
                out.append(("added", b_nodes[i], t * lcm, m * lcm))
        for i in self.removed.tolist():
            t, m = int(sa.contrib[i, ra]) * fa, int(sa.contrib_max[i, ra]) * fa
            if t or m:
                out.append(("removed", a_nodes[i], -t * lcm, -m * lcm))
        return Terms(out, digits, lcm)

    def reweight_lcm(self, digits: int) -> int:
        """The least common multiple of the old maxima (in units of 10**-digits) of the
        paired leaves whose maximum changed."""
        found = self._lcm.get(digits)
        if found is None:
            found = 1
            for new, old in self.b_to_a.items():
                max_a, max_b = self.a.max_points[old], self.b.max_points[new]
                if new in self.b.leaves and max_a != max_b and max_a != 0:
                    found = math.lcm(found, int(max_a.scaleb(digits)))
            self._lcm[digits] = found
        return found

    def not_ranked(self, extra: Sequence[str] = ()) -> set[str]:
        """Units that take no place: the manifests' ``not_ranked`` plus ``extra``."""
        skip = set(extra)
        for side in (self.a, self.b):
            if side.methodology.manifest is not None:
                skip.update(side.methodology.manifest.not_ranked)
        return skip

    def label(self, cause: str, node: str | None) -> tuple[str | None, str | None]:
        if node is None:
            return None, None
        if cause in ("removed", "performance"):
            return self.a.node_label(node)
        side = self.b if node in self.b.methodology.nodes else self.a
        return side.node_label(node)


@dataclass(frozen=True)
class Origin:
    """Which version a submission was made for (`VersionPair.origin`)."""

    side: str | None  # "a", "b", "other", or None: not known
    why: str  # the version as the submission spells it, or why it is not known
    max_points: Mapping[str, Decimal] | None = None  # that version's maxima, by node id


@dataclass
class Terms:
    """Changes per node, (cause, node, ΔT, ΔM), in units of 10**-digits / lcm."""

    items: list[tuple[str, str | None, int, int]]
    digits: int
    lcm: int


def to_index(
    terms: Terms,
    *,
    policy: str,
    scale: Decimal,
    total_a: Fraction,
    amax_a: Fraction,
    amax_b: Fraction,
) -> tuple[list[tuple[str, str | None, int]], int]:
    """Turn per-node changes of points and maximum into changes of index under one
    policy: (cause, node, numerator) over one returned denominator; the numerators sum
    to exactly (index(T_b, M_b) − index(T_a, M_a)) × denominator."""
    s = Fraction(scale)
    per_unit = 10**terms.digits
    out: list[tuple[str, str | None, int]] = []
    if policy == "exclude_and_normalize":
        # s·(ΔT·M_a − T_a·ΔM) / (M_a·M_b), with T and M counted in units
        t_a = int(total_a * per_unit)
        m_a, m_b = int(amax_a * per_unit), int(amax_b * per_unit)
        den = m_a * m_b * terms.lcm * s.denominator
        for cause, node, d_t, d_m in terms.items:
            num = (d_t * m_a - t_a * d_m) * s.numerator
            if num:
                out.append((cause, node, num))
        return out, den
    den = per_unit * terms.lcm
    for cause, node, d_t, d_m in terms.items:
        num = d_t - d_m if policy == "count_as_full" else d_t
        if num:
            out.append((cause, node, num))
    return out, den


def apportion(
    numerators: list[int], denominator: int, total: Decimal, places: int
) -> list[Decimal]:
    """Round the amounts ``numerators[i] / denominator`` (which sum to ``total``
    exactly) to ``places`` decimals so that the rounded amounts still sum to ``total``:
    floors, then the largest remainders get one quantum each (earlier entries first
    on ties)."""
    scale = 10**places
    floors, remainders = [], []
    for num in numerators:
        f, r = divmod(num * scale, denominator)
        floors.append(f)
        remainders.append(r)
    short = int(total.scaleb(places)) - sum(floors)
    if short:
        order = sorted(range(len(floors)), key=lambda i: -remainders[i])
        for i in order[:short]:
            floors[i] += 1
    return [Decimal(f).scaleb(-places) for f in floors]


def _input_map(a: Methodology, b: Methodology, b_to_a: Mapping[str, str]) -> dict[str, str]:
    """Input ids renamed between paired leaves, both ways: the i-th input of the old
    leaf is the i-th input of the new one when the two declare inputs of the same
    types in the same order."""
    out: dict[str, str] = {}
    for new_id, old_id in b_to_a.items():
        new, old = b.nodes[new_id], a.nodes[old_id]
        if list(new.inputs) == list(old.inputs) or len(new.inputs) != len(old.inputs):
            continue
        pairs = list(zip(old.inputs.items(), new.inputs.items(), strict=True))
        if all(o.type == n.type for (_, o), (_, n) in pairs):
            for (ok, _), (nk, _) in pairs:
                if ok != nk and ok not in b.nodes and nk not in a.nodes:
                    out.setdefault(ok, nk)
                    out.setdefault(nk, ok)
    return out


def entries(
    pair: VersionPair,
    raw: list[tuple[str, str | None, int]],
    den: int,
    extra: list[tuple[str, str | None, Fraction]],
    delta: Decimal,
    places: int,
    *,
    listed: bool = True,
) -> list[Entry]:
    """Attributed amounts, merged per (cause, node), rounded to ``places`` decimals so
    that they sum to ``delta``, in report order; renamed and moved nodes listed at 0."""
    common = den
    for _, _, share in extra:
        common = math.lcm(common, share.denominator)
    factor, den = common // den, common
    merged: dict[tuple[str, str | None], int] = {}
    for cause, node, num in raw:
        merged[(cause, node)] = merged.get((cause, node), 0) + num * factor
    for cause, node, share in extra:
        num = share.numerator * (den // share.denominator)
        merged[(cause, node)] = merged.get((cause, node), 0) + num
    keys = [k for k, v in merged.items() if v]
    amounts = apportion([merged[k] for k in keys], den, delta, places)
    out = []
    for (cause, node), amount in zip(keys, amounts, strict=True):
        code, title = pair.label(cause, node)
        out.append(Entry(cause, node, code, title, amount))
    if listed:
        for cause, node in pair.listed:
            code, title = pair.label(cause, node)
            out.append(Entry(cause, node, code, title, Decimal(0)))
    order = {c.id: i for i, c in enumerate(CAUSES)}
    out.sort(key=lambda e: (order.get(e.cause, len(order)), -abs(e.amount), e.code or ""))
    return out


def ranks(scored: Scored, subs: Sequence[Submission], skip: set[str]) -> dict[str, int]:
    """Competition ranks by index of the complete, ranked rows of ``scored``."""
    return competition_ranks(
        {
            s.unit: index
            for row, s in enumerate(subs)
            if scored.batch.complete[row]
            and s.unit not in skip
            and (index := scored.batch.index[row]) is not None
        }
    )


def _spelled(m: Methodology) -> str:
    return f"{m.name}@{m.ref or (m.commit or '')[:10]}"


def _dropped(kind: str, key: str, what: str, value: Any, pair: VersionPair) -> dict[str, Any]:
    return {
        "kind": kind,
        "node": key,
        "message": f"{what} '{key}' ({value}) không được tính: cả "
        f"{_spelled(pair.a.methodology)} và {_spelled(pair.b.methodology)} đều không có",
    }


def find_unit(units: Sequence[Any], unit_id: str) -> Any:
    """The entry of ``units`` for ``unit_id`` (KeyError naming it otherwise)."""
    for u in units:
        if u.unit == unit_id:
            return u
    raise KeyError(unit_id)
