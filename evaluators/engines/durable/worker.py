"""The worker process of the durable engine: owns a durable-rules Host and answers
requests read from a pipe, one at a time.

Requests and replies are pickled tuples. Cases are `Case` objects, whose Decimal values
travel as their text (pickling a Decimal costs ~10x more), or `_durable_events.Written`,
the JSON of their values:

    ("decide", key, program bytes | None, cases, trace)
        → ("ok", decisions, traces, stats) | ("need",) | ("error", exception, stats)
    ("stats",) → ("ok", stats)
    ("close",) → ("ok",), then the process exits

``("need",)`` asks for the program of a key the worker does not hold (first use, or
evicted). After an error that leaves a session it cannot safely delete, the reply's
stats carry ``recycle``: the caller replaces the process.
"""

from __future__ import annotations

import copyreg
import ctypes
import ctypes.util
import functools
import io
import os
import pickle
import signal
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from evaluators.program import Case

__all__ = ["dumps", "keep_freed_memory", "main"]


def _mappingproxy(data: dict) -> MappingProxyType:
    return MappingProxyType(data)


def _reduce_mappingproxy(proxy: MappingProxyType):
    return _mappingproxy, (dict(proxy),)


@functools.lru_cache(maxsize=64)
def _interned(names: tuple[str, ...]) -> tuple[str, ...]:
    """One tuple per set of input names: pickled once per request, then referenced."""
    return names


def _reduce_case(case: Case):
    names = _interned(tuple(case.values))
    values = list(case.values.values())
    if all(type(v) is Decimal for v in values):
        encoded: tuple = (names, tuple(map(str, values)))
    else:
        encoded = (names, tuple((str(v),) if type(v) is Decimal else v for v in values), False)
    return _case, (encoded, dict(case.facts), case.claims, case.skip, case.skip_rules)


def _case(encoded: tuple, facts, claims, skip, skip_rules) -> Case:
    if len(encoded) == 2:
        names, texts = encoded
        values = dict(zip(names, map(Decimal, texts), strict=True))
        return Case(values, facts, claims, skip, skip_rules, dict(zip(names, texts, strict=True)))
    names, items, _ = encoded
    values = {
        k: Decimal(v[0]) if type(v) is tuple else v for k, v in zip(names, items, strict=True)
    }
    texts = {k: v[0] for k, v in zip(names, items, strict=True) if type(v) is tuple}
    return Case(values, facts, claims, skip, skip_rules, texts)


# `rules.Expression` keeps its declared names in a MappingProxyType, which pickle
# refuses; only our own pickler knows how to send it.
_DISPATCH = copyreg.dispatch_table.copy()
_DISPATCH[MappingProxyType] = _reduce_mappingproxy
_DISPATCH[Case] = _reduce_case


def dumps(obj: Any) -> bytes:
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = _DISPATCH
    pickler.dump(obj)
    return buffer.getvalue()


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
    from evaluators.engines.durable.translate import DurableLimitError
    from evaluators.errors import EngineError

    if isinstance(exc, DurableLimitError):
        return EngineError(f"the durable engine cannot run this methodology: {exc.message}")
    try:
        pickle.loads(dumps(exc))
    except Exception:
        return EngineError(f"{type(exc).__name__}: {exc}")
    return exc


# glibc's mallopt parameters (malloc.h)
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3


def keep_freed_memory() -> bool:
    """Make glibc keep the memory an evaluation frees for the next one.

    durable-rules sets up and frees ~3 MB of per-rule tables for every session (one per
    evaluation). By default glibc hands blocks that large back to the system at once
    (mmap, or trimming the heap), so each evaluation took ~750 page faults on fresh
    pages: about 60 % of its time. Kept in the heap, they are reused as they are. Not
    glibc (no mallopt): nothing to do."""
    try:
        mallopt = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    return bool(
        mallopt(_M_MMAP_THRESHOLD, 32 * 1024 * 1024)
        and mallopt(_M_TRIM_THRESHOLD, 256 * 1024 * 1024)
    )


def main(conn) -> None:
    """Serve requests on ``conn`` until it closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the caller decides when we stop
    keep_freed_memory()
    from evaluators.engines.durable.host import Evaluator

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
        if op == "stats":
            conn.send_bytes(dumps(("ok", _stats(evaluator))))
            continue
        _, key, program, cases, trace = request
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
