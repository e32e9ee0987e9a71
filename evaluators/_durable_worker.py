"""The worker process of the durable engine: owns a durable-rules Host and answers
requests read from a pipe, one at a time.

Requests and replies are pickled tuples:

    ("decide", key, program bytes | None, cases, trace, crash)
        → ("ok", decisions, traces, stats) | ("need",) | ("error", exception, stats)
    ("stats",) → ("ok", stats)
    ("close",) → ("ok",), then the process exits
    ("crash", how) → the process dies (a test hook)

``("need",)`` asks for the program of a key the worker does not hold (first use, or
evicted). After an error that leaves a session it cannot safely delete, the reply's
stats carry ``recycle``: the caller replaces the process.
"""

from __future__ import annotations

import copyreg
import io
import os
import pickle
import signal
from types import MappingProxyType
from typing import Any

__all__ = ["crash", "dumps", "main"]


def _mappingproxy(data: dict) -> MappingProxyType:
    return MappingProxyType(data)


def _reduce_mappingproxy(proxy: MappingProxyType):
    return _mappingproxy, (dict(proxy),)


# `rules.Expression` keeps its declared names in a MappingProxyType, which pickle
# refuses; only our own pickler knows how to send it.
_DISPATCH = copyreg.dispatch_table.copy()
_DISPATCH[MappingProxyType] = _reduce_mappingproxy


def dumps(obj: Any) -> bytes:
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = _DISPATCH
    pickler.dump(obj)
    return buffer.getvalue()


def crash(how: str) -> None:
    """Die the way a fault in the C extension would (``segv``) or by exiting."""
    if how == "exit":
        os._exit(1)
    os.kill(os.getpid(), signal.SIGSEGV)


def _stats(evaluator) -> dict[str, Any]:
    return {
        "pid": os.getpid(),
        "live_sessions": evaluator.live_sessions,
        "peak_live_sessions": evaluator.peak_live,
        "evaluations": evaluator.evaluations,
        "rulesets": list(evaluator.layouts),
        "recycle": evaluator.poisoned,
    }


def _portable(exc: BaseException) -> BaseException:
    """``exc`` if it survives pickling, else an EngineError saying what it was."""
    from evaluators.errors import EngineError
    from rules.durable import DurableLimitError

    if isinstance(exc, DurableLimitError):
        return EngineError(f"the durable engine cannot run this methodology: {exc.message}")
    try:
        pickle.loads(dumps(exc))
    except Exception:
        return EngineError(f"{type(exc).__name__}: {exc}")
    return exc


def main(conn) -> None:
    """Serve requests on ``conn`` until it closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the caller decides when we stop
    from evaluators._durable_host import Evaluator

    evaluator = Evaluator()
    while True:
        try:
            request = pickle.loads(conn.recv_bytes())
        except (EOFError, OSError):
            return
        op = request[0]
        if op == "close":
            conn.send_bytes(dumps(("ok",)))
            return
        if op == "crash":
            crash(request[1])
        if op == "stats":
            conn.send_bytes(dumps(("ok", _stats(evaluator))))
            continue
        _, key, program, cases, trace, crash_how = request
        if crash_how:
            crash(crash_how)
        if key not in evaluator and program is None:
            conn.send_bytes(dumps(("need",)))
            continue
        try:
            decisions, traces = evaluator.decide(
                key, cases, pickle.loads(program) if program is not None else None, trace
            )
            reply: tuple = ("ok", decisions, traces, _stats(evaluator))
        except Exception as exc:
            reply = ("error", _portable(exc), _stats(evaluator))
        conn.send_bytes(dumps(reply))
        if evaluator.poisoned:
            return
