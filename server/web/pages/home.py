"""The home page: what parindex is, what this visitor can do here."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.response import Template

from server.deps import Services
from server.services.samples import sample_summary
from server.web.render import page

__all__ = ["HomePages"]

Svc = NamedDependency[Services]


class HomePages(Controller):
    @get("/", sync_to_thread=True, name="home")
    def home(self, request: Request, services: Svc) -> Template:
        return page(request, "home.html", samples=sample_summary(services))
