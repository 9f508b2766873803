"""NHS Talking Therapies paired outcomes, written from the manual's definitions.

Caseness at the start: PHQ-9 >= 10 or GAD-7 >= 8. Recovery: at caseness at the start and
below caseness on both at the end. Reliable improvement: a reliable fall (PHQ-9 >= 6 points,
GAD-7 >= 4) on at least one and no reliable rise on the other; reliable deterioration the
reverse. Reliable recovery: recovery and reliable improvement (NHS Talking Therapies Manual,
2023).
"""

from __future__ import annotations

import pytest

from alongside.measures.paired import course_outcome, paired_outcome

CASES = [
    # (phq9 first, last), (gad7 first, last): case, recovery, improve, deteriorate, rel. recovery
    ((15, 8), (12, 6), True, True, True, False, True),
    ((15, 9), (12, 9), True, False, True, False, False),  # GAD-7 9 still at caseness (>= 8)
    ((15, 12), (12, 6), True, False, True, False, False),  # PHQ-9 12 still a case
    ((10, 9), (8, 7), True, True, False, False, False),  # below caseness, no reliable change
    ((15, 8), (12, 16), True, False, False, False, False),  # one better, one worse: neither
    ((8, 16), (6, 5), False, None, False, True, None),  # not a case at the start
    ((9, 4), (7, 3), False, None, True, False, None),  # improvement without caseness
    ((20, 14), (15, 11), True, False, True, False, False),  # PHQ-9 -6 is reliable (>= 6)
    ((20, 15), (15, 12), True, False, False, False, False),  # -5 and -3: below both thresholds
    ((4, 10), (3, 7), False, None, False, True, None),  # PHQ-9 +6 reliable rise
]


@pytest.mark.parametrize(
    ("phq9", "gad7", "case", "recovery", "improved", "deteriorated", "reliable_recovery"), CASES
)
def test_paired_definitions(
    phq9: tuple[float, float],
    gad7: tuple[float, float],
    case: bool,
    recovery: bool | None,
    improved: bool,
    deteriorated: bool,
    reliable_recovery: bool | None,
) -> None:
    outcome = paired_outcome(phq9, gad7)
    assert outcome.caseness_at_start is case
    assert outcome.recovery is recovery
    assert outcome.reliable_improvement is improved
    assert outcome.reliable_deterioration is deteriorated
    assert outcome.reliable_recovery is reliable_recovery
    assert "NHS Talking Therapies" in outcome.label
    assert "Manual (2023)" in outcome.source


def test_summary_in_words() -> None:
    assert paired_outcome((15, 8), (12, 6)).summary == "reliable recovery"
    assert paired_outcome((10, 9), (8, 7)).summary == "recovery (without reliable improvement)"
    assert paired_outcome((15, 9), (12, 9)).summary == "reliable improvement"
    assert paired_outcome((15, 14), (12, 11)).summary == "no reliable change"
    assert paired_outcome((8, 16), (6, 5)).summary.startswith("reliable deterioration; not at")


def test_course_needs_two_measures_of_each() -> None:
    assert course_outcome([15], [12, 6]) is None
    assert course_outcome([15, 11, 8], [12, 6]) == paired_outcome((15, 8), (12, 6))
