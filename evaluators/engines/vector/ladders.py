"""Ladder leaves decided together, one array operation per tier for all of them.

A ladder (`evaluators.engines.vector.leaves`) is a leaf whose tiers are intervals of
one number input, with integer points and no bonus or penalty rule: most criteria of
real indices. Decided one by one, each costs a dozen operations over the cohort's rows,
and an index of a hundred criteria spends its time in NumPy's per-call overhead. Here
the ladders of a pass are stacked into a (leaves × rows) matrix and each tier is one
comparison over it, with the same outcome per row as `_climb` and the readiness and N/A
steps of the pass (`batch._pass`): a value that is missing, invalid or not order-exact
as a double is left to the leaf-by-leaf path, which keeps the exact fallback.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from evaluators.engines.vector.columns import Col
from evaluators.engines.vector.leaves import INVALID, NA, VLeaf
from evaluators.engines.vector.leaves import MISSING as ST_MISSING

__all__ = ["climb", "stackable"]


def stackable(v: VLeaf, values: Mapping[str, Col]) -> bool:
    """Whether ``v`` is a ladder over one input it alone declares, whose column has no
    value that needs the exact path."""
    if v.ladder is None or v.tier_final is None or v.mode == "exact":
        return False
    node = v.leaf.node
    rule = node.scoring
    if v.leaf.kind == "missing" or rule is None or rule.source is not None:
        return False
    if not v.key.startswith("v:"):
        return False
    name = v.key[2:]
    if len(node.inputs) != 1 or name not in node.inputs:
        return False
    col = values.get(name)
    return col is not None and col.odd is None


def climb(v: VLeaf, col: Col, na: np.ndarray, status: np.ndarray, points: np.ndarray) -> None:
    """Write the status and points (units of 10**-places) of ladder ``v`` over the
    rows of its input ``col`` into ``status`` and ``points`` (zeros, the pass's rows
    for this leaf), rows of ``na`` not applicable: what `_climb`, then the readiness
    and the N/A steps of `batch._pass`, give."""
    ladder, final = v.ladder, v.tier_final
    assert ladder is not None and final is not None
    x = col.val
    first = next((k for k, bounds in enumerate(ladder) if bounds is None), len(ladder))
    base = int(final[first]) if first < len(ladder) else 0
    points.fill(base)
    hit = None
    step = None
    for k in range(first - 1, -1, -1):  # the first tier that holds wins: from the last up
        lo, hi = ladder[k]  # type: ignore[misc]  # known bounds: k is before `first`
        if lo == -math.inf:
            cond = x < hi
        elif hi == math.inf:
            cond = x >= lo
        else:
            cond = (x >= lo) & (x < hi)
        # points += cond × (the tier's points − points): arithmetic, where a masked copy
        # costs several times more per element
        if step is None:
            step = np.multiply(cond, int(final[k]) - base)
        else:
            np.subtract(int(final[k]), points, out=step)
            step *= cond
        points += step
        if first == len(ladder):  # no "otherwise": "no tier applies" where none held
            hit = cond if hit is None else np.logical_or(hit, cond, out=hit)
    if hit is not None:
        np.copyto(status, INVALID, where=~hit)
    absent = None if col.present is None else ~col.present
    required = v.leaf.node.inputs[v.key[2:]].required
    # a value that is not there fails the first condition ("otherwise" first reads none),
    # unless readiness says so first: a required value missing, an invalid one
    if first > 0 and not (required and col.invalid is None):
        available = col.available()
        if available is not None:
            np.copyto(status, INVALID, where=~available)
    if absent is not None and required:
        np.copyto(status, ST_MISSING, where=absent)
    if col.invalid is not None:
        np.copyto(status, INVALID, where=col.invalid)
    np.copyto(status, NA, where=na)
