"""`parindex --help`, `show` and `audit` start without the libraries they do not use.

Commands import what they need inside their functions; a module-level import in any
command module would load it for every command. Measured through `-X importtime`, so
the real `python -m server` process is what is checked.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

# Scoring, charts, the HTTP API, its database, pages, office files and metrics: none is
# needed to list commands or print a methodology's tree.
HEAVY = {
    "numpy",
    "matplotlib",
    "litestar",
    "durable",
    "sqlmodel",
    "alembic",
    "sqlalchemy",
    "jinja2",
    "openpyxl",
    "docx",
    "prometheus_client",
}


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
    # Even GitPython, YAML, the domain packages and pydantic (which Typer uses to convert
    # a command's arguments) wait for a command that uses them.
    assert modules & {"git", "yaml", "pydantic", "rules", "methodology", "evaluators"} == set()


@pytest.mark.parametrize("command", ["audit", "serve", "user"])
def test_a_command_help_imports_no_heavy_library(command):
    assert imported(command, "--help") & HEAVY == set()


def imported_modules(*args: str) -> set[str]:
    """Every module (dotted name) a `python -m server <args>` process imported."""
    run = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "server", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    return {
        line.rsplit("|", 1)[1].strip()
        for line in run.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }


def test_show_imports_no_heavy_library(template_store: Path):
    modules = imported_modules("show", "vi-du@vi-du/2014", "--store", str(template_store))
    assert "methodology.store" in modules  # the measurement sees the lazy imports
    assert {m.split(".")[0] for m in modules} & HEAVY == set()
    assert "markdown_it" not in {m.split(".")[0] for m in modules}  # no guidance as HTML
    # `methodology` exports its names lazily: reading a tree loads no editing, history,
    # rebasing, units or sample generation.
    unused = {"authoring", "changelog", "history", "rebase", "samples", "units", "published"}
    assert modules & {f"methodology.{name}" for name in unused} == set()


@pytest.mark.slow
def test_audit_imports_no_server_library(template_store: Path):
    modules = imported(
        "audit", "--from", "par-provincial@2019", "--to", "par-provincial@2022",
        "--store", str(template_store),
    )  # fmt: skip
    assert "numpy" in modules  # scoring a cohort is vectorised
    assert modules & (HEAVY - {"numpy", "durable"}) == set()
