"""The chart's SVG: parses as XML, bands present, marks named, nothing external or inline-styled."""

from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest

from alongside.measures.chart import chart_svg, describe
from alongside.measures.trends import Measurement, instrument_trend

NS = {"svg": "http://www.w3.org/2000/svg"}
T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def trend_of(instrument: str, totals: list[int]):
    """A trend of weekly measures."""
    measures = [
        Measurement(instrument, T0 + timedelta(weeks=i), total, "band")
        for i, total in enumerate(totals)
    ]
    return instrument_trend(instrument, measures)


def parse(svg: str) -> ET.Element:
    """Our own output, parsed to check its structure."""
    return ET.fromstring(svg)  # noqa: S314 - parses the chart this test just made


@pytest.mark.parametrize(
    ("instrument", "totals"),
    [
        ("phq9", [18, 16, 13, 10, 7, 6]),
        ("gad7", [6, 7, 9, 12]),
        ("gad7", [9]),
        ("who5", [40, 28, 60]),
        ("pcl5", [50, 41, 30, 22, 35, 12, 18, 16]),
    ],
)
def test_svg_is_self_contained_and_accessible(instrument, totals):
    trend = trend_of(instrument, totals)
    svg = chart_svg(trend)
    root = parse(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    # No script, no stylesheet, no inline style (the CSP allows neither), no external reference.
    assert "<script" not in svg
    assert "<style" not in svg
    assert "style=" not in svg
    assert re.findall(r"https?://[^\s\"'<>]+", svg) == ["http://www.w3.org/2000/svg"]
    assert "href" not in svg
    assert "<!--" not in svg
    # Named for screen readers.
    assert root.get("role") == "img"
    title = root.find("svg:title", NS)
    desc = root.find("svg:desc", NS)
    assert title is not None
    assert desc is not None
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert desc.text == describe(trend)
    # One shaded rectangle per band, each with its name.
    bands = [
        r
        for r in root.iter("{http://www.w3.org/2000/svg}rect")
        if "band" in r.get("class", "").split()
    ]
    assert len(bands) == len(trend.bands)
    labels = [
        t.text
        for t in root.iter("{http://www.w3.org/2000/svg}text")
        if t.get("class") == "band-label"
    ]
    assert labels == [b.name for b in trend.bands]
    # Bands tile the plot from bottom to top without gaps.
    for lower, upper in itertools.pairwise(bands):
        assert float(upper.get("y")) + float(upper.get("height")) == pytest.approx(
            float(lower.get("y")), abs=0.02
        )
    # One point per score.
    dots = [
        c for c in root.iter("{http://www.w3.org/2000/svg}circle") if "dot" in c.get("class", "")
    ]
    assert len(dots) == len(totals)


def test_reliable_changes_are_ringed_and_named():
    trend = trend_of("phq9", [18, 16, 13, 10, 7, 6])
    root = parse(chart_svg(trend))
    marks = [
        g
        for g in root.iter("{http://www.w3.org/2000/svg}g")
        if "mark" in g.get("class", "").split()
    ]
    words = [g.find("svg:text", NS).text for g in marks]
    # 10: -8 from 18 (still a case at 10); 7 and 6: below caseness, reliable recovery.
    assert words == ["reliably better", "reliable recovery", "reliable recovery"]
    assert "reliable recovery" in describe(trend)


def test_deterioration_and_caseness_line():
    trend = trend_of("gad7", [6, 7, 9, 12])
    svg = chart_svg(trend)
    root = parse(svg)
    classes = [g.get("class", "") for g in root.iter("{http://www.w3.org/2000/svg}g")]
    assert "mark mark-reliable-deterioration" in classes
    caseness = [
        p for p in root.iter("{http://www.w3.org/2000/svg}path") if p.get("class") == "caseness"
    ]
    assert len(caseness) == 1
    assert "caseness \u2265 8" in svg


def test_uncited_direction_gets_neutral_bands():
    root = parse(chart_svg(trend_of("who5", [40, 60])))
    fills = {
        r.get("fill")
        for r in root.iter("{http://www.w3.org/2000/svg}rect")
        if "band" in r.get("class", "").split()
    }
    assert fills == {"#f2f2f2", "#e6e6e6"}


def test_pygal_leaves_no_legacy_import_finder():
    # pygal's map-plugin finder has no find_spec; left in sys.meta_path it turns every
    # import that falls through into an ImportWarning (an error under this suite's settings).
    import sys

    import alongside.measures.chart  # noqa: F401 - imported for its side effect

    assert not [f for f in sys.meta_path if type(f).__module__ == "pygal"]
