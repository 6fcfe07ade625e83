"""A published snapshot as a PDF for print: title, date, the table(s), and the method note in
plain words, in the active language. fpdf2 (pure Python) with DejaVu Sans from Debian's
fonts-dejavu-core, which covers Cyrillic; nothing is fetched."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from fpdf import FPDF

from corridor.statistics import presentation
from corridor.statistics.domain import reports
from corridor.statistics.models import Measure, Snapshot

FONT_DIR = Path(getattr(settings, "CORRIDOR_FONT_DIR", "/usr/share/fonts/truetype/dejavu"))


class FontMissing(RuntimeError):
    pass


def render(snapshot: Snapshot) -> bytes:
    regular, bold = FONT_DIR / "DejaVuSans.ttf", FONT_DIR / "DejaVuSans-Bold.ttf"
    if not regular.exists() or not bold.exists():
        raise FontMissing(f"DejaVu Sans not found in {FONT_DIR} (Debian: fonts-dejavu-core)")
    pdf = FPDF(format="A4")
    pdf.set_creator("Corridor")
    pdf.set_title(snapshot.title)
    pdf.add_font("DejaVu", "", str(regular))
    pdf.add_font("DejaVu", "B", str(bold))
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    width = pdf.epw
    pdf.set_font("DejaVu", "B", 16)
    pdf.multi_cell(width, 8, snapshot.title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    dimensions = snapshot.definition["dimensions"]
    measure = str(dict(Measure.choices).get(snapshot.definition["measure"], ""))
    published = formats.date_format(timezone.localtime(snapshot.published_at), "DATE_FORMAT")
    pdf.multi_cell(
        width,
        5,
        f"{measure} — {', '.join(presentation.label_for(d) for d in dimensions)}",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.multi_cell(width, 5, _("Published on %(date)s.") % {"date": published}, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    release = reports.release_of(snapshot)
    for block in presentation.blocks(release, dimensions, reports.medians_of(snapshot)):
        if block.title:
            pdf.set_font("DejaVu", "B", 11)
            pdf.multi_cell(width, 6, block.title, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "", 9)
        headings = [presentation.label_for(dimensions[0]), *block.columns]
        first = min(50.0, width * 0.3)
        rest = (width - first) / max(len(block.columns), 1)
        widths = [first, *([rest] * len(block.columns))]
        with pdf.table(col_widths=widths, text_align=["LEFT", *(["RIGHT"] * len(block.columns))], line_height=5) as table:
            header = table.row()
            for heading in headings:
                header.cell(heading)
            for name, cells in block.rows:
                row = table.row()
                row.cell(name)
                for cell in cells:
                    row.cell(cell)
        pdf.ln(3)
    pdf.set_font("DejaVu", "B", 11)
    pdf.multi_cell(width, 6, _("How the numbers were protected"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 9)
    for line in presentation.snapshot_note(snapshot):
        pdf.multi_cell(width, 5, f"• {line}", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
