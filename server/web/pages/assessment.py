"""Self-assessment: a unit's submissions, and the form of one period (values, "không
phát sinh" with its explanation, evidence per criterion, points as they are typed,
save as draft, submit with the list of what is missing).

What a person types is read here (numbers with a comma or a point, percentages as
percent, yes/no, dates, choices) and handed, as the API would store it, to the same
services the API calls; whether a value is allowed is the services' decision (the
engine's cleaning), said here in Vietnamese at the field.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import File, Redirect, Template

from evaluators import Result
from rules import InputSpec, InputType
from server.auth import Principal
from server.deps import Services
from server.errors import ApiError, BadRequest, Conflict, Unprocessable
from server.format import parse_date, parse_number, stored_number, vi_number
from server.labels import STATUS_LABELS, TRANSITION_LABELS, choice_label
from server.services.assessment import (
    Assessment,
    FormRow,
    open_assessment,
    partial_points,
    running_result,
    unit_assessments,
)
from server.services.contributions import (
    assessment_version,
    assignable_units,
    assignments,
    mark_done,
    put_assignments,
)
from server.services.evidence import (
    add_evidence,
    content_disposition,
    evidence_file,
    remove_evidence,
)
from server.services.forms import XLSX, blank_form, import_form, submission_form
from server.services.requirements import missing_requirements, statuses_of
from server.services.submissions import create_submission, submit, update_submission
from server.web.messages import vi_detail
from server.web.render import is_htmx, page, redirect

__all__ = ["AssessmentPages"]

PREFIX = "/tu-danh-gia"
Svc = NamedDependency[Services]
Who = NamedDependency[Principal]
HUNDRED = Decimal(100)
# What the form says after a change it could not make (`?loi=` after an htmx request).
ERRORS = {
    "khong-xoa": "Không xoá được minh chứng: hồ sơ đã nộp nên không còn sửa được.",
}
_PATH = re.compile(r"\$\.(values|not_applicable|documents)\.(.+)")
# The parts of a document an uploaded file may say it is, as the form names them.
FILE_FIELDS = {"so": "number", "ngay": "date", "trich_yeu": "title", "co_quan": "issuer"}


def is_percent(spec: InputSpec) -> bool:
    """A ratio is typed as a percentage (79,5 for 0.795), as the documents write it."""
    return spec.type is InputType.RATIO


def bounds_text(spec: InputSpec) -> str:
    """What a number may be, in words: "từ 0 đến 100 %", "số nguyên, từ 0"."""
    low, high = spec.domain_min, spec.domain_max
    if is_percent(spec):
        low = low * HUNDRED if low is not None else None
        high = high * HUNDRED if high is not None else None
    unit = " %" if is_percent(spec) else (f" {spec.unit}" if spec.unit else "")
    whole = "số nguyên, " if spec.type is InputType.COUNT else ""
    if low is not None and high is not None:
        return f"{whole}từ {vi_number(low)} đến {vi_number(high)}{unit}"
    if low is not None:
        return f"{whole}từ {vi_number(low)} trở lên"
    if high is not None:
        return f"{whole}không quá {vi_number(high)}{unit}"
    return whole.rstrip(", ")


def shown_value(spec: InputSpec, value: Any) -> str:
    """A stored value as its input shows it (a ratio as percent, a comma for decimals)."""
    if value is None:
        return ""
    if spec.type in (InputType.NUMBER, InputType.RATIO, InputType.COUNT):
        if isinstance(value, bool):
            return str(value)
        try:
            number = Decimal(str(value))
        except ArithmeticError:
            return str(value)
        return vi_number(number * HUNDRED if is_percent(spec) else number)
    return str(value)


def read_value(spec: InputSpec, text: str) -> Any:
    """What a person typed for ``spec``, as the API stores it; None when left empty.
    Raises ValueError with a Vietnamese message."""
    text = text.strip()
    if not text:
        return None
    if spec.type is InputType.BOOL:
        if text in ("co", "khong"):
            return text == "co"
        raise ValueError("hãy chọn Có hoặc Không")
    if spec.type is InputType.ENUM:
        if text not in spec.choices:
            raise ValueError("hãy chọn một trong các mức đã cho")
        return text
    if spec.type is InputType.DATE:
        try:
            return parse_date(text).isoformat()
        except ValueError:
            raise ValueError(f"'{text}' không phải là một ngày (viết dd/mm/yyyy)") from None
    number = parse_number(text)
    if is_percent(spec):
        number = number / HUNDRED
    return stored_number(number)


def invalid_message(spec: InputSpec) -> str:
    """Why the services refused a value of ``spec``, in the form's words."""
    if spec.type is InputType.BOOL:
        return "hãy chọn Có hoặc Không"
    if spec.type is InputType.ENUM:
        return "hãy chọn một trong các mức đã cho"
    if spec.type is InputType.DATE:
        return "ngày không hợp lệ (viết dd/mm/yyyy)"
    return f"giá trị phải là {bounds_text(spec)}"


