"""Trends and cadence, pure: hand-computed examples at both edges of the NHS TT thresholds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alongside.measures.cadence import interval_due, session_due
from alongside.measures.trends import (
    CANNOT_COMPUTE,
    INTO_CASENESS,
    NO_RELIABLE_CHANGE,
    RELIABLE_DETERIORATION,
    RELIABLE_IMPROVEMENT,
    RELIABLE_RECOVERY,
    TOO_FEW,
    Measurement,
    bands_of,
    client_trends,
    instrument_trend,
    needs_attention,
)

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def series(instrument: str, totals: list[int], flags: dict[int, tuple[str, ...]] | None = None):
    """Weekly measures of one instrument, oldest first."""
    flags = flags or {}
    return [
        Measurement(instrument, T0 + timedelta(weeks=i), total, "band", flags.get(i, ()))
        for i, total in enumerate(totals)
    ]


# PHQ-9: reliable change at 6 points or more; caseness at 10 or more (NHS TT Manual 2023).
# GAD-7: reliable change at 4 points or more; caseness at 8 or more.
@pytest.mark.parametrize(
    ("instrument", "first", "latest", "outcome"),
    [
        ("phq9", 10, 15, NO_RELIABLE_CHANGE),  # +5: one short of 6
        ("phq9", 10, 16, RELIABLE_DETERIORATION),  # +6: exactly the threshold
        ("phq9", 16, 11, NO_RELIABLE_CHANGE),  # -5
        ("phq9", 16, 10, RELIABLE_IMPROVEMENT),  # -6 but still a case (10 >= 10)
        ("phq9", 15, 9, RELIABLE_RECOVERY),  # -6 and from case to 9 (below 10)
        ("phq9", 14, 9, NO_RELIABLE_CHANGE),  # case to non-case, but -5 is not reliable
        ("gad7", 8, 11, NO_RELIABLE_CHANGE),  # +3
        ("gad7", 8, 12, RELIABLE_DETERIORATION),  # +4
        ("gad7", 11, 8, NO_RELIABLE_CHANGE),  # -3
        ("gad7", 12, 8, RELIABLE_IMPROVEMENT),  # -4 still a case (8 >= 8)
        ("gad7", 11, 7, RELIABLE_RECOVERY),  # -4 and 7 is below 8
    ],
)
def test_first_to_latest_at_the_edges(instrument, first, latest, outcome):
    trend = instrument_trend(instrument, series(instrument, [first, latest]))
    assert trend.outcome == outcome
    assert trend.overall is not None
    assert trend.overall.change == latest - first
    assert trend.latest_deteriorated is (outcome == RELIABLE_DETERIORATION)


def test_into_caseness_is_marked_with_the_deterioration():
    trend = instrument_trend("phq9", series("phq9", [3, 10]))
    assert trend.latest.marks == (RELIABLE_DETERIORATION, INTO_CASENESS)
    assert trend.overall is not None
    assert trend.overall.case_before is False
    assert trend.overall.case_after is True


def test_each_point_is_judged_against_previous_and_first():
    trend = instrument_trend("phq9", series("phq9", [8, 11, 15, 12, 18]))
    points = trend.points
    assert points[0].from_previous is None
    assert points[0].from_first is None
    assert [p.from_previous.change for p in points[1:]] == [3, 4, -3, 6]
    assert [p.from_first.change for p in points[1:]] == [3, 7, 4, 10]
    # 15: +7 from the first (reliable), +4 from the previous (not)
    assert points[2].deteriorated
    assert not points[3].deteriorated
    # 18: +6 from the previous and +10 from the first
    assert points[4].deteriorated
    assert trend.latest_deteriorated
    assert trend.outcome == RELIABLE_DETERIORATION


def test_latest_deterioration_from_previous_only():
    # 5 -> 12 -> 6 -> 12: the last is +6 from the previous; from the first +7.
    trend = instrument_trend("phq9", series("phq9", [12, 6, 12]))
    assert trend.points[-1].from_first.direction == "no reliable change"
    assert trend.points[-1].from_previous.direction == "deteriorated"
    assert trend.latest_deteriorated


def test_one_measure_is_not_a_trend_verdict():
    trend = instrument_trend("gad7", series("gad7", [9]))
    assert trend.outcome == TOO_FEW
    assert not trend.latest_deteriorated
    assert trend.overall is None


def test_series_is_sorted_by_date_and_other_instruments_ignored():
    measures = list(reversed(series("phq9", [20, 10]))) + series("gad7", [3])
    trend = instrument_trend("phq9", measures)
    assert [p.total for p in trend.points] == [20, 10]


def test_uncited_instrument_says_it_cannot_compute():
    trend = instrument_trend("who5", series("who5", [40, 80]))
    assert trend.outcome == CANNOT_COMPUTE
    assert trend.higher_is_better is None
    assert trend.sources == ()


def test_bands_and_caseness_come_from_the_definitions():
    trend = instrument_trend("phq9", series("phq9", [5]))
    assert [(b.name, b.low, b.high) for b in trend.bands] == [
        ("minimal", 0, 4),
        ("mild", 5, 9),
        ("moderate", 10, 14),
        ("moderately severe", 15, 19),
        ("severe", 20, 27),
    ]
    assert trend.caseness_cutoff == 10
    assert trend.caseness_at_least
    assert any("NHS Talking Therapies" in s for s in trend.sources)
    assert [b.name for b in bands_of("gad7")] == ["minimal", "mild", "moderate", "severe"]


def test_category_instruments_have_no_trend():
    with pytest.raises(ValueError, match="no summed score"):
        instrument_trend("cssrs-screen", [])
    measures = [Measurement("cssrs-screen", T0, None, "low", ("cssrs-q1",))]
    assert client_trends(measures + series("gad7", [4])) != []
    assert [t.instrument_id for t in client_trends(measures)] == []


def test_attention_for_deterioration_and_critical_items():
    calm = series("phq9", [12, 10])
    assert not needs_attention(calm)
    worse = series("gad7", [5, 9])
    attention = needs_attention(calm + worse)
    assert attention
    assert attention.reasons == ("GAD-7: reliable deterioration, 5 to 9 (threshold 4 points).",)
    assert attention.latest_at == T0 + timedelta(weeks=1)
    item9 = series("phq9", [12, 10], flags={1: ("phq9-item9",)})
    assert needs_attention(item9).reasons == ("PHQ-9: question 9 answered (a critical item).",)
    cssrs = [Measurement("cssrs-screen", T0 + timedelta(days=3), None, "moderate", ("cssrs-q3",))]
    assert "C-SSRS screener" in needs_attention(calm + cssrs).reasons[0]


def test_attention_looks_at_the_latest_measure_only():
    # A flag on an earlier PHQ-9 and a deterioration that has since recovered: nothing now.
    measures = series("phq9", [4, 12, 5], flags={0: ("phq9-item9",)})
    assert not needs_attention(measures)


@given(st.lists(st.integers(min_value=0, max_value=27), min_size=2, max_size=10))
def test_deterioration_flag_matches_the_threshold(totals):
    trend = instrument_trend("phq9", series("phq9", totals))
    expected = totals[-1] - totals[-2] >= 6 or totals[-1] - totals[0] >= 6
    assert trend.latest_deteriorated is expected


def test_interval_due_dates():
    anchor = T0
    assert interval_due(anchor, 14, anchor + timedelta(days=13), None) is None
    assert interval_due(anchor, 14, anchor + timedelta(days=14), None) == anchor + timedelta(
        days=14
    )
    due = interval_due(anchor, 14, anchor + timedelta(days=45), None)
    assert due == anchor + timedelta(days=42)  # the latest missed date only
    assert interval_due(anchor, 14, anchor + timedelta(days=45), due) is None
    with pytest.raises(ValueError, match="at least 1"):
        interval_due(anchor, 0, anchor, None)


def test_session_due_dates():
    lead = timedelta(hours=48)
    now = T0
    soon = now + timedelta(hours=30)
    later = now + timedelta(hours=60)
    assert session_due([later], lead, now, None) is None
    assert session_due([later, soon], lead, now, None) == soon
    assert session_due([soon], lead, now, soon) is None
    assert session_due([now - timedelta(hours=1)], lead, now, None) is None
