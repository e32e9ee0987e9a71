"""Charts for auditors: how ranks move between two methodology versions, what changed one
unit's score, and how fragile a ranking is when the weights move.

The charts read the plain JSON dicts of a version audit (or a trend) and of a
weight-sensitivity run, skip units without scores (incomplete or not ranked), and label
everything in Vietnamese. ``render`` turns a chart into byte-identical SVG or PNG for the
same input, so a rendered chart can be hashed, cached and attached to an audit record;
``write_charts`` writes all the charts of one analysis for `parindex … --charts`.

matplotlib is imported inside the functions: importing ``evaluators`` must stay fast for
the CLI and the API, which draw only on request. Figures are built without pyplot, on
the Agg canvas, so no global figure registry or interactive backend is involved.
"""

from __future__ import annotations

import contextlib
import math
import sys
import textwrap
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from evaluators.analysis.labels import vn
from evaluators.errors import EvaluatorError
from evaluators.scoring.ranking import vietnamese_key
from methodology import cause_label, cause_order
from rules import decimal_places

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "rank_interval_chart",
    "ranking_chart",
    "render",
    "slope_chart",
    "waterfall_chart",
    "write_charts",
]


FORMATS = ("svg", "png")

# Units that moved most, per direction, drawn in colour on the slope chart.
MOVERS = 5

_METHOD_LABELS = {
    "uniform": "phân phối đều",
    "normal": "phân phối chuẩn",
    "dirichlet": "phân phối Dirichlet",
}

_FONT = "DejaVu Sans"
_RC: dict[str, Any] = {
    # matplotlib finds its own DejaVu Sans before any system copy; it covers the whole
    # Vietnamese alphabet, precomposed letters included.
    "font.family": "sans-serif",
    "font.sans-serif": [_FONT],
    "font.size": 9,
    "axes.unicode_minus": True,
    # Glyph outlines instead of <text>: the diacritics look the same in every viewer,
    # whatever fonts it has.
    "svg.fonttype": "path",
    # Without a fixed salt, SVG clip-path and glyph ids change from run to run.
    "svg.hashsalt": "parindex-charts",
}

_UP = "#1b7f3b"
_DOWN = "#c62828"
_GREY = "#b7bec6"
_INK = "#263238"
_MUTED = "#5f6b73"
_BAR = "#546e7a"
_BAND = "#90caf9"

_TITLE_PT = 13
_SUBTITLE_PT = 9.5
_LABEL_PT = 8


