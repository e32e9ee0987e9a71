"""The editing, derive and methodology pages declare their dependencies and parameters
the way Litestar 2.25 wants (`NamedDependency`, `FromPath`, `FromQuery`): building the
app warns about none of their handlers, so they keep working in Litestar 3."""

from __future__ import annotations

import warnings

from litestar.exceptions import LitestarWarning

from server.app import create_app
from server.settings import Settings

MODULES = (
    "server.web.pages.editing",
    "server.web.pages.derive",
    "server.web.pages.methodologies",
)


def test_the_editing_derive_and_methodology_pages_raise_no_deprecation_warning(tmp_path):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        app = create_app(Settings(data_dir=str(tmp_path), samples=False))
    handlers = [
        h
        for route in app.routes
        for h in getattr(route, "route_handlers", [])
        if str(h).rpartition(".")[0].rpartition(".")[0] in MODULES  # module.Class.method
    ]
    assert len(handlers) >= 20  # every page handler of the three modules is looked at
    # how Litestar names a handler in its warnings (`HandlerContext.format`)
    marks = {
        f"[paths={','.join(sorted(h.paths))!r}, handler={(h.name or h.handler_name)!r}"
        for h in handlers
    }
    about_them = [
        str(w.message)
        for w in caught
        if issubclass(w.category, DeprecationWarning | LitestarWarning)
        and any(str(w.message).startswith(mark) for mark in marks)
    ]
    assert about_them == []
