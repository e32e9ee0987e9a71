"""Declarations of the values a scoring rule reads (node inputs and unit facts)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from rules._locate import Locate, nearest_origin, where
from rules._numbers import to_decimal
from rules._suggest import did_you_mean
from rules.errors import SpecError
from rules.types import Type

__all__ = ["InputSpec", "InputType", "inputs_from_dict"]

ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")

_KEYS = ("type", "label", "unit", "min", "max", "choices", "required", "label_en")
_ONE = Decimal(1)
_ZERO = Decimal(0)


class InputType(StrEnum):
    """How an input is entered and what values it may take."""

    NUMBER = "number"
    RATIO = "ratio"
    COUNT = "count"
    BOOL = "bool"
    ENUM = "enum"
    DATE = "date"


_VALUE_TYPES = {
    InputType.NUMBER: Type.NUMBER,
    InputType.RATIO: Type.NUMBER,
    InputType.COUNT: Type.NUMBER,
    InputType.BOOL: Type.BOOL,
    InputType.ENUM: Type.STRING,
    InputType.DATE: Type.DATE,
}


def _nfc(text: str | None) -> str | None:
    return unicodedata.normalize("NFC", text) if text is not None else None


@dataclass(frozen=True)
class InputSpec:
    """One declared input (or unit fact): its id, type, label and domain."""

    id: str
    type: InputType
    label: str
    unit: str | None = None
    min: Decimal | None = None
    max: Decimal | None = None
    choices: tuple[str, ...] = field(default=())
    required: bool = True
    label_en: str | None = None

    def __post_init__(self) -> None:
        # Vietnamese text typed on different systems mixes composed and
        # decomposed accents; NFC makes equal labels compare equal.
        object.__setattr__(self, "type", InputType(self.type))
        for bound in ("min", "max"):
            value = getattr(self, bound)
            if value is not None and not isinstance(value, Decimal):
                object.__setattr__(self, bound, to_decimal(value))
        object.__setattr__(self, "label", _nfc(self.label))
        object.__setattr__(self, "choices", tuple(_nfc(c) for c in self.choices))

    @property
    def value_type(self) -> Type:
        """The expression type of this input's values."""
        return _VALUE_TYPES[self.type]

    @property
    def domain_min(self) -> Decimal | None:
        """Smallest allowed value of a numeric input (None: unbounded)."""
        if self.type in (InputType.RATIO, InputType.COUNT):
            return self.min if self.min is not None else _ZERO
        return self.min if self.type is InputType.NUMBER else None

    @property
    def domain_max(self) -> Decimal | None:
        """Largest allowed value of a numeric input (None: unbounded)."""
        if self.type is InputType.RATIO:
            return self.max if self.max is not None else _ONE
        return self.max if self.type in (InputType.NUMBER, InputType.COUNT) else None

    @classmethod
    def from_dict(
        cls,
        id: str,
        data: Mapping[str, Any],
        *,
        path: str | None = None,
        locate: Locate | None = None,
    ) -> InputSpec:
        """Build a spec from its front-matter mapping, raising SpecError when malformed."""
        path = path if path is not None else f"inputs.{id}"
        return _Reader(id, path, locate).read(data)

    def to_dict(self) -> dict[str, Any]:
        """Canonical mapping: only keys whose value differs from the default."""
        out: dict[str, Any] = {"type": self.type.value, "label": self.label}
        if self.unit is not None:
            out["unit"] = self.unit
        if self.min is not None:
            out["min"] = self.min
        if self.max is not None:
            out["max"] = self.max
        if self.choices:
            out["choices"] = list(self.choices)
        if not self.required:
            out["required"] = False
        if self.label_en is not None:
            out["label_en"] = self.label_en
        return out


def inputs_from_dict(
    data: Mapping[str, Any], *, path: str = "inputs", locate: Locate | None = None
) -> dict[str, InputSpec]:
    """Read a whole ``inputs:`` (or ``facts:``) mapping of id → declaration."""
    if not isinstance(data, Mapping):
        raise SpecError("expected a mapping of input ids", **where(nearest_origin(locate, path)))
    return {
        str(key): InputSpec.from_dict(str(key), value, path=f"{path}.{key}", locate=locate)
        for key, value in data.items()
    }