@dataclass
class Filled:
    """A posted form read: the values and claims to store, what was typed (shown back
    as it was), and the message at each field that could not be read."""

    values: dict[str, Any] = field(default_factory=dict)
    not_applicable: dict[str, str | None] = field(default_factory=dict)
    # node → the giải trình written where evidence is required (None: none written)
    explanations: dict[str, str | None] = field(default_factory=dict)
    typed: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def over(self, submission: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
        """The values and claims the draft would have with what was typed: a
        contributor's form holds its own rows only, the rest stay as stored."""
        values = {**submission["values"], **self.values}
        claims = {**submission["not_applicable"], **self.not_applicable}
        return (
            {k: v for k, v in values.items() if v is not None},
            {k: v for k, v in claims.items() if v is not None},
        )


def _text(form: dict[str, Any], name: str) -> str:
    value = form.get(name, "")
    if isinstance(value, list):  # a repeated name: the last one wins, as a browser sends it
        value = value[-1] if value else ""
    return value if isinstance(value, str) else ""


def explains(row: FormRow) -> bool:
    """Whether the row takes a giải trình besides "không phát sinh": its evidence is
    required (explained when there is none), or it always needs one."""
    needs = row.node.requires
    return needs.evidence or "always" in needs.explanation


def read_form(assessment: Assessment, form: dict[str, Any]) -> Filled:
    """Every self-assessed row's inputs, "không phát sinh" and giải trình from the posted
    form (a contributor's: its own rows only)."""
    filled = Filled()
    for section in assessment.sections:
        for row in section.rows:
            if not row.self_assessed:
                continue
            if assessment.mine is not None and row.node.id not in assessment.mine:
                continue
            if explains(row):
                text = _text(form, f"gtmc.{row.node.id}").strip()
                filled.typed[f"gtmc.{row.node.id}"] = text
                filled.explanations[row.node.id] = text or None
            for spec in row.inputs:
                text = _text(form, f"v.{spec.id}")
                filled.typed[spec.id] = text
                try:
                    filled.values[spec.id] = read_value(spec, text)
                except ValueError as exc:
                    filled.errors[spec.id] = str(exc)
            if row.allow_not_applicable:
                node = row.node.id
                why = _text(form, f"giai_trinh.{node}").strip()
                filled.typed[f"giai_trinh.{node}"] = why
                if _text(form, f"kps.{node}"):
                    filled.not_applicable[node] = why
                    filled.typed[f"kps.{node}"] = "1"
                    if not why:
                        filled.errors[f"giai_trinh.{node}"] = (
                            "hãy giải trình vì sao nội dung này không phát sinh"
                        )
                else:
                    filled.not_applicable[node] = None
    return filled


def stored_as_typed(assessment: Assessment) -> dict[str, str]:
    """The stored values as the form's inputs show them."""
    sub = assessment.submission
    typed: dict[str, str] = {}
    for section in assessment.sections:
        for row in section.rows:
            for spec in row.inputs:
                value = sub["values"].get(spec.id)
                if spec.type is InputType.BOOL and isinstance(value, bool):
                    typed[spec.id] = "co" if value else "khong"
                else:
                    typed[spec.id] = shown_value(spec, value)
            if row.node.id in sub["not_applicable"]:
                typed[f"kps.{row.node.id}"] = "1"
                typed[f"giai_trinh.{row.node.id}"] = str(sub["not_applicable"][row.node.id])
            why = explanation_of(sub["documents"].get(row.node.id))
            if why:
                typed[f"gtmc.{row.node.id}"] = why
    return typed


def explanation_of(entries: Any) -> str:
    """The giải trình among a node's documents (the form keeps one)."""
    for entry in entries or []:
        if isinstance(entry, dict) and entry.get("explanation"):
            return str(entry["explanation"])
    return ""


def named_documents(entries: Any) -> list[dict[str, str]]:
    """A node's documents that name one (its giải trình aside)."""
    return [e for e in entries or [] if isinstance(e, dict) and not e.get("explanation")]


def documents_patch(assessment: Assessment, filled: Filled) -> dict[str, Any]:
    """The documents of the rows whose giải trình the form changed: their named documents
    kept, the giải trình replaced (a node left with nothing is removed)."""
    stored = assessment.submission["documents"]
    patch: dict[str, Any] = {}
    for node, why in filled.explanations.items():
        if (why or "") == explanation_of(stored.get(node)):
            continue
        kept = named_documents(stored.get(node))
        entries = kept + ([{"explanation": why}] if why else [])
        patch[node] = entries or None
    return patch


def _specs(assessment: Assessment) -> dict[str, tuple[InputSpec, FormRow]]:
    return {
        spec.id: (spec, row)
        for section in assessment.sections
        for row in section.rows
        for spec in row.inputs
    }


def field_errors(assessment: Assessment, problems: list[dict[str, Any]]) -> dict[str, str]:
    """The services' invalid values ($.values.<input>) at their fields."""
    specs = _specs(assessment)
    out: dict[str, str] = {}
    for p in problems:
        if p.get("status", "invalid") != "invalid":  # a missing value is no error while typing
            continue
        match = _PATH.fullmatch(str(p.get("path", "")))
        if match and match[1] == "values" and match[2] in specs:
            out[match[2]] = invalid_message(specs[match[2]][0])
    return out


def missing_list(assessment: Assessment, problems: list[dict[str, Any]]) -> list[dict[str, str]]:
    """What stops a submission, one line per problem, linked to its row."""
    specs = _specs(assessment)
    rows = {r.node.id: r for s in assessment.sections for r in s.rows}
    out = []
    for p in problems:
        match = _PATH.fullmatch(str(p.get("path", "")))
        if match and match[1] == "values" and match[2] in specs:
            spec, row = specs[match[2]]
            what = "chưa nhập" if "missing" in str(p.get("message", "")) else "giá trị không hợp lệ"
            out.append(
                {"node": row.node.id, "code": row.node.code, "text": f"{what}: {spec.label}"}
            )
        elif match and match[2] in rows:
            row = rows[match[2]]
            message = str(p.get("message", ""))
            ours = message.startswith(f"{row.node.code} ") and ": " in message
            text = message.split(": ", 1)[1] if ours else "giải trình không hợp lệ"
            out.append({"node": row.node.id, "code": row.node.code, "text": text})
        else:
            out.append({"node": "", "code": "", "text": vi_detail(str(p.get("message", "")))})
    return out


def points_context(assessment: Assessment, result: Result) -> dict[str, Any]:
    """What the points fragments show: per node (rows and fields) and the total."""
    points = partial_points(result)
    statuses = {n.id: n.status for n in result.walk()}
    total = result.total
    if total is None:
        total = sum((points[n.id] for n in result.nodes), Decimal(0))
    return {
        "points": points,
        "statuses": statuses,
        "total": total,
        "complete_total": result.total is not None,
        "index": result.index,
        "max_total": sum((s.node.max_points for s in assessment.sections), Decimal(0)),
    }


@dataclass
class StartForm:
    ky: str = ""
    phien_ban: str = ""
    csrf_token: str = ""


FormBody = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
Start = Annotated[StartForm, Body(media_type=RequestEncodingType.URL_ENCODED)]
# The form's files arrive as `tep.<node id>` (one file input per criterion, one form for
# all of them), so the names are not known in advance: a dict, not a dataclass.
Upload = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]
# Several files may go in one request; each is still held to `max_evidence_bytes` by the
# evidence service (a 413 naming the file).
UPLOAD_MAX_BYTES = 200_000_000
# A filled form is ~60 KB; above 10 MB `open_workbook` says the file is too large.
FORM_MAX_BYTES = 11_000_000


