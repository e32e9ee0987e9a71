"""Methodologies and submissions for the engine tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from evaluators import Program, Submission, build_program, parse_submission
from methodology.tree import build_tree
from methodology.versions import load_directory

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
