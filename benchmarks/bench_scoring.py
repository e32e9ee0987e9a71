"""Scoring like for like: every engine and peer on the same index shapes and cohorts,
judged against a plain Python loop and the best peer of the same run.

Shapes (`benchmarks.indices`): ``ladders-100`` and ``ladders-1000``, synthetic indices
whose every criterion has its own three-tier ladder (no two criteria share a rule), with
submission dicts as real files are (5 % of criteria claimed "không phát sinh" with their
value left out, evidence with Vietnamese titles); ``par-876``, the bundled provincial
876/QĐ-BNV index, its 63 provinces' 2022 sample files (values, claims, appraisal,
survey scores, evidence) repeated under new unit ids.

Rows on the ladder shapes, each fed its best documented way and checked to give the
plain loop's totals:

- plain loop (the baseline): per dict, per criterion, skip a claimed one, compare its
  value with the thresholds, add the points and the applicable maximum, then the index;
- one generated Python function for the whole index (the loop unrolled, constants
  inlined);
- NumPy, building its arrays from the dicts, and on prebuilt arrays (``np.select``);
- ours: ``score_cohort`` from the dicts; ``score_columns`` on prebuilt columns;
  ``parse_submission`` + ``score_many`` (explained results: every node, the rule that
  fired, the values, the hashes); the durable engine with 2 workers (``score_cohort``);
- zen-engine (an expression per criterion, one ``evaluate`` per submission);
- openfisca-core, building its columns from the dicts + ``set_input``, and on
  prebuilt columns.

"speed" is the baseline's time over the row's (above 1× is faster than the loop). Rows
whose engine runs in several processes also give submissions per CPU-second (the
caller's and its workers' CPU time). Single-evaluation latency is one call with one
submission (median of many calls), beside the plain loop on one submission. Growth
is each row's time per submission at the larger cohort over the smaller (1.0 = linear);
``--rss`` runs each engine in a process of its own on ``--rss-n`` submissions and
reports its peak RSS above the cohort's own.

Run: ``python -m benchmarks.bench_scoring [--small N] [--large N] [--leaves-1000 N]
[--par N] [--slow N] [--runs N] [--rss] [--rss-n N] [--clock wall|cpu]``.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run by path: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from benchmarks.indices import Ladder, claims_share, cohort, ladder_index

__all__ = ["main"]

PERIOD = "2024"
CLOCK = {"name": "wall"}  # or "cpu" (--clock)
TARGETS = {
    "dicts": 3.5,  # score_cohort from dicts, × the plain loop
    "columns": 14.0,  # score_columns on prebuilt columns
    "explained": 0.5,  # one submission with its full explained result
}


# -- the baselines and the peers -------------------------------------------------------


def plain_scores(subs: Sequence[dict[str, Any]], ladders: Sequence[Ladder]) -> list[float]:
    table = [(lad.leaf, lad.input, lad.high, lad.low, lad.top, lad.middle) for lad in ladders]
    totals = []
    for s in subs:
        values = s["values"]
        claims = s.get("not_applicable") or {}
        total = 0.0
        applicable = 0.0
        for leaf, key, high, low, top, middle in table:
            if leaf in claims:
                continue
            applicable += 1.0
            v = values.get(key)
            if v is not None:
                total += top if v >= high else middle if v >= low else 0.0
        index = round(total * 100 / applicable, 2) if applicable else None  # noqa: F841 - the same work
        totals.append(total)
    return totals


def generated_function(ladders: Sequence[Ladder]) -> Callable[[dict[str, Any]], float]:
    """The whole index as one Python function (constants inlined)."""
    lines = ["def score(s):", " values = s['values']; claims = s.get('not_applicable') or {}"]
    lines.append(" get = values.get; total = 0.0; applicable = 0.0")
    for lad in ladders:
        lines += [
            f" if {lad.leaf!r} not in claims:",
            "  applicable += 1.0",
            f"  v = get({lad.input!r})",
            "  if v is not None:",
            f"   total += {lad.top!r} if v >= {lad.high!r} else "
            f"{lad.middle!r} if v >= {lad.low!r} else 0.0",
        ]
    lines.append(" index = round(total * 100 / applicable, 2) if applicable else None")
    lines.append(" return total")
    namespace: dict[str, Any] = {}
    exec("\n".join(lines), namespace)
    return namespace["score"]


def numpy_columns(subs: Sequence[dict[str, Any]], ladders: Sequence[Ladder]):
    n = len(subs)
    values = {
        lad.input: np.fromiter(
            (s["values"].get(lad.input, math.nan) for s in subs), np.float64, count=n
        )
        for lad in ladders
    }
    claimed = {
        lad.leaf: np.fromiter(
            (lad.leaf in (s.get("not_applicable") or ()) for s in subs), bool, count=n
        )
        for lad in ladders
    }
    return values, claimed


def numpy_scores(columns, ladders: Sequence[Ladder]) -> list[float]:
    values, claimed = columns
    n = len(next(iter(values.values())))
    total = np.zeros(n)
    applicable = np.zeros(n)
    for lad in ladders:
        x = values[lad.input]
        points = np.select([x >= lad.high, x >= lad.low], [lad.top, lad.middle], 0.0)
        keep = ~claimed[lad.leaf]
        total += np.where(keep, points, 0.0)
        applicable += keep
    np.round(total * 100 / np.maximum(applicable, 1), 2)
    return total.tolist()


# -- measuring -------------------------------------------------------------------------


def _worker_cpu(pids: Sequence[int]) -> float:
    """CPU seconds used so far by these processes (Linux /proc)."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


