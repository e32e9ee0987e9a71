"""The golden-case plugin, registered here so that it also collects when pytest is given
only `methodology/bundled/cases` (that folder's tests live outside `tests/`)."""

import json
import os
from collections import Counter
from pathlib import Path

pytest_plugins = ["tests.golden_plugin"]


def pytest_report_header(config):
    """One line saying whether the browser tests (tests/web) can run here."""
    from tests.web.helpers import HOW_TO_GET_CHROMIUM, chromium_path

    found = chromium_path()
    return (
        f"browser tests: Chromium at {found}" if found else f"browser tests: {HOW_TO_GET_CHROMIUM}"
    )


# -- scheduling: the longest test modules first -------------------------------------------
# `make test` hands whole modules to the workers (`--dist loadscope`). Handed out in
# collection order, a long module that comes last (one 50-second audit, the documented
# commands) runs alone while the other workers idle. Sorting modules by their recorded time,
# longest first, keeps both cores busy to the end. `make durations` records the times.

DURATIONS = Path(__file__).parent / "tests" / "durations.json"
RECORD_DURATIONS = "PARINDEX_RECORD_DURATIONS"


def _module(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def pytest_collection_modifyitems(session, config, items):
    try:
        recorded = json.loads(DURATIONS.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    counts = Counter(_module(item.nodeid) for item in items)
    # A module not yet recorded: a fifth of a second a test, as most modules' tests are.
    seconds = {m: float(recorded.get(m, n / 5)) for m, n in counts.items()}
    items.sort(key=lambda item: -seconds[_module(item.nodeid)])  # stable within a module


class _DurationRecorder:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.seconds: dict[str, float] = {}

    def pytest_runtest_logreport(self, report):
        module = _module(report.nodeid)
        self.seconds[module] = self.seconds.get(module, 0.0) + report.duration

    def pytest_sessionfinish(self, session):
        rounded = {m: round(s, 1) for m, s in sorted(self.seconds.items())}
        self.path.write_text(json.dumps(rounded, indent=1) + "\n", encoding="utf-8")


def pytest_configure(config):
    # Only where reports of every test arrive: the xdist controller, or a run without xdist.
    if os.environ.get(RECORD_DURATIONS) and not hasattr(config, "workerinput"):
        config.pluginmanager.register(_DurationRecorder(DURATIONS), "parindex-durations")
        # Tests that run pytest themselves must not record (and overwrite) the file too.
        del os.environ[RECORD_DURATIONS]
