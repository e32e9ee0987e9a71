"""A tiny methodology built in memory, for cohorts whose rank intervals can be reasoned
out by hand: scale 10, three fields.

    1   f1 (6)  ── 1.1 c11 (3) ── 1.1.1 s111 (2), 1.1.2 s112 (1, may be claimed N/A)
                └─ 1.2 c12 (3)
    2   f2 (2)  a field without children (its own component; may be claimed N/A)
    3   f3 (2)  a field without children

Every leaf scores its own input ``x_<id>`` as is (a formula), so a unit's points are
simply the values it submits.
"""

from __future__ import annotations

from typing import Any

from evaluators import Program, Submission, build_program, parse_submission
from methodology.tree import build_tree

LEAVES = ("s111", "s112", "c12", "f2", "f3")


def _leaf(node_id: str, code: str, title: str, points: str, claimable: bool = False) -> str:
    applicability = "applicability: {allow_not_applicable: true}\n" if claimable else ""
    return (
        f'---\nid: {node_id}\ncode: "{code}"\ntitle: {title}\nmax_points: {points}\n'
        f"inputs:\n  x_{node_id}: {{type: number, label: Điểm {code}, min: 0, max: {points}}}\n"
        f'scoring: {{kind: formula, expression: "x_{node_id}"}}\n'
        f"{applicability}source: {{illustrative: true}}\n---\nChấm theo điểm tự đánh giá.\n"
    )


def _branch(node_id: str, code: str, title: str, points: str) -> str:
    return (
        f'---\nid: {node_id}\ncode: "{code}"\ntitle: {title}\nmax_points: {points}\n'
        "source: {illustrative: true}\n---\nTổng điểm các tiêu chí con.\n"
    )


def files(policy: str = "exclude_and_normalize", *, f1_max: str = "6") -> dict[str, str]:
    """The methodology's files; ``f1_max`` below 6 makes f1's cap bind (an invalid
    methodology that the sensitivity analysis must still reproduce)."""
    scale = str(4 + float(f1_max)).removesuffix(".0")
    return {
        "methodology.yaml": (
            f"id: nho\ntitle: Bộ chỉ số nhỏ\nlevel: đơn vị\nscale: {scale}\n"
            f"not_applicable_policy: {policy}\nrounding: {{places: 2}}\n"
            "ranking:\n  policy: score_desc\n  not_ranked:\n"
            "    - {unit: dac-thu, name: Đơn vị đặc thù, reason: Không xếp hạng}\n"
            "decision: {number: NHO-01/2024, date: 2024-01-01}\n"
        ),
        "f1/_node.md": _branch("f1", "1", "Lĩnh vực một", f1_max),
        "f1/c11/_node.md": _branch("c11", "1.1", "Tiêu chí một", "3"),
        "f1/c11/s111.md": _leaf("s111", "1.1.1", "Thành phần một", "2"),
        "f1/c11/s112.md": _leaf("s112", "1.1.2", "Thành phần hai", "1", claimable=True),
        "f1/c12.md": _leaf("c12", "1.2", "Tiêu chí hai", "3"),
        "f2.md": _leaf("f2", "2", "Lĩnh vực hai", "2", claimable=True),
        "f3.md": _leaf("f3", "3", "Lĩnh vực ba", "2"),
    }


def program(policy: str = "exclude_and_normalize", *, f1_max: str = "6") -> Program:
    content = files(policy, f1_max=f1_max)
    m = build_tree("nho", {k: k for k in content}, lambda k: content[k].encode("utf-8"))
    errors = [str(p) for p in m.problems if p.severity == "error"]
    assert not errors, errors
    return build_program(m)


def unit(
    unit_id: str, name: str, points: dict[str, float], not_applicable: tuple[str, ...] = ()
) -> Submission:
    """A submission with the given points per leaf (leaves not named score 0)."""
    data: dict[str, Any] = {
        "unit": unit_id,
        "unit_name": name,
        "period": "2024",
        "values": {f"x_{leaf}": points.get(leaf, 0) for leaf in LEAVES},
    }
    if not_applicable:
        data["not_applicable"] = {n: "không phát sinh" for n in not_applicable}
    return parse_submission(data)
