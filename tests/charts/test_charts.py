"""Audit and sensitivity charts: valid, deterministic, Vietnamese drawn right, nothing cut off.

Everything runs real matplotlib (Agg) on small input dicts shaped like the audit and
sensitivity JSON. Some names are given decomposed (NFD), as text pasted from other
systems sometimes is, to prove the charts normalise them before drawing.
"""

from __future__ import annotations

import re
import subprocess
import sys
import unicodedata
import xml.etree.ElementTree as ET
from io import BytesIO
from pathlib import Path

import pytest
from matplotlib.colors import to_rgb
from matplotlib.image import imread

from evaluators import EvaluatorError
from evaluators.analysis.charts import (
    rank_interval_chart,
    ranking_chart,
    render,
    slope_chart,
    waterfall_chart,
    write_charts,
)
from methodology import CAUSES

ROOT = Path(__file__).resolve().parents[2]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


# 14 ranked units whose order is reversed: unit k moves by 2k − 15 places, so the five
# largest moves each way are unambiguous and four small movers stay grey.
NAMES = [
    "Thừa Thiên Huế",
    "Bà Rịa – Vũng Tàu",
    "Đắk Lắk",
    "Điện Biên",
    "TP. Hồ Chí Minh",
    "Quảng Ninh",
    "Hải Phòng",
    "Bộ Lao động – Thương binh và Xã hội",
    "Ngân hàng Nhà nước Việt Nam",
    "Kiên Giang",
    "Đồng Nai",
    "Hà Nội",
    "Cao Bằng",
    "Bắc Giang",
]


def audit(names: list[str] = NAMES) -> dict:
    n = len(names)
    units = []
    for k, name in enumerate(names, start=1):
        rank_to = n + 1 - k
        index_from = round(95 - 0.7 * k, 2)
        index_to = round(95 - 0.7 * rank_to, 2)
        units.append(
            {
                "unit": f"u{k:02d}",
                # Every other name decomposed: NFC must put the letters back together.
                "unit_name": nfd(name) if k % 2 else name,
                "complete": True,
                "ranked": True,
                "total_from": index_from,
                "total_to": index_to,
                "index_from": index_from,
                "index_to": index_to,
                "delta": round(index_to - index_from, 2),
                "rank_from": k,
                "rank_to": rank_to,
                "rank_change": k - rank_to,
                "attribution": [],
            }
        )
    units.append(
        {
            "unit": "chua-nop",
            "unit_name": "Đơn vị chưa nộp",
            "complete": False,
            "ranked": True,
            "total_from": None,
            "total_to": None,
            "index_from": None,
            "index_to": None,
            "delta": None,
            "rank_from": None,
            "rank_to": None,
            "rank_change": None,
            "attribution": [],
        }
    )
    units.append(
        {
            "unit": "uy-ban-dan-toc",
            "unit_name": "Ủy ban Dân tộc",
            "complete": True,
            "ranked": False,
            "index_from": 80.0,
            "index_to": 81.0,
            "delta": 1.0,
            "rank_from": None,
            "rank_to": None,
            "rank_change": None,
            "attribution": [],
        }
    )
    return {
        "from": {
            "methodology": "par-provincial",
            "ref": "par-provincial/2019",
            "commit": "1149aaaabbbbccccddddeeeeffff000011112222",
            "label": "1149/QĐ-BNV",
        },
        "to": {
            "methodology": "par-provincial",
            "ref": "par-provincial/2022",
            "commit": "876aaaabbbbccccddddeeeeffff0000111122223",
            "label": "876/QĐ-BNV",
        },
        "units": units,
    }


