"""A pytest plugin collecting golden scoring cases written as YAML next to the catalog.

It is test code, so it lives in `tests/`; the repository's root `conftest.py` registers it,
so it also collects when pytest is given only `methodology/bundled/cases`.

Each file under a `cases/` folder holds a list of cases::

    - name: Kế hoạch ban hành chậm được 0,5 điểm
      methodology: vi-du@vi-du/2014
      policy: count_as_full            # optional: score under another N/A policy
      submission: {unit: ..., period: ..., values: {...}}   # or {file: ..., override: {...}}
      expected:
        total: 15.25
        index: 15.25
        nodes:
          ban-hanh-ke-hoach: {points: 0.5, rule: "tier:2"}

Every case runs on every engine; an expected key that is absent is not checked. The
methodologies come from a store replaying the bundled catalog, built once per session.

Files under `cases/audits/` hold audit cases: two versions (``from``/``to``: `<m>@<ref>`
or ``{spec, policy}``), ``submissions`` and, per unit, the expected indices, delta,
ranks and attribution (``[cause, node, amount]`` in report order). Every audit case
also checks that each complete unit's attributed amounts sum exactly to its delta.

A key the plugin does not know, anywhere in a case (`expected: {totl: 999}` would check
nothing), fails the file's collection with an error naming the file, line and key.

Text goldens elsewhere in the tests (rendered diffs, rebase reports) are rewritten when,
and only when, `PARINDEX_UPDATE_GOLDEN=1` (see `check_golden`); the YAML cases here are
expectations worked out by hand, so nothing rewrites them.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from evaluators.program import build_program
from evaluators.result import NodeResult
from evaluators.runner import ENGINES, open_engine
from evaluators.scoring.plan import score
from evaluators.submission import _KEYS as SUBMISSION_KEYS
from evaluators.submission import parse_submission
from methodology import Versions, init_store, load_directory, open_methodology
from rules import did_you_mean

__all__ = [
    "UPDATE_GOLDEN_ENV",
    "AuditCase",
    "AuditCaseFile",
    "CaseFile",
    "GoldenCase",
    "GoldenFormatError",
    "available_engines",
    "check_audit_case",
    "check_case",
    "check_golden",
    "load_cases",
    "update_golden",
]

UPDATE_GOLDEN_ENV = "PARINDEX_UPDATE_GOLDEN"


def update_golden() -> bool:
    """True only for `PARINDEX_UPDATE_GOLDEN=1`: "0", "false" or empty update nothing."""
    return os.environ.get(UPDATE_GOLDEN_ENV) == "1"


def check_golden(path: Path, actual: str) -> None:
    """Compare ``actual`` with the reviewed file at ``path``; rewrite it instead when
    `PARINDEX_UPDATE_GOLDEN=1` (then read the new file line by line before committing)."""
    if update_golden():
        path.write_text(actual, encoding="utf-8")
        return
    assert path.is_file(), f"missing {path}; run with {UPDATE_GOLDEN_ENV}=1 and review it"
    assert actual == path.read_text(encoding="utf-8"), (
        f"{path} differs; run with {UPDATE_GOLDEN_ENV}=1 after an intended change and review it"
    )


class GoldenFormatError(Exception):
    """A case file the plugin cannot trust: an unknown or missing key, a wrong shape."""


# The keys each part of a case may hold; anything else is a typo that would check nothing.
_SCORING_KEYS = ("name", "methodology", "policy", "submission", "expected")
_EXPECTED_KEYS = ("total", "applicable_max", "index", "complete", "self_total", "nodes")
_NODE_KEYS = tuple(f.name for f in dataclasses.fields(NodeResult) if f.name != "children")
_FILE_SUBMISSION_KEYS = ("file", "override")
_AUDIT_KEYS = ("name", "from", "to", "submissions", "expected")
_VERSION_KEYS = ("spec", "policy")
_AUDIT_UNIT_KEYS = (
    "index_from",
    "index_to",
    "delta",
    "rank_from",
    "rank_to",
    "complete",
    "attribution",
)


def load_cases(path: Path, *, audit: bool = False) -> list[dict[str, Any]]:
    """The cases of ``path``, each checked for unknown and missing keys first."""
    text = path.read_text(encoding="utf-8")
    try:
        cases = yaml.safe_load(text) or []
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        raise GoldenFormatError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(cases, list):
        raise GoldenFormatError(f"{path}:1: a case file is a list of cases")
    problems: list[tuple[tuple[Any, ...], str]] = []
    for i, case in enumerate(cases):
        (_check_audit if audit else _check_scoring)(problems, (i,), case)
    if problems:
        lines = []
        for where, message in problems:
            name = cases[where[0]].get("name") if isinstance(cases[where[0]], dict) else None
            label = f"case '{name}'" if name else f"case {where[0] + 1}"
            key = ".".join(str(part) for part in where[1:]) or "(the case)"
            lines.append(f"{path}:{_line(root, where)}: {label}: {key}: {message}")
        raise GoldenFormatError("\n".join(lines))
    return cases


Problems = list[tuple[tuple[Any, ...], str]]


def _keys(problems: Problems, where: tuple[Any, ...], data: Any, known: tuple[str, ...]) -> bool:
    """Report every key of ``data`` outside ``known``; False when it is not a mapping."""
    if not isinstance(data, dict):
        problems.append((where, f"must be a mapping of {', '.join(known)}"))
        return False
    for key in data:
        if key not in known:
            hint = did_you_mean(str(key), known)
            problems.append(
                ((*where, key), f"unknown key '{key}'" + (f" ({hint})" if hint else ""))
            )
    return True


def _required(problems: Problems, where: tuple[Any, ...], data: dict, *keys: str) -> None:
    for key in keys:
        if key not in data:
            problems.append((where, f"missing the key '{key}'"))


def _check_submission(problems: Problems, where: tuple[Any, ...], data: Any) -> None:
    if isinstance(data, dict) and "file" in data:
        _keys(problems, where, data, _FILE_SUBMISSION_KEYS)
    else:
        _keys(problems, where, data, SUBMISSION_KEYS)


def _check_scoring(problems: Problems, where: tuple[Any, ...], case: Any) -> None:
    if not _keys(problems, where, case, _SCORING_KEYS):
        return
    _required(problems, where, case, "name", "methodology", "submission")
    if "submission" in case:
        _check_submission(problems, (*where, "submission"), case["submission"])
    expected = case.get("expected")
    if expected is None or not _keys(problems, (*where, "expected"), expected, _EXPECTED_KEYS):
        return
    for node_id, fields in (expected.get("nodes") or {}).items():
        _keys(problems, (*where, "expected", "nodes", node_id), fields, _NODE_KEYS)


def _check_audit(problems: Problems, where: tuple[Any, ...], case: Any) -> None:
    if not _keys(problems, where, case, _AUDIT_KEYS):
        return
    _required(problems, where, case, "name", "from", "to", "submissions")
    for end in ("from", "to"):
        if isinstance(case.get(end), dict):
            _keys(problems, (*where, end), case[end], _VERSION_KEYS)
    for i, submission in enumerate(case.get("submissions") or []):
        _check_submission(problems, (*where, "submissions", i), submission)
    for unit_id, expected in (case.get("expected") or {}).items():
        _keys(problems, (*where, "expected", unit_id), expected, _AUDIT_UNIT_KEYS)


def _line(root: Any, where: tuple[Any, ...]) -> int:
    """The 1-based line of the deepest part of ``where`` found in the composed YAML."""
    node, line = root, 1
    for part in where:
        if node is None:
            break
        line = node.start_mark.line + 1
        if isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            node = node.value[part] if part < len(node.value) else None
        elif isinstance(node, yaml.MappingNode):
            match = next(((k, v) for k, v in node.value if k.value == str(part)), None)
            if match is None:
                break
            line = match[0].start_mark.line + 1
            node = match[1]
        else:
            break
    return line


def available_engines() -> list[str]:
    """Every engine `open_engine` knows: each golden case runs on all of them.

    All of them, not those whose module happens to be found under some path: moving an
    engine's module must not quietly drop its cases."""
    return list(ENGINES)