def _form_page(
    request: Request,
    services: Services,
    viewer: Principal,
    assessment: Assessment,
    *,
    typed: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    missing: list[dict[str, str]] | None = None,
    notice: str | None = None,
    error: str | None = None,
    status: int = 200,
) -> Template:
    sub = assessment.submission
    shown = typed if typed is not None else stored_as_typed(assessment)
    if typed is None:
        values, claims = sub["values"], sub["not_applicable"]
    else:
        filled = read_form(assessment, {_name(k): v for k, v in typed.items()})
        values, claims = filled.over(sub)
    result = running_result(services, viewer, sub["id"], values, claims)
    files = {node for node in assessment.evidence if node is not None}
    m = assessment_version(services, sub)
    needs = {
        p["node"]: p["text"]
        for p in missing_requirements(m, statuses_of(result), claims, sub["documents"], files)
    }
    return page(
        request,
        "assess_form.html",
        status=status,
        a=assessment,
        needs=needs,
        explains=explains,
        named_documents=named_documents,
        team=assignments(services, viewer, sub["id"]),
        units=assignable_units(services, assessment),
        sub=sub,
        typed=shown,
        errors=errors or {},
        missing=missing,
        notice=notice,
        error=error,
        status_label=STATUS_LABELS.get(sub["status"], sub["status"]),
        status_labels=STATUS_LABELS,
        transition_labels=TRANSITION_LABELS,
        choice_label=choice_label,
        bounds_text=bounds_text,
        is_percent=is_percent,
        **points_context(assessment, result),
    )


