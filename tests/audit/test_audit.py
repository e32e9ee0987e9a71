"""Audits across versions: exact attribution, lineage mapping, incomplete units, ranks."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evaluators import CompiledEngine, build_program, load_submissions, parse_submission
from evaluators.analysis.audit import audit
from evaluators.scoring.plan import score, score_many
from evaluators.scoring.ranking import competition_ranks
from methodology import load_directory, open_methodology
from methodology.catalog import bundled_root
from tests.audit.helpers import field_not_applicable_without_procedures, units
from tests.golden_plugin import _submission

SAMPLES = bundled_root() / "submissions" / "par-provincial"
CASES = bundled_root() / "cases"


def _program(store, spec: str, policy: str | None = None):
    m = open_methodology(store, spec)
    if policy:
        m = dataclasses.replace(
            m, manifest=dataclasses.replace(m.manifest, not_applicable_policy=policy)
        )
    return build_program(m)


def _sums_exactly(result) -> None:
    for u in result.units:
        if u.complete:
            assert sum((e.amount for e in u.attribution), Decimal(0)) == u.delta, u.unit


@pytest.fixture(scope="module")
def provinces(template_store):
    from methodology import Store

    store = Store.open(template_store)
    a = build_program(open_methodology(store, "par-provincial@par-provincial/2019"))
    b = build_program(open_methodology(store, "par-provincial@par-provincial/2022"))
    return a, b, load_submissions(SAMPLES / "2021"), load_submissions(SAMPLES / "2022")


def test_provinces_2019_to_2022_every_unit_sums_exactly_and_matches_the_scalar_engine(
    provinces,
):
    a, b, s21, s22 = provinces
    result = audit(a, b, s21, fill={s.unit: s for s in s22})
    assert len(result.units) == 63 and all(u.complete for u in result.units)
    _sums_exactly(result)
    # The vectorised scores agree with score_many on the very submissions audited.
    from evaluators.analysis.attribution import VersionPair

    pair = VersionPair(a, b)
    projected = []
    for sub in s21:
        on_b, _ = pair.project(sub, "b")
        on_b, _ = pair.fill(on_b, next(s for s in s22 if s.unit == sub.unit), "b")
        projected.append(on_b)
    scalar = {r.unit: r for r in score_many(b, projected, CompiledEngine())}
    for u in result.units:
        assert u.index_to == scalar[u.unit].index
    assert {u.unit: u.rank_to for u in result.units} == competition_ranks(
        {unit: r.index for unit, r in scalar.items()}
    )
    hcm = result.unit("tp-ho-chi-minh")
    assert hcm.rank_change == hcm.rank_from - hcm.rank_to
    causes = {e.cause for e in hcm.attribution}
    assert {"removed", "added", "reweighted", "renamed", "moved"} <= causes
    # Renamed and moved nodes are listed with no effect.
    assert all(e.amount == 0 for e in hcm.attribution if e.cause in ("renamed", "moved"))
    # A removed node is named by the older version's code and title.
    removed = next(e for e in hcm.attribution if e.node == "nhap-dang-tai-tthc-csdlqg")
    assert removed.cause == "removed" and removed.code == "3.8"


def test_inputs_the_newer_version_needs_make_units_incomplete_never_zero(provinces):
    a, b, s21, _ = provinces
    result = audit(a, b, s21[:5])
    for u in result.units:
        assert not u.complete
        assert u.delta is None and u.rank_to is None and u.attribution == []
        assert u.index_from is not None  # still complete under its own version
        paths = {m["path"] for m in u.missing if m["version"] == "to"}
        assert "$.values.so_cuoc_doi_thoai_lanh_dao_tinh" in paths
        message = next(
            m["message"] for m in u.missing if m["path"].endswith("so_cuoc_doi_thoai_lanh_dao_tinh")
        )
        assert "Số cuộc đối thoại" in message and "1.7" in message
    data = result.to_json()
    assert data["summary"] == {
        "units": 5,
        "complete": 0,
        "incomplete": 5,
        "skipped": 0,
        "by_cause": {},
    }


def test_the_json_document_has_the_issue_keys(provinces):
    a, b, s21, s22 = provinces
    data = audit(a, b, s21[:3], fill={s.unit: s for s in s22}).to_json()
    assert {"from", "to", "units"} <= set(data)
    assert {"methodology", "ref", "commit"} <= set(data["from"])
    unit = data["units"][0]
    for key in (
        "unit",
        "total_from",
        "total_to",
        "index_from",
        "index_to",
        "delta",
        "rank_from",
        "rank_to",
        "attribution",
    ):
        assert key in unit
    assert set(unit["attribution"][0]) >= {"cause", "node", "amount"}
    assert unit["filled"] and all(f["period"] == "2022" for f in unit["filled"])


def _golden_cases():
    for path in sorted(CASES.glob("*.yaml")):
        for case in yaml.safe_load(path.read_text(encoding="utf-8")):
            yield pytest.param(case, id=case["name"])


@pytest.mark.parametrize("case", list(_golden_cases()))
def test_every_golden_case_attributes_exactly_across_versions_and_policies(case, template_store):
    """Each golden case's submission, audited from its version to every other release
    of the same methodology and to the same version under each other N/A policy."""
    from methodology import Store

    store = Store.open(template_store)
    spec = case["methodology"]
    sub = parse_submission(_submission(case["submission"], CASES))
    if spec.startswith("./"):
        m = load_directory(CASES / spec[2:], store=store)
        versions = [m]
    else:
        m = open_methodology(store, spec)
        versions = [open_methodology(store, f"{m.name}@{r.tag}") for r in store.releases(m.name)]
    if case.get("policy"):
        m = dataclasses.replace(
            m, manifest=dataclasses.replace(m.manifest, not_applicable_policy=case["policy"])
        )
    own = build_program(m)
    others = [build_program(v) for v in versions if v.commit != m.commit]
    for policy in ("exclude_and_normalize", "count_as_zero", "count_as_full"):
        if policy != m.manifest.not_applicable_policy:
            variant = dataclasses.replace(
                m, manifest=dataclasses.replace(m.manifest, not_applicable_policy=policy)
            )
            others.append(build_program(variant))
    checked = 0
    for other in others:
        for a, b in ((own, other), (other, own)):
            result = audit(a, b, [sub])
            _sums_exactly(result)
            checked += sum(u.complete for u in result.units)
    same = audit(own, own, [sub]).units[0]
    if same.complete:
        assert same.delta == 0 and all(e.amount == 0 for e in same.attribution)
    expected_complete = score(own, sub, CompiledEngine()).complete
    assert checked > 0 or not expected_complete


_VI_DU_VALUES = {
    "thoi_diem_ban_hanh": st.sampled_from(["dung_han", "tre_han", "khong_ban_hanh"]),
    "du_nhiem_vu_va_kinh_phi": st.booleans(),
    "ket_qua_ro_rang": st.booleans(),
    "ty_le_hoan_thanh_ke_hoach": st.decimals(0, 1, places=3),
    "bao_cao_du_va_dung_han": st.booleans(),
    "ty_le_dung_han": st.decimals(0, 1, places=4),
    "ty_le_phan_anh_duoc_xu_ly": st.decimals(0, 1, places=2),
}


@st.composite
def _vi_du_submissions(draw):
    subs = []
    for i in range(draw(st.integers(1, 4))):
        values = {k: draw(s) for k, s in _VI_DU_VALUES.items()}
        total = draw(st.integers(1, 60))
        values |= {
            "tong_so_don_vi": total,
            "so_don_vi_duoc_kiem_tra": draw(st.integers(0, total)),
            "tong_so_ho_so": total,
            "so_ho_so_truc_tuyen": draw(st.integers(0, total)),
        }
        values = {k: float(v) if isinstance(v, Decimal) else v for k, v in values.items()}
        data = {
            "unit": f"don-vi-{i}",
            "period": "2014",
            "facts": {"co_thu_tuc_hanh_chinh": draw(st.booleans())},
            "values": values,
            "survey": {"hai-long-xu-ly": float(draw(st.decimals(0, 2, places=2)))},
            "appraisal": {
                "chat-luong-bao-cao": {"points": float(draw(st.decimals(0, 1, places=1)))}
            },
        }
        if draw(st.booleans()):
            data["not_applicable"] = {"xu-ly-phan-anh": "không phát sinh"}
        subs.append(parse_submission(data))
    return subs


@pytest.fixture(scope="module")
def vi_du(template_store):
    from methodology import Store

    store = Store.open(template_store)
    return [
        _program(store, "vi-du@vi-du/2013"),
        _program(store, "vi-du@vi-du/2014"),
        _program(store, "vi-du@vi-du/2014", "count_as_full"),
        _program(store, "vi-du@vi-du/2013", "count_as_zero"),
    ]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(subs=_vi_du_submissions(), pair=st.sampled_from([(0, 1), (1, 0), (0, 2), (3, 1), (2, 3)]))
def test_property_amounts_always_sum_to_the_delta(vi_du, subs, pair):
    a, b = vi_du[pair[0]], vi_du[pair[1]]
    result = audit(a, b, subs)
    _sums_exactly(result)
    for u in result.units:
        if u.complete:
            # Every amount is a multiple of the report quantum (4 decimals here).
            assert all(e.amount == e.amount.quantize(Decimal("0.0001")) for e in u.attribution)


def _write(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder


_MANIFEST = """id: thu-nghiem
title: Bộ chỉ số thử nghiệm
level: tỉnh
scale: 10
not_applicable_policy: exclude_and_normalize
rounding: {places: 2}
"""


def test_inputs_follow_replaces_and_renamed_input_ids(tmp_path):
    """A node replaced under a new id, with its input renamed, still receives the
    value the old version's submission gave."""
    old = _write(
        tmp_path / "old",
        {
            "methodology.yaml": _MANIFEST,
            "linh-vuc/_node.md": "---\nid: linh-vuc\ncode: '1'\ntitle: Lĩnh vực\nmax_points: 10\n---\n",
            "linh-vuc/ty-le-cu.md": (
                "---\nid: ty-le-cu\ncode: '1.1'\ntitle: Tỷ lệ hồ sơ đúng hạn\nmax_points: 4\n"
                "inputs:\n  ty_le_cu: {type: ratio, label: Tỷ lệ}\nscoring: {kind: linear, of: ty_le_cu, "
                "thresholds: [{at: 0%, points: 0}, {at: 100%, points: 4}]}\n---\n"
            ),
            "linh-vuc/bao-cao.md": (
                "---\nid: bao-cao\ncode: '1.2'\ntitle: Báo cáo đúng hạn\nmax_points: 6\n"
                "inputs:\n  bao_cao: {type: bool, label: Báo cáo}\nscoring: {kind: boolean, when: bao_cao}\n---\n"
            ),
        },
    )
    new = _write(
        tmp_path / "new",
        {
            "methodology.yaml": _MANIFEST,
            "linh-vuc/_node.md": "---\nid: linh-vuc\ncode: '1'\ntitle: Lĩnh vực\nmax_points: 10\n---\n",
            "linh-vuc/ty-le-moi.md": (
                "---\nid: ty-le-moi\ncode: '1.1'\ntitle: Tỷ lệ hồ sơ giải quyết đúng hạn\n"
                "max_points: 4\nreplaces: [ty-le-cu]\n"
                "inputs:\n  ty_le_moi: {type: ratio, label: Tỷ lệ}\nscoring: {kind: linear, of: ty_le_moi, "
                "thresholds: [{at: 0%, points: 0}, {at: 100%, points: 4}]}\n---\n"
            ),
            "linh-vuc/bao-cao.md": (
                "---\nid: bao-cao\ncode: '1.2'\ntitle: Báo cáo đúng hạn\nmax_points: 6\n"
                "inputs:\n  bao_cao: {type: bool, label: Báo cáo}\nscoring: {kind: boolean, when: bao_cao}\n---\n"
            ),
        },
    )
    ma, mb = load_directory(old), load_directory(new)
    assert ma.problems == [] and mb.problems == []
    a, b = build_program(ma), build_program(mb)
    sub = parse_submission(
        {"unit": "x", "period": "2024", "values": {"ty_le_cu": 0.5, "bao_cao": True}}
    )
    u = audit(a, b, [sub]).units[0]
    assert u.complete, u.missing
    assert u.index_from == u.index_to == Decimal("8.00")
    assert u.delta == 0
    assert [(e.cause, e.node, e.amount) for e in u.attribution] == [
        ("renamed", "ty-le-moi", Decimal(0))
    ]


