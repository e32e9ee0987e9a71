"""One node of a methodology (field, criterion or sub-criterion), read from its file.

A node file is Markdown with YAML front matter; the body is the assessors' guidance.
Parsing collects every problem of the file rather than stopping at the first, so an
author sees them all in one `validate` run.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

import yaml

from methodology._frontmatter import Document, split
from methodology._yaml import YamlDumper
from methodology.errors import FormatError
from rules import (
    Adjustment,
    Expression,
    InputSpec,
    Problem,
    RuleError,
    Scoring,
    Type,
    decimal_comma,
    did_you_mean,
    magnitude_problem,
)

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

__all__ = [
    "ASSESSORS",
    "EXPLANATION_WHEN",
    "NODE_KEYS",
    "Applicability",
    "Evidence",
    "Node",
    "Requirements",
    "Source",
    "node_from_document",
    "parse_node",
    "render_guidance",
]

ASSESSORS = ("self", "survey", "appraisal")
NODE_KEYS = (
    "id",
    "code",
    "title",
    "title_en",
    "max_points",
    "assessed_by",
    "inputs",
    "scoring",
    "bonus",
    "penalty",
    "evidence",
    "requires",
    "source",
    "applicability",
    "replaces",
    "aggregation",
    "locked",
)
AGGREGATIONS = ("sum_capped", "sum")
ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_SOURCE_KEYS = (
    "decision",
    "date",
    "issuer",
    "table",
    "row",
    "url",
    "note",
    "illustrative",
    "official",
)
# The parts of a node that `source.official` can name as taken from a public source
# while the node as a whole is illustrative (an official title with chosen points).
OFFICIAL_PARTS = ("title", "max_points", "counts", "scoring")
_APPLICABILITY_KEYS = ("allow_not_applicable", "not_applicable_when")
_REQUIRES_KEYS = ("evidence", "explanation")
# When a unit must write a giải trình for the node: whenever it claims "không phát sinh"
# (`not_applicable`), or always. Missing required evidence is explained the same way.
EXPLANATION_WHEN = ("not_applicable", "always")


@functools.cache
def _markdown() -> MarkdownIt:
    # Imported on first use: reading a tree (`parindex show`, scoring) renders no HTML.
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})


def render_guidance(markdown: str) -> str:
    """Render guidance Markdown to HTML; raw HTML is escaped, links are kept.

    >>> render_guidance("Xem [Quyết định](https://example.vn) <b>x</b>")
    '<p>Xem <a href="https://example.vn">Quyết định</a> &lt;b&gt;x&lt;/b&gt;</p>\\n'
    """
    return str(_markdown().render(markdown))


@dataclass(frozen=True)
class Source:
    """Legal reference of a node, or the mark that it is illustrative."""

    decision: str | None = None
    date: dt.date | None = None
    issuer: str | None = None
    table: str | None = None
    row: str | None = None
    url: str | None = None
    note: str | None = None
    illustrative: bool = False
    # on an illustrative node, the parts that are official nonetheless (OFFICIAL_PARTS)
    official: tuple[str, ...] = ()

    @property
    def provenance(self) -> str:
        if self.illustrative:
            return "illustrative"
        return "official" if self.decision else "unknown"

    def parts(self, leaf: bool) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(official parts, illustrative parts) of a node with this source: a leaf has a
        title, points and a rule; a field or criterion a title, points and its counts."""
        parts = ("title", "max_points", "scoring") if leaf else ("title", "max_points", "counts")
        if not self.illustrative:
            return parts, ()
        return (
            tuple(p for p in parts if p in self.official),
            tuple(p for p in parts if p not in self.official),
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in _SOURCE_KEYS:
            value = getattr(self, key)
            if value not in (None, False, ()):
                out[key] = list(value) if isinstance(value, tuple) else value
        return out


@dataclass(frozen=True)
class Evidence:
    """A document the unit must attach (tài liệu kiểm chứng)."""

    title: str
    required: bool = True

    def to_dict(self) -> Any:
        return self.title if self.required else {"title": self.title, "required": False}


@dataclass(frozen=True)
class Requirements:
    """What a unit's self-assessment of the node must carry before it is submitted.

    ``evidence``: a file or a named document (số/ký hiệu, trích yếu …), or else a giải
    trình saying why there is none; ``explanation``: the occasions (`EXPLANATION_WHEN`)
    on which a giải trình is required whatever the evidence."""

    evidence: bool = False
    explanation: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.evidence:
            out["evidence"] = True
        if self.explanation:
            out["explanation"] = list(self.explanation)
        return out


@dataclass(frozen=True)
class Applicability:
    """Whether "không phát sinh" may be claimed, and the unit facts that rule the node out."""

    allow_not_applicable: bool = False
    not_applicable_when: Expression | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.allow_not_applicable:
            out["allow_not_applicable"] = True
        if self.not_applicable_when is not None:
            out["not_applicable_when"] = self.not_applicable_when.render()
        return out


@dataclass(frozen=True)
class Node:
    """A field, criterion or sub-criterion as written in its file."""

    id: str
    code: str
    title: str
    max_points: Decimal
    title_en: str | None = None
    assessed_by: str = "self"
    inputs: Mapping[str, InputSpec] = field(default_factory=dict)
    scoring: Scoring | None = None
    bonus: Adjustment | None = None
    penalty: Adjustment | None = None
    evidence: tuple[Evidence, ...] = ()
    requires: Requirements = Requirements()
    source: Source = Source()
    applicability: Applicability = Applicability()
    replaces: tuple[str, ...] = ()
    aggregation: str = "sum_capped"
    locked: bool = False
    guidance: str = ""
    # Where the node sits; filled by the tree loader, not part of the file's content.
    path: str | None = None
    parent: str | None = None
    blob: str | None = None
    # JSON path → (line, column) in the file, so later checks can point at the text.
    positions: Mapping[str, tuple[int, int]] = field(
        default_factory=dict, compare=False, repr=False
    )

    @property
    def provenance(self) -> str:
        return self.source.provenance

    def provenance_parts(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(official parts, illustrative parts) of this node, see `Source.parts`."""
        leaf = self.scoring is not None or self.assessed_by != "self" or bool(self.inputs)
        return self.source.parts(leaf)

    def front_matter(self) -> dict[str, Any]:
        """The canonical front matter mapping (keys in NODE_KEYS order, defaults omitted)."""
        out: dict[str, Any] = {"id": self.id, "code": self.code, "title": self.title}
        if self.title_en:
            out["title_en"] = self.title_en
        out["max_points"] = self.max_points
        if self.assessed_by != "self":
            out["assessed_by"] = self.assessed_by
        if self.inputs:
            out["inputs"] = {key: spec.to_dict() for key, spec in self.inputs.items()}
        if self.scoring is not None:
            out["scoring"] = self.scoring.to_dict()
        for name in ("bonus", "penalty"):
            adjustment = getattr(self, name)
            if adjustment is not None:
                out[name] = adjustment.to_dict()
        if self.evidence:
            out["evidence"] = [item.to_dict() for item in self.evidence]
        if self.requires != Requirements():
            out["requires"] = self.requires.to_dict()
        if self.source != Source():
            out["source"] = self.source.to_dict()
        if self.applicability != Applicability():
            out["applicability"] = self.applicability.to_dict()
        if self.replaces:
            out["replaces"] = list(self.replaces)
        if self.aggregation != "sum_capped":
            out["aggregation"] = self.aggregation
        if self.locked:
            out["locked"] = True
        return out

    def to_text(self) -> str:
        """Serialise to a node file: front matter then guidance."""
        front = yaml.dump(
            _plain(self.front_matter()),
            Dumper=_Dumper,
            allow_unicode=True,
            sort_keys=False,
            width=100,
        )
        body = self.guidance
        return f"---\n{front}---\n{body}"

    def located(self, *, path: str | None, parent: str | None, blob: str | None) -> Node:
        return replace(self, path=path, parent=parent, blob=blob)


class _Dumper(YamlDumper):
    pass


def _represent_decimal(dumper: _Dumper, value: Decimal) -> yaml.Node:
    text = format(value, "f")
    if "." in text:
        return dumper.represent_scalar("tag:yaml.org,2002:float", text)
    return dumper.represent_scalar("tag:yaml.org,2002:int", text)


_Dumper.add_representer(Decimal, _represent_decimal)


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


class _Collector:
    """Accumulates problems found in one file."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.problems: list[Problem] = []

    def add(
        self,
        path: str,
        message: str,
        *,
        code: str,
        suggestion: str | None = None,
        severity: str = "error",
    ) -> None:
        origin = self.doc.locate(path)
        self.problems.append(
            Problem(
                severity=severity,
                code=code,
                message=message,
                path=path or None,
                file=self.doc.file,
                line=origin.line if origin else None,
                column=origin.column if origin else None,
                suggestion=suggestion,
            )
        )

    def add_error(self, exc: RuleError | FormatError, *, code: str) -> None:
        self.problems.append(problem_from_error(exc, code=code, file=self.doc.file))


def problem_from_error(exc: Exception, *, code: str, file: str | None = None) -> Problem:
    """Turn a raised rule or format error into a Problem, keeping its position."""
    return Problem(
        severity="error",
        code=code,
        message=getattr(exc, "message", str(exc)),
        path=getattr(exc, "path", None),
        file=getattr(exc, "file", None) or file,
        line=getattr(exc, "line", None),
        column=getattr(exc, "column", None),
        suggestion=getattr(exc, "suggestion", None),
    )


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        result = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return result if result.is_finite() else None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return unicodedata.normalize("NFC", str(value)).strip()


def parse_node(
    text: str,
    *,
    file: str | None = None,
    facts: Mapping[str, InputSpec] | None = None,
) -> tuple[Node | None, list[Problem]]:
    """Parse a node file; return the node (None if unusable) and every problem found.

    ``facts`` are the unit facts declared by the methodology's manifest; rules and
    applicability conditions may refer to them.
    """
    try:
        doc = split(text, file=file)
    except FormatError as exc:
        return None, [problem_from_error(exc, code="malformed-front-matter", file=file)]
    return node_from_document(doc, facts=facts)


def node_from_document(
    doc: Document, *, facts: Mapping[str, InputSpec] | None = None
) -> tuple[Node | None, list[Problem]]:
    """Build a node from already-split front matter and body (see `parse_node`).

    Derived indices use it to build overridden nodes from merged data while keeping
    the positions of the overlay file they were written in.
    """
    facts = facts or {}
    c = _Collector(doc)
    data = doc.data
    for key in data:
        if key not in NODE_KEYS:
            c.add(
                key,
                f"unknown key '{key}'",
                code="unknown-key",
                suggestion=did_you_mean(key, NODE_KEYS),
            )

    node_id = _text(data.get("id"))
    if not node_id:
        c.add("", "missing 'id'", code="missing-key")
        return None, c.problems
    if not ID_RE.match(node_id):
        c.add("id", f"id '{node_id}' must be a lowercase slug (a-z, 0-9, '-', '_')", code="bad-id")
    code = _text(data.get("code"))
    if not code:
        c.add("", "missing 'code'", code="missing-key")
        code = ""
    title = _text(data.get("title"))
    if not title:
        c.add("", "missing 'title'", code="missing-key")
        title = ""
    max_points = _decimal(data.get("max_points"))
    if max_points is None:
        # Validation checks nothing that needs this node's maximum (its points, its
        # parent's sum): one error here, not its knock-on effects.
        raw = data.get("max_points")
        dotted = decimal_comma(raw)
        if dotted is not None:
            c.add(
                "max_points",
                f"max_points {raw!r} dùng dấu phẩy thập phân: hãy viết {dotted}",
                code="bad-points",
                suggestion=f"max_points: {dotted}",
            )
        else:
            c.add(
                "max_points" if "max_points" in data else "",
                "missing or invalid 'max_points' (a decimal number)",
                code="bad-points",
            )
        max_points = Decimal(0)
    elif max_points < 0:
        c.add("max_points", f"max_points {max_points} is negative", code="bad-points")
    elif magnitude_problem(max_points):
        c.add("max_points", f"max_points: {magnitude_problem(max_points)}", code="bad-points")

    assessed_by = _text(data.get("assessed_by")) or "self"
    if assessed_by not in ASSESSORS:
        c.add(
            "assessed_by",
            f"assessed_by must be one of {', '.join(ASSESSORS)}, not '{assessed_by}'",
            code="bad-value",
            suggestion=did_you_mean(assessed_by, ASSESSORS),
        )

    inputs = _parse_inputs(data.get("inputs"), c)
    scoring = _parse_scoring(data, assessed_by, inputs, facts, max_points, c)
    bonus = _parse_adjustment("bonus", data.get("bonus"), inputs, facts, c)
    penalty = _parse_adjustment("penalty", data.get("penalty"), inputs, facts, c)
    applicability = _parse_applicability(data.get("applicability"), facts, c)
    requires = _parse_requires(data.get("requires"), assessed_by, applicability, c)

    aggregation = _text(data.get("aggregation")) or "sum_capped"
    if aggregation not in AGGREGATIONS:
        c.add(
            "aggregation",
            f"aggregation must be one of {', '.join(AGGREGATIONS)}",
            code="bad-value",
            suggestion=did_you_mean(aggregation, AGGREGATIONS),
        )
    locked = data.get("locked", False)
    if not isinstance(locked, bool):
        c.add("locked", "locked must be true or false", code="bad-value")
        locked = False

    node = Node(
        id=node_id,
        code=code,
        title=title,
        title_en=_text(data.get("title_en")),
        max_points=max_points,
        assessed_by=assessed_by,
        inputs=inputs,
        scoring=scoring,
        bonus=bonus,
        penalty=penalty,
        evidence=_parse_evidence(data.get("evidence"), c),
        requires=requires,
        source=_parse_source(data.get("source"), c),
        applicability=applicability,
        replaces=_parse_replaces(data.get("replaces"), c),
        aggregation=aggregation,
        locked=locked,
        guidance=doc.body,
        positions=doc.positions,
    )
    return node, c.problems


def _parse_inputs(raw: Any, c: _Collector) -> dict[str, InputSpec]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        c.add(
            "inputs", "inputs must be a mapping of input id to its declaration", code="bad-inputs"
        )
        return {}
    out: dict[str, InputSpec] = {}
    for key, spec in raw.items():
        if not isinstance(spec, Mapping):
            c.add(
                f"inputs.{key}",
                f"input '{key}' must be a mapping (type, label, …)",
                code="bad-inputs",
            )
            continue
        try:
            out[key] = InputSpec.from_dict(key, spec, path=f"inputs.{key}", locate=c.doc.locate)
        except RuleError as exc:
            c.add_error(exc, code="bad-inputs")
            # only a bound is wrong (say `min: 0,5`): the rules still know the input, so
            # the mistake is one error, not an "unknown name" in every rule using it
            bound = (exc.path or "").rpartition(".")[2]
            if bound in ("min", "max"):
                unbounded = {k: v for k, v in spec.items() if k != bound}
                with contextlib.suppress(RuleError):
                    out[key] = InputSpec.from_dict(key, unbounded, path=f"inputs.{key}")
    return out


def _parse_scoring(
    data: Mapping[str, Any],
    assessed_by: str,
    inputs: dict[str, InputSpec],
    facts: Mapping[str, InputSpec],
    max_points: Decimal,
    c: _Collector,
) -> Scoring | None:
    raw = data.get("scoring")
    if raw is None:
        # Survey and appraisal nodes need no rule text: their kind says where points come from.
        if assessed_by == "survey":
            raw = {"kind": "survey"}
        elif assessed_by == "appraisal":
            raw = {"kind": "manual"}
        else:
            return None
    if not isinstance(raw, Mapping):
        c.add("scoring", "scoring must be a mapping with a 'kind'", code="bad-scoring")
        return None
    try:
        return Scoring.from_dict(
            raw,
            inputs=inputs,
            facts=facts,
            max_points=max_points,
            path="scoring",
            locate=c.doc.locate,
        )
    except RuleError as exc:
        c.add_error(exc, code="bad-scoring")
        return None


def _parse_adjustment(
    kind: str, raw: Any, inputs: dict[str, InputSpec], facts: Mapping[str, InputSpec], c: _Collector
) -> Adjustment | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        c.add(kind, f"{kind} must be a mapping with 'cap' and 'rules'", code="bad-scoring")
        return None
    try:
        return Adjustment.from_dict(
            kind, raw, inputs=inputs, facts=facts, path=kind, locate=c.doc.locate
        )
    except RuleError as exc:
        c.add_error(exc, code="bad-scoring")
        return None


def _parse_applicability(raw: Any, facts: Mapping[str, InputSpec], c: _Collector) -> Applicability:
    if raw is None:
        return Applicability()
    if not isinstance(raw, Mapping):
        c.add("applicability", "applicability must be a mapping", code="bad-value")
        return Applicability()
    for key in raw:
        if key not in _APPLICABILITY_KEYS:
            c.add(
                f"applicability.{key}",
                f"unknown key '{key}'",
                code="unknown-key",
                suggestion=did_you_mean(key, _APPLICABILITY_KEYS),
            )
    allow = raw.get("allow_not_applicable", False)
    if not isinstance(allow, bool):
        c.add(
            "applicability.allow_not_applicable",
            "allow_not_applicable must be true or false",
            code="bad-value",
        )
        allow = False
    condition = None
    text = raw.get("not_applicable_when")
    if text is not None:
        path = "applicability.not_applicable_when"
        try:
            condition = Expression.parse(
                str(text), facts, expect=Type.BOOL, origin=c.doc.locate(path)
            )
        except RuleError as exc:
            c.add_error(exc, code="bad-applicability")
    return Applicability(allow_not_applicable=allow, not_applicable_when=condition)


def _parse_requires(
    raw: Any, assessed_by: str, applicability: Applicability, c: _Collector
) -> Requirements:
    if raw is None:
        return Requirements()
    if not isinstance(raw, Mapping):
        c.add(
            "requires",
            "requires must be a mapping (evidence: true, explanation: [not_applicable])",
            code="bad-value",
        )
        return Requirements()
    for key in raw:
        if key not in _REQUIRES_KEYS:
            c.add(
                f"requires.{key}",
                f"unknown key '{key}'",
                code="unknown-key",
                suggestion=did_you_mean(key, _REQUIRES_KEYS),
            )
    if assessed_by != "self":
        # The unit submits nothing for a survey or appraisal node: nothing to attach.
        c.add(
            "requires",
            f"requires is for self-assessed nodes, not for one assessed by {assessed_by}",
            code="bad-value",
        )
    evidence = raw.get("evidence", False)
    if not isinstance(evidence, bool):
        c.add("requires.evidence", "requires.evidence must be true or false", code="bad-value")
        evidence = False
    when = raw.get("explanation", [])
    if isinstance(when, str):
        when = [when]
    if not isinstance(when, list):
        c.add(
            "requires.explanation",
            f"requires.explanation must be a list of {', '.join(EXPLANATION_WHEN)}",
            code="bad-value",
        )
        when = []
    occasions: list[str] = []
    for i, item in enumerate(when):
        path = (
            f"requires.explanation[{i}]"
            if isinstance(raw.get("explanation"), list)
            else ("requires.explanation")
        )
        if item not in EXPLANATION_WHEN:
            c.add(
                path,
                f"an explanation is required when one of {', '.join(EXPLANATION_WHEN)}, "
                f"not '{item}'",
                code="bad-value",
                suggestion=did_you_mean(str(item), EXPLANATION_WHEN),
            )
        elif item == "not_applicable" and not applicability.allow_not_applicable:
            c.add(
                path,
                "an explanation when not_applicable needs applicability.allow_not_applicable: "
                "true (otherwise the unit cannot claim it)",
                code="bad-value",
            )
        elif item not in occasions:
            occasions.append(item)
    return Requirements(evidence=evidence, explanation=tuple(occasions))


def _parse_evidence(raw: Any, c: _Collector) -> tuple[Evidence, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        c.add("evidence", "evidence must be a list of documents", code="bad-value")
        return ()
    out = []
    for i, item in enumerate(raw):
        if isinstance(item, str):
            out.append(Evidence(title=_text(item) or ""))
        elif isinstance(item, Mapping) and item.get("title"):
            out.append(
                Evidence(
                    title=_text(item["title"]) or "", required=bool(item.get("required", True))
                )
            )
        else:
            c.add(
                f"evidence[{i}]",
                "each evidence item is a title or {title, required}",
                code="bad-value",
            )
    return tuple(out)


def _parse_source(raw: Any, c: _Collector) -> Source:
    if raw is None:
        return Source()
    if not isinstance(raw, Mapping):
        c.add(
            "source",
            "source must be a mapping (decision, date, table, row) or {illustrative: true}",
            code="bad-value",
        )
        return Source()
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in _SOURCE_KEYS:
            c.add(
                f"source.{key}",
                f"unknown key '{key}'",
                code="unknown-key",
                suggestion=did_you_mean(key, _SOURCE_KEYS),
            )
        elif key == "illustrative":
            if not isinstance(value, bool):
                c.add("source.illustrative", "illustrative must be true or false", code="bad-value")
            else:
                values[key] = value
        elif key == "date":
            if isinstance(value, dt.date):
                values[key] = value
            else:
                c.add("source.date", "date must be written YYYY-MM-DD", code="bad-value")
        elif key == "official":
            if not isinstance(value, list) or not all(v in OFFICIAL_PARTS for v in value):
                c.add(
                    "source.official",
                    f"official lists the official parts among: {', '.join(OFFICIAL_PARTS)}",
                    code="bad-value",
                )
            else:
                values[key] = tuple(value)
        else:
            values[key] = _text(value)
    return Source(**values)


def _parse_replaces(raw: Any, c: _Collector) -> tuple[str, ...]:
    if raw is None:
        return ()
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
        c.add("replaces", "replaces must be a list of node ids", code="bad-value")
        return ()
    return tuple(_text(x) or "" for x in raw)
