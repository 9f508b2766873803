"""A client's timeline as a PDF for the paper record (fpdf2 and the shipped DejaVu font, so any
name prints and nothing is fetched)."""

from __future__ import annotations

from datetime import datetime
from importlib import resources
from zoneinfo import ZoneInfo

from fpdf import FPDF

from alongside.clients.timeline import KINDS, Timeline

_FONT = "DejaVu"


def _font_path(name: str) -> str:
    return str(resources.files("alongside.privacy").joinpath(f"fonts/{name}"))


def timeline_pdf(timeline: Timeline, produced_at: datetime, produced_by: str) -> bytes:
    """The timeline, newest first, day by day, with who produced it and when."""
    zone = ZoneInfo(timeline.zone)
    client = timeline.client
    pdf = FPDF(format="A4")
    pdf.set_title(f"Record of {client.given_name} {client.family_name}")
    pdf.set_creator("Alongside")
    pdf.add_font(_FONT, "", _font_path("DejaVuSans.ttf"))
    pdf.add_font(_FONT, "B", _font_path("DejaVuSans-Bold.ttf"))
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    width = pdf.epw

    def line(text: str, size: int = 10, bold: bool = False, height: int = 6) -> None:
        pdf.set_font(_FONT, "B" if bold else "", size)
        pdf.multi_cell(width, height, text, new_x="LMARGIN", new_y="NEXT")

    line(f"{client.given_name} {client.family_name}", 16, bold=True, height=9)
    if client.date_of_birth:
        line(f"Born {client.date_of_birth}")
    local = produced_at.astimezone(zone)
    line(
        f"Timeline produced {local.strftime('%d %B %Y, %H:%M')} {local.tzname()} by "
        f"{produced_by}. Confidential: part of the clinical record."
    )
    shown = ", ".join(words for kind, words in KINDS.items() if kind in timeline.kinds)
    line(f"Shows: {shown}.")
    if not timeline.days:
        pdf.ln(3)
        line("Nothing has happened yet.")
    for day, entries in timeline.days:
        pdf.ln(3)
        line(day, 12, bold=True, height=7)
        for entry in entries:
            moment = entry.at.astimezone(zone)
            line(f"{moment.strftime('%H:%M')} {moment.tzname()}  {entry.title}", bold=True)
            for text in entry.lines:
                line(f"    {text}")
            if entry.quote:
                line(f"    The client wrote: “{entry.quote}”")
    return bytes(pdf.output())
