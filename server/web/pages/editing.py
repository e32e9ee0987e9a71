"""Editing a methodology through pages: its nodes (edit, add, remove, move), a release,
and the impact preview of the draft. Every write is the API's own service call
(`server.services.methodologies`) from the commit the form was loaded from, authored
by the signed-in person; a form that would write something invalid is shown again with
each problem at its field, and a stale base shows the other person's change with a way
to reapply this one."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import asdict, dataclass, fields
from decimal import Decimal
from typing import Annotated, Any

import yaml
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template

from methodology import (
    EditRejected,
    MethodologyError,
    Spec,
    YamlLoader,
    cause_label,
    log_entries,
    open_methodology,
    yaml_dump,
    yaml_load,
)
from server.auth import Principal, require
from server.check_messages import vi_yaml_problem
from server.deps import Services
from server.errors import ApiError, Conflict, NotFound, problem_for
from server.format import parse_date, parse_number, vi_number
from server.labels import NODE_KEY_LABELS, OPTIONAL_EVIDENCE, RELEASE_LABELS
from server.services.impact import draft_of, impact_preview
from server.services.methodologies import (
    NodeEdit,
    check_edit,
    check_nodes,
    check_slug,
    delete_node,
    get_node,
    list_methodologies,
    methodology_scope,
    move_node,
    put_node,
    put_nodes,
    release,
)
from server.web.messages import vi_problem
from server.web.render import is_htmx, page, redirect

__all__ = ["EditingPages", "field_of"]

Svc = NamedDependency[Services]
Who = NamedDependency[Principal]

PREFIX = "/bien-tap"

# The form's fields and the node's front matter keys they write; a problem whose path
# starts with a key is shown at that field.
FIELD_OF_KEY = {
    "id": "nut",
    "code": "ma",
    "title": "tieu_de",
    "max_points": "diem",
    "scoring": "cach_cham",
    "bonus": "cach_cham",
    "penalty": "cach_cham",
    "inputs": "dau_vao",
    "evidence": "minh_chung",
    "guidance": "huong_dan",
    "parent": "cha",
}
OPTIONAL = OPTIONAL_EVIDENCE  # an evidence line ending so: a document the unit may omit


@dataclass
class NodeForm:
    """A node as the edit form carries it (text as typed)."""

    tieu_de: str = ""
    ma: str = ""
    diem: str = ""
    cach_cham: str = ""
    dau_vao: str = ""
    minh_chung: str = ""
    huong_dan: str = ""
    thong_diep: str = ""
    base: str = ""
    nut: str = ""  # the node's id (new nodes type it; the validate endpoint needs it)
    cha: str = ""  # a new node's parent
    csrf_token: str = ""


EDITABLE = ("tieu_de", "ma", "diem", "cach_cham", "dau_vao", "minh_chung", "huong_dan")


@dataclass
class WriteForm:
    base: str = ""
    thong_diep: str = ""
    cha: str = ""
    csrf_token: str = ""


PointsBody = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
POINTS = "diem:"  # a row of the points form: `diem:<node id>`


@dataclass
class ReleaseForm:
    phien_ban: str = ""
    ten: str = ""
    so_quyet_dinh: str = ""
    ngay: str = ""
    ngay_hieu_luc: str = ""
    nam_ap_dung: str = ""
    sua_doi: str = ""
    csrf_token: str = ""


def _form(cls: type) -> Any:
    return Annotated[cls, Body(media_type=RequestEncodingType.URL_ENCODED)]


def _nfc(form: Any) -> Any:
    """The form with every text in NFC (what a person typed may come decomposed)."""
    for f in fields(form):
        value = getattr(form, f.name)
        if isinstance(value, str):
            setattr(form, f.name, unicodedata.normalize("NFC", value.replace("\r\n", "\n")))
    return form


# -- form ↔ node ----------------------------------------------------------------------


def _yaml(value: Any) -> str:
    if value in (None, {}, []):
        return ""
    return yaml_dump(value, allow_unicode=True, sort_keys=False, width=100)


def form_of(node: dict[str, Any]) -> NodeForm:
    """The form filled with a node as `get_node` reads it."""
    front = node["front_matter"]
    evidence = [
        e if isinstance(e, str) else e["title"] + ("" if e.get("required", True) else OPTIONAL)
        for e in front.get("evidence") or []
    ]
    return NodeForm(
        tieu_de=front.get("title", ""),
        ma=str(front.get("code", "")),
        diem=vi_number(front.get("max_points")),
        cach_cham=_yaml(front.get("scoring")),
        dau_vao=_yaml(front.get("inputs")),
        minh_chung="\n".join(evidence),
        huong_dan=node.get("guidance") or "",
        nut=node["id"],
        cha=node.get("parent") or "",
    )


def _number(value: Decimal) -> int | float:
    """YAML writes a float with its shortest exact text (0.5, 33.9), an integer as one."""
    return int(value) if value == value.to_integral_value() else float(value)


def fields_of(form: NodeForm, front: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The API's `node` object from the form over the node's other keys (``front``), and
    the problems found reading the form, by field."""
    out = dict(front)
    errors: dict[str, str] = {}
    out["title"] = form.tieu_de.strip()
    out["code"] = form.ma.strip()
    try:
        out["max_points"] = _number(parse_number(form.diem))
    except ValueError as exc:
        errors["diem"] = f"Điểm tối đa: {exc}."
    for name, text, key in (
        ("cach_cham", form.cach_cham, "scoring"),
        ("dau_vao", form.dau_vao, "inputs"),
    ):
        if not text.strip():
            out.pop(key, None)
            continue
        try:
            value = yaml_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" (dòng {mark.line + 1}, cột {mark.column + 1})" if mark else ""
            problem = vi_yaml_problem(str(getattr(exc, "problem", None) or ""))
            errors[name] = f"Không đọc được YAML{where}: {problem}."
            continue
        if not isinstance(value, dict):
            errors[name] = "Cần một bảng YAML dạng “khoá: giá trị”."
            continue
        out[key] = value
    evidence: list[Any] = []
    for line in form.minh_chung.splitlines():
        title = line.strip()
        if title.endswith(OPTIONAL.strip()):
            evidence.append({"title": title[: -len(OPTIONAL.strip())].strip(), "required": False})
        elif title:
            evidence.append(title)
    if evidence:
        out["evidence"] = evidence
    else:
        out.pop("evidence", None)
    out["guidance"] = form.huong_dan.strip() + "\n" if form.huong_dan.strip() else ""
    return out, errors