def slope_chart(audit: Mapping[str, Any]) -> Figure:
    """Rank changes between the two versions of an audit, one line per unit.

    The left axis holds ``rank_from``, the right ``rank_to``, rank 1 at the top; each
    line is labelled with the unit's name on both sides. The units that moved most (up
    to five up, five down) are drawn in colour, the others in grey. Units that are not
    complete and ranked in both versions are left out. Each unit's line carries the unit
    id as its label. The figure grows with the number of units.
    """
    with _style():
        from matplotlib.lines import Line2D

        rows = [
            u
            for u in audit.get("units") or []
            if u.get("complete")
            and u.get("ranked")
            and u.get("rank_from") is not None
            and u.get("rank_to") is not None
        ]
        v_from, v_to = audit.get("from") or {}, audit.get("to") or {}
        title = "Thay đổi thứ hạng giữa hai phiên bản bộ chỉ số"
        subtitle = f"Từ {_version(v_from)} đến {_version(v_to)} · {len(rows)} đơn vị xếp hạng"

        def change(u: Mapping[str, Any]) -> int:
            value = u.get("rank_change")
            return int(value) if value is not None else int(u["rank_from"]) - int(u["rank_to"])

        up = sorted(
            (u for u in rows if change(u) > 0),
            key=lambda u: (-change(u), u["rank_to"], _sort_name(u)),
        )[:MOVERS]
        down = sorted(
            (u for u in rows if change(u) < 0),
            key=lambda u: (change(u), u["rank_to"], _sort_name(u)),
        )[:MOVERS]
        colour = {u["unit"]: _UP for u in up} | {u["unit"]: _DOWN for u in down}

        # Ties share a rank, so lines end at the unit's place in the order (equal to its
        # rank when there is no tie) and the labels still never overlap.
        left = {
            u["unit"]: i + 1
            for i, u in enumerate(sorted(rows, key=lambda u: (u["rank_from"], _sort_name(u))))
        }
        right = {
            u["unit"]: i + 1
            for i, u in enumerate(sorted(rows, key=lambda u: (u["rank_to"], _sort_name(u))))
        }
        left_text = {u["unit"]: f"{u['rank_from']}. {_name(u)}" for u in rows}
        right_text = {
            u["unit"]: f"{u['rank_to']}. {_name(u)}"
            + (f"  ({_signed_int(change(u))})" if u["unit"] in colour else "")
            for u in rows
        }

        n = max(len(rows), 1)
        row_in, top_in, bottom_in, side_in, centre_in, gap_in = 0.2, 1.35, 0.6, 0.3, 3.0, 0.12
        left_in = _width_in(left_text.values(), _LABEL_PT, bold=True) + gap_in
        right_in = _width_in(right_text.values(), _LABEL_PT, bold=True) + gap_in
        width = max(
            8.0,
            2 * side_in + left_in + centre_in + right_in,
            _width_in([title], _TITLE_PT, bold=True) + 2 * side_in,
            _width_in([subtitle], _SUBTITLE_PT) + 2 * side_in,
        )
        height = top_in + n * row_in + bottom_in
        fig = _figure(width, height)
        width, height = (float(x) for x in fig.get_size_inches())
        # Centre the slope area and both label columns, whatever the title width added.
        x0 = (width - (left_in + centre_in + right_in)) / 2 + left_in
        ax = fig.add_axes((x0 / width, bottom_in / height, centre_in / width, n * row_in / height))
        ax.set_xlim(0, 1)
        ax.set_ylim(n + 0.5, 0.5)
        ax.set_axis_off()
        _titles(fig, title, subtitle, width, height)

        if not rows:
            ax.text(
                0.5,
                0.5,
                "Không có đơn vị nào được xếp hạng ở cả hai phiên bản",
                ha="center",
                va="center",
                color=_MUTED,
                transform=ax.transAxes,
            )
            return fig

        for x in (0, 1):
            ax.plot([x, x], [0.5, n + 0.5], color=_INK, linewidth=1.0, zorder=1)
        headers = ((0, f"Thứ hạng theo\n{_short(v_from)}"), (1, f"Thứ hạng theo\n{_short(v_to)}"))
        for x, text in headers:
            ax.annotate(
                _nfc(text),
                (x, 0.5),
                xytext=(0, 6),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=9,
                fontweight="bold",
                color=_INK,
                annotation_clip=False,
            )
        # Grey lines first so coloured movers are never hidden behind them.
        for u in sorted(rows, key=lambda u: (u["unit"] in colour, left[u["unit"]])):
            unit = u["unit"]
            hue = colour.get(unit)
            y0, y1 = left[unit], right[unit]
            (line,) = ax.plot(
                [0, 1],
                [y0, y1],
                color=hue or _GREY,
                linewidth=2.2 if hue else 0.9,
                marker="o",
                markersize=3.5 if hue else 2.5,
                zorder=3 if hue else 2,
                solid_capstyle="round",
            )
            line.set_label(unit)
            style: dict[str, Any] = {
                "fontsize": _LABEL_PT,
                "va": "center",
                "color": hue or _INK,
                "fontweight": "bold" if hue else "normal",
                "clip_on": False,
                "parse_math": False,
            }
            ax.text(-0.04, y0, _nfc(left_text[unit]), ha="right", **style)
            ax.text(1.04, y1, _nfc(right_text[unit]), ha="left", **style)

        handles = [
            Line2D(
                [], [], color=_UP, linewidth=2.2, label=f"Tăng hạng nhiều nhất (tối đa {MOVERS})"
            ),
            Line2D(
                [], [], color=_DOWN, linewidth=2.2, label=f"Giảm hạng nhiều nhất (tối đa {MOVERS})"
            ),
            Line2D([], [], color=_GREY, linewidth=0.9, label="Các đơn vị khác"),
        ]
        _legend(fig, handles, width, 0.1)
        return fig


