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

from dataclasses import dataclass

from sqlmodel import col, func, select

from evaluators import Audit, EvaluatorError, VersionPair, audit, bundled_samples
from methodology import Release, Spec, Versions, open_methodology
from server.auth import Principal, require
from server.db import session_scope
from server.deps import Services
from server.errors import Unprocessable
from server.models import Cohort, CohortMember, Submission
from server.services.evaluations import FINAL, cohort_inputs
from server.services.methodologies import check_slug, methodology_scope
from server.services.submissions import program_for

__all__ = ["Impact", "impact_preview"]


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

    @property
    def score_changed(self) -> int:
        return sum(1 for u in self.audit.units if u.complete and u.delta)


def impact_preview(services: Services, principal: Principal, slug: str) -> Impact | None:
    """The draft's effect on the cohort, or None when the head is the last release
    (or nothing was ever released: there is nothing to compare with)."""
    check_slug(slug, "methodology")
    require(principal, "methodology.edit", **methodology_scope(services.store, slug))
    releases = services.store.releases(slug)
    if not releases:
        return None
    last = releases[-1]
    head = open_methodology(services.store, Spec(slug)).commit
    if head == last.commit:
        return None
    a = program_for(services.store, slug, last.tag)
    b = program_for(services.store, slug, head)
    versions = Versions(services.store)
    stored = _stored(services, slug)
    if stored is not None:
        subs, not_ranked, source = stored
        fill = {}
    else:
        try:
            samples = bundled_samples(services.store, a.methodology, b.methodology, versions)
        except EvaluatorError as exc:
            raise Unprocessable(
                f"no stored or sample submissions of {slug} to preview the draft on"
            ) from exc
        subs = samples.earlier or samples.later
        fill = {d.unit: d for d in samples.later} if samples.earlier else {}
        not_ranked, source = [], f"hồ sơ mẫu kèm theo ({samples.description})"
    result = audit(
        a,
        b,
        subs,
        fill=fill,
        not_ranked=not_ranked,
        source=source,
        pair=VersionPair(a, b, versions),
    )
    return Impact(release=last, head=head, source=source, audit=result)


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
