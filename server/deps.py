"""What request handlers need, created once per application: `Services` (settings, the
database engine, the git store, the scoring engines) and `open_services`.

Routes and services import it from here; `server.app` builds the application on top of
them, so nothing below the application imports the application.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from evaluators import open_engine
from methodology import Store, StoreNotFound, init_store
from server.auth import FailureLimiter, SharedFailureLimiter, failure_limiter, load_token_key
from server.caching import ResponseCache
from server.db import make_engine, migrate
from server.observe import Metrics
from server.pool import WorkPool
from server.settings import Settings

__all__ = ["Memo", "Services", "open_services", "open_store"]

log = logging.getLogger("parindex")


class Memo:
    """A bounded map that forgets its least recently used entry, shared by the threads
    of one process (a ``size`` of 0 keeps nothing)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[Any, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Any) -> Any:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key: Any, value: Any) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._entries[key] = value
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)


@dataclass
class Services:
    """What handlers need, created once per application."""

    settings: Settings
    db: Engine
    store: Store
    engines: dict[str, Any] = field(default_factory=dict)
    token_key: bytes = b""
    auth_failures: FailureLimiter = field(init=False)
    responses: ResponseCache = field(init=False)
    metrics: Metrics = field(default_factory=Metrics)
    # The job queue's back-end (`server.jobs.Backend`), started by the app's lifespan.
    jobs: Any = None
    _engine_lock: Any = field(default_factory=threading.Lock)
    # Expensive work's own threads (`server.pool`), and the rankings computed, by what
    # they were computed from (`server.services.evaluations.ranked_cohort`).
    work: WorkPool = field(init=False)
    rankings: Memo = field(init=False)

    def __post_init__(self) -> None:
        self.work = WorkPool(self.settings.expensive_workers)
        self.rankings = Memo(self.settings.ranking_cache)
        if not self.token_key:
            self.token_key = load_token_key(self.settings.token_key_path)
        self.auth_failures = failure_limiter(self.settings)
        self.responses = ResponseCache(self.settings.response_cache_bytes)

    def engine(self, name: str | None = None) -> Any:
        """A scoring engine by name; the durable one starts its workers on first use."""
        name = name or self.settings.default_engine
        with self._engine_lock:  # two first requests must not start two worker pools
            if name not in self.engines:
                self.engines[name] = open_engine(name, workers=self.settings.engine_workers)
            return self.engines[name]

    def engine_health(self) -> dict[str, dict[str, int]]:
        """The started engines that run worker processes: `{name: {size, alive, restarts}}`."""
        with self._engine_lock:
            started = list(self.engines.items())
        return {name: engine.health() for name, engine in started if hasattr(engine, "health")}

    def close(self) -> None:
        for engine in self.engines.values():
            engine.close()
        self.engines.clear()
        self.store.close()
        self.db.dispose()
        if isinstance(self.auth_failures, SharedFailureLimiter):
            self.auth_failures.close()


def open_services(settings: Settings) -> Services:
    db = make_engine(settings.database)  # creates a SQLite file's folder first
    migrate(settings.database)
    store = open_store(settings)
    settings.evidence_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    return Services(settings=settings, db=db, store=store)


def open_store(settings: Settings) -> Store:
    """The store at `settings.store_path`, created from the bundled catalog when there is
    none. With `store_remote` it is the remote's copy: a missing one starts empty and is
    filled from the remote; an empty remote gets this store's history (or the bundled
    catalog's), pushed by whichever server comes first — the others take its history."""
    remote = settings.store_remote or None
    path = settings.store_path
    try:
        store = Store.open(path, remote=remote, staleness=settings.store_staleness)
    except StoreNotFound:
        if remote is None:
            log.info("creating the store at %s from the bundled catalog", path)
            return init_store(path)
        Store.init(path).close()
        store = Store.open(path, remote=remote, staleness=settings.store_staleness)
    if remote is None:
        return store
    store.sync(force=True)
    if store.head() is None:
        _seed(path.parent, remote)
        store.sync(force=True)
    elif store.publish():
        log.info("pushed the store at %s to the empty remote %s", path, remote)
    return store


def _seed(folder: Path, remote: str) -> None:
    """Push the bundled catalog's history to the empty ``remote``, unless another server
    filled it first."""
    staging = tempfile.mkdtemp(prefix=".store-seed-", dir=folder)
    try:
        init_store(f"{staging}/store").close()
        with Store.open(f"{staging}/store", remote=remote) as seed:
            seeded = seed.publish()
        if seeded:
            log.info("filled the empty remote %s from the bundled catalog", remote)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