@dataclass
class Row:
    name: str
    n: int
    wall_ms: float  # per submission, median of the runs
    cpu_ms: float  # per submission, the caller's and its workers' CPU time
    totals: list[float]
    processes: int = 1
    group: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ms(self) -> float:
        """The time compared: wall-clock, or with ``--clock cpu`` the caller's CPU time
        for a row that runs in one process (a machine shared with other work slows
        wall-clock figures by whatever else runs at that moment)."""
        return self.cpu_ms if CLOCK["name"] == "cpu" and self.processes == 1 else self.wall_ms


def measure(
    name: str,
    run: Callable[[Sequence[Any]], list[float]],
    subs: Sequence[Any],
    runs: int,
    *,
    group: str = "",
    pids: Callable[[], Sequence[int]] = list,
) -> Row:
    out: list[float] = run(subs)  # warm-up, and the totals checked
    walls, cpus = [], []
    for _ in range(runs):
        workers = pids()
        cpu0, w0, t0 = time.process_time(), _worker_cpu(workers), time.perf_counter()
        run(subs)
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - cpu0 + _worker_cpu(workers) - w0)
    n = len(subs)
    return Row(
        name,
        n,
        statistics.median(walls) * 1000 / n,
        statistics.median(cpus) * 1000 / n,
        out,
        processes=1 + len(pids()),
        group=group,
    )


def latency(name: str, one: Callable[[Any], Any], subs: Sequence[Any], group: str) -> Row:
    """Median time of one call with one submission."""
    one(subs[0])
    times, cpus = [], []
    for s in subs:
        c0, t0 = time.process_time(), time.perf_counter()
        one(s)
        times.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    ms = statistics.median(times) * 1000
    return Row(name, 1, ms, statistics.median(cpus) * 1000, [], group=group)


# -- the shapes --------------------------------------------------------------------------


def _floats(totals) -> list[float]:
    return [float(t) if t is not None else math.nan for t in totals]


