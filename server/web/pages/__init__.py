"""The page controllers, one module per area; `PAGES` lists them for the web router."""

from __future__ import annotations

from server.web.pages.account import AccountPages
from server.web.pages.admin import AdminPages
from server.web.pages.appraisal import AppraisalPages
from server.web.pages.assessment import AssessmentPages
from server.web.pages.audits import AuditPages
from server.web.pages.catalog import CatalogPages
from server.web.pages.derive import DerivePages
from server.web.pages.downloads import DownloadPages
from server.web.pages.editing import EditingPages
from server.web.pages.home import HomePages
from server.web.pages.methodologies import MethodologyPages
from server.web.pages.office import OfficePages
from server.web.pages.periods import PeriodPages
from server.web.pages.results import ResultPages

__all__ = ["PAGES"]

PAGES: list[type] = [
    HomePages,
    AccountPages,
    CatalogPages,
    MethodologyPages,
    OfficePages,
    EditingPages,
    DerivePages,
    AssessmentPages,
    AppraisalPages,
    PeriodPages,
    ResultPages,
    AuditPages,
    DownloadPages,
    AdminPages,
]
