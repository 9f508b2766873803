"""One instrument's scores over time as an SVG, drawn server-side with pygal.

The SVG is put inline in the page, under a Content-Security-Policy that allows no inline
script and no inline style. So the chart carries no ``<script>`` (``js=[]``), no ``<style>``
element and no ``style`` attribute (pygal's are removed); its look comes from SVG presentation
attributes (``fill``, ``stroke``...), which CSP does not govern. Nothing refers to another
address: pygal's comments with its home page are removed, and the only ``http`` left is the
SVG namespace.

What it shows: the severity bands as shaded horizontal ranges with their names (each band
drawn from half a point below its lowest total to half a point above its highest, so bands
tile the axis), the caseness cut-off as a dashed line, the scores as a line with points, and
each point that is a reliable change (from the first measure or the previous one) ringed and
labelled in words, so colour is never the only cue. ``<title>`` and ``<desc>`` name the chart
for screen readers; the page puts the same data in a table next to it.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from datetime import datetime
from typing import Any

import pygal

from alongside.measures.trends import (
    RELIABLE_DETERIORATION,
    RELIABLE_IMPROVEMENT,
    RELIABLE_RECOVERY,
    InstrumentTrend,
    TrendPoint,
)

# pygal appends a legacy finder for its map plugins to sys.meta_path; it has no find_spec, so
# Python 3.11 warns (ImportWarning) on every later import that falls through to it, e.g. an
# optional platform module. Alongside uses no map plugin: take the finder out again.
sys.meta_path[:] = [f for f in sys.meta_path if type(f).__module__ != pygal.__name__]

SVG_NS = "http://www.w3.org/2000/svg"
WIDTH = 640
# Room right of the plot for the band names.
RIGHT_MARGIN = 120
HEIGHT = 320
# Light fills from the mildest band to the most severe (WCAG: text on them stays dark).
BAND_FILLS = ("#e6f4ea", "#f3f8e4", "#fff8e1", "#ffedd5", "#fde2e2", "#f9d0d0")
NEUTRAL_FILLS = ("#f2f2f2", "#e6e6e6")
LINE_COLOUR = "#1d3f8f"
TEXT_COLOUR = "#222222"
MUTED_COLOUR = "#4a4a4a"
MARK_STYLES: dict[str, tuple[str, str]] = {
    # mark -> (colour, label on the chart)
    RELIABLE_DETERIORATION: ("#b71c1c", "reliably worse"),
    RELIABLE_RECOVERY: ("#1b5e20", "reliable recovery"),
    RELIABLE_IMPROVEMENT: ("#1b5e20", "reliably better"),
}
MARK_PRIORITY = (RELIABLE_DETERIORATION, RELIABLE_RECOVERY, RELIABLE_IMPROVEMENT)


def chart_id(instrument_id: str) -> str:
    """The id prefix of an instrument's chart (unique on a client's page)."""
    return f"measures-chart-{instrument_id}"


def _date(value: datetime) -> str:
    return value.strftime("%d %b %Y")


def _number(value: float) -> str:
    return f"{value:g}"


def describe(trend: InstrumentTrend) -> str:
    """A plain-language summary of the chart, for its ``<desc>``."""
    points = trend.points
    bands = "; ".join(f"{b.name} {b.low} to {b.high}" for b in trend.bands)
    if not points:
        return f"No {trend.title} scores yet. Bands: {bands}."
    first, latest = points[0], points[-1]
    parts = [
        f"{len(points)} {trend.title} score{'s' if len(points) != 1 else ''} "
        f"from {_date(first.measured_at)} to {_date(latest.measured_at)}.",
        f"First {_number(first.total)} ({first.severity}), "
        f"latest {_number(latest.total)} ({latest.severity}); first to latest: {trend.outcome}.",
    ]
    marked = [
        f"{_date(p.measured_at)} {_number(p.total)}: {', '.join(p.marks)}"
        for p in points
        if p.marks
    ]
    if marked:
        parts.append("Marked points: " + "; ".join(marked) + ".")
    parts.append(f"Bands: {bands}.")
    if trend.caseness_cutoff is not None:
        sign = "at least" if trend.caseness_at_least else "at most"
        parts.append(f"Caseness: {sign} {_number(trend.caseness_cutoff)}.")
    return " ".join(parts)


def _main_mark(point: TrendPoint) -> str | None:
    marks = point.marks
    return next((mark for mark in MARK_PRIORITY if mark in marks), None)


def _clean(element: ET.Element) -> None:
    """Drop comments, styles, scripts, tooltips and pygal's pixel descs; recursively."""
    for child in list(element):
        tag = child.tag
        classes = str(child.get("class", "")).split()
        if (
            not isinstance(tag, str)  # a comment or processing instruction
            or tag in ("style", "script")
            or "tooltip-overlay" in classes
            or "text-overlay" in classes
            or (tag == "desc" and ("x" in classes or "y" in classes))
        ):
            element.remove(child)
            continue
        child.attrib.pop("style", None)
        _clean(child)


