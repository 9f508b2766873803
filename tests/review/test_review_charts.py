"""The oversight charts: round axes, period labels that never crowd, escaped text."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, timedelta
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alongside.review.charts import (
    MAX_X_LABELS,
    Series,
    label_positions,
    line_chart,
    nice_ceiling,
)
from alongside.review.oversight import NOT_READ_BY_SOFTWARE, OverrideRate, ReviewTime
from alongside.review.pages import oversight_charts, version_names
from alongside.review.service import OversightFigures
from alongside.risk.classifier import shipped_version


@pytest.mark.parametrize(
    ("value", "top"), [(0, 1), (0.7, 1), (3, 5), (42, 50), (100, 100), (130, 200), (230, 250)]
)
def test_axes_end_on_a_round_number(value: float, top: float) -> None:
    assert nice_ceiling(value) == top


def _check_labels(count: int) -> None:
    chosen = label_positions(count)
    assert len(chosen) <= MAX_X_LABELS + 1
    if count:
        assert chosen[0] == 0
        assert chosen[-1] == count - 1
        assert chosen == sorted(set(chosen))
    if count > MAX_X_LABELS:
        gaps = [b - a for a, b in pairwise(chosen)]
        assert min(gaps) >= 2


@pytest.mark.parametrize("count", [0, 1, 5, 6, 7, 8, 12, 13, 52])
def test_label_positions_examples(count: int) -> None:
    _check_labels(count)


@given(st.integers(min_value=0, max_value=400))
def test_few_labels_first_and_last_included_never_adjacent_when_thinned(count: int) -> None:
    _check_labels(count)


def test_the_chart_names_itself_escapes_text_and_leaves_gaps() -> None:
    svg = line_chart(
        "Override <rate>",
        ["1 Jun", "8 Jun", "15 Jun"],
        [Series("A & B", [10.0, None, 30.0])],
        y_label="%",
        y_max=100,
        description="Share amended",
    )
    assert svg.startswith("<svg")
    assert 'role="img"' in svg
    assert "<title" in svg
    assert "Override &lt;rate&gt;" in svg
    assert "A &amp; B" in svg
    assert "style=" not in svg  # the page's CSP allows no inline styles
    # A missing week breaks the line instead of drawing through it.
    assert len(re.findall(r"<polyline", svg)) == 2


def _figures(weeks: dict[str, tuple[int, int]]) -> OversightFigures:
    """Oversight figures with these weeks' (decided, amended) and a review time for each."""
    rates = [OverrideRate(week, decided, amended, 0) for week, (decided, amended) in weeks.items()]
    hour = timedelta(hours=1)
    return OversightFigures(
        overall=OverrideRate("all", 0, 0, 0),
        by_rule=[],
        by_ruleset=[],
        by_model=[],
        review_times=[],
        targets={"soon": 10 * hour},
        escalation_minutes=15,
        by_week=rates,
        review_times_by_week={
            (w, "soon"): ReviewTime("soon", 1, 0, 5 * hour, 5 * hour) for w in weeks
        },
    )


def test_weeks_without_decisions_keep_their_place_on_the_time_axis() -> None:
    # Decisions in the weeks of 2 and 9 November and of 30 November, none in between: the
    # chart has all five weeks, the line breaks over the empty ones, and 30 November is never
    # drawn next to 9 November as if it followed it.
    charts = oversight_charts(
        _figures({"2026-11-02": (4, 1), "2026-11-09": (2, 1), "2026-11-30": (5, 0)})
    )
    override = str(charts["override"])
    for label in ("2 Nov", "9 Nov", "16 Nov", "23 Nov", "30 Nov"):
        assert label in override
    xs = [
        float(point.split(",")[0])
        for points in re.findall(r'<polyline[^>]*points="([^"]*)"', override)
        for point in points.split()
    ]
    # 2 and 9 November joined, 30 November on its own, three weeks on from 9 November.
    assert len(xs) == 3
    assert xs[2] - xs[1] == pytest.approx(3 * (xs[1] - xs[0]))
    waits = str(charts["waits"])
    assert "16 Nov" in waits


def test_the_charts_span_at_most_the_last_twelve_weeks_up_to_the_latest() -> None:
    weeks = {(date(2026, 1, 5) + timedelta(weeks=k)).isoformat(): (3, 1) for k in range(30)}
    override = str(oversight_charts(_figures(weeks))["override"])
    xs = [
        float(point.split(",")[0])
        for points in re.findall(r'<polyline[^>]*points="([^"]*)"', override)
        for point in points.split()
    ]
    assert len(xs) == 12  # the twelve weeks up to the latest, 11 May to 27 July
    assert "27 Jul" in override
    assert "11 May" in override
    assert "4 May" not in override


def test_versions_are_named_as_a_lead_would_name_them() -> None:
    figures = replace(
        _figures({}),
        by_model=[
            OverrideRate(str(shipped_version()), 10, 1, 0),
            OverrideRate("risk-ft1-0123456789ab-s2", 5, 2, 0),
            OverrideRate(NOT_READ_BY_SOFTWARE, 3, 0, 0),
        ],
        by_ruleset=[OverrideRate("alongside-default 2.0.1", 18, 3, 0)],
    )
    assert version_names(figures) == {
        str(shipped_version()): "The risk reader in use now",
        "risk-ft1-0123456789ab-s2": "An earlier risk reader",
        NOT_READ_BY_SOFTWARE: "Not read by software (no consent to it, or nothing written)",
        "alongside-default 2.0.1": "Rules version 2.0.1",
    }
