"""A client's export as a readable PDF (fpdf2, pure Python; the DejaVu font is shipped, so
any name prints and nothing is fetched)."""

from __future__ import annotations

from importlib import resources

from fpdf import FPDF

from alongside.privacy.export import ClientExport

_FONT = "DejaVu"


def _font_path(name: str) -> str:
    return str(resources.files("alongside.privacy").joinpath(f"fonts/{name}"))


def export_pdf(export: ClientExport) -> bytes:
    """The export as a PDF: your details, scores, appointments, consents, who opened it."""
    pdf = FPDF(format="A4")
    pdf.set_title("Your record")
    pdf.set_creator("Alongside")
    pdf.add_font(_FONT, "", _font_path("DejaVuSans.ttf"))
    pdf.add_font(_FONT, "B", _font_path("DejaVuSans-Bold.ttf"))
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    width = pdf.epw
    pdf.set_font(_FONT, "B", 16)
    pdf.multi_cell(width, 9, f"Your record: {export.client_name}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(_FONT, "", 10)
    pdf.multi_cell(
        width,
        6,
        f"Produced {export.produced_at.strftime('%d %B %Y, %H:%M UTC')}. Everything the clinic "
        "holds about you that you are entitled to. The same data, in a form other software can "
        "read (FHIR), is in the JSON download.",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    for heading, rows in export.facts.items():
        pdf.ln(3)
        pdf.set_font(_FONT, "B", 12)
        pdf.multi_cell(width, 7, heading, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(_FONT, "", 10)
        if not rows:
            pdf.multi_cell(width, 6, "Nothing yet.", new_x="LMARGIN", new_y="NEXT")
        for label, value in rows:
            pdf.multi_cell(width, 6, f"{label}: {value}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font(_FONT, "B", 12)
    pdf.multi_cell(width, 7, "Not included", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(_FONT, "", 10)
    for text in export.not_included:
        pdf.multi_cell(width, 6, f"• {text}", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
