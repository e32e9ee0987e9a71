"""What the application needs to serve the pages: the templates, the page router and
the static files (every asset a page uses is served from here: no other host)."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from litestar import Router
from litestar.datastructures import CacheControlHeader
from litestar.di import Provide
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from server.format import FILTERS
from server.web.errors import page_error
from server.web.pages import PAGES
from server.web.session import check_csrf, provide_viewer

__all__ = ["STATIC_DIR", "page_router", "static_router", "template_config"]

STATIC_DIR = Path(__file__).parent / "static"
TEMPLATE_DIR = Path(__file__).parent / "templates"


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,  # a misspelt name in a template fails its test
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(FILTERS)
    return env


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(_environment()))


def page_router() -> Router:
    return Router(
        "/",
        route_handlers=PAGES,
        dependencies={"viewer": Provide(provide_viewer, sync_to_thread=True)},
        before_request=check_csrf,
        exception_handlers={Exception: page_error},
        include_in_schema=False,
    )


def static_router() -> Router:
    return create_static_files_router(
        path="/static",
        directories=[STATIC_DIR],
        cache_control=CacheControlHeader(max_age=3600, public=True),
        include_in_schema=False,
    )
