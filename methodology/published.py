"""Published results: the figures the Ministry of Home Affairs (or a province) published,
bundled as reference data beside the cohorts they rank.

One file per cohort, `bundled/published/<cohort>.yaml`::

    cohort: provinces
    sources:
      vietnamplus-1025084: {title: "…", url: "https://…", date: 2025-04-18}
    years:
      2024:
        average: {value: 88.37, source: vietnamplus-1025084}
        groups: {A: 13, B: 50, source: vietnamplus-1025084}
        units:
          hai-phong:
            - {total: 96.17, rank: 1, source: vietnamplus-1025084}

Every figure names its source. Where two sources disagree a unit lists both figures, in
the file's order (the first is the one samples aim at), so neither is lost. Unknown keys,
unknown sources and units missing from the cohort are errors naming the file and line.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from methodology._frontmatter import load_yaml
from methodology.catalog import bundled_root
from methodology.errors import FormatError

__all__ = [
    "PublishedFigure",
    "PublishedResults",
    "PublishedSource",
    "PublishedYear",
    "load_published",
    "published_cohorts",
]

_TOP = {"cohort", "sources", "years"}
_SOURCE = {"title", "url", "date"}
_YEAR = {"average", "groups", "units", "note"}
_AVERAGE = {"value", "source", "note"}
_GROUP_NAMES = ("A", "B", "C", "D")
_FIGURE = {"total", "rank", "of", "group", "source", "note"}


@dataclass(frozen=True)
class PublishedSource:
    id: str
    title: str
    url: str | None = None
    date: dt.date | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "url": self.url,
            "date": self.date.isoformat() if self.date else None,
        }


@dataclass(frozen=True)
class PublishedFigure:
    """One published figure of one unit: its total (in %), rank (of ``of``) and group."""

    source: PublishedSource
    total: Decimal | None = None
    rank: int | None = None
    of: int | None = None
    group: str | None = None
    note: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "total": float(self.total) if self.total is not None else None,
            "rank": self.rank,
            "of": self.of,
            "group": self.group,
            "note": self.note,
            "source": self.source.id,
        }


@dataclass(frozen=True)
class PublishedYear:
    year: int
    units: Mapping[str, tuple[PublishedFigure, ...]] = field(default_factory=dict)
    average: Decimal | None = None
    average_source: PublishedSource | None = None
    groups: Mapping[str, int] | None = None
    groups_source: PublishedSource | None = None
    note: str | None = None

    def total(self, unit: str) -> Decimal | None:
        """The unit's total from its first source, if one was published."""
        return next((f.total for f in self.units.get(unit, ()) if f.total is not None), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "average": float(self.average) if self.average is not None else None,
            "average_source": self.average_source.id if self.average_source else None,
            "groups": dict(self.groups) if self.groups is not None else None,
            "groups_source": self.groups_source.id if self.groups_source else None,
            "note": self.note,
            "units": {u: [f.to_json() for f in figs] for u, figs in self.units.items()},
        }


@dataclass(frozen=True)
class PublishedResults:
    cohort: str
    sources: Mapping[str, PublishedSource]
    years: Mapping[int, PublishedYear]

    def year(self, year: int | str) -> PublishedYear | None:
        try:
            return self.years.get(int(year))
        except ValueError:
            return None

    def to_json(self) -> dict[str, Any]:
        return {
            "cohort": self.cohort,
            "sources": {k: s.to_json() for k, s in self.sources.items()},
            "years": {str(y): v.to_json() for y, v in self.years.items()},
        }


def published_cohorts(root: Path | None = None) -> list[str]:
    """The cohorts with a file of published results."""
    folder = (root or bundled_root()) / "published"
    return sorted(p.stem for p in folder.glob("*.yaml")) if folder.is_dir() else []


def load_published(cohort: str, root: Path | None = None) -> PublishedResults | None:
    """The published results of ``cohort`` (None when none are bundled), checked strictly."""
    root = root or bundled_root()
    path = root / "published" / f"{cohort}.yaml"
    if not path.is_file():
        return None
    name = f"published/{cohort}.yaml"
    data, positions = load_yaml(path.read_text(encoding="utf-8"), file=name)
    units = _cohort_units(root, cohort)
    return _Reader(name, positions, units).results(data, cohort)


def _cohort_units(root: Path, cohort: str) -> set[str] | None:
    path = root / "cohorts" / f"{cohort}.yaml"
    if not path.is_file():
        return None
    data, _ = load_yaml(path.read_text(encoding="utf-8"), file=f"cohorts/{cohort}.yaml")
    return {str(u["id"]) for u in (data or {}).get("units", [])}