def _paint(element: ET.Element, axis: str | None = None) -> None:
    """Presentation attributes in place of pygal's stylesheet."""
    for child in element:
        classes = str(child.get("class", "")).split()
        child_axis = axis
        if "axis" in classes:
            child_axis = "x" if "x" in classes else "y"
        tag = child.tag
        if tag == "rect" and "background" in classes:
            child.set("fill", "#ffffff")
        elif tag == "path" and "line" in classes:
            child.set("fill", "none")
            if "reactive" in classes:  # the series line
                child.set("stroke", LINE_COLOUR)
                child.set("stroke-width", "2.5")
            elif child_axis == "x" and "guide" in classes:
                child.set("stroke", "none")
            elif "guide" in classes:
                child.set("stroke", "#9e9e9e")
                child.set("stroke-width", "0.5")
                child.set("stroke-dasharray", "3,3")
            else:
                child.set("stroke", MUTED_COLOUR)
        elif tag == "circle" and "dot" in classes:
            child.set("fill", LINE_COLOUR)
            child.set("r", "4")
        elif tag == "text" and child.get("fill") is None:
            child.set("fill", TEXT_COLOUR)
            if child_axis == "y":
                child.set("text-anchor", "end")
            elif child_axis == "x":
                child.set("text-anchor", "middle")
        _paint(child, child_axis)


def _plot_group(root: ET.Element) -> ET.Element | None:
    for element in root.iter("g"):
        if str(element.get("class", "")).split() == ["plot"]:
            return element
    return None


def _overlay_dots(root: ET.Element) -> list[ET.Element]:
    for element in root.iter("g"):
        classes = str(element.get("class", "")).split()
        if "plot" in classes and "overlay" in classes:
            return [c for c in element.iter("circle") if "dot" in str(c.get("class", ""))]
    return []


def _add_bands(plot: ET.Element, trend: InstrumentTrend, view: Any) -> None:
    low, high = trend.total_range
    width = float(view.width)
    group = ET.Element("g", {"class": "bands"})
    count = len(trend.bands)
    for position, band in enumerate(trend.bands):
        if trend.higher_is_better is None:
            # No cited direction of change: neutral shading, no claim about which is worse.
            fill = NEUTRAL_FILLS[position % 2]
        else:
            # Severity rises with the band's position unless higher totals are better.
            rank = count - 1 - position if trend.higher_is_better else position
            fill = BAND_FILLS[min(len(BAND_FILLS) - 1, round(rank * 5 / max(1, count - 1)))]
        bottom = max(float(low), band.low - 0.5)
        top = min(float(high), band.high + 0.5)
        y_top, y_bottom = float(view.y(top)), float(view.y(bottom))
        ET.SubElement(
            group,
            "rect",
            {
                "class": f"band band-{position}",
                "x": "0",
                "y": f"{y_top:.2f}",
                "width": f"{width:.2f}",
                "height": f"{max(0.0, y_bottom - y_top):.2f}",
                "fill": fill,
            },
        )
        # In the right margin, outside the plot, so no point or mark covers it.
        label = ET.SubElement(
            group,
            "text",
            {
                "class": "band-label",
                "x": f"{width + 6:.2f}",
                "y": f"{(y_top + y_bottom) / 2 + 3.5:.2f}",
                "text-anchor": "start",
                "font-size": "10",
                "fill": MUTED_COLOUR,
            },
        )
        label.text = band.name
    if trend.caseness_cutoff is not None:
        # The boundary between case and non-case totals (whole-number scores).
        edge = (
            trend.caseness_cutoff - 0.5 if trend.caseness_at_least else trend.caseness_cutoff + 0.5
        )
        y = float(view.y(edge))
        ET.SubElement(
            group,
            "path",
            {
                "class": "caseness",
                "d": f"M0 {y:.2f} h{width:.2f}",
                "stroke": "#6a1b9a",
                "stroke-width": "1.5",
                "stroke-dasharray": "6,4",
                "fill": "none",
            },
        )
        sign = "\u2265" if trend.caseness_at_least else "\u2264"
        text = ET.SubElement(
            group,
            "text",
            {
                "class": "caseness-label",
                "x": "4",
                "y": f"{y - 3:.2f}",
                "font-size": "10",
                "fill": "#6a1b9a",
            },
        )
        text.text = f"caseness {sign} {_number(trend.caseness_cutoff)}"
    # After the plot's own background, before the axes and the line.
    plot.insert(1, group)


