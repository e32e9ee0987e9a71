"""Methodologies and submissions for the engine tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from evaluators import Program, Submission, build_program, load_submissions, parse_submission
from evaluators.engines.vector.batch import Batch
from methodology.tree import build_tree
from methodology.versions import load_directory, open_methodology

VI_DU = Path(__file__).resolve().parents[2] / "methodology" / "bundled" / "vi-du" / "2014"


def vi_du() -> Program:
    return build_program(load_directory(VI_DU))


def vi_du_with(overrides: dict[str, str]) -> Program:
    """vi-du with some files replaced ({path relative to the folder: text})."""
    files = {
        p.relative_to(VI_DU).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(VI_DU.rglob("*"))
        if p.is_file()
    }
    files.update(overrides)
    m = build_tree("vi-du", {k: k for k in files}, lambda k: files[k].encode("utf-8"))
    errors = [str(p) for p in m.problems if p.severity == "error"]
    assert not errors, errors
    return build_program(m)


FULL_VALUES: dict[str, Any] = {
    "thoi_diem_ban_hanh": "tre_han",
    "du_nhiem_vu_va_kinh_phi": True,
    "ket_qua_ro_rang": False,
    "ty_le_hoan_thanh_ke_hoach": 0.8,
    "bao_cao_du_va_dung_han": True,
    "so_don_vi_duoc_kiem_tra": 3,
    "tong_so_don_vi": 4,
    "ty_le_dung_han": 0.95,
    "ty_le_phan_anh_duoc_xu_ly": 0.7,
    "so_ho_so_truc_tuyen": 5,
    "tong_so_ho_so": 10,
}


def submission(**changes: Any) -> Submission:
    """A complete vi-du submission; keyword arguments replace top-level keys, and
    ``values`` entries are merged into the full set (``None`` removes one)."""
    data: dict[str, Any] = {
        "unit": "so-noi-vu",
        "period": "2024",
        "values": dict(FULL_VALUES),
        "facts": {"co_thu_tuc_hanh_chinh": True},
        "survey": {"hai-long-xu-ly": 1.5},
    }
    for key, value in changes.items():
        if key == "values":
            for name, v in value.items():
                if v is None:
                    data["values"].pop(name, None)
                else:
                    data["values"][name] = v
        else:
            data[key] = value
    return parse_submission(data)


SAMPLES = (
    Path(__file__).resolve().parents[2] / "methodology/bundled/submissions/par-provincial/2022"
)


def assert_same(batch: Batch, expected, *, self_assessed: bool = True) -> None:
    assert len(batch) == len(expected)
    for i, r in enumerate(expected):
        where = f"row {i} ({r.unit})"
        assert batch.units[i] == r.unit, where
        assert batch.total[i] == r.total, where
        assert batch.applicable_max[i] == r.applicable_max, where
        assert batch.index[i] == r.index, where
        if self_assessed:
            assert batch.self_total[i] == r.self_total, where
            assert batch.self_index[i] == r.self_index, where
        assert bool(batch.complete[i]) == r.complete, (where, r.problems)
        for node in r.walk():
            assert batch.points(node.id)[i] == node.points, (where, node.id)
            assert batch.status(node.id)[i] == node.status, (where, node.id)
        assert batch.node_points(i) == {n.id: n.points for n in r.walk()}, where


def bundled_provincial(store):
    """The 876 provincial program and the 63 provinces' bundled sample submissions."""
    program = build_program(open_methodology(store, "par-provincial@par-provincial/2022"))
    subs = load_submissions(SAMPLES)
    assert len(subs) == 63
    return program, subs
