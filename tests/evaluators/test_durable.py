"""The durable engine on the vi-du example: same results as the compiled engine, an
explanation naming the rules that fired, errors, N/A, bounded sessions, crashes."""

from __future__ import annotations

import asyncio
import os
import signal
import threading

import pytest

from benchmarks.indices import cohort, ladder_index
from evaluators import (
    CompiledEngine,
    EngineError,
    IncompleteSubmission,
    WorkerCrashed,
    parse_submission,
    score,
    score_many,
)
from evaluators.engines.durable.engine import DurableEngine
from evaluators.engines.durable.layout import build_layout, parts
from evaluators.engines.durable.pool import _events_layout
from evaluators.engines.durable.translate import DurableLimitError
from evaluators.engines.vector.batch import VectorProgram, score_cohort
from evaluators.scoring.plan import _prepare
from tests.helpers import run_async

from .helpers import submission, vi_du, vi_du_with

KIEM_TRA = "chi-dao-dieu-hanh/kiem-tra-cchc/ty-le-don-vi-duoc-kiem-tra.md"
DIVIDING = """---
id: ty-le-don-vi-duoc-kiem-tra
code: "1.3.1"
title: Tỷ lệ đơn vị trực thuộc được kiểm tra CCHC trong năm
max_points: 3
inputs:
  so_don_vi_duoc_kiem_tra: {type: count, label: Số đơn vị được kiểm tra}
  tong_so_don_vi: {type: count, label: Tổng số đơn vị trực thuộc}
scoring:
  kind: tiers
  tiers:
    - when: tong_so_don_vi > 0 and so_don_vi_duoc_kiem_tra / tong_so_don_vi >= 80%
      points: 3
    - when: so_don_vi_duoc_kiem_tra / tong_so_don_vi >= 50%
      points: 2
    - otherwise: true
      points: 0
bonus:
  cap: 0.5
  rules:
    - when: tong_so_don_vi == 0 or so_don_vi_duoc_kiem_tra / tong_so_don_vi == 1
      points: 0.5
source: {illustrative: true}
---
"""


@pytest.fixture(scope="module")
def engine():
    with DurableEngine(workers=2) as durable:
        yield durable


@pytest.fixture(scope="module")
def split():
    with DurableEngine(max_leaves=4) as durable:
        yield durable


@pytest.fixture(scope="module")
def program():
    return vi_du()


def both(program, sub, engine):
    expected = score(program, sub, CompiledEngine())
    got = score(program, sub, engine)
    assert got.tree() == expected.tree()
    assert (got.total, got.index, got.self_total, got.self_index) == (
        expected.total,
        expected.index,
        expected.self_total,
        expected.self_index,
    )
    assert got.problems == expected.problems
    assert got.engine == "durable"
    return got


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"values": {"ty_le_dung_han": 0.98, "ty_le_hoan_thanh_ke_hoach": 0.95}},
        {"values": {"ty_le_dung_han": 0.995, "thoi_diem_ban_hanh": "dung_han"}},  # bonus
        {"values": {"ty_le_dung_han": 0.5, "tong_so_don_vi": 0, "tong_so_ho_so": 0}},
        {"values": {"ty_le_dung_han": None, "ket_qua_ro_rang": "có"}},  # missing, invalid
        {"values": {"thoi_diem_ban_hanh": "sai"}},
        {"appraisal": {"ty_le_dung_han": {"value": 0.85, "reason": "số liệu hệ thống"}}},
    ],
)
def test_same_results_as_the_compiled_engine(program, engine, changes):
    both(program, submission(**changes), engine)


def test_the_trace_names_the_rules_that_fired(program, engine):
    sub = submission(values={"ty_le_dung_han": 0.9, "ty_le_hoan_thanh_ke_hoach": 0.7})
    result = both(program, sub, engine)
    assert result.node("ty-le-dung-han").rule == "tier:2"
    assert result.node("muc-do-thuc-hien").rule == "tier:2"
    p = _prepare(program, sub)
    trace = engine.trace(program, [p.self_case])[0]
    assert "ty-le-dung-han/tier:2" in trace
    assert "muc-do-thuc-hien/tier:2" in trace
    assert "ty-le-dung-han/bonus:0:no" in trace
    assert "sentinel" in trace
    # one rule per leaf, one per bonus rule, and the sentinel
    assert len(trace) == len(program.leaves) + 1 + 1


def test_overlapping_tiers_first_match_wins(engine):
    program = vi_du_with(
        {
            KIEM_TRA: DIVIDING.replace(
                "kind: tiers\n  tiers:\n",
                "kind: tiers\n  tiers:\n"
                "    - when: so_don_vi_duoc_kiem_tra >= 0\n      points: 1\n",
            )
        }
    )
    result = both(program, submission(), engine)
    assert result.node("ty-le-don-vi-duoc-kiem-tra").rule == "tier:1"