def attribution() -> list[dict]:
    entries = [
        ("removed", "nhap-dang-tai-tthc-csdlqg", "3.6", -0.5),
        ("removed", "cong-bo-quy-trinh-noi-bo", "3.2", -1.25),
        ("added", "doi-thoai-lanh-dao", "1.7", 0.75),
        ("reweighted", "co-cau-ngach", "5.1", 0.3),
        ("rule_changed", "ty-le-dung-han", "3.3.1", -0.4),
        ("rule_changed", "ty-le-truc-tuyen", "7.3.2", 0.1),
        ("rule_changed", "kiem-tra-cchc", "1.3.1", -0.05),
        ("policy_changed", "xin-loi-ho-so-tre", "3.4.2", 0.2),
        ("performance", "ket-qua-kiem-tra", "1.3", -0.35),
        ("performance", "tuyen-truyen", "1.5", -0.13),
        ("rounding", None, None, -0.02),
        ("renamed", "sang-kien", "1.6", 0),
    ]
    return [
        {"cause": cause, "node": node, "code": code, "title": "…", "amount": amount}
        for cause, node, code, amount in entries
    ]


def unit(**changes) -> dict:
    base = {
        "unit": "ho-chi-minh",
        "unit_name": nfd("TP. Hồ Chí Minh"),
        "complete": True,
        "ranked": True,
        "total_from": 86.05,
        "total_to": 84.7,
        "index_from": 86.05,
        "index_to": 84.7,
        "delta": -1.35,
        "rank_from": 43,
        "rank_to": 36,
        "rank_change": 7,
        "attribution": attribution(),
    }
    return base | changes


def sensitivity(names: list[str] = NAMES) -> dict:
    units = []
    for k, name in enumerate(names, start=1):
        units.append(
            {
                "unit": f"u{k:02d}",
                "unit_name": nfd(name) if k % 2 else name,
                "ranked": True,
                "index": round(92 - 0.5 * k, 2),
                "rank": k,
                "rank_median": float(k),
                "rank_p05": float(max(1, k - 2)),
                "rank_p95": float(min(len(names), k + 3)),
            }
        )
    units.append(
        {
            "unit": "uy-ban-dan-toc",
            "unit_name": "Ủy ban Dân tộc",
            "ranked": False,
            "index": 85.0,
            "rank": None,
            "rank_median": None,
            "rank_p05": None,
            "rank_p95": None,
        }
    )
    return {
        "methodology": {
            "methodology": "par-provincial",
            "ref": "par-provincial/2022",
            "commit": "876aaaabbbbccccddddeeeeffff0000111122223",
            "label": "876/QĐ-BNV",
        },
        "replications": 10000,
        "seed": 1,
        "method": "uniform",
        "spread": 0.2,
        "level": "both",
        "units": units,
        "drivers": [],
    }


def provinces() -> list[str]:
    import yaml

    cohort = ROOT / "methodology" / "bundled" / "cohorts" / "provinces.yaml"
    return [u["name"] for u in yaml.safe_load(cohort.read_text(encoding="utf-8"))["units"]]


def ranking(names: list[str] = NAMES) -> dict:
    """A ranking's JSON (`Ranking.to_json`): indices falling by 2 from 93, bands A–D,
    two units sharing a rank, one scored but not ranked."""
    units = []
    for k, name in enumerate(names, start=1):
        index = round(93 - 2 * (k - 1 - (k == 3)), 2)  # the third ties with the second
        band = "A" if index >= 90 else "B" if index >= 80 else "C" if index >= 70 else "D"
        rank = k - 1 if k == 3 else k
        units.append(
            {"unit": f"u{k:02d}", "name": nfd(name) if k % 2 else name, "index": index}
            | {"rank": rank, "band": band, "ranked": True}
        )
    units.append(
        {"unit": "uy-ban-dan-toc", "name": "Ủy ban Dân tộc", "index": 85.5}
        | {"rank": None, "band": "B", "ranked": False}
    )
    bands = {b: sum(1 for u in units if u["band"] == b) for b in "ABCD"}
    return {"note": "", "bands": bands, "units": units}


CHARTS = {
    "ranking": lambda: ranking_chart(ranking()),
    "slope": lambda: slope_chart(audit()),
    "waterfall": lambda: waterfall_chart(unit(), start_label="1149/QĐ-BNV", end_label="876/QĐ-BNV"),
    "interval": lambda: rank_interval_chart(sensitivity()),
}