def test_a_unit_with_every_node_not_applicable_has_no_index_and_takes_no_rank(tmp_path):
    """Under exclude_and_normalize a unit whose every node is not applicable is complete
    but has no index: it takes no place, as in `rank`, and the others are still ranked."""
    program = field_not_applicable_without_procedures(tmp_path)
    subs = units("2024", {"co": True, "khong": None, "cung-co": False})
    result = audit(program, program, subs)
    khong = result.unit("khong")
    assert khong.complete and khong.index_from is None and khong.index_to is None
    assert khong.rank_from is None and khong.rank_to is None and khong.delta is None
    assert {u.unit: u.rank_to for u in result.units} == {"co": 1, "cung-co": 2, "khong": None}


def test_an_audit_reports_its_progress_step_by_step_to_the_end(provinces):
    """63 provinces: 2 × 63 + 2 steps, told in order from 0 to the total, and the
    result is the one without a callback."""
    a, b, s21, s22 = provinces
    heard: list[tuple[int, int]] = []
    result = audit(a, b, s21, fill={s.unit: s for s in s22}, progress=lambda *p: heard.append(p))
    total = 2 * len(s21) + 2
    assert heard == [(done, total) for done in range(total + 1)]
    plain = audit(a, b, s21, fill={s.unit: s for s in s22})
    assert result.to_json() == plain.to_json()
