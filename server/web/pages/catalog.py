"""The catalog: every methodology with its releases, derived indices under their base."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.response import Template

from server.auth import Principal
from server.deps import Services
from server.labels import RELEASE_LABELS
from server.services.methodologies import catalog
from server.web.render import page

__all__ = ["CatalogPages"]

Svc = NamedDependency[Services]
Who = NamedDependency[Principal]


class CatalogPages(Controller):
    @get("/bo-chi-so", sync_to_thread=True, name="catalog")
    def catalog(self, request: Request, services: Svc, viewer: Who) -> Template:
        entries = catalog(services.store, released_only=viewer.anonymous)
        return page(request, "catalog.html", entries=entries, release_labels=RELEASE_LABELS)
