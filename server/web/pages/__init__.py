"""The page controllers, one module per area; `PAGES` lists them for the web router."""

from __future__ import annotations

from server.web.pages.account import AccountPages
from server.web.pages.admin import AdminPages
from server.web.pages.appraisal import AppraisalPages
from server.web.pages.catalog import CatalogPages
from server.web.pages.home import HomePages

__all__ = ["PAGES"]

PAGES: list[type] = [HomePages, AccountPages, CatalogPages, AdminPages, AppraisalPages]
