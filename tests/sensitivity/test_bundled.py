"""Sensitivity of the 63 provinces' ranks (bundled par-provincial/2022 samples)."""

from __future__ import annotations

import json
from decimal import Decimal

import numpy as np
import pytest

from evaluators import CompiledEngine, load_submissions, score_many
from evaluators.analysis.sensitivity import _simulate, sensitivity
from evaluators.analysis.sensitivity_model import Model, competition_ranks
from evaluators.engines.vector.batch import VectorProgram, score_cohort
from evaluators.runner import program_for
from evaluators.scoring.ranking import rank, vietnamese_key
from tests.sensitivity.conftest import SAMPLES

UNIT_KEYS = [
    "unit",
    "unit_name",
    "ranked",
    "complete",
    "index",
    "rank",
    "rank_median",
    "rank_p05",
    "rank_p95",
    "rank_min",
    "rank_max",
    "changed_share",
]
TOP_KEYS = [
    "methodology",
    "replications",
    "seed",
    "method",
    "spread",
    "level",
    "concentration",
    "policy",
    "units",
    "drivers",
]


def model_of(program, subs):
    vprog = VectorProgram.build(program)
    batch = score_cohort(vprog, subs)
    model = Model.of_batch(vprog, batch)
    return model, batch


def test_official_weights_reproduce_the_official_index_and_ranks(provincial, provinces):
    model, batch = model_of(provincial, provinces)
    assert batch.complete.all()
    scores = model.scores(model.official)[0]
    again = [Decimal(int(s)).scaleb(-model.places) for s in scores]
    assert again == batch.index  # exactly, unit by unit
    published = rank(score_many(provincial, provinces, CompiledEngine()))
    expected = {u.unit: u.rank for u in published.units}
    ranks = competition_ranks(scores[None, :])[0]
    assert {s.unit: int(r) for s, r in zip(provinces, ranks, strict=True)} == expected


def test_partly_applicable_criteria_need_their_applicable_share(provincial, provinces):
    """Why the re-aggregation weighs a criterion by a/m: several provinces have criteria
    that are partly not applicable, and the plain Σ w·p/a ÷ Σ w misses their index."""
    model, batch = model_of(provincial, provinces)
    partly = (model.applicable > 0) & (model.applicable < model.base[:, None] * 10**model.digits)
    assert partly.any()
    ratio = np.divide(
        model.points, model.applicable, out=np.zeros_like(model.points), where=model.applicable > 0
    )
    weights = model.base[:, None] * (model.applicable > 0)
    plain = (weights * ratio).sum(axis=0) / weights.sum(axis=0) * 100
    assert (np.round(plain, 2) != np.array([float(i) for i in batch.index])).any()


@pytest.mark.parametrize("method", ["uniform", "dirichlet"])
@pytest.mark.parametrize("level", ["field", "criterion", "both"])
def test_drawn_weights_add_up_to_the_scale_and_field_weights(provincial, provinces, method, level):
    model, _ = model_of(provincial, provinces)
    draw = model.draw(
        model.streams(3),
        500,
        method=method,
        spread=0.3,
        level=level,
        concentration=50.0,
        driver_nodes=range(len(model.fields)),
    )
    assert draw.weights.shape == (500, len(model.components))
    assert (draw.weights > 0).all()
    np.testing.assert_allclose(draw.weights.sum(axis=1), 100.0, rtol=1e-12)
    per_field = np.stack(
        [draw.weights[:, model.members(f)].sum(axis=1) for f in range(len(model.fields))], axis=1
    )
    if level == "criterion":  # fields keep their official weights
        np.testing.assert_allclose(per_field, np.broadcast_to(model.field_base, per_field.shape))
    else:
        assert per_field.std(axis=0).min() > 0
    if level == "field":  # criteria keep their official share of their field
        shares = draw.weights / per_field[:, model.field_of]
        official = model.base / model.field_base[model.field_of]
        np.testing.assert_allclose(shares, np.broadcast_to(official, shares.shape))


def test_dirichlet_draws_centre_on_the_official_weights(provincial, provinces):
    model, _ = model_of(provincial, provinces)
    draw = model.draw(
        model.streams(0),
        20000,
        method="dirichlet",
        spread=0.0,
        level="both",
        concentration=200.0,
        driver_nodes=range(len(model.fields)),
    )
    np.testing.assert_allclose(draw.weights.mean(axis=0), model.base, rtol=0.02)
    assert abs(draw.drivers.mean() - 1) < 0.01  # shares ÷ official shares