@dataclass
class _Reader:
    file: str
    positions: dict[str, tuple[int, int]]
    units: set[str] | None
    sources: dict[str, PublishedSource] = field(default_factory=dict)

    def error(self, path: str, message: str) -> FormatError:
        line, column = self.positions.get(path, (None, None))
        return FormatError(message, file=self.file, line=line, column=column, path=path)

    def mapping(self, value: Any, path: str, keys: set[str]) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.error(path, f"{path or 'the file'} must be a mapping")
        for key in value:
            if key not in keys:
                raise self.error(
                    f"{path}.{key}" if path else key,
                    f"unknown key '{key}' (expected one of: {', '.join(sorted(keys))})",
                )
        return value

    def results(self, data: Any, cohort: str) -> PublishedResults:
        top = self.mapping(data, "", _TOP)
        if top.get("cohort") != cohort:
            raise self.error("cohort", f"cohort must be '{cohort}', as the file is named")
        for sid, raw in self.mapping(
            top.get("sources") or {}, "sources", set(top.get("sources") or {})
        ).items():
            src = self.mapping(raw, f"sources.{sid}", _SOURCE)
            if not isinstance(src.get("title"), str):
                raise self.error(f"sources.{sid}", f"source '{sid}' needs a title")
            date = src.get("date")
            self.sources[sid] = PublishedSource(
                sid, src["title"], src.get("url"), date if isinstance(date, dt.date) else None
            )
        years: dict[int, PublishedYear] = {}
        raw_years = top.get("years") or {}
        for year, raw in self.mapping(raw_years, "years", set(raw_years)).items():
            if not (isinstance(year, str) and year.isdigit() and len(year) == 4):
                raise self.error(f"years.{year}", f"'{year}' is not a year")
            years[int(year)] = self.year(int(year), raw, f"years.{year}")
        return PublishedResults(cohort, dict(self.sources), years)

    def source(self, value: Any, path: str) -> PublishedSource:
        if value not in self.sources:
            raise self.error(f"{path}.source", f"unknown source '{value}'")
        return self.sources[value]

    def year(self, year: int, raw: Any, path: str) -> PublishedYear:
        body = self.mapping(raw, path, _YEAR)
        average = source = None
        if "average" in body:
            avg = self.mapping(body["average"], f"{path}.average", _AVERAGE)
            average = self.number(avg.get("value"), f"{path}.average.value")
            source = self.source(avg.get("source"), f"{path}.average")
        groups = groups_source = None
        if "groups" in body:
            g = self.mapping(body["groups"], f"{path}.groups", {*_GROUP_NAMES, "source", "note"})
            groups = {k: self.count(g[k], f"{path}.groups.{k}") for k in _GROUP_NAMES if k in g}
            groups_source = self.source(g.get("source"), f"{path}.groups")
        units: dict[str, tuple[PublishedFigure, ...]] = {}
        raw_units = body.get("units") or {}
        for unit, figures in self.mapping(raw_units, f"{path}.units", set(raw_units)).items():
            where = f"{path}.units.{unit}"
            if self.units is not None and unit not in self.units:
                raise self.error(where, f"unit '{unit}' is not in the cohort")
            if not isinstance(figures, list) or not figures:
                raise self.error(where, f"{where} must be a list of figures")
            units[unit] = tuple(self.figure(f, f"{where}[{i}]") for i, f in enumerate(figures))
        return PublishedYear(year, units, average, source, groups, groups_source, body.get("note"))

    def figure(self, raw: Any, path: str) -> PublishedFigure:
        f = self.mapping(raw, path, _FIGURE)
        if not {"total", "rank", "group"} & set(f):
            raise self.error(path, "a figure needs a total, a rank or a group")
        group = f.get("group")
        if group is not None and group not in _GROUP_NAMES:
            raise self.error(f"{path}.group", f"unknown group '{group}'")
        return PublishedFigure(
            source=self.source(f.get("source"), path),
            total=self.number(f["total"], f"{path}.total") if "total" in f else None,
            rank=self.count(f["rank"], f"{path}.rank") if "rank" in f else None,
            of=self.count(f["of"], f"{path}.of") if "of" in f else None,
            group=group,
            note=f.get("note"),
        )

    def number(self, value: Any, path: str) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
            raise self.error(path, f"{path} must be a number")
        if not 0 <= value <= 100:
            raise self.error(path, f"{path} must be between 0 and 100")
        return Decimal(value)

    def count(self, value: Any, path: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise self.error(path, f"{path} must be a whole number")
        return value
