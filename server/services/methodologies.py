"""Reading, editing, releasing, deriving and rebasing methodologies for the API."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from methodology import (
    BlameLine,
    Change,
    CreateNode,
    DeleteNode,
    Derivation,
    EditConflict,
    EditRejected,
    Methodology,
    MethodologyError,
    MoveNode,
    Node,
    Person,
    Put,
    Release,
    ReleaseError,
    Spec,
    StaleBaseError,
    Store,
    StoreError,
    UpdateNode,
    WriteOverlay,
    apply_edits,
    check_edits,
    diff,
    guidance_blame,
    lineage,
    log_entries,
    open_methodology,
    parse_node,
    parse_overlay,
    plan_rebase,
    render_guidance,
    to_json_value,
    validate,
    write_rebase,
    yaml_dump,
    yaml_load,
)
from rules import Problem
from server.auth import Principal, require
from server.errors import BadRequest, Conflict, NotFound, Unprocessable

__all__ = [
    "SLUG",
    "CatalogEntry",
    "DiffItem",
    "DiffView",
    "EditCheck",
    "FieldOutline",
    "NodeEdit",
    "NodeView",
    "OutlineRow",
    "TreeView",
    "catalog",
    "check_edit",
    "check_node",
    "check_nodes",
    "create_methodology",
    "delete_node",
    "diff_specs",
    "diff_view",
    "get_node",
    "get_overlay",
    "list_methodologies",
    "methodology_log",
    "methodology_scope",
    "move_node",
    "node_view",
    "outline",
    "put_node",
    "put_nodes",
    "put_overlay",
    "read_version",
    "rebase_apply",
    "rebase_report",
    "release",
    "resolve_rebase",
    "show",
    "tree_view",
    "version_scope",
    "versions",
]

# Slugs name folders and files in the store: nothing else can ever be written.
SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")


def check_slug(value: str, what: str) -> str:
    if not SLUG.match(value or ""):
        raise BadRequest(
            f"invalid {what} '{value}'",
            [{"path": f"$.{what}", "message": "must match [a-z0-9][a-z0-9_-]*"}],
        )
    return value


def _open(store: Store, slug: str, ref: str | None) -> Methodology:
    check_slug(slug, "methodology")
    return open_methodology(store, Spec(slug, ref or None))


def list_methodologies(store: Store, *, released_only: bool = False) -> list[dict[str, Any]]:
    """Every methodology with its releases; ``released_only`` (anonymous readers) lists
    only released ones, described at their latest release rather than the working head."""
    head = store.head()
    tags: dict[str, list[Any]] = {}
    for release in store.releases():
        tags.setdefault(release.methodology, []).append(release)
    out = []
    for name in sorted(store.methodologies(head)) if head else []:
        releases = tags.get(name, [])
        if released_only and not releases:
            continue
        m = open_methodology(store, Spec(name, releases[-1].tag if released_only else None))
        manifest = m.manifest
        out.append(
            {
                "slug": name,
                "title": manifest.title if manifest else None,
                "level": manifest.level if manifest else None,
                "extends": dict(m.extends) if m.extends else None,
                "commit": m.commit,
                "releases": [r.tag for r in releases],
            }
        )
    return out


@dataclass(frozen=True)
class CatalogEntry:
    """A methodology as the catalog page lists it: its releases (decision, date) and the
    derived indices that extend it."""

    slug: str
    title: str
    level: str
    extends: str | None
    releases: list[Release]
    derived: list[CatalogEntry] = field(default_factory=list)


def catalog(store: Store, *, released_only: bool = False) -> list[CatalogEntry]:
    """The methodologies of `list_methodologies`, national ones first with each derived
    index under the one it extends (a derived index whose base is absent stands alone)."""
    by_slug: dict[str, list[Release]] = {}
    for r in store.releases():
        by_slug.setdefault(r.methodology, []).append(r)
    entries = {
        m["slug"]: CatalogEntry(
            slug=m["slug"],
            title=m["title"] or m["slug"],
            level=m["level"] or "",
            extends=(m["extends"] or {}).get("methodology"),
            releases=by_slug.get(m["slug"], []),
        )
        for m in list_methodologies(store, released_only=released_only)
    }
    top: list[CatalogEntry] = []
    for entry in entries.values():
        base = entries.get(entry.extends) if entry.extends else None
        (base.derived if base is not None else top).append(entry)
    return top


def show(store: Store, slug: str, ref: str | None) -> dict[str, Any]:
    return _open(store, slug, ref).to_json()


def versions(store: Store, slug: str) -> dict[str, list[dict[str, Any]]]:
    check_slug(slug, "methodology")
    releases = [r.to_json() for r in store.releases(slug)]
    commits = log_entries(store, Spec(slug))
    if not commits:
        raise NotFound(f"no methodology '{slug}'")
    return {"releases": releases, "commits": commits}


def methodology_log(store: Store, slug: str, node: str | None) -> list[dict[str, Any]]:
    check_slug(slug, "methodology")
    if node is not None:
        check_slug(node, "node")
    return log_entries(store, Spec(slug), node)


def get_node(store: Store, slug: str, node_id: str, ref: str | None) -> dict[str, Any]:
    m = _open(store, slug, ref)
    check_slug(node_id, "node")
    node = m.nodes.get(node_id)
    if node is None:
        raise NotFound(f"no node '{node_id}' in {slug}")
    data = {"methodology": slug, "ref": ref, "commit": m.commit, **_node_json(m, node)}
    return data


def _node_json(m: Methodology, node: Node) -> dict[str, Any]:
    front = to_json_value(node.front_matter())
    return {
        "id": node.id,
        "parent": node.parent,
        "level": m.level(node.id),
        "provenance": node.provenance,
        "front_matter": front,
        "guidance": node.guidance,
        "guidance_html": render_guidance(node.guidance),
        "children": [c.id for c in m.children_of(node.id)],
        "derivation": m.derivation[node.id].to_json() if node.id in m.derivation else None,
    }


def _node_text(node_id: str, fields: dict[str, Any]) -> str:
    """A node file from the API's `node` object: front matter keys plus `guidance`."""
    data = {k: v for k, v in fields.items() if k not in ("guidance", "parent")}
    data.setdefault("id", node_id)
    if data["id"] != node_id:
        raise Unprocessable(
            "the node's id must match the URL",
            [{"path": "$.node.id", "message": f"expected '{node_id}'"}],
        )
    front = yaml_dump(data, allow_unicode=True, sort_keys=False)
    return f"---\n{front}---\n{fields.get('guidance') or ''}"


