"""What an operator asks of a running server: is it alive, can it serve, what has it
done (`/health`, `/ready`, `/metrics`)."""

from __future__ import annotations

from typing import Any

from server.db import MIGRATIONS
from server.deps import Services
from server.jobs import queue_depth
from server.observe import readiness

__all__ = ["health", "metrics_text", "observed", "ready"]


def health() -> dict[str, Any]:
    return {"status": "ok"}


def ready(services: Services) -> dict[str, Any]:
    return readiness(services, str(MIGRATIONS))


def observed(services: Services) -> dict[str, Any]:
    """The state `/metrics` reads when scraped (see `Metrics.watch`)."""
    return {
        "git_writes": dict(services.store.writes),
        "jobs_queued": queue_depth(services.db),
        "engine_workers": services.engine_health(),
    }


def metrics_text(services: Services) -> bytes:
    services.metrics.watch(lambda: observed(services))
    return services.metrics.render()
