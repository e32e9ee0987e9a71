"""Worker processes for the durable engine.

durable-rules is a C extension that kills its process on some inputs and never releases
the GIL, so it runs in ``spawn``-ed processes: a crash loses one worker (replaced at
once; the caller gets `WorkerCrashed`), never the caller, and waiting for a worker
blocks a thread, never an event loop. A worker receives a program once per ruleset and
then batches of cases: the distinct cases of a call (equal inputs are decided once — the
engine is deterministic), split evenly between the workers so that they run at once.

`Pool.stream` decides a sequence of chunks for a caller that prepares the next chunks
and uses the decisions of the earlier ones meanwhile (`scoring.score_many`): a worker
holds a few chunks, so it starts the next as soon as it has answered one, whatever the
caller is doing (a pause of the caller's garbage collector included). A chunk is sent to
a busy worker only when every chunk it holds fits in the pipe's buffer: then sending
never waits for the worker, and a worker blocked on a long answer cannot block us in
turn.
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing
import os
import pickle
import queue
import signal
import socket
import threading
from collections import OrderedDict, deque
from collections.abc import Generator, Iterable, Iterator, Sequence
from decimal import Decimal
from multiprocessing.connection import wait
from typing import Any, Literal, overload

from evaluators._lru import LRU
from evaluators.engines.durable.events import Written, written
from evaluators.engines.durable.layout import Layout, build_layout
from evaluators.engines.durable.worker import dumps, main
from evaluators.errors import EngineError, WorkerCrashed
from evaluators.program import Case, Decision, Program

__all__ = ["Pool"]

MIN_CHUNK = 8  # cases per request below which splitting costs more than it saves
AHEAD = 64  # cases a worker may hold: ~40 ms of work, longer than our collector's pauses
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
        self.ahead = _buffered(self.conn) // 2  # bytes of requests it may hold unread

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


def _buffered(conn) -> int:
    """How many bytes ``conn`` takes without a reader (0 when it cannot tell)."""
    try:
        with socket.socket(fileno=os.dup(conn.fileno())) as sock:
            return sock.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF)
    except (OSError, AttributeError, ValueError):
        return 0


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
        self.reused = 0  # cases answered by the decisions of an equal case of their call
        self.restarts = 0  # workers that died and were replaced
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

    @overload
    def _acquire(self, block: Literal[True]) -> _Worker: ...
    @overload
    def _acquire(self, block: bool) -> _Worker | None: ...
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
            self.restarts += 1
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

    def decide(
        self, program: Program, cases: Sequence[Case], trace: bool
    ) -> tuple[list[dict[str, Decision]], list[list[str]]]:
        self._start()
        unique, where = _distinct(cases)
        if not unique:
            return [], []
        count = max(1, min(self.size, math.ceil(len(unique) / MIN_CHUNK)))
        step = math.ceil(len(unique) / count)
        decisions: list[dict[str, Decision]] = []
        traces: list[list[str]] = []
        for chunk_decisions, chunk_traces in self.stream(
            program, (unique[i : i + step] for i in range(0, len(unique), step)), trace
        ):
            decisions += chunk_decisions
            traces += chunk_traces
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

    def stream(
        self, program: Program, chunks: Iterable[Sequence[Case]], trace: bool = False
    ) -> Generator[tuple[list[dict[str, Decision]], list[list[str]]]]:
        """The decisions (and traces) of each chunk, in order, while the workers decide
        the next ones. ``chunks`` is read lazily, as far ahead as the workers may hold."""
        self._start()
        return _Stream(self, program, iter(chunks), trace).run()

    def _send(self, worker: _Worker, request: bytes) -> None:
        try:
            worker.conn.send_bytes(request)
        except (EOFError, OSError) as exc:
            raise _Died() from exc

    def _receive(self, worker) -> tuple:
        try:
            reply = pickle.loads(worker.conn.recv_bytes())
        except (EOFError, OSError) as exc:
            raise _Died() from exc
        if reply[0] != "need":
            worker.stats = reply[-1]
        return reply

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

    def health(self) -> dict[str, int]:
        """`{size, alive, restarts}` without asking the workers anything (cheap enough
        for a readiness probe); before first use no worker is started, none is missing."""
        with self._lock:
            started = list(self._workers)
        alive = sum(w.process.is_alive() for w in started)
        missing = len(started) - alive if started else 0
        return {"size": self.size, "alive": self.size - missing, "restarts": self.restarts}

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


class _Stream:
    """One run of `Pool.stream`: the workers it holds, what each has been sent, the
    answers not yet handed out."""

    def __init__(self, pool: Pool, program: Program, source: Iterator, trace: bool) -> None:
        self.pool = pool
        self.program = program
        self.source = source
        self.trace = trace
        # worker → (chunk, bytes, cases) sent and not yet answered
        self.held: dict[_Worker, deque[tuple[int, int, int]]] = {}
        self.loading: set[_Worker] = set()  # sent the program, not yet answered
        self.chunks: dict[int, Sequence[Case]] = {}  # read, not yet answered
        self.waiting: deque[int] = deque()  # read, to send
        self.requests: dict[int, bytes] = {}  # waiting chunks already pickled
        self.done: dict[int, tuple] = {}
        self.read = 0
        self.exhausted = False
        self.failure: BaseException | None = None

    def run(self) -> Generator[tuple[list[dict[str, Decision]], list[list[str]]]]:
        emitted = 0
        try:
            while True:
                if self.failure is None:
                    self.feed()
                if emitted in self.done:
                    yield self.done.pop(emitted)
                    emitted += 1
                    continue
                busy = [w for w, sent in self.held.items() if sent]
                if not busy:
                    if self.failure is not None:
                        raise self.failure
                    if self.exhausted and not self.waiting:
                        return
                    continue  # nothing sent yet: feed again (it blocks for a worker)
                for conn in wait([w.conn for w in busy]):
                    self.answer(next(w for w in busy if w.conn is conn))
        finally:
            self.close()

    def feed(self) -> None:
        """Send chunks to the workers that can take one, reading chunks as needed."""
        pool = self.pool
        while True:
            if not self.waiting and not self.exhausted:
                try:
                    chunk = next(self.source)
                except StopIteration:
                    self.exhausted = True
                else:
                    self.chunks[self.read] = chunk
                    self.waiting.append(self.read)
                    self.read += 1
            if not self.waiting:
                return
            index = self.waiting[0]
            try:
                request = self.requests.get(index) or self.request(index, False)
            except BaseException as exc:  # e.g. a case that cannot be pickled
                self.failure = self.failure or exc
                self.waiting.clear()
                return
            self.requests[index] = request
            worker = self.idle()
            if worker is None and len(self.held) < pool.size:
                # block only when holding no worker, so two callers never deadlock
                worker = pool._acquire(block=not self.held)
                if worker is not None:
                    self.held[worker] = deque()
            if worker is None:
                worker = self.roomy(len(request), len(self.chunks[index]))
            if worker is None:
                return
            with_program = self.program.key not in worker.stats["rulesets"] and (
                worker not in self.loading
            )
            try:
                if with_program:  # a worker's first chunk: it holds nothing else
                    request = self.request(index, True)
                self.waiting.popleft()
                del self.requests[index]
                pool._send(worker, request)
            except _Died:
                self.died(worker, index)
                return
            except BaseException as exc:  # e.g. a program that cannot be pickled
                self.failure = self.failure or exc
                self.waiting.clear()
                return
            self.held[worker].append((index, len(request), len(self.chunks[index])))
            if with_program:
                self.loading.add(worker)

    def request(self, index: int, with_program: bool) -> bytes:
        data = self.pool._program(self.program) if with_program else None
        cases: Sequence[Case | Written] = self.chunks[index]
        layout = self.program.cached("durable events", _events_layout)
        if layout is not None:  # cases sent as their events where they can be
            cases = [written(layout, case) or case for case in cases]
        return dumps(("decide", self.program.key, data, cases, self.trace))

    def idle(self) -> _Worker | None:
        """A held worker with nothing to do."""
        return next((worker for worker, sent in self.held.items() if not sent), None)

    def roomy(self, size: int, cases: int) -> _Worker | None:
        """The held worker with the fewest cases to decide that may hold ``cases`` more,
        ``size`` bytes its pipe takes unread."""
        best, fewest = None, AHEAD + 1 - cases
        for worker, sent in self.held.items():
            held = sum(c for _, _, c in sent)
            if held < fewest and sum(b for _, b, _ in sent) + size <= worker.ahead:
                best, fewest = worker, held
        return best

    def answer(self, worker: _Worker) -> None:
        sent = self.held[worker]
        index = sent[0][0]
        try:
            reply = self.pool._receive(worker)
        except _Died:
            self.died(worker, index)
            return
        sent.popleft()
        self.loading.discard(worker)
        if reply[0] == "need":  # evicted meanwhile: sent again, with the program
            self.waiting.appendleft(index)
            worker.stats = {**worker.stats, "rulesets": []}
        elif reply[0] == "error":
            self.failure = self.failure or reply[1]
        else:
            self.done[index] = (reply[1], reply[2])
            del self.chunks[index]

    def died(self, worker: _Worker, index: int) -> None:
        del self.held[worker]
        self.loading.discard(worker)
        crashed = self.pool._crashed(worker, self.program, self.chunks[index])  # replaces it
        self.failure = self.failure or crashed

    def close(self) -> None:
        """Collect every answer still due (a worker holds nothing when released)."""
        for worker, sent in list(self.held.items()):
            while sent:
                try:
                    self.pool._receive(worker)
                except _Died:
                    self.died(worker, sent[0][0])
                    break
                sent.popleft()
        for worker in list(self.held):
            self.pool._release(worker)
        self.held.clear()


# Layouts by program key, shared by the equal programs of one process (a server may
# build a version's program again); None, "cases go as they are", is kept too.
_LAYOUTS = LRU(16)
_NOT_KEPT = object()


def _events_layout(program: Program) -> Layout | None:
    """The layout the workers build for ``program``, when every event carries one plain
    value: then the cases are sent as their events (`_durable_events.Written`). Built
    once per program (`Program.cached`) and per content key: building it takes
    milliseconds, once per chunk it cost more than deciding the chunk."""
    found = _LAYOUTS.get(program.key, _NOT_KEPT)
    if found is _NOT_KEPT:
        try:
            layout: Layout | None = build_layout(program)
        except Exception:  # the workers say what is wrong with it
            layout = None
        found = _LAYOUTS[program.key] = (
            layout if layout is not None and layout.plain is not None else None
        )
    return found


def _distinct(cases: Sequence[Case]) -> tuple[list[Case], list[int]]:
    """The distinct cases (first occurrences, in order) and, for each case, the index of
    its equal among them. Cases are equal when their inputs, facts and flags are: same
    names, same types, equal values (so their events, and the decisions, are equal);
    Decimals by their text, which hashes ~6x faster than a new Decimal."""
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
            tuple(
                (k, type(v), str(v) if type(v) is Decimal else v) for k, v in case.values.items()
            ),
            tuple((k, type(v), v) for k, v in case.facts.items()),
            case.claims,
            case.skip,
            case.skip_rules,
        )
        hash(key)
    except TypeError:  # an unhashable value: decided on its own
        return None
    return key