def put_node(
    store: Store, slug: str, node_id: str, body: dict[str, Any], author: Person
) -> dict[str, Any]:
    check_slug(slug, "methodology")
    check_slug(node_id, "node")
    fields, base, message = body.get("node"), body.get("base"), body.get("message")
    if not isinstance(fields, dict):
        raise BadRequest(
            "the body needs a `node` object",
            [{"path": "$.node", "message": "missing or not an object"}],
        )
    if not base or not isinstance(base, str):
        raise BadRequest(
            "the body needs `base`: the commit the editor started from",
            [{"path": "$.base", "message": "missing"}],
        )
    text = _node_text(node_id, fields)
    node, problems = parse_node(text)
    errors = [p for p in problems if p.severity == "error"]
    if node is None or errors:
        raise Unprocessable(
            "the node is invalid",
            [
                {
                    "path": f"$.node.{p.path}" if p.path else "$.node",
                    "message": p.message + (f" ({p.suggestion})" if p.suggestion else ""),
                }
                for p in errors
            ],
        )
    current = open_methodology(store, Spec(slug, base))
    if node_id in current.nodes:
        edit: Any = UpdateNode(node_id, text)
    else:
        parent = fields.get("parent")
        if parent is not None:
            check_slug(parent, "parent")
        edit = CreateNode(parent, text)
    commit = _apply(store, slug, [edit], author, message or f"{slug}: {node_id}", base)
    return {"commit": commit, "node": get_node(store, slug, node_id, commit)}


