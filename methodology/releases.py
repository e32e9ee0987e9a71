"""Official releases: what one says, how its tag records it, and which release a date or
an assessment year names.

A release is the annotated tag ``<methodology>/<name>``. The last paragraph of the tag's
message is a YAML trailer, the release's metadata, versioned with the store and read
from one git object::

    decision: 876/QĐ-BNV
    date: 2022-11-10          # the decision's date (ngày ban hành)
    effective: 2022-11-10     # the date it takes effect (ngày hiệu lực)
    years: 2022-2030          # the assessment years it applies to (năm áp dụng)
    amends: par-provincial/2019   # the release it amends (sửa đổi, bổ sung), if any

Refs that are not names are read here too: ``YYYY-MM-DD`` (or an ISO date and time)
names the release in force on that day — the latest whose effective date is on or before
it — and ``year:YYYY`` (or ``năm:YYYY``) the release whose assessment years include it.
Tags written before releases carried ``effective`` (a store made by an older parindex)
have none: a methodology none of whose releases says when it takes effect reads a date as
its last commit on or before it, as before; a release without one, beside others that
have one, takes effect on its commit's date.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import yaml

from methodology._yaml import YamlDumper, yaml_load
from methodology.errors import MethodologyError, RefNotFound

__all__ = [
    "AsOf",
    "ForYear",
    "Release",
    "ReleaseError",
    "ReleaseMeta",
    "check_release",
    "format_years",
    "parse_ref",
    "parse_trailer",
    "parse_years",
    "release_for_year",
    "release_in_force",
    "trailer",
]

# A release applying to more years than this is a typo (2022-20300), not a scheme.
MAX_YEARS = 100
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_YEAR_REF = re.compile(r"(year|năm)\s*:\s*(.*)", re.S | re.I)
_YEAR = re.compile(r"[0-9]{1,4}")
_SPAN = re.compile(r"([0-9]{1,4})\s*[-–—]\s*([0-9]{1,4})")
# Before the trailer said it, the release form kept the effective date in the free text.
_LEGACY_EFFECTIVE = re.compile(r"^effective: ([0-9]{4}-[0-9]{2}-[0-9]{2})$", re.M)


class ReleaseError(MethodologyError):
    """A release's metadata is invalid; ``path`` names the field (``years``,
    ``effective``, ``amends``)."""


@dataclass(frozen=True)
class Release:
    """An official release: the annotated tag ``<methodology>/<name>``.

    ``effective`` is None only on a tag written before releases carried it; ``years``
    is empty when the release names no assessment years; ``amends`` is the tag of the
    release this one amends."""

    methodology: str
    name: str
    tag: str
    commit: str
    decision: str
    date: dt.date
    message: str = ""
    effective: dt.date | None = None
    years: tuple[int, ...] = ()
    amends: str | None = None

    @property
    def years_text(self) -> str:
        """The years as people write them: ``2022–2030``, ``2018–2019, 2021``."""
        return format_years(self.years, dash="–")

    def to_json(self) -> dict[str, object]:
        """The release as the API and ``parindex releases --format json`` give it."""
        return {
            "methodology": self.methodology,
            "name": self.name,
            "tag": self.tag,
            "commit": self.commit,
            "decision": self.decision,
            "date": self.date.isoformat(),
            "effective": self.effective.isoformat() if self.effective else None,
            "years": list(self.years),
            "amends": self.amends,
        }


@dataclass(frozen=True)
class ReleaseMeta:
    """What a tag's trailer says, and its free text."""

    decision: str
    date: dt.date
    message: str
    effective: dt.date | None
    years: tuple[int, ...]
    amends: str | None


# --- assessment years -----------------------------------------------------------------


def parse_years(value: object) -> tuple[int, ...]:
    """The assessment years written as ``2022-2030``, ``2018, 2019``, ``2020, 2022–2030``,
    a year, or a list of any of these; sorted, each once. ReleaseError (path ``years``)
    names what is wrong."""
    items: list[object] = list(value) if isinstance(value, list | tuple) else [value]
    years: set[int] = set()
    for item in items:
        if isinstance(item, bool) or not isinstance(item, int | str):
            raise ReleaseError(
                f"years: {item!r} is not a year or a span of years; write e.g. 2022-2030",
                path="years",
            )
        parts = (
            [str(item)] if isinstance(item, int) else unicodedata.normalize("NFC", item).split(",")
        )
        for part in parts:
            years.update(_span(part.strip()))
    if not years:
        raise ReleaseError("years: no year given; write e.g. 2022-2030", path="years")
    if max(years) - min(years) >= MAX_YEARS:
        raise ReleaseError(
            f"years: {min(years)}-{max(years)} spans more than {MAX_YEARS} years", path="years"
        )
    return tuple(sorted(years))


