"""Index shapes and cohorts for the scoring benchmarks (and the tests that need a large
index): a synthetic index whose every criterion has its own ladder, of any size, and
submission dicts for it written as real files are (some criteria claimed "không phát
sinh", evidence with Vietnamese titles).

Each criterion ``t<f>-<c>`` has one ratio input ``ty_le_<f>_<c>`` and three tiers with
thresholds of its own — ``≥ high`` → ``top``, ``≥ low`` → ``middle``, otherwise 0 — so
no two criteria share a rule (durable-rules cannot share one class between them). Every
criterion allows a claim; a claimed criterion is left out of the applicable maximum
(the manifest's policy, exclude and normalise).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from evaluators import Program, build_program
from methodology.tree import build_tree

__all__ = ["Ladder", "claims_share", "cohort", "ladder_index"]

MANIFEST = "id: {id}\ntitle: Chỉ số thử {leaves} tiêu chí\nlevel: tỉnh\nscale: 100\n"


@dataclass(frozen=True)
class Ladder:
    """One criterion as the plain loop and the peers see it."""

    leaf: str
    input: str
    high: float
    low: float
    top: float
    middle: float


def ladder_index(leaves: int, *, fields: int = 10, seed: int = 7) -> tuple[Program, list[Ladder]]:
    """A methodology of ``leaves`` criteria in ``fields`` fields, each with its own ladder."""
    rng = random.Random(seed)
    files = {"methodology.yaml": MANIFEST.format(id=f"ladders-{leaves}", leaves=leaves)}
    ladders: list[Ladder] = []
    per_field = [leaves // fields + (f < leaves % fields) for f in range(fields)]
    for f, count in enumerate(per_field, start=1):
        if not count:
            continue
        files[f"f{f}/_node.md"] = (
            f'---\nid: f{f}\ncode: "{f}"\ntitle: Lĩnh vực {f}\nmax_points: {count}\n---\n'
        )
        for c in range(1, count + 1):
            x = f"ty_le_{f}_{c}"
            high = rng.randrange(70, 100) / 100
            low = rng.randrange(30, int(high * 100) - 5) / 100
            middle = rng.choice((0.25, 0.5, 0.75))
            ladder = Ladder(f"t{f}-{c}", x, high, low, 1.0, middle)
            ladders.append(ladder)
            files[f"f{f}/t{f}-{c}.md"] = (
                f'---\nid: t{f}-{c}\ncode: "{f}.{c}"\ntitle: Tiêu chí {f}.{c}\nmax_points: 1\n'
                f"inputs:\n  {x}: {{type: ratio, label: Tỷ lệ hoàn thành {f}.{c}}}\n"
                "scoring:\n  kind: tiers\n  tiers:\n"
                f"    - {{when: {x} >= {high * 100:.0f}%, points: 1}}\n"
                f"    - {{when: {x} >= {low * 100:.0f}%, points: {middle}}}\n"
                "    - {otherwise: true, points: 0}\n"
                "applicability: {allow_not_applicable: true}\n"
                "source: {illustrative: true}\n"
                f"---\nHướng dẫn chấm tiêu chí {f}.{c}.\n"
            )
    m = build_tree(f"ladders-{leaves}", {p: p for p in files}, lambda p: files[p].encode())
    assert not [p for p in m.problems if p.severity == "error"], m.problems
    program = build_program(m)
    assert len(program.leaves) == leaves
    return program, ladders


def cohort(
    ladders: list[Ladder], n: int, *, claimed: float = 0.05, seed: int = 2024
) -> list[dict[str, Any]]:
    """``n`` submission dicts: values with three decimals (one in ten on a threshold),
    a share ``claimed`` of the criteria claimed "không phát sinh" (their value left out,
    as the forms leave it), and an evidence file per field."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        values: dict[str, float] = {}
        claims: dict[str, str] = {}
        for lad in ladders:
            if rng.random() < claimed:
                claims[lad.leaf] = "Không phát sinh trong kỳ đánh giá"
                continue
            r = rng.random()
            if r < 0.1:
                values[lad.input] = lad.high if r < 0.05 else lad.low
            else:
                values[lad.input] = min(1000, max(0, round(rng.gauss(750, 150)))) / 1000
        evidence = {
            lad.leaf: [
                {"title": f"Báo cáo kết quả thực hiện {lad.leaf}", "file": f"{lad.leaf}.pdf"}
            ]
            for lad in ladders[:: max(1, len(ladders) // 10)]
        }
        data: dict[str, Any] = {
            "unit": f"don-vi-{i:06d}",
            "unit_name": f"Đơn vị số {i}",
            "period": "2024",
            "values": values,
            "evidence": evidence,
        }
        if claims:
            data["not_applicable"] = claims
        out.append(data)
    return out


def claims_share(subs: list[dict[str, Any]], ladders: list[Ladder]) -> float:
    """The share of criteria claimed in ``subs``."""
    claimed = sum(len(s.get("not_applicable", ())) for s in subs)
    return claimed / (len(subs) * len(ladders)) if subs else 0.0
