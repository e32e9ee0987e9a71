"""Worker processes for the durable engine.

durable-rules is a C extension that kills its process on some inputs and never releases
the GIL, so it runs in ``spawn``-ed processes: a crash loses one worker (replaced at
once; the caller gets `WorkerCrashed`), never the caller, and waiting for a worker
blocks a thread, never an event loop. A worker receives a program once per ruleset and
then batches of cases: the distinct cases of a call (equal inputs are decided once — the
engine is deterministic), split evenly between the workers so that they run at once.
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing
import pickle
import queue
import signal
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from evaluators._durable_worker import dumps, main
from evaluators.errors import EngineError, WorkerCrashed
from evaluators.program import Case, Decision, Program

__all__ = ["Pool"]

MIN_CHUNK = 8  # cases per request below which splitting costs more than it saves
_PROGRAMS_KEPT = 8


class _Died(Exception):
    pass


class _Worker:
    def __init__(self, ctx) -> None:
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=main, args=(child,), name="parindex-durable")
        self.process.daemon = True
        self.process.start()
        child.close()
        self.stats: dict[str, Any] = {"live_sessions": 0, "rulesets": []}

    @property
    def pid(self) -> int | None:
        return self.process.pid

    def call(self, request: tuple) -> tuple:
        try:
            self.conn.send_bytes(dumps(request))
            return pickle.loads(self.conn.recv_bytes())
        except (EOFError, OSError, BrokenPipeError) as exc:
            raise _Died() from exc

    def how_it_died(self) -> str:
        self.process.join(timeout=5)
        code = self.process.exitcode
        if code is None:
            return "stopped answering"
        if code < 0:
            try:
                return f"killed by {signal.Signals(-code).name}"
            except ValueError:
                return f"killed by signal {-code}"
        return f"exited with code {code}"

    def stop(self) -> None:
        try:
            if self.process.is_alive():
                self.conn.send_bytes(dumps(("close",)))
                self.conn.recv_bytes()
        except (EOFError, OSError):
            pass
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout=5)
        self.conn.close()


class Pool:
    """``size`` workers, started on first use; thread-safe."""

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError("a durable engine needs at least one worker")
        self.size = size
        self._ctx = multiprocessing.get_context("spawn")
        self._lock = threading.Lock()
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._workers: list[_Worker] = []
        self._programs: OrderedDict[str, bytes] = OrderedDict()
        self._crash_next: str | None = None
        self.reused = 0  # cases answered by the decisions of an equal case of their call
        self.closed = False

    # -- workers -------------------------------------------------------------------

    def _start(self) -> None:
        with self._lock:
            if self.closed:
                raise EngineError("the durable engine is closed")
            while len(self._workers) < self.size:
                worker = _Worker(self._ctx)
                self._workers.append(worker)
                self._idle.put(worker)

    def _acquire(self, block: bool) -> _Worker | None:
        try:
            worker = self._idle.get(block=block)
        except queue.Empty:
            return None
        if not worker.process.is_alive():  # died while idle: replace it quietly
            worker = self._replace(worker)
        return worker

    def _replace(self, dead: _Worker) -> _Worker:
        dead.process.join(timeout=5)
        dead.conn.close()
        with self._lock:
            fresh = _Worker(self._ctx)
            self._workers[self._workers.index(dead)] = fresh
        return fresh

    def _program(self, program: Program) -> bytes:
        with self._lock:
            data = self._programs.get(program.key)
            if data is None:
                data = self._programs[program.key] = dumps(program)
                while len(self._programs) > _PROGRAMS_KEPT:
                    self._programs.popitem(last=False)
            else:
                self._programs.move_to_end(program.key)
            return data

    # -- requests ------------------------------------------------------------------

    def crash_next(self, how: str) -> None:
        self._crash_next = how

    def decide(
        self, program: Program, cases: Sequence[Case], trace: bool
    ) -> tuple[list[dict[str, Decision]], list[list[str]]]:
        self._start()
        unique, where = _distinct(cases)
        if not unique:
            return [], []
        decisions, traces = self._decide(program, unique, trace)
        if len(unique) == len(where):
            return decisions, traces
        with self._lock:
            self.reused += len(where) - len(unique)
        out: list[dict[str, Decision]] = []
        out_traces: list[list[str]] = []
        used = [False] * len(unique)
        for i in where:  # each case gets its own dict (Decisions are immutable)
            out.append(dict(decisions[i]) if used[i] else decisions[i])
            if trace:
                out_traces.append(list(traces[i]) if used[i] else traces[i])
            used[i] = True
        return out, out_traces

    def _decide(
        self, program: Program, cases: list[Case], trace: bool
    ) -> tuple[list[dict[str, Decision]], list[list[str]]]:
        count = max(1, min(self.size, math.ceil(len(cases) / MIN_CHUNK)))
        step = math.ceil(len(cases) / count)
        chunks = [cases[i : i + step] for i in range(0, len(cases), step)]
        results: list[Any] = [None] * len(chunks)
        held: list[tuple[_Worker, int]] = []
        pending = list(range(len(chunks)))
        failure: BaseException | None = None
        while pending or held:
            if pending:
                # block only when holding no worker, so two callers never deadlock
                worker = self._acquire(block=not held)
                if worker is not None:
                    index = pending.pop(0)
                    crash, self._crash_next = self._crash_next, None
                    try:
                        self._send(worker, program, chunks[index], trace, crash)
                        held.append((worker, index))
                    except _Died:
                        failure = failure or self._crashed(worker, program, chunks[index])
                    except BaseException as exc:  # e.g. a program that cannot be pickled
                        failure = failure or exc
                        self._release(worker)
                        pending.clear()
                    continue
            worker, index = held.pop(0)
            try:
                reply = self._receive(worker, program, chunks[index], trace)
            except _Died:
                failure = failure or self._crashed(worker, program, chunks[index])
                continue
            except BaseException as exc:  # an error the worker reported
                failure = failure or exc
                self._release(worker)
                continue
            results[index] = reply
            self._release(worker)
        if failure is not None:
            raise failure
        decisions = [d for chunk in results for d in chunk[0]]
        traces = [t for chunk in results for t in chunk[1]]
        return decisions, traces

    def _send(self, worker, program, cases, trace, crash) -> None:
        key = program.key
        data = self._program(program) if key not in worker.stats["rulesets"] else None
        request = dumps(("decide", key, data, cases, trace, crash))
        try:
            worker.conn.send_bytes(request)
        except (EOFError, OSError) as exc:
            raise _Died() from exc

    def _receive(self, worker, program, cases, trace):
        try:
            reply = pickle.loads(worker.conn.recv_bytes())
        except (EOFError, OSError) as exc:
            raise _Died() from exc
        if reply[0] == "need":  # evicted meanwhile: send the program with the cases
            reply = worker.call(("decide", program.key, self._program(program), cases, trace, None))
        worker.stats = reply[-1]
        if reply[0] == "error":
            raise reply[1]
        return reply[1], reply[2]

    def _release(self, worker: _Worker) -> None:
        if worker.stats.get("recycle"):
            worker = self._replace(worker)
        self._idle.put(worker)

    def _crashed(self, worker: _Worker, program: Program, cases) -> WorkerCrashed:
        how = worker.how_it_died()
        pid = worker.pid
        self._idle.put(self._replace(worker))
        return WorkerCrashed(
            f"a durable-rules worker (pid {pid}) {how} while scoring {len(cases)} case(s) "
            f"with ruleset {program.key} ({program.methodology.name}); it has been "
            "replaced — retry, and report the methodology if it happens again"
        )

    def stats(self) -> list[dict[str, Any]]:
        """Ask every worker (waiting for busy ones) for its counters."""
        self._start()
        taken = [self._acquire(block=True) for _ in range(self.size)]
        out = []
        try:
            for worker in taken:
                with contextlib.suppress(_Died):
                    worker.stats = {**worker.stats, **worker.call(("stats",))[1]}
                out.append(dict(worker.stats))
        finally:
            for worker in taken:
                self._release(worker)
        return out

    def close(self) -> None:
        with self._lock:
            if self.closed:
                return
            self.closed = True
            workers = list(self._workers)
            self._workers.clear()
        for worker in workers:
            worker.stop()


def _distinct(cases: Sequence[Case]) -> tuple[list[Case], list[int]]:
    """The distinct cases (first occurrences, in order) and, for each case, the index of
    its equal among them. Cases are equal when their inputs, facts and flags are: same
    names, same types, equal values (so their events, and the decisions, are equal)."""
    unique: list[Case] = []
    where: list[int] = []
    seen: dict[Any, int] = {}
    by_id: dict[int, int] = {}
    for case in cases:
        index = by_id.get(id(case))
        if index is None:
            key = _key(case)
            index = seen.get(key) if key is not None else None
            if index is None:
                index = len(unique)
                unique.append(case)
                if key is not None:
                    seen[key] = index
            by_id[id(case)] = index
        where.append(index)
    return unique, where


def _key(case: Case) -> Any:
    try:
        key = (
            tuple((k, type(v), v) for k, v in case.values.items()),
            tuple((k, type(v), v) for k, v in case.facts.items()),
            case.claims,
            case.skip,
            case.skip_rules,
        )
        hash(key)
    except TypeError:  # an unhashable value: decided on its own
        return None
    return key
