"""Derive and rebase (province editors, and the ministry on national derived indices):
create a derived index from a national release, edit its overlay, and move it onto a
newer national release through the rebase plan.

Every write is a call of `server.services.methodologies` (the functions behind
`POST /api/methodologies`, `PUT /api/methodologies/{slug}/overlay`,
`PUT …/nodes/{id}` and `POST …/rebase`), so permissions, validation and the commits'
authors are the API's own. This module only turns form rows into an overlay document
and the services' problems back into errors at the rows."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template

from methodology import MethodologyError, Store
from server.auth import Principal, require
from server.deps import Services
from server.errors import ApiError, BadRequest, Unprocessable, problem_for
from server.format import parse_number, sort_vi, vi_number
from server.services import methodologies as svc
from server.web.messages import vi_detail
from server.web.render import page, redirect

__all__ = ["DerivePages"]

Svc = NamedDependency[Services]
Who = NamedDependency[Principal]

Many = list[str] | str  # a repeated form field: one value arrives as a plain string
NEW_ROWS = 3  # blank rows for local criteria on a form


def _many(value: Many) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


@dataclass
class OverlayRows:
    """The overlay as form rows: one row per node of the national version (`nut`, with
    `ten_moi`, `diem_moi`, `ly_do` in the same order), the ids ticked in `bo`, up to
    `NEW_ROWS` local criteria, and the scale to rescale to."""

    nut: Many = field(default_factory=list)
    bo: Many = field(default_factory=list)
    ten_moi: Many = field(default_factory=list)
    diem_moi: Many = field(default_factory=list)
    ly_do: Many = field(default_factory=list)
    moi_cha: Many = field(default_factory=list)
    moi_id: Many = field(default_factory=list)
    moi_ma: Many = field(default_factory=list)
    moi_ten: Many = field(default_factory=list)
    moi_diem: Many = field(default_factory=list)
    quy_doi: str = ""
    csrf_token: str = ""


@dataclass
class DeriveForm(OverlayRows):
    goc: str = ""
    ban: str = ""
    slug: str = ""
    ten: str = ""
    cap: str = ""


@dataclass
class OverlayForm(OverlayRows):
    base: str = ""
    thong_diep: str = ""


@dataclass
class ResolveForm:
    len: str = ""
    base: str = ""
    muc: Many = field(default_factory=list)
    chon: Many = field(default_factory=list)
    csrf_token: str = ""


@dataclass
class ApplyForm:
    len: str = ""
    nhan: Many = field(default_factory=list)
    csrf_token: str = ""


DeriveBody = Annotated[DeriveForm, Body(media_type=RequestEncodingType.URL_ENCODED)]
OverlayBody = Annotated[OverlayForm, Body(media_type=RequestEncodingType.URL_ENCODED)]
ResolveBody = Annotated[ResolveForm, Body(media_type=RequestEncodingType.URL_ENCODED)]
ApplyBody = Annotated[ApplyForm, Body(media_type=RequestEncodingType.URL_ENCODED)]


# -- form rows ⇄ overlay ------------------------------------------------------------------


def _points(text: str, where: str, errors: dict[str, str]) -> Decimal | None:
    if not text.strip():
        return None
    try:
        return parse_number(text)
    except ValueError as exc:
        errors[where] = str(exc)
        return None


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def overlay_from_rows(
    existing: dict[str, Any], form: OverlayRows, errors: dict[str, str]
) -> dict[str, Any]:
    """``existing`` with the rows' removals, titles, points and reasons; keys the page
    does not show (guidance, rules, evidence, rescale groups of some nodes) are kept."""
    ids, titles, points, reasons = (
        _many(form.nut),
        _many(form.ten_moi),
        _many(form.diem_moi),
        _many(form.ly_do),
    )
    if not len(ids) == len(titles) == len(points) == len(reasons):
        raise BadRequest("the form's rows do not line up", [{"path": "$.nut", "message": "rows"}])
    ticked = set(_many(form.bo))
    old_removals = {
        (r if isinstance(r, str) else r.get("id")): r for r in existing.get("remove") or []
    }
    overrides = {k: dict(v) for k, v in (existing.get("override") or {}).items()}
    removals: list[Any] = []
    for node_id, title, point, reason in zip(ids, titles, points, reasons, strict=True):
        if node_id in ticked:
            old = old_removals.get(node_id)
            removals.append(
                {"id": node_id, "reason": reason.strip()}
                if reason.strip()
                else (old if old is not None else node_id)
            )
            continue
        entry = overrides.get(node_id, {})
        for key, value in (("title", title.strip()), ("reason", reason.strip())):
            if value:
                entry[key] = value
            else:
                entry.pop(key, None)
        number = _points(point, f"diem:{node_id}", errors)
        if number is not None:
            entry["max_points"] = _number(number)
        elif not point.strip():
            entry.pop("max_points", None)
        if set(entry) - {"reason"}:
            overrides[node_id] = entry
        else:
            overrides.pop(node_id, None)
    # Removals of nodes the form does not list (not in this national version) stay.
    removals += [r for i, r in old_removals.items() if i not in set(ids)]
    out: dict[str, Any] = {}
    if removals:
        out["remove"] = removals
    if overrides:
        out["override"] = overrides
    groups = [g for g in existing.get("rescale") or [] if g.get("nodes")]
    total = _points(form.quy_doi, "quy_doi", errors)
    if total is not None:
        groups.append({"total": _number(total)})
    if groups:
        out["rescale"] = groups
    return out


@dataclass(frozen=True)
class LocalRow:
    parent: str
    id: str
    code: str
    title: str
    points: Decimal


def local_rows(form: OverlayRows, errors: dict[str, str]) -> list[LocalRow]:
    """The filled rows of local criteria (a row with only a parent chosen is empty)."""
    out = []
    rows = zip(
        _many(form.moi_cha),
        _many(form.moi_id),
        _many(form.moi_ma),
        _many(form.moi_ten),
        _many(form.moi_diem),
        strict=False,
    )
    for i, (parent, node_id, code, title, point) in enumerate(rows):
        if not (node_id.strip() or title.strip() or point.strip()):
            continue
        if not svc.SLUG.match(node_id.strip()):
            errors[f"moi:{i}"] = "Mã định danh chỉ gồm chữ thường không dấu, số và dấu gạch ngang."
            continue
        if not title.strip():
            errors[f"moi:{i}"] = "Hãy nhập tên tiêu chí."
            continue
        number = _points(point, f"moi:{i}", errors)
        if number is None or number <= 0:
            errors.setdefault(f"moi:{i}", "Hãy nhập điểm tối đa lớn hơn 0.")
            continue
        out.append(LocalRow(parent, node_id.strip(), code.strip(), title.strip(), number))
    return out


def _local_node(row: LocalRow) -> dict[str, Any]:
    """A yes/no criterion: the simplest rule a province can add from the page (the node
    page edits it further)."""
    answer = "dat_" + re.sub(r"[^a-z0-9]+", "_", row.id).strip("_")
    node: dict[str, Any] = {
        "id": row.id,
        "title": row.title,
        "max_points": _number(row.points),
        "inputs": {answer: {"type": "bool", "label": row.title}},
        "scoring": {"kind": "boolean", "when": answer},
        "parent": row.parent or None,
        "guidance": f"Đạt yêu cầu: {vi_number(row.points)} điểm. Không đạt yêu cầu: 0 điểm.",
    }
    if row.code:
        node["code"] = row.code
    return node


def _add_locals(store: Store, slug: str, rows: list[LocalRow], viewer: Principal) -> list[str]:
    """Write each local criterion as a node of the derived index; the Vietnamese problem of
    each one refused."""
    problems = []
    for row in rows:
        base = store.head() or ""
        body = {"node": _local_node(row), "base": base, "message": f"{slug}: thêm {row.id}"}
        try:
            svc.put_node(store, slug, row.id, body, viewer.person())
        except ApiError as exc:
            found = "; ".join(vi_detail(e["message"]) for e in exc.errors or []) or vi_detail(
                exc.detail
            )
            problems.append(f"{row.id}: {found}")
    return problems


def _row_errors(exc: ApiError, overlay: dict[str, Any]) -> dict[str, str]:
    """The services' problems by row: `$.overlay.remove[2]` is the third removal's node,
    `$.overlay.override.<id>…` that node's row; anything else is about the whole form."""
    removals = [r if isinstance(r, str) else r.get("id") for r in overlay.get("remove") or []]
    out: dict[str, str] = {}
    general = []
    for e in exc.errors or []:
        path, message = e["path"], vi_detail(e["message"])
        match = re.match(r"\$\.overlay\.remove\[(\d+)\]", path)
        if match and int(match[1]) < len(removals):
            out[f"nut:{removals[int(match[1])]}"] = message
            continue
        match = re.match(r"\$\.overlay\.override\.([a-z0-9_-]+)", path)
        if match:
            out[f"nut:{match[1]}"] = message
            continue
        if path.startswith("$.overlay.rescale"):
            out["quy_doi"] = message
            continue
        general.append(message)
    if general or not out:
        out["_"] = " ".join([vi_detail(exc.detail), *general])
    return out


