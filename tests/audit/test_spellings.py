"""A version is a commit (its folder's tree), however its ref is spelled: audits and
trends give the same numbers for a tag, its short name, a commit and a date, and every
step they leave out because something does not match is listed, never silent."""

from __future__ import annotations

import dataclasses
import json
from decimal import Decimal

import pytest

from evaluators import build_program, load_submissions
from evaluators.analysis.audit import audit
from evaluators.analysis.trend import trend
from evaluators.runner import trend_request
from evaluators.submission import Adjustment
from methodology import Store, Versions, open_methodology
from methodology.catalog import bundled_root
from tests.helpers import run

SAMPLES = bundled_root() / "submissions" / "par-provincial"


@pytest.fixture(scope="module")
def store(template_store) -> Store:
    return Store.open(template_store)


@pytest.fixture(scope="module")
def samples():
    return load_submissions(SAMPLES / "2021"), load_submissions(SAMPLES / "2022")


def _spellings(store: Store, year: str, date: str) -> list[str]:
    sha = store.resolve(f"par-provincial/{year}")
    return [year, f"par-provincial/{year}", sha, sha[:10], date]


def _units(result) -> str:
    return json.dumps([u.to_json() for u in result.units], sort_keys=True)


def test_a_branch_can_name_a_later_commit_with_the_same_tree(store):
    """The premise of comparing trees: the head is a later commit (other methodologies
    changed since), and a date names the release in force, par-provincial/2022 itself."""
    versions = Versions(store)
    by_date = open_methodology(store, "par-provincial@main")
    by_tag = open_methodology(store, "par-provincial@par-provincial/2022")
    assert by_date.commit != by_tag.commit
    assert open_methodology(store, "par-provincial@2022-11-10").commit == by_tag.commit
    assert versions.identity(by_date) == versions.identity(by_tag)
    assert versions.same(by_tag, "par-provincial", "2022")
    assert not versions.same(by_tag, "par-provincial", "par-provincial/2019")
    assert not versions.same(by_tag, "par-ministry", "2022")
    assert not versions.same(by_tag, "par-provincial", "no-such-ref")
    # A derived index is one version only with the same parent.
    derived = open_methodology(store, "daklak-so@daklak-so/2022")
    identity = versions.identity(derived)
    assert identity[0] == "daklak-so" and identity[2:] == versions.identity(by_tag)


def test_audit_gives_the_same_numbers_for_every_spelling(store, samples):
    s21, s22 = samples
    fill = {s.unit: s for s in s22}
    versions = Versions(store)
    results = []
    for old, new in zip(
        _spellings(store, "2019", "2019-12-31"),
        _spellings(store, "2022", "2022-11-10"),
        strict=True,
    ):
        a = build_program(open_methodology(store, f"par-provincial@{old}"))
        b = build_program(open_methodology(store, f"par-provincial@{new}"))
        results.append(audit(a, b, s21, fill=fill, versions=versions))
    first = _units(results[0])
    assert all(_units(r) == first for r in results[1:])
    for r in results:
        assert r.skipped == [] and len(r.units) == 63 and all(u.complete for u in r.units)
    hcm = results[0].unit("tp-ho-chi-minh")
    # The survey and council points given out of 1149's maxima are carried as the same
    # share of 876's (2.25 of 2.5 as 3.60 of 4): spelled "2019" they used to be carried
    # as they were, a loss of a third of those points read as "rule changed", -7.27.
    assert (hcm.index_from, hcm.index_to, hcm.delta) == (
        Decimal("86.04"),  # the sample aims at the published 86.05 of 2021
        Decimal("87.79"),
        Decimal("1.75"),
    )
    assert any(
        n["kind"] == "points_rescaled" and n["node"] == "chat-luong-vbqppl" for n in hcm.notes
    )
    assert abs(results[0].by_cause()["rule_changed"]) < Decimal("0.1")


@pytest.mark.slow
def test_trend_has_every_unit_complete_for_every_spelling(store):
    base = trend_request(
        store, "par-provincial@par-provincial/2019", "par-provincial@par-provincial/2022"
    )
    for old, new in (("2019", "2022"), ("2019-12-31", "2022-11-10")):
        result = trend_request(store, f"par-provincial@{old}", f"par-provincial@{new}")
        assert all(u.complete for u in result.units) and len(result.units) == 63
        assert _units(result) == _units(base) and result.skipped == []


def test_submissions_naming_one_version_two_ways_are_one_version(store, samples, tmp_path):
    s21, s22 = samples
    for folder, subs, short in (("earlier", s21, "2019"), ("later", s22, "2022")):
        (tmp_path / folder).mkdir()
        for i, s in enumerate(subs[:6]):
            text = (SAMPLES / s.period / f"{s.unit}.yaml").read_text(encoding="utf-8")
            if i % 2:  # every other file spells the ref short
                text = text.replace(f"ref: par-provincial/{short}", f"ref: '{short}'")
            (tmp_path / folder / f"{s.unit}.yaml").write_text(text, encoding="utf-8")
    result = trend_request(store, None, None, tmp_path / "earlier", tmp_path / "later")
    assert len(result.units) == 6 and all(u.complete for u in result.units)
    assert result.source["ref"] == "par-provincial/2019"


def _with_points(sub):
    return dataclasses.replace(
        sub,
        appraisal={**sub.appraisal, "chat-luong-vbqppl": Adjustment(points=Decimal("2"))},
    )


