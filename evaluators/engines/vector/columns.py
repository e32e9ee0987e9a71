"""Columns for the vectorised scorer: one per input (and fact), cleaned exactly as
`evaluators.scoring.cleaning.clean_value` cleans each value, vectorised where the values are
plain floats, ints and booleans, value by value otherwise.

A column keeps, per row, the value as NumPy can compare it (float64 for numbers, bool,
an int code for enum strings, a date's ordinal), whether a value was submitted, whether
it was invalid, and whether a number's float is not *order-exact* (see `_vector_expr`):
those rows are scored with the exact closures.
"""

from __future__ import annotations

import datetime as dt
import functools
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np

from evaluators.engines.vector.expressions import is_order_exact
from evaluators.scoring.cleaning import clean_value
from rules import MAX_EXPONENT, InputSpec, InputType, Type

__all__ = [
    "MISSING",
    "Col",
    "clean_array",
    "clean_one",
    "clean_raws",
    "empty",
    "encode",
    "number_checks",
    "plain_bounds",
]

MISSING = object()  # no value submitted
_BIG = 2.0**53  # beyond, an int's double may not be its decimal
_TOO_LARGE = float(f"1e{MAX_EXPONENT + 1}")
_TOO_SMALL = float(f"1e-{MAX_EXPONENT}")


@dataclass
class Col:
    """One input or fact over the rows."""

    typ: Type
    val: np.ndarray
    present: np.ndarray | None = None  # a value was submitted (None: every row)
    invalid: np.ndarray | None = None  # submitted but not clean (None: none)
    odd: np.ndarray | None = None  # a number whose float is not order-exact (None: none)

    def available(self) -> np.ndarray | None:
        """Rows with a clean value (None: every row)."""
        if self.invalid is None:
            return self.present
        if self.present is None:
            return ~self.invalid
        return self.present & ~self.invalid

    def take(self, rows: np.ndarray) -> Col:
        def sub(a):
            return None if a is None else a[rows]

        return Col(self.typ, self.val[rows], sub(self.present), sub(self.invalid), sub(self.odd))

    def copy(self) -> Col:
        def dup(a):
            return None if a is None else a.copy()

        return Col(self.typ, self.val.copy(), dup(self.present), dup(self.invalid), dup(self.odd))

    def set(self, row: int, entry: tuple[Any, bool, bool]) -> None:
        """Overwrite one row with (value, invalid, odd); the value is submitted."""
        value, invalid, odd = entry
        n = len(self.val)
        if self.present is not None:
            self.present[row] = True
        if invalid:
            if self.invalid is None:
                self.invalid = np.zeros(n, bool)
            self.invalid[row] = True
            return
        if self.invalid is not None:
            self.invalid[row] = False
        self.val[row] = value
        if odd and self.odd is None:
            self.odd = np.zeros(n, bool)
        if self.odd is not None:
            self.odd[row] = odd

    def missing(self) -> np.ndarray | None:
        return None if self.present is None else ~self.present


def _dtype(typ: Type):
    return {Type.NUMBER: np.float64, Type.BOOL: np.bool_}.get(typ, np.int64)


def empty(typ: Type, n: int) -> Col:
    """A column with no value in any row."""
    return Col(typ, np.zeros(n, _dtype(typ)), np.zeros(n, bool))


def clean_one(spec: InputSpec, raw: Any, codes: Mapping[str, int]) -> tuple[Any, bool, bool]:
    """(column value, invalid, odd) of one raw value, by `clean_value` itself."""
    value, error = clean_value(spec, raw)
    if error:
        return None, True, False
    return encode(spec.value_type, value, codes)


def encode(typ: Type, value: Any, codes: Mapping[str, int]) -> tuple[Any, bool, bool]:
    """(column value, invalid, odd) of a clean rule value."""
    if typ is Type.NUMBER:
        f = float(value)
        return (f if np.isfinite(f) else 0.0), False, not is_order_exact(value)
    if typ is Type.BOOL:
        return bool(value), False, False
    if typ is Type.STRING:
        return codes[value], False, False
    return value.toordinal(), False, False