def field_of(path: str | None) -> str:
    """The form field a problem's path (`max_points`, `$.node.scoring.tiers[0]`) is at."""
    text = (path or "").removeprefix("$.node").removeprefix("$").lstrip(".")
    key = text.split(".")[0].split("[")[0].split(" ")[0]
    return FIELD_OF_KEY.get(key, "chung")


def _say(message: str, suggestion: str | None = None) -> str:
    return vi_problem(message, suggestion)


def _add(errors: dict[str, str], name: str, message: str) -> None:
    errors[name] = f"{errors[name]} {message}" if name in errors else message


def api_errors(exc: ApiError) -> dict[str, str]:
    """A service's refusal as messages by form field."""
    errors: dict[str, str] = {}
    for e in exc.errors:
        _add(errors, field_of(e.get("path")), _say(str(e.get("message", ""))))
    if not errors:
        errors["chung"] = _say(exc.detail)
    return errors


# -- pages ----------------------------------------------------------------------------


def _may_edit(services: Services, viewer: Principal, slug: str) -> None:
    check_slug(slug, "methodology")
    require(viewer, "methodology.edit", **methodology_scope(services.store, slug))


def _node(services: Services, slug: str, node_id: str, ref: str | None) -> dict[str, Any]:
    check_slug(node_id, "node")
    return get_node(services.store, slug, node_id, ref)


def _outline(services: Services, slug: str, ref: str | None = None):
    m = open_methodology(services.store, Spec(slug, ref))
    # A derived index edits only its own nodes here; inherited ones change in its overlay.
    own = f"{slug}/"
    rows = [
        {
            "node": n,
            "level": min(m.depth(n.id), 3),
            "own": bool(n.path and n.path.startswith(own) and n.path.endswith(".md")),
        }
        for n in m.walk()
    ]
    return m, rows


def _preview(
    services: Services,
    slug: str,
    node_id: str,
    node_fields: dict[str, Any],
    base: str,
    form: NodeForm | None = None,
):
    """The rule in plain Vietnamese, the node's problems by field (each where the person
    typed it when it is in the rule or the inputs), and the problems the edit causes on
    other nodes of the methodology."""
    found = check_edit(services.store, slug, node_id, node_fields, base)
    errors: dict[str, str] = {}
    warnings: dict[str, str] = {}
    for p in found.problems:
        target = errors if p.severity == "error" else warnings
        _add(target, field_of(p.path), _where(form, p, found.text) + _say(p.message, p.suggestion))
    elsewhere = [
        {"node": other, "error": p.severity == "error", "text": _say(p.message, p.suggestion)}
        for other, p in found.elsewhere
    ]
    rule = None
    if found.node is not None and found.node.scoring is not None:
        rule = found.node.scoring.describe(found.node.max_points)
    return rule, errors, warnings, elsewhere