def waterfall_chart(
    unit: Mapping[str, Any], *, start_label: str, end_label: str, top: int = 8
) -> Figure:
    """One unit's score change by cause, from ``index_from`` to ``index_to``.

    The first bar stands at ``index_from`` (``start_label``), then one floating bar per
    step, then a last bar at ``index_to`` (``end_label``). The ``top`` attribution entries
    of largest absolute amount get their own bar ("<cause> <code>"); the others are summed
    per cause ("<cause> (khác)", or the entry's own label when it is alone); zero amounts
    are skipped. If the attribution does not add up to the change, a grey "Chênh lệch
    chưa phân bổ" bar shows the remainder, so the bars always close. Gains are green,
    losses red. The axes hold three bar containers, in order: start, steps, end; a
    step's signed height is its amount.

    Raises ``ValueError`` when the unit has no index in one of the versions.
    """
    if unit.get("index_from") is None or unit.get("index_to") is None:
        raise ValueError(
            f"{unit.get('unit', '?')}: no index in both versions (incomplete), nothing to chart"
        )
    if top < 0:
        raise ValueError(f"top must be 0 or more, not {top}")
    start, end = _dec(unit["index_from"]), _dec(unit["index_to"])
    steps = _steps(unit.get("attribution") or [], top)
    rest = end - start - sum((amount for _, amount, _ in steps), Decimal(0))
    if rest != 0:
        steps.append(("Chênh lệch chưa phân bổ", rest, _GREY))

    with _style():
        from matplotlib.ticker import FuncFormatter

        title = f"Điểm của {_name(unit)}: {start_label} → {end_label}"
        subtitle = f"Chênh lệch {vn(end - start, sign=True)} điểm"
        if unit.get("rank_from") is not None and unit.get("rank_to") is not None:
            subtitle += f" · thứ hạng {unit['rank_from']} → {unit['rank_to']}"
        subtitle += f" · {len(steps)} nhóm thay đổi"

        labels = [start_label, *(label for label, _, _ in steps), end_label]
        ticks = [_wrap(label, 16) for label in labels]
        count = len(labels)
        width = max(
            7.0,
            0.95 * count + 1.6,
            # Room for the title centred over the plot, which sits right of the y label.
            _width_in([title], _TITLE_PT, bold=True) + 1.6,
            _width_in([subtitle], _SUBTITLE_PT) + 1.6,
        )
        lines = max(t.count("\n") + 1 for t in ticks)
        fig = _figure(width, 5.2 + 0.15 * lines, layout="constrained")
        ax = fig.add_subplot()
        heading = fig.suptitle(
            _nfc(title), fontsize=_TITLE_PT, fontweight="bold", color=_INK, parse_math=False
        )
        ax.set_title(_nfc(subtitle), fontsize=_SUBTITLE_PT, color=_MUTED, parse_math=False)

        levels = [start]
        for _, amount, _ in steps:
            levels.append(levels[-1] + amount)
        ax.bar([0], [float(start)], width=0.6, color=_BAR, zorder=2)
        ax.bar(
            list(range(1, len(steps) + 1)),
            [float(amount) for _, amount, _ in steps],
            bottom=[float(level) for level in levels[:-1]],
            width=0.6,
            color=[hue for _, _, hue in steps],
            zorder=2,
        )
        ax.bar([count - 1], [float(end)], width=0.6, color=_BAR, zorder=2)

        for i, level in enumerate(levels):
            ax.plot(
                [i + 0.3, i + 0.7],
                [float(level)] * 2,
                color=_MUTED,
                linewidth=0.8,
                linestyle=(0, (2, 2)),
                zorder=1,
            )
        _annotate(ax, 0, start, start, signed=False)
        for i, (_, amount, _) in enumerate(steps, start=1):
            # A gain is labelled above its top, a loss below its bottom: both at the new level.
            _annotate(ax, i, levels[i], amount, signed=True)
        _annotate(ax, count - 1, end, end, signed=False)

        low, high = float(min(levels)), float(max(levels))
        pad = max((high - low) * 0.25, 0.4)
        floor = max(0.0, low - pad)
        ax.set_ylim(floor, high + pad)
        ax.set_ylabel(
            "Điểm" if floor == 0 else "Điểm (trục tung không bắt đầu từ 0)",
            color=_MUTED,
        )
        # Scores are published with two decimals; every tick shows them, comma-separated.
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: vn(round(v, 6))))
        ax.set_xticks(range(count), [_nfc(t) for t in ticks], fontsize=_LABEL_PT, parse_math=False)
        ax.set_xlim(-0.6, count - 0.4)
        ax.grid(axis="y", color="#e3e7ea", linewidth=0.6, zorder=0)
        ax.set_axisbelow(True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        # Lay out once and freeze: constrained layout run again on a later draw moves the
        # axes by a hair, and the same figure would no longer render to the same bytes.
        fig.draw_without_rendering()
        fig.set_layout_engine("none")
        # Centre the title over the plot, like the subtitle, not over the whole figure.
        box = ax.get_position()
        heading.set_x((box.x0 + box.x1) / 2)
        return fig


def rank_interval_chart(sensitivity: Mapping[str, Any]) -> Figure:
    """How far each unit's rank moves when the weights are perturbed.

    One row per ranked unit, sorted by official ``rank``: a bar from ``rank_p05`` to
    ``rank_p95``, a dot at ``rank_median`` and a diamond at the official rank. Units
    without those numbers are left out. The figure grows with the number of units.
    """
    with _style():
        from matplotlib.lines import Line2D
        from matplotlib.patches import Patch
        from matplotlib.ticker import FixedLocator, FuncFormatter

        keys = ("rank", "rank_median", "rank_p05", "rank_p95")
        rows = sorted(
            (
                u
                for u in sensitivity.get("units") or []
                if u.get("ranked", True) and all(u.get(k) is not None for k in keys)
            ),
            key=lambda u: (u["rank"], _sort_name(u)),
        )
        title = "Khoảng thứ hạng khi thay đổi trọng số (5%–95%)"
        method = str(sensitivity.get("method"))
        subtitle = " · ".join(
            [
                f"{_int(sensitivity.get('replications'))} lần mô phỏng",
                f"trọng số dao động ±{_percent(sensitivity.get('spread'))}"
                f" ({_METHOD_LABELS.get(method, method)})",
                # The seed lets an auditor rerun exactly this simulation.
                f"seed {sensitivity.get('seed')}",
            ]
        )
        version = _version(sensitivity.get("methodology") or {})
        second = f"Bộ chỉ số {version} · {len(rows)} đơn vị xếp hạng"
        names = [f"{u['rank']}. {_name(u)}" for u in rows]

        n = max(len(rows), 1)
        row_in, top_in, bottom_in, side_in, plot_in = 0.22, 1.45, 1.05, 0.3, 6.5
        label_in = _width_in(names, _LABEL_PT) + 0.15
        width = max(
            8.0,
            2 * side_in + label_in + plot_in,
            _width_in([title], _TITLE_PT, bold=True) + 2 * side_in,
            _width_in([subtitle, second], _SUBTITLE_PT) + 2 * side_in,
        )
        height = top_in + n * row_in + bottom_in
        fig = _figure(width, height)
        width, height = (float(x) for x in fig.get_size_inches())
        x0 = (width - label_in - plot_in) / 2 + label_in
        ax = fig.add_axes((x0 / width, bottom_in / height, plot_in / width, n * row_in / height))
        _titles(fig, title, f"{subtitle}\n{second}", width, height)

        last = max([len(rows), *(u["rank_p95"] for u in rows), *(u["rank"] for u in rows)])
        # A little more than half a rank each side, so markers at the ends are not cut.
        ax.set_xlim(0.3, last + 0.7)
        ax.set_ylim(n + 0.5, 0.5)
        if not rows:
            ax.set_yticks([])
            ax.text(
                0.5,
                0.5,
                "Không có đơn vị nào được xếp hạng",
                ha="center",
                va="center",
                color=_MUTED,
                transform=ax.transAxes,
            )
            return fig

        ys = list(range(1, len(rows) + 1))
        # Light stripes on every other row guide the eye across a 63-row chart.
        for y in ys[1::2]:
            ax.axhspan(y - 0.5, y + 0.5, color="#f2f4f5", zorder=0, linewidth=0)
        ax.barh(
            ys,
            [float(u["rank_p95"]) - float(u["rank_p05"]) for u in rows],
            left=[float(u["rank_p05"]) for u in rows],
            height=0.55,
            color=_BAND,
            zorder=2,
        )
        ax.scatter([float(u["rank_median"]) for u in rows], ys, s=16, color=_INK, zorder=3)
        ax.scatter(
            [float(u["rank"]) for u in rows],
            ys,
            s=30,
            marker="D",
            facecolors="none",
            edgecolors=_DOWN,
            linewidths=1.2,
            zorder=4,
        )
        ax.set_yticks(ys, [_nfc(name) for name in names], fontsize=_LABEL_PT, parse_math=False)
        ax.tick_params(axis="y", length=0)
        ax.xaxis.set_major_locator(FixedLocator(_rank_ticks(last)))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: _axis_num(v)))
        # Ticks on both edges: on a tall chart the bottom axis is far from the top rows.
        ax.tick_params(axis="x", top=True, labeltop=True, labelsize=8)
        ax.set_xlabel("Thứ hạng (1 = cao nhất)", color=_MUTED)
        ax.grid(axis="x", color="#dfe3e6", linewidth=0.6, zorder=1)
        ax.set_axisbelow(True)
        for side in ("left", "right"):
            ax.spines[side].set_visible(False)

        handles = [
            Patch(color=_BAND, label="Khoảng 5%–95% của thứ hạng"),
            Line2D([], [], marker="o", linestyle="", color=_INK, markersize=4.5, label="Trung vị"),
            Line2D(
                [],
                [],
                marker="D",
                linestyle="",
                markerfacecolor="none",
                markeredgecolor=_DOWN,
                markersize=5,
                label="Thứ hạng chính thức",
            ),
        ]
        _legend(fig, handles, width, 0.08)
        return fig


