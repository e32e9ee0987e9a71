"""The golden-case plugin, registered here so that it also collects when pytest is given
only `methodology/bundled/cases` (that folder's tests live outside `tests/`)."""

pytest_plugins = ["tests.golden_plugin"]


def pytest_report_header(config):
    """One line saying whether the browser tests (tests/web) can run here."""
    from tests.web.helpers import HOW_TO_GET_CHROMIUM, chromium_path

    found = chromium_path()
    return (
        f"browser tests: Chromium at {found}" if found else f"browser tests: {HOW_TO_GET_CHROMIUM}"
    )