def delete_node(
    store: Store, slug: str, node_id: str, base: str, author: Person, message: str | None
) -> dict[str, Any]:
    check_slug(slug, "methodology")
    check_slug(node_id, "node")
    commit = _apply(
        store, slug, [DeleteNode(node_id)], author, message or f"{slug}: delete {node_id}", base
    )
    return {"commit": commit}


def _apply(
    store: Store, slug: str, edits: list[Any], author: Person, message: str, base: str
) -> str:
    try:
        return apply_edits(store, slug, edits, author=author, message=message, base=base)
    except EditConflict as exc:
        errors = [{"path": f"$.base ({p})", "message": "changed since base"} for p in exc.conflicts]
        errors += [
            {"path": f"$ ({p.file})" if p.file else "$", "message": p.message}
            for p in exc.report.errors
        ]
        raise Conflict(str(exc), errors, newer=exc.head) from exc
    except StaleBaseError as exc:
        head = store.head()
        raise Conflict(
            f"the node changed after {base[:10]}; the newer commit is {head}", newer=head
        ) from exc
    except EditRejected:
        raise  # mapped to 422 with every validation error, not the one-line form below
    except MethodologyError as exc:
        raise Unprocessable(str(exc)) from exc


def release(store: Store, slug: str, body: dict[str, Any], tagger: Person) -> dict[str, Any]:
    """Tag a validated version: the decision, its date, and what
    `methodology.Store.tag_release` checks — the effective date (the decision's when not
    given), the assessment years and the release it amends (400 naming the field)."""
    check_slug(slug, "methodology")
    missing = [k for k in ("ref", "name", "decision", "date") if not body.get(k)]
    if missing:
        raise BadRequest(
            "missing fields", [{"path": f"$.{k}", "message": "required"} for k in missing]
        )
    check_slug(str(body["name"]), "name")
    date = _iso_date(body["date"], "date")
    effective = _iso_date(body["effective"], "effective") if body.get("effective") else None
    m = _open(store, slug, str(body["ref"]))
    report = validate(m)
    if not report.ok:
        raise Unprocessable(
            f"{slug}@{body['ref']} does not validate; it cannot be released",
            [{"path": p.file or "$", "message": p.message} for p in report.errors],
        )
    assert m.commit is not None  # opened from the store, so at a commit
    try:
        r = store.tag_release(
            slug,
            str(body["name"]),
            m.commit,
            decision=str(body["decision"]),
            date=date,
            effective=effective,
            years=body.get("years"),
            amends=body.get("amends"),
            tagger=tagger,
        )
    except ReleaseError as exc:
        raise BadRequest(str(exc), [{"path": f"$.{exc.path}", "message": str(exc)}]) from None
    return r.to_json()


