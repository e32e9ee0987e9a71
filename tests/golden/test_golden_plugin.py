"""The golden-case plugin refuses keys it does not know, and one variable updates goldens."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests import golden_plugin as golden
from tests.golden_plugin import GoldenFormatError, check_golden, load_cases

BUNDLED = Path(golden.__file__).parents[1] / "methodology" / "bundled" / "cases"

SWITCH = re.compile(r"(environ|getenv)\W[^\n]*UPDATE_GOLDEN")

CASE = """\
- name: Sở Nội vụ
  methodology: vi-du@vi-du/2014
  submission: {unit: so-noi-vu, period: 2014}
  expected:
    total: 15.25
    totl: 999
"""


def _write(tmp_path: Path, text: str, folder: str = "cases") -> Path:
    path = tmp_path / folder / "x.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_unknown_expected_key_names_file_line_and_key(tmp_path):
    path = _write(tmp_path, CASE)
    with pytest.raises(GoldenFormatError) as raised:
        load_cases(path)
    message = str(raised.value)
    assert f"{path}:6:" in message
    assert "case 'Sở Nội vụ'" in message and "expected.totl" in message
    assert "did you mean `total`?" in message


@pytest.mark.parametrize(
    ("text", "key"),
    [
        (
            CASE.replace("    totl: 999\n", "    nodes: {a: {pionts: 1}}\n"),
            "expected.nodes.a.pionts",
        ),
        (CASE.replace("  expected:", "  polcy: x\n  expected:"), "polcy"),
        (CASE.replace("period: 2014}", "period: 2014, valeus: {}}"), "submission.valeus"),
        (
            CASE.replace("{unit: so-noi-vu, period: 2014}", "{file: a.yaml, overide: {}}"),
            "submission.overide",
        ),
    ],
)
def test_unknown_keys_anywhere_in_a_scoring_case(tmp_path, text, key):
    with pytest.raises(GoldenFormatError, match=key.replace(".", r"\.")):
        load_cases(_write(tmp_path, text))


def test_unknown_keys_in_an_audit_case(tmp_path):
    path = _write(
        tmp_path,
        """\
- name: a
  from: {spec: vi-du@vi-du/2013, polciy: x}
  to: vi-du@vi-du/2014
  submissions: [{unit: u, period: 2014, fact: {}}]
  expected:
    u: {delta: 1, rank_too: 2}
""",
        "cases/audits",
    )
    with pytest.raises(GoldenFormatError) as raised:
        load_cases(path, audit=True)
    message = str(raised.value)
    for key in ("from.polciy", "submissions.0.fact", "expected.u.rank_too"):
        assert key in message


def test_bundled_cases_are_clean():
    for path in sorted(BUNDLED.glob("*.yaml")):
        assert load_cases(path)
    for path in sorted((BUNDLED / "audits").glob("*.yaml")):
        assert load_cases(path, audit=True)


@pytest.mark.slow  # a pytest process
def test_a_pytest_run_fails_on_the_typo(tmp_path):
    """Collected through the plugin as CI runs it: the run fails and says where."""
    path = _write(tmp_path, CASE)
    # Outside the repository `tests` is importable only through PYTHONPATH.
    root = str(Path(__file__).parents[2])
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])),
    }
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "tests.golden_plugin", str(path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
    )
    assert run.returncode != 0
    assert "expected.totl: unknown key 'totl'" in run.stdout


@pytest.mark.parametrize(
    ("value", "updates"),
    [("1", True), ("0", False), ("false", False), ("", False), ("yes", False), (None, False)],
)
def test_only_update_golden_1_rewrites(tmp_path, monkeypatch, value, updates):
    path = tmp_path / "g.txt"
    path.write_text("old\n", encoding="utf-8")
    if value is None:
        monkeypatch.delenv("PARINDEX_UPDATE_GOLDEN", raising=False)
    else:
        monkeypatch.setenv("PARINDEX_UPDATE_GOLDEN", value)
    if updates:
        check_golden(path, "new\n")
    else:
        with pytest.raises(AssertionError, match="PARINDEX_UPDATE_GOLDEN=1"):
            check_golden(path, "new\n")
    assert path.read_text(encoding="utf-8") == ("new\n" if updates else "old\n")


def test_no_other_golden_switch_in_the_tests():
    """Every golden file goes through `check_golden`: no test reads the variable itself."""
    tests = Path(__file__).parents[1]
    owners = {Path(__file__), Path(golden.__file__)}  # this test and the plugin defining it
    offenders = [
        str(p)
        for p in tests.rglob("*.py")
        if p not in owners and SWITCH.search(p.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_every_bundled_case_is_collected_on_every_engine():
    """What `pytest methodology/bundled/cases` collects: each scoring case once per engine,
    each audit case once."""
    from evaluators.runner import ENGINES

    command = ["-m", "pytest", "-q", "--collect-only", "-p", "no:cacheprovider", str(BUNDLED)]
    run = subprocess.run(
        [sys.executable, *command], capture_output=True, text=True, cwd=Path(__file__).parents[2]
    )
    assert run.returncode == 0, run.stdout + run.stderr
    collected = [line for line in run.stdout.splitlines() if "::" in line]
    scoring = [c["name"] for p in sorted(BUNDLED.glob("*.yaml")) for c in load_cases(p)]
    audits = [
        c["name"]
        for p in sorted((BUNDLED / "audits").glob("*.yaml"))
        for c in load_cases(p, audit=True)
    ]
    assert scoring and audits
    expected = {f"{name} [{engine}]" for name in scoring for engine in ENGINES} | set(audits)
    assert {line.split("::", 1)[1] for line in collected} == expected
    assert len(collected) == len(scoring) * len(ENGINES) + len(audits)