def ladder_rows(ladders, program, subs, slow, runs, *, durable: bool, peers: bool) -> list[Row]:
    from evaluators import CompiledEngine, parse_submission, score, score_many
    from evaluators.engines.vector.batch import VectorProgram, score_cohort, score_columns

    rows = [
        measure("plain loop (baseline)", lambda s: plain_scores(s, ladders), subs, runs),
    ]
    fn = generated_function(ladders)
    rows.append(
        measure(
            "one generated Python function for the whole index",
            lambda s: [fn(x) for x in s],
            subs,
            runs,
            group="peer-dicts",
        )
    )
    rows.append(
        measure(
            "NumPy, building its arrays from the dicts",
            lambda s: numpy_scores(numpy_columns(s, ladders), ladders),
            subs,
            runs,
            group="peer-dicts",
        )
    )
    columns = numpy_columns(subs, ladders)
    rows.append(
        measure(
            "NumPy on prebuilt arrays",
            lambda _: numpy_scores(columns, ladders),
            subs,
            runs,
            group="peer-columns",
        )
    )
    vprog = VectorProgram.build(program)
    rows.append(
        measure(
            "ours: score_cohort (from dicts)",
            lambda s: _floats(score_cohort(vprog, s).total),
            subs,
            runs,
            group="ours-dicts",
        )
    )
    values, claimed = columns
    units = [s["unit"] for s in subs]
    rows.append(
        measure(
            "ours: score_columns (prebuilt columns)",
            lambda _: _floats(
                score_columns(vprog, values, claims=claimed, units=units, facts={}).total
            ),
            subs,
            runs,
            group="ours-columns",
        )
    )
    engine = CompiledEngine()
    rows.append(
        measure(
            "ours: parse_submission + score_many (explained results)",
            lambda s: _floats(
                r.total for r in score_many(program, [parse_submission(x) for x in s], engine)
            ),
            subs[:slow],
            max(1, runs // 2),
            group="ours-explained",
        )
    )
    rows.append(
        latency(
            "ours: one submission, one call, full explained result (parse, score, hash)",
            lambda x: score(program, parse_submission(x), engine).result_hash,
            subs[: min(200, slow)],
            "latency-ours",
        )
    )
    rows.append(
        latency(
            "plain loop: one submission, one call",
            lambda x: plain_scores([x], ladders),
            subs[: min(200, slow)],
            "latency-plain",
        )
    )
    if durable:
        from evaluators.engines.durable.engine import DurableEngine

        with DurableEngine(workers=2) as durable_engine:
            pool = durable_engine._pool
            rows.append(
                measure(
                    "ours: durable, 2 workers, score_cohort (from dicts)",
                    lambda s: _floats(score_cohort(vprog, s, durable_engine).total),
                    subs[:slow],
                    max(1, runs // 2),
                    group="durable-2",
                    pids=lambda: [w.pid for w in pool._workers if w.pid],
                )
            )
    if peers:
        rows += peer_rows(ladders, subs, slow, runs, columns)
    return rows


def peer_rows(ladders, subs, slow, runs, columns) -> list[Row]:
    from benchmarks._engines_peers import Criterion, OpenFiscaPeer, ZenPeer, missing

    rows: list[Row] = []
    crits = [
        Criterion(lad.leaf, lad.input, lad.high, lad.low, (lad.top, lad.middle, 0.0))
        for lad in ladders
    ]
    skipped = missing()
    if "zen-engine" not in skipped:
        zen = ZenPeer(crits)
        rows.append(
            measure(
                "zen-engine: evaluate per submission (an expression per criterion)",
                zen.scorer("expressions"),
                subs[:slow],
                max(1, runs // 2),
                group="zen",
            )
        )
    if "openfisca-core" not in skipped:
        fisca = OpenFiscaPeer(crits)
        rows.append(
            measure(
                "openfisca-core: building its columns from the dicts + set_input",
                fisca.from_dicts,
                subs,
                runs,
                group="peer-dicts",
            )
        )
        values, _ = columns
        rows.append(
            measure(
                "openfisca-core: on prebuilt columns",
                lambda _: fisca.on_columns(values),
                subs,
                runs,
                group="peer-columns",
            )
        )
    return rows


def par_rows(n: int, slow: int, runs: int, *, durable: bool) -> tuple[list[Row], Any]:
    import yaml

    from evaluators import CompiledEngine, build_program, parse_submission, score, score_many
    from evaluators.engines.vector.batch import VectorProgram, score_cohort
    from methodology import init_store, open_methodology
    from methodology.catalog import bundled_root

    with tempfile.TemporaryDirectory() as folder:
        store = init_store(Path(folder) / "store")
        program = build_program(open_methodology(store, "par-provincial@par-provincial/2022"))
    files = sorted((bundled_root() / "submissions/par-provincial/2022").glob("*.yaml"))
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    raw = [yaml.load(f.read_text(encoding="utf-8"), loader) for f in files]
    subs = [dict(raw[i % len(raw)], unit=f"{raw[i % len(raw)]['unit']}-{i}") for i in range(n)]
    vprog = VectorProgram.build(program)
    engine = CompiledEngine()
    explained = measure(
        "parse_submission + score_many (explained results; the reference here)",
        lambda s: _floats(
            r.total for r in score_many(program, [parse_submission(x) for x in s], engine)
        ),
        subs[:slow],
        max(1, runs // 2),
        group="ours-explained",
    )
    rows = [
        explained,
        measure(
            "score_cohort (from dicts)",
            lambda s: _floats(score_cohort(vprog, s).total),
            subs,
            runs,
            group="ours-dicts",
        ),
        latency(
            "one submission, one call, full explained result (parse, score, hash)",
            lambda x: score(program, parse_submission(x), engine).result_hash,
            subs[:100],
            "latency-ours",
        ),
    ]
    if durable:
        from evaluators.engines.durable.engine import DurableEngine

        with DurableEngine(workers=2) as durable_engine:
            pool = durable_engine._pool
            rows.append(
                measure(
                    "durable, 2 workers, score_cohort (from dicts)",
                    lambda s: _floats(score_cohort(vprog, s, durable_engine).total),
                    subs[:slow],
                    max(1, runs // 2),
                    group="durable-2",
                    pids=lambda: [w.pid for w in pool._workers if w.pid],
                )
            )
    return rows, program


# -- the report ------------------------------------------------------------------------


def _speed(x: float) -> str:
    return f"{x:.3f}×" if x < 0.1 else f"{x:.2f}×" if x < 10 else f"{x:.1f}×"


def table(rows: Sequence[Row], base: Row, title: str) -> list[str]:
    out = [
        title,
        "",
        "| engine | submissions | µs per submission | submissions/s | speed vs the loop |"
        " processes | submissions per CPU-second |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        ref = (
            base.ms
            if r.n > 1
            else next((x.ms for x in rows if x.group == "latency-plain"), base.ms)
        )
        per_cpu = f"{1000 / r.cpu_ms:,.0f}" if r.processes > 1 and r.cpu_ms else "—"
        out.append(
            f"| {r.name} | {r.n:,} | {r.ms * 1000:,.1f} | {1000 / r.ms:,.0f} | "
            f"{_speed(ref / r.ms)} | {r.processes} | {per_cpu} |"
        )
    return out


def check(rows: Sequence[Row], base: Row) -> list[str]:
    wrong = []
    for r in rows:
        if not r.totals or r is base:
            continue
        want = base.totals[: len(r.totals)]
        bad = sum(1 for a, b in zip(r.totals, want, strict=True) if abs(a - b) > 1e-6)
        if bad:
            wrong.append(f"{r.name}: {bad} of {len(want)} totals differ from the plain loop's")
    return wrong


def best(rows: Sequence[Row], group: str) -> Row | None:
    found = [r for r in rows if r.group == group]
    return min(found, key=lambda r: r.ms) if found else None


def verdicts(rows: Sequence[Row], base: Row) -> list[str]:
    def speed(r: Row) -> float:
        return base.ms / r.ms

    out = []
    ours, peer = best(rows, "ours-dicts"), best(rows, "peer-dicts")
    if ours:
        ok = speed(ours) >= TARGETS["dicts"] and (peer is None or ours.ms < peer.ms)
        out.append(
            f"- from dicts ≥ {TARGETS['dicts']}× the loop and ahead of every peer: "
            f"**{'met' if ok else 'NOT MET'}** — {_speed(speed(ours))}"
            + (f"; best peer {peer.name} {_speed(speed(peer))}" if peer else "")
        )
    ours, peer = best(rows, "ours-columns"), best(rows, "peer-columns")
    if ours:
        ok = speed(ours) >= TARGETS["columns"]
        out.append(
            f"- from prebuilt columns ≥ {TARGETS['columns']}× the loop: "
            f"**{'met' if ok else 'NOT MET'}** — {_speed(speed(ours))}"
            + (f"; best peer {peer.name} {_speed(speed(peer))}" if peer else "")
        )
    one, plain = best(rows, "latency-ours"), best(rows, "latency-plain")
    if one and plain:
        ratio = plain.ms / one.ms
        out.append(
            f"- one submission with its full explained result ≥ {TARGETS['explained']}× the "
            f"loop: **{'met' if ratio >= TARGETS['explained'] else 'NOT MET'}** — "
            f"{_speed(ratio)} ({one.ms * 1000:,.0f} µs against {plain.ms * 1000:,.1f} µs)"
        )
    durable, zen = best(rows, "durable-2"), best(rows, "zen")
    if durable and zen:
        out.append(
            "- durable with 2 workers ahead of zen-engine: "
            f"**{'met' if durable.wall_ms < zen.wall_ms else 'NOT MET'}** — "
            f"{1000 / durable.wall_ms:,.0f}/s ({1000 / durable.cpu_ms:,.0f} per CPU-second) "
            f"against {1000 / zen.wall_ms:,.0f}/s on one thread"
        )
    return out


def growth(small: Sequence[Row], large: Sequence[Row], what: str) -> list[str]:
    out = [
        f"| engine | {what} | µs per submission, small | µs per submission, large | growth |",
        "|---|---|---:|---:|---:|",
    ]
    by_name = {r.name: r for r in small}
    for r in large:
        s = by_name.get(r.name)
        if s is None or r.n == 1:
            continue
        out.append(
            f"| {r.name} | {s.n:,} → {r.n:,} | {s.ms * 1000:,.1f} | "
            f"{r.ms * 1000:,.1f} | {r.ms / s.ms:.2f} |"
        )
    return out


# -- peak RSS, one engine per process ----------------------------------------------------

RSS_ENGINES = ("plain", "numpy-dicts", "score_cohort", "score_columns", "openfisca-dicts")


def _status_kb(name: str) -> int:
    """A line of /proc/self/status in KiB (VmRSS: now, VmHWM: the peak since reset)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(name + ":"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _reset_peak() -> None:
    """Start the peak (VmHWM) from the current RSS (Linux ≥ 4.0)."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def rss_child(engine: str, n: int) -> None:
    from evaluators.engines.vector.batch import VectorProgram, score_cohort, score_columns

    program, ladders = ladder_index(100)
    subs = cohort(ladders, n)
    vprog = VectorProgram.build(program)
    columns = numpy_columns(subs, ladders) if engine in ("score_columns",) else None
    gc.collect()
    _reset_peak()
    before = _status_kb("VmRSS")
    if engine == "plain":
        plain_scores(subs, ladders)
    elif engine == "numpy-dicts":
        numpy_scores(numpy_columns(subs, ladders), ladders)
    elif engine == "score_cohort":
        _ = score_cohort(vprog, subs).total
    elif engine == "score_columns":
        values, claimed = columns
        _ = score_columns(vprog, values, claims=claimed, units=[s["unit"] for s in subs]).total
    elif engine == "openfisca-dicts":
        from benchmarks._engines_peers import Criterion, OpenFiscaPeer

        crits = [
            Criterion(lad.leaf, lad.input, lad.high, lad.low, (lad.top, lad.middle, 0.0))
            for lad in ladders
        ]
        OpenFiscaPeer(crits).from_dicts(subs)
    print(json.dumps({"engine": engine, "before_kb": before, "peak_kb": _status_kb("VmHWM")}))


def rss_rows(n: int) -> list[str]:
    out = [
        f"| engine | peak RSS above the cohort's own, {n:,} submissions (MiB) |",
        "|---|---:|",
    ]
    for engine in RSS_ENGINES:
        proc = subprocess.run(
            [sys.executable, "-m", "benchmarks.bench_scoring", "--rss-child", engine, str(n)],
            capture_output=True,
            text=True,
            cwd=Path(__file__).resolve().parent.parent,
        )
        if proc.returncode:
            out.append(f"| {engine} | failed: {proc.stderr.strip().splitlines()[-1]} |")
            continue
        got = json.loads(proc.stdout.strip().splitlines()[-1])
        out.append(f"| {engine} | {(got['peak_kb'] - got['before_kb']) / 1024:,.0f} |")
    return out


# -- main ------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=10_000, help="ladders-100 cohort")
    parser.add_argument("--large", type=int, default=100_000, help="its growth cohort (0: skip)")
    parser.add_argument("--leaves-1000", type=int, default=1_000, help="ladders-1000 cohort")
    parser.add_argument("--par", type=int, default=5_000, help="par-876 cohort (0: skip)")
    parser.add_argument("--slow", type=int, default=500, help="prefix for the slower rows")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-durable", action="store_true")
    parser.add_argument("--rss", action="store_true", help="peak RSS per engine")
    parser.add_argument("--rss-n", type=int, default=100_000)
    parser.add_argument("--rss-child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument(
        "--clock",
        choices=("wall", "cpu"),
        default="wall",
        help="time one-process rows by wall-clock or by their CPU time (durable: wall)",
    )
    args = parser.parse_args(argv)
    CLOCK["name"] = args.clock
    if args.rss_child:
        rss_child(args.rss_child[0], int(args.rss_child[1]))
        return 0
    durable = not args.no_durable
    wrong: list[str] = []

    program, ladders = ladder_index(100)
    subs = cohort(ladders, args.small)
    print(
        f"ladders-100: 100 criteria, each its own ladder; {len(subs):,} submission dicts, "
        f"{claims_share(subs, ladders):.1%} of criteria claimed, evidence in every file; "
        f"slower rows on the first {args.slow:,}; median of {args.runs} runs; "
        f"{'CPU time for one-process rows' if args.clock == 'cpu' else 'wall-clock'}\n"
    )
    small = ladder_rows(ladders, program, subs, args.slow, args.runs, durable=durable, peers=True)
    base = small[0]
    print("\n".join(table(small, base, "#### ladders-100")))
    wrong += check(small, base)
    print("\nTargets (this run):")
    print("\n".join(verdicts(small, base)))

    if args.large:
        big_subs = cohort(ladders, args.large, seed=2025)
        big = ladder_rows(
            ladders, program, big_subs, args.slow * 10, 1, durable=durable, peers=True
        )
        del big_subs
        wrong += check(big, big[0])
        print(
            f"\n#### growth in submissions (ladders-100; slower rows {args.slow:,} → "
            f"{args.slow * 10:,})\n"
        )
        print("\n".join(growth(small, big, "submissions")))

    program_1000, ladders_1000 = ladder_index(1000)
    subs_1000 = cohort(ladders_1000, args.leaves_1000)
    wide = ladder_rows(
        ladders_1000,
        program_1000,
        subs_1000,
        min(args.slow, args.leaves_1000),
        args.runs,
        durable=durable,
        peers=True,
    )
    print()
    print("\n".join(table(wide, wide[0], "#### ladders-1000 (two durable rulesets)")))
    wrong += check(wide, wide[0])
    print("\nTargets (this run):")
    print("\n".join(verdicts(wide, wide[0])))
    print("\n#### growth in leaves (100 → 1,000; per submission, 10× the work is linear)\n")
    print("\n".join(growth(small, wide, "submissions")))

    if args.par:
        par_small, _ = par_rows(args.par // 10, args.slow // 5, args.runs, durable=False)
        par, _ = par_rows(args.par, args.slow, args.runs, durable=durable)
        print()
        print(
            "\n".join(
                table(
                    par,
                    par[0],
                    f"#### par-876 (the 63 provinces' 2022 files repeated; {args.par:,} "
                    "submissions; speed against the explained path)",
                )
            )
        )
        print(f"\n#### growth in submissions (par-876, {args.par // 10:,} → {args.par:,})\n")
        print("\n".join(growth(par_small, par, "submissions")))

    if args.rss:
        print()
        print("\n".join(rss_rows(args.rss_n)))
    print()
    if wrong:
        print("results DISAGREE:\n" + "\n".join(f"- {w}" for w in wrong))
        return 1
    print("every row's totals equal the plain loop's")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
