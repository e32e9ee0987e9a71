"""Without a Chromium the browser tests skip locally and fail under CI=true."""

from __future__ import annotations

import pytest

from tests.web.helpers import HOW_TO_GET_CHROMIUM, no_browser


def test_without_a_browser_the_tests_skip_locally(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install -y chromium"):
        no_browser(HOW_TO_GET_CHROMIUM)


def test_without_a_browser_ci_fails(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true: the browser tests may not be"):
        no_browser(HOW_TO_GET_CHROMIUM)


def test_the_report_header_says_how_to_get_a_browser(monkeypatch, pytestconfig, tmp_path):
    from conftest import pytest_report_header

    monkeypatch.setenv("PARINDEX_CHROMIUM", str(tmp_path / "no-such-chromium"))
    assert pytest_report_header(pytestconfig) == f"browser tests: {HOW_TO_GET_CHROMIUM}"
    (tmp_path / "chromium").touch()
    monkeypatch.setenv("PARINDEX_CHROMIUM", str(tmp_path / "chromium"))
    assert pytest_report_header(pytestconfig) == f"browser tests: Chromium at {tmp_path}/chromium"
