"""The example report committed under docs/examples/ is what `parindex report` makes
today: regenerated from the bundled catalog and samples, byte for byte."""

from __future__ import annotations

from pathlib import Path

import pytest

from evaluators.runner import write_report
from methodology import Store

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "par-provincial-2019-2022"


@pytest.mark.slow
def test_the_committed_example_report_is_up_to_date(template_store, tmp_path):
    path = write_report(
        Store.open(template_store),
        "par-provincial@par-provincial/2019",
        "par-provincial@par-provincial/2022",
        tmp_path,
        unit="tp-ho-chi-minh",
        replications=10000,
        seed=1,
    )
    made = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    kept = sorted(p.relative_to(EXAMPLE) for p in EXAMPLE.rglob("*") if p.is_file())
    assert made == kept
    for name in made:
        assert (tmp_path / name).read_bytes() == (EXAMPLE / name).read_bytes(), (
            f"{name} differs: regenerate with `parindex report --from "
            "par-provincial@par-provincial/2019 --to par-provincial@par-provincial/2022 "
            f"--unit tp-ho-chi-minh --out {EXAMPLE.relative_to(EXAMPLE.parents[2])}`"
        )
    text = path.read_text(encoding="utf-8")
    assert "Thành phố Hồ Chí Minh" in text and "](audit/slope.svg)" in text