class _Reader:
    """Validates one declaration, reporting each problem at its own path."""

    def __init__(self, id: str, path: str, locate: Locate | None) -> None:
        self.id = id
        self.path = path
        self.locate = locate

    def fail(
        self, message: str, key: str | None = None, suggestion: str | None = None
    ) -> SpecError:
        path = f"{self.path}.{key}" if key else self.path
        return SpecError(message, suggestion=suggestion, **where(nearest_origin(self.locate, path)))

    def read(self, data: Mapping[str, Any]) -> InputSpec:
        if not isinstance(self.id, str) or not ID_PATTERN.match(self.id):
            raise self.fail(f"invalid input id {self.id!r}: use lower-case letters, digits and '_'")
        if not isinstance(data, Mapping):
            raise self.fail(f"input {self.id!r} must be a mapping, got {type(data).__name__}")
        for key in data:
            if key not in _KEYS:
                raise self.fail(f"unknown key {key!r}", str(key), did_you_mean(str(key), _KEYS))
        kind = self.kind(data)
        label = self.text(data, "label")
        if label is None:
            raise self.fail(f"input {self.id!r} has no label", "label")
        low, high = self.number(data, "min", kind), self.number(data, "max", kind)
        if low is not None and high is not None and low > high:
            raise self.fail(f"min ({low}) is greater than max ({high})", "min")
        self.check_domain(kind, low, high)
        required = data.get("required", True)
        if not isinstance(required, bool):
            raise self.fail("required must be true or false", "required")
        return InputSpec(
            id=self.id,
            type=kind,
            label=label,
            unit=self.text(data, "unit"),
            min=low,
            max=high,
            choices=self.choices(data, kind),
            required=required,
            label_en=self.text(data, "label_en"),
        )

    def kind(self, data: Mapping[str, Any]) -> InputType:
        if "type" not in data:
            raise self.fail(f"input {self.id!r} has no type", "type")
        raw = data["type"]
        try:
            return InputType(raw)
        except ValueError:
            names = [t.value for t in InputType]
            raise self.fail(
                f"unknown input type {raw!r}", "type", did_you_mean(str(raw), names)
            ) from None

    def text(self, data: Mapping[str, Any], key: str) -> str | None:
        value = data.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"{key} must be a non-empty string", key)
        return value

    def number(self, data: Mapping[str, Any], key: str, kind: InputType) -> Decimal | None:
        if data.get(key) is None:
            return None
        if kind not in (InputType.NUMBER, InputType.RATIO, InputType.COUNT):
            raise self.fail(f"{key} is only allowed on numeric inputs, not {kind.value}", key)
        try:
            value = to_decimal(data[key], allow_percent=kind is InputType.RATIO)
        except ValueError as exc:
            raise self.fail(f"bad {key}: {exc}", key) from None
        if kind is InputType.COUNT and value != value.to_integral_value():
            raise self.fail(f"{key} of a count must be a whole number, got {value}", key)
        return value

    def check_domain(self, kind: InputType, low: Decimal | None, high: Decimal | None) -> None:
        if kind is InputType.RATIO:
            for key, value in (("min", low), ("max", high)):
                if value is not None and not _ZERO <= value <= _ONE:
                    raise self.fail(f"{key} of a ratio must lie within [0, 1], got {value}", key)
        if kind is InputType.COUNT and low is not None and low < 0:
            raise self.fail(f"min of a count cannot be negative, got {low}", "min")

    def choices(self, data: Mapping[str, Any], kind: InputType) -> tuple[str, ...]:
        raw = data.get("choices")
        if kind is not InputType.ENUM:
            if raw is not None:
                raise self.fail("choices are only allowed on enum inputs", "choices")
            return ()
        if not raw or not isinstance(raw, list | tuple):
            raise self.fail(f"enum input {self.id!r} needs a non-empty list of choices", "choices")
        seen: list[str] = []
        for index, choice in enumerate(raw):
            if not isinstance(choice, str) or not choice:
                raise self.fail("each choice must be a non-empty string", f"choices[{index}]")
            choice = unicodedata.normalize("NFC", choice)
            if choice in seen:
                raise self.fail(f"duplicate choice {choice!r}", f"choices[{index}]")
            seen.append(choice)
        return tuple(seen)
