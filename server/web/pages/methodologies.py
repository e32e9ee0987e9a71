"""The methodology pages: a version's tree, one node, and the diff of two versions.

Each handler reads through `server.services.methodologies` (the API's `methodology.read`
check included) and lays the answer out; the word-level highlighting of a diff is the
only thing computed here, since it is about how the text is shown.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import quote

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.response import Template
from markupsafe import Markup, escape

from methodology import Methodology, Node, change_kind, render_guidance, to_json_value
from server.auth import Principal
from server.deps import Services
from server.format import vi_number
from server.labels import (
    DERIVATION_LABELS,
    EVENT_LABELS,
    INPUT_TYPE_LABELS,
    NODE_KEY_LABELS,
    PROVENANCE_LABELS,
    RELEASE_LABELS,
    kind_label,
    provenance_parts,
)
from server.services.methodologies import (
    DiffItem,
    diff_view,
    node_view,
    tree_view,
)
from server.web.render import page

__all__ = ["MethodologyPages", "word_diff"]

# "phien-ban": any version the store resolves (a release, a branch, a commit, a date)
Version = Annotated[str | None, QueryParameter(name="phien-ban", max_length=300)]
Side = Annotated[str | None, QueryParameter(max_length=301)]
Svc = NamedDependency[Services]
Who = NamedDependency[Principal]

LABELS = {
    "kind": kind_label,
    "provenance": PROVENANCE_LABELS,
    "parts": provenance_parts,
    "derivation": DERIVATION_LABELS,
    "key": NODE_KEY_LABELS,
    "event": EVENT_LABELS,
    "input_type": INPUT_TYPE_LABELS,
}


class MethodologyPages(Controller):
    path = "/bo-chi-so"

    @get("/{slug:str}", sync_to_thread=True, name="methodology-tree")
    def tree(
        self,
        request: Request,
        services: Svc,
        viewer: Who,
        slug: FromPath[str],
        phien_ban: Version = None,
    ) -> Template:
        view = tree_view(services.store, viewer, slug, _ref(phien_ban))
        # the release read: the version's commit is tagged (a date or a year names one too)
        shown = [r for r in view.releases if r.commit == view.methodology.commit]
        return page(
            request,
            "methodology_tree.html",
            m=view.methodology,
            fields=view.fields,
            counts=view.methodology.counts(),
            releases=view.releases,
            release=shown[-1] if shown else None,
            release_labels=RELEASE_LABELS,
            # the version read (an anonymous reader without one gets the latest release)
            version=view.methodology.ref or "",
            version_query=_query(view.methodology.ref),
            labels=LABELS,
        )

    @get("/{slug:str}/so-sanh", sync_to_thread=True, name="methodology-diff")
    def diff(
        self,
        request: Request,
        services: Svc,
        viewer: Who,
        slug: FromPath[str],
        tu: Side = None,
        den: Side = None,
    ) -> Template:
        source, target = _ref(tu), _ref(den)
        view = (
            diff_view(services.store, viewer, slug, source, target) if source and target else None
        )
        groups = (
            [
                (change_kind(kind).vi, [_diff_row(view.source, view.target, i) for i in items])
                for kind, items in view.groups
            ]
            if view is not None
            else []
        )
        return page(
            request,
            "methodology_diff.html",
            slug=slug,
            view=view,
            groups=groups,
            tu=tu or "",
            den=den or "",
            releases=services.store.releases(slug),
        )

    @get("/{slug:str}/{node_id:str}", sync_to_thread=True, name="methodology-node")
    def node(
        self,
        request: Request,
        services: Svc,
        viewer: Who,
        slug: FromPath[str],
        node_id: FromPath[str],
        phien_ban: Version = None,
    ) -> Template:
        view = node_view(services.store, viewer, slug, node_id, _ref(phien_ban))
        return page(
            request,
            "methodology_node.html",
            v=view,
            m=view.methodology,
            n=view.node,
            guidance=Markup(render_guidance(view.node.guidance)),  # markdown-it, raw HTML off
            inputs=[_input_row(spec) for spec in view.node.inputs.values()],
            version=view.methodology.ref or "",
            version_query=_query(view.methodology.ref),
            labels=LABELS,
        )


_DAY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


def _ref(version: str | None) -> str | None:
    """The version as the store reads it: a date typed ``31/12/2022`` becomes ISO."""
    text = (version or "").strip()
    day = _DAY.fullmatch(text)
    if day:
        return f"{day[3]}-{int(day[2]):02d}-{int(day[1]):02d}"
    return text or None


def _query(version: str | None) -> str:
    """``?phien-ban=…`` to keep the version on the links of a page ('' for the default)."""
    return f"?phien-ban={quote(version, safe='')}" if version else ""


@dataclass(frozen=True)
class InputRow:
    id: str
    label: str
    type: str
    unit: str
    bounds: str
    choices: str


def _input_row(spec: Any) -> InputRow:
    low, high = spec.domain_min, spec.domain_max
    percent = spec.type == "ratio"

    def show(value: Decimal | None) -> str:
        if value is None:
            return ""
        return f"{vi_number(value * 100)} %" if percent else vi_number(value)

    if low is not None and high is not None:
        bounds = f"từ {show(low)} đến {show(high)}"
    elif low is not None:
        bounds = f"từ {show(low)} trở lên"
    elif high is not None:
        bounds = f"đến {show(high)}"
    else:
        bounds = ""
    return InputRow(
        id=spec.id,
        label=spec.label,
        type=INPUT_TYPE_LABELS.get(str(spec.type), str(spec.type)),
        unit=spec.unit or "",
        bounds=bounds,
        choices=", ".join(spec.choices),
    )


# --- the diff ------------------------------------------------------------------------

_TOKEN = re.compile(r"\s+|\w+|[^\w\s]")


def word_diff(before: str, after: str) -> tuple[Markup, Markup]:
    """``before`` with the words it loses in <del>, ``after`` with the words it gains in
    <ins>; everything else escaped. Changed words separated only by spaces are one run."""
    old, new = _TOKEN.findall(before or ""), _TOKEN.findall(after or "")
    runs: list[list[Any]] = []  # [changed, old text, new text]
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        runs.append([op != "equal", "".join(old[i1:i2]), "".join(new[j1:j2])])
    for k in range(1, len(runs) - 1):
        if not runs[k][0] and not runs[k][1].strip() and runs[k - 1][0] and runs[k + 1][0]:
            runs[k][0] = True
    merged: list[list[Any]] = []
    for run in runs:
        if merged and merged[-1][0] and run[0]:
            merged[-1][1] += run[1]
            merged[-1][2] += run[2]
        else:
            merged.append(run)
    left, right = [], []
    for changed, gone, came in merged:
        if not changed:
            left.append(str(escape(gone)))
            right.append(str(escape(came)))
            continue
        if gone:
            left.append(f"<del>{escape(gone)}</del>")
        if came:
            right.append(f"<ins>{escape(came)}</ins>")
    return Markup("".join(left)), Markup("".join(right))


@dataclass(frozen=True)
class DiffRow:
    """One change as the diff page shows it: the node on each side (its link) and the
    lines that differ, each as (what, before, after)."""

    code: str
    title: str
    before_link: str | None
    after_link: str | None
    lines: list[tuple[str, Markup, Markup]]


def _link(m: Methodology, node: Node | None) -> str | None:
    if node is None:
        return None
    return f"/bo-chi-so/{m.name}/{node.id}{_query(m.ref or m.commit)}"


def _text(value: Any) -> str:
    value = to_json_value(value)
    if value is None:
        return ""
    if isinstance(value, int | float):
        return vi_number(value)
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, indent=1)


def _rule(node: Node | None) -> str:
    if node is None or node.scoring is None:
        return ""
    return node.scoring.describe(node.max_points)


def _diff_row(a: Methodology, b: Methodology, item: DiffItem) -> DiffRow:
    change, old, new = item.change, item.before, item.after
    kind = change.kind
    if kind in ("added", "removed", "renamed"):
        lines = [("tên", *word_diff(old.title if old else "", new.title if new else ""))]
    elif kind == "guidance_changed":
        lines = [
            ("hướng dẫn", *word_diff(old.guidance if old else "", new.guidance if new else ""))
        ]
    elif kind == "rule_changed":
        lines = [("cách chấm điểm", *word_diff(_rule(old), _rule(new)))]
    else:
        keys = list(dict.fromkeys([*change.before, *change.after]))
        lines = [
            (
                NODE_KEY_LABELS.get(key, key),
                *word_diff(_text(change.before.get(key)), _text(change.after.get(key))),
            )
            for key in keys
        ]
    return DiffRow(
        code=change.code,
        title=change.title,
        before_link=_link(a, old),
        after_link=_link(b, new),
        lines=lines,
    )