def test_a_leaf_dividing_by_zero_is_invalid(engine):
    program = vi_du_with({KIEM_TRA: DIVIDING})
    zero = both(program, submission(values={"tong_so_don_vi": 0}), engine)
    node = zero.node("ty-le-don-vi-duoc-kiem-tra")
    assert (node.status, node.reason) == ("invalid", "division by zero")
    # the first tier short-circuits (no error); the bonus rule guards its division
    fine = both(
        program, submission(values={"tong_so_don_vi": 4, "so_don_vi_duoc_kiem_tra": 4}), engine
    )
    node = fine.node("ty-le-don-vi-duoc-kiem-tra")
    assert (node.status, node.rule, node.bonus) == ("scored", "tier:1", 0.5)


def test_not_applicable_by_claim_and_by_unit_fact(program, engine):
    claimed = both(
        program, submission(not_applicable={"xu-ly-phan-anh": "không phát sinh"}), engine
    )
    node = claimed.node("xu-ly-phan-anh")
    assert (node.status, node.rule) == ("not_applicable", "na:claim:xu-ly-phan-anh")
    ruled_out = both(program, submission(facts={"co_thu_tuc_hanh_chinh": False}), engine)
    field = ruled_out.node("cai-cach-tthc")
    assert field.status == "not_applicable"
    assert {n.rule for n in field.walk() if not n.children} == {"na:rule:0"}
    missing_fact = both(program, submission(facts={}), engine)
    assert missing_fact.node("cai-cach-tthc").status != "not_applicable"


def test_two_thousand_evaluations_keep_sessions_bounded(program, engine):
    subs = [
        submission(values={"ty_le_dung_han": i / 100, "tong_so_don_vi": i % 5}) for i in range(100)
    ]
    expected = [r.tree() for r in score_many(program, subs, CompiledEngine())]
    for _ in range(20):  # 20 × 100 submissions, one case each (no appraisal: self = appraised)
        results = score_many(program, subs, engine)
        assert [r.tree() for r in results] == expected
        stats = engine.stats()
        assert stats["live_sessions"] == 0
        assert stats["peak_live_sessions"] <= 1
    assert engine.stats()["evaluations"] >= 2000


def _outcome(call, into: list[BaseException | None]) -> None:
    try:
        call()
    except BaseException as exc:
        into.append(exc)
    else:
        into.append(None)


def kill_mid_request(engine: DurableEngine, sig: signal.Signals, call) -> BaseException:
    """Kill the engine's workers with ``sig`` while ``call`` waits for their answers, as a
    fault in durable-rules' C extension would; the error ``call`` raised.

    The workers are stopped (SIGSTOP) first, so a request sent to them stays unanswered;
    ``call`` runs in a thread until it blocks on them, then they get ``sig`` and run on
    (SIGCONT) to die of it. A worker killed before ``call`` took it is replaced quietly
    (and ``call`` succeeds): then the whole is tried again."""
    for _ in range(5):
        pids = [w["pid"] for w in engine.stats()["workers"]]
        for pid in pids:
            os.kill(pid, signal.SIGSTOP)
        outcome: list[BaseException | None] = []
        thread = threading.Thread(target=_outcome, args=(call, outcome))
        thread.start()
        thread.join(timeout=0.5)
        for pid in pids:
            os.kill(pid, sig)
            os.kill(pid, signal.SIGCONT)
        thread.join(timeout=120)
        assert outcome, "the call hung after its workers died"
        if outcome[0] is not None:
            return outcome[0]
    raise AssertionError("no kill landed while a request was held")


@pytest.mark.parametrize("sig", [signal.SIGSEGV, signal.SIGKILL])
def test_a_crashed_worker_is_replaced(program, sig):
    with DurableEngine() as engine:
        both(program, submission(), engine)
        error = kill_mid_request(engine, sig, lambda: score(program, submission(), engine))
        assert isinstance(error, WorkerCrashed)
        assert f"killed by {sig.name}" in str(error) and "replaced" in str(error)
        both(program, submission(), engine)  # a fresh worker, sent the program again


@pytest.mark.parametrize("sig", [signal.SIGSEGV, signal.SIGKILL])
def test_a_worker_crashing_while_a_cohort_streams_is_replaced(program, sig):
    subs = [submission(values={"ty_le_dung_han": i / 40}) for i in range(40)]
    expected = [r.tree() for r in score_many(program, subs, CompiledEngine())]
    with DurableEngine(workers=2) as engine:
        assert [r.tree() for r in score_many(program, subs, engine)] == expected
        error = kill_mid_request(engine, sig, lambda: score_many(program, subs, engine))
        assert isinstance(error, WorkerCrashed) and "replaced" in str(error)
        assert [r.tree() for r in score_many(program, subs, engine)] == expected
        assert engine.stats()["live_sessions"] == 0


