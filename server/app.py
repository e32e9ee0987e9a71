"""The Litestar application: `create_app(settings)`.

Resources — the database engine, the git store and the scoring engines, held by
`server.deps.Services` — are created in the lifespan and closed in `finally`. Handlers are thin: they call plain services in
`server/services/`, and every error goes through `server.errors`.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar, Request, Response, Router
from litestar.datastructures import State
from litestar.di import Provide
from litestar.exceptions import HTTPException, TooManyRequestsException, ValidationException
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import RedocRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from msgspec import Struct

from server.auth import provide_principal
from server.caching import declare_cache_headers
from server.deps import Services, open_services
from server.errors import ApiError, BadRequest, problem_body, problem_for, too_large
from server.jobs import open_queue
from server.limits import (
    RATE_LIMIT_STORE,
    PurgedMemoryStore,
    SharedStore,
    cors_config,
    rate_limit_config,
    rate_limit_store,
    too_many,
)
from server.observe import observe_requests, process_ended
from server.routes import CONTROLLERS
from server.routes.evidence import EvidenceController
from server.routes.office import OfficeController
from server.routes.users import TokenController, UserController
from server.schemas import (
    BEARER,
    declare_file_types,
    declare_headers,
    declare_upload,
    decode_body,
    openapi_components,
    refuse_nul,
)
from server.services.evidence import MULTIPART_SLACK
from server.services.forms import XLSX
from server.services.office import DOCX
from server.services.samples import load_on_first_start
from server.settings import Settings
from server.web import page_error, page_router, static_router, template_config, wants_page

__all__ = ["create_app"]

log = logging.getLogger("parindex")

FAVICON = "<link rel='icon' type='image/svg+xml' href='/static/favicon.svg'>"


async def _strict_body(request: Request) -> None:
    """Decode a typed JSON body strictly before Litestar converts it (leniently, so that
    "5" would become 5): wrong types, unknown fields, deep nesting and NUL characters
    (in the body or the parameters) are a 400 naming the field, before any handler runs."""
    refuse_nul(request.query_params.multi_items(), "$.query")
    refuse_nul(request.path_params.items(), "$.path")
    field_ = request.route_handler.parsed_fn_signature.parameters.get("data")
    model = field_.annotation if field_ is not None else None
    if isinstance(model, type) and issubclass(model, Struct):
        decode_body(await request.body(), model)


def _error_response(request: Request, exc: Exception) -> Response:
    if wants_page(request):  # a browser on a path no page or API route matched
        return page_error(request, exc)
    headers: dict[str, str] = {}
    if isinstance(exc, ValidationException):
        errors = [
            {"path": _json_path(e), "message": e.get("message", "")}
            for e in (exc.extra or [])
            if isinstance(e, dict)
        ]
        error: ApiError = BadRequest(exc.detail or "the request is malformed", errors)
    elif isinstance(exc, TooManyRequestsException):
        error = too_many(exc)
    elif isinstance(exc, HTTPException) and exc.status_code == 413:
        error = _too_large(request)
    elif isinstance(exc, HTTPException) and not isinstance(exc, ApiError):
        error = ApiError(exc.detail)
        error.status, error.title = exc.status_code, _title(exc.status_code)
        if exc.status_code == 405:  # RFC 9110: a 405 names the methods that are allowed
            headers = {"Allow": (exc.headers or {}).get("allow", "")}
    else:
        error = problem_for(exc)
        if type(error) is ApiError and error.status == 500:
            log.exception("unhandled error on %s", request.url.path, exc_info=exc)
    headers.update(getattr(error, "headers", None) or {})  # e.g. a 429's Retry-After
    body = problem_body(
        error.status,
        error.title,
        error.detail,
        instance=request.url.path,
        errors=error.errors,
        **error.extra,
    )
    return Response(
        body, status_code=error.status, media_type="application/problem+json", headers=headers
    )


def _too_large(request: Request) -> ApiError:
    """413 naming the limit that applies: a file upload's route names its file limit
    (`opt={"file_limit": <setting>}`), every other route its body limit."""
    handler = request.scope.get("route_handler")
    setting = handler.opt.get("file_limit") if handler is not None else None
    if setting:
        limit = getattr(request.app.state.services.settings, setting)
        return too_large("tệp tải lên", limit, "$.file")
    try:
        limit = request.route_handler.resolve_request_max_body_size()
    except Exception:  # no route matched: nothing more precise to say
        limit = None
    return too_large("nội dung yêu cầu", limit)


def _json_path(error: dict[str, Any]) -> str:
    """Where a parameter Litestar refused is: `$.path.submission_id`, `$.query.ref`."""
    key, source = error.get("key"), error.get("source")
    where: dict[Any, str] = {
        "path": "$.path",
        "query": "$.query",
        "header": "$.headers",
        "cookie": "$.cookies",
    }
    prefix = where.get(source, "$")
    return f"{prefix}.{key}" if key and key != "data" else prefix


def _title(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def create_app(settings: Settings | None = None, *, services: Services | None = None) -> Litestar:
    """The application; with ``services`` given, the caller owns them (tests).

    The lifespan opens the services of `app.state.settings` (``settings`` until changed):
    an app built once (a third of a second: its routes, its OpenAPI document) can be
    started again over another data folder and database with the same limits, as the
    tests do."""
    settings = settings or Settings.from_env()
    # Routes that take a file (evidence, a criteria table) accept up to the evidence limit.
    evidence = Router(
        "/",
        route_handlers=[EvidenceController, OfficeController],
        request_max_body_size=settings.max_evidence_bytes + MULTIPART_SLACK,
    )

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        owned = services is None
        app.state.services = open_services(app.state.settings) if owned else services
        counts = app.stores.get(RATE_LIMIT_STORE)
        if isinstance(counts, PurgedMemoryStore):  # a shared store is not this process's
            await counts.delete_all()  # a new start counts afresh
        jobs = app.state.services.jobs = open_queue(app.state.services)
        try:
            if owned:
                load_on_first_start(app.state.services)
            await jobs.start()
            yield
        finally:
            # First: a running job stops and is queued again before what it uses closes.
            await jobs.stop()
            if owned:
                app.state.services.close()
            if isinstance(counts, SharedStore):
                await counts.disconnect()
            process_ended()

    def provide_services(request: Request) -> Services:
        return request.app.state.services

    limits = rate_limit_config(settings)
    app = Litestar(
        route_handlers=[
            *CONTROLLERS,
            evidence,
            UserController,
            TokenController,
            page_router(),
            static_router(),
        ],
        template_config=template_config(),
        lifespan=[lifespan],
        dependencies={
            "services": Provide(provide_services, sync_to_thread=False),
            "principal": Provide(provide_principal, sync_to_thread=True),
        },
        exception_handlers={Exception: _error_response},
        before_request=_strict_body,
        middleware=[limits.middleware] if limits is not None else [],
        cors_config=cors_config(settings),
        stores={RATE_LIMIT_STORE: rate_limit_store(settings)},
        request_max_body_size=settings.max_body_bytes,
        openapi_config=OpenAPIConfig(
            title="parindex",
            version="0.1.0",
            description="Composite administrative indices (PAR INDEX) as rules-as-code.",
            path="/schema",
            use_handler_docstrings=True,
            # Redoc from our own /static, and no web fonts: the docs work on an intranet.
            render_plugins=[
                RedocRenderPlugin(
                    js_url="/static/redoc.standalone.js",
                    google_fonts=False,
                    favicon=FAVICON,
                    path="/",
                )
            ],
            components=Components(
                security_schemes={
                    BEARER: SecurityScheme(
                        type="http",
                        scheme="bearer",
                        description="An API token (`pdx_<prefix>_<secret>`) of `parindex user add`.",
                    )
                }
            ),
        ),
        state=State({"settings": settings}),
        debug=False,
    )
    # Around routing itself, so a path no route matches is counted and logged too.
    app.asgi_handler = observe_requests(
        app.asgi_handler, lambda scope: scope["app"].state.services.metrics
    )
    # The bodies' schemas as the strict decoder reads them (see `schemas.openapi_components`).
    document = app.openapi_schema  # built once, before it is first served
    declare_headers(document)
    declare_cache_headers(document)
    declare_file_types(document, "downloadEvidence", settings.evidence_types)
    declare_file_types(document, "downloadJobFile", (XLSX, DOCX))  # a report job's document
    for operation_id in ("importForm", "importSubmissionForm"):
        # The workbook's own type, or any bytes: the content decides (415 for a non-workbook).
        declare_upload(
            document,
            operation_id,
            (XLSX, "application/octet-stream"),
            "The filled form (.xlsx), as downloaded",
        )
    components = document.components
    precise = openapi_components()
    components.schemas = {
        name: precise.get(name, schema) for name, schema in (components.schemas or {}).items()
    }
    return app