# The boxes of the form that hold YAML, by the front matter key they write.
BOX_OF_KEY = {"scoring": "cach_cham", "inputs": "dau_vao"}
_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _where(form: NodeForm | None, p: Any, text: str) -> str:
    """``Dòng 2, cột 9: `` — where in the rule or inputs box the person typed the value
    a problem is at (inside an expression, the character the checker points at); empty
    when the problem is elsewhere or its place cannot be found."""
    key, _, rest = (p.path or "").partition(".")
    box = BOX_OF_KEY.get(key)
    if form is None or box is None or p.line is None:
        return ""
    try:
        typed = _at(yaml.compose(getattr(form, box), Loader=YamlLoader), rest)
        written = _at(yaml.compose(text.split("---\n")[1], Loader=YamlLoader), p.path)
    except (yaml.YAMLError, IndexError):
        return ""
    if typed is None:
        return ""
    line, column = typed.start_mark.line + 1, typed.start_mark.column + 1
    # the file's line 1 is `---`: its front matter starts on line 2
    if written is not None and p.column is not None and written.start_mark.line + 2 == p.line:
        offset = p.column - (written.start_mark.column + 1)
        offset += _quoted(typed) - _quoted(written)
        if offset > 0 and typed.start_mark.line == typed.end_mark.line:
            column += offset
    return f"Dòng {line}, cột {column}: "


def _quoted(node: yaml.Node) -> int:
    return 1 if getattr(node, "style", None) in ("'", '"') else 0


def _at(node: yaml.Node | None, path: str) -> yaml.Node | None:
    """The YAML node at a key path (``tiers[0].when``) of a composed document."""
    for name, index in _STEP.findall(path):
        if isinstance(node, yaml.MappingNode) and name:
            node = next((v for k, v in node.value if k.value == name), None)
        elif isinstance(node, yaml.SequenceNode) and index and int(index) < len(node.value):
            node = node.value[int(index)]
        else:
            return None
    return node


def _their_change(services: Services, slug: str, node_id: str, base: str, head: str):
    """What changed in the node between ``base`` and ``head``: (label, before, after)."""
    try:
        before = _node(services, slug, node_id, base)
    except NotFound:
        before = {"front_matter": {}, "guidance": ""}
    try:
        after = _node(services, slug, node_id, head)
    except NotFound:
        return None, [("Mục", "có", "đã bị xoá")]
    a = {**before["front_matter"], "guidance": before.get("guidance", "")}
    b = {**after["front_matter"], "guidance": after.get("guidance", "")}
    rows = []
    for key in dict.fromkeys([*a, *b]):
        if a.get(key) != b.get(key):
            label = NODE_KEY_LABELS.get(key, key)
            rows.append((label[:1].upper() + label[1:], _shown(a.get(key)), _shown(b.get(key))))
    return after, rows


def _shown(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, int | float | Decimal):
        return vi_number(value)
    if isinstance(value, str):
        return value.strip()
    return _yaml(value).strip()


def _merge(mine: NodeForm, base: NodeForm, theirs: NodeForm) -> tuple[NodeForm, list[str]]:
    """This person's form reapplied over the newer node: a field they did not change
    takes the newer value; a field both changed keeps this person's (and is listed)."""
    out = NodeForm(**asdict(theirs))
    both = []
    for name in EDITABLE:
        value = getattr(mine, name)
        if value.strip() != getattr(base, name).strip():
            setattr(out, name, value)
            if getattr(theirs, name).strip() != getattr(base, name).strip():
                both.append(name)
    out.thong_diep = mine.thong_diep
    return out, both


def _under(m: Any, node_id: str, ancestor: str) -> bool:
    parent = m.nodes[node_id].parent
    while parent is not None:
        if parent == ancestor:
            return True
        parent = m.nodes[parent].parent
    return False


def _vi_date(text: str, label: str) -> dt.date | str:
    """``dd/mm/yyyy`` (or ISO) → a date, else the Vietnamese problem."""
    try:
        return parse_date(text)
    except ValueError as exc:
        return f"{label}: {exc}."


