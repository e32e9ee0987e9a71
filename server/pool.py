"""Expensive work (rankings, evaluations, audits, sensitivity) off the request threads.

Litestar runs every synchronous handler on anyio's one shared thread pool, so fifty slow
rankings used to leave a cheap list waiting for a free thread. Handlers of expensive
work are asynchronous instead and await `WorkPool.run`, which runs the work in a thread
held to `expensive_workers` at a time; cheap handlers keep the shared pool to
themselves, and a request over the bound waits without holding a thread.

When the client goes away, the await is cancelled (a request still waiting for the
pool never starts) and the work running in its thread stops at its next `checkpoint`:
the services call it between units of work, so an abandoned ranking does not run on.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextvars import ContextVar
from typing import TYPE_CHECKING, ParamSpec, TypeVar

import anyio

from server.errors import ApiError

if TYPE_CHECKING:  # services call `checkpoint` and import no Litestar
    from litestar import Request

__all__ = ["ClientGone", "WorkPool", "checkpoint"]

P = ParamSpec("P")
T = TypeVar("T")

_STOP: ContextVar[threading.Event | None] = ContextVar("parindex_work_stop", default=None)


class ClientGone(ApiError):
    """The client closed the connection before its expensive work finished (nobody
    reads the answer; the status is what the request log shows)."""

    status, title = 499, "Client closed request"

    def __init__(self) -> None:
        super().__init__("the client closed the connection before the work finished")


def checkpoint() -> None:
    """Raise `ClientGone` when the request this work runs for has been abandoned; a no-op
    outside `WorkPool.run` (the command line, tests calling services directly)."""
    stop = _STOP.get()
    if stop is not None and stop.is_set():
        raise ClientGone


class WorkPool:
    """At most ``size`` expensive calls running at once, each in its own thread."""

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError(f"PARINDEX_EXPENSIVE_WORKERS: at least 1, got {size}")
        self.size = size
        self._limiter = anyio.CapacityLimiter(size)

    async def run(
        self, request: Request, work: Callable[P, T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """``work(*args, **kwargs)`` in a pool thread, stopped when ``request``'s client
        disconnects (`ClientGone`)."""
        stop = threading.Event()

        def call() -> T:
            _STOP.set(stop)  # the thread runs in a copy of this task's context
            return work(*args, **kwargs)

        result: list[T] = []
        failed: list[Exception] = []
        async with anyio.create_task_group() as group:

            async def watch() -> None:
                await _disconnected(request)
                stop.set()
                group.cancel_scope.cancel()

            group.start_soon(watch)
            try:
                result.append(
                    # Not abandoned on cancel: the thread keeps its place in the pool until
                    # it stops (at its next checkpoint, `stop` being set), so clients that
                    # hang up cannot start more expensive work than the pool's size.
                    await anyio.to_thread.run_sync(call, limiter=self._limiter)
                )
            except Exception as exc:  # raised as itself, not in the group's ExceptionGroup
                failed.append(exc)
            group.cancel_scope.cancel()  # the answer is in: stop watching
        if failed:
            raise failed[0]
        if not result:
            raise ClientGone
        return result[0]


async def _disconnected(request: Request) -> None:
    """Return once the client has gone. The request's body has been read (handlers get
    it parsed), so the next message the server sends is the disconnect."""
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            return
