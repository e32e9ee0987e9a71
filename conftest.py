"""The golden-case plugin, registered here so that it also collects when pytest is given
only `methodology/bundled/cases` (that folder's tests live outside `tests/`)."""

pytest_plugins = ["tests.golden_plugin"]
