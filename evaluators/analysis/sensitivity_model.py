"""The arrays behind `evaluators.analysis.sensitivity`: a scored cohort reduced to its components
(criteria), weights drawn around the official ones, re-aggregation to rounded indices
and competition ranks — every step vectorised over replications.

Re-weighting rule. A component c of field f with official maximum ``m_c`` and, for a
unit, applicable maximum ``a_c`` and points ``p_c`` (``p_c ≤ a_c ≤ m_c``) counts, under
a new weight ``w_c``, for ``p_c · w_c / m_c`` points out of ``a_c · w_c / m_c``
applicable: its achievement ratio ``p_c / a_c`` times its new weight, scaled by its
applicable share ``a_c / m_c``. The scaling matters: 14 of the 38 criteria of
par-provincial/2022 are partly not applicable for some provinces, and the official
index ``Σp / Σa × scale`` weighs such a criterion by what is applicable of it, so a
plain ``Σ w·p/a ÷ Σ w`` over applicable components would not reproduce it. With the
official weights (``w_c = m_c``) this rule gives back the official totals exactly.

Field caps. A `sum_capped` field whose criteria's maxima add up to more than its own
(which `validate` reports as an error, so no bundled methodology has one) caps its
points and applicable maximum at ``M_f``; re-weighted, the cap follows the field's
weight: ``M_f · W_f / W0_f``. Caps inside criteria are already in ``p_c`` and ``a_c``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from methodology import Methodology, Node

__all__ = ["LEVELS", "METHODS", "Draw", "Model", "competition_ranks", "round_half_up"]

METHODS = ("uniform", "dirichlet")
LEVELS = ("field", "criterion", "both")

# Slack, relative to the largest index, when rounding a float index to the published
# places: the float sums and one division carry ~1e-14 relative error, while an exact
# index that is not a rounding tie lies at least 1/(2·Σa in units) ≈ 5e-5 (relative
# ~5e-9 for scale 100, hundredths) away from one. So ties of the official weights round
# up, as Decimal does, and nothing else moves.
_TIE_SLACK = 1e-11


@dataclass(frozen=True)
class Draw:
    """One chunk of replications: component weights (points) and the driver inputs."""

    weights: np.ndarray  # (R, C)
    drivers: np.ndarray  # (R, K): the sampled factor of each driver


@dataclass
class Model:
    """A cohort at component level.

    ``points``/``applicable`` are (C, U) float arrays in units of ``10**-digits`` for
    the scorable units (complete, with an index); ``field_of`` maps components to
    ``fields``; ``base`` holds the official component weights ``m_c`` in points and
    ``field_base`` the official field weights ``W0_f = Σ m_c``.
    """

    fields: list[Node]
    components: list[Node]
    field_of: np.ndarray
    base: np.ndarray
    field_base: np.ndarray
    field_cap: np.ndarray  # M_f / W0_f where a sum_capped field can bind, else inf
    total: float
    points: np.ndarray
    applicable: np.ndarray
    digits: int
    places: int
    scale: float
    policy: str

    @classmethod
    def of_batch(cls, vprog: Any, batch: Any, columns: Sequence[int] | None = None) -> Model:
        """From a scored batch (`score_cohort`), optionally only some units' columns."""
        arrays = batch.arrays()
        cols = slice(None) if columns is None else list(columns)
        return cls.build(
            vprog.program.methodology,
            arrays.nodes,
            arrays.points[:, cols],
            arrays.applicable_max[:, cols],
            digits=arrays.digits,
            places=vprog.places,
            scale=float(vprog.scale),
            policy=vprog.policy,
        )

    @classmethod
    def build(
        cls,
        methodology: Methodology,
        node_ids: Sequence[str],
        points: np.ndarray,
        applicable: np.ndarray,
        *,
        digits: int,
        places: int,
        scale: float,
        policy: str,
    ) -> Model:
        """From `NodeArrays`-shaped data restricted to the scorable units' columns."""
        position = {node_id: i for i, node_id in enumerate(node_ids)}
        fields = list(methodology.roots())
        components: list[Node] = []
        field_of: list[int] = []
        for f, field_node in enumerate(fields):
            kids = methodology.children_of(field_node.id) or [field_node]
            components.extend(kids)
            field_of.extend([f] * len(kids))
        rows = [position[c.id] for c in components]
        base = np.array([float(c.max_points) for c in components])
        field_index = np.array(field_of, dtype=np.intp)
        field_base = np.bincount(field_index, weights=base, minlength=len(fields))
        field_cap = np.full(len(fields), np.inf)
        for f, node in enumerate(fields):
            own = float(node.max_points)
            if (
                methodology.children_of(node.id)
                and node.aggregation == "sum_capped"
                and field_base[f] > own
            ):
                field_cap[f] = own / field_base[f]
        total = float(field_base.sum())
        if total <= 0:
            raise ValueError("the methodology's components carry no weight (all maxima are 0)")
        return cls(
            fields,
            components,
            field_index,
            base,
            field_base,
            field_cap,
            total,
            points[rows].astype(np.float64),
            applicable[rows].astype(np.float64),
            digits,
            places,
            scale,
            policy,
        )

    @property
    def official(self) -> np.ndarray:
        """The official weights as a single replication, shape (1, C)."""
        return self.base[None, :].copy()

    def members(self, f: int | np.integer) -> np.ndarray:
        return np.flatnonzero(self.field_of == f)

    # -- drawing weights ---------------------------------------------------------------

    def streams(self, seed: int) -> list[np.random.Generator]:
        """Independent generators spawned from ``seed``: one for the field weights, then
        one per field for its criteria. Each stream fills its rows in order, so drawing
        in chunks gives the same weights as drawing all replications at once."""
        return np.random.default_rng(seed).spawn(1 + len(self.fields))

    def draw(
        self,
        streams: Sequence[np.random.Generator],
        n: int,
        *,
        method: str,
        spread: float,
        level: str,
        concentration: float,
        driver_nodes: Sequence[int],
    ) -> Draw:
        """The next ``n`` replications of component weights from `streams`, renormalised
        so that each field's criteria add up to its weight and the fields to the
        official total."""
        F, C = len(self.fields), len(self.components)
        perturb_fields = level in ("field", "both")
        perturb_criteria = level in ("criterion", "both")
        within = np.divide(
            self.base,
            self.field_base[self.field_of],
            out=np.zeros(C),
            where=self.field_base[self.field_of] > 0,
        )
        if method == "uniform":
            field_factor = np.ones((n, F))
            if perturb_fields:
                field_factor += streams[0].uniform(-spread, spread, (n, F))
            crit_factor = np.ones((n, C))
            if perturb_criteria:
                for f in range(F):
                    cols = self.members(f)
                    crit_factor[:, cols] += streams[1 + f].uniform(-spread, spread, (n, len(cols)))
            W = self.field_base * field_factor
            W *= (self.total / W.sum(axis=1))[:, None]
            raw = within * crit_factor
            sums = np.zeros((n, F))
            for f in range(F):
                sums[:, f] = raw[:, self.members(f)].sum(axis=1)
            share = np.divide(raw, sums[:, self.field_of], out=np.zeros_like(raw), where=raw > 0)
        else:
            field_factor = np.ones((n, F))
            W = np.broadcast_to(self.field_base, (n, F)).copy()
            if perturb_fields:
                live = np.flatnonzero(self.field_base > 0)
                if len(live) > 1:
                    alpha = concentration * self.field_base[live] / self.total
                    W[:, live] = streams[0].dirichlet(alpha, size=n) * self.total
                field_factor = np.divide(
                    W, self.field_base, out=np.ones_like(W), where=self.field_base > 0
                )
            share = np.broadcast_to(within, (n, C)).copy()
            crit_factor = np.ones((n, C))
            if perturb_criteria:
                for f in range(F):
                    live = self.members(f)
                    live = live[self.base[live] > 0]
                    if len(live) > 1:
                        share[:, live] = streams[1 + f].dirichlet(
                            concentration * within[live], size=n
                        )
                crit_factor = np.divide(share, within, out=np.ones_like(share), where=within > 0)
        weights = share * W[:, self.field_of]
        if level == "criterion":
            drivers = crit_factor[:, list(driver_nodes)]
        else:
            drivers = field_factor[:, list(driver_nodes)]
        return Draw(weights, drivers)

    def criterion_drivers(self) -> list[int]:
        """Components whose weight a criterion-level draw can move: those sharing a
        field with another component of positive weight."""
        out = []
        for f in range(len(self.fields)):
            live = [int(c) for c in self.members(f) if self.base[c] > 0]
            if len(live) > 1:
                out.extend(live)
        return out

    # -- re-aggregation ----------------------------------------------------------------

    def scores(self, weights: np.ndarray) -> np.ndarray:
        """Indices for every replication (rows) and scorable unit (columns), rounded
        half-up to the methodology's places, in integer units of ``10**-places``."""
        return round_half_up(self.scaled_index(weights))

    def scaled_index(self, weights: np.ndarray) -> np.ndarray:
        """Unrounded indices × ``10**places``, shape (R, U)."""
        gain = np.divide(weights, self.base, out=np.zeros_like(weights), where=self.base > 0)
        capped = np.isfinite(self.field_cap)
        if not capped.any():
            total = gain @ self.points
            amax = gain @ self.applicable
        else:
            free = ~capped[self.field_of]
            total = gain[:, free] @ self.points[free]
            amax = gain[:, free] @ self.applicable[free]
            unit = 10.0**self.digits
            for f in np.flatnonzero(capped):
                cols = self.members(f)
                cap = (self.field_cap[f] * weights[:, cols].sum(axis=1) * unit)[:, None]
                total += np.minimum(gain[:, cols] @ self.points[cols], cap)
                amax += np.minimum(gain[:, cols] @ self.applicable[cols], cap)
        shift = 10.0 ** (self.places - self.digits)
        if self.policy == "exclude_and_normalize":
            # Σ w·a/m is 0 only if a Dirichlet draw underflowed every applicable weight of
            # a unit to 0 (concentrations far below 1): it then counts as scoring 0.
            factor = self.scale * 10.0**self.places
            return np.divide(total * factor, amax, out=np.zeros_like(total), where=amax > 0)
        if self.policy == "count_as_full":
            return (total - amax) * shift + self.scale * 10.0**self.places
        return total * shift