# Band colours of the ranking chart, best first; a methodology with more bands reuses the last.
_BAND_COLOURS = ("#1b7f3b", "#546e7a", "#f9a825", "#c62828")


def ranking_chart(ranking: Mapping[str, Any], *, title: str = "Chỉ số theo đơn vị") -> Figure:
    """Each unit's index as a bar, in rank order, coloured by band.

    Reads the JSON of a ranking (``Ranking.to_json`` or ``GET /api/rankings``): units
    with an index are drawn, those scored but not ranked marked "(không xếp hạng)".
    """
    with _style():
        from matplotlib.patches import Patch

        rows = [u for u in ranking.get("units") or [] if u.get("index") is not None]
        bands = list(ranking.get("bands") or {})
        colour = {b: _BAND_COLOURS[min(i, len(_BAND_COLOURS) - 1)] for i, b in enumerate(bands)}
        # A ranking names its units `name` (an audit `unit_name`).
        named = [_nfc(u.get("name") or _name(u)) for u in rows]
        names = [
            f"{u['rank']}. {name}" if u.get("rank") is not None else f"{name} (không xếp hạng)"
            for u, name in zip(rows, named, strict=True)
        ]
        subtitle = f"{len(rows)} đơn vị · " + ", ".join(
            f"loại {b}: {n}" for b, n in (ranking.get("bands") or {}).items()
        )
        n = max(len(rows), 1)
        row_in, top_in, bottom_in, side_in, plot_in = 0.22, 1.1, 0.9, 0.3, 6.0
        label_in = _width_in(names, _LABEL_PT) + 0.15
        width = max(8.0, 2 * side_in + label_in + plot_in + 0.6)
        height = top_in + n * row_in + bottom_in
        fig = _figure(width, height)
        width, height = (float(x) for x in fig.get_size_inches())
        x0 = (width - label_in - plot_in) / 2 + label_in
        ax = fig.add_axes((x0 / width, bottom_in / height, plot_in / width, n * row_in / height))
        _titles(fig, title, subtitle, width, height)
        ax.set_ylim(n + 0.5, 0.5)
        if not rows:
            ax.set_yticks([])
            return fig
        ys = list(range(1, len(rows) + 1))
        values = [float(_dec(u["index"])) for u in rows]
        ax.barh(
            ys,
            values,
            height=0.6,
            color=[colour.get(u.get("band"), _GREY) for u in rows],
            zorder=2,
        )
        for y, u, v in zip(ys, rows, values, strict=True):
            ax.text(v, y, " " + vn(_dec(u["index"])), va="center", fontsize=7, color=_INK)
        low = min(values)
        ax.set_xlim(max(0.0, math.floor(low / 10) * 10 - 10), max(values) * 1.06)
        ax.set_yticks(ys, [_nfc(name) for name in names], fontsize=_LABEL_PT, parse_math=False)
        ax.tick_params(axis="y", length=0)
        ax.set_xlabel("Chỉ số", color=_MUTED)
        ax.grid(axis="x", color="#dfe3e6", linewidth=0.6, zorder=1)
        ax.set_axisbelow(True)
        for side in ("left", "right", "top"):
            ax.spines[side].set_visible(False)
        handles = [Patch(color=colour[b], label=f"Loại {b}") for b in bands]
        if handles:
            _legend(fig, handles, width, 0.08)
        return fig


