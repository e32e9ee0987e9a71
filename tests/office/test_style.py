"""The page every Word document starts from, and charts that fit it."""

from __future__ import annotations

import io

from docx.shared import Cm
from PIL import Image

from server.office import new_document
from server.office.style import add_chart


def _png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(out, "PNG")
    return out.getvalue()


def test_a_tall_chart_is_narrowed_to_fit_the_page_and_a_wide_one_keeps_its_width():
    document = new_document()
    section = document.sections[0]
    assert section.page_width > section.page_height  # A4 landscape
    usable = section.page_height - section.top_margin - section.bottom_margin
    add_chart(document, _png(600, 2000), width_cm=24)  # 63 provinces, one bar each
    add_chart(document, _png(1600, 800), width_cm=20)
    tall, wide = document.inline_shapes
    assert tall.height <= usable - Cm(2) and tall.width < Cm(24)
    assert abs(tall.width / tall.height - 600 / 2000) < 0.01  # not distorted
    assert wide.width == Cm(20)