def clean_raws(spec: InputSpec, raws: Sequence[Any], codes: Mapping[str, int]) -> Col:
    """The column of raw submitted values (`MISSING` where none), cleaned as
    `clean_value` would; ``codes`` maps every enum choice to its int."""
    n = len(raws)
    typ = spec.value_type
    kinds = set(map(type, raws))
    if typ is Type.NUMBER and kinds <= {float, int} and plain_bounds(spec):
        try:
            val = np.array(raws, dtype=np.float64)
        except OverflowError:
            pass
        else:
            invalid = number_checks(spec, val)
            odd = (np.abs(val) >= _BIG) if int in kinds else None
            if odd is not None and odd.any():
                # a big int's double may round across a bound (10**101 - 1 onto 1e101)
                for i in np.flatnonzero(odd).tolist():
                    invalid[i] = clean_value(spec, raws[i])[1] is not None
            return Col(typ, val, None, _some(invalid), _some(odd))
    if typ is Type.BOOL and kinds == {bool}:
        return Col(typ, np.array(raws, dtype=bool))
    if typ is Type.STRING:
        lookup = {c: codes[c] for c in spec.choices}
        try:
            coded = [lookup.get(r, -1) for r in raws]
        except TypeError:  # an unhashable value
            coded = [-1] * n
        val = np.array(coded, dtype=np.int64)
        if (val >= 0).all():
            return Col(typ, val)
    else:
        val = np.zeros(n, _dtype(typ))
    present = np.ones(n, bool)
    invalid = np.zeros(n, bool)
    odd = np.zeros(n, bool)
    plain = typ is Type.NUMBER and plain_bounds(spec)
    for i, raw in enumerate(raws):
        if raw is MISSING:
            present[i] = False
            continue
        kind = type(raw)
        if typ is Type.STRING and val[i] >= 0:
            continue
        if plain and (kind is float or (kind is int and abs(raw) < _BIG)):
            val[i] = raw  # checked below with the vectorised number checks
            continue
        value, bad, strange = clean_one(spec, raw, codes)
        if bad:
            invalid[i] = True
        else:
            val[i] = value
            odd[i] = strange
    if plain:
        fast = present & ~invalid & ~odd
        invalid |= fast & number_checks(spec, val)
    return Col(typ, val, _none_if_all(present), _some(invalid), _some(odd))


def plain_bounds(spec: InputSpec) -> bool:
    """Whether the domain bounds compare exactly with doubles."""
    return all(b is None or is_order_exact(b) for b in (spec.domain_min, spec.domain_max))


def number_checks(spec: InputSpec, val: np.ndarray) -> np.ndarray:
    """Rows whose (order-exact) number `clean_value` rejects: not finite, of a magnitude
    beyond `MAX_EXPONENT`, out of the domain, or a count that is not whole."""
    with np.errstate(invalid="ignore"):
        size = np.abs(val)
        # an order-exact double is below 1e101 (at least 1e-100) exactly when its
        # shortest repr is: rounding to the nearest double keeps the order
        bad = ~(size < _TOO_LARGE) | ((size < _TOO_SMALL) & (val != 0))
        low, high = spec.domain_min, spec.domain_max
        if low is not None:
            bad |= val < float(low)
        if high is not None:
            bad |= val > float(high)
        if spec.type is InputType.COUNT:
            bad |= val != np.floor(val)
    return bad


def _some(mask: np.ndarray | None) -> np.ndarray | None:
    return mask if mask is not None and mask.any() else None


def _none_if_all(mask: np.ndarray) -> np.ndarray | None:
    return None if mask.all() else mask


