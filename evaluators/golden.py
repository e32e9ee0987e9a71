"""A pytest plugin collecting golden scoring cases written as YAML next to the catalog.

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
"""

from __future__ import annotations

import dataclasses
import importlib.util
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from evaluators.program import build_program
from evaluators.runner import ENGINES, open_engine
from evaluators.scoring import score
from evaluators.submission import parse_submission
from methodology import Versions, init_store, load_directory, open_methodology

__all__ = [
    "AuditCase",
    "AuditCaseFile",
    "CaseFile",
    "GoldenCase",
    "available_engines",
    "check_audit_case",
    "check_case",
]


def available_engines() -> list[str]:
    """Every engine whose module is present: each golden case runs on all of them."""
    return [name for name in ENGINES if importlib.util.find_spec(f"evaluators.{name}") is not None]


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


class AuditCaseFile(pytest.File):
    def collect(self):
        for case in yaml.safe_load(self.path.read_text(encoding="utf-8")) or []:
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
    from evaluators.audit import audit

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


class CaseFile(pytest.File):
    def collect(self):
        cases = yaml.safe_load(self.path.read_text(encoding="utf-8")) or []
        for case in cases:
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
