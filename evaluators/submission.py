"""A unit's submission: input values, "không phát sinh" claims, facts, evidence,
appraisal adjustments and survey scores, read from JSON or YAML."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from json.encoder import encode_basestring
from pathlib import Path
from typing import Any

import yaml

from evaluators.errors import SubmissionError
from evaluators.scoring.cleaning import clean_number
from methodology import yaml_load

__all__ = ["Adjustment", "Submission", "load_submission", "load_submissions", "parse_submission"]

_KEYS = (
    "unit",
    "unit_name",
    "period",
    "methodology",
    "ref",
    "values",
    "not_applicable",
    "facts",
    "evidence",
    "appraisal",
    "survey",
    "synthetic",
    "seed",
)


@dataclass(frozen=True)
class Adjustment:
    """An appraisal council's change: a new input ``value`` or, for a manual node, ``points``."""

    value: Any = None
    points: Decimal | None = None
    reason: str | None = None
    by: str | None = None


@dataclass(frozen=True)
class Submission:
    unit: str
    period: str
    methodology: str | None = None
    ref: str | None = None
    values: Mapping[str, Any] = field(default_factory=dict)
    not_applicable: Mapping[str, str] = field(default_factory=dict)
    facts: Mapping[str, Any] = field(default_factory=dict)
    evidence: Mapping[str, Any] = field(default_factory=dict)
    appraisal: Mapping[str, Adjustment] = field(default_factory=dict)
    survey: Mapping[str, Decimal] = field(default_factory=dict)
    unit_name: str | None = None
    synthetic: bool = False
    source: str | None = None  # the file it was read from

    def content_hash(self) -> str:
        """SHA-256 of the submission's scoring content, independent of key order and format."""
        text = _canonical(self)
        if text is None:
            data = {
                "unit": self.unit,
                "period": self.period,
                "values": self.values,
                "not_applicable": self.not_applicable,
                "facts": self.facts,
                "appraisal": {k: [a.value, a.points, a.reason] for k, a in self.appraisal.items()},
                "survey": self.survey,
            }
            text = json.dumps(
                data, sort_keys=True, ensure_ascii=False, default=str, separators=(",", ":")
            )
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


# The hashed text is `json.dumps(..., sort_keys=True, ensure_ascii=False, default=str,
# separators=(",", ":"))` of the scoring content; stored results carry the hash, so it
# never changes. For flat mappings of plain values it is written here, the same text
# ~2x faster: a cohort's submissions share their keys (sorted once) and many values
# (whose float reprs are kept).
_INFINITY = float("inf")


@functools.lru_cache(maxsize=4096)
def _float_text(value: float) -> str:
    return float.__repr__(value)


@functools.lru_cache(maxsize=4096)
def _key_order(keys: tuple[Any, ...]) -> list[tuple[str, str]] | None:
    """The keys sorted, each with its JSON text and colon; None unless all are strings."""
    if any(type(k) is not str for k in keys):
        return None
    return [(k, encode_basestring(k) + ":") for k in sorted(keys)]


def _scalar(value: Any) -> str | None:
    """``value`` as json.dumps writes it, for the types written here (else None)."""
    kind = type(value)
    if kind is float:
        if value != value:
            return "NaN"
        if value == _INFINITY or value == -_INFINITY:
            return "Infinity" if value > 0 else "-Infinity"
        if value == 0:  # 0.0 and -0.0 are one key with two texts: not kept
            return float.__repr__(value)
        return _float_text(value)
    if kind is str:
        return encode_basestring(value)
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return int.__repr__(value)
    if value is None:
        return "null"
    if kind is Decimal or kind is dt.date or kind is dt.datetime:  # default=str
        return encode_basestring(str(value))
    return None


def _flat(mapping: Mapping[str, Any]) -> str | None:
    if not mapping:
        return "{}"
    order = _key_order(tuple(mapping))
    if order is None:
        return None
    parts = []
    for key, head in order:
        text = _scalar(mapping[key])
        if text is None:
            return None
        parts.append(head + text)
    return "{" + ",".join(parts) + "}"


def _canonical(s: Submission) -> str | None:
    """The hashed text of ``s`` when every part is flat, else None."""
    if s.appraisal:
        return None
    parts = [
        _flat(s.facts),
        _flat(s.not_applicable),
        _scalar(s.period),
        _flat(s.survey),
        _scalar(s.unit),
        _flat(s.values),
    ]
    if None in parts:
        return None
    facts, claims, period, survey, unit, values = parts
    return (
        f'{{"appraisal":{{}},"facts":{facts},"not_applicable":{claims},"period":{period},'
        f'"survey":{survey},"unit":{unit},"values":{values}}}'
    )


def _nfc_keys(value: Any) -> Any:
    # Names typed on different systems arrive decomposed; the methodology's are NFC.
    kind = type(value)
    if kind is str:
        return _nfc(value)
    if kind is dict or isinstance(value, Mapping):
        if _ascii_keys(value):  # the common case, checked in C: nothing to change
            kinds = set(map(type, value.values()))
            if kinds <= _PLAIN or (
                kinds <= _SCALARS and "".join(v for v in value.values() if type(v) is str).isascii()
            ):
                return dict(value)
        return {_nfc(str(k)): v if type(v) in _PLAIN else _nfc_keys(v) for k, v in value.items()}
    if kind is list or isinstance(value, list):
        return [v if type(v) in _PLAIN else _nfc_keys(v) for v in value]
    return value


