"""Whole-process timings of the `parindex` command line (issue 14 §3).

Each command runs as a user runs it, a new Python process from start to exit: the
`parindex` script beside this Python (``python -m server`` where there is none),
output to /dev/null, against a store made by `parindex init` in a temporary folder.
Bytecode is cached (in a temporary ``PYTHONPYCACHEPREFIX``, after untimed warm-up
runs) as it is for an installed package, even where ``PYTHONDONTWRITEBYTECODE`` is set.

Printed per command: the median and the fastest wall time, the median CPU time (user +
system, from ``wait4``: less sensitive than wall time to other processes on the
machine), and the median over the baseline's, ``python -c pass`` measured in the same
run. ``import typer`` is the floor of any command line written with Typer. Targets:
`--help` ≤ 0.3 s, `show` of a release ≤ 0.5 s, `audit` of the bundled provinces
2019 → 2022 ≤ 2 s, judged on the median wall time.

Run: ``python -m benchmarks.bench_cli [--runs N] [--source CHECKOUT]``; ``--source``
times another checkout's code (main's, say, for a before and after) with this Python.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["main"]

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Row:
    label: str
    args: tuple[str, ...]  # after the interpreter, or after `parindex` when cli
    target_ms: float | None = None
    cli: bool = True
    runs_factor: float = 1.0


@dataclass
class Timing:
    wall: list[float]
    cpu: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.wall)


def _command(row: Row) -> list[str]:
    if not row.cli:
        return [sys.executable, *row.args]
    script = Path(sys.executable).with_name("parindex")
    if script.is_file():
        return [sys.executable, str(script), *row.args]
    return [sys.executable, "-m", "server", *row.args]


def _time_once(command: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """(wall, CPU) milliseconds of one run of ``command``; fails if it fails."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = (time.perf_counter() - start) * 1000
    stderr = proc.stderr.read().decode() if proc.stderr else ""
    if proc.stderr:
        proc.stderr.close()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({proc.returncode}):\n{stderr[-2000:]}")
    return wall, (usage.ru_utime + usage.ru_stime) * 1000


def _measure(row: Row, env: dict[str, str], cwd: Path, runs: int, warmup: int) -> Timing:
    command = _command(row)
    for _ in range(warmup):
        _time_once(command, env, cwd)
    timing = Timing([], [])
    for _ in range(max(3, round(runs * row.runs_factor))):
        wall, cpu = _time_once(command, env, cwd)
        timing.wall.append(wall)
        timing.cpu.append(cpu)
    return timing


def _rows(store: Path) -> list[Row]:
    at = ("--store", str(store))
    return [
        Row("python -c pass (baseline)", ("-c", "pass"), cli=False),
        Row("python -c 'import typer' (floor of a Typer CLI)", ("-c", "import typer"), cli=False),
        Row("parindex --help", ("--help",), 300),
        Row("parindex show vi-du@vi-du/2014", ("show", "vi-du@vi-du/2014", *at), 500),
        Row(
            "parindex show par-provincial@par-provincial/2022",
            ("show", "par-provincial@par-provincial/2022", *at),
            500,
        ),
        Row(
            "parindex audit --from par-provincial@2019 --to par-provincial@2022",
            ("audit", "--from", "par-provincial@2019", "--to", "par-provincial@2022", *at),
            2000,
            runs_factor=0.5,
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="timed runs per command")
    parser.add_argument("--warmup", type=int, default=2, help="untimed runs per command")
    parser.add_argument("--source", type=Path, default=ROOT, help="the checkout whose code runs")
    args = parser.parse_args(argv)
    source = args.source.resolve()

    tmp = Path(tempfile.mkdtemp(prefix="bench-cli-"))
    try:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = str(tmp / "pycache")
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(source), env.get("PYTHONPATH")]))
        env.pop("PARINDEX_STORE", None)
        store = tmp / "store"
        init = _command(Row("init", ("init", "--store", str(store))))
        subprocess.run(init, env=env, cwd=source, check=True, capture_output=True)

        load_before = os.getloadavg()[0]
        rows = _rows(store)
        results = [(row, _measure(row, env, source, args.runs, args.warmup)) for row in rows]
        load_after = os.getloadavg()[0]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    base = results[0][1].median
    print(
        f"code of {source}; load average (1 min) {load_before:.2f} before, "
        f"{load_after:.2f} after; {os.cpu_count()} CPUs\n"
    )
    print(
        "| command | runs | median wall | fastest | median CPU | × baseline (wall) "
        "| target | met (median wall) | CPU under target |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---|---|")
    for row, t in results:
        cpu = statistics.median(t.cpu)
        target = met = under = ""
        if row.target_ms is not None:
            target = f"≤ {row.target_ms:.0f} ms"
            met = "yes" if t.median <= row.target_ms else "**no**"
            under = "yes" if cpu <= row.target_ms else "**no**"
        print(
            f"| `{row.label}` | {len(t.wall)} | {t.median:.0f} ms | {min(t.wall):.0f} ms "
            f"| {cpu:.0f} ms | {t.median / base:.1f}× | {target} | {met} | {under} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
