"""The web pages: server-rendered, in Vietnamese, over the same services as the API.

Jinja2 templates (`templates/`), htmx and the stylesheet served from `static/`, one
controller module per area in `pages/`. Reading works without JavaScript; htmx only
makes forms answer as people type. See docs/architecture.md, "Adding a page".
"""

from __future__ import annotations

from server.web.errors import page_error, wants_page
from server.web.setup import STATIC_DIR, page_router, static_router, template_config

__all__ = [
    "STATIC_DIR",
    "page_error",
    "page_router",
    "static_router",
    "template_config",
    "wants_page",
]