_PLAIN = frozenset({float, int, bool, type(None)})  # nothing to normalise inside
_SCALARS = _PLAIN | {str}


def _ascii_keys(mapping: Mapping[Any, Any]) -> bool:
    """Whether every key is ASCII text (so NFC already)."""
    try:
        return "".join(mapping).isascii()
    except TypeError:  # a key that is not text
        return False


def _nfc_submission(data: Mapping[str, Any]) -> dict[str, Any]:
    """``data`` with what scoring compares or hashes in NFC: every key, the unit and
    the other scalars, values, facts, claims, appraisals and survey scores. Evidence is
    neither compared nor hashed: only its keys (node ids) are normalised, its entries
    (titles, file names: most of a real file's text) are kept as they came."""
    out = {}
    for key, value in data.items():
        key = _nfc(str(key))
        if type(value) in _PLAIN:
            out[key] = value
        elif key == "evidence" and isinstance(value, Mapping):
            out[key] = (
                dict(value) if _ascii_keys(value) else {_nfc(str(k)): v for k, v in value.items()}
            )
        else:
            out[key] = _nfc_keys(value)
    return out


def _nfc(text: str) -> str:
    if type(text) is str and text.isascii():  # ASCII text is always NFC
        return text
    return unicodedata.normalize("NFC", text)


def _decimal(value: Any, path: str, problems: list[dict[str, Any]]) -> Decimal | None:
    number, error = clean_number(value)
    if error is not None:
        problems.append({"path": path, "message": error})
    return number


def parse_submission(data: Any, *, source: str | None = None) -> Submission:
    """Check a submission's shape; every problem is reported with its JSON path."""
    problems: list[dict[str, Any]] = []
    if not isinstance(data, Mapping):
        raise SubmissionError(
            "a submission is a mapping", [{"path": "$", "message": "not a mapping"}]
        )
    data = _nfc_submission(data)
    for key in data:
        if key not in _KEYS:
            problems.append({"path": f"$.{key}", "message": f"unknown key '{key}'"})
    if not data.get("unit"):
        problems.append({"path": "$.unit", "message": "missing the unit id"})
    if data.get("period") in (None, ""):
        problems.append({"path": "$.period", "message": "missing the period"})
    if not isinstance(data.get("unit_name", ""), str | None):
        problems.append({"path": "$.unit_name", "message": "the unit's name is text"})
    mappings = {}
    for key in ("values", "not_applicable", "facts", "evidence", "appraisal", "survey"):
        value = data.get(key)
        value = {} if value is None else value
        if not isinstance(value, Mapping):
            problems.append({"path": f"$.{key}", "message": "must be a mapping"})
            value = {}
        mappings[key] = dict(value)
    appraisal: dict[str, Adjustment] = {}
    for key, entry in mappings["appraisal"].items():
        path = f"$.appraisal.{key}"
        if not isinstance(entry, Mapping) or ("value" not in entry and "points" not in entry):
            problems.append(
                {"path": path, "message": "an appraisal entry is {value or points, reason, by}"}
            )
            continue
        points = (
            _decimal(entry["points"], f"{path}.points", problems) if "points" in entry else None
        )
        appraisal[key] = Adjustment(
            entry.get("value"), points, entry.get("reason"), entry.get("by")
        )
    survey = {}
    for key, value in mappings["survey"].items():
        number = _decimal(value, f"$.survey.{key}", problems)
        if number is not None:
            survey[key] = number
    not_applicable = {
        k: str(v) if v is not None else "" for k, v in mappings["not_applicable"].items()
    }
    if problems:
        raise SubmissionError(f"malformed submission{f' {source}' if source else ''}", problems)
    return Submission(
        unit=str(data["unit"]),
        period=str(data["period"]),
        methodology=data.get("methodology"),
        ref=None if data.get("ref") is None else str(data["ref"]),
        values=mappings["values"],
        not_applicable=not_applicable,
        facts=mappings["facts"],
        evidence=mappings["evidence"],
        appraisal=appraisal,
        survey=survey,
        unit_name=data.get("unit_name"),
        synthetic=bool(data.get("synthetic", False)),
        source=source,
    )


def load_submission(path: str | Path) -> Submission:
    """Read a submission from a `.yaml`, `.yml` or `.json` file."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise SubmissionError(
            f"{path}: not valid {'JSON' if path.suffix == '.json' else 'YAML'}",
            [{"path": "$", "message": str(exc).splitlines()[0]}],
        ) from None
    return parse_submission(data, source=str(path))


def load_submissions(path: str | Path) -> list[Submission]:
    """A submission file, or every submission file in a folder (sorted by name)."""
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml", ".json"))
        return [load_submission(p) for p in files]
    return [load_submission(path)]