def test_spread_zero_collapses_every_interval_to_the_official_rank(provincial, provinces):
    result = sensitivity(provincial, provinces, replications=50, spread=0.0)
    published = {u.unit: u for u in rank(score_many(provincial, provinces, CompiledEngine())).units}
    assert len(result.units) == 63
    for u in result.units:
        official = published[u.unit]
        assert u.rank == official.rank
        assert u.index == official.index
        assert u.rank_median == u.rank_p05 == u.rank_p95 == u.rank_min == u.rank_max == u.rank
        assert u.changed_share == 0
    assert all(d.first_order == 0 and d.correlation == 0 for d in result.drivers)


def test_same_seed_same_json_other_seed_other_intervals(provincial, provinces):
    first = sensitivity(provincial, provinces, replications=400, seed=7)
    again = sensitivity(provincial, provinces, replications=400, seed=7)
    other = sensitivity(provincial, provinces, replications=400, seed=8)
    assert json.dumps(first.to_json()) == json.dumps(again.to_json())
    assert first.to_markdown() == again.to_markdown()

    def intervals(s):
        return [(u.unit, u.rank_p05, u.rank_p95, u.changed_share) for u in s.units]

    assert intervals(first) != intervals(other)
    assert [u.rank for u in first.units] == [u.rank for u in other.units]


def test_json_has_exactly_the_documented_shape(provincial, provinces):
    result = sensitivity(provincial, provinces, replications=300, method="dirichlet", seed=1)
    data = json.loads(json.dumps(result.to_json()))
    assert list(data) == TOP_KEYS
    assert data["methodology"] == {
        "methodology": "par-provincial",
        "ref": "par-provincial/2022",
        "commit": provincial.methodology.commit,
        "label": "876/QĐ-BNV",
    }
    assert (data["replications"], data["seed"], data["method"], data["level"]) == (
        300,
        1,
        "dirichlet",
        "both",
    )
    assert data["spread"] == 0.2 and data["concentration"] == 200.0
    assert data["policy"] == "exclude_and_normalize"
    for u in data["units"]:
        assert list(u) == UNIT_KEYS
        assert isinstance(u["index"], float | int) and isinstance(u["rank"], int)
        assert isinstance(u["rank_median"], float) and isinstance(u["rank_min"], int)
        assert 0 <= u["changed_share"] <= 1
        assert u["rank_min"] <= u["rank_p05"] <= u["rank_median"] <= u["rank_p95"] <= u["rank_max"]
    order = [(u["rank"], vietnamese_key(u["unit_name"])) for u in data["units"]]
    assert order == sorted(order)
    assert any(u["unit_name"] == "Đắk Lắk" for u in data["units"])
    assert [d["code"] for d in data["drivers"]] != []
    for d in data["drivers"]:
        assert list(d) == ["node", "code", "title", "first_order", "correlation"]
        assert 0 <= d["first_order"] <= 1 and -1 <= d["correlation"] <= 1
    firsts = [d["first_order"] for d in data["drivers"]]
    assert firsts == sorted(firsts, reverse=True)
    assert sorted(d["code"] for d in data["drivers"]) == [str(i) for i in range(1, 9)]


def test_criterion_level_reports_criteria(provincial, provinces):
    result = sensitivity(provincial, provinces, replications=200, level="criterion")
    m = provincial.methodology
    criteria = [c.code for f in m.roots() for c in m.children_of(f.id)]
    assert len(criteria) == 37  # 876/QĐ-BNV: 8 fields, 37 criteria
    assert sorted(d.code for d in result.drivers) == sorted(criteria)
    firsts = [d.first_order for d in result.drivers]
    assert firsts == sorted(firsts, reverse=True)


def test_rank_spread_matches_a_direct_computation(provincial, provinces):
    """The counted percentiles equal np.percentile over the replications' ranks."""
    result = sensitivity(provincial, provinces, replications=300, seed=5)
    model, _ = model_of(provincial, provinces)
    draw = model.draw(
        model.streams(5),
        300,
        method="uniform",
        spread=0.2,
        level="both",
        concentration=200.0,
        driver_nodes=range(8),
    )
    ranks = competition_ranks(model.scores(draw.weights))
    official = competition_ranks(model.scores(model.official))[0]
    by_unit = {u.unit: u for u in result.units}
    for j, s in enumerate(provinces):
        u = by_unit[s.unit]
        assert u.rank == official[j]
        assert u.rank_p05 == np.percentile(ranks[:, j], 5)
        assert u.rank_median == np.percentile(ranks[:, j], 50)
        assert u.rank_p95 == np.percentile(ranks[:, j], 95)
        assert (u.rank_min, u.rank_max) == (ranks[:, j].min(), ranks[:, j].max())
        assert u.changed_share == pytest.approx((ranks[:, j] != official[j]).mean(), abs=1e-12)