def test_a_cohort_stopped_midway_leaves_the_workers_ready(program, engine):
    subs = [submission(values={"ty_le_dung_han": i / 40}) for i in range(40)]
    subs[25] = submission(values={"ty_le_dung_han": None})
    with pytest.raises(IncompleteSubmission):
        score_many(program, subs, engine, strict=True)
    expected = [r.tree() for r in score_many(program, subs, CompiledEngine())]
    assert [r.tree() for r in score_many(program, subs, engine)] == expected
    assert engine.stats()["live_sessions"] == 0


PLAIN = {
    "methodology.yaml": "id: plain\ntitle: Plain\nlevel: tỉnh\nscale: 10\n",
    "f/_node.md": "---\nid: f\ncode: '1'\ntitle: L\nmax_points: 2\n---\n",
    "f/a.md": "---\nid: a\ncode: '1.1'\ntitle: A\nmax_points: 1\n"
    "inputs:\n  x: {type: ratio, label: X}\n"
    "applicability: {allow_not_applicable: true}\n"
    "scoring:\n  kind: tiers\n  tiers:\n"
    "    - {when: x >= 90%, points: 1}\n"
    "    - {when: x >= 70% and x < 90%, points: 0.5}\n"
    "    - {otherwise: true, points: 0}\n---\n",
    "f/b.md": "---\nid: b\ncode: '1.2'\ntitle: B\nmax_points: 1\n"
    "inputs:\n  y: {type: number, label: Y, required: false}\n"
    "scoring: {kind: boolean, when: y > 2, points: 1}\n---\n",
}


def test_cases_of_plain_methodologies_travel_as_their_events(engine):
    from evaluators import build_program, parse_submission
    from evaluators.engines.durable.events import Written, written
    from evaluators.engines.durable.layout import build_layout
    from evaluators.scoring.plan import _prepare
    from methodology.tree import build_tree

    m = build_tree("plain", {p: p for p in PLAIN}, lambda p: PLAIN[p].encode())
    program = build_program(m)
    layout = build_layout(program)
    assert layout.plain is not None
    values = [
        {"x": 0.9, "y": 3},
        {"x": 0.89999999999999999, "y": "2.0000000000000001"},
        {"x": 0.5},  # y missing: fails, written the general way
        {"x": "0,5", "y": 1},  # invalid: skipped, written the general way
        {"x": 0.7, "y": 2.5},
    ]
    subs = [parse_submission({"unit": "u", "period": "2024", "values": v}) for v in values]
    subs.append(
        parse_submission(
            {
                "unit": "u",
                "period": "2024",
                "values": {"x": 1, "y": 0},
                "not_applicable": {"a": "không phát sinh"},
            }
        )
    )
    kinds = [type(written(layout, _prepare(program, s).self_case)) for s in subs]
    assert kinds == [Written, Written, type(None), type(None), Written, Written]
    expected = score_many(program, subs, CompiledEngine())
    got = score_many(program, subs, engine)
    assert [r.tree() for r in got] == [r.tree() for r in expected]
    assert [r.problems for r in got] == [r.problems for r in expected]
    claimed = _prepare(program, subs[-1]).self_case
    assert "a/na:claim:a" in engine.trace(program, [claimed])[0]


def test_asyncio_entry_point(program, engine):
    subs = [submission(values={"ty_le_dung_han": i / 50}) for i in range(50)]
    cases = [
        c for s in subs for p in [_prepare(program, s)] for c in (p.self_case, p.appraised_case)
    ]
    expected = CompiledEngine().decide(program, cases)

    async def main():
        ticks = 0

        async def ticker():
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0)

        task = asyncio.create_task(ticker())
        first, second = await asyncio.gather(
            engine.decide_async(program, cases), engine.decide_async(program, cases[:10])
        )
        task.cancel()
        return first, second, ticks

    first, second, ticks = run_async(main)
    assert first == expected
    assert second == expected[:10]
    assert ticks > 1  # the loop kept running while the workers scored


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"values": {"ty_le_dung_han": 0.995, "thoi_diem_ban_hanh": "dung_han"}},  # bonus
        {"values": {"ty_le_dung_han": None, "ket_qua_ro_rang": "có"}},  # missing, invalid
        {"not_applicable": {"xu-ly-phan-anh": "Không phát sinh"}},
        {"facts": {"co_thu_tuc_hanh_chinh": False}},  # an N/A rule on a fact
        {"appraisal": {"ty_le_dung_han": {"value": 0.85, "reason": "số liệu hệ thống"}}},
    ],
)
def test_a_methodology_split_into_several_rulesets_scores_the_same(program, engine, split, changes):
    """Decided by rulesets of at most 4 criteria each (vi-du has 10), the results, the
    batch totals and the rules that fire are those of one ruleset."""
    assert [len(p.leaves) for p in parts(program, 4)] == [4, 4, 2]
    sub = submission(**changes)
    both(program, sub, split)
    batch = score_cohort(VectorProgram.build(program), [sub, sub], split)
    assert batch.total == [score(program, sub, CompiledEngine()).total] * 2
    case = _prepare(program, sub).appraised_case
    fired = split.trace(program, [case])[0]
    # the same rules fire (each ruleset fires its own sentinel, and in its own order)
    assert sorted(n for n in fired if n != "sentinel") == sorted(
        n for n in engine.trace(program, [case])[0] if n != "sentinel"
    )


