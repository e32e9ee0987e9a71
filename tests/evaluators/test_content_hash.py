"""A submission's content hash is the SHA-256 of one JSON text, stored with every result:
the text written directly for flat submissions is the text json.dumps writes."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from evaluators.submission import Adjustment, Submission

SCALARS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 1e16, 1e-7, 0.1 + 0.2, 5e-324, 1.7976931348623157e308]),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.booleans(),
    st.none(),
    st.text(max_size=6),
    st.sampled_from(["đúng hạn", 'a"b\\c', "\u2028", "\x00\x1f", "😀"]),
    st.decimals(allow_nan=False, allow_infinity=False),
    st.dates(),
)
KEYS = st.text(max_size=5) | st.sampled_from(["ty_le", "Tỷ lệ", "z", "a", "\u00e9", "e\u0301"])


def reference(s: Submission) -> str:
    """The hash as it has always been computed."""
    data = {
        "unit": s.unit,
        "period": s.period,
        "values": s.values,
        "not_applicable": s.not_applicable,
        "facts": s.facts,
        "appraisal": {k: [a.value, a.points, a.reason] for k, a in s.appraisal.items()},
        "survey": s.survey,
    }
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@settings(max_examples=300, deadline=None)
@given(
    values=st.dictionaries(KEYS, SCALARS, max_size=8),
    facts=st.dictionaries(KEYS, SCALARS, max_size=3),
    claims=st.dictionaries(KEYS, st.text(max_size=4), max_size=2),
    survey=st.dictionaries(KEYS, st.decimals(allow_nan=False, allow_infinity=False), max_size=2),
    unit=st.text(max_size=6),
    period=st.text(max_size=4) | st.integers(0, 3000),
)
def test_the_hash_is_the_json_text_of_the_submission(values, facts, claims, survey, unit, period):
    s = Submission(
        unit=unit,
        period=period,
        values=values,
        facts=facts,
        not_applicable=claims,
        survey=survey,
    )
    assert s.content_hash() == reference(s)
    again = Submission(unit=unit, period=period, values=dict(reversed(values.items())))
    assert again.content_hash() == reference(again)


def test_submissions_that_are_not_flat_hash_as_before():
    nested = Submission(
        unit="u",
        period="2024",
        values={"x": [1, 2], "y": {"z": 1.5}, "d": dt.datetime(2024, 1, 2, 3, 4)},
        appraisal={"x": Adjustment(value=0.5, points=Decimal("1.5"), reason="r")},
    )
    assert nested.content_hash() == reference(nested)
    assert Submission(unit="u", period="p", values={1: 0.5}).content_hash() == reference(
        Submission(unit="u", period="p", values={1: 0.5})
    )
