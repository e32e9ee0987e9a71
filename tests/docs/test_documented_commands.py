"""Every command README.md, docs/*.md and docs/office/*.md show runs, verbatim, on a
fresh store.

A command is a line of a fenced code block (```sh, ```console, ```shell, ```bash or
unlabelled) that starts with `parindex` (after an optional `$ ` prompt and `NAME=value`
settings); a trailing backslash continues it, `#` starts a comment. They run in
document order (README.md first, then docs/*.md, then docs/office/*.md by name), each
through the command line's own app with its arguments, settings and captured output, in a
fresh folder laid out like a checkout (the repository's
`methodology/` beside a new `var/`), so that `parindex init` makes the store the later
ones use. Each must exit 0 and print what it is for (`EXPECTED`; a command writing an
Excel or Word file with `--to` prints its path, and the file must be one). Inline code in prose names commands and is not
run. Optional-flag syntax (`[--format json]`) is run both without and with the flag; a
placeholder (`FOLDER`, `<ref>`, `…`) cannot run and fails the test: show a real example.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shlex
import subprocess
import traceback
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [
    ROOT / "README.md",
    *sorted((ROOT / "docs").glob("*.md")),
    *sorted((ROOT / "docs" / "office").glob("*.md")),
]
SHELLS = {"", "sh", "console", "shell", "bash"}

# Shown but not run here, each for a reason.
EXEMPT: dict[str, str] = {
    "make": "make run / make test are what CI itself runs",
    "curl": "requests to a running server with a token; tests/server make the same "
    "requests over real HTTP",
    "parindex serve": "a server that runs until stopped, on a fixed port; "
    "tests/server/test_smoke.py starts `parindex serve` on loopback",
    "parindex token revoke": "its argument is the random prefix that `token add` printed; "
    "tests/server/test_cli_tokens.py revokes a real one through the CLI",
}

SETTING = re.compile(r"^[A-Z][A-Z0-9_]*=")
PLACEHOLDER = re.compile(r"^[A-Z][A-Z_]*$|[<>…|]")
TOKEN = re.compile(r"^pdx_[0-9a-f]+_\S+$", re.M)


@dataclass(frozen=True)
class Shown:
    document: str  # path relative to the repository
    line: int
    text: str  # as shown (continuations joined)

    def __str__(self) -> str:
        return f"{self.document}:{self.line}: {self.text}"


def shown_commands() -> list[Shown]:
    found: list[Shown] = []
    for path in DOCUMENTS:
        fence: str | None = None
        pending: tuple[int, str] | None = None
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            stripped = line.strip()
            if stripped.startswith("```"):
                fence = None if fence is not None else stripped[3:].strip().lower()
                continue
            if fence not in SHELLS:
                continue
            if pending is not None:
                start, text = pending
                text += " " + stripped.rstrip("\\").strip()
                pending = (start, text) if stripped.endswith("\\") else None
                if pending is None:
                    found.append(Shown(path.relative_to(ROOT).as_posix(), start, text))
                continue
            command = stripped.removeprefix("$ ")
            program = next((w for w in command.split() if not SETTING.match(w)), "")
            if program not in ("parindex", "make", "curl"):
                continue
            if command.endswith("\\"):
                pending = (number, command.rstrip("\\").strip())
            else:
                found.append(Shown(path.relative_to(ROOT).as_posix(), number, command))
    return found


def exemption(shown: Shown) -> str | None:
    words = shown.text.split()
    while words and SETTING.match(words[0]):
        words.pop(0)
    for prefix, reason in EXEMPT.items():
        if words[: len(prefix.split())] == prefix.split():
            return reason
    return None


def variants(text: str) -> list[list[str]]:
    """The argument vectors a shown line stands for: optional `[...]` groups left out,
    then all given."""
    if not re.search(r"\s\[", text):
        return [shlex.split(text, comments=True)]
    without = re.sub(r"\s\[[^\]]*\]", "", text)
    with_all = re.sub(r"\s\[([^\]]*)\]", r" \1", text)
    return [shlex.split(without, comments=True), shlex.split(with_all, comments=True)]


# -- what each command must print (beyond exit status 0) -----------------------------

Check = Callable[[list[str], subprocess.CompletedProcess[str], Path], None]


def _lines(pattern: str, minimum: int = 1) -> Check:
    def check(argv, result, cwd):
        found = re.findall(pattern, result.stdout, re.M)
        assert len(found) >= minimum, f"expected {minimum}+ lines like {pattern!r}"

    return check


def _init(argv, result, cwd):
    assert "initialised" in result.stdout
    assert (cwd / "var" / "store").is_dir() or "--store" in argv


def _show(argv, result, cwd):
    assert result.stdout.startswith(argv[2].split("@")[0])
    assert re.search(r"^\s*1\.1\s", result.stdout, re.M)


def _audit(argv, result, cwd):
    summary = re.search(r"^(\d+) units, (\d+) complete", result.stdout, re.M)
    assert summary and summary.group(1) == summary.group(2), "every unit complete"
    assert "skipped" not in result.stdout


def _trend(argv, result, cwd):
    assert "methodology" in result.stdout and "performance" in result.stdout
    assert "incomplete" not in result.stdout


def _report(argv, result, cwd):
    path = cwd / result.stdout.strip()
    assert path.name == "report.md" and path.read_text(encoding="utf-8").startswith("# Báo cáo")


def _export(argv, result, cwd):
    written = cwd / argv[argv.index("--to") + 1]
    assert re.search(r"^wrote \S+ \((Word|Excel), [\d.]+ bytes\): ", result.stdout, re.M)
    assert written.read_bytes().startswith(b"PK"), "a Word or Excel file"


def _user_add(argv, result, cwd):
    assert TOKEN.search(result.stdout.splitlines()[-1]), "the token, alone on the last line"
    assert f"'{argv[3]}'" in result.stdout


def _user_list(argv, result, cwd):
    assert "pdx_" not in result.stdout
    assert re.search(r"^\s+\d+\s+\S", result.stdout, re.M)


def _token_add(argv, result, cwd):
    assert TOKEN.search(result.stdout.splitlines()[-1]), "the token, alone on the last line"
    assert re.search(
        r"^issued token [0-9a-f]+ for '" + re.escape(argv[3]) + "'", result.stdout, re.M
    )


def _token_list(argv, result, cwd):
    assert "pdx_" not in result.stdout, "secrets are never listed"
    assert re.search(r"^[0-9a-f]+  created \S+", result.stdout, re.M)


def _samples_write(argv, result, cwd):
    out = cwd / argv[argv.index("--out") + 1] if "--out" in argv else None
    assert re.search(r"wrote \d+ sample submissions", result.stdout + result.stderr)
    assert out is None or any(out.rglob("*.yaml"))


def _samples_load(argv, result, cwd):
    assert re.search(
        r"^(loaded \d+ synthetic sample submissions of \d+ units|already loaded)",
        result.stdout,
        re.M,
    )


def _import_form(argv, result, cwd):
    out = cwd / argv[argv.index("--to") + 1]
    assert re.search(r"^wrote \S+\.yaml: [a-z-]+, period \d+, \d+ values", result.stdout, re.M)
    data = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert data["unit"] == argv[argv.index("--unit") + 1] and isinstance(data["values"], dict)


EXPECTED: dict[str, Check] = {
    "init": _init,
    "show": _show,
    "validate": _lines(r"^[a-z-]+: valid \(0 errors"),
    "diff": _lines(r"^\S+@\S+ \(\w+\) → \S+@\S+ \(\w+\): \d+ changes$"),
    "log": _lines(r"^[0-9a-f]{10}  \d{4}-\d\d-\d\d  "),
    "blame": _lines(r"^[0-9a-f]{10} "),
    "releases": _lines(
        r"^[a-z-]+/\S+\s+.+\s\d{4}-\d\d-\d\d\s+\d{4}-\d\d-\d\d\s+\S+\s+[0-9a-f]{10}\b"
    ),
    "release": _lines(
        r"^released [a-z-]+/\S+ \(.+, \d{4}-\d\d-\d\d\) at [0-9a-f]{10}, in force from "
    ),
    "rebase": _lines(r"^(ready: run with --write|written|not written)"),
    "export": _export,
    "import-table": _lines(
        r"^(dry run: nothing written|no changes: nothing written|committed [0-9a-f]{10} on "
        r"branch \S+ \(\d+ changes\))$"
    ),
    "samples write": _samples_write,
    "samples load": _samples_load,
    "evaluate": _lines(r"chỉ số \d+\.\d+ \(\w+\)$"),
    "rank": _lines(r"^\s+\d+\s+\d+\.\d+\s+\S+\s+\S", minimum=2),
    "audit": _audit,
    "trend": _trend,
    "sensitivity": _lines(r"^# Độ nhạy của thứ hạng"),
    "report": _report,
    "user add": _user_add,
    "user list": _user_list,
    "user disable": _lines(r"disabled: its tokens are refused from the next request"),
    "user enable": _lines(r"\benabled\b"),
    "token add": _token_add,
    "token list": _token_list,
    "form": _lines(r"^wrote \S+\.xlsx: \S+@\S+, unit \S+, period \d+, \d+ sub-criteria$"),
    "import-form": _import_form,
    "backup": _lines(r"^đã sao lưu vào \S+: cơ sở dữ liệu sqlite \(migration \d{4}\), \d+ ref"),
    "restore": _lines(r"^đã khôi phục từ \S+: cơ sở dữ liệu sqlite \(migration \d{4}\), \d+ ref"),
    "period create": _lines(r"^\S+ \S+: \S+ \(([0-9a-f]{10}|chưa chốt phiên bản)\)$"),
    "period show": _lines(r"^\S+ \S+: \S+ \(([0-9a-f]{10}|chưa chốt phiên bản)\)$"),
    "period list": _lines(r"^\S+  \S+  \S+  tự đánh giá "),
    "units levels": _lines(r"^tỉnh\s+Tỉnh, thành phố trực thuộc Trung ương$"),
    "units succession": _lines(r"^\d+ events: \d+ units ended, \d+ began$"),
    "units lineage": _lines(r"^\s+trước: \d\d/\d\d/\d{4}  "),
    "units series": _lines(r"\(trung bình cộng giản đơn .*: .+\)$"),
}


def _office_file(argv: list[str]) -> str | None:
    """The file a command writes with `--to` (`--export` for `audit`, whose `--to` is a
    version)."""
    writers = {"evaluate": ("--to", "--export"), "rank": ("--to", "--export")}
    writers |= {"sensitivity": ("--to", "--export"), "audit": ("--export",)}
    flags = writers.get(argv[1], ())  # `trend` and `report` name versions with --to
    return next((argv[i + 1] for i, w in enumerate(argv[:-1]) if w in flags), None)


def _check_output(argv: list[str], result: subprocess.CompletedProcess[str], cwd: Path) -> None:
    written = _office_file(argv)
    if written is not None:
        assert result.stdout.strip() == written, "the path of the file written"
        with zipfile.ZipFile(cwd / written) as archive:
            part = "xl/workbook.xml" if written.endswith(".xlsx") else "word/document.xml"
            assert part in archive.namelist(), f"{written} is a real {written[-4:]} file"
        return
    fmt = argv[argv.index("--format") + 1] if "--format" in argv else "text"
    if fmt == "json":
        assert json.loads(result.stdout), "a JSON document"
        return
    if fmt == "markdown":
        assert result.stdout.lstrip().startswith("#") or "|---" in result.stdout
        return
    groups = ("user", "token", "samples", "period", "units")
    name = " ".join(argv[1:3]) if argv[1] in groups else argv[1]
    check = EXPECTED.get(name)
    assert check is not None, f"no expectation for `parindex {name}`: add one to EXPECTED"
    check(argv, result, cwd)


# -- running them --------------------------------------------------------------------


@dataclass
class Ran:
    argv: list[str]
    cwd: Path
    result: subprocess.CompletedProcess[str] | None
    problem: str | None = None


COMMANDS = shown_commands()


@pytest.fixture(scope="module")
def ran(tmp_path_factory) -> dict[Shown, list[Ran]]:
    """Every shown command run once, in document order, in one fresh checkout-like
    folder (the store and database under its `var/`).

    Each runs through the `parindex` command line (`server.cli.app`) in this process, with
    its own arguments, settings, working folder and captured output: a process each cost
    one to two seconds of start-up, most of this module's time. The commands as real
    processes are run by tests/server/test_cli_*.py, tests/web/test_passwords.py and
    tests/office (the entry point, exit codes and one-line errors)."""
    from typer.testing import CliRunner

    from server.cli import app

    cwd = tmp_path_factory.mktemp("docs")
    (cwd / "methodology").symlink_to(ROOT / "methodology", target_is_directory=True)
    # The settings a developer's shell may carry are not the documents' (`None` unsets).
    clean: dict[str, str | None] = {k: None for k in os.environ if k.startswith("PARINDEX_")}
    runner = CliRunner()
    out: dict[Shown, list[Ran]] = {}
    here = Path.cwd()
    # A command may configure logging with the runner's captured stream; later tests in
    # this worker must not inherit it.
    handlers, level = logging.root.handlers[:], logging.root.level
    os.chdir(cwd)
    try:
        for shown in COMMANDS:
            if exemption(shown):
                continue
            runs = out[shown] = []
            for argv in variants(shown.text):
                settings: dict[str, str | None] = {}
                while argv and SETTING.match(argv[0]):
                    name, _, value = argv.pop(0).partition("=")
                    settings[name] = value
                bad = [w for w in argv if PLACEHOLDER.search(w)]
                if bad:
                    runs.append(
                        Ran(argv, cwd, None, f"placeholders {bad} cannot run: show an example")
                    )
                    continue
                result = runner.invoke(app, argv[1:], env={**clean, **settings})
                done = subprocess.CompletedProcess(
                    argv, result.exit_code, result.stdout, result.stderr
                )
                if result.exception is not None and not isinstance(result.exception, SystemExit):
                    trace = "".join(traceback.format_exception(result.exception))
                    done.stderr += f"\nTraceback (most recent call last):\n{trace}"
                runs.append(Ran(argv, cwd, done))
    finally:
        os.chdir(here)
        logging.root.handlers[:], logging.root.level = handlers, level
    return out


def test_the_documents_show_commands():
    shown = {c.document for c in COMMANDS if not exemption(c)}
    assert {"README.md", "docs/audit.md", "docs/format.md"} <= shown
    commands = {c.text.split()[1] for c in COMMANDS if c.document == "README.md"}
    assert {"report", "audit", "trend", "sensitivity", "rebase"} <= commands


@pytest.mark.parametrize("shown", [c for c in COMMANDS if not exemption(c)], ids=str)
@pytest.mark.slow  # every command the documents show, ~1 minute in all
def test_documented_command_runs(shown: Shown, ran):
    runs = ran[shown]
    assert runs
    for r in runs:
        assert r.problem is None, f"{shown}: {r.problem}"
        assert r.result is not None
        assert r.result.returncode == 0, (
            f"{shown}\n`{shlex.join(r.argv)}` exited {r.result.returncode}\n"
            f"{r.result.stdout[-2000:]}\n{r.result.stderr[-2000:]}"
        )
        assert "Traceback" not in r.result.stderr
        _check_output(r.argv, r.result, r.cwd)


def test_exemptions_are_only_for_what_cannot_run_here():
    exempt = [c for c in COMMANDS if exemption(c)]
    assert all(
        c.text.split()[0] in ("make", "curl") or " serve" in c.text or " token revoke" in c.text
        for c in exempt
    )


def test_placeholders_and_options_are_recognised():
    assert variants("parindex user list [--format json]  # users") == [
        ["parindex", "user", "list"],
        ["parindex", "user", "list", "--format", "json"],
    ]
    assert PLACEHOLDER.search("FOLDER") and PLACEHOLDER.search("<m>@<ref>")
    assert not PLACEHOLDER.search("par-provincial@2022")
    assert not PLACEHOLDER.search("Lê Văn C")