def _span(text: str) -> range:
    span = _SPAN.fullmatch(text)
    if span:
        first, last = int(span[1]), int(span[2])
    elif _YEAR.fullmatch(text):
        first = last = int(text)
    else:
        raise ReleaseError(
            f"years: '{text}' is not a year or a span of years; write e.g. 2022-2030",
            path="years",
        )
    for year in (first, last):
        if not 1 <= year <= 9999:
            raise ReleaseError(f"years: {year} is not a year (1 to 9999)", path="years")
    if last < first:
        raise ReleaseError(f"years: {text} ends before it starts", path="years")
    if last - first >= MAX_YEARS:
        raise ReleaseError(f"years: {text} spans more than {MAX_YEARS} years", path="years")
    return range(first, last + 1)


def format_years(years: Iterable[int], *, dash: str = "-") -> str:
    """Runs of consecutive years as spans: ``(2018, 2019, 2021)`` → ``2018-2019, 2021``."""
    runs: list[list[int]] = []
    for year in sorted(set(years)):
        if runs and year == runs[-1][1] + 1:
            runs[-1][1] = year
        else:
            runs.append([year, year])
    return ", ".join(str(a) if a == b else f"{a}{dash}{b}" for a, b in runs)


# --- the tag's trailer ----------------------------------------------------------------


def trailer(
    decision: str,
    date: dt.date,
    *,
    effective: dt.date,
    years: tuple[int, ...] = (),
    amends: str | None = None,
) -> str:
    """The YAML paragraph that ends a release tag's message."""
    meta: dict[str, object] = {"decision": decision, "date": date, "effective": effective}
    if years:
        meta["years"] = format_years(years)
    if amends:
        meta["amends"] = amends
    text = yaml.dump(meta, Dumper=_Plain, allow_unicode=True, sort_keys=False, width=10_000)
    return text.strip()


class _Plain(YamlDumper):
    """Writes an equal date twice as itself, not as an anchor and its alias."""

    def ignore_aliases(self, data: object) -> bool:
        return True


def parse_trailer(text: str) -> ReleaseMeta | None:
    """What a release tag's message says, or None when it is not a release's (no
    trailer with a decision and a date). Metadata a tag cannot have been written with
    (unreadable years, a date that is no date) reads as absent: the tag exists, and
    refusing to list it would hide it."""
    paragraphs = text.strip().split("\n\n")
    try:
        meta = yaml_load(paragraphs[-1])
    except yaml.YAMLError:
        return None
    if not isinstance(meta, dict) or "decision" not in meta or "date" not in meta:
        return None
    date = _as_date(meta["date"])
    if date is None:
        return None
    free = "\n\n".join(paragraphs[1:-1]).strip()
    effective = _as_date(meta.get("effective"))
    if effective is None:
        legacy = _LEGACY_EFFECTIVE.search(free)
        effective = _as_date(legacy[1]) if legacy else None
    try:
        years = parse_years(meta["years"]) if meta.get("years") is not None else ()
    except ReleaseError:
        years = ()
    amends = meta.get("amends")
    return ReleaseMeta(
        decision=str(meta["decision"]),
        date=date,
        message=free,
        effective=effective,
        years=years,
        amends=str(amends) if amends else None,
    )


