"""Log lines: one JSON object per event (for a log shipper), or text for a terminal.

A traceback is one field of its event's line, never lines of its own, and every line
written while a request is served carries that request's id (`request_id`, from or to
`X-Request-ID`).
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import sys
from typing import Any

from server.settings import LOG_FORMATS

__all__ = ["JsonFormatter", "TextFormatter", "logging_config", "request_id"]

# The id of the request being served (None outside one); copied into worker threads
# with the rest of the context, so a sync handler's log lines carry it too.
request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "parindex_request_id", default=None
)

# What every LogRecord has; anything else on a record came as `extra=` and is logged.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "color_message",  # uvicorn's coloured copy of the message
    "taskName",
}


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")}


class JsonFormatter(logging.Formatter):
    """`{"time", "level", "logger", "pid", "message", "request_id", ...extras, "traceback"}`:
    the process id tells apart the workers of `serve --workers N` writing to one log."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            "logger": record.name,
            "pid": record.process,
            "message": record.getMessage(),
        }
        rid = getattr(record, "request_id", None) or request_id.get()
        if rid is not None:
            line["request_id"] = rid
        line.update({k: v for k, v in _extras(record).items() if k != "request_id"})
        if record.exc_info:
            line["traceback"] = self.formatException(record.exc_info)
        elif record.stack_info:
            line["traceback"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """`time LEVEL logger: message [request id]`, the traceback below as Python prints it."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        rid = getattr(record, "request_id", None) or request_id.get()
        if rid is None:
            return text
        first, sep, rest = text.partition("\n")
        return f"{first} [{rid}]{sep}{rest}"


def logging_config(fmt: str = "auto", level: str = "INFO") -> dict[str, Any]:
    """A `logging.config.dictConfig` for `parindex serve` (uvicorn's loggers and ours):
    ``auto`` is text on a terminal and JSON otherwise (a service manager, a container)."""
    if fmt not in LOG_FORMATS:
        raise ValueError(f"log format must be one of {', '.join(LOG_FORMATS)}, not {fmt!r}")
    if fmt == "auto":
        fmt = "text" if sys.stderr.isatty() else "json"
    formatter = JsonFormatter if fmt == "json" else TextFormatter
    handler = {"class": "logging.StreamHandler", "formatter": fmt, "stream": "ext://sys.stderr"}
    quiet = {"handlers": ["default"], "level": level, "propagate": False}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {fmt: {"()": f"{__name__}.{formatter.__name__}"}},
        "handlers": {"default": handler},
        "loggers": {
            "parindex": quiet,
            "uvicorn": quiet,
            "uvicorn.error": {"level": level},
            # parindex logs each request itself, with its id, user and route.
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
    }