class EditingPages(Controller):
    path = PREFIX

    @get("/", sync_to_thread=True, name="edit-list")
    def editable(self, request: Request, services: Svc, viewer: Who) -> Template:
        """The methodologies this person may edit."""
        require(viewer, "methodology.read")
        entries = []
        for entry in list_methodologies(services.store):
            try:
                _may_edit(services, viewer, entry["slug"])
            except ApiError:
                continue
            entries.append(entry)
        return page(request, "edit_list.html", entries=entries)

    @get("/{slug:str}", sync_to_thread=True, name="edit-index")
    def index(self, request: Request, services: Svc, viewer: Who, slug: FromPath[str]) -> Template:
        _may_edit(services, viewer, slug)
        return self._index(request, services, slug, ReleaseForm(), {})

    def _index(
        self,
        request: Request,
        services: Services,
        slug: str,
        form: ReleaseForm,
        errors: dict[str, str],
        status: int = 200,
    ) -> Template:
        m, rows = _outline(services, slug)
        releases = services.store.releases(slug)
        last = releases[-1] if releases else None
        draft = draft_of(services.store, slug)
        query = request.query_params
        notice = None
        if query.get("ban-hanh"):
            notice = f"Đã ban hành phiên bản {query['ban-hanh']}."
        elif query.get("da-xoa"):
            notice = f"Đã xoá mục {query['da-xoa']}."
        elif query.get("da-chuyen"):
            notice = f"Đã chuyển mục {query['da-chuyen']}."
        return page(
            request,
            "edit_index.html",
            status=status,
            slug=slug,
            m=m,
            rows=rows,
            head=m.commit,
            last=last,
            draft=draft is not None,
            release_form=form,
            release_labels=RELEASE_LABELS,
            errors=errors,
            notice=notice,
        )

    @get("/{slug:str}/anh-huong", sync_to_thread=True, name="edit-impact")
    def impact(self, request: Request, services: Svc, viewer: Who, slug: FromPath[str]) -> Template:
        try:
            found = impact_preview(services, viewer, slug)
        except (ApiError, MethodologyError) as raised:
            exc = problem_for(raised)
            if not is_htmx(request) or exc.status in (401, 403):
                raise exc from raised
            # htmx does not swap an error answer in: the reason goes in the place instead
            return page(request, "edit_impact_part.html", impact=None, error=_say(exc.detail))
        template = "edit_impact_part.html" if is_htmx(request) else "edit_impact.html"
        return page(request, template, slug=slug, impact=found, cause_label=cause_label, error=None)

    @post("/{slug:str}/ban-hanh", sync_to_thread=True, status_code=303, name="edit-release")
    def release(
        self,
        request: Request,
        services: Svc,
        viewer: Who,
        slug: FromPath[str],
        data: _form(ReleaseForm),  # type: ignore[valid-type]
    ) -> Redirect | Template:
        check_slug(slug, "methodology")
        require(viewer, "methodology.release", **methodology_scope(services.store, slug))
        form = _nfc(data)
        errors: dict[str, str] = {}
        date = _vi_date(form.ngay, RELEASE_LABELS["date"])
        effective = (
            _vi_date(form.ngay_hieu_luc, RELEASE_LABELS["effective"])
            if form.ngay_hieu_luc
            else None
        )
        for name, value in (("ngay", date), ("ngay_hieu_luc", effective)):
            if isinstance(value, str):
                errors[name] = value
        if not form.so_quyet_dinh.strip():
            errors["so_quyet_dinh"] = "Hãy nhập số quyết định ban hành."
        name = form.ten.strip()
        if any(r.name == name for r in services.store.releases(slug)):
            errors["ten"] = f"Đã có phiên bản “{name}”; một lần ban hành không bao giờ bị ghi đè."
        if not errors:
            body = {
                "ref": form.phien_ban,
                "name": name,
                "decision": form.so_quyet_dinh.strip(),
                "date": date.isoformat(),  # type: ignore[union-attr]
                "effective": effective.isoformat() if effective else None,  # type: ignore[union-attr]
                "years": form.nam_ap_dung.strip() or None,
                "amends": form.sua_doi.strip() or None,
            }
            try:
                release(services.store, slug, body, viewer.person())
            except (ApiError, MethodologyError) as raised:
                exc = problem_for(raised)
                errors = {
                    {
                        "name": "ten",
                        "date": "ngay",
                        "effective": "ngay_hieu_luc",
                        "years": "nam_ap_dung",
                        "amends": "sua_doi",
                    }.get((e.get("path") or "").removeprefix("$."), "chung"): _say(
                        str(e.get("message", ""))
                    )
                    for e in exc.errors
                } or {"chung": _say(exc.detail)}
        if errors:
            return self._index(request, services, slug, form, errors, status=422)
        return redirect(request, f"{PREFIX}/{slug}?ban-hanh={name}")

    @post("/{slug:str}/kiem-tra", sync_to_thread=True, name="edit-validate")
    def validate(
        self,
        request: Request,
        services: Svc,
        viewer: Who,
        slug: FromPath[str],
        data: _form(NodeForm),  # type: ignore[valid-type]
    ) -> Template:
        """Live validation (htmx, as the person types): each field's problems."""
        _may_edit(services, viewer, slug)
        form = _nfc(data)
        front = self._front(services, slug, form.nut, form.base)
        node_fields, errors = fields_of(form, front)
        if form.cha and "parent" not in node_fields:  # a new node, under this parent
            node_fields["parent"] = form.cha
        rule, more, warnings, elsewhere = (None, {}, {}, [])
        if form.nut and not errors:
            try:
                rule, more, warnings, elsewhere = _preview(
                    services, slug, form.nut, node_fields, form.base, form
                )
            except ApiError as exc:
                more = api_errors(exc)
        elif not form.nut:
            errors["nut"] = "Hãy nhập mã định danh của mục mới."
        for name, message in more.items():
            _add(errors, name, message)
        return page(
            request,
            "edit_checked.html",
            slug=slug,
            errors=errors,
            warnings=warnings,
            rule=rule,
            elsewhere=elsewhere,
            names=[*EDITABLE, "nut", "chung"],
        )

    def _front(self, services: Services, slug: str, node_id: str, base: str) -> dict[str, Any]:
        """The node's front matter at ``base`` (a new node has none yet)."""
        if not node_id:
            return {}
        try:
            return dict(_node(services, slug, node_id, base or None)["front_matter"])
        except (NotFound, ApiError):
            return {"id": node_id}

    @get("/{slug:str}/them", sync_to_thread=True, name="edit-new")
    def new(
        self,
        request: Request,
        services: Svc,
        viewer: Who,
        slug: FromPath[str],
        cha: FromQuery[str | None] = None,
    ) -> Template:
        _may_edit(services, viewer, slug)
        m, rows = _outline(services, slug)
        form = NodeForm(base=m.commit, cha=cha or "", diem="0")
        return self._node_page(request, services, slug, form, m, rows, new=True)

    @post("/{slug:str}/them", sync_to_thread=True, status_code=303, name="edit-create")
    def create(
        self,
        request: Request,
        services: Svc,
        viewer: Who,
        slug: FromPath[str],
        data: _form(NodeForm),  # type: ignore[valid-type]
    ) -> Redirect | Template:
        _may_edit(services, viewer, slug)
        form = _nfc(data)
        m, rows = _outline(services, slug, form.base or None)
        errors: dict[str, str] = {}
        node_id = form.nut.strip()
        # taken at the form's base or since: either way the id is not free
        if node_id in m.nodes or node_id in open_methodology(services.store, Spec(slug)).nodes:
            errors["nut"] = f"Đã có mục “{node_id}”; hãy chọn mã định danh khác."
        front = {"id": node_id, **({"parent": form.cha} if form.cha else {})}
        return self._write(request, services, viewer, slug, form, front, m, rows, errors, True)

    @get("/{slug:str}/{node_id:str}", sync_to_thread=True, name="edit-node")
    def edit(
        self,
        request: Request,
        services: Svc,
        viewer: Who,
        slug: FromPath[str],
        node_id: FromPath[str],
    ) -> Template:
        _may_edit(services, viewer, slug)
        node = _node(services, slug, node_id, None)
        form = form_of(node)
        form.base = node["commit"]
        m, rows = _outline(services, slug)
        return self._node_page(request, services, slug, form, m, rows, node=node)

    @post("/{slug:str}/{node_id:str}", sync_to_thread=True, status_code=303, name="edit-save")
    def save(
        self,
        request: Request,
        services: Svc,
        viewer: Who,
        slug: FromPath[str],
        node_id: FromPath[str],
        data: _form(NodeForm),  # type: ignore[valid-type]
    ) -> Redirect | Template:
        _may_edit(services, viewer, slug)
        form = _nfc(data)
        form.nut = node_id
        node = _node(services, slug, node_id, form.base or None)
        m, rows = _outline(services, slug, form.base or None)
        front = {k: v for k, v in node["front_matter"].items()}
        return self._write(request, services, viewer, slug, form, front, m, rows, {}, False)

    def _write(
        self,
        request: Request,
        services: Services,
        viewer: Principal,
        slug: str,
        form: NodeForm,
        front: dict[str, Any],
        m: Any,
        rows: list[dict[str, Any]],
        errors: dict[str, str],
        new: bool,
    ) -> Redirect | Template:
        node_id = form.nut.strip()
        node_fields, more = fields_of(form, front)
        errors.update(more)
        if new and not node_id:
            errors["nut"] = "Hãy nhập mã định danh của mục mới."
        if not errors:
            body = {"node": node_fields, "base": form.base, "message": form.thong_diep.strip()}
            try:
                written = put_node(services.store, slug, node_id, body, viewer.person())
            except Conflict as exc:
                return self._stale(request, services, slug, form, exc, new)
            except (ApiError, MethodologyError) as exc:
                errors = api_errors(problem_for(exc))
            else:
                return redirect(request, f"{PREFIX}/{slug}/{node_id}?da-luu={written['commit']}")
        return self._node_page(
            request, services, slug, form, m, rows, new=new, errors=errors, status=422
        )

    def _stale(
        self,
        request: Request,
        services: Services,
        slug: str,
        form: NodeForm,
        exc: Conflict,
        new: bool,
    ) -> Template:
        """Someone committed since this form was loaded: their change, and this
        person's values reapplied over the newer node, based on the new head."""
        head = str(exc.extra.get("newer") or services.store.head())
        node_id = form.nut
        after, changes = _their_change(services, slug, node_id, form.base, head)
        latest = log_entries(services.store, Spec(slug, head), node_id)[:1]
        if after is None or new:
            merged, both = form, list[str]()
        else:
            before = _node(services, slug, node_id, form.base)
            merged, both = _merge(form, form_of(before), form_of(after))
        merged.base, merged.nut, merged.cha = head, node_id, form.cha
        m, rows = _outline(services, slug, head)
        return self._node_page(
            request,
            services,
            slug,
            merged,
            m,
            rows,
            new=new,
            status=409,
            stale={
                "changes": changes,
                "both": both,
                "head": head,
                "base": form.base,
                "by": latest[0] if latest else None,
            },
        )

    def _node_page(
        self,
        request: Request,
        services: Services,
        slug: str,
        form: NodeForm,
        m: Any,
        rows: list[dict[str, Any]],
        *,
        node: dict[str, Any] | None = None,
        new: bool = False,
        errors: dict[str, str] | None = None,
        status: int = 200,
        stale: dict[str, Any] | None = None,
    ) -> Template:
        rule, elsewhere = None, []
        if not new and form.nut:
            try:
                front = self._front(services, slug, form.nut, form.base)
                node_fields, _ = fields_of(form, front)
                rule, _, _, elsewhere = _preview(services, slug, form.nut, node_fields, form.base)
            except (ApiError, ValueError):
                rule = None
        return page(
            request,
            "edit_node.html",
            status=status,
            slug=slug,
            m=m,
            rows=rows,
            form=form,
            new=new,
            errors=errors or {},
            rule=rule,
            elsewhere=elsewhere,
            stale=stale,
            saved=request.query_params.get("da-luu"),
        )

    @get("/{slug:str}/{node_id:str}/xoa", sync_to_thread=True, name="edit-delete-form")
    def remove_form(
        self,
        request: Request,
        services: Svc,
        viewer: Who,
        slug: FromPath[str],
        node_id: FromPath[str],
    ) -> Template:
        """Ask before removing: a node goes with all its children."""
        _may_edit(services, viewer, slug)
        node = _node(services, slug, node_id, None)
        m, _ = _outline(services, slug)
        below = [n for n in m.walk() if _under(m, n.id, node_id)]
        return page(request, "edit_delete.html", slug=slug, node=node, below=below, head=m.commit)

    @post("/{slug:str}/{node_id:str}/xoa", sync_to_thread=True, status_code=303, name="edit-delete")
    def remove(
        self,
        request: Request,
        services: Svc,
        viewer: Who,
        slug: FromPath[str],
        node_id: FromPath[str],
        data: _form(WriteForm),  # type: ignore[valid-type]
    ) -> Redirect | Template:
        _may_edit(services, viewer, slug)
        form = _nfc(data)
        check_slug(node_id, "node")
        try:
            delete_node(
                services.store, slug, node_id, form.base, viewer.person(), form.thong_diep or None
            )
        except (ApiError, MethodologyError) as exc:
            return self._refused(request, services, slug, problem_for(exc))
        return redirect(request, f"{PREFIX}/{slug}?da-xoa={node_id}")

    @get("/{slug:str}/{node_id:str}/chuyen", sync_to_thread=True, name="edit-move-form")
    def move_form(
        self,
        request: Request,
        services: Svc,
        viewer: Who,
        slug: FromPath[str],
        node_id: FromPath[str],
    ) -> Template:
        _may_edit(services, viewer, slug)
        node = _node(services, slug, node_id, None)
        m, rows = _outline(services, slug)
        return page(
            request, "edit_move.html", slug=slug, node=node, rows=rows, head=m.commit, error=None
        )

    @post(
        "/{slug:str}/{node_id:str}/chuyen", sync_to_thread=True, status_code=303, name="edit-move"
    )
    def move(
        self,
        request: Request,
        services: Svc,
        viewer: Who,
        slug: FromPath[str],
        node_id: FromPath[str],
        data: _form(WriteForm),  # type: ignore[valid-type]
    ) -> Redirect | Template:
        _may_edit(services, viewer, slug)
        form = _nfc(data)
        check_slug(node_id, "node")
        try:
            move_node(
                services.store,
                slug,
                node_id,
                form.cha or None,
                form.base,
                viewer.person(),
                form.thong_diep or None,
            )
        except (ApiError, MethodologyError) as exc:
            return self._refused(request, services, slug, problem_for(exc))
        return redirect(request, f"{PREFIX}/{slug}?da-chuyen={node_id}")

    def _refused(self, request: Request, services: Services, slug: str, exc: ApiError) -> Template:
        """A remove or move the service refused: the list again, with why."""
        errors = {"chung": " ".join(api_errors(exc).values())}
        if isinstance(exc, Conflict):
            errors["chung"] = (
                "Đã có người sửa nội dung này sau khi bạn mở trang; danh sách dưới đây là "
                "bản mới nhất, hãy thử lại."
            )
        return self._index(request, services, slug, ReleaseForm(), errors, status=exc.status)

    # -- points of several nodes in one commit ------------------------------------------

    @get("/{slug:str}/{node_id:str}/diem", sync_to_thread=True, name="edit-points-form")
    def points_form(
        self,
        request: Request,
        services: Svc,
        viewer: Who,
        slug: FromPath[str],
        node_id: FromPath[str],
    ) -> Template:
        """A node with its children's maximum points, to move points between them."""
        _may_edit(services, viewer, slug)
        m = open_methodology(services.store, Spec(slug))
        return self._points_page(request, services, slug, node_id, m, {}, {})

    def _points_page(
        self,
        request: Request,
        services: Services,
        slug: str,
        node_id: str,
        m: Any,
        typed: dict[str, str],
        errors: dict[str, str],
        *,
        message: str = "",
        elsewhere: list[dict[str, Any]] | None = None,
        stale: dict[str, Any] | None = None,
        status: int = 200,
        fragment: bool = False,
    ) -> Template:
        check_slug(node_id, "node")
        node = m.nodes.get(node_id)
        if node is None:
            raise NotFound(f"no node '{node_id}' in {slug}")
        rows = [node, *m.children_of(node_id)]
        values = {n.id: typed.get(n.id, vi_number(n.max_points)) for n in rows}
        numbers = [_parse_or_none(values[n.id]) for n in rows[1:]]
        total = None if None in numbers else sum((n for n in numbers if n is not None), Decimal(0))
        return page(
            request,
            "edit_points_part.html" if fragment else "edit_points.html",
            status=status,
            slug=slug,
            node=node,
            rows=rows,
            values=values,
            total=None if total is None else vi_number(total),
            adds_up=total is not None and total == _parse_or_none(values[node.id]),
            head=m.commit,
            errors=errors,
            elsewhere=elsewhere or [],
            message=message,
            stale=stale,
            fragment=fragment,
            saved=request.query_params.get("da-luu"),
        )

    @post("/{slug:str}/{node_id:str}/diem/kiem-tra", sync_to_thread=True, name="edit-points-check")
    def points_check(
        self,
        request: Request,
        services: Svc,
        viewer: Who,
        slug: FromPath[str],
        node_id: FromPath[str],
        data: PointsBody,
    ) -> Template:
        """Live check (htmx): the sum, and every problem the new points cause over the
        whole methodology, at its row."""
        _may_edit(services, viewer, slug)
        base = str(data.get("base") or "")
        m = open_methodology(services.store, Spec(slug, base or None))
        typed, edits, errors = _points_edits(services, slug, m, data)
        elsewhere: list[dict[str, Any]] = []
        if edits and not errors:
            try:
                found = check_nodes(services.store, slug, edits, str(m.commit))
            except ApiError as exc:
                errors = _rows_of(exc)
            else:
                errors, elsewhere = _points_problems(m, found, {n.id for n in _rows(m, node_id)})
        return self._points_page(
            request, services, slug, node_id, m, typed, errors, elsewhere=elsewhere, fragment=True
        )

    @post(
        "/{slug:str}/{node_id:str}/diem", sync_to_thread=True, status_code=303, name="edit-points"
    )
    def points(
        self,
        request: Request,
        services: Svc,
        viewer: Who,
        slug: FromPath[str],
        node_id: FromPath[str],
        data: PointsBody,
    ) -> Redirect | Template:
        """Write the changed points as one commit from the form's base."""
        _may_edit(services, viewer, slug)
        base = str(data.get("base") or "")
        message = unicodedata.normalize("NFC", str(data.get("thong_diep") or "")).strip()
        m = open_methodology(services.store, Spec(slug, base or None))
        typed, edits, errors = _points_edits(services, slug, m, data)
        if not edits and not errors:
            errors["chung"] = "Chưa đổi điểm của mục nào."
        elsewhere: list[dict[str, Any]] = []
        if not errors:
            try:
                written = put_nodes(
                    services.store, slug, edits, str(m.commit), viewer.person(), message or None
                )
            except Conflict as exc:
                return self._points_stale(request, services, slug, node_id, m, typed, message, exc)
            except EditRejected as exc:
                found = [(_id_of(m, p.file), p) for p in exc.report.errors]
                errors, elsewhere = _points_problems(m, found, {n.id for n in _rows(m, node_id)})
            except (ApiError, MethodologyError) as exc:
                errors = _rows_of(problem_for(exc))
            else:
                return redirect(
                    request, f"{PREFIX}/{slug}/{node_id}/diem?da-luu={written['commit']}"
                )
        return self._points_page(
            request,
            services,
            slug,
            node_id,
            m,
            typed,
            errors,
            message=message,
            elsewhere=elsewhere,
            status=422,
        )

    def _points_stale(
        self,
        request: Request,
        services: Services,
        slug: str,
        node_id: str,
        m: Any,
        typed: dict[str, str],
        message: str,
        exc: Conflict,
    ) -> Template:
        """Someone committed since the form was loaded: the form again at the newer
        version, this person's points kept, with what the other person changed."""
        head = str(exc.extra.get("newer") or services.store.head())
        newer = open_methodology(services.store, Spec(slug, head))
        changes = [
            (n.code, n.title, vi_number(n.max_points), vi_number(newer.nodes[n.id].max_points))
            for n in _rows(m, node_id)
            if n.id in newer.nodes and newer.nodes[n.id].max_points != n.max_points
        ]
        latest = log_entries(services.store, Spec(slug, head))[:1]
        return self._points_page(
            request,
            services,
            slug,
            node_id,
            newer,
            typed,
            {},
            message=message,
            status=409,
            stale={
                "changes": changes,
                "base": m.commit,
                "head": head,
                "by": latest[0] if latest else None,
            },
        )


