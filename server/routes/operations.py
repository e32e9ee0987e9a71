"""`/health`, `/ready`, `/metrics`: for the operator's probes and scraper, unauthenticated
and cheap (no token is read, so a probe never counts as a failed sign-in). They are
described in docs/api.md ("Operations"), not in the OpenAPI document, which describes
the API people and programs call with a token."""

from __future__ import annotations

from litestar import Controller, Response, get
from litestar.di import NamedDependency

from server import schemas as s
from server.deps import Services
from server.observe.metrics import CONTENT_TYPE
from server.services import operations as svc

__all__ = ["OperationsController"]

Svc = NamedDependency[Services]


class OperationsController(Controller):
    path = "/"
    include_in_schema = False

    @get("/health", operation_id="health", sync_to_thread=False)
    def health(self) -> s.HealthRead:
        """The process is alive and answers (for a liveness probe)."""
        return s.reply(s.HealthRead, svc.health())

    @get(
        "/ready",
        operation_id="ready",
        sync_to_thread=True,
    )
    def ready(self, services: Svc) -> Response[s.ReadyRead]:
        """Whether this process can serve: the database answers and is at the latest
        migration, the store reads, started engine workers are alive; 503 otherwise."""
        answer = s.reply(s.ReadyRead, svc.ready(services))
        return Response(answer, status_code=200 if answer.ready else 503)

    @get("/metrics", operation_id="metrics", sync_to_thread=True, media_type=CONTENT_TYPE)
    def metrics(self, services: Svc) -> Response[bytes]:
        """Counters in the Prometheus text format: requests by route and status with their
        durations, evaluations by engine, git writes by outcome, background jobs, engine
        worker processes."""
        return Response(svc.metrics_text(services), media_type=CONTENT_TYPE)
