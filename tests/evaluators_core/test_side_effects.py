"""Scoring is library code inside a server: it changes nothing process-wide, and its
caches stay bounded without forgetting their working set at once."""

from __future__ import annotations

import gc
import threading

from evaluators import CompiledEngine, score_many
from evaluators._lru import LRU
from evaluators.engines.vector.batch import VectorProgram, score_cohort
from tests.evaluators.helpers import submission, vi_du


def _collector_states_while(work) -> set[bool]:
    """The states of the garbage collector seen by another thread while ``work`` runs."""
    assert gc.isenabled()
    done = threading.Event()
    seen: set[bool] = set()

    def run() -> None:
        try:
            work()
        finally:
            done.set()

    thread = threading.Thread(target=run)
    thread.start()
    while not done.is_set():
        seen.add(gc.isenabled())
        done.wait(0.0005)
    thread.join()
    return seen


def test_scoring_a_cohort_leaves_the_collector_running_for_other_threads():
    program = vi_du()
    cohort = [submission(values={"ty_le_dung_han": i / 400}) for i in range(400)]
    seen = _collector_states_while(lambda: score_many(program, cohort, CompiledEngine()))
    assert seen == {True}


def test_scoring_a_batch_with_an_engine_leaves_the_collector_running():
    program = vi_du()
    cohort = [submission(values={"ty_le_dung_han": i / 400}) for i in range(400)]
    vprog = VectorProgram.build(program)
    seen = _collector_states_while(lambda: score_cohort(vprog, cohort, CompiledEngine()))
    assert seen == {True}


def test_lru_forgets_the_least_recently_used_entry_only():
    cache = LRU(3)
    for key in "abc":
        cache[key] = key.upper()
    assert cache.get("a") == "A"  # a use: "b" is now the oldest
    cache["d"] = "D"
    assert list(cache) == ["c", "a", "d"]
    assert cache.get("b") is None
    assert cache.get("zzz", "default") == "default"


def test_lru_survives_pickling_with_its_bound():
    import pickle

    cache = LRU(2)
    cache["x"], cache["y"] = 1, 2
    copy = pickle.loads(pickle.dumps(cache))
    assert dict(copy) == {"x": 1, "y": 2} and copy.maxsize == 2
    copy["z"] = 3
    assert list(copy) == ["y", "z"]
