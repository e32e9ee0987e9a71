"""The bundled synthetic samples loaded into a database, through the API's own services.

`load_samples` creates the units and cohorts of `methodology/bundled/samples.yaml`, then,
for every cohort and period, each unit's sample submission (created and submitted as the
unit would), the council's appraisals (each checked and audited as an appraiser's, a
submission's in one transaction) and the period's survey scores (one import) — every
step by the service an API request calls, with its validation, permission check and
audit entry. Nothing is inserted directly.

Two users, disabled and without tokens, do this work: `SAMPLES_USER` (acting as the
ministry editor who registers the units and as each unit's submitter) and
`SAMPLE_APPRAISER` (the council, whose name the samples' appraisals carry). Every synthetic
row is theirs (`created_by`, `by_user`, `imported_by`, the audit entries' `user_id`),
and the load ends with one audit entry, `samples.load`, holding what was loaded:
`sample_summary` reads it, so pages can say which data are synthetic. The sample
evidence lists titles and file names only: the titles are named as documents
(`sample_documents`), and no evidence files are stored.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlmodel import col, func, select

from methodology import SAMPLE_APPRAISER, bundled_root, load_plan, load_succession, yaml_load
from server.auth import Principal, record
from server.db import session_scope
from server.deps import Services
from server.errors import ApiError, Conflict
from server.models import AuditEntry, Submission, Unit, User
from server.services.evaluations import import_survey
from server.services.submissions import add_appraisals, create_submission, open_version, submit
from server.services.succession import cohort_owner, create_event, set_not_ranked
from server.services.units import create_unit, join_cohort

__all__ = [
    "LOAD_ACTION",
    "SAMPLES_USER",
    "SampleCohort",
    "SampleError",
    "SampleSummary",
    "database_is_empty",
    "load_on_first_start",
    "load_samples",
    "sample_documents",
    "sample_summary",
]

log = logging.getLogger("parindex")

SAMPLES_USER = "Dữ liệu mẫu"
LOAD_ACTION = "samples.load"


class SampleError(Exception):
    """A sample file the services refused, with the problem as the API would answer it."""

    def __init__(self, file: Path, error: ApiError) -> None:
        where = "; ".join(f"{e['path']}: {e['message']}" for e in error.errors)
        super().__init__(f"{file}: {error.detail}" + (f" ({where})" if where else ""))
        self.file = file
        self.error = error


@contextmanager
def _from(file: Path) -> Iterator[None]:
    """Name ``file`` in what a service refuses while loading it."""
    try:
        yield
    except ApiError as exc:
        raise SampleError(file, exc) from exc


@dataclass(frozen=True)
class SampleCohort:
    """One bundled cohort as loaded: its methodology, periods and units."""

    cohort: str
    methodology: str
    periods: tuple[str, ...]
    units: int


@dataclass(frozen=True)
class SampleSummary:
    """What `load_samples` put into the database; all of it is synthetic."""

    cohorts: tuple[SampleCohort, ...]
    units: int
    submissions: int
    loaded_at: dt.datetime
    users: tuple[int, ...]
    synthetic: bool = True

    @property
    def periods(self) -> tuple[str, ...]:
        return tuple(sorted({p for c in self.cohorts for p in c.periods}))

    def to_json(self) -> dict[str, Any]:
        return {
            "synthetic": self.synthetic,
            "cohorts": [
                {
                    "cohort": c.cohort,
                    "methodology": c.methodology,
                    "periods": list(c.periods),
                    "units": c.units,
                }
                for c in self.cohorts
            ],
            "units": self.units,
            "submissions": self.submissions,
            "loaded_at": self.loaded_at.isoformat(),
            "users": list(self.users),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SampleSummary:
        return cls(
            cohorts=tuple(
                SampleCohort(c["cohort"], c["methodology"], tuple(c["periods"]), c["units"])
                for c in data["cohorts"]
            ),
            units=data["units"],
            submissions=data["submissions"],
            loaded_at=dt.datetime.fromisoformat(data["loaded_at"]),
            users=tuple(data["users"]),
            synthetic=data.get("synthetic", True),
        )


def database_is_empty(services: Services) -> bool:
    """No units and no submissions: what a first start looks like."""
    with session_scope(services.db) as session:
        units = session.exec(select(func.count()).select_from(Unit)).one()
        submissions = session.exec(select(func.count()).select_from(Submission)).one()
    return units == 0 and submissions == 0


def load_on_first_start(services: Services) -> SampleSummary | None:
    """On a first start (an empty database) with the `samples` setting on, load the
    samples and log one line saying so; otherwise do nothing."""
    if not services.settings.samples or not database_is_empty(services):
        return None
    started = time.monotonic()
    summary = load_samples(services)
    if summary is not None:
        log.info(
            "loaded the bundled synthetic samples (%d cohorts, %d units, %d submissions, "
            "periods %s) in %.1f s; PARINDEX_SAMPLES=off or `parindex serve --empty` "
            "starts empty",
            len(summary.cohorts),
            summary.units,
            summary.submissions,
            ", ".join(summary.periods),
            time.monotonic() - started,
        )
    return summary


def sample_summary(services: Services) -> SampleSummary | None:
    """What the samples loaded into this database, or None when they were never loaded."""
    with session_scope(services.db) as session:
        entry = session.exec(
            select(AuditEntry)
            .where(AuditEntry.action == LOAD_ACTION)
            .order_by(col(AuditEntry.id).desc())
        ).first()
        return SampleSummary.from_json(entry.after) if entry is not None else None


def load_samples(
    services: Services,
    *,
    root: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> SampleSummary | None:
    """Load every bundled sample cohort (``root``: another folder laid out like
    `methodology/bundled`); None when this database already holds them. Any refusal of
    a service (a unit that exists, an invalid sample) is a `SampleError` naming the file.
    Each step commits on its own, as API requests do: after a refusal the steps before
    it stay, and the samples are not recorded as loaded."""
    if sample_summary(services) is not None:
        return None
    root = root or bundled_root()
    _seed, sets = load_plan(root)
    editor_user, council_user = _sample_users(services)
    editor = Principal(editor_user.id, editor_user.name, "ministry_editor")
    council = Principal(council_user.id, council_user.name, "appraiser")
    cohorts = _cohort_files(root, {s.cohort for s in sets})
    units_done: set[str] = set()
    periods: dict[str, list[str]] = {}
    submissions = 0
    for sample_set in sets:
        if progress:
            progress(
                f"{sample_set.cohort} {sample_set.period}: {len(sample_set.units)} units "
                f"({sample_set.methodology})"
            )
        if sample_set.cohort not in periods:
            with _from(root / "cohorts" / f"{sample_set.cohort}.yaml"):
                _add_units(
                    services, editor, sample_set.cohort, sample_set.methodology, cohorts, units_done
                )
            units_done.update(u.id for u in sample_set.units)
        periods.setdefault(sample_set.cohort, []).append(str(sample_set.period))
        folder = root / "submissions" / sample_set.methodology / str(sample_set.period)
        scores: list[dict[str, Any]] = []
        for unit in sample_set.units:
            file = folder / f"{unit.id}.yaml"
            sample = _read(file)
            submitter = Principal(
                editor_user.id, editor_user.name, "unit_submitter", unit_id=unit.id
            )
            with _from(file):
                _submit(services, submitter, council, sample)
            submissions += 1
            scores += [
                {"unit_id": unit.id, "node_id": node, "score": score}
                for node, score in (sample.get("survey") or {}).items()
            ]
        if scores:
            with _from(folder):
                import_survey(
                    services,
                    council,
                    {
                        "methodology": sample_set.methodology,
                        "ref": sample_set.ref,
                        "period": str(sample_set.period),
                        "scores": scores,
                    },
                )
    with _from(root / "succession.yaml"):
        _add_succession(services, editor, root, units_done, set(periods))
    methodologies = {s.cohort: s.methodology for s in sets}
    summary = SampleSummary(
        cohorts=tuple(
            SampleCohort(cohort, methodologies[cohort], tuple(p), len(cohorts[cohort]["units"]))
            for cohort, p in periods.items()
        ),
        units=len(units_done),
        submissions=submissions,
        loaded_at=dt.datetime.now(dt.UTC),
        users=(editor.id, council.id),  # type: ignore[arg-type]
    )
    with session_scope(services.db) as session:
        record(session, editor, LOAD_ACTION, "samples", "bundled", None, summary.to_json())
    return summary


def _sample_users(services: Services) -> tuple[User, User]:
    """The two users who load the samples: disabled, without tokens, so nobody signs in
    as them; the council's is named as the samples' appraisals name it."""
    users = []
    with session_scope(services.db) as session:
        for name, role in ((SAMPLES_USER, "ministry_editor"), (SAMPLE_APPRAISER, "appraiser")):
            user = session.exec(select(User).where(User.name == name)).first()
            if user is not None and (user.active or user.role != role):
                # Someone's own account: synthetic rows must not be put in their name.
                raise Conflict(
                    f"a user named '{name}' exists (role {user.role}, "
                    f"{'active' if user.active else 'disabled'}): the samples are loaded "
                    f"as a disabled {role} of that name; rename that user first",
                    [{"path": "$.name", "message": "taken"}],
                )
            if user is None:
                user = User(name=name, role=role, active=False)
                session.add(user)
                session.flush()
            users.append(user)
    return users[0], users[1]


def _cohort_files(root: Path, names: set[str]) -> dict[str, dict[str, Any]]:
    return {name: _read(root / "cohorts" / f"{name}.yaml") for name in sorted(names)}


def _add_units(
    services: Services,
    editor: Principal,
    cohort: str,
    methodology: str,
    cohorts: dict[str, dict[str, Any]],
    done: set[str],
) -> None:
    data = cohorts[cohort]
    manifest = open_version(services.store, methodology, None).manifest
    province = manifest.province if manifest is not None else None
    for unit in data["units"]:
        if unit["id"] in done:  # unchanged through a reorganisation: ranked as itself
            join_cohort(services, editor, unit["id"], cohort, methodology)
            continue
        create_unit(
            services,
            editor,
            {
                "id": unit["id"],
                "name": unit["name"],
                "level": data["level"],
                "province": province,
                "ranked": unit.get("ranked", True),
                "group": unit.get("group"),
                "cohorts": [cohort],
                "methodology": methodology,
            },
        )


def _add_succession(
    services: Services, editor: Principal, root: Path, units: set[str], cohorts: set[str]
) -> None:
    """The bundled succession events between loaded units, and what is not ranked in the
    loaded cohorts (`succession.yaml`; a folder without it has none)."""
    if not (root / "succession.yaml").is_file():
        return
    for event in load_succession(root):
        if {*event.predecessors, *event.successors} <= units:
            create_event(
                services,
                editor,
                {
                    "kind": event.kind,
                    "effective": event.effective.isoformat(),
                    "basis": event.basis,
                    "note": event.note,
                    "predecessors": list(event.predecessors),
                    "successors": list(event.successors),
                },
            )
    for entry in _read(root / "succession.yaml").get("not_ranked") or []:
        if entry["cohort"] in cohorts and entry.get("unit", entry["cohort"]) is not None:
            # as the editor of the province owning the cohort's index, who decides it
            owner = cohort_owner(services, entry["cohort"])
            role = "province_editor" if owner else "ministry_editor"
            set_not_ranked(services, Principal(editor.id, editor.name, role, owner), entry)


def _submit(
    services: Services, submitter: Principal, council: Principal, sample: dict[str, Any]
) -> None:
    """The unit's draft, submitted, then the council's appraisals, each checked and
    audited as one appraisal is, in one transaction."""
    created = create_submission(
        services,
        submitter,
        {
            "unit_id": sample["unit"],
            "period": str(sample["period"]),
            "methodology": sample["methodology"],
            "ref": sample["ref"],
            "values": sample.get("values") or {},
            "not_applicable": sample.get("not_applicable") or {},
            "facts": sample.get("facts") or {},
            "documents": sample_documents(sample),
        },
    )
    submit(services, submitter, created["id"], None)
    bodies = []
    for key, entry in (sample.get("appraisal") or {}).items():
        body = {"key": key, "reason": entry["reason"]}
        body |= {"points": entry["points"]} if "points" in entry else {"value": entry["value"]}
        bodies.append(body)
    if bodies:
        add_appraisals(services, council, created["id"], bodies)


def sample_documents(sample: dict[str, Any]) -> dict[str, list[dict[str, str]]]:
    """The documents a sample names as evidence (their titles; the files are not
    stored), so a node that requires evidence has it when the sample is submitted."""
    return {
        node: [{"title": e["title"]} for e in entries if e.get("title")]
        for node, entries in (sample.get("evidence") or {}).items()
        if any(e.get("title") for e in entries)
    }


def _read(path: Path) -> dict[str, Any]:
    """A YAML file as the API would receive it in JSON (dates as ISO text)."""
    data = yaml_load(path.read_text(encoding="utf-8"))
    return json.loads(json.dumps(data, default=str))
