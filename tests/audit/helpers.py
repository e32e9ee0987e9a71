"""A methodology for the audit and trend tests where a unit can have every node not
applicable: one field, not applicable to a unit without administrative procedures."""

from __future__ import annotations

from pathlib import Path

from evaluators import Program, Submission, build_program, parse_submission
from methodology import load_directory

_FILES = {
    "methodology.yaml": (
        "id: thu-nghiem\ntitle: Bộ chỉ số thử nghiệm\nlevel: tỉnh\nscale: 10\n"
        "not_applicable_policy: exclude_and_normalize\nrounding: {places: 2}\n"
        "facts:\n  co_tthc: {type: bool, label: Đơn vị có thủ tục hành chính}\n"
    ),
    "linh-vuc/_node.md": (
        "---\nid: linh-vuc\ncode: '1'\ntitle: Lĩnh vực\nmax_points: 10\n"
        "applicability: {not_applicable_when: not co_tthc}\n---\n"
    ),
    "linh-vuc/bao-cao.md": (
        "---\nid: bao-cao\ncode: '1.1'\ntitle: Báo cáo đúng hạn\nmax_points: 10\n"
        "inputs:\n  bao_cao: {type: bool, label: Báo cáo}\n"
        "scoring: {kind: boolean, when: bao_cao}\n---\n"
    ),
}


def field_not_applicable_without_procedures(folder: Path) -> Program:
    for name, text in _FILES.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    m = load_directory(folder)
    assert m.problems == []
    return build_program(m)


def units(period: str, reports: dict[str, bool | None]) -> list[Submission]:
    """A submission per unit: a report (True/False), or None for a unit without
    administrative procedures (then its one field is not applicable)."""
    return [
        parse_submission(
            {
                "unit": unit,
                "period": period,
                "facts": {"co_tthc": report is not None},
                "values": {} if report is None else {"bao_cao": report},
            }
        )
        for unit, report in reports.items()
    ]