def _as_date(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and _DAY.fullmatch(value.strip()):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def check_release(
    methodology: str,
    *,
    date: dt.date,
    effective: dt.date | None,
    years: object,
    amends: str | None,
    existing: Sequence[Release],
) -> tuple[dt.date, tuple[int, ...], str | None]:
    """A new release's (effective date, years, amended tag), checked: the effective date
    (the decision's date when not given) is not before the decision; the years parse;
    the amended release is an earlier one of the same methodology."""
    effective = effective or date
    if effective < date:
        raise ReleaseError(
            f"the effective date {effective.isoformat()} is before the decision date "
            f"{date.isoformat()}",
            path="effective",
            suggestion=f"on or after {date.isoformat()}",
        )
    parsed = () if years is None or years == "" or years == [] else parse_years(years)
    if not amends or not amends.strip():
        return effective, parsed, None
    text = unicodedata.normalize("NFC", amends.strip())
    owner, slash, _ = text.partition("/")
    tag = text if slash else f"{methodology}/{text}"
    if slash and owner != methodology:
        raise ReleaseError(
            f"amends: {text} is not a release of {methodology}; a release amends an "
            "earlier release of its own methodology",
            path="amends",
        )
    by_tag = {r.tag: r for r in existing}
    target = by_tag.get(tag)
    if target is None:
        names = ", ".join(by_tag) or "none"
        raise ReleaseError(
            f"amends: no release {tag} (the releases of {methodology}: {names})",
            path="amends",
        )
    if target.effective is not None and target.effective > effective:
        raise ReleaseError(
            f"amends: {tag} takes effect on {target.effective.isoformat()}, after this "
            f"release ({effective.isoformat()}); a release amends an earlier one",
            path="amends",
        )
    return effective, parsed, tag


# --- refs that name a release by date or by year -------------------------------------


@dataclass(frozen=True)
class AsOf:
    """A date ref: ``day`` as written; ``instant`` the end of that day in UTC, or the
    date and time written (for stores whose releases carry no effective date)."""

    day: dt.date
    instant: dt.datetime


@dataclass(frozen=True)
class ForYear:
    """An assessment-year ref, ``year:2023``."""

    year: int


def parse_ref(ref: str) -> AsOf | ForYear | None:
    """What ``ref`` means when it is not a name: a date (``2025-01-01``, or an ISO date
    and time), an assessment year (``year:2023``, ``năm:2023``), or None (a name or a
    commit, for the caller to look up). RefNotFound when it has a date's or a year's
    shape but is none (``2023-02-30``, ``year:twenty``)."""
    text = unicodedata.normalize("NFC", ref).strip()
    year = _YEAR_REF.fullmatch(text)
    if year:
        digits = year[2].strip()
        if not _YEAR.fullmatch(digits) or int(digits) == 0:
            raise RefNotFound(f"'{ref}' is not an assessment year; write year:YYYY, e.g. year:2023")
        return ForYear(int(digits))
    if _DAY.fullmatch(text):
        try:
            day = dt.date.fromisoformat(text)
        except ValueError as exc:
            raise RefNotFound(f"'{ref}' is not a date: {exc}") from None
        return AsOf(day, dt.datetime.combine(day, dt.time(23, 59, 59), dt.UTC))
    if not _DAY.match(text) or not text.isascii():
        return None
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return AsOf(when.date(), when if when.tzinfo else when.replace(tzinfo=dt.UTC))


def release_in_force(
    releases: Sequence[Release],
    day: dt.date,
    *,
    ref: str,
    since: Callable[[Release], dt.date],
) -> Release:
    """The release of one methodology in force on ``day``: the latest whose effective
    date (``since``) is on or before it; of several taking effect that day, the one
    amending the others. RefNotFound, naming ``ref``, when none is or it is ambiguous."""
    dated = sorted(((since(r), r) for r in releases), key=lambda p: (p[0], p[1].date, p[1].name))
    earlier = [(when, r) for when, r in dated if when <= day]
    if not earlier:
        if not dated:
            raise RefNotFound(f"{ref}: no release to be in force on {day.isoformat()}")
        first_day, first = dated[0]
        raise RefNotFound(
            f"{ref}: no release in force on {day.isoformat()}; the earliest, {first.tag}, "
            f"takes effect on {first_day.isoformat()}",
            candidates=[first.tag],
            suggestion=None,  # the message names it
        )
    latest = earlier[-1][0]
    tied = [r for when, r in earlier if when == latest]
    return _one(tied, releases, ref, f"take effect on {latest.isoformat()}")


def release_for_year(releases: Sequence[Release], year: int, *, ref: str) -> Release:
    """The release of one methodology whose assessment years include ``year``; of
    several, the one amending the others. RefNotFound, naming ``ref``, otherwise."""
    covering = [r for r in releases if year in r.years]
    if not covering:
        named = [f"{r.tag} {format_years(r.years)}" for r in releases if r.years]
        if not named:
            raise RefNotFound(
                f"{ref}: no release names the assessment years it applies to; "
                "name a release or a date instead"
            )
        raise RefNotFound(
            f"{ref}: no release applies to assessment year {year} ({'; '.join(named)})",
            candidates=[r.tag for r in releases if r.years],
            suggestion=None,
        )
    return _one(covering, releases, ref, f"apply to assessment year {year}")


def _one(candidates: list[Release], every: Sequence[Release], ref: str, what: str) -> Release:
    """The candidate no other candidate amends (directly or through a chain)."""
    by_tag = {r.tag: r for r in every}
    amended: set[str] = set()
    for r in candidates:
        tag, seen = r.amends, {r.tag}
        while tag and tag not in seen:  # a chain written by hand may loop
            seen.add(tag)
            amended.add(tag)
            tag = by_tag[tag].amends if tag in by_tag else None
    left = [r for r in candidates if r.tag not in amended]
    if len({r.commit for r in left}) == 1:
        return left[-1]
    tags = [r.tag for r in left]
    raise RefNotFound(
        f"{ref} is ambiguous: {', '.join(tags)} all {what} and none amends the others; "
        "name one of them",
        candidates=tags,
        suggestion=None,
    )
