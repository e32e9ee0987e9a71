"""Audits across methodology versions and weight-sensitivity runs, stored as analyses.

An audit scores the same submissions under two versions (`evaluators.analysis.audit`) and
attributes every unit's change of index; a sensitivity run re-ranks a cohort under
random weights (`evaluators.analysis.sensitivity`). Either works on a cohort's stored submissions
(each unit's latest submitted or appraised one for the period, with the council's
appraisals and the survey scores, as rankings use them) or on submissions given inline.

Everything is checked before any work starts, and nothing is written unless the run
succeeds: the analysis row (request, commits, JSON result, Markdown report) and its
audit-log entry are written in one transaction. Charts are drawn on request from the
stored JSON, so they always show exactly what was stored.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import quote

from sqlmodel import Session, col, select

from evaluators import (
    LEVELS,
    METHODS,
    Audit,
    Program,
    Progress,
    Sensitivity,
    SubmissionError,
    VersionPair,
    audit,
    parse_submission,
    score_many,
    sensitivity,
)
from evaluators import Submission as Scored
from methodology import Versions, to_json_value
from rules import did_you_mean
from server.auth import Principal, record, require
from server.db import session_scope
from server.deps import Services
from server.errors import BadRequest, NotFound, Unprocessable
from server.models import PERIOD_LENGTH, Analysis, Cohort
from server.services.evaluations import cohort_inputs
from server.services.submissions import check_slug, json_object, program_for

__all__ = [
    "CHART_LOCK",
    "MAX_REPLICATIONS",
    "MAX_SUBMISSIONS",
    "analysis_chart",
    "analysis_report",
    "check_run",
    "get_analysis",
    "recent_analyses",
    "run_audit",
    "run_sensitivity",
]

MAX_SUBMISSIONS = 1000
# Far below the evaluator's own limit: a request holds a server thread while it runs.
MAX_REPLICATIONS = 100_000
MAX_SEED = 2**63 - 1

AUDIT_KEYS = ("from", "to", "cohort", "period", "fill_period", "submissions", "fill")
SENSITIVITY_DEFAULTS: dict[str, Any] = {
    "replications": 1000,
    "spread": 0.2,
    "method": "uniform",
    "level": "both",
    "concentration": 200.0,
    "seed": 0,
}
SENSITIVITY_KEYS = ("methodology", "cohort", "period", "submissions", *SENSITIVITY_DEFAULTS)

CHARTS = {"audit": ("slope", "waterfall"), "sensitivity": ("ranks",)}
MEDIA_TYPES = {"svg": "image/svg+xml", "png": "image/png"}
PREFIX = {"audit": "/api/audits", "sensitivity": "/api/sensitivity"}

# matplotlib's rcParams are process-global and `evaluators.analysis.charts` resets them while it
# draws: two request threads drawing at once would mix each other's styles.
CHART_LOCK = threading.Lock()


# -- audits --------------------------------------------------------------------------


def check_run(kind: str, data: Any) -> None:
    """What `run_audit` (``kind`` audit) or `run_sensitivity` checks of its body before
    any work: the fields, the versions' spelling, the source and the parameters (not
    whether the versions or the cohort exist). A background job is refused at once on
    these rather than failing later."""
    if kind == "audit":
        body = json_object(data, AUDIT_KEYS)
        _version(body.get("from"), "$.from")
        _version(body.get("to"), "$.to")
        _source(body, extra=("fill_period",), inline_extra=("fill",))
        return
    body = json_object(data, SENSITIVITY_KEYS)
    _version(body.get("methodology"), "$.methodology")
    _source(body)
    _options(body)


def run_audit(
    services: Services, principal: Principal, data: Any, progress: Progress | None = None
) -> dict[str, Any]:
    """`{from, to, cohort, period, fill_period?}` or `{from, to, submissions, fill?}`;
    ``progress`` hears how far the run is (a page's background job), in hundredths:
    reading and checking the submissions, which takes most of the time, to 40; the audit
    itself (`evaluators.audit`'s own steps) to 90; storing it to 100."""
    require(principal, "analysis.run")
    say = progress or (lambda done, total: None)
    say(0, 100)
    body = json_object(data, AUDIT_KEYS)
    source, target = _version(body.get("from"), "$.from"), _version(body.get("to"), "$.to")
    cohort = _source(body, extra=("fill_period",), inline_extra=("fill",))
    request: dict[str, Any] = {"from": source, "to": target, **cohort}
    a = program_for(services.store, source["methodology"], source["ref"], path="$.from")
    b = program_for(services.store, target["methodology"], target["ref"], path="$.to")
    # Which of the two versions a submission was made for, however its ref is spelled:
    # its survey and council points are out of that version's maxima.
    pair = VersionPair(a, b, Versions(services.store))
    say(5, 100)

    def made_for(default: Program) -> Callable[[Scored], Program]:
        return lambda sub: {"a": a, "b": b}.get(pair.origin(sub).side or "", default)

    if "cohort" in cohort:
        subs, not_ranked = _cohort(services, cohort, source["methodology"])
        fill: dict[str, Scored] = {}
        if cohort["fill_period"] is not None:
            fill = _donors(services, cohort, target["methodology"])
        label = f"cohort {cohort['cohort']}, period {cohort['period']}" + (
            f", filled from period {cohort['fill_period']}" if fill else ""
        )
    else:
        subs = _inline(services, made_for(a), body["submissions"], "$.submissions")
        donors = _inline(services, made_for(b), body["fill"], "$.fill") if "fill" in body else []
        fill, not_ranked = {d.unit: d for d in donors}, []
        label = f"{len(subs)} submissions in the request"
    say(40, 100)
    result = audit(
        a,
        b,
        subs,
        fill=fill,
        not_ranked=not_ranked,
        source=label,
        pair=pair,
        progress=lambda done, total: say(40 + 50 * done // max(total, 1), 100),
    )
    commits = {"from": a.methodology.commit, "to": b.methodology.commit}
    stored = _store(services, principal, "audit", request, commits, result)
    say(100, 100)
    return stored


def _donors(services: Services, cohort: dict[str, Any], methodology: str) -> dict[str, Scored]:
    """The cohort's latest submissions of `fill_period`, by unit: they fill the inputs a
    version needs that a unit's submission lacks."""
    donors, _ = _cohort(
        services, {**cohort, "period": cohort["fill_period"]}, methodology, path="$.fill_period"
    )
    return {d.unit: d for d in donors}


# -- sensitivity runs ----------------------------------------------------------------


def run_sensitivity(
    services: Services, principal: Principal, data: Any, progress: Progress | None = None
) -> dict[str, Any]:
    """`{methodology, cohort, period}` or `{methodology, submissions}`, with the run's
    parameters (`replications`, `spread`, `method`, `level`, `concentration`, `seed`);
    ``progress`` hears how far `evaluators.sensitivity` is."""
    require(principal, "analysis.run")
    body = json_object(data, SENSITIVITY_KEYS)
    version = _version(body.get("methodology"), "$.methodology")
    source = _source(body)
    options = _options(body)
    request = {"methodology": version, **source, **options}
    program = program_for(
        services.store, version["methodology"], version["ref"], path="$.methodology"
    )
    if "cohort" in source:
        subs, not_ranked = _cohort(services, source, version["methodology"])
        where = "$.period"
    else:
        subs = _inline(services, lambda _sub: program, body["submissions"], "$.submissions")
        not_ranked = []
        where = "$.submissions"
    try:
        result = sensitivity(program, subs, not_ranked=not_ranked, progress=progress, **options)
    except ValueError as exc:
        # The parameters are checked above; what is left is "no complete unit".
        name = str(exc).split(" ", 1)[0].rstrip(":")
        path = f"$.{name}" if name in SENSITIVITY_DEFAULTS else where
        raise Unprocessable(str(exc), [{"path": path, "message": str(exc)}]) from None
    commits = {"methodology": program.methodology.commit}
    return _store(services, principal, "sensitivity", request, commits, result)


def _options(body: dict[str, Any]) -> dict[str, Any]:
    """The run's parameters with their defaults; 422 lists every bad one with its path."""
    options = {k: body.get(k, default) for k, default in SENSITIVITY_DEFAULTS.items()}
    errors: list[dict[str, str]] = []

    def bad(key: str, message: str) -> None:
        errors.append({"path": f"$.{key}", "message": f"{message}, not {options[key]!r}"})

    r = options["replications"]
    if not _whole(r) or not 1 <= r <= MAX_REPLICATIONS:
        bad("replications", f"a whole number from 1 to {MAX_REPLICATIONS}")
    if not _real(options["spread"]) or not 0 <= options["spread"] < 1:
        bad("spread", "a number in [0, 1)")
    if options["method"] not in METHODS:
        bad("method", f"one of {', '.join(METHODS)}")
    if options["level"] not in LEVELS:
        bad("level", f"one of {', '.join(LEVELS)}")
    if not _real(options["concentration"]) or not options["concentration"] > 0:
        bad("concentration", "a positive number")
    if not _whole(options["seed"]) or not 0 <= options["seed"] <= MAX_SEED:
        bad("seed", f"a whole number from 0 to {MAX_SEED}")
    if errors:
        raise Unprocessable("the sensitivity parameters are invalid", errors)
    return options


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _real(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


# -- reading -------------------------------------------------------------------------


def get_analysis(
    services: Services, principal: Principal, kind: str, analysis_id: int
) -> dict[str, Any]:
    with session_scope(services.db) as session:
        return _document(_load(session, principal, kind, analysis_id))


def recent_analyses(
    services: Services, principal: Principal, limit: int = 50
) -> list[dict[str, Any]]:
    """The latest stored analyses, newest first: id, kind, request, when (no results:
    they can be large)."""
    require(principal, "analysis.read")
    with session_scope(services.db) as session:
        rows = session.exec(
            select(Analysis.id, Analysis.kind, Analysis.request, Analysis.created_at)
            .order_by(col(Analysis.id).desc())
            .limit(limit)
        ).all()
        return [
            {"id": i, "kind": kind, "request": request, "created_at": created}
            for i, kind, request, created in rows
        ]


def analysis_report(services: Services, principal: Principal, kind: str, analysis_id: int) -> str:
    with session_scope(services.db) as session:
        return _load(session, principal, kind, analysis_id).report


def analysis_chart(
    services: Services,
    principal: Principal,
    kind: str,
    analysis_id: int,
    filename: str,
    unit: str | None = None,
) -> tuple[bytes, str]:
    """A chart (`slope.svg`, `waterfall.png?unit=`, `ranks.svg`, …) of a stored analysis
    as (bytes, media type), drawn from its stored JSON."""
    from evaluators import rank_interval_chart, render_chart, slope_chart, waterfall_chart

    with session_scope(services.db) as session:
        row = _load(session, principal, kind, analysis_id)
    name, _, fmt = filename.rpartition(".")
    if name not in CHARTS[kind] or fmt not in MEDIA_TYPES:
        files = [f"{n}.{f}" for n in CHARTS[kind] for f in MEDIA_TYPES]
        hint = did_you_mean(filename, files)
        raise NotFound(
            f"no chart '{filename}' of {kind} {analysis_id}; there are {', '.join(files)}"
            + (f" ({hint})" if hint else "")
        )
    if name != "waterfall" and unit is not None:
        raise BadRequest(
            f"the {name} chart is of the whole cohort",
            [{"path": "$.query.unit", "message": "only the waterfall chart takes a unit"}],
        )
    draw: Callable[[], Any]
    if name == "slope":
        draw = lambda: slope_chart(row.result)  # noqa: E731
    elif name == "ranks":
        draw = lambda: rank_interval_chart(row.result)  # noqa: E731
    else:
        chosen = _waterfall_unit(row, unit)
        draw = lambda: waterfall_chart(  # noqa: E731
            chosen,
            start_label=_label(row.result["from"]),
            end_label=_label(row.result["to"]),
        )
    with CHART_LOCK:
        return render_chart(draw(), fmt), MEDIA_TYPES[fmt]


def _waterfall_unit(row: Analysis, unit: str | None) -> dict[str, Any]:
    units = row.result.get("units") or []
    if unit is None:
        unit = _default_unit(row.result)
        if unit is None:
            raise Unprocessable(
                f"audit {row.id} has no complete unit to chart",
                [{"path": "$.query.unit", "message": "no unit is complete in both versions"}],
            )
    found = next((u for u in units if u["unit"] == unit), None)
    if found is None:
        hint = did_you_mean(unit, [u["unit"] for u in units])
        raise NotFound(f"audit {row.id} has no unit '{unit}'" + (f" ({hint})" if hint else ""))
    if not found.get("complete"):
        raise Unprocessable(
            f"'{unit}' is incomplete in audit {row.id}: it has no change of index to chart",
            [{"path": "$.query.unit", "message": "incomplete in one of the versions"}],
        )
    return found


def _default_unit(result: dict[str, Any]) -> str | None:
    """The complete unit whose index changed most (the first such in the audit's order)."""
    best: tuple[float, str] | None = None
    for u in result.get("units") or []:
        if not u.get("complete") or u.get("delta") is None:
            continue
        if best is None or abs(u["delta"]) > best[0]:
            best = (abs(u["delta"]), u["unit"])
    return best[1] if best else None


def _label(version: dict[str, Any]) -> str:
    return str(version.get("label") or version.get("ref") or version.get("methodology"))


def _load(session: Session, principal: Principal, kind: str, analysis_id: int) -> Analysis:
    require(principal, "analysis.read")
    row = session.get(Analysis, analysis_id)
    if row is None or row.kind != kind:
        raise NotFound(f"no {kind} {analysis_id}")
    return row


def _charts(row: Analysis) -> dict[str, Any]:
    base = f"{PREFIX[row.kind]}/{row.id}/charts"
    if row.kind == "sensitivity":
        return {"ranks": {f: f"{base}/ranks.{f}" for f in MEDIA_TYPES}}
    return {
        "slope": {f: f"{base}/slope.{f}" for f in MEDIA_TYPES},
        "waterfall": {
            **{f: f"{base}/waterfall.{f}?unit={{unit}}" for f in MEDIA_TYPES},
            "unit": _default_unit(row.result),
        },
    }


def _report_charts(row: Analysis) -> dict[str, str]:
    """The charts the Markdown report embeds, by the names `to_markdown` knows."""
    base = f"{PREFIX[row.kind]}/{row.id}/charts"
    if row.kind == "sensitivity":
        return {"rank_interval": f"{base}/ranks.svg"}
    unit = _default_unit(row.result)
    waterfall = {"waterfall": f"{base}/waterfall.svg?unit={quote(unit)}"} if unit else {}
    return {"slope": f"{base}/slope.svg", **waterfall}


def _document(row: Analysis) -> dict[str, Any]:
    return {
        "id": row.id,
        "kind": row.kind,
        "created_at": row.created_at.isoformat(),
        "commits": row.commits,
        "result": row.result,
        "charts": _charts(row),
    }


# -- storing -------------------------------------------------------------------------


def _store(
    services: Services,
    principal: Principal,
    kind: str,
    request: dict[str, Any],
    commits: dict[str, Any],
    analysis: Audit | Sensitivity,
) -> dict[str, Any]:
    """The analysis row and its audit entry, in one transaction."""
    # What the JSON column gives back, so that this answer and every later GET agree;
    # NaN is not JSON, and PostgreSQL would refuse it.
    result = json.loads(json.dumps(to_json_value(analysis.to_json()), allow_nan=False))
    with session_scope(services.db) as session:
        row = Analysis(
            kind=kind,
            request=request,
            commits=commits,
            result=result,
            created_by=principal.id,
        )
        session.add(row)
        session.flush()  # the id, which the report's chart links need
        row.report = analysis.to_markdown(charts=_report_charts(row))
        session.add(row)
        entry = {
            "id": row.id,
            "kind": kind,
            "request": _summary(request),
            "commits": commits,
            "created_by": principal.id,
            "created_at": row.created_at.isoformat(),
        }
        record(session, principal, "analysis.run", "analysis", str(row.id), None, entry)
        return _document(row)


def _summary(request: dict[str, Any]) -> dict[str, Any]:
    """The request for the audit log: inline submissions by count, not in full (the
    analysis row keeps them)."""
    return {k: {"count": len(v)} if k in ("submissions", "fill") else v for k, v in request.items()}


# -- reading the request -------------------------------------------------------------


def _version(value: Any, path: str) -> dict[str, Any]:
    """`"<methodology>@<ref>"` or `{methodology, ref?}` (no ref: the head)."""
    if isinstance(value, str):
        name, sep, ref = value.strip().partition("@")
        if sep and not ref.strip():
            raise BadRequest(
                f"'{value}' has an empty ref after '@'",
                [{"path": path, "message": "write <methodology>@<ref>"}],
            )
        return {"methodology": check_slug(name, path), "ref": ref.strip() or None}
    if isinstance(value, dict):
        json_object(value, ("methodology", "ref"), path)
        given = value.get("ref")
        if given is not None and (
            not isinstance(given, str) or not given.strip() or len(given) > 200
        ):
            raise BadRequest(
                f"invalid {path[2:]}.ref",
                [{"path": f"{path}.ref", "message": "a non-empty string"}],
            )
        return {
            "methodology": check_slug(value.get("methodology"), f"{path}.methodology"),
            "ref": given,
        }
    raise BadRequest(
        f"`{path[2:]}` names a methodology version",
        [{"path": path, "message": "<methodology>@<ref> or {methodology, ref}"}],
    )


def _source(
    body: dict[str, Any], *, extra: Sequence[str] = (), inline_extra: Sequence[str] = ()
) -> dict[str, Any]:
    """What to analyse: `{cohort, period, *extra}` or `{submissions, *inline_extra}`."""
    if ("cohort" in body) == ("submissions" in body):
        given = [f"$.{k}" for k in ("cohort", "submissions") if k in body]
        raise BadRequest(
            "give either `cohort` (with `period`) or `submissions`",
            [{"path": p, "message": "exactly one of cohort, submissions"} for p in given or ["$"]],
        )
    if "submissions" in body:
        wrong = [k for k in ("period", *extra) if k in body]
        if wrong:
            raise BadRequest(
                "`period` and `fill_period` go with `cohort`",
                [{"path": f"$.{k}", "message": "only with cohort"} for k in wrong],
            )
        return {k: body[k] for k in ("submissions", *inline_extra) if k in body}
    wrong = [k for k in inline_extra if k in body]
    if wrong:
        raise BadRequest(
            "`fill` goes with inline `submissions`; a cohort is filled from `fill_period`",
            [{"path": f"$.{k}", "message": "only with submissions"} for k in wrong],
        )
    out: dict[str, str | None] = {
        "cohort": check_slug(body["cohort"], "$.cohort"),
        "period": _period(body.get("period"), "$.period"),
    }
    for key in extra:
        value = body.get(key)
        out[key] = None if value is None else _period(value, f"$.{key}")
    return out


def _period(value: Any, path: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > PERIOD_LENGTH:
        raise BadRequest(
            f"`{path[2:]}` is required with a cohort",
            [{"path": path, "message": f'a period such as "2021" (at most {PERIOD_LENGTH})'}],
        )
    return value


def _cohort(
    services: Services, source: dict[str, Any], methodology: str, *, path: str = "$.period"
) -> tuple[list[Scored], list[str]]:
    """The cohort's latest submitted (or appraised) submissions of the period made under
    ``methodology``, as scored (appraisals, survey scores), and its units not ranked."""
    cohort_id, period = source["cohort"], source["period"]
    with session_scope(services.db) as session:
        if session.get(Cohort, cohort_id) is None:
            raise Unprocessable(
                f"no cohort '{cohort_id}'", [{"path": "$.cohort", "message": "unknown cohort"}]
            )
        units, latest, subs = cohort_inputs(session, cohort_id, period, methodology)
        if not latest:
            raise Unprocessable(
                f"cohort {cohort_id} has no submitted {methodology} submission for {period}",
                [{"path": path, "message": "nothing submitted for this period"}],
            )
        return subs, [u.id for u in units if not u.ranked and u.id in latest]


def _inline(
    services: Services, program_of: Callable[[Scored], Program], items: Any, path: str
) -> list[Scored]:
    """Submissions given in the body: parsed, one per unit, and their values checked
    against the version they are made under (``program_of``); 422 lists every problem
    with its path."""
    if not isinstance(items, list) or not items:
        raise BadRequest(
            f"`{path[2:]}` is a non-empty list of submissions",
            [{"path": path, "message": "a non-empty list"}],
        )
    if len(items) > MAX_SUBMISSIONS:
        raise Unprocessable(
            f"at most {MAX_SUBMISSIONS} submissions per analysis, not {len(items)}",
            [{"path": path, "message": f"at most {MAX_SUBMISSIONS} items"}],
        )
    errors: list[dict[str, str]] = []
    subs: list[Scored] = []
    where: list[str] = []
    first: dict[str, int] = {}
    for i, item in enumerate(items):
        at = f"{path}[{i}]"
        try:
            sub = parse_submission(item)
        except SubmissionError as exc:
            errors += [_under(at, p) for p in exc.problems]
            continue
        if sub.unit in first:
            errors.append(
                {
                    "path": f"{at}.unit",
                    "message": f"a second submission of '{sub.unit}' (see {path}[{first[sub.unit]}])",
                }
            )
            continue
        first[sub.unit] = i
        subs.append(sub)
        where.append(at)
    groups: dict[int, tuple[Program, list[tuple[str, Scored]]]] = {}
    for at, sub in zip(where, subs, strict=True):
        program = program_of(sub)
        groups.setdefault(id(program), (program, []))[1].append((at, sub))
    for program, group in groups.values():
        results = score_many(program, [sub for _, sub in group], services.engine("compiled"))
        for (at, _), result in zip(group, results, strict=True):
            errors += [_under(at, p) for p in result.problems if p.get("status") == "invalid"]
    if errors:
        raise Unprocessable(f"invalid submissions in `{path[2:]}`", errors)
    return subs


def _under(prefix: str, problem: dict[str, Any]) -> dict[str, str]:
    """A submission's problem, its path placed under the submission's place in the body."""
    inner = str(problem.get("path") or "$")
    return {"path": prefix + inner[1:], "message": str(problem.get("message", ""))}
