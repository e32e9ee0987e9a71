"""`parindex --help` and `parindex show` start without the heavy libraries.

Commands import what they need inside their functions; a module-level import in any
command module would load it for every command. Measured through `-X importtime`, so
the real `python -m server` process is what is checked.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

# Scoring, charts, the HTTP API and its database: none is needed to list commands or
# print a methodology's tree.
HEAVY = {"numpy", "matplotlib", "litestar", "durable", "sqlmodel", "alembic", "sqlalchemy"}


def imported(*args: str) -> set[str]:
    """The top-level packages a `python -m server <args>` process imported."""
    run = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "server", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    return {
        line.rsplit("|", 1)[1].strip().split(".")[0]
        for line in run.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }


def test_help_imports_no_heavy_library_and_no_domain_package():
    modules = imported("--help")
    assert "typer" in modules  # the measurement sees imports at all
    assert modules & HEAVY == set()
    # Even GitPython and the domain packages wait for a command that uses them.
    assert modules & {"git", "rules", "methodology", "evaluators"} == set()


@pytest.mark.parametrize("command", ["audit", "serve", "user"])
def test_a_command_help_imports_no_heavy_library(command):
    assert imported(command, "--help") & HEAVY == set()


def test_show_imports_no_heavy_library(template_store: Path):
    modules = imported("show", "vi-du@vi-du/2014", "--store", str(template_store))
    assert "methodology" in modules
    assert modules & HEAVY == set()