def _name(key: str) -> str:
    """The form field of a `Filled.typed` key."""
    return key if key.startswith(("kps.", "giai_trinh.", "gtmc.")) else f"v.{key}"


class AssessmentPages(Controller):
    path = PREFIX

    @get("/", sync_to_thread=True, name="assessment-home")
    def home(self, request: Request, services: Svc, viewer: Who) -> Template:
        mine = unit_assessments(services, viewer)
        return page(
            request,
            "assess_home.html",
            mine=mine,
            status_labels=STATUS_LABELS,
            default_period=str(dt.date.today().year - 1),
        )

    @post("/bat-dau", sync_to_thread=True, status_code=303, name="assessment-start")
    def start(self, request: Request, services: Svc, viewer: Who, data: Start) -> Redirect:
        unit_assessments(services, viewer)  # 403 for a viewer without a unit
        methodology, _, ref = data.phien_ban.partition("@")
        body = {
            "unit_id": viewer.unit_id,
            "period": data.ky.strip(),
            "methodology": methodology,
            "ref": ref or None,
        }
        try:
            created = create_submission(services, viewer, body)
        except Conflict as exc:
            existing = exc.extra.get("existing")
            if existing is None:
                raise
            return redirect(request, f"{PREFIX}/{existing}")
        return redirect(request, f"{PREFIX}/{created['id']}")

    @get("/{submission_id:int}", sync_to_thread=True, name="assessment-form")
    def form(
        self, request: Request, services: Svc, viewer: Who, submission_id: FromPath[int]
    ) -> Template:
        assessment = open_assessment(services, viewer, submission_id)
        notice = {
            "da-luu": "Đã lưu bản nháp.",
            "da-nop": "Đã nộp hồ sơ tự đánh giá.",
            "da-tai": "Đã tải minh chứng lên.",
            "da-xoa": "Đã xoá minh chứng.",
            "da-nhap": "Đã nhập biểu mẫu Excel vào bản nháp.",
            "da-giao": "Đã lưu phân công.",
            "da-xong": "Đã đánh dấu xong phần việc được giao.",
        }.get(request.query_params.get("tb", ""))
        error = ERRORS.get(request.query_params.get("loi", ""))
        return _form_page(request, services, viewer, assessment, notice=notice, error=error)

    @post("/{submission_id:int}/diem", sync_to_thread=True, name="assessment-points")
    def points(
        self,
        request: Request,
        services: Svc,
        viewer: Who,
        submission_id: FromPath[int],
        data: FormBody,
    ) -> Template:
        assessment = open_assessment(services, viewer, submission_id)
        filled = read_form(assessment, data)
        result = running_result(
            services, viewer, submission_id, *filled.over(assessment.submission)
        )
        errors = {**field_errors(assessment, result.problems), **filled.errors}
        return page(
            request,
            "assess_points.html",
            a=assessment,
            errors=errors,
            checked=[s.id for _, s in _all_inputs(assessment)] + _na_names(assessment),
            **points_context(assessment, result),
        )

    @post("/{submission_id:int}", sync_to_thread=True, status_code=303, name="assessment-save")
    def save(
        self,
        request: Request,
        services: Svc,
        viewer: Who,
        submission_id: FromPath[int],
        data: FormBody,
    ) -> Redirect | Template:
        assessment = open_assessment(services, viewer, submission_id)
        failed = self._store(request, services, viewer, assessment, data)
        if failed is not None:
            return failed
        if _text(data, "hanh_dong") != "nop":
            return redirect(request, f"{PREFIX}/{submission_id}?tb=da-luu")
        saved = open_assessment(services, viewer, submission_id)
        try:
            submit(services, viewer, submission_id, str(saved.submission["revision"]))
        except Unprocessable as exc:
            return _form_page(
                request,
                services,
                viewer,
                saved,
                missing=missing_list(saved, exc.errors),
                status=422,
            )
        return redirect(request, f"{PREFIX}/{submission_id}?tb=da-nop")

    def _store(
        self,
        request: Request,
        services: Svc,
        viewer: Who,
        assessment: Assessment,
        data: dict[str, Any],
    ) -> Template | None:
        """Save the posted values over the draft; a page with the fields' messages when
        any value cannot be stored (then nothing is)."""
        filled = read_form(assessment, data)
        errors = dict(filled.errors)
        if not errors:
            revision = _text(data, "revision") or None
            patch = {"values": filled.values, "not_applicable": filled.not_applicable}
            if documents := documents_patch(assessment, filled):
                patch["documents"] = documents
            try:
                update_submission(services, viewer, assessment.submission["id"], patch, revision)
            except Unprocessable as exc:
                errors = field_errors(assessment, exc.errors)
                if not errors:
                    raise
        if errors:
            return _form_page(
                request,
                services,
                viewer,
                assessment,
                typed=filled.typed,
                errors=errors,
                status=422,
            )
        return None

    @post(
        "/{submission_id:int}/minh-chung",
        sync_to_thread=True,
        status_code=303,
        name="assessment-evidence",
        request_max_body_size=UPLOAD_MAX_BYTES,
    )
    def upload(
        self,
        request: Request,
        services: Svc,
        viewer: Who,
        submission_id: FromPath[int],
        data: Upload,
    ) -> Redirect | Template:
        files = uploaded_files(data)
        if not files:
            raise BadRequest(
                "hãy chọn ít nhất một tệp minh chứng", [{"path": "tep", "message": "chưa chọn tệp"}]
            )
        for node_id, upload in files:
            document = {part: _text(data, f"{f}.{node_id}") for f, part in FILE_FIELDS.items()}
            add_evidence(services, viewer, submission_id, upload, node_id, document)
        nodes = list(dict.fromkeys(node for node, _ in files))
        if is_htmx(request):
            assessment = open_assessment(services, viewer, submission_id)
            rows = [r for s in assessment.sections for r in s.rows if r.node.id in nodes]
            return page(
                request,
                "assess_evidence.html",
                a=assessment,
                rows=rows,
                sub=assessment.submission,
                general=False,
            )
        return redirect(request, f"{PREFIX}/{submission_id}?tb=da-tai#dong-{nodes[0]}")

    @post(
        "/{submission_id:int}/minh-chung/{evidence_id:int}/xoa",
        sync_to_thread=True,
        status_code=303,
        name="assessment-evidence-remove",
    )
    def remove(
        self,
        request: Request,
        services: Svc,
        viewer: Who,
        submission_id: FromPath[int],
        evidence_id: FromPath[int],
    ) -> Redirect | Template:
        """Remove a file from the draft (`remove_evidence`): with htmx its criterion's
        block is redrawn in place, without it the form is shown again with a notice. A
        submitted form says why nothing was removed, in the form's words."""
        try:
            removed = remove_evidence(services, viewer, submission_id, evidence_id)
        except Conflict:
            if is_htmx(request):  # htmx swaps no 409: the whole page, with the message
                return redirect(request, f"{PREFIX}/{submission_id}?loi=khong-xoa")
            assessment = open_assessment(services, viewer, submission_id)
            return _form_page(
                request, services, viewer, assessment, error=ERRORS["khong-xoa"], status=409
            )
        node = removed["node_id"]
        if is_htmx(request):
            assessment = open_assessment(services, viewer, submission_id)
            rows = [r for s in assessment.sections for r in s.rows if r.node.id == node]
            return page(
                request,
                "assess_evidence.html",
                a=assessment,
                rows=rows,
                sub=assessment.submission,
                general=node is None,
            )
        anchor = f"#dong-{node}" if node else ""
        return redirect(request, f"{PREFIX}/{submission_id}?tb=da-xoa{anchor}")

    @get(
        "/{submission_id:int}/minh-chung/{evidence_id:int}",
        sync_to_thread=True,
        name="assessment-evidence-file",
    )
    def evidence(
        self,
        services: Svc,
        viewer: Who,
        submission_id: FromPath[int],
        evidence_id: FromPath[int],
    ) -> File:
        row, path = evidence_file(services, viewer, submission_id, evidence_id)
        return File(
            path=path,
            media_type=row.media_type,
            headers={"Content-Disposition": content_disposition(row.filename)},
            content_disposition_type="attachment",
            filename=row.filename,
        )

    @post("/{submission_id:int}/phan-cong", sync_to_thread=True, status_code=303)
    def assign(
        self,
        request: Request,
        services: Svc,
        viewer: Who,
        submission_id: FromPath[int],
        data: FormBody,
    ) -> Redirect:
        """The focal point gives whole fields to other units (`giao.<field>`: a unit id,
        or empty for the unit itself); criteria one by one go through the API."""
        given: dict[str, list[str]] = {}
        for name in data:
            unit = _text(data, name).strip()
            if name.startswith("giao.") and unit:
                given.setdefault(unit, []).append(name.removeprefix("giao."))
        body = {"assignments": [{"unit_id": u, "nodes": n} for u, n in given.items()]}
        put_assignments(services, viewer, submission_id, body)
        return redirect(request, f"{PREFIX}/{submission_id}?tb=da-giao#phan-cong")

    @post("/{submission_id:int}/xong", sync_to_thread=True, status_code=303)
    def done(
        self, request: Request, services: Svc, viewer: Who, submission_id: FromPath[int]
    ) -> Redirect:
        """A contributor marks its part done."""
        mark_done(services, viewer, submission_id, viewer.unit_id or "")
        return redirect(request, f"{PREFIX}/{submission_id}?tb=da-xong#phan-cong")

    @get("/bieu-mau", sync_to_thread=True, name="assessment-blank-form")
    def blank_form(
        self, services: Svc, viewer: Who, ky: FromQuery[str] = "", phien_ban: FromQuery[str] = ""
    ) -> Response[bytes]:
        """The blank Excel form of a version for the viewer's unit and a period."""
        mine = unit_assessments(services, viewer)
        methodology, _, ref = phien_ban.partition("@")
        data, filename = blank_form(
            services, viewer, methodology, ref or None, mine.unit.id, ky.strip()
        )
        return _xlsx(data, filename)

    @post(
        "/nhap-bieu-mau",
        sync_to_thread=True,
        status_code=303,
        name="assessment-import-form",
        request_max_body_size=FORM_MAX_BYTES,
    )
    def import_new(
        self, request: Request, services: Svc, viewer: Who, data: Upload
    ) -> Redirect | Template:
        """A filled form as the draft of its period: a new one, or the unit's draft of
        that period and version when it has one."""
        mine = unit_assessments(services, viewer)
        content, filename = _form_file(data)
        try:
            try:
                done = import_form(services, viewer, content, filename, unit=mine.unit.id)
            except Conflict as exc:
                existing = exc.extra.get("existing")
                if existing is None:
                    raise
                done = import_form(services, viewer, content, filename, submission_id=existing)
        except ApiError as exc:
            return _import_failed(request, exc, PREFIX)
        return redirect(request, f"{PREFIX}/{done['id']}?tb=da-nhap")

    @get("/{submission_id:int}/bieu-mau", sync_to_thread=True, name="assessment-form-file")
    def filled_form(
        self, services: Svc, viewer: Who, submission_id: FromPath[int]
    ) -> Response[bytes]:
        """The submission's Excel form with its values filled in."""
        data, filename = submission_form(services, viewer, submission_id)
        return _xlsx(data, filename)

    @post(
        "/{submission_id:int}/nhap-bieu-mau",
        sync_to_thread=True,
        status_code=303,
        name="assessment-import-into",
        request_max_body_size=FORM_MAX_BYTES,
    )
    def import_into(
        self,
        request: Request,
        services: Svc,
        viewer: Who,
        submission_id: FromPath[int],
        data: Upload,
    ) -> Redirect | Template:
        """A filled form replacing this draft's values."""
        content, filename = _form_file(data)
        try:
            import_form(services, viewer, content, filename, submission_id=submission_id)
        except ApiError as exc:
            return _import_failed(request, exc, f"{PREFIX}/{submission_id}")
        return redirect(request, f"{PREFIX}/{submission_id}?tb=da-nhap")


