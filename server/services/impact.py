"""What a draft would do before it is released: the cohort's submissions scored under
the last release and under the working head, compared by the audit machinery
(`evaluators.audit`), so an editor sees each unit's score and rank change with its
causes. Nothing is stored: the preview is recomputed from the store and the database
each time it is asked for (an audit of record is `server.services.analyses.run_audit`).

The submissions are a cohort's stored ones (the cohort of this methodology with the
most units submitted, its latest period), or the bundled sample submissions when the
database holds none.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from sqlmodel import col, func, select

from evaluators import (
    Audit,
    EvaluatorError,
    Program,
    VersionPair,
    audit,
    bundled_samples,
)
from methodology import Release, Spec, Store, Versions, open_methodology
from server.auth import Principal, require
from server.db import session_scope
from server.deps import Services
from server.errors import Unprocessable
from server.models import Cohort, CohortMember, Submission
from server.services.evaluations import cohort_inputs
from server.services.methodologies import check_slug, methodology_scope
from server.services.submissions import program_for
from server.transitions import FINAL

__all__ = ["Impact", "draft_of", "impact_preview"]


@dataclass(frozen=True)
class Impact:
    """The draft (``head``) against the last release, over ``source``'s submissions."""

    release: Release
    head: str
    source: str  # what was scored, in Vietnamese
    audit: Audit

    @property
    def compared(self) -> list:
        """The units with a rank under both versions, largest move first."""
        units = [u for u in self.audit.units if u.complete and u.rank_change is not None]
        return sorted(units, key=lambda u: (-abs(u.rank_change or 0), u.unit_name))

    @property
    def down(self) -> int:
        return sum(1 for u in self.compared if (u.rank_change or 0) < 0)

    @property
    def up(self) -> int:
        return sum(1 for u in self.compared if (u.rank_change or 0) > 0)


def impact_preview(services: Services, principal: Principal, slug: str) -> Impact | None:
    """The draft's effect on the cohort, or None when the head is the last release
    (or nothing was ever released: there is nothing to compare with)."""
    check_slug(slug, "methodology")
    require(principal, "methodology.edit", **methodology_scope(services.store, slug))
    last = draft_of(services.store, slug)
    if last is None:
        return None
    head = open_methodology(services.store, Spec(slug)).commit
    assert head is not None  # a methodology with a release has commits
    stored = _stored(services, slug)
    key = (services.store.path, slug, last.commit, head)
    if stored is None:
        with _lock:
            cached = _samples_cache.get(key)
        if cached is not None:
            return cached
    a = program_for(services.store, slug, last.tag)
    b = program_for(services.store, slug, head)
    versions = Versions(services.store)
    if stored is not None:
        subs, not_ranked, source = stored
        fill = {}
    else:
        samples = _samples(services.store, slug, a, b, versions)
        subs = samples.earlier or samples.later
        fill = {d.unit: d for d in samples.later} if samples.earlier else {}
        periods = samples.description.removeprefix("bundled samples ")
        not_ranked, source = [], f"hồ sơ mẫu kèm theo phần mềm ({periods})"
    result = audit(
        a,
        b,
        subs,
        fill=fill,
        not_ranked=not_ranked,
        source=source,
        pair=VersionPair(a, b, versions),
    )
    impact = Impact(release=last, head=head, source=source, audit=result)
    if stored is None:
        # The bundled samples never change and both versions are commits: the preview of
        # this pair is the same until the draft moves on, so it is worked out once.
        with _lock:
            while len(_samples_cache) >= _CACHED:
                _samples_cache.pop(next(iter(_samples_cache)))
            _samples_cache[key] = impact
    return impact


_CACHED = 16
_samples_cache: dict[tuple[str, str, str, str], Impact] = {}
_lock = threading.Lock()


def _samples(store: Store, slug: str, a: Program, b: Program, versions: Versions) -> Any:
    """The bundled samples scored under the last release or the draft, else those of the
    newest earlier release that has some (the audit reads them as made for a third
    version, as it would a stored submission of an older edition)."""
    try:
        return bundled_samples(store, a.methodology, b.methodology, versions)
    except EvaluatorError:
        pass
    for r in reversed(store.releases(slug)[:-1]):
        try:
            return bundled_samples(
                store, open_methodology(store, Spec(slug, r.tag)), None, versions
            )
        except EvaluatorError:
            continue
    raise Unprocessable(f"no stored or sample submissions of {slug} to preview the draft on")


def draft_of(store: Store, slug: str) -> Release | None:
    """The last release of ``slug`` when the working head differs from it (its files;
    commits to other methodologies do not make a draft), else None."""
    releases = store.releases(slug)
    head = store.head()
    if not releases or head is None:
        return None
    last = releases[-1]
    if store.list_files(last.commit, slug) == store.list_files(head, slug):
        return None
    return last


def _stored(services: Services, slug: str):
    """(submissions, units not ranked, description) of the cohort of ``slug`` with the
    most submitted units in a period (the latest such period), or None."""
    with session_scope(services.db) as session:
        rows = session.exec(
            select(CohortMember.cohort_id, Submission.period, func.count())
            .join(Cohort, col(Cohort.id) == col(CohortMember.cohort_id))
            .join(Submission, col(Submission.unit_id) == col(CohortMember.unit_id))
            .where(Cohort.methodology == slug, Submission.methodology == slug)
            .where(col(Submission.status).in_(FINAL))
            .group_by(col(CohortMember.cohort_id), col(Submission.period))
        ).all()
        if not rows:
            return None
        cohort_id, period, _ = max(rows, key=lambda r: (r[2], r[1]))
        units, latest, subs = cohort_inputs(session, cohort_id, period, slug)
        cohort = session.get(Cohort, cohort_id)
        name = cohort.name if cohort else cohort_id
        not_ranked = [u.id for u in units if not u.ranked and u.id in latest]
        return subs, not_ranked, f"hồ sơ đã nộp của {name}, kỳ {period}"
