"""Server settings: data with help text, read from `PARINDEX_*` environment variables.

Every setting is declared once in `SETTINGS` with its default and help; a test checks
that each is documented in docs/api.md.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

__all__ = ["LOG_FORMATS", "SETTINGS", "Setting", "Settings"]

# `auto`: text when the error stream is a terminal, JSON otherwise (server.observe.logs).
LOG_FORMATS = ("auto", "json", "text")


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    help: str

    @property
    def env(self) -> str:
        return f"PARINDEX_{self.name.upper()}"


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "database_url",
        "",
        "SQLAlchemy URL of the database; empty means the SQLite file "
        "<data_dir>/parindex.db. Use postgresql+psycopg://user@host/db for PostgreSQL.",
    ),
    Setting(
        "store",
        "",
        "Path of the methodology store (a bare git repository); empty means "
        "<data_dir>/store. Created from the bundled catalog on first start.",
    ),
    Setting(
        "data_dir",
        "var",
        "Folder for runtime data: the SQLite database, the store, evidence files.",
    ),
    Setting("host", "127.0.0.1", "Address `parindex serve` listens on."),
    Setting("port", "8000", "Port `parindex serve` listens on."),
    Setting(
        "max_body_bytes",
        "2000000",
        "Largest request body accepted, in bytes, for JSON requests; evidence uploads are "
        "held to max_evidence_bytes instead.",
    ),
    Setting(
        "max_evidence_bytes",
        "10000000",
        "Largest evidence file accepted, in bytes (the upload's body may exceed it by the "
        "multipart framing, 64 KiB).",
    ),
    Setting(
        "evidence_types",
        ",".join(
            (
                "application/pdf",
                "application/msword",
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                "application/vnd.ms-excel",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "application/vnd.oasis.opendocument.text",
                "application/vnd.oasis.opendocument.spreadsheet",
                "image/jpeg",
                "image/png",
                "image/gif",
                "image/webp",
                "image/tiff",
                "text/plain",
            )
        ),
        "Comma-separated media types accepted as evidence (.pdf, .doc, .docx, .xls, .xlsx, "
        ".odt, .ods, .jpg, .png, .gif, .webp, .tif, .txt); the content must match the type.",
    ),
    Setting(
        "token_key_file",
        "",
        "File holding the server's secret key for API tokens (HMAC-SHA256); empty means "
        "<data_dir>/token-key, created with mode 0600 on first use. Back it up with the "
        "database: without it every issued token stops working.",
    ),
    Setting(
        "auth_failure_limit",
        "20",
        "Failed sign-ins (wrong, revoked or expired token) accepted per client address and "
        "per token prefix within `auth_failure_window`; past it the answer is 429 with "
        "Retry-After.",
    ),
    Setting(
        "auth_failure_window",
        "60",
        "Seconds over which failed sign-ins are counted for `auth_failure_limit`.",
    ),
    Setting(
        "rate_limit",
        "600",
        "Expensive requests accepted per caller per minute, counted apart for each group "
        "(rankings, analyses, documents, imports, evaluations; `server.limits.EXPENSIVE` "
        "lists the operations); a caller is its API token, else its page session, else its "
        "address. Past it the answer is 429 with Retry-After. Counted where `limits_store` "
        "says. 0 turns the limits off.",
    ),
    Setting(
        "limits_store",
        "",
        "Where `rate_limit` and `auth_failure_limit` count: empty, in each process's memory "
        "(one process; N workers then allow N times the limits); a `redis://host:port/db` "
        "URL, in that Redis, shared by every process and every server that names it (the "
        "rate limit's count is read, then written: requests arriving at the same moment "
        "through different processes may pass a few over it; failed sign-ins are exact).",
    ),
    Setting(
        "limits_prefix",
        "parindex",
        "Prefix of the keys `limits_store` writes in Redis: one per deployment sharing "
        "that Redis database.",
    ),
    Setting(
        "cors_origins",
        "",
        "Comma-separated origins (`https://app.example.gov.vn`) whose browser pages may call "
        "the API from another site (CORS); `*` allows any. Empty: CORS off, no "
        "Access-Control-Allow-Origin is ever sent.",
    ),
    Setting(
        "response_cache_bytes",
        "67108864",
        "Bytes of encoded responses kept per process for methodology trees, diffs and "
        "published rankings, keyed by their commits (so never stale), least recently used "
        "dropped first.",
    ),
    Setting("engine_workers", "1", "Worker processes of the durable-rules engine."),
    Setting(
        "default_engine", "compiled", "Engine used when a request names none: compiled or durable."
    ),
    Setting(
        "log_format",
        "auto",
        "How `parindex serve` writes its log: `json` (one JSON object per line: time, level, "
        "logger, message, request_id, and for each request user_id, method, route, path, "
        "status, duration_ms; a traceback is one field), `text` (for a terminal) or `auto` "
        "(text when the error stream is a terminal, JSON otherwise).",
    ),
    Setting(
        "job_queue",
        "inprocess",
        "Where background jobs (`POST /api/jobs`, the audit pages) run: `inprocess` (one "
        "worker thread in each `parindex serve` process, jobs kept in the database) or a "
        "Redis URL such as `redis://127.0.0.1:6379/0` (SAQ: each `parindex serve` process "
        "runs one SAQ worker on that queue).",
    ),
    Setting(
        "samples",
        "on",
        "On first start with an empty database (no units, no submissions), load the bundled "
        "synthetic sample cohorts (units, submissions with appraisals, survey scores); `off` "
        "(or `parindex serve --empty`) starts empty, as production should.",
    ),
    Setting(
        "workers",
        "1",
        "Processes `parindex serve` answers requests with (`--workers`); each has its own "
        "caches, kept right by commit ids and by reading users, tokens and sessions from "
        "the database on every request.",
    ),
    Setting(
        "evidence",
        "",
        "Folder of the evidence files; empty means <data_dir>/evidence. Servers that share "
        "a database must share this folder too (a network file system mounted on each).",
    ),
    Setting(
        "store_remote",
        "",
        "A git remote (a bare repository's path or URL) that several servers share: each "
        "write is pushed to it with a compare-and-swap of the branch, and the local store "
        "becomes its copy. Empty: the local store is the only one.",
    ),
    Setting(
        "store_staleness",
        "1.0",
        "With store_remote: seconds a server may go on reading its copy before it asks the "
        "remote for its refs again (and fetches when they moved); 0 asks on every read. A "
        "commit made through another server is seen at most this long after it.",
    ),
    Setting(
        "expensive_workers",
        "2",
        "Rankings, evaluations, audits and sensitivity analyses run at most this many at "
        "once per server process, in threads of their own, so they never hold up cheap "
        "requests; the others wait their turn (a request whose client leaves is dropped).",
    ),
    Setting(
        "ranking_cache",
        "64",
        "Rankings kept per server process for reuse while their data are unchanged (keyed "
        "by cohort, period, methodology commit and the database's data revision); 0 "
        "computes every ranking afresh.",
    ),
)


@dataclass(frozen=True)
class Settings:
    """Resolved settings; build with `Settings.from_env()` or pass values in tests."""

    database_url: str = ""
    store: str = ""
    data_dir: str = "var"
    host: str = "127.0.0.1"
    port: int = 8000
    max_body_bytes: int = 2_000_000
    max_evidence_bytes: int = 10_000_000
    evidence_types: tuple[str, ...] = field(
        default=tuple(
            t for t in next(s.default for s in SETTINGS if s.name == "evidence_types").split(",")
        )
    )
    token_key_file: str = ""
    auth_failure_limit: int = 20
    auth_failure_window: int = 60
    rate_limit: int = 600
    cors_origins: tuple[str, ...] = ()
    limits_store: str = ""
    limits_prefix: str = "parindex"
    response_cache_bytes: int = 64 * 1024 * 1024
    engine_workers: int = 1
    default_engine: str = "compiled"
    log_format: str = "auto"
    job_queue: str = "inprocess"
    samples: bool = True
    workers: int = 1
    evidence: str = ""
    store_remote: str = ""
    store_staleness: float = 1.0
    expensive_workers: int = 2
    ranking_cache: int = 64

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        env = os.environ if env is None else env
        values: dict[str, Any] = {}  # each converted to its field's type
        types = {f.name: f.type for f in fields(cls)}
        for setting in SETTINGS:
            raw = env.get(setting.env, setting.default)
            try:
                values[setting.name] = _convert(raw, types[setting.name])
            except ValueError as exc:
                raise ValueError(f"{setting.env}: {exc}") from None
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def __post_init__(self) -> None:
        if self.workers < 1:
            raise ValueError(f"PARINDEX_WORKERS: expected 1 or more, got {self.workers}")
        if self.store_staleness < 0:
            raise ValueError(
                f"PARINDEX_STORE_STALENESS: expected 0 or more seconds, got {self.store_staleness}"
            )
        if self.log_format not in LOG_FORMATS:
            expected = ", ".join(LOG_FORMATS)
            raise ValueError(f"PARINDEX_LOG_FORMAT: expected {expected}, got {self.log_format!r}")
        if self.job_queue != "inprocess" and not self.job_queue.startswith(
            ("redis://", "rediss://")
        ):
            raise ValueError(
                f"PARINDEX_JOB_QUEUE: expected inprocess or a redis:// URL, got {self.job_queue!r}"
            )

        if self.limits_store and not self.limits_store.startswith(
            ("redis://", "rediss://", "unix://")
        ):
            raise ValueError(
                f"PARINDEX_LIMITS_STORE: expected empty or a redis:// URL, got {self.limits_store!r}"
            )

    def as_env(self) -> dict[str, str]:
        """These settings as the `PARINDEX_*` variables `from_env` reads them back from."""
        out = {}
        for setting in SETTINGS:
            value = getattr(self, setting.name)
            if isinstance(value, bool):
                out[setting.env] = "on" if value else "off"
            elif isinstance(value, tuple):
                out[setting.env] = ",".join(value)
            else:
                out[setting.env] = str(value)
        return out

    @property
    def database(self) -> str:
        return self.database_url or f"sqlite:///{Path(self.data_dir) / 'parindex.db'}"

    @property
    def store_path(self) -> Path:
        return Path(self.store) if self.store else Path(self.data_dir) / "store"

    @property
    def evidence_dir(self) -> Path:
        return Path(self.evidence) if self.evidence else Path(self.data_dir) / "evidence"

    @property
    def token_key_path(self) -> Path:
        return (
            Path(self.token_key_file) if self.token_key_file else Path(self.data_dir) / "token-key"
        )


_BOOLEANS = {"on": True, "true": True, "yes": True, "1": True} | {
    "off": False,
    "false": False,
    "no": False,
    "0": False,
}


def _convert(raw: str, kind: object) -> object:
    if kind in (int, "int"):
        return int(raw)
    if kind in (float, "float"):
        return float(raw)
    if kind in (bool, "bool"):
        try:
            return _BOOLEANS[raw.strip().lower()]
        except KeyError:
            raise ValueError(f"expected on or off, got {raw!r}") from None
    if kind in ("tuple[str, ...]",):
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    return raw