def render(fig: Figure, fmt: str) -> bytes:
    """The chart as SVG or PNG bytes; the same figure always gives the same bytes.

    SVG text is drawn as glyph outlines, so diacritics show without the font installed.
    Dates, software versions and random ids are left out of both formats. The figure is
    closed afterwards (released from pyplot if it was made there).
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown chart format {fmt!r}: use one of {', '.join(FORMATS)}")
    metadata: dict[str, Any] = {"Date": None} if fmt == "svg" else {"Software": None}
    buffer = BytesIO()
    with _style():
        fig.savefig(buffer, format=fmt, metadata=metadata)
    pyplot = sys.modules.get("matplotlib.pyplot")
    # Only pyplot keeps figures alive; importing it here just to close would be wasteful.
    if pyplot is not None:
        pyplot.close(fig)
    return buffer.getvalue()


def write_charts(result: Any, folder: Path | str, *, unit: str | None = None) -> dict[str, str]:
    """Render the charts of an audit, a trend or a sensitivity run into ``folder``.

    ``result`` is the analysis object (anything with ``to_json()``) or its JSON. Each
    chart is written as ``<file>.svg`` and ``<file>.png``: an audit gives ``slope`` and
    ``waterfall``, a trend ``waterfall``, a sensitivity run ``ranks``. The waterfall is
    of ``unit``, by default the complete unit whose index changed most; it is left out
    when no unit is complete. Returns {name: SVG path} under the names the reports'
    ``to_markdown(charts=…)`` embed ("slope", "waterfall", "rank_interval").

    Raises ``EvaluatorError`` when ``unit`` is unknown or incomplete.
    """
    data: Mapping[str, Any] = result.to_json() if hasattr(result, "to_json") else result
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    # name in the report → (file name, how to draw it); drawn one at a time.
    plans: dict[str, tuple[str, Callable[[], Figure]]] = {}
    if "replications" in data:
        plans["rank_interval"] = ("ranks", lambda: rank_interval_chart(data))
    else:
        units = data.get("units") or []
        is_trend = "unmatched" in data or any("period_from" in u for u in units)
        if not is_trend:
            plans["slope"] = ("slope", lambda: slope_chart(data))
        chosen = _chart_unit(units, unit)
        if chosen is not None:
            start, end = _short(data.get("from") or {}), _short(data.get("to") or {})
            if is_trend:
                start = f"{chosen.get('period_from')} ({start})"
                end = f"{chosen.get('period_to')} ({end})"
            elif start == end:
                start, end = (str((data.get(k) or {}).get("ref") or "?") for k in ("from", "to"))
            plans["waterfall"] = (
                "waterfall",
                lambda: waterfall_chart(chosen, start_label=start, end_label=end),
            )
    written: dict[str, str] = {}
    for name, (stem, draw) in plans.items():
        fig = draw()
        for fmt in FORMATS:
            (out / f"{stem}.{fmt}").write_bytes(render(fig, fmt))
        written[name] = str(out / f"{stem}.svg")
    return written


def _chart_unit(units: Sequence[Mapping[str, Any]], unit: str | None) -> Mapping[str, Any] | None:
    """The unit asked for, or the complete unit whose index changed most (the first)."""
    if unit is None:
        complete = [u for u in units if u.get("complete") and u.get("delta") is not None]
        return max(complete, key=lambda u: abs(u["delta"]), default=None)
    found = next((u for u in units if u.get("unit") == unit), None)
    if found is None:
        known = ", ".join(str(u.get("unit")) for u in units[:5]) + (", …" if len(units) > 5 else "")
        raise EvaluatorError(f"no unit '{unit}' to chart; the units are {known}")
    if not found.get("complete") or found.get("index_from") is None:
        raise EvaluatorError(f"'{unit}' is incomplete in one of the versions: no change to chart")
    return found


@contextlib.contextmanager
def _style() -> Iterator[None]:
    """matplotlib's defaults plus ours, whatever style the process set globally."""
    import matplotlib

    with matplotlib.rc_context():
        matplotlib.rcdefaults()
        matplotlib.rcParams.update(_RC)
        yield


