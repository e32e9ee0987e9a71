"""Every server setting is documented in docs/api.md, with its default."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from server.settings import SETTINGS, Settings

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def _settings_table() -> dict[str, list[str]]:
    """The rows of the table under `## Settings`: env name → its cells."""
    text = DOC.read_text(encoding="utf-8")
    section = re.search(r"^## Settings\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert section, "docs/api.md has no '## Settings' section"
    rows: dict[str, list[str]] = {}
    for line in section.group(1).splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.lstrip().startswith("|") and cells and cells[0].strip("`").startswith("PARINDEX_"):
            rows[cells[0].strip("`")] = cells
    return rows


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.env)
def test_setting_is_documented_with_its_default(setting):
    rows = _settings_table()
    assert setting.env in rows, f"{setting.env} is missing from the Settings table of docs/api.md"
    _, default, help_text = rows[setting.env][:3]
    shown = default.strip("`")
    if setting.default:
        assert shown == setting.default, (setting.env, shown)
    else:
        assert shown in ("", "(empty)"), (setting.env, shown)
    assert len(help_text) > 10


def test_no_undocumented_or_stale_rows():
    assert set(_settings_table()) == {s.env for s in SETTINGS}


def test_every_setting_has_a_field():
    fields = set(Settings.__dataclass_fields__)
    assert {s.name for s in SETTINGS} == fields