def test_points_carried_without_rescaling_are_listed_as_skipped(store, samples):
    s21, s22 = samples
    a = build_program(open_methodology(store, "par-provincial@par-provincial/2019"))
    b = build_program(open_methodology(store, "par-provincial@par-provincial/2022"))
    subs = [
        dataclasses.replace(s21[0], methodology=None),
        dataclasses.replace(s21[1], ref="no-such-release"),
        _with_points(dataclasses.replace(s21[2], survey={"khong-co-tieu-chi-nay": Decimal(1)})),
    ]
    fill = {s.unit: s for s in s22[:2]} | {"dao-khong-ten": s22[5]}
    result = audit(a, b, subs, fill=fill, versions=Versions(store))
    by_reason = {}
    for s in result.skipped:
        by_reason.setdefault(s.reason, []).append(s)
    rescale = {(s.unit, s.version) for s in by_reason["not_rescaled"]}
    assert rescale == {(subs[i].unit, v) for i in (0, 1) for v in ("from", "to")}
    nameless = next(s for s in by_reason["not_rescaled"] if s.unit == subs[0].unit)
    assert "không ghi bộ chỉ số" in nameless.message
    unknown = next(s for s in by_reason["not_rescaled"] if s.unit == subs[1].unit)
    assert "no-such-release" in unknown.message
    (dropped,) = {(s.unit, s.node) for s in by_reason["points_dropped"]}
    assert dropped == (subs[2].unit, "khong-co-tieu-chi-nay")
    assert [s.unit for s in by_reason["fill_missing"]] == [subs[2].unit]
    assert [s.unit for s in by_reason["fill_unmatched"]] == ["dao-khong-ten"]
    data = result.to_json()
    assert data["summary"]["skipped"] == len(result.skipped) == len(data["skipped"])
    assert data["skipped"][0].keys() == {"reason", "unit", "node", "version", "period", "message"}
    markdown = result.to_markdown()
    assert "## Các bước bị bỏ qua" in markdown and "`khong-co-tieu-chi-nay`" in markdown
    assert "(`fill_unmatched`, 1)" in markdown
    from evaluators.report import analysis_text

    text = analysis_text(result)
    assert f"skipped: {len(result.skipped)}" in text
    assert f"! points_dropped {subs[2].unit} khong-co-tieu-chi-nay" in text


def test_points_made_for_a_third_version_are_rescaled_from_its_maxima(store, samples):
    s21, _ = samples
    a = build_program(open_methodology(store, "par-provincial@par-provincial/2019"))
    b = build_program(open_methodology(store, "par-provincial@par-provincial/2022"))
    points = Adjustment(points=Decimal("1.75"))  # of 3.5 under 2017, 2.5 under 2019, 4 under 2022
    sub = dataclasses.replace(
        s21[0], ref="2017", survey={}, appraisal={"chat-luong-vbqppl": points}
    )
    result = audit(a, b, [sub], versions=Versions(store))
    assert result.skipped == []
    carried = {
        n["version"]: n["message"]
        for n in result.units[0].notes
        if n["kind"] == "points_rescaled" and n["node"] == "chat-luong-vbqppl"
    }
    assert carried == {
        "from": "1.75 of 3.5 points on 'chat-luong-vbqppl' (par-provincial@2017) "
        "carried as 1.25 of 2.5",
        "to": "1.75 of 3.5 points on 'chat-luong-vbqppl' (par-provincial@2017) "
        "carried as 2.00 of 4",
    }


def test_without_a_store_an_unrecognised_spelling_is_reported_not_silent(store, samples):
    s21, _ = samples
    a = build_program(open_methodology(store, "par-provincial@2019"))
    b = build_program(open_methodology(store, "par-provincial@2022"))
    result = audit(a, b, s21[:3])  # the samples spell par-provincial/2019
    assert {s.reason for s in result.skipped} == {"not_rescaled"}
    assert {s.unit for s in result.skipped} == {s.unit for s in s21[:3]}


def test_trend_lists_unmatched_units_and_projection_skips(store, samples):
    s21, s22 = samples
    a = build_program(open_methodology(store, "par-provincial@par-provincial/2019"))
    b = build_program(open_methodology(store, "par-provincial@par-provincial/2022"))
    later = [_with_points(dataclasses.replace(s22[0], ref="par-provincial/2031")), *s22[1:4]]
    result = trend(a, b, s21[:3], later, versions=Versions(store))
    reasons = {(s.reason, s.unit, s.version) for s in result.skipped}
    assert ("unmatched", s22[3].unit, None) in reasons
    assert ("not_rescaled", s22[0].unit, "to") in reasons
    assert ("not_rescaled", s22[0].unit, "from") in reasons
    data = result.to_json()
    assert data["summary"]["skipped"] == len(data["skipped"]) == len(result.skipped)
    assert "## Các bước bị bỏ qua" in result.to_markdown()


@pytest.mark.slow  # `parindex` processes
def test_cli_audit_short_and_tag_spellings_agree(tmp_path):
    path = tmp_path / "store"
    run("init", "--store", str(path))
    outputs = {}
    for old, new in (
        ("2019", "2022"),
        ("par-provincial/2019", "par-provincial/2022"),
        ("2019-12-31", "2022-11-10"),
    ):
        out = run(
            "audit",
            "--from",
            f"par-provincial@{old}",
            "--to",
            f"par-provincial@{new}",
            "--format",
            "json",
            store=path,
        ).stdout
        outputs[old] = json.loads(out)
    units = [json.dumps(d["units"], sort_keys=True) for d in outputs.values()]
    assert len(set(units)) == 1
    hcm = next(u for u in outputs["2019"]["units"] if u["unit"] == "tp-ho-chi-minh")
    assert hcm["delta"] == 1.75 and outputs["2019"]["skipped"] == []
    text = run("trend", "--from", "par-provincial@2019", "--to", "par-provincial@2022", store=path)
    assert "incomplete" not in text.stdout and "Hồ Chí Minh" in text.stdout