def _legend(fig: Figure, handles: list, width: float, bottom: float) -> None:
    """One row of legend entries centred ``bottom`` inches above the figure's edge."""
    fig.legend(
        handles=handles,
        loc="lower center",
        ncol=len(handles),
        frameon=False,
        fontsize=8.5,
        bbox_to_anchor=(width / 2, bottom),
        bbox_transform=fig.dpi_scale_trans,
    )


def _figure(width: float, height: float, layout: Literal["constrained"] | None = None) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    # Whole quarter inches are exact in binary, so the PNG has exactly the pixels asked for.
    width, height = math.ceil(width * 4) / 4, math.ceil(height * 4) / 4
    fig = Figure(figsize=(width, height), dpi=100, layout=layout, facecolor="white")
    FigureCanvasAgg(fig)
    return fig


def _titles(fig: Figure, title: str, subtitle: str, width: float, height: float) -> None:
    """Title and subtitle at fixed distances (inches) from the top edge."""
    fig.text(
        width / 2,
        height - 0.2,
        _nfc(title),
        transform=fig.dpi_scale_trans,
        ha="center",
        va="top",
        fontsize=_TITLE_PT,
        fontweight="bold",
        color=_INK,
        parse_math=False,
    )
    fig.text(
        width / 2,
        height - 0.5,
        _nfc(subtitle),
        transform=fig.dpi_scale_trans,
        ha="center",
        va="top",
        fontsize=_SUBTITLE_PT,
        color=_MUTED,
        linespacing=1.5,
        parse_math=False,
    )


