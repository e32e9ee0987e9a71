"""Appraisal (the council): submissions by status, one submission per criterion with
the unit's and the council's points side by side, adjusting with a reason, finishing,
returning a record to its unit.

Every change is one call of `server.services.submissions` (`add_appraisal`,
`finish_appraisal`, `reopen`), the functions the API's endpoints call, so the checks
(points within the criterion's range, a reason, who may appraise what) are the API's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import File, Redirect, Template

from server.auth import Principal
from server.deps import Services
from server.errors import ApiError
from server.format import parse_date, parse_number, sort_vi, vi_number
from server.labels import STATUS_LABELS, TRANSITION_LABELS
from server.services import evidence as evidence_svc
from server.services import review
from server.services import submissions as svc
from server.services.appraisal_view import (
    AppraisalView,
    Target,
    appraisal_queue,
    appraisal_view,
    queue_choices,
)
from server.web.messages import vi_detail
from server.web.render import is_htmx, page, redirect

__all__ = ["AppraisalPages"]

Svc = NamedDependency[Services]
Who = NamedDependency[Principal]


@dataclass
class AdjustForm:
    khoa: str = ""
    gia_tri: str = ""
    ly_do: str = ""
    csrf_token: str = ""


@dataclass
class ReasonForm:
    ly_do: str = ""
    csrf_token: str = ""


@dataclass
class SupplementForm:
    muc: str = ""
    ghi_chu: str = ""
    han: str = ""
    csrf_token: str = ""


Adjust = Annotated[AdjustForm, Body(media_type=RequestEncodingType.URL_ENCODED)]
Supplement = Annotated[SupplementForm, Body(media_type=RequestEncodingType.URL_ENCODED)]
Reason = Annotated[ReasonForm, Body(media_type=RequestEncodingType.URL_ENCODED)]
BOOL_WORDS = {"co": True, "khong": False}


def _value(target: Target, text: str) -> tuple[str, Any]:
    """The API body's field and value for what was typed (``0,5`` and ``0.5`` alike);
    ValueError with a Vietnamese message when it is not one."""
    if target.kind == "points":
        return "points", str(parse_number(text))
    if target.kind in ("ratio", "count", "number"):
        number = parse_number(text)
        if number == number.to_integral_value():
            return "value", int(number)
        return "value", float(number)  # as a JSON body brings it to the API
    if target.kind == "bool":
        if text not in BOOL_WORDS:
            raise ValueError("chọn Có hoặc Không")
        return "value", BOOL_WORDS[text]
    if not text.strip():
        raise ValueError("chưa nhập giá trị")
    return "value", text.strip()


def _field_message(message: str) -> str:
    if message == "required":
        return "Cần ghi lý do điều chỉnh."
    if message.startswith("must be between 0 and "):
        top = message.removeprefix("must be between 0 and ")
        return f"Điểm phải từ 0 đến {vi_number(top)}."
    return vi_detail(message)


def _errors(exc: ApiError) -> dict[str, str]:
    fields = {"$.reason": "ly_do", "$.points": "gia_tri", "$.value": "gia_tri"}
    out: dict[str, str] = {}
    for e in exc.errors or []:
        out.setdefault(fields.get(e["path"], "_"), _field_message(e["message"]))
    if not out:
        out["_"] = vi_detail(exc.detail)
    return out


def _target(view: AppraisalView, key: str) -> tuple[str, Target] | None:
    for section in view.sections:
        for c in section.criteria:
            for t in c.targets:
                if t.key == key:
                    return c.id, t
    return None


class AppraisalPages(Controller):
    path = "/tham-dinh"

    @get("/", sync_to_thread=True, name="appraise-list")
    def queue(self, request: Request, services: Svc, viewer: Who) -> Template:
        q = request.query_params
        cohort, period, status = q.get("nhom", ""), q.get("ky", ""), q.get("trang-thai", "")
        entries = appraisal_queue(
            services,
            viewer,
            cohort=cohort or None,
            period=period or None,
            status=status if status in STATUS_LABELS else None,
        )
        by_status: dict[str, list[Any]] = {s: [] for s in STATUS_LABELS}
        for e in entries:
            by_status[e.status].append(e)
        groups = [
            (s, STATUS_LABELS[s], sort_vi(rows, key=lambda e: e.unit_name))
            for s, rows in by_status.items()
            if rows
        ]
        return page(
            request,
            "appraise_list.html",
            groups=groups,
            choices=queue_choices(services, viewer),
            chosen={"nhom": cohort, "ky": period, "trang_thai": status},
            statuses=STATUS_LABELS,
        )

    @get("/{submission_id:int}", sync_to_thread=True, name="appraise-submission")
    def submission(
        self, request: Request, services: Svc, viewer: Who, submission_id: FromPath[int]
    ) -> Template:
        return self._page(request, appraisal_view(services, viewer, submission_id))

    def _page(
        self,
        request: Request,
        view: AppraisalView,
        *,
        status: int = 200,
        form: AdjustForm | None = None,
        errors: dict[str, str] | None = None,
        reopen_errors: dict[str, str] | None = None,
        reopen_form: ReasonForm | None = None,
        supplement_form: SupplementForm | None = None,
        supplement_errors: dict[str, str] | None = None,
    ) -> Template:
        return page(
            request,
            "appraise_submission.html",
            status=status,
            view=view,
            form=form or AdjustForm(),
            errors=errors or {},
            reopen_form=reopen_form or ReasonForm(),
            reopen_errors=reopen_errors or {},
            supplement_form=supplement_form or SupplementForm(),
            supplement_errors=supplement_errors or {},
            statuses=STATUS_LABELS,
            actions=TRANSITION_LABELS,
            saved=request.query_params.get("da-luu", ""),
            finished=request.query_params.get("da-hoan-tat") == "1",
        )

    @post("/{submission_id:int}/dieu-chinh", sync_to_thread=True, status_code=303)
    def adjust(
        self,
        request: Request,
        services: Svc,
        viewer: Who,
        submission_id: FromPath[int],
        data: Adjust,
    ) -> Redirect | Template:
        view = appraisal_view(services, viewer, submission_id)
        found = _target(view, data.khoa)
        errors: dict[str, str] = {}
        if not view.appraisable:
            errors["_"] = _not_appraisable(view)
        elif found is None:
            errors["_"] = f"Không có chỉ tiêu hay giá trị '{data.khoa}' để điều chỉnh."
        else:
            try:
                field, value = _value(found[1], data.gia_tri)
                body = {"key": data.khoa, field: value, "reason": data.ly_do}
                svc.add_appraisal(services, viewer, submission_id, body)
            except ValueError as exc:
                errors["gia_tri"] = str(exc)
            except ApiError as exc:
                if exc.status not in (400, 409, 422):
                    raise
                errors = _errors(exc)
        node = found[0] if found else ""
        if is_htmx(request) and found is not None:
            # htmx swaps only 2xx answers: the row comes back with its errors at 200.
            fresh = appraisal_view(services, viewer, submission_id) if not errors else view
            return page(
                request,
                "appraise_row.html",
                view=fresh,
                criterion=fresh.criterion(node),
                form=data if errors else AdjustForm(),
                errors=errors,
                saved=node if not errors else "",
            )
        if errors:
            return self._page(request, view, status=422, form=data, errors=errors)
        return redirect(request, f"/tham-dinh/{submission_id}?da-luu={node}#tc-{node}")

    @post("/{submission_id:int}/hoan-tat", sync_to_thread=True, status_code=303)
    def finish(
        self, request: Request, services: Svc, viewer: Who, submission_id: FromPath[int]
    ) -> Redirect | Template:
        view = appraisal_view(services, viewer, submission_id)
        if not view.appraisable:
            return self._page(request, view, status=409, errors={"_": _not_appraisable(view)})
        svc.finish_appraisal(services, viewer, submission_id)
        return redirect(request, f"/tham-dinh/{submission_id}?da-hoan-tat=1")

    @post("/{submission_id:int}/tra-lai", sync_to_thread=True, status_code=303)
    def reopen(
        self,
        request: Request,
        services: Svc,
        viewer: Who,
        submission_id: FromPath[int],
        data: Reason,
    ) -> Redirect | Template:
        try:
            svc.reopen(services, viewer, submission_id, {"reason": data.ly_do})
        except ApiError as exc:
            if exc.status not in (400, 409):
                raise
            view = appraisal_view(services, viewer, submission_id)
            problems = {"ly_do": "Cần ghi lý do trả lại."} if exc.status == 400 else {}
            if exc.status == 409:
                problems["_"] = _not_appraisable(view)
            return self._page(
                request, view, status=exc.status, reopen_errors=problems, reopen_form=data
            )
        return redirect(request, f"/tham-dinh/{submission_id}")

    @post("/{submission_id:int}/yeu-cau-bo-sung", sync_to_thread=True, status_code=303)
    def supplement(
        self,
        request: Request,
        services: Svc,
        viewer: Who,
        submission_id: FromPath[int],
        data: Supplement,
    ) -> Redirect | Template:
        """Return the record for supplement: the criteria named by code or id, a note and
        the date it is due (`review.return_submission`)."""
        view = appraisal_view(services, viewer, submission_id)
        nodes, unknown = _nodes(view, data.muc)
        errors: dict[str, str] = {}
        if unknown:
            errors["muc"] = f"Hồ sơ không có mục {', '.join(unknown)}."
        if not data.ghi_chu.strip():
            errors["ghi_chu"] = "Cần ghi nội dung yêu cầu bổ sung."
        body: dict[str, Any] = {"nodes": nodes, "note": data.ghi_chu}
        if data.han.strip():
            try:
                body["due"] = parse_date(data.han).isoformat()
            except ValueError as exc:
                errors["han"] = str(exc)
        if not errors:
            try:
                review.return_submission(services, viewer, submission_id, body)
            except ApiError as exc:
                if exc.status not in (400, 409, 422):
                    raise
                errors["_"] = vi_detail(exc.detail)
        if errors:
            return self._page(
                request, view, status=422, supplement_form=data, supplement_errors=errors
            )
        return redirect(request, f"/tham-dinh/{submission_id}#dien-bien")

    @post("/{submission_id:int}/hoi-dong", sync_to_thread=True, status_code=303)
    def council(
        self, request: Request, services: Svc, viewer: Who, submission_id: FromPath[int]
    ) -> Redirect | Template:
        """Send the appraised record to the council's round 2."""
        try:
            review.send_to_council(services, viewer, submission_id, {})
        except ApiError as exc:
            if exc.status != 409:
                raise
            view = appraisal_view(services, viewer, submission_id)
            return self._page(request, view, status=409, errors={"_": vi_detail(exc.detail)})
        return redirect(request, f"/tham-dinh/{submission_id}#dien-bien")

    @get(
        "/{submission_id:int}/tai-lieu/{evidence_id:int}",
        sync_to_thread=True,
        media_type="application/octet-stream",
    )
    def evidence(
        self, services: Svc, viewer: Who, submission_id: FromPath[int], evidence_id: FromPath[int]
    ) -> File:
        """The evidence file, through the API's own reading of it (who may read the
        submission may read its files)."""
        row, path = evidence_svc.evidence_file(services, viewer, submission_id, evidence_id)
        return File(
            path,
            filename=row.filename,
            media_type=row.media_type,
            headers={
                "Content-Disposition": evidence_svc.content_disposition(row.filename),
                "X-Content-Type-Options": "nosniff",
            },
        )


def _nodes(view: AppraisalView, text: str) -> tuple[list[str], list[str]]:
    """The node ids of the fields and criteria named in ``text`` by code or id (commas,
    semicolons or spaces between them), and the names that are neither."""
    known: dict[str, str] = {}
    for section in view.sections:
        known[section.code] = known[section.id] = section.id
        for c in section.criteria:
            known[c.code] = known[c.id] = c.id
    names = [n for n in text.replace(";", ",").replace(",", " ").split() if n]
    return [known[n] for n in names if n in known], [n for n in names if n not in known]


def _not_appraisable(view: AppraisalView) -> str:
    status = view.submission["status"]
    if status == "draft":
        return "Hồ sơ đang soạn: đơn vị chưa nộp nên chưa thể thẩm định."
    return f"Hồ sơ ở trạng thái “{STATUS_LABELS.get(status, status)}”: không thể thẩm định."