def pytest_collect_file(parent: pytest.Collector, file_path: Path):
    if file_path.suffix == ".yaml" and file_path.parent.name == "cases":
        return CaseFile.from_parent(parent, path=file_path)
    if (
        file_path.suffix == ".yaml"
        and file_path.parent.name == "audits"
        and file_path.parent.parent.name == "cases"
    ):
        return AuditCaseFile.from_parent(parent, path=file_path)
    return None


class _CaseFileBase(pytest.File):
    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, GoldenFormatError):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)


class AuditCaseFile(_CaseFileBase):
    def collect(self):
        for case in load_cases(self.path, audit=True):
            yield AuditCase.from_parent(self, name=case["name"], case=case)


class AuditCase(pytest.Item):
    def __init__(self, *, case: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case = case

    def runtest(self) -> None:
        check_audit_case(_session_store(self.config), self.case)

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, CaseMismatch):
            return f"{self.case['name']}:\n  " + "\n  ".join(excinfo.value.args[0])
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self):
        return self.path, None, f"golden audit: {self.name}"


def check_audit_case(store, case: dict[str, Any]) -> None:
    """Audit the case's submissions between its two versions and compare; raise on
    a mismatch or when a unit's amounts do not sum to its delta."""
    from evaluators.analysis.audit import audit

    def version(entry: Any):
        spec, policy = (
            (entry, None) if isinstance(entry, str) else (entry["spec"], entry.get("policy"))
        )
        m = open_methodology(store, spec)
        if policy:
            m = dataclasses.replace(
                m, manifest=dataclasses.replace(m.manifest, not_applicable_policy=policy)
            )
        return build_program(m)

    subs = [parse_submission(s) for s in case["submissions"]]
    result = audit(version(case["from"]), version(case["to"]), subs, versions=Versions(store))
    errors = []
    for u in result.units:
        if u.complete and sum((e.amount for e in u.attribution), Decimal(0)) != u.delta:
            errors.append(
                f"{u.unit}: amounts sum to {sum(e.amount for e in u.attribution)}, delta {u.delta}"
            )
    for unit_id, expected in (case.get("expected") or {}).items():
        u = result.unit(unit_id)
        for key in ("index_from", "index_to", "delta", "rank_from", "rank_to", "complete"):
            if key in expected:
                _compare(errors, f"{unit_id}.{key}", getattr(u, key), expected[key])
        if "attribution" in expected:
            got = [[e.cause, e.node, e.amount] for e in u.attribution]
            want = [[c, n, Decimal(str(a))] for c, n, a in expected["attribution"]]
            if got != want:
                errors.append(f"{unit_id}.attribution: expected {want}, got {got}")
    if errors:
        raise CaseMismatch(errors)