def _width_in(texts: Iterable[str], size: float, *, bold: bool = False) -> float:
    """The width of the widest text, in inches, as Agg lays it out."""
    from matplotlib.backends.backend_agg import RendererAgg
    from matplotlib.font_manager import FontProperties

    renderer = RendererAgg(1, 1, 72)  # at 72 dpi a pixel is a point
    prop = FontProperties(size=size, weight="bold" if bold else "normal")
    widest = 0.0
    for text in texts:
        for line in _nfc(text).split("\n"):
            widest = max(widest, renderer.get_text_width_height_descent(line, prop, False)[0])
    return widest / 72


def _steps(attribution: Sequence[Mapping[str, Any]], top: int) -> list[tuple[str, Decimal, str]]:
    """(label, amount, colour) of each floating bar, biggest named steps first."""
    entries = [
        (i, e, _dec(e["amount"]))
        for i, e in enumerate(attribution)
        if e.get("amount") is not None and _dec(e["amount"]) != 0
    ]
    entries.sort(key=lambda t: (-abs(t[2]), t[0]))
    steps = [(_entry_label(e), amount, _hue(amount)) for _, e, amount in entries[:top]]
    groups: dict[str, list[tuple[Mapping[str, Any], Decimal]]] = {}
    for _, e, amount in entries[top:]:
        groups.setdefault(str(e.get("cause")), []).append((e, amount))
    for cause in cause_order(groups):
        members = groups[cause]
        total = sum((amount for _, amount in members), Decimal(0))
        if total == 0:
            continue
        if len(members) == 1:
            steps.append((_entry_label(members[0][0]), total, _hue(total)))
        else:
            steps.append((f"{cause_label(cause)} (khác)", total, _hue(total)))
    return steps