@pytest.mark.slow
def test_a_thousand_criteria_are_decided_by_several_rulesets(engine):
    """One ruleset holds at most 511 criteria (more and loading it never returns): a
    1,000-criterion index is decided by two, with the compiled engine's results."""
    program, ladders = ladder_index(1000)
    assert [len(p.leaves) for p in parts(program)] == [500, 500]
    with pytest.raises(DurableLimitError, match="at most 511"):
        build_layout(program)
    subs = [parse_submission(s) for s in cohort(ladders, 6, claimed=0.1)]
    expected = score_many(program, subs, CompiledEngine())
    got = score_many(program, subs, engine)
    assert [r.tree() for r in got] == [r.tree() for r in expected]
    assert [r.result_hash for r in got] == [r.result_hash for r in expected]
    assert any(n.status == "not_applicable" for n in got[0].walk())
    batch = score_cohort(VectorProgram.build(program), subs, engine)
    assert batch.total == [r.total for r in expected]
    rulesets = {key for w in engine.stats()["workers"] for key in w["rulesets"]}
    assert {p.key for p in parts(program)} <= rulesets


def test_a_condition_with_too_many_tests_names_its_criterion(engine):
    many = ", ".join(str(i) for i in range(1, 80))
    program = vi_du_with(
        {KIEM_TRA: DIVIDING.replace("tong_so_don_vi > 0 and", f"tong_so_don_vi in [{many}] and")}
    )
    with pytest.raises(EngineError, match=r"1\.3\.1 \(ty-le-don-vi-duoc-kiem-tra\)"):
        score(program, submission(), engine)


def test_closed_engine_refuses_work(program):
    engine = DurableEngine()
    engine.close()
    with pytest.raises(EngineError, match="closed"):
        score(program, submission(), engine)


def test_equal_cases_are_decided_once_each_with_its_own_result(program, engine):
    prepared = [_prepare(program, submission(values={"ty_le_dung_han": i / 10})) for i in range(6)]
    cases = [c for p in prepared for c in (p.self_case, p.appraised_case, p.self_case)]
    expected = CompiledEngine().decide(program, cases)
    before = engine.stats()
    decisions = engine.decide(program, cases)
    after = engine.stats()
    assert decisions == expected
    assert len({id(d) for d in decisions}) == len(cases)  # no dict shared between cases
    assert after["reused"] - before["reused"] >= 6  # the third case of each is the first
    assert after["evaluations"] - before["evaluations"] == len(cases)
    traces = engine.trace(program, cases)
    assert traces[0] == traces[2] and traces[0] is not traces[2]


def test_claims_and_skips_yield_to_n_a_rules_and_are_named_in_the_trace(program, engine):
    # claims and skips are flags of the case, applied to the rule that fired
    both_ways = submission(
        facts={"co_thu_tuc_hanh_chinh": False},
        not_applicable={"cai-cach-tthc": "không phát sinh"},
    )
    result = both(program, both_ways, engine)
    leaves = [n for n in result.node("cai-cach-tthc").walk() if not n.children]
    assert {n.rule for n in leaves} == {"na:rule:0"}
    claimed = submission(not_applicable={"xu-ly-phan-anh": "không phát sinh"})
    assert both(program, claimed, engine).node("xu-ly-phan-anh").rule == ("na:claim:xu-ly-phan-anh")
    trace = engine.trace(program, [_prepare(program, claimed).self_case])[0]
    assert "xu-ly-phan-anh/na:claim:xu-ly-phan-anh" in trace
    missing = submission(values={"ty_le_dung_han": None})
    both(program, missing, engine)
    trace = engine.trace(program, [_prepare(program, missing).self_case])[0]
    assert "ty-le-dung-han/skip" in trace


def test_a_program_keeps_what_it_built_even_none():
    """A methodology whose cases travel as they are (vi-du: N/A rules, bonus) has no
    events layout in the caller; that answer is kept, not rebuilt for every chunk."""
    program = vi_du()
    built: list[object] = []

    def build(p):
        built.append(p)
        return _events_layout(p)

    assert program.cached("durable events", build) is None
    assert program.cached("durable events", build) is None
    assert built == [program]