def _iso_date(value: Any, key: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise BadRequest(
            f"invalid {key}", [{"path": f"$.{key}", "message": "write YYYY-MM-DD"}]
        ) from None


def diff_specs(slug: str, from_ref: str, to_ref: str) -> tuple[Spec, Spec]:
    """The two versions a diff compares (`to` may be `<other>@<ref>`)."""
    if not from_ref or not to_ref:
        raise BadRequest("give both `from` and `to`", [{"path": "$.from", "message": "required"}])
    return _spec(slug, from_ref), _spec(slug, to_ref)


def _spec(slug: str, ref: str) -> Spec:
    """`ref`, or `<methodology>@<ref>` to compare with another methodology."""
    if "@" in ref:
        name, _, r = ref.partition("@")
        return Spec(check_slug(name, "methodology"), r or None)
    return Spec(check_slug(slug, "methodology"), ref)


def create_methodology(store: Store, body: dict[str, Any], author: Person) -> dict[str, Any]:
    slug = check_slug(str(body.get("slug") or ""), "slug")
    manifest = body.get("manifest")
    if not isinstance(manifest, dict):
        raise BadRequest(
            "the body needs a `manifest` object", [{"path": "$.manifest", "message": "missing"}]
        )
    head = store.head()
    if head and slug in store.methodologies(head):
        raise Conflict(f"methodology '{slug}' already exists")
    manifest = {**manifest, "id": slug}
    files = {f"{slug}/methodology.yaml": yaml_dump(manifest, allow_unicode=True, sort_keys=False)}
    overlay = body.get("overlay")
    if overlay is not None:
        if not manifest.get("extends"):
            raise BadRequest(
                "an overlay needs `extends` in the manifest",
                [{"path": "$.manifest.extends", "message": "missing"}],
            )
        files[f"{slug}/overlay.yaml"] = yaml_dump(overlay, allow_unicode=True, sort_keys=False)
    commit = store.commit(
        [Put(p, t.encode("utf-8")) for p, t in files.items()],
        message=body.get("message") or f"{slug}: create",
        author=author,
        base=head,
    )
    m = open_methodology(store, Spec(slug, commit))
    report = validate(m)
    return {
        "slug": slug,
        "commit": commit,
        "valid": report.ok,
        "problems": report.to_json()["problems"],
    }


def rebase_report(store: Store, slug: str, onto: str) -> dict[str, Any]:
    check_slug(slug, "methodology")
    if not onto:
        raise BadRequest("give `onto`", [{"path": "$.onto", "message": "required"}])
    return plan_rebase(store, slug, onto).to_json()


def rebase_apply(
    store: Store, slug: str, onto: str, author: Person, acknowledged: list[str] | None = None
) -> dict[str, Any]:
    """Commit the new pin; with ``acknowledged`` (the pages), only once every newly
    inherited criterion is among them (422 naming the others otherwise)."""
    check_slug(slug, "methodology")
    report = plan_rebase(store, slug, onto)
    if acknowledged is not None:
        missing = [n for n in report.inherited if n["id"] not in set(acknowledged)]
        if missing:
            raise Unprocessable(
                f"{len(missing)} newly inherited criteria are not acknowledged",
                [
                    {"path": f"$.acknowledged ({n['id']})", "message": "not acknowledged"}
                    for n in missing
                ],
            )
    commit = write_rebase(store, report, author=author)
    return {"commit": commit, "report": report.to_json()}


# -- editing from the pages -----------------------------------------------------------


def methodology_scope(store: Store, slug: str, ref: str | None = None) -> dict[str, Any]:
    """Ownership and release status of a methodology, the scope `server.auth.require`
    decides `methodology.*` actions in."""
    return version_scope(store, _open(store, slug, ref))


# --- the methodology pages: a version's outline, a node, a diff -------------------------
# Read exactly as the API reads them (the same `methodology.read` check); the pages only
# lay the answers out.


def version_scope(
    store: Store, m: Methodology, releases: list[Release] | None = None
) -> dict[str, Any]:
    """Ownership and release status of an opened version, for `server.auth.require`
    (``releases``: the methodology's, when the caller has them already)."""
    tags = {r.commit for r in (store.releases(m.name) if releases is None else releases)}
    return {
        "province": m.manifest.province if m.manifest else None,
        "derived": bool(m.extends),
        "released": m.commit in tags,
    }


def check_node(
    store: Store, slug: str, node_id: str, fields: dict[str, Any], base: str
) -> tuple[Node | None, list[Problem]]:
    """The node as `put_node` would write it from ``base`` (None when unusable) and its
    problems (every error and warning, with its path and suggestion); nothing is written."""
    check_slug(slug, "methodology")
    check_slug(node_id, "node")
    m = _open(store, slug, base)
    return parse_node(_node_text(node_id, fields), facts=m.manifest.facts if m.manifest else None)


@dataclass(frozen=True)
class EditCheck:
    """What a node's edit would do, checked over the whole methodology: the node as
    written (None when unusable), its own problems (every error and warning, its parse
    and the whole tree's), and the problems the edit causes on other nodes (those the
    version at the base does not have), each with the node it is about; ``text`` is
    the node's file as it would be written (where the problems' lines and columns are)."""

    node: Node | None
    problems: list[Problem]
    elsewhere: list[tuple[Node, Problem]]
    text: str


def check_edit(
    store: Store, slug: str, node_id: str, fields: dict[str, Any], base: str
) -> EditCheck:
    """`check_node`, then the whole methodology as `put_node` would leave it from
    ``base`` validated (a parent whose children no longer add up, a code used twice, a
    rule reading an input gone); nothing is written."""
    node, problems = check_node(store, slug, node_id, fields, base)
    text = _node_text(node_id, fields)
    if node is None or any(p.severity == "error" for p in problems):
        return EditCheck(node, problems, [], text)
    current = _open(store, slug, base)
    parent = fields.get("parent")
    edit: Any = UpdateNode(node_id, text) if node_id in current.nodes else CreateNode(parent, text)
    try:
        after, report = check_edits(store, slug, [edit], base=base)
    except MethodologyError as exc:
        return EditCheck(node, [*problems, Problem("error", "edit", str(exc))], [], text)
    before = {(p.file, p.code, p.message) for p in validate(current).problems}
    by_file = {n.path: n for n in after.walk() if n.path}
    own = after.nodes[node_id].path
    seen = {(p.path, p.message) for p in problems}
    elsewhere = []
    for p in report.problems:
        if p.file == own:
            if (p.path, p.message) not in seen:
                problems.append(p)
        elif (p.file, p.code, p.message) not in before:
            other = by_file.get(p.file or "")
            if other is not None:
                elsewhere.append((other, p))
            else:  # the manifest's (a scale the fields no longer add up to)
                problems.append(p)
    return EditCheck(node, problems, elsewhere, text)


@dataclass(frozen=True)
class NodeEdit:
    """One node of a several-node edit: its id and the API's `node` object (front
    matter keys and `guidance`), the whole node as it is to be written."""

    id: str
    fields: dict[str, Any]


def _updates(store: Store, slug: str, edits: list[NodeEdit], base: str) -> list[Any]:
    """The edits as node updates from ``base``; 422 naming every malformed node
    (`$.nodes.<id>.<key>`), 404 for a node the methodology does not have."""
    if not edits:
        raise BadRequest("nothing to write", [{"path": "$.nodes", "message": "empty"}])
    current = open_methodology(store, Spec(slug, base))
    errors = []
    updates: list[Any] = []
    for edit in edits:
        check_slug(edit.id, "node")
        if edit.id not in current.nodes:
            raise NotFound(f"no node '{edit.id}' in {slug}")
        text = _node_text(edit.id, edit.fields)
        _, problems = parse_node(text)
        errors += [
            {
                "path": f"$.nodes.{edit.id}" + (f".{p.path}" if p.path else ""),
                "message": p.message + (f" ({p.suggestion})" if p.suggestion else ""),
            }
            for p in problems
            if p.severity == "error"
        ]
        updates.append(UpdateNode(edit.id, text))
    if errors:
        raise Unprocessable("the nodes are invalid", errors)
    return updates


def check_nodes(
    store: Store, slug: str, edits: list[NodeEdit], base: str
) -> list[tuple[str | None, Problem]]:
    """The problems `put_nodes` would meet, over the whole methodology, that the
    version at ``base`` does not have, each with the id of the node it is about (None:
    the methodology's own, e.g. its scale); nothing is written."""
    check_slug(slug, "methodology")
    updates = _updates(store, slug, edits, base)
    after, report = check_edits(store, slug, updates, base=base)
    before = {(p.file, p.code, p.message) for p in validate(_open(store, slug, base)).problems}
    by_file = {n.path: n.id for n in after.walk() if n.path}
    return [
        (by_file.get(p.file or ""), p)
        for p in report.problems
        if (p.file, p.code, p.message) not in before
    ]


def put_nodes(
    store: Store,
    slug: str,
    edits: list[NodeEdit],
    base: str,
    author: Person,
    message: str | None,
) -> dict[str, Any]:
    """Write several existing nodes from ``base`` as one commit (e.g. points moved
    between sub-criteria so their parent still adds up): the methodology is validated
    with all of them at once, so a sum that only holds together is accepted; 422 with
    every problem when one node is malformed (`$.nodes.<id>.<key>`) or the result does
    not validate (`EditRejected`); 409 when a node changed since ``base``."""
    check_slug(slug, "methodology")
    updates = _updates(store, slug, edits, base)
    names = ", ".join(e.id for e in edits)
    commit = _apply(store, slug, updates, author, message or f"{slug}: {names}", base)
    return {"commit": commit, "nodes": [e.id for e in edits]}


def move_node(
    store: Store,
    slug: str,
    node_id: str,
    parent: str | None,
    base: str,
    author: Person,
    message: str | None,
) -> dict[str, Any]:
    """Move a node with its children under ``parent`` (None: top level) from ``base``."""
    check_slug(slug, "methodology")
    check_slug(node_id, "node")
    if parent is not None:
        check_slug(parent, "parent")
    where = parent or "top level"
    commit = _apply(
        store,
        slug,
        [MoveNode(node_id, parent)],
        author,
        message or f"{slug}: move {node_id} under {where}",
        base,
    )
    return {"commit": commit}


def read_version(store: Store, principal: Principal, slug: str, ref: str | None) -> Methodology:
    """The version ``ref`` of ``slug`` if ``principal`` may read it. Without a ref a
    signed-in reader gets the working head and an anonymous one the latest release
    (anyone may read a release; only signed-in users see drafts)."""
    return _read(store, principal, slug, ref)[0]


def _read(
    store: Store, principal: Principal, slug: str, ref: str | None
) -> tuple[Methodology, list[Release]]:
    check_slug(slug, "methodology")
    released = store.releases(slug)  # read once: a git call
    if not ref and principal.anonymous:
        ref = released[-1].tag if released else None
    m = _open(store, slug, ref)
    require(principal, "methodology.read", **version_scope(store, m, released))
    return m, released


@dataclass(frozen=True)
class TreeView:
    """A version with its outline by field and the methodology's releases."""

    methodology: Methodology
    fields: list[FieldOutline]
    releases: list[Release]


def tree_view(store: Store, principal: Principal, slug: str, ref: str | None) -> TreeView:
    """`read_version` with what the tree page shows (the releases also fill the picker)."""
    m, released = _read(store, principal, slug, ref)
    return TreeView(m, outline(m), released)


@dataclass(frozen=True)
class OutlineRow:
    """One node under a field, with its depth (2 criterion, 3 sub-criterion)."""

    node: Node
    depth: int
    leaf: bool
    derivation: Derivation | None


@dataclass(frozen=True)
class FieldOutline:
    """A field with its rows in code order, the sum of its criteria's points and counts."""

    node: Node
    derivation: Derivation | None
    rows: list[OutlineRow]
    children_points: Decimal
    criteria: int
    sub_criteria: int


def outline(m: Methodology) -> list[FieldOutline]:
    """The tree of ``m`` by field, in code order (the tree orders siblings by
    `code_key`), from the loaded version alone: no git call per node."""
    fields = []
    for field_node in m.roots():
        rows: list[OutlineRow] = []

        def visit(node_id: str, depth: int, rows: list[OutlineRow] = rows) -> None:
            for child in m.children_of(node_id):
                rows.append(
                    OutlineRow(child, depth, m.is_leaf(child.id), m.derivation.get(child.id))
                )
                visit(child.id, depth + 1)

        visit(field_node.id, 2)
        fields.append(
            FieldOutline(
                node=field_node,
                derivation=m.derivation.get(field_node.id),
                rows=rows,
                children_points=sum(
                    (c.max_points for c in m.children_of(field_node.id)), Decimal(0)
                ),
                criteria=sum(1 for r in rows if r.depth == 2),
                sub_criteria=sum(1 for r in rows if r.depth >= 3),
            )
        )
    return fields


@dataclass(frozen=True)
class NodeView:
    """One node of a version as its page shows it. ``history`` and ``blame`` are None
    when the reader may not see them (the API's log is for signed-in users);
    ``blame_note`` says why a blame is missing otherwise."""

    methodology: Methodology
    node: Node
    ancestors: list[Node]
    children: list[Node]
    rule: str | None
    derivation: Derivation | None
    history: list[dict[str, Any]] | None
    blame: list[BlameLine] | None
    blame_note: str | None = None


def node_view(
    store: Store, principal: Principal, slug: str, node_id: str, ref: str | None
) -> NodeView:
    m = read_version(store, principal, slug, ref)
    check_slug(node_id, "node")
    node = m.nodes.get(node_id)
    if node is None:
        raise NotFound(f"no node '{node_id}' in {slug}")
    ancestors: list[Node] = []
    parent = node.parent
    while parent is not None:
        ancestors.insert(0, m.nodes[parent])
        parent = m.nodes[parent].parent
    history = blame = note = None
    if not principal.anonymous:  # the API's log is `methodology.read` without a release
        require(principal, "methodology.read")
        history = log_entries(store, Spec(slug, m.commit), node_id)
        blame, note = _guidance_blame(store, m, node_id)
    return NodeView(
        methodology=m,
        node=node,
        ancestors=ancestors,
        children=m.children_of(node_id),
        rule=node.scoring.describe(node.max_points) if node.scoring is not None else None,
        derivation=m.derivation.get(node_id),
        history=history,
        blame=blame,
        blame_note=note,
    )


def _guidance_blame(
    store: Store, m: Methodology, node_id: str
) -> tuple[list[BlameLine] | None, str | None]:
    """Who last changed each guidance line: the node's own file, or for a node a derived
    index inherits, the parent's file at the pinned commit."""
    try:
        return guidance_blame(store, m.name, node_id, m.commit), None
    except StoreError:
        pass
    mark = m.derivation.get(node_id)
    if m.extends and mark is not None and mark.status != "local":
        if "guidance" in mark.parent:
            return None, "overlay"
        try:
            parent = m.extends["methodology"]
            return guidance_blame(store, parent, node_id, m.extends["commit"]), None
        except StoreError:
            return None, "missing"
    return None, "missing"


@dataclass(frozen=True)
class DiffItem:
    """One change with the node on each side (None where it does not exist)."""

    change: Change
    before: Node | None
    after: Node | None


@dataclass(frozen=True)
class DiffView:
    source: Methodology
    target: Methodology
    groups: list[tuple[str, list[DiffItem]]]
    count: int


def diff_view(
    store: Store, principal: Principal, slug: str, from_ref: str, to_ref: str
) -> DiffView:
    """The diff of `GET /api/methodologies/{slug}/diff` with the nodes on both sides,
    grouped by kind in the order of `methodology.CHANGE_KINDS`."""
    require(principal, "methodology.read")
    a, b = (open_methodology(store, spec) for spec in diff_specs(slug, from_ref, to_ref))
    found = diff(a, b)
    pairs = lineage(a, b)
    groups = []
    for kind, changes in found.by_kind().items():
        items = []
        for change in changes:
            if change.kind == "removed":
                items.append(DiffItem(change, a.nodes.get(change.id), None))
                continue
            old = pairs.get(change.id)
            items.append(
                DiffItem(change, a.nodes.get(old) if old else None, b.nodes.get(change.id))
            )
        groups.append((kind, items))
    return DiffView(a, b, groups, len(found.changes))


# -- overlays --------------------------------------------------------------------------
# A derived index changes what it inherits only through `overlay.yaml`; these read and
# write it so a rebase conflict can be resolved over the API (and from the pages).

OVERLAY = "overlay.yaml"


def get_overlay(store: Store, slug: str, ref: str | None = None) -> dict[str, Any]:
    """The overlay document of a derived index at ``ref`` and the commit it was read at
    (the `base` for `put_overlay`)."""
    m = _open(store, slug, ref)
    if not m.extends:
        raise NotFound(f"'{slug}' extends nothing: it has no overlay")
    assert m.commit is not None  # opened from the store, so at a commit
    blob = store.list_files(m.commit, slug).get(OVERLAY)
    data = yaml_load(store.read_blob(blob).decode("utf-8")) if blob else None
    return {
        "methodology": slug,
        "commit": m.commit,
        "extends": dict(m.extends),
        "overlay": to_json_value(data or {}),
        "problems": [_overlay_problem(p) for p in validate(m).errors],
    }


def put_overlay(store: Store, slug: str, body: dict[str, Any], author: Person) -> dict[str, Any]:
    """Replace the overlay from `base`: the derived tree must still resolve and validate
    (422 lists every problem, `$.overlay.<entry>` where one entry is at fault); 409 when
    the overlay changed since `base`."""
    check_slug(slug, "methodology")
    overlay, base, message = body.get("overlay"), body.get("base"), body.get("message")
    if not isinstance(overlay, dict):
        raise BadRequest(
            "the body needs an `overlay` object",
            [{"path": "$.overlay", "message": "missing or not an object"}],
        )
    if not base or not isinstance(base, str):
        raise BadRequest(
            "the body needs `base`: the commit the editor started from",
            [{"path": "$.base", "message": "missing"}],
        )
    if not open_methodology(store, Spec(slug, base)).extends:
        raise Unprocessable(
            f"'{slug}' extends nothing: only a derived index has an overlay",
            [{"path": "$.overlay", "message": "no `extends` in the manifest"}],
        )
    text = yaml_dump(overlay, allow_unicode=True, sort_keys=False)
    _, problems = parse_overlay(text, file=OVERLAY)
    if problems:
        raise Unprocessable("the overlay is invalid", [_overlay_problem(p) for p in problems])
    try:
        commit = _apply(
            store, slug, [WriteOverlay(text)], author, message or f"{slug}: overlay", base
        )
    except EditRejected as exc:
        raise Unprocessable(str(exc), [_overlay_problem(p) for p in exc.report.errors]) from exc
    return {"commit": commit, "overlay": get_overlay(store, slug, commit)}


def _overlay_problem(p: Any) -> dict[str, str]:
    message = p.message + (f" ({p.suggestion})" if p.suggestion else "")
    if (p.file or "").endswith(OVERLAY):
        return {"path": f"$.overlay.{p.path}" if p.path else "$.overlay", "message": message}
    return {"path": f"$ ({p.file})" if p.file else "$", "message": message}


def resolve_rebase(
    store: Store, slug: str, onto: str, choices: dict[str, str], base: str, author: Person
) -> dict[str, Any] | None:
    """Resolve the rebase plan onto ``onto`` by rewriting the overlay from ``base``:
    ``choices`` maps a conflict's entry (``remove x``, ``override x``, ``rescale[0] x``)
    or ``drift <id>`` to ``national`` (follow the national version: drop the entry, or the
    drifted keys of the override) or ``keep``. None when the choices change nothing."""
    report = plan_rebase(store, slug, onto)
    overlay = get_overlay(store, slug, base)["overlay"]
    changed = False
    for conflict in report.conflicts:
        if choices.get(conflict["entry"]) == "national":
            changed |= _drop_entry(overlay, conflict["entry"], conflict["id"])
    for drift in report.drift:
        entry = (overlay.get("override") or {}).get(drift["id"])
        if choices.get(f"drift {drift['id']}") != "national" or not isinstance(entry, dict):
            continue
        for key in drift["keys"]:
            changed |= entry.pop(key, None) is not None
        if not set(entry) - {"reason"}:
            del overlay["override"][drift["id"]]
    if not changed:
        return None
    message = f"{slug}: giải quyết xung đột khi cập nhật lên {onto}"
    return put_overlay(store, slug, {"overlay": overlay, "base": base, "message": message}, author)


def _drop_entry(overlay: dict[str, Any], entry: str, node_id: str) -> bool:
    verb = entry.split(" ", 1)[0]
    if verb == "remove":
        kept = [
            r
            for r in overlay.get("remove") or []
            if (r if isinstance(r, str) else r.get("id")) != node_id
        ]
        changed = len(kept) != len(overlay.get("remove") or [])
        overlay["remove"] = kept
        return changed
    if verb == "override":
        return (overlay.get("override") or {}).pop(node_id, None) is not None
    if verb.startswith("rescale["):
        group = (overlay.get("rescale") or [])[int(verb[len("rescale[") : -1])]
        if node_id in (group.get("nodes") or []):
            group["nodes"].remove(node_id)
            return True
    return False