def _xlsx(data: bytes, filename: str) -> Response[bytes]:
    return Response(
        data,
        media_type=XLSX,
        headers={"Content-Disposition": content_disposition(filename)},
    )


def _form_file(data: dict[str, Any]) -> tuple[bytes, str]:
    upload = data.get("tep")
    if isinstance(upload, list):
        upload = upload[-1] if upload else None
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise BadRequest(
            "hãy chọn tệp biểu mẫu Excel đã điền", [{"path": "tep", "message": "chưa chọn tệp"}]
        )
    return upload.file.read(), upload.filename


def _import_failed(request: Request, exc: ApiError, back: str) -> Template:
    """What stopped an import, each problem at its cell; nothing was written."""
    if exc.status not in (409, 415, 422):
        raise exc
    return page(
        request,
        "assess_import.html",
        status=exc.status,
        detail=vi_detail(exc.detail),
        problems=exc.errors,
        back=back,
    )


def uploaded_files(data: dict[str, Any]) -> list[tuple[str, UploadFile]]:
    """(node id, file) for every file chosen in the form: a criterion's input is named
    `tep.<node id>`; an input left empty arrives as a part without a file name."""
    out = []
    for name, value in data.items():
        if not name.startswith("tep."):
            continue
        for upload in value if isinstance(value, list) else [value]:
            if isinstance(upload, UploadFile) and upload.filename:
                out.append((name.removeprefix("tep."), upload))
    return out


def _all_inputs(assessment: Assessment) -> list[tuple[FormRow, InputSpec]]:
    return [(r, s) for sec in assessment.sections for r in sec.rows for s in r.inputs]


def _na_names(assessment: Assessment) -> list[str]:
    return [
        f"giai_trinh.{r.node.id}"
        for sec in assessment.sections
        for r in sec.rows
        if r.allow_not_applicable
    ]
