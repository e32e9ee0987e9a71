"""HTTP controllers, one per domain noun; handlers call services in `server/services`."""

from server.routes.analyses import AuditController, SensitivityController
from server.routes.assignments import AssignmentController
from server.routes.evaluations import EvaluationController
from server.routes.forms import FormController
from server.routes.jobs import JobController
from server.routes.methodologies import MethodologyController
from server.routes.operations import OperationsController
from server.routes.periods import PeriodController
from server.routes.publications import ObjectionController, PublicationController
from server.routes.rankings import RankingController
from server.routes.reports import ReportController
from server.routes.submissions import SubmissionController
from server.routes.surveys import SurveyController
from server.routes.units import NotRankedController, SuccessionController, UnitController

CONTROLLERS = [
    MethodologyController,
    UnitController,
    PeriodController,
    SuccessionController,
    NotRankedController,
    SubmissionController,
    AssignmentController,
    FormController,
    SurveyController,
    EvaluationController,
    RankingController,
    PublicationController,
    ObjectionController,
    AuditController,
    SensitivityController,
    ReportController,
    JobController,
    OperationsController,
]