class CaseFile(_CaseFileBase):
    def collect(self):
        for case in load_cases(self.path):
            for engine in available_engines():
                yield GoldenCase.from_parent(
                    self, name=f"{case['name']} [{engine}]", case=case, engine=engine
                )


class GoldenCase(pytest.Item):
    def __init__(self, *, case: dict[str, Any], engine: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case = case
        self.engine = engine

    def runtest(self) -> None:
        store = _session_store(self.config)
        engines = _session_engines(self.config)
        if self.engine not in engines:
            engines[self.engine] = open_engine(self.engine)
        check_case(store, self.case, engines[self.engine], base=self.path.parent)

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, CaseMismatch):
            return f"{self.case['name']} ({self.engine}):\n  " + "\n  ".join(excinfo.value.args[0])
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self):
        return self.path, None, f"golden case: {self.name}"


class CaseMismatch(AssertionError):
    pass


def _session_store(config: pytest.Config):
    store = getattr(config, "_parindex_golden_store", None)
    if store is None:
        folder = Path(tempfile.mkdtemp(prefix="parindex-golden-"))
        store = init_store(folder / "store")
        config._parindex_golden_store = store  # type: ignore[attr-defined]
    return store


def _session_engines(config: pytest.Config) -> dict[str, Any]:
    engines = getattr(config, "_parindex_golden_engines", None)
    if engines is None:
        engines = config._parindex_golden_engines = {}  # type: ignore[attr-defined]
    return engines


def pytest_unconfigure(config: pytest.Config) -> None:
    for engine in getattr(config, "_parindex_golden_engines", {}).values():
        engine.close()


def check_case(store, case: dict[str, Any], engine, *, base: Path | None = None) -> None:
    """Score the case's submission and compare every expected value; raise on mismatch.

    ``methodology`` is `<name>@<ref>` in the store, or `./<folder>` next to the case file.
    """
    spec = case["methodology"]
    if spec.startswith("./"):
        m = load_directory((base or Path.cwd()) / spec[2:], store=store)
    else:
        m = open_methodology(store, spec)
    if case.get("policy"):
        m = dataclasses.replace(
            m, manifest=dataclasses.replace(m.manifest, not_applicable_policy=case["policy"])
        )
    result = score(
        build_program(m), parse_submission(_submission(case["submission"], base)), engine
    )
    expected = case.get("expected") or {}
    errors = []
    for key in ("total", "applicable_max", "index", "complete"):
        if key in expected:
            _compare(errors, key, getattr(result, key), expected[key])
    if "self_total" in expected:
        _compare(errors, "self_total", result.self_total, expected["self_total"])
    for node_id, fields in (expected.get("nodes") or {}).items():
        try:
            node = result.node(node_id)
        except StopIteration:
            errors.append(f"node {node_id}: not in the result")
            continue
        for key, value in fields.items():
            _compare(errors, f"{node_id}.{key}", getattr(node, key), value)
    if errors:
        raise CaseMismatch(errors)


def _submission(data: dict[str, Any], base: Path | None) -> dict[str, Any]:
    """Inline data, or `{file: <path next to the case file>, override: {...}}`."""
    if "file" not in data:
        return data
    loaded = yaml.safe_load(((base or Path.cwd()) / data["file"]).read_text(encoding="utf-8"))
    return {**loaded, **(data.get("override") or {})}


def _compare(errors: list[str], what: str, actual: Any, expected: Any) -> None:
    if isinstance(actual, Decimal) and expected is not None and not isinstance(expected, bool):
        ok = actual == Decimal(str(expected))
    else:
        ok = actual == expected
    if not ok:
        errors.append(f"{what}: expected {expected!r}, got {actual!r}")
