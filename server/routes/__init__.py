"""HTTP controllers, one per domain noun; handlers call services in `server/services`."""

from server.routes.analyses import AuditController, SensitivityController
from server.routes.evaluations import EvaluationController
from server.routes.forms import FormController
from server.routes.methodologies import MethodologyController
from server.routes.publications import PublicationController
from server.routes.rankings import RankingController
from server.routes.reports import ReportController
from server.routes.submissions import SubmissionController
from server.routes.surveys import SurveyController
from server.routes.units import NotRankedController, SuccessionController, UnitController

CONTROLLERS = [
    MethodologyController,
    UnitController,
    SuccessionController,
    NotRankedController,
    SubmissionController,
    FormController,
    SurveyController,
    EvaluationController,
    RankingController,
    PublicationController,
    AuditController,
    SensitivityController,
    ReportController,
]
