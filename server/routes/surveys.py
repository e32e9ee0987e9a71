"""`/api/surveys`: importing sociological survey scores (điều tra xã hội học)."""

from __future__ import annotations

from litestar import Controller, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from server import schemas as s
from server.auth import Principal
from server.deps import Services
from server.services import evaluations as svc

__all__ = ["SurveyController"]

Svc = NamedDependency[Services]
Who = NamedDependency[Principal]


class SurveyController(Controller):
    path = "/api/surveys"
    tags = ["surveys"]
    security = s.SIGNED_IN

    @post("/", operation_id="importSurvey", sync_to_thread=True, responses=s.problems(413))
    def import_survey(
        self, services: Svc, principal: Who, data: JSONBody[s.SurveyImport]
    ) -> s.SurveyImported:
        """Import `{methodology, ref?, period, scores: [{unit_id, node_id, score}]}`; every
        node must be survey-assessed and every score within [0, its maximum]."""
        imported = svc.import_survey(services, principal, s.plain(data))
        return s.reply(s.SurveyImported, imported)