def _parse_or_none(text: str) -> Decimal | None:
    try:
        return parse_number(text)
    except ValueError:
        return None


def _rows(m: Any, node_id: str) -> list[Any]:
    if node_id not in m.nodes:
        raise NotFound(f"no node '{node_id}' in {m.name}")
    return [m.nodes[node_id], *m.children_of(node_id)]


def _points_edits(
    services: Services, slug: str, m: Any, data: dict[str, Any]
) -> tuple[dict[str, str], list[NodeEdit], dict[str, str]]:
    """What the person typed by node id, the nodes whose points changed (each written
    whole, as at the form's base, with its new points) and the numbers that do not
    read, by node id."""
    typed: dict[str, str] = {}
    edits: list[NodeEdit] = []
    errors: dict[str, str] = {}
    for key, value in data.items():
        if not key.startswith(POINTS):
            continue
        node_id = key[len(POINTS) :]
        text = unicodedata.normalize("NFC", str(value))
        typed[node_id] = text
        if node_id not in m.nodes:
            errors["chung"] = f"Không có mục “{node_id}”."
            continue
        try:
            points = parse_number(text)
        except ValueError as exc:
            errors[node_id] = f"Điểm tối đa: {exc}."
            continue
        if points != m.nodes[node_id].max_points:
            node = _node(services, slug, node_id, m.commit)
            fields = {**node["front_matter"], "guidance": node["guidance"]}
            edits.append(NodeEdit(node_id, {**fields, "max_points": _number(points)}))
    return typed, edits, errors


