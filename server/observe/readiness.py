"""`GET /ready`: whether this process can serve — the database answers and is at the
latest migration, the methodology store reads, the started engines have their workers."""

from __future__ import annotations

import functools
import time
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine

__all__ = ["readiness"]


@functools.cache
def _head(script_location: str) -> str | None:
    """The latest migration shipped with this code (read once: it cannot change)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", script_location)
    return ScriptDirectory.from_config(config).get_current_head()


def _database(db: Engine, script_location: str) -> dict[str, Any]:
    from alembic.runtime.migration import MigrationContext

    with db.connect() as connection:
        connection.execute(text("SELECT 1"))
        current = MigrationContext.configure(connection).get_current_revision()
    head = _head(script_location)
    check: dict[str, Any] = {"ok": True}
    migrations = {"ok": current == head, "current": current, "head": head}
    return {"database": check, "migrations": migrations}


def readiness(services: Any, script_location: str) -> dict[str, Any]:
    """`{"ready": bool, "checks": {name: {"ok": bool, ...}}, "seconds": float}`; a check
    that raises is not ok, with its error named (never the stack: the route is public)."""
    started = time.perf_counter()
    checks: dict[str, dict[str, Any]] = {}
    try:
        checks.update(_database(services.db, script_location))
    except Exception as exc:
        checks["database"] = {"ok": False, "error": type(exc).__name__}
    try:
        checks["store"] = {"ok": services.store.head() is not None}
    except Exception as exc:
        checks["store"] = {"ok": False, "error": type(exc).__name__}
    for name, health in services.engine_health().items():
        checks[f"engine:{name}"] = {"ok": health["alive"] == health["size"], **health}
    return {
        "ready": all(c["ok"] for c in checks.values()),
        "checks": checks,
        "seconds": round(time.perf_counter() - started, 4),
    }