def _entry_label(entry: Mapping[str, Any]) -> str:
    label = cause_label(str(entry.get("cause")))
    code = entry.get("code")
    return f"{label} {code}" if code else label


def _hue(amount: Decimal) -> str:
    return _UP if amount > 0 else _DOWN


def _annotate(ax: Any, x: int, at: Decimal, value: Decimal, *, signed: bool) -> None:
    below = signed and value < 0
    text = vn(value, sign=signed)
    if value != 0 and abs(value) < Decimal("0.005"):
        # "−0,00" would read as no change; a step this small shows its exact amount.
        text = vn(value.normalize(), max(2, decimal_places(value.normalize())), sign=signed)
    ax.annotate(
        text,
        (x, float(at)),
        xytext=(0, -3 if below else 3),
        textcoords="offset points",
        ha="center",
        va="top" if below else "bottom",
        fontsize=8,
        color=(_hue(value) if signed else _INK),
        fontweight="bold",
    )


def _wrap(text: str, width: int) -> str:
    text = _nfc(text)
    head, _, tail = text.rpartition(" ")
    # The last two words stay together when they fit, so a code such as "4.2" never
    # ends up alone on a line.
    if head and len(head.rsplit(" ", 1)[-1]) + 1 + len(tail) <= width:
        text = f"{head}\xa0{tail}"
    lines = textwrap.wrap(text, width, break_on_hyphens=False, break_long_words=False)
    return "\n".join(lines or [text]).replace("\xa0", " ")


def _version(v: Mapping[str, Any]) -> str:
    """ "876/QĐ-BNV (par-provincial/2022, 1a2b3c4)": what an auditor needs to find it."""
    pins = [str(v[k]) for k in ("ref",) if v.get(k)]
    if v.get("commit"):
        pins.append(str(v["commit"])[:7])
    main = v.get("label") or v.get("ref") or v.get("methodology") or "?"
    pins = [p for p in pins if p != main]
    return f"{main} ({', '.join(pins)})" if pins else str(main)


def _short(v: Mapping[str, Any]) -> str:
    return str(v.get("label") or v.get("ref") or v.get("methodology") or "?")


def _name(unit: Mapping[str, Any]) -> str:
    return _nfc(unit.get("unit_name") or unit.get("unit") or "?")


def _sort_name(unit: Mapping[str, Any]) -> tuple:
    """Ties in rank are listed in Vietnamese alphabetical order, as the ranking does."""
    return vietnamese_key(_name(unit))


def _nfc(text: Any) -> str:
    # Decomposed input would draw a lone combining mark beside its letter.
    return unicodedata.normalize("NFC", str(text))


def _dec(value: Any) -> Decimal:
    # Through str: the JSON number as written, not its binary approximation.
    return Decimal(str(value))


def _axis_num(value: float) -> str:
    text = f"{value:.6g}".replace(".", ",")
    return text.replace("-", "−")


def _rank_ticks(last: int) -> list[int]:
    """Rank 1, then round ranks: 1, 5, 10, … for 63 units."""
    step = next((s for s in (1, 2, 5, 10, 20, 50, 100) if last / s <= 14), 100)
    return sorted({1, *range(step, int(last) + 1, step)})


def _signed_int(value: int) -> str:
    return f"+{value}" if value > 0 else f"−{-value}"


def _int(value: Any) -> str:
    return f"{int(value):,}".replace(",", ".") if value is not None else "?"


def _percent(value: Any) -> str:
    if value is None:
        return "?"
    return f"{(_dec(value) * 100).normalize():f}".replace(".", ",") + "%"