def _id_of(m: Any, file: str | None) -> str | None:
    return next((n.id for n in m.walk() if n.path and n.path == file), None)


def _points_problems(
    m: Any, found: list[tuple[str | None, Any]], rows: set[str]
) -> tuple[dict[str, str], list[dict[str, Any]]]:
    """Problems at the rows of the form they are about; those of other nodes listed."""
    errors: dict[str, str] = {}
    elsewhere = []
    for node_id, p in found:
        text = _say(p.message, p.suggestion)
        if p.severity == "error" and node_id in rows:
            _add(errors, node_id, text)
        elif node_id is not None and node_id in m.nodes:
            elsewhere.append(
                {"node": m.nodes[node_id], "error": p.severity == "error", "text": text}
            )
        elif p.severity == "error":
            _add(errors, "chung", text)
    return errors, elsewhere


def _rows_of(exc: ApiError) -> dict[str, str]:
    """A refusal naming `$.nodes.<id>…` as messages by node id."""
    errors: dict[str, str] = {}
    for e in exc.errors:
        path = str(e.get("path") or "")
        name = (
            path.removeprefix("$.nodes.").split(".")[0] if path.startswith("$.nodes.") else "chung"
        )
        _add(errors, name, _say(str(e.get("message", ""))))
    return errors or {"chung": _say(exc.detail)}
