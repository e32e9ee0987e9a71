"""The home page: what parindex is, what this visitor can do here, and the results
published lately (for anyone, signed in or not)."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.response import Template

from server.auth import Principal
from server.deps import Services
from server.labels import DOCUMENT_KIND_LABELS, PUBLICATION_LABELS
from server.services.results import published_rankings
from server.services.samples import sample_summary
from server.web.render import page

__all__ = ["HomePages"]

LATEST = 5  # published rankings listed on the home page; the rest are on /ket-qua
Svc = NamedDependency[Services]
Who = NamedDependency[Principal]


class HomePages(Controller):
    @get("/", sync_to_thread=True, name="home")
    def home(self, request: Request, services: Svc, viewer: Who) -> Template:
        published = [p for p in published_rankings(services, viewer) if p.publication["in_force"]]
        return page(
            request,
            "home.html",
            samples=sample_summary(services),
            published=published[:LATEST],
            document_kinds=DOCUMENT_KIND_LABELS,
            states=PUBLICATION_LABELS,
        )
