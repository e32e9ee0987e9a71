"""Benchmark of the web pages over real HTTP: render time and page weight.

Starts `parindex serve --empty` on loopback over a temporary data folder (its store built
from the bundled catalog) and, with one client on one keep-alive connection, times each
page of PAGES against its baseline: the API route that returns the same service call's
result as JSON, without HTML. p50 and p95 over the runs, after two warm-up requests. A
page whose route the server does not have yet is reported as skipped. Weight: the bytes
of the page's HTML plus the stylesheets and scripts it loads (images not counted);
/schema, the API documentation's Redoc bundle, is exempt.

Run: ``python -m benchmarks.bench_pages [--runs N]``.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

if __package__ in (None, ""):  # run by path: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

__all__ = ["main"]

TARGET_P95_MS = 100.0
TARGET_KB = 200.0
STARTUP_SECONDS = 300  # the first start builds the store from the bundled catalog

# (what, page, baseline: the same service call as JSON). One line per page.
PAGES: list[tuple[str, str, str]] = [
    ("catalog", "/bo-chi-so", "/api/methodologies/"),
    (
        "876 provincial tree (88 sub-criteria)",
        "/bo-chi-so/par-provincial?phien-ban=par-provincial/2022",
        "/api/methodologies/par-provincial?ref=par-provincial/2022",
    ),
]
WEIGHED = [
    "/",
    "/dang-nhap",
    "/bo-chi-so",
    "/bo-chi-so/par-provincial?phien-ban=par-provincial/2022",
]
ASSET = re.compile(
    r"""<(?:link[^>]*rel=["']?stylesheet[^>]*href|script[^>]*src)=["']?([^"' >]+)""", re.I
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serve(data_dir: Path, log: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    command = [sys.executable, "-m", "server", "serve", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--data-dir", str(data_dir), "--empty"]
    with log.open("ab") as out:
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=os.environ
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"parindex serve exited:\n{log.read_text(errors='replace')}")
        try:
            if httpx.get(f"{url}/schema/openapi.json", timeout=2).status_code == 200:
                return process, url
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    process.terminate()
    raise SystemExit(f"parindex serve did not answer in {STARTUP_SECONDS} s")


def _percentiles(client: httpx.Client, path: str, runs: int) -> tuple[float, float]:
    for _ in range(2):
        client.get(path).raise_for_status()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        client.get(path).raise_for_status()
        times.append((time.perf_counter() - start) * 1000)
    cuts = statistics.quantiles(times, n=20, method="inclusive")
    return statistics.median(times), cuts[18]


def _weight(client: httpx.Client, path: str) -> tuple[int, int] | None:
    """(HTML bytes, CSS and JS bytes) of the page, or None when it is not served."""
    page = client.get(path)
    if page.status_code == 404:
        return None
    page.raise_for_status()
    assets = {href for href in ASSET.findall(page.text) if href.startswith("/")}
    return len(page.content), sum(len(client.get(href).content) for href in sorted(assets))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=60)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="parindex-bench-pages-") as tmp:
        process, url = _serve(Path(tmp) / "data", Path(tmp) / "serve.log")
        try:
            with httpx.Client(base_url=url, timeout=30) as client:
                timed = []
                for what, page, baseline in PAGES:
                    if client.get(page).status_code == 404:
                        timed.append((what, page, None, None))
                        continue
                    timed.append(
                        (
                            what,
                            page,
                            _percentiles(client, page, args.runs),
                            _percentiles(client, baseline, args.runs),
                        )
                    )
                weights = [(path, _weight(client, path)) for path in WEIGHED]
        finally:
            process.terminate()
            process.wait(timeout=30)
    print(f"Pages over HTTP on loopback, one client; p50/p95 of {args.runs} requests each.\n")
    print(
        "| page | p50 ms | p95 ms | target p95 ms | baseline (API JSON) p50 / p95 ms | ratio p95 |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    missed = []
    for what, page, ours, base in timed:
        if ours is None or base is None:
            print(f"| {what} (`{page}`) | skipped: not served yet | | | | |")
            continue
        print(
            f"| {what} (`{page}`) | {ours[0]:.1f} | {ours[1]:.1f} | {TARGET_P95_MS:.0f} | "
            f"{base[0]:.1f} / {base[1]:.1f} | {ours[1] / base[1]:.2f}× |"
        )
        if ours[1] > TARGET_P95_MS:
            missed.append(f"{what} p95 {ours[1]:.1f} ms")
    print("\n| page | HTML KB | CSS + JS KB | total KB | target KB |")
    print("|---|---:|---:|---:|---:|")
    for path, weight in weights:
        if weight is None:
            print(f"| `{path}` | skipped: not served yet | | | |")
            continue
        html, assets = weight
        total = (html + assets) / 1024
        print(
            f"| `{path}` | {html / 1024:.1f} | {assets / 1024:.1f} | {total:.1f} | {TARGET_KB:.0f} |"
        )
        if total > TARGET_KB:
            missed.append(f"`{path}` weighs {total:.1f} KB")
    print("\n(`/schema`, the API documentation with its Redoc bundle, is exempt from the weight.)")
    print(f"\nTargets: {'NOT met: ' + '; '.join(missed) if missed else 'met'}.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