def clean_array(spec: InputSpec, array: Any, codes: Mapping[str, int]) -> tuple[Col, Any]:
    """A column from a caller's array: floats (NaN: missing), bools, strings or objects
    (None: missing), datetime64[D] (NaT: missing), or a masked array (masked: missing).
    Also returns a function giving each row's value as a submission would carry it
    (`MISSING` where none), so a row can be scored by the exact path."""
    a = array
    if type(a) is np.ndarray and a.dtype == np.float64 and spec.value_type is Type.NUMBER:
        bounds = _finite_bounds(spec.type, spec.domain_min, spec.domain_max)
        # within finite bounds: no NaN (missing), no infinity, nothing out of the domain
        # (bounds are within MAX_EXPONENT, so only tiny non-zero values remain to refuse)
        if bounds is not None and not ((np.abs(a) < _TOO_SMALL) & (a != 0)).any():
            if ((a >= bounds[0]) & (a <= bounds[1])).all():
                return Col(Type.NUMBER, a), _item_getter(a, None)
            # NaNs (missing) and every other value within the domain: the column the
            # general path below makes, without checking each value again
            if bounds[0] <= np.fmin.reduce(a) and np.fmax.reduce(a) <= bounds[1]:
                given = ~np.isnan(a)
                return Col(Type.NUMBER, np.where(given, a, 0.0), given), _item_getter(a, given)
    mask = None
    if isinstance(array, np.ma.MaskedArray):
        mask = np.ma.getmaskarray(array)
        array = array.filled(array.fill_value if array.dtype.kind != "f" else np.nan)
    a = np.asarray(array)
    typ = spec.value_type
    if typ is Type.NUMBER and a.dtype.kind in "fiu" and plain_bounds(spec):
        val = a.astype(np.float64)
        present = ~np.isnan(val) if a.dtype.kind == "f" else None
        if mask is not None:
            present = ~mask if present is None else present & ~mask
        if present is not None:
            if present.all():
                present = None
            else:
                val = np.where(present, val, 0.0)
        invalid = number_checks(spec, val)
        if present is not None:
            invalid &= present
        odd = None
        if a.dtype.kind in "iu":
            odd = np.abs(val) >= _BIG
            if present is not None:
                odd &= present
        return Col(typ, val, present, _some(invalid), _some(odd)), _item_getter(a, present)
    if typ is Type.BOOL and a.dtype == np.bool_:
        present = None if mask is None or not mask.any() else ~mask
        return Col(typ, a.copy(), present), _item_getter(a, present)
    if typ is Type.DATE and a.dtype.kind == "M":
        days = a.astype("datetime64[D]")
        present = ~np.isnat(days)
        if mask is not None:
            present &= ~mask
        ordinals = np.where(present, days.astype(np.int64), 0) + dt.date(1970, 1, 1).toordinal()
        raws = [
            dt.date.fromordinal(int(o)) if p else MISSING
            for o, p in zip(ordinals.tolist(), present.tolist(), strict=True)
        ]
        return clean_raws(spec, raws, codes), raws.__getitem__
    raws = []
    for i, x in enumerate(a.tolist()):
        if (mask is not None and mask[i]) or x is None or (isinstance(x, float) and x != x):
            raws.append(MISSING)
        elif isinstance(x, str):
            raws.append(unicodedata.normalize("NFC", x) if typ is Type.STRING else x)
        else:
            raws.append(x)
    return clean_raws(spec, raws, codes), raws.__getitem__


@functools.lru_cache(maxsize=1024)
def _finite_bounds(kind: InputType, low: Decimal | None, high: Decimal | None):
    """The domain of a number input as doubles, when it is finite on both sides, its
    bounds compare exactly with doubles and its values need no other check (not a
    count, which must be whole); else None."""
    if kind is InputType.COUNT or low is None or high is None:
        return None
    if not (is_order_exact(low) and is_order_exact(high)):
        return None
    return float(low), float(high)


def _item_getter(a: np.ndarray, present: np.ndarray | None):
    def get(row: int) -> Any:
        if present is not None and not present[row]:
            return MISSING
        return a[row].item()

    return get