def _add_marks(root: ET.Element, trend: InstrumentTrend, plot_width: float) -> None:
    dots = _overlay_dots(root)
    if len(dots) != len(trend.points):
        return
    last_label_x: float | None = None
    for dot, point in zip(dots, trend.points, strict=True):
        mark = _main_mark(point)
        if mark is None:
            continue
        colour, words = MARK_STYLES[mark]
        cx, cy = float(dot.get("cx", "0")), float(dot.get("cy", "0"))
        # Neighbouring labels alternate above and below the point so they do not overlap.
        below = last_label_x is not None and cx - last_label_x < 90
        last_label_x = None if below else cx
        parent = _parent_of(root, dot)
        if parent is None:
            continue
        group = ET.SubElement(parent, "g", {"class": f"mark mark-{mark.replace(' ', '-')}"})
        ET.SubElement(
            group,
            "circle",
            {
                "cx": f"{cx:.2f}",
                "cy": f"{cy:.2f}",
                "r": "8",
                "fill": "none",
                "stroke": colour,
                "stroke-width": "2",
            },
        )
        label = ET.SubElement(
            group,
            "text",
            {
                "x": f"{cx:.2f}",
                "y": f"{cy + 20:.2f}" if below else f"{cy - 12:.2f}",
                # Kept inside the plot at either end.
                "text-anchor": (
                    "start" if cx < 60 else "end" if cx > plot_width - 60 else "middle"
                ),
                "font-size": "10",
                "font-weight": "bold",
                "fill": colour,
            },
        )
        label.text = words


def _parent_of(root: ET.Element, target: ET.Element) -> ET.Element | None:
    for element in root.iter():
        if target in list(element):
            return element
    return None


def chart_svg(trend: InstrumentTrend, *, width: int = WIDTH, height: int = HEIGHT) -> str:
    """The chart as an SVG string, safe to put inline under the app's CSP."""
    low, high = trend.total_range
    base = chart_id(trend.instrument_id)
    chart = pygal.DateTimeLine(
        js=[],
        css=[],
        disable_xml_declaration=True,
        no_prefix=True,
        show_legend=False,
        explicit_size=False,
        width=width,
        height=height,
        range=(low, high),
        y_labels=sorted({low, high, *(band.low for band in trend.bands)}),
        x_labels=[p.measured_at for p in trend.points],
        x_value_formatter=lambda value: value.strftime("%d %b"),
        x_label_rotation=-30 if len(trend.points) > 6 else 0,
        show_x_guides=False,
        dots_size=4,
        margin=16,
        margin_right=RIGHT_MARGIN,
        classes=["measures-chart"],
    )
    chart.add(trend.title, [(p.measured_at, p.total) for p in trend.points])

    def finish(root: ET.Element) -> ET.Element:
        # Runs inside pygal's render, while the chart's view (its scales) still exists.
        _clean(root)
        for title in root.findall("title"):
            root.remove(title)
        for defs in root.findall("defs"):
            if len(defs) == 0:
                root.remove(defs)
        plot = _plot_group(root)
        if plot is not None:
            _add_bands(plot, trend, chart.view)
        _paint(root)
        _add_marks(root, trend, float(chart.view.width))
        root.set("id", base)
        root.set("role", "img")
        root.set("aria-labelledby", f"{base}-title {base}-desc")
        root.set("width", "100%")
        root.set("font-family", "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif")
        root.set("font-size", "11")
        title = ET.Element("title", {"id": f"{base}-title"})
        title.text = f"{trend.title} scores over time, with severity bands"
        desc = ET.Element("desc", {"id": f"{base}-desc"})
        desc.text = describe(trend)
        root.insert(0, desc)
        root.insert(0, title)
        return root

    chart.add_xml_filter(finish)
    svg: str = chart.render(is_unicode=True)
    return svg


__all__ = ["chart_id", "chart_svg", "describe"]