def glyphs(svg: bytes) -> set[int]:
    """Code points of the DejaVu Sans glyphs an SVG defines (text drawn as paths)."""
    ids = re.findall(rb'id="DejaVuSans(?:-Bold)?-([0-9a-f]+)"', svg)
    return {int(code, 16) for code in ids}


def visible_texts(fig):
    ax = fig.axes[0]
    texts = [*fig.texts, *ax.texts, ax.title]
    if ax.axison:
        # Only the ticks inside the view: the locator also makes some just beyond it.
        x0, x1 = sorted(ax.get_xlim())
        y0, y1 = sorted(ax.get_ylim())
        texts += [t for t in ax.get_xticklabels() if x0 <= t.get_position()[0] <= x1]
        texts += [t for t in ax.get_yticklabels() if y0 <= t.get_position()[1] <= y1]
    for legend in fig.legends:
        texts.extend(legend.get_texts())
    return [t for t in texts if t.get_visible() and t.get_text()]


def assert_inside(fig) -> None:
    """No label runs off the canvas (long Vietnamese names, many units)."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    width, height = fig.bbox.width, fig.bbox.height
    for text in visible_texts(fig):
        box = text.get_window_extent(renderer)
        assert box.x0 >= 0 and box.x1 <= width, text.get_text()
        assert box.y0 >= 0 and box.y1 <= height, text.get_text()


@pytest.mark.parametrize("name", sorted(CHARTS))
def test_svg_and_png_are_valid(name):
    fig = CHARTS[name]()
    width, height = fig.get_size_inches() * fig.dpi
    png = render(fig, "png")
    assert png.startswith(PNG_MAGIC)
    image = imread(BytesIO(png), format="png")
    assert image.shape[:2] == (round(height), round(width))
    assert 600 <= image.shape[1] <= 3000 and 400 <= image.shape[0] <= 4000
    assert b"Software" not in png and b"tIME" not in png

    svg = render(CHARTS[name](), "svg")
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert b"<dc:date>" not in svg
    # Glyph outlines, not <text>: no font needed to show the diacritics.
    assert root.find(".//{http://www.w3.org/2000/svg}text") is None


@pytest.mark.parametrize("name", sorted(CHARTS))
@pytest.mark.parametrize("fmt", ["svg", "png"])
def test_rendering_is_deterministic(name, fmt):
    fig = CHARTS[name]()
    first = render(fig, fmt)
    assert render(fig, fmt) == first  # the same (closed) figure again
    assert render(CHARTS[name](), fmt) == first  # and a figure built afresh


@pytest.mark.parametrize("name", sorted(CHARTS))
def test_vietnamese_letters_are_drawn_precomposed(name):
    svg = render(CHARTS[name](), "svg")
    drawn = glyphs(svg)
    combining = sorted(hex(c) for c in drawn if 0x300 <= c <= 0x36F)
    assert combining == []  # NFC worked: no lone accent beside its letter
    # ạ and ế in every chart (title or labels); Đ in names and decision numbers.
    assert {ord("ạ"), ord("Đ")} <= drawn
    expected = {
        "slope": "ệếắịũĐừ",  # Điện Biên, Huế, Đắk Lắk, Bà Rịa – Vũng Tàu, Thừa
        "waterfall": "ệồĐ",  # "Kết quả thực hiện…", Hồ Chí Minh, 1149/QĐ-BNV
        "interval": "ệếắịĐ",
        "ranking": "ệếắịĐỦ",
    }[name]
    assert {ord(c) for c in expected} <= drawn


def test_vietnamese_glyphs_come_from_matplotlibs_dejavu_sans():
    import matplotlib
    from matplotlib import font_manager

    with matplotlib.rc_context({"font.family": "sans-serif", "font.sans-serif": ["DejaVu Sans"]}):
        path = Path(font_manager.findfont(font_manager.FontProperties()))
    assert path.name == "DejaVuSans.ttf"
    assert Path(matplotlib.get_data_path()) in path.parents


def test_slope_chart_highlights_the_largest_movers():
    fig = slope_chart(audit())
    ax = fig.axes[0]
    lines = {line.get_label(): line for line in ax.lines if line.get_label().startswith("u")}
    assert len(lines) == len(NAMES)  # the incomplete and the unranked unit are left out

    def hue(unit_id):
        r, g, _b = to_rgb(lines[unit_id].get_color())
        return "green" if g > r + 0.2 else "red" if r > g + 0.2 else "grey"

    # Unit k moves by 2k − 15: u14…u10 up by 13…5, u01…u05 down by 13…5.
    assert {u for u in lines if hue(u) == "green"} == {f"u{k:02d}" for k in range(10, 15)}
    assert {u for u in lines if hue(u) == "red"} == {f"u{k:02d}" for k in range(1, 6)}
    assert {u for u in lines if hue(u) == "grey"} == {"u06", "u07", "u08", "u09"}
    assert lines["u14"].get_linewidth() > lines["u07"].get_linewidth()
    # Rank 1 at the top on both sides: u01 leaves the top left, arrives at the bottom right.
    assert list(lines["u01"].get_ydata()) == [1, 14] and ax.yaxis_inverted()

    texts = [t.get_text() for t in ax.texts]
    assert "1. Bắc Giang  (+13)" in texts and "14. Bắc Giang" in texts
    assert "14. Thừa Thiên Huế  (−13)" in texts
    assert all(t == unicodedata.normalize("NFC", t) for t in texts)
    title = " ".join(t.get_text() for t in fig.texts)
    assert "Thay đổi thứ hạng giữa hai phiên bản bộ chỉ số" in title
    assert "1149/QĐ-BNV" in title and "876/QĐ-BNV" in title


def test_slope_chart_for_63_provinces_grows_and_cuts_nothing_off():
    small, large = slope_chart(audit()), slope_chart(audit(provinces()))
    assert large.get_size_inches()[1] > 2.5 * small.get_size_inches()[1]
    assert_inside(large)
    assert_inside(slope_chart(audit(NAMES[:3])))


def test_slope_chart_without_ranked_units_says_so():
    empty = audit()
    empty["units"] = empty["units"][-2:]
    fig = slope_chart(empty)
    assert any("Không có đơn vị" in t.get_text() for t in fig.axes[0].texts)
    assert render(fig, "png").startswith(PNG_MAGIC)


def test_waterfall_bars_start_end_and_add_up():
    fig = waterfall_chart(unit(), start_label="1149/QĐ-BNV", end_label="876/QĐ-BNV", top=4)
    ax = fig.axes[0]
    start, steps, end = ax.containers
    (first,) = start.patches
    (last,) = end.patches
    assert first.get_y() == 0 and first.get_height() == pytest.approx(86.05)
    assert last.get_y() + last.get_height() == pytest.approx(84.7)
    heights = [p.get_height() for p in steps.patches]
    assert sum(heights) == pytest.approx(-1.35)
    # Each step floats from where the previous one ended.
    level = 86.05
    for patch in steps.patches:
        assert patch.get_y() == pytest.approx(level)
        level += patch.get_height()
    assert level == pytest.approx(84.7)

    labels = [t.get_text().replace("\n", " ") for t in ax.get_xticklabels()]
    # The four largest entries by |amount| keep their own bars, largest first.
    assert labels[:5] == [
        "1149/QĐ-BNV",
        "Bãi bỏ 3.2",
        "Tiêu chí mới 1.7",
        "Bãi bỏ 3.6",
        "Thay đổi cách chấm điểm 3.3.1",
    ]
    assert labels[-1] == "876/QĐ-BNV"
    # The rest are summed per cause; a cause left with one entry keeps its label.
    assert "Kết quả thực hiện của đơn vị (khác)" in labels
    assert "Thay đổi cách chấm điểm (khác)" in labels
    assert "Thay đổi điểm tối đa 5.1" in labels and "Làm tròn" in labels
    assert not any(label.startswith("Đổi tên") for label in labels)  # amount 0: skipped
    assert heights[labels.index("Kết quả thực hiện của đơn vị (khác)") - 1] == pytest.approx(-0.48)
    assert len(heights) == 4 + 5

    colours = {to_rgb(p.get_facecolor()[:3]) for p in steps.patches}
    gains = [p for p in steps.patches if p.get_height() > 0]
    losses = [p for p in steps.patches if p.get_height() < 0]
    assert len(colours) == 2
    assert all(p.get_facecolor()[1] > p.get_facecolor()[0] for p in gains)
    assert all(p.get_facecolor()[0] > p.get_facecolor()[1] for p in losses)

    notes = [t.get_text() for t in ax.texts]
    assert {"86,05", "84,70", "−1,25", "+0,75", "−0,48"} <= set(notes)
    assert fig.get_suptitle() == "Điểm của TP. Hồ Chí Minh: 1149/QĐ-BNV → 876/QĐ-BNV"
    assert "−1,35" in ax.get_title()
    assert_inside(fig)


def test_waterfall_with_default_top_names_every_step():
    fig = waterfall_chart(unit(), start_label="2022", end_label="2023")
    _, steps, _ = fig.axes[0].containers
    # Eight named steps; the rest are two rule changes (summed) and the rounding (named).
    assert len(steps.patches) == 8 + 2
    assert sum(p.get_height() for p in steps.patches) == pytest.approx(-1.35)


def test_waterfall_shows_what_the_attribution_does_not_explain():
    partial = unit(attribution=attribution()[:3])  # −0.5 −1.25 +0.75 = −1.0 of −1.35
    fig = waterfall_chart(partial, start_label="1149/QĐ-BNV", end_label="876/QĐ-BNV")
    ax = fig.axes[0]
    _, steps, end = ax.containers
    assert ax.get_xticklabels()[-2].get_text().replace("\n", " ") == "Chênh lệch chưa phân bổ"
    assert steps.patches[-1].get_height() == pytest.approx(-0.35)
    assert sum(p.get_height() for p in steps.patches) == pytest.approx(-1.35)
    assert end.patches[0].get_height() == pytest.approx(84.7)


def test_waterfall_of_an_incomplete_unit_is_refused():
    with pytest.raises(ValueError, match="ho-chi-minh"):
        waterfall_chart(unit(index_to=None), start_label="a", end_label="b")


def test_rank_interval_chart_draws_one_row_per_ranked_unit():
    data = sensitivity()
    data["units"].reverse()  # the chart sorts by official rank itself
    fig = rank_interval_chart(data)
    ax = fig.axes[0]
    (bars,) = ax.containers
    assert len(bars.patches) == len(NAMES)  # the unranked unit is left out
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0] == "1. Thừa Thiên Huế" and labels[2] == "3. Đắk Lắk"
    assert labels[-1] == f"{len(NAMES)}. Bắc Giang"
    third = bars.patches[2]
    assert (third.get_x(), third.get_x() + third.get_width()) == (1.0, 6.0)
    assert ax.yaxis_inverted()
    header = "\n".join(t.get_text() for t in fig.texts)
    assert "Khoảng thứ hạng khi thay đổi trọng số (5%–95%)" in header
    assert "10.000 lần mô phỏng" in header and "±20%" in header and "phân phối đều" in header
    assert "876/QĐ-BNV" in header
    assert_inside(fig)


def test_rank_interval_chart_for_63_provinces_cuts_nothing_off():
    fig = rank_interval_chart(sensitivity(provinces()))
    assert len(fig.axes[0].containers[0].patches) == 63
    assert fig.get_size_inches()[1] > 14
    assert_inside(fig)


def test_ranking_chart_draws_every_unit_by_band_and_marks_the_unranked():
    fig = ranking_chart(ranking())
    (ax,) = fig.axes
    bars = ax.patches
    assert len(bars) == len(NAMES) + 1
    assert [round(b.get_width(), 2) for b in bars[:3]] == [93.0, 91.0, 91.0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[:3] == ["1. Thừa Thiên Huế", "2. Bà Rịa – Vũng Tàu", "2. Đắk Lắk"]
    assert labels[-1] == "Ủy ban Dân tộc (không xếp hạng)"
    colours = {to_rgb(b.get_facecolor()) for b in bars}
    assert len(colours) == 4  # one per band
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == ["Loại A", "Loại B", "Loại C", "Loại D"]


def test_ranking_chart_for_63_provinces_cuts_nothing_off():
    assert_inside(ranking_chart(ranking(provinces())))


def test_render_refuses_other_formats():
    with pytest.raises(ValueError, match="svg, png"):
        render(slope_chart(audit()), "pdf")


def test_waterfall_labels_every_cause_with_the_words_of_the_table():
    # One bar per cause (no node, so no code), each labelled with the table's words; a
    # cause unknown here (a document made elsewhere) shows its id.
    ids = [c.id for c in CAUSES] + ["made_elsewhere"]
    data = {
        "unit": "u01",
        "index_from": 80,
        "index_to": 80 + len(ids),
        "attribution": [{"cause": c, "node": None, "code": None, "amount": 1} for c in ids],
    }
    fig = waterfall_chart(data, start_label="trước", end_label="sau", top=len(ids))
    labels = [t.get_text().replace("\n", " ") for t in fig.axes[0].get_xticklabels()]
    assert labels[1:-1] == [c.vi for c in CAUSES] + ["made_elsewhere"]
    assert "Tiêu chí mới" in labels and "Thêm mới" not in labels


def test_write_charts_of_an_audit_draws_the_largest_change(tmp_path):
    data = audit()
    data["units"][6]["attribution"] = attribution()  # u07, Hải Phòng: moves by −1 place
    # The largest change of the cohort; the attribution explains −1.35 of it.
    data["units"][6] |= {"index_to": 70.1, "delta": -20.0}
    written = write_charts(data, tmp_path / "charts")
    assert written == {
        "slope": str(tmp_path / "charts" / "slope.svg"),
        "waterfall": str(tmp_path / "charts" / "waterfall.svg"),
    }
    for stem in ("slope", "waterfall"):
        assert (tmp_path / "charts" / f"{stem}.png").read_bytes().startswith(PNG_MAGIC)
        ET.fromstring((tmp_path / "charts" / f"{stem}.svg").read_bytes())
    waterfall = (tmp_path / "charts" / "waterfall.svg").read_bytes()
    assert waterfall == render(
        waterfall_chart(data["units"][6], start_label="1149/QĐ-BNV", end_label="876/QĐ-BNV"),
        "svg",
    )
    # Written again, byte for byte.
    again = write_charts(data, tmp_path / "again", unit="u07")
    assert (tmp_path / "again" / "waterfall.svg").read_bytes() == waterfall
    assert Path(again["slope"]).read_bytes() == Path(written["slope"]).read_bytes()


def test_write_charts_of_a_trend_and_of_a_sensitivity_run(tmp_path):
    data = audit()
    data["unmatched"] = []
    for u in data["units"]:
        u |= {"period_from": "2021", "period_to": "2022"}
    assert list(write_charts(data, tmp_path, unit="u02")) == ["waterfall"]
    svg = (tmp_path / "waterfall.svg").read_bytes()
    assert svg == render(
        waterfall_chart(
            data["units"][1],
            start_label="2021 (1149/QĐ-BNV)",
            end_label="2022 (876/QĐ-BNV)",
        ),
        "svg",
    )
    assert write_charts(sensitivity(), tmp_path) == {"rank_interval": str(tmp_path / "ranks.svg")}
    assert (tmp_path / "ranks.png").read_bytes().startswith(PNG_MAGIC)


def test_write_charts_names_a_unit_it_cannot_draw(tmp_path):
    with pytest.raises(EvaluatorError, match="no unit 'u99'"):
        write_charts(audit(), tmp_path, unit="u99")
    with pytest.raises(EvaluatorError, match="'chua-nop' is incomplete"):
        write_charts(audit(), tmp_path, unit="chua-nop")


def test_importing_evaluators_does_not_import_matplotlib():
    code = (
        "import sys, evaluators, evaluators.analysis.charts; "
        "assert 'matplotlib' not in sys.modules, 'matplotlib imported eagerly'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