# -- the pages ---------------------------------------------------------------------------


def _national_releases(store: Store) -> list[dict[str, Any]]:
    return [
        {"slug": e.slug, "title": e.title, "releases": [r.tag for r in e.releases]}
        for e in svc.catalog(store)
        if e.extends is None and e.releases
    ]


def _flat(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The tree's nested nodes in display order."""
    out = []
    for node in nodes:
        out.append(node)
        out += _flat(node["children"])
    return out


def _rows(store: Store, base_slug: str, ref: str, overlay: dict[str, Any]) -> list[dict[str, Any]]:
    """The national version's nodes with what the overlay does to each."""
    removed = {
        (r if isinstance(r, str) else r.get("id")): (
            None if isinstance(r, str) else r.get("reason")
        )
        for r in overlay.get("remove") or []
    }
    overrides = overlay.get("override") or {}
    rows = []
    for node in _flat(svc.show(store, base_slug, ref)["nodes"]):
        entry = overrides.get(node["id"]) or {}
        rows.append(
            {
                **node,
                "removed": node["id"] in removed,
                "new_title": entry.get("title", ""),
                "new_points": entry.get("max_points"),
                "reason": (
                    removed.get(node["id"]) if node["id"] in removed else entry.get("reason")
                )
                or "",
            }
        )
    return rows


def _rescale_total(overlay: dict[str, Any]) -> Any:
    for group in overlay.get("rescale") or []:
        if not group.get("nodes"):
            return group.get("total")
    return None


class DerivePages(Controller):
    path = "/dia-phuong"

    @get("/", sync_to_thread=True, name="derive-index")
    def index(self, request: Request, services: Svc, viewer: Who) -> Template:
        require(viewer, "methodology.read")
        derived = [m for m in svc.list_methodologies(services.store) if m["extends"]]
        mine = []
        for m in sort_vi(derived, key=lambda m: m["title"] or m["slug"]):
            scope = svc.methodology_scope(services.store, m["slug"])
            mine.append({**m, "province": scope["province"]})
        return page(request, "derive_index.html", derived=mine)

    # -- derive ---------------------------------------------------------------------------

    @get("/tao-moi", sync_to_thread=True, name="derive-new")
    def new(self, request: Request, services: Svc, viewer: Who) -> Template:
        require(viewer, "methodology.create", province=viewer.province, derived=True)
        tag = request.query_params.get("ban", "")
        form = DeriveForm(goc=request.query_params.get("goc") or tag.partition("/")[0], ban=tag)
        return self._new_page(request, services.store, form, {})

    def _new_page(
        self,
        request: Request,
        store: Store,
        form: DeriveForm,
        errors: dict[str, str],
        overlay: dict[str, Any] | None = None,
        status: int = 200,
    ) -> Template:
        bases = _national_releases(store)
        rows: list[dict[str, Any]] = []
        if form.goc and form.ban:
            if not any(b["slug"] == form.goc and form.ban in b["releases"] for b in bases):
                raise BadRequest(f"no release {form.ban} of {form.goc}")
            rows = _rows(store, form.goc, form.ban, overlay or {})
        return page(
            request,
            "derive_new.html",
            status=status,
            bases=bases,
            form=form,
            rows=rows,
            errors=errors,
            new_rows=NEW_ROWS,
            rescale=form.quy_doi,
        )

    @post("/tao-moi", sync_to_thread=True, status_code=303)
    def create(
        self,
        request: Request,
        services: Svc,
        viewer: Who,
        data: DeriveBody,
    ) -> Redirect | Template:
        store = services.store
        errors: dict[str, str] = {}
        overlay = overlay_from_rows({}, data, errors)
        locals_ = local_rows(data, errors)
        if not svc.SLUG.match(data.slug):
            errors["slug"] = (
                "Chỉ gồm chữ thường không dấu, số và dấu gạch ngang, ví dụ daklak-so-2025."
            )
        if not data.ten.strip():
            errors["ten"] = "Hãy nhập tên bộ chỉ số."
        if not data.cap.strip():
            errors["cap"] = "Hãy nhập cấp áp dụng, ví dụ sở."
        if errors:
            return self._new_page(request, store, data, errors, overlay, status=422)
        base_scale = (svc.show(store, data.goc, data.ban)["manifest"] or {}).get("scale", 100)
        manifest: dict[str, Any] = {
            "title": data.ten.strip(),
            "level": data.cap.strip(),
            "extends": f"{data.goc}@{data.ban}",
            "scale": overlay.get("rescale", [{}])[-1].get("total", base_scale),
        }
        if viewer.province:
            manifest["owner"] = {"province": viewer.province}
        require(viewer, "methodology.create", province=viewer.province, derived=True)
        body = {
            "slug": data.slug,
            "manifest": manifest,
            "overlay": overlay,
            "message": f"{data.slug}: tạo chỉ số dẫn xuất từ {data.ban}",
        }
        try:
            svc.create_methodology(store, body, viewer.person())
        except ApiError as exc:
            if exc.status not in (400, 409, 422):
                raise
            errors["slug"] = vi_detail(exc.detail)
            return self._new_page(request, store, data, errors, overlay, status=exc.status)
        problems = _add_locals(store, data.slug, locals_, viewer)
        suffix = "&loi-tieu-chi-rieng=1" if problems else ""
        return redirect(request, f"/dia-phuong/{data.slug}/overlay?da-tao=1{suffix}")

    # -- the overlay ----------------------------------------------------------------------

    @get("/{slug:str}/overlay", sync_to_thread=True, name="derive-overlay")
    def overlay(
        self, request: Request, services: Svc, viewer: Who, slug: FromPath[str]
    ) -> Template:
        require(viewer, "methodology.edit", **svc.methodology_scope(services.store, slug))
        data = svc.get_overlay(services.store, slug)
        errors = {"_": " ".join(vi_detail(p["message"]) for p in data["problems"])}
        return self._overlay_page(
            request,
            services.store,
            slug,
            data,
            data["overlay"],
            {} if not data["problems"] else errors,
        )

    def _overlay_page(
        self,
        request: Request,
        store: Store,
        slug: str,
        data: dict[str, Any],
        overlay: dict[str, Any],
        errors: dict[str, str],
        *,
        base: str | None = None,
        newer: str | None = None,
        status: int = 200,
    ) -> Template:
        extends = data["extends"]
        tree = svc.show(store, slug, None)
        local = [
            n for n in _flat(tree["nodes"]) if (n.get("derivation") or {}).get("status") == "local"
        ]
        return page(
            request,
            "derive_overlay.html",
            status=status,
            slug=slug,
            title=(tree["manifest"] or {}).get("title") or slug,
            extends=extends,
            base=base or data["commit"],
            newer=newer,
            rows=_rows(store, extends["methodology"], extends["ref"], overlay),
            local=local,
            errors=errors,
            new_rows=NEW_ROWS,
            rescale=_rescale_total(overlay),
            created=request.query_params.get("da-tao") == "1",
            saved=request.query_params.get("da-luu") == "1",
            rebased=request.query_params.get("da-cap-nhat") == "1",
            local_failed=request.query_params.get("loi-tieu-chi-rieng") == "1",
        )

    @post("/{slug:str}/overlay", sync_to_thread=True, status_code=303)
    def save_overlay(
        self,
        request: Request,
        services: Svc,
        viewer: Who,
        slug: FromPath[str],
        data: OverlayBody,
    ) -> Redirect | Template:
        store = services.store
        require(viewer, "methodology.edit", **svc.methodology_scope(store, slug))
        current = svc.get_overlay(store, slug, data.base or None)
        errors: dict[str, str] = {}
        overlay = overlay_from_rows(current["overlay"], data, errors)
        locals_ = local_rows(data, errors)
        if errors:
            return self._overlay_page(
                request, store, slug, current, overlay, errors, base=data.base, status=422
            )
        if overlay != current["overlay"]:
            body = {"overlay": overlay, "base": data.base, "message": data.thong_diep or None}
            try:
                svc.put_overlay(store, slug, body, viewer.person())
            except ApiError as exc:
                if exc.status == 409:
                    return self._overlay_page(
                        request,
                        store,
                        slug,
                        current,
                        overlay,
                        {"_": "Đã có người sửa nội dung này. Thay đổi của bạn vẫn ở dưới đây."},
                        base=data.base,
                        newer=store.head(),
                        status=409,
                    )
                if exc.status not in (400, 422):
                    raise
                return self._overlay_page(
                    request,
                    store,
                    slug,
                    current,
                    overlay,
                    _row_errors(exc, overlay),
                    base=data.base,
                    status=422,
                )
        problems = _add_locals(store, slug, locals_, viewer)
        if problems:
            fresh = svc.get_overlay(store, slug)
            return self._overlay_page(
                request, store, slug, fresh, fresh["overlay"], {"_": " ".join(problems)}, status=422
            )
        return redirect(request, f"/dia-phuong/{slug}/overlay?da-luu=1")

    # -- rebase ---------------------------------------------------------------------------

    @get("/{slug:str}/cap-nhat", sync_to_thread=True, name="derive-rebase")
    def rebase(self, request: Request, services: Svc, viewer: Who, slug: FromPath[str]) -> Template:
        require(viewer, "methodology.rebase", **svc.methodology_scope(services.store, slug))
        return self._rebase_page(request, services.store, slug, request.query_params.get("len"), {})

    def _rebase_page(
        self,
        request: Request,
        store: Store,
        slug: str,
        onto: str | None,
        errors: dict[str, str],
        *,
        acknowledged: list[str] | None = None,
        status: int = 200,
    ) -> Template:
        current = svc.get_overlay(store, slug)
        base_slug = current["extends"]["methodology"]
        releases = [r.tag for r in store.releases(base_slug)]
        plan = svc.rebase_report(store, slug, onto) if onto else None
        return page(
            request,
            "derive_rebase.html",
            status=status,
            slug=slug,
            current=current,
            releases=releases,
            onto=onto or "",
            plan=plan,
            errors=errors,
            acknowledged=set(acknowledged or []),
            resolved=request.query_params.get("da-giai-quyet") == "1",
        )

    @post("/{slug:str}/cap-nhat/giai-quyet", sync_to_thread=True, status_code=303)
    def resolve(
        self,
        request: Request,
        services: Svc,
        viewer: Who,
        slug: FromPath[str],
        data: ResolveBody,
    ) -> Redirect | Template:
        store = services.store
        require(viewer, "methodology.edit", **svc.methodology_scope(store, slug))
        choices = {m: c for m, c in zip(_many(data.muc), _many(data.chon), strict=False) if c}
        try:
            svc.resolve_rebase(store, slug, data.len, choices, data.base, viewer.person())
        except ApiError as exc:
            if exc.status not in (409, 422):
                raise
            message = (
                "Đã có người sửa overlay trong lúc bạn xem; kế hoạch dưới đây đã được lập lại."
                if exc.status == 409
                else " ".join(
                    [vi_detail(exc.detail), *(vi_detail(e["message"]) for e in exc.errors or [])]
                )
            )
            return self._rebase_page(
                request, store, slug, data.len, {"_": message}, status=exc.status
            )
        return redirect(request, f"/dia-phuong/{slug}/cap-nhat?len={data.len}&da-giai-quyet=1")

    @post("/{slug:str}/cap-nhat", sync_to_thread=True, status_code=303)
    def apply(
        self,
        request: Request,
        services: Svc,
        viewer: Who,
        slug: FromPath[str],
        data: ApplyBody,
    ) -> Redirect | Template:
        store = services.store
        require(viewer, "methodology.rebase", **svc.methodology_scope(store, slug))
        if not data.len:
            raise Unprocessable("give `onto`", [{"path": "$.len", "message": "required"}])
        acknowledged = _many(data.nhan)
        try:
            svc.rebase_apply(store, slug, data.len, viewer.person(), acknowledged=acknowledged)
        except (ApiError, MethodologyError) as caught:
            exc = problem_for(caught)
            if exc.status not in (409, 422):
                raise
            return self._rebase_page(
                request,
                store,
                slug,
                data.len,
                {"_": vi_detail(exc.detail)},
                acknowledged=acknowledged,
                status=exc.status,
            )
        return redirect(request, f"/dia-phuong/{slug}/overlay?da-cap-nhat=1")
