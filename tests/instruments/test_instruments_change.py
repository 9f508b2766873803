"""Reliable and clinically significant change (Jacobson & Truax 1991; NHS Talking Therapies)."""

from __future__ import annotations

import math

import pytest

from alongside.errors import InvalidInput
from alongside.instruments import get_instrument, reliable_change
from alongside.instruments.library import InstrumentDefinition
from alongside.instruments.scoring import change_for_definition


@pytest.mark.parametrize(
    ("instrument_id", "before", "after", "direction", "significant"),
    [
        # NHS Talking Therapies: PHQ-9 reliable change 6 points, caseness 10 or more.
        ("phq9", 18, 8, "improved", True),
        ("phq9", 18, 12, "improved", False),  # reliable, still a case
        ("phq9", 12, 7, "no reliable change", False),  # crosses caseness, 5 points only
        ("phq9", 9, 3, "improved", False),  # reliable, never a case
        ("phq9", 8, 14, "deteriorated", False),
        ("phq9", 14, 14, "no reliable change", False),
        # GAD-7: reliable change 4 points, caseness 8 or more.
        ("gad7", 10, 6, "improved", True),
        ("gad7", 10, 7, "no reliable change", False),
        ("gad7", 3, 7, "deteriorated", False),
    ],
)
def test_nhs_talking_therapies_thresholds(
    instrument_id: str, before: float, after: float, direction: str, significant: bool
) -> None:
    result = reliable_change(instrument_id, before, after)
    assert result.direction == direction
    assert result.clinically_significant is significant
    assert result.method == "points"
    assert result.change == after - before
    assert any("NHS Talking Therapies" in source for source in result.sources)


def test_deterioration_into_caseness_is_noted() -> None:
    result = reliable_change("phq9", 8, 14)
    assert (result.case_before, result.case_after) == (False, True)
    assert result.caseness_cutoff == ">= 10"
    assert result.notes == ["PHQ-9 moved into the case range (>= 10)."]


@pytest.mark.parametrize("instrument_id", ["phq2", "gad2", "pcl5", "auditc", "who5"])
def test_without_cited_figures_it_cannot_compute(instrument_id: str) -> None:
    result = reliable_change(instrument_id, 0, 4)
    assert result.direction == "cannot compute"
    assert result.reliable is None
    assert result.sources == []
    assert "cannot be computed" in result.notes[0]


def test_cssrs_has_no_total_to_compare() -> None:
    result = reliable_change("cssrs-screen", 0, 1)
    assert result.direction == "cannot compute"
    assert "no summed score" in result.notes[0]


@pytest.mark.parametrize(
    ("before", "after", "message"),
    [
        (-1, 5, "before score -1 is out of range 0\u201327"),
        (5, 28, "after score 28"),
        (math.nan, 5, "must be a number"),
        (True, 5, "must be a number"),
    ],
)
def test_scores_outside_the_range_are_refused(before: float, after: float, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        reliable_change("phq9", before, after)


def _with_rci(higher_is_better: bool) -> InstrumentDefinition:
    # The generic Jacobson & Truax path, on a test copy of a definition with SD 5, r 0.84.
    base = get_instrument("who5" if higher_is_better else "phq9")
    data = base.model_dump()
    data["change"] = {
        "higher_is_better": higher_is_better,
        "reliable": {"method": "rci", "sd": 5.0, "reliability": 0.84, "source": "test figures"},
        "caseness": {"at_most": 28, "source": "test"} if higher_is_better else None,
    }
    return type(base).model_validate(data)


def test_jacobson_truax_rci() -> None:
    definition = _with_rci(higher_is_better=False)
    # S_diff = sqrt(2) * 5 * sqrt(1 - 0.84) = 2.828...; -6 / 2.828 = -2.12 > 1.96.
    result = change_for_definition(definition, 15, 9)
    assert result.rci == pytest.approx(-6 / (math.sqrt(2) * 5 * 0.4))
    assert result.direction == "improved"
    assert result.threshold == 1.96
    assert result.caseness_cutoff is None
    assert result.clinically_significant is None
    small = change_for_definition(definition, 15, 10)  # -5 / 2.83 = -1.77
    assert small.direction == "no reliable change"


def test_rci_where_higher_is_better() -> None:
    definition = _with_rci(higher_is_better=True)
    result = change_for_definition(definition, 20, 60)
    assert result.direction == "improved"
    assert (result.case_before, result.case_after, result.clinically_significant) == (
        True,
        False,
        True,
    )
    assert result.caseness_cutoff == "<= 28"
    assert change_for_definition(definition, 60, 20).direction == "deteriorated"
    assert reliable_change("phq9", 18, 8).to_dict()["direction"] == "improved"
