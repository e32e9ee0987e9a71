"""How results are shown: the JSON document of `parindex evaluate` and a text table."""

from __future__ import annotations

from typing import Any

from evaluators.result import NodeResult, Result
from methodology import to_json_value as _num

__all__ = ["analysis_text", "evaluation_json", "evaluation_text"]

_NODE_KEYS = ("id", "code", "points", "max_points", "applicable_max", "status", "rule")


def evaluation_json(result: Result, *, explain: bool = False) -> dict[str, Any]:
    """The stable document: totals, hash, and every node in display order (flat)."""
    full = result.to_json(explain=True)
    nodes = []
    for node in result.walk():
        data = node.to_json(explain=explain)
        data.pop("children", None)
        if not explain:
            data = {k: data[k] for k in _NODE_KEYS}
        nodes.append(data)
    keys = (
        "unit",
        "unit_name",
        "period",
        "methodology",
        "ref",
        "commit",
        "engine",
        "policy",
        "total",
        "applicable_max",
        "index",
        "self_assessed",
        "differences",
        "complete",
        "problems",
        "result_hash",
    )
    return {**{k: full[k] for k in keys}, "nodes": nodes}


def evaluation_text(result: Result, *, explain: bool = False) -> str:
    head = f"{result.unit_name or result.unit} · {result.period} · {result.methodology}"
    if result.commit:
        head += f"@{result.ref or ''} ({result.commit[:10]})"
    lines = [head]
    for node, depth in _with_depth(result.nodes):
        lines.append(_line(node, depth=depth, explain=explain))
    index = "—" if result.index is None else f"{result.index}"
    total = "—" if result.total is None else f"{result.total}"
    lines.append(
        f"tổng {total} / {result.applicable_max} áp dụng · chỉ số {index} ({result.policy})"
    )
    if result.self_total != result.total:
        lines.append(f"tự đánh giá {result.self_total} → thẩm định {result.total}")
    for problem in result.problems:
        lines.append(f"  ! {problem['path']}: {problem['message']}")
    lines.append(f"result {result.result_hash[:16]}")
    return "\n".join(lines)


def _with_depth(nodes: list[NodeResult], depth: int = 0):
    for node in nodes:
        yield node, depth
        yield from _with_depth(node.children, depth + 1)


def _line(node: NodeResult, *, depth: int, explain: bool) -> str:
    points = "—" if node.points is None else str(_num(node.points))
    text = (
        f"{'  ' * depth}{node.code:<8} {points:>6} / {_num(node.max_points):<5} {node.status:<15}"
    )
    if node.rule:
        text += f" {node.rule}"
    if node.reason and node.status != "scored":
        text += f" — {node.reason}"
    if explain and node.values:
        text += (
            "  ["
            + ", ".join(
                f"{k}={_num(v) if hasattr(v, 'quantize') else v}" for k, v in node.values.items()
            )
            + "]"
        )
    return text


def analysis_text(analysis: Any) -> str:
    """An audit, trend or sensitivity run as plain text for a terminal."""
    from evaluators.analysis.audit import Audit, audit_text
    from evaluators.analysis.trend import Trend, trend_text

    if isinstance(analysis, Audit):
        return audit_text(analysis)
    if isinstance(analysis, Trend):
        return trend_text(analysis)
    return analysis.to_markdown()
