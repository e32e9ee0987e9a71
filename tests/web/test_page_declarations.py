"""Every handler, API and pages, declares its dependencies and parameters the way
Litestar 2.25 wants (`NamedDependency`, `FromPath`, `FromQuery`, `QueryParameter`,
`RawBody`): building the app warns about nothing, so the handlers keep working in
Litestar 3, and no test pays for dozens of warnings with every app it builds."""

from __future__ import annotations

import warnings

from server.app import create_app
from server.settings import Settings


def test_building_the_app_warns_about_nothing(tmp_path):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        app = create_app(Settings(data_dir=str(tmp_path), samples=False))
    handlers = [h for route in app.routes for h in getattr(route, "route_handlers", [])]
    assert len(handlers) >= 150  # the API's and the pages' handlers were all registered
    assert [f"{w.category.__name__}: {w.message}" for w in caught] == []
