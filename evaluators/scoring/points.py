"""The vectorised engine's integer arithmetic for the points formula.

The formula and interpolation themselves are written once, in `rules.leaf_points` and
`rules.interpolate`, over an `rules.Arithmetic`; this module adds `SCALED`: integers in
units of 10**-scale held in NumPy arrays (sums and clamps only: the integer mode has no
products or quotients, so no interpolation).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rules import Adjusts

__all__ = ["SCALED"]


class _Scaled(Adjusts):
    """Integers in units of 10**-scale, as NumPy arrays."""

    zero = 0

    def add(self, a: Any, b: Any) -> Any:
        return a + b

    def sub(self, a: Any, b: Any) -> Any:
        return a - b

    def clamp(self, x: Any, low: Any, high: Any) -> Any:
        return np.minimum(high, np.maximum(low, x))

    def add_where(self, hit: Any, total: Any, amount: Any) -> Any:
        return total + np.where(hit, amount, 0)

    def minimum(self, a: Any, b: Any) -> Any:
        return np.minimum(a, b)


SCALED = _Scaled()