def test_not_ranked_units_and_mappings(provincial, provinces):
    cohort = [s for s in provinces if s.unit != "ha-noi"]
    raw = {"unit": "ha-noi", "unit_name": "Hà Nội", "period": "2022", "values": {}}
    result = sensitivity(
        provincial, [*cohort, raw], replications=100, not_ranked=["binh-duong", "bac-ninh"]
    )
    by_unit = {u.unit: u for u in result.units}
    for unit_id in ("binh-duong", "bac-ninh"):
        u = by_unit[unit_id]
        assert not u.ranked and u.complete and u.index is not None
        assert u.rank is None and u.rank_median is None and u.changed_share is None
    hanoi = by_unit["ha-noi"]
    assert hanoi.ranked and not hanoi.complete and hanoi.index is None and hanoi.rank is None
    ranked = [u for u in result.units if u.rank is not None]
    assert len(ranked) == 60
    assert all(1 <= u.rank_min <= u.rank_max <= 60 for u in ranked)
    assert [u.unit for u in result.units[-3:]] == ["bac-ninh", "binh-duong", "ha-noi"]


def test_manifest_not_ranked_units(module_store):
    program = program_for(module_store, "daklak-so@daklak-so/2022")
    subs = load_submissions(SAMPLES / "daklak-so" / "2023")
    result = sensitivity(program, subs, replications=200)
    assert result.methodology["label"] == "2854/QĐ-UBND"
    out = {u.unit for u in result.units if not u.ranked}
    assert out == {"ban-dan-toc", "thanh-tra-tinh"}
    assert all(u.rank is None for u in result.units if not u.ranked)
    assert sorted(u.rank_max for u in result.units if u.ranked)[-1] <= 16


def test_markdown_report_in_vietnamese(provincial, provinces):
    result = sensitivity(provincial, provinces, replications=200)
    text = result.to_markdown()
    assert text.startswith("# Độ nhạy của thứ hạng theo trọng số\n")
    assert "par-provincial@par-provincial/2022 (876/QĐ-BNV)" in text
    assert "Số lần lặp: 200" in text
    assert "| Hạng chính thức | Đơn vị |" in text
    first = result.units[0]
    assert f"| 1 | {first.unit_name} | {first.index} |" in text
    assert "Thành phố Hồ Chí Minh" in text and "Đắk Lắk" in text
    top = result.drivers[0]
    assert f"| {top.code} | {top.title} | {top.first_order:.3f} |" in text
    assert "## Các lĩnh vực tác động nhiều nhất đến thay đổi thứ hạng" in text


@pytest.mark.parametrize("method", ["uniform", "dirichlet"])
@pytest.mark.parametrize("level", ["field", "criterion", "both"])
def test_chunks_do_not_change_the_result(provincial, provinces, method, level):
    """A memory budget of a few replications per chunk gives the same tallies as one
    chunk: each random stream fills its rows in order."""
    model, _ = model_of(provincial, provinces)
    official = competition_ranks(model.scores(model.official))[0]
    nodes = model.criterion_drivers() if level == "criterion" else list(range(8))
    options = dict(replications=250, method=method, spread=0.3, level=level)
    whole = _simulate(model, official, nodes, **options, concentration=80.0, seed=4)
    chunked = _simulate(
        model, official, nodes, **options, concentration=80.0, seed=4, chunk_bytes=60_000
    )
    assert np.array_equal(whole.counts, chunked.counts)
    assert np.array_equal(whole.shift, chunked.shift)
    assert np.array_equal(whole.drivers, chunked.drivers)
    assert whole.counts.sum(axis=1).tolist() == [250] * 63


def test_a_run_reports_its_progress_in_chunks_and_gives_the_same_result(provincial, provinces):
    """With a callback the replications come in at least 50 chunks, each reported after
    the scoring step; the numbers only grow, end at the total, and the intervals are
    those of a run without a callback (chunks do not change the draws)."""
    heard: list[tuple[int, int]] = []
    run = sensitivity(
        provincial, provinces, replications=1000, seed=3, progress=lambda *p: heard.append(p)
    )
    assert heard[0] == (0, 1001) and heard[1] == (1, 1001) and heard[-1] == (1001, 1001)
    assert {t for _, t in heard} == {1001}
    done = [d for d, _ in heard]
    assert done == sorted(set(done)) and len(done) >= 52
    plain = sensitivity(provincial, provinces, replications=1000, seed=3)
    assert json.dumps(run.to_json()) == json.dumps(plain.to_json())
