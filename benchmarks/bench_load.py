"""Benchmark of the server under load: 50 concurrent clients on loopback, bounded in time.

Starts `parindex serve` over a temporary data folder with the bundled samples (the 63
provinces' submissions among them), and, as the baseline of the same run, a bare Litestar
application under the same uvicorn settings whose one endpoint returns bytes of the size
of the released 876 tree. Each scenario runs for ``--seconds`` with ``--clients``
keep-alive connections (wrk when it is installed, else an asyncio client with httpx) and
reports throughput, p50, p99 and errors (transport errors, timeouts and non-2xx answers):

- the bare endpoint, and GET of the released 876 tree (`par-provincial/2022`);
- one evaluation (POST /api/evaluations of one province's 2023 submission);
- the ranking of the 63 provinces for 2023 with 1 client and with ``--clients``;
- a cheap read (GET /api/units/?cohort=provinces, 63 rows from the database) with one
  client, alone and while ``--clients`` rankings run.

The rankings run twice: as served (reused while the data are unchanged), then by the same
server restarted over the same data with `PARINDEX_RANKING_CACHE=0`, every ranking
computed afresh (``--no-cold`` skips that part); with ``--before DIR``, a third time by
the server of another checkout (the code before a change) over its own data folder. Targets (issue 14 §2) are printed beside
each figure. Timings depend on the machine's load: compare within one run.

Run: ``python -m benchmarks.bench_load [--seconds 10] [--clients 50] [--client httpx]
[--data DIR]`` (``--data``: a data folder kept between runs, made with the samples by
the first; without it a temporary one).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

if __package__ in (None, ""):  # run by path: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

__all__ = ["main"]

STARTUP_SECONDS = 600  # the first start builds the store and loads the samples
TREE = "/api/methodologies/par-provincial?ref=par-provincial/2022"
RANKING = "/api/rankings?cohort=provinces&period=2023"
CHEAP = "/api/units/?cohort=provinces"  # the 63 provinces, from the database


@dataclass(frozen=True)
class Scenario:
    name: str
    path: str
    method: str = "GET"
    body: bytes = b""
    token: str = ""


@dataclass(frozen=True)
class Measured:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


# -- the servers -----------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(process: subprocess.Popen, url: str, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code < 500:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    process.terminate()
    raise SystemExit(f"the server did not answer in {STARTUP_SECONDS} s")


def _start(
    command: list[str], log: Path, env: dict[str, str], cwd: Path | None = None
) -> subprocess.Popen:
    with log.open("ab") as out:
        return subprocess.Popen(
            command,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=cwd,
        )


def _serve(
    data: Path, log: Path, checkout: Path | None = None, **settings: str
) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    # The load is one caller: the per-caller rate limit of expensive requests (where the
    # server has one) is lifted, so what is measured is the server, not the limiter.
    env = {**os.environ, "PARINDEX_LOG_FORMAT": "json", "PARINDEX_RATE_LIMIT": "100000000"}
    if checkout is not None:  # that checkout's code: `python -m` imports from the cwd first
        env["PYTHONPATH"] = str(checkout)
    env.update({f"PARINDEX_{k.upper()}": v for k, v in settings.items()})
    command = [sys.executable, "-m", "server", "serve", "--host", "127.0.0.1"]
    process = _start([*command, "--port", str(port), "--data-dir", str(data)], log, env, checkout)
    url = f"http://127.0.0.1:{port}"
    _wait(process, url, log)
    return process, url


def _bare(size: int, log: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    command = [sys.executable, "-m", "benchmarks.bench_load", "--bare", str(size)]
    process = _start([*command, "--port", str(port)], log, dict(os.environ))
    url = f"http://127.0.0.1:{port}"
    _wait(process, url, log)
    return process, url


def _run_bare(size: int, port: int) -> None:
    """A Litestar application with one endpoint answering ``size`` bytes of JSON, run
    as `parindex serve` runs its application (uvicorn, no access log)."""
    import uvicorn
    from litestar import Litestar, Response, get

    payload = json.dumps({"pad": "x" * max(0, size - 11)}).encode()

    @get("/health", sync_to_thread=False)
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @get("/bare", sync_to_thread=False)
    def bare() -> Response[bytes]:
        return Response(payload, media_type="application/json")

    app = Litestar([health, bare], signature_namespace={"Response": Response})
    uvicorn.run(app, host="127.0.0.1", port=port, access_log=False, log_level="warning")


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=30)


# -- the clients -----------------------------------------------------------------------

_WRK_DONE = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %d %d %d %.1f %.1f\\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


def _wrk(url: str, scenario: Scenario, clients: int, seconds: float, folder: Path):
    """Start wrk on ``scenario``; its `Measured` comes from `_wrk_result`."""
    script = [f'wrk.method = "{scenario.method}"']
    if scenario.token:
        script.append(f'wrk.headers["Authorization"] = "Bearer {scenario.token}"')
    if scenario.body:
        script.append('wrk.headers["Content-Type"] = "application/json"')
        script.append(f"wrk.body = {json.dumps(scenario.body.decode())}")
    path = folder / f"{scenario.name.replace(' ', '-')}-{clients}.lua"
    path.write_text("\n".join(script) + _WRK_DONE, encoding="utf-8")
    threads = max(1, min(2, clients))
    command = ["wrk", f"-t{threads}", f"-c{clients}", f"-d{seconds}s", "--timeout", "30s"]
    return subprocess.Popen(
        [*command, "-s", str(path), url + scenario.path],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _wrk_result(process: subprocess.Popen) -> Measured:
    out, _ = process.communicate(timeout=600)
    line = next((x for x in out.splitlines() if x.startswith("RESULT ")), None)
    if line is None:
        raise SystemExit(f"wrk gave no result:\n{out}")
    n, micros, *errors, p50, p99 = line.split()[1:]
    return Measured(
        requests=int(n),
        seconds=int(micros) / 1e6,
        p50_ms=float(p50) / 1000,
        p99_ms=float(p99) / 1000,
        errors=sum(int(e) for e in errors),
    )


async def _httpx(url: str, scenario: Scenario, clients: int, seconds: float) -> Measured:
    headers = {"Authorization": f"Bearer {scenario.token}"} if scenario.token else {}
    if scenario.body:
        headers["Content-Type"] = "application/json"
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    times: list[float] = []
    errors = 0
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:
        start = time.perf_counter()
        deadline = start + seconds

        async def one() -> None:
            nonlocal errors
            while time.perf_counter() < deadline:
                began = time.perf_counter()
                try:
                    r = await client.request(
                        scenario.method, scenario.path, content=scenario.body, headers=headers
                    )
                    if r.status_code >= 400:
                        errors += 1
                except httpx.HTTPError:
                    errors += 1
                times.append(time.perf_counter() - began)

        await asyncio.gather(*(one() for _ in range(clients)))
        elapsed = time.perf_counter() - start
    ordered = sorted(times) or [0.0]
    return Measured(
        requests=len(times),
        seconds=elapsed,
        p50_ms=statistics.median(ordered) * 1000,
        p99_ms=ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
        errors=errors,
    )


class Load:
    """Runs scenarios with wrk or httpx, one at a time or side by side."""

    def __init__(self, client: str, seconds: float, folder: Path) -> None:
        self.client, self.seconds, self.folder = client, seconds, folder

    def run(self, url: str, scenario: Scenario, clients: int) -> Measured:
        return self.together(url, [(scenario, clients)])[0]

    def together(self, url: str, runs: list[tuple[Scenario, int]]) -> list[Measured]:
        # a short warm-up, unmeasured: first requests build caches and connections
        warm = min(1.0, self.seconds / 4)
        for scenario, clients in runs:
            self._measure(url, [(scenario, min(clients, 4))], warm)
        return self._measure(url, runs, self.seconds)

    def _measure(
        self, url: str, runs: list[tuple[Scenario, int]], seconds: float
    ) -> list[Measured]:
        if self.client == "wrk":
            started = [self._wrk(url, s, c, seconds) for s, c in runs]
            return [_wrk_result(p) for p in started]

        async def side_by_side() -> list[Measured]:
            return list(await asyncio.gather(*(_httpx(url, s, c, seconds) for s, c in runs)))

        return asyncio.run(side_by_side())

    def _wrk(self, url: str, scenario: Scenario, clients: int, seconds: float):
        return _wrk(url, scenario, clients, max(1, round(seconds)), self.folder)


# -- the run ---------------------------------------------------------------------------


def _row(name: str, m: Measured, target: str, met: bool | None) -> str:
    verdict = "" if met is None else ("met" if met else "**not met**")
    return (
        f"| {name} | {m.per_second:,.0f} | {m.p50_ms:.1f} | {m.p99_ms:.1f} | {m.errors} "
        f"| {target} | {verdict} |"
    )


def _rankings(load: Load, url: str, token: str, clients: int, label: str) -> list[str]:
    ranking = Scenario("ranking", RANKING, token=token)
    cheap = Scenario("cheap", CHEAP, token=token)
    one = load.run(url, ranking, 1)
    many = load.run(url, ranking, clients)
    alone = load.run(url, cheap, 1)
    beside, _ = load.together(url, [(cheap, 1), (ranking, clients)])
    within = beside.p99_ms <= 2 * max(alone.p99_ms, 1.0)
    return [
        _row(f"ranking of 63, 1 client ({label})", one, "p50 ≤ 100 ms", one.p50_ms <= 100),
        _row(
            f"ranking of 63, {clients} clients ({label})",
            many,
            "p99 ≤ 500 ms, 0 errors",
            many.p99_ms <= 500 and many.errors == 0,
        ),
        _row(f"cheap read alone ({label})", alone, "—", None),
        _row(
            f"cheap read while {clients} rankings run ({label})",
            beside,
            f"p99 ≤ 2 × {alone.p99_ms:.1f} ms",
            within and beside.errors == 0,
        ),
    ]


def _token(data: Path) -> str:
    from server.serve import ADMIN_TOKEN_FILE

    return (data / ADMIN_TOKEN_FILE).read_text(encoding="utf-8").strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--client", choices=("wrk", "httpx"), default=None)
    parser.add_argument("--no-cold", action="store_true", help="skip the rankings without reuse")
    parser.add_argument("--data", type=Path, help="a data folder to keep (samples loaded once)")
    parser.add_argument(
        "--before", type=Path, help="another checkout whose server's rankings run too"
    )
    parser.add_argument("--bare", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.bare is not None:
        _run_bare(args.bare, args.port)
        return 0
    client = args.client or ("wrk" if shutil.which("wrk") else "httpx")
    clients = args.clients
    with tempfile.TemporaryDirectory(prefix="parindex-bench-load-") as tmp:
        folder = Path(tmp)
        data = args.data.resolve() if args.data else folder / "data"
        load = Load(client, args.seconds, folder)
        process, url = _serve(data, folder / "serve.log")
        try:
            token = _token(data)
            size = len(httpx.get(url + TREE, timeout=60).content)
            bare_process, bare_url = _bare(size, folder / "bare.log")
            try:
                bare = load.run(bare_url, Scenario("bare", "/bare"), clients)
            finally:
                _stop(bare_process)
            tree = load.run(url, Scenario("tree", TREE), clients)
            answer = httpx.get(
                url + RANKING, headers={"Authorization": f"Bearer {token}"}, timeout=120
            )
            answer.raise_for_status()
            submission = next(iter(answer.json()["submissions"].values()))
            body = json.dumps({"submissions": [submission]}).encode()
            evaluation = Scenario("evaluation", "/api/evaluations", "POST", body, token)
            evaluated = load.run(url, evaluation, clients)
            rows = [
                _row(f"bare Litestar endpoint ({size:,} B)", bare, "baseline", None),
                _row(
                    "released 876 tree",
                    tree,
                    f"≥ 50% of bare ({bare.per_second * 0.5:,.0f}/s), p99 ≤ 50 ms",
                    tree.per_second >= 0.5 * bare.per_second
                    and tree.p99_ms <= 50
                    and tree.errors == 0,
                ),
                _row(
                    "one evaluation",
                    evaluated,
                    "p99 ≤ 100 ms, 0 errors",
                    evaluated.p99_ms <= 100 and evaluated.errors == 0,
                ),
                *_rankings(load, url, token, clients, "reused"),
            ]
        finally:
            _stop(process)
        if not args.no_cold:
            process, url = _serve(data, folder / "serve-cold.log", ranking_cache="0")
            try:
                rows += _rankings(load, url, token, clients, "computed afresh")
            finally:
                _stop(process)
        if args.before is not None:
            before = args.before.resolve()
            commit = subprocess.run(
                ["git", "-C", str(before), "rev-parse", "--short", "HEAD"],
                capture_output=True,
                text=True,
                check=False,
            ).stdout.strip()
            old = folder / "before"
            process, url = _serve(old, folder / "serve-before.log", before)
            try:
                rows += _rankings(load, url, _token(old), clients, f"before, {commit}")
            finally:
                _stop(process)
    print(
        f"{clients} concurrent clients on loopback for {args.seconds:g} s per scenario "
        f"({client}); one server process.\n"
    )
    print("| scenario | req/s | p50 ms | p99 ms | errors | target | |")
    print("|---|---:|---:|---:|---:|---|---|")
    for row in rows:
        print(row)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