def round_half_up(scaled: np.ndarray) -> np.ndarray:
    """Round to integers, ties away from zero (Decimal's ROUND_HALF_UP), with a slack of
    `_TIE_SLACK` relative to the largest magnitude so that float noise on an exact tie
    does not round it down."""
    if not scaled.size:
        return scaled.astype(np.int64)
    size = np.abs(scaled)
    half = 0.5 + _TIE_SLACK * max(1.0, float(size.max()))
    if scaled.min() >= 0:  # indices are never negative: skip the sign
        return np.floor(scaled + half).astype(np.int64)
    return (np.sign(scaled) * np.floor(size + half)).astype(np.int64)


def competition_ranks(scores: np.ndarray) -> np.ndarray:
    """Per row, 1 + the number of strictly higher scores ("1, 2, 2, 4")."""
    R, n = scores.shape
    if n == 0:
        return np.zeros((R, 0), np.int64)
    # any sort will do: equal scores end up adjacent whatever their order
    order = np.argsort(-scores, axis=1)
    ordered = np.take_along_axis(scores, order, axis=1)
    first = np.broadcast_to(np.arange(n), (R, n)).copy()
    first[:, 1:][ordered[:, 1:] == ordered[:, :-1]] = 0
    np.maximum.accumulate(first, axis=1, out=first)
    ranks = np.empty_like(first)
    np.put_along_axis(ranks, order, first + 1, axis=1)
    return ranks
