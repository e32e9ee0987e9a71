"""The look of a Vietnamese administrative document, in one place.

Decree 30/2020/NĐ-CP sets the form of administrative documents: A4, Times New Roman,
13–14 pt body text. Annexes with wide criteria tables are printed landscape. Every docx
and xlsx parindex writes starts from here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from docx.document import Document as DocxDocument
    from openpyxl.styles import Font

__all__ = ["FONT", "FONT_PT", "TABLE_FONT_PT", "add_chart", "new_document", "xlsx_font"]

FONT = "Times New Roman"
FONT_PT = 14
# Tables of criteria are set a point smaller, as the Ministry's annexes are.
TABLE_FONT_PT = 13


def new_document(*, landscape: bool = True) -> DocxDocument:
    """An empty A4 document in Times New Roman, landscape unless asked otherwise."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    document = Document()
    section = document.sections[0]
    width, height = Cm(21.0), Cm(29.7)
    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = height, width
    else:
        section.page_width, section.page_height = width, height
    section.top_margin = section.bottom_margin = Cm(2)
    section.left_margin, section.right_margin = Cm(3), Cm(1.5)
    normal = document.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(FONT_PT)
    # Word picks the font for Vietnamese letters from the east-Asian and complex-script
    # slots too; without these a diacritic can fall back to another face.
    fonts = normal.element.get_or_add_rPr().get_or_add_rFonts()
    for slot in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(slot), FONT)
    return document


def add_chart(document: DocxDocument, png: bytes, *, width_cm: float) -> None:
    """A chart ``width_cm`` wide, or narrower so that it fits the page's height: a picture
    taller than the page is cut off in Word (the 63 provinces' ranking chart was)."""
    import io

    from docx.image.image import Image
    from docx.shared import Cm, Emu

    section = document.sections[-1]
    # Every section has its page set by `new_document`.
    height, top, bottom = section.page_height, section.top_margin, section.bottom_margin
    assert height is not None and top is not None and bottom is not None
    # Room for the heading above the chart on the same page.
    max_height = height - top - bottom - Cm(2)
    image = Image.from_blob(png)
    width = int(Cm(width_cm))
    if width * image.px_height / image.px_width > max_height:
        width = int(max_height * image.px_width / image.px_height)
    document.add_picture(io.BytesIO(png), width=Emu(width))


def xlsx_font(*, bold: bool = False, size: int = 12) -> Font:
    """The workbook font: Times New Roman like the documents (a point smaller on screen)."""
    from openpyxl.styles import Font

    return Font(name=FONT, size=size, bold=bold)
