"""What an operator watches: `GET /health`, `GET /ready`, `GET /metrics` (Prometheus
text), a request id on every request and log lines as JSON.

Each application has its own `Metrics` (its own registry), so several apps in one
process (the tests) count apart; `observe_requests` wraps an app's ASGI handler. Under
several workers every worker's counts are read by each scrape (`share_between_processes`).
"""

from server.observe.logs import JsonFormatter, logging_config, request_id
from server.observe.metrics import Metrics, process_ended, share_between_processes
from server.observe.middleware import observe_requests
from server.observe.readiness import readiness

__all__ = [
    "JsonFormatter",
    "Metrics",
    "logging_config",
    "observe_requests",
    "process_ended",
    "readiness",
    "request_id",
    "share_between_processes",
]
