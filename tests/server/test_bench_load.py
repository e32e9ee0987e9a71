"""`benchmarks/bench_load.py` runs end to end with tiny bounds: it starts the server with
the samples and the bare baseline, loads every scenario and prints its table. Speed is
not asserted here (docs/benchmarks.md records it); errors are: every request answers."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.server.helpers import CHECKOUT, checkout_env


@pytest.mark.slow  # a server start with the samples, then a few seconds of each scenario
def test_the_load_benchmark_runs_and_every_request_answers():
    bounds = ["--seconds", "1", "--clients", "3", "--client", "httpx", "--no-cold"]
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_load", *bounds],
        capture_output=True,
        text=True,
        cwd=CHECKOUT,
        env=checkout_env(),
        timeout=1200,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    rows = [
        line for line in done.stdout.splitlines() if line.startswith("| ") and "---" not in line
    ]
    names = [row.split("|")[1].strip() for row in rows[1:]]
    assert names[:3] == [names[0], "released 876 tree", "one evaluation"]
    assert names[0].startswith("bare Litestar endpoint")
    assert "ranking of 63, 3 clients (reused)" in names
    assert "cheap read while 3 rankings run (reused)" in names
    for row in rows[1:]:
        cells = [c.strip() for c in row.split("|")]
        assert int(cells[2].replace(",", "")) > 0, row  # requests per second
        assert cells[5] == "0", row  # errors
