"""Scoring against the published bands, cut-offs, critical items and C-SSRS triage."""

from __future__ import annotations

import pytest

from alongside.errors import InvalidInput
from alongside.instruments import (
    get_instrument,
    list_instruments,
    score_instrument,
)

ORDER = ["phq9", "phq2", "gad7", "gad2", "cssrs-screen", "pcl5", "auditc", "auditc-uk", "who5"]


def answers_for(instrument_id: str, raw_total: int) -> list[int]:
    """Answers (lowest items filled first) whose raw sum is ``raw_total``."""
    definition = get_instrument(instrument_id)
    answers = []
    left = raw_total
    for item in definition.items:
        top = max(o.value for o in definition.options_for(item))
        value = min(top, left)
        answers.append(value)
        left -= value
    assert left == 0, "raw total beyond the instrument's range"
    return answers


def test_list_instruments_in_display_order() -> None:
    assert list_instruments() == ORDER


def test_unknown_instrument_names_the_known_ones() -> None:
    with pytest.raises(InvalidInput) as caught:
        get_instrument("bdi2")
    assert "'bdi2'" in caught.value.message
    assert (
        "phq9, phq2, gad7, gad2, cssrs-screen, pcl5, auditc, auditc-uk, who5"
        in caught.value.message
    )


# Both edges of every band, on the reported scale, as the sources state them.
BAND_EDGES = [
    # PHQ-9, Kroenke, Spitzer & Williams 2001
    ("phq9", 0, "minimal"),
    ("phq9", 4, "minimal"),
    ("phq9", 5, "mild"),
    ("phq9", 9, "mild"),
    ("phq9", 10, "moderate"),
    ("phq9", 14, "moderate"),
    ("phq9", 15, "moderately severe"),
    ("phq9", 19, "moderately severe"),
    ("phq9", 20, "severe"),
    ("phq9", 27, "severe"),
    # PHQ-2, Kroenke et al. 2003: positive at 3 or more
    ("phq2", 0, "negative"),
    ("phq2", 2, "negative"),
    ("phq2", 3, "positive"),
    ("phq2", 6, "positive"),
    # GAD-7, Spitzer et al. 2006
    ("gad7", 0, "minimal"),
    ("gad7", 4, "minimal"),
    ("gad7", 5, "mild"),
    ("gad7", 9, "mild"),
    ("gad7", 10, "moderate"),
    ("gad7", 14, "moderate"),
    ("gad7", 15, "severe"),
    ("gad7", 21, "severe"),
    # GAD-2, Kroenke et al. 2007: positive at 3 or more
    ("gad2", 0, "negative"),
    ("gad2", 2, "negative"),
    ("gad2", 3, "positive"),
    ("gad2", 6, "positive"),
    # PCL-5, Blevins et al. 2015: cut-off 33
    ("pcl5", 0, "below threshold"),
    ("pcl5", 32, "below threshold"),
    ("pcl5", 33, "probable ptsd"),
    ("pcl5", 80, "probable ptsd"),
    # WHO-5, Topp et al. 2015 (0-100 scale; totals are multiples of 4)
    ("who5", 0, "likely depression"),
    ("who5", 28, "likely depression"),
    ("who5", 32, "poor wellbeing"),
    ("who5", 48, "poor wellbeing"),
    ("who5", 52, "adequate wellbeing"),
    ("who5", 100, "adequate wellbeing"),
    # AUDIT-C UK units version, Public Health England: 5 or more is AUDIT-C positive
    ("auditc-uk", 0, "lower risk"),
    ("auditc-uk", 4, "lower risk"),
    ("auditc-uk", 5, "positive"),
    ("auditc-uk", 12, "positive"),
]


NEVER_BUT = 'Question 1 was answered "Never", but questions 2 or 3 describe drinking'


@pytest.mark.parametrize("instrument_id", ["auditc", "auditc-uk"])
def test_auditc_never_with_drinking_answers_carries_a_note(instrument_id: str) -> None:
    # WHO AUDIT manual: after "Never" to question 1, questions 2 and 3 score 0.
    contradicted = score_instrument(instrument_id, [0, 4, 4], sex="male")
    assert any(NEVER_BUT in note for note in contradicted.notes)
    assert contradicted.total == 8  # counted as given: the note asks a person to check
    assert not any(NEVER_BUT in n for n in score_instrument(instrument_id, [0, 0, 0]).notes)
    assert not any(NEVER_BUT in n for n in score_instrument(instrument_id, [1, 4, 4]).notes)


@pytest.mark.parametrize(("instrument_id", "total", "severity"), BAND_EDGES)
def test_band_edges(instrument_id: str, total: int, severity: str) -> None:
    multiplier = get_instrument(instrument_id).scoring.multiplier
    result = score_instrument(instrument_id, answers_for(instrument_id, total // multiplier))
    assert result.total == total
    assert result.severity == severity
    assert result.risk_category is None


def test_every_band_has_an_edge_case() -> None:
    covered = {(i, s) for i, _, s in BAND_EDGES}
    for instrument_id in ORDER:
        bands = get_instrument(instrument_id).bands
        if bands is None or bands.ranges is None:
            continue
        for band in bands.ranges:
            assert (instrument_id, band.name) in covered


def test_who5_multiplies_raw_score_by_four() -> None:
    # Topp et al. 2015: raw 0-25 times 4; raw 12 -> 48, at or below 50 -> poor wellbeing.
    result = score_instrument("who5", [3, 3, 2, 2, 2])
    assert result.raw_total == 12
    assert result.total == 48
    assert result.total_range == (0, 100)
    assert result.severity == "poor wellbeing"


@pytest.mark.parametrize(
    ("answers", "sex", "severity", "cutoff_sex"),
    [
        # Bradley et al. 2007: positive at 4 or more for men, 3 or more for women.
        ([1, 1, 1], "male", "negative", "male"),
        ([2, 1, 1], "male", "positive", "male"),
        ([1, 1, 0], "female", "negative", "female"),
        ([1, 1, 1], "female", "positive", "female"),
        ([4, 4, 4], "male", "positive", "male"),
        ([0, 0, 0], "female", "negative", "female"),
        ([1, 1, 1], " Male ", "negative", "male"),
    ],
)
def test_auditc_sex_specific_cutoffs(
    answers: list[int], sex: str, severity: str, cutoff_sex: str
) -> None:
    result = score_instrument("auditc", answers, sex=sex)
    assert result.severity == severity
    assert result.cutoff_sex == cutoff_sex
    assert result.notes == []


def test_auditc_without_sex_uses_conservative_cutoff_and_says_so() -> None:
    result = score_instrument("auditc", [1, 1, 1])
    assert result.severity == "positive"
    assert result.cutoff_sex == "female"
    assert any("female cut-off" in note and "sex was not given" in note for note in result.notes)


def test_unknown_sex_is_refused() -> None:
    with pytest.raises(InvalidInput, match="sex must be 'female' or 'male'"):
        score_instrument("auditc", [1, 1, 1], sex="unknown")


def test_sex_is_ignored_where_cutoffs_do_not_differ() -> None:
    assert score_instrument("phq9", [0] * 9, sex="male").cutoff_sex is None


@pytest.mark.parametrize(("item9", "flagged"), [(0, False), (1, True), (2, True), (3, True)])
def test_phq9_item9_is_critical_at_one_or_more(item9: int, flagged: bool) -> None:
    result = score_instrument("phq9", [0] * 8 + [item9])
    assert ("phq9-item9" in result.flags) is flagged
    assert result.severity == "minimal"
    assert bool(result.reasons) is flagged


# Columbia Screen Version - Recent triage: 1/2 only -> low; 3, or 6 longer ago -> moderate;
# 4, 5, or 6 within three months -> high.
CSSRS = [
    ([0, 0, 0, 0, 0, 0], "none", []),
    ([0, 0, 0, 0, 0, 0, 0], "none", []),
    ([1, 0, 0, 0, 0, 0], "low", ["cssrs-q1"]),
    ([0, 1, 0, 0, 0, 0], "low", ["cssrs-q2"]),
    ([1, 1, 0, 0, 0, 0], "low", ["cssrs-q1", "cssrs-q2"]),
    ([1, 1, 1, 0, 0, 0], "moderate", ["cssrs-q1", "cssrs-q2", "cssrs-q3"]),
    ([0, 0, 0, 0, 0, 1, 0], "moderate", ["cssrs-q6"]),
    ([1, 1, 0, 1, 0, 0], "high", ["cssrs-q1", "cssrs-q2", "cssrs-q4"]),
    ([1, 1, 1, 0, 1, 0], "high", ["cssrs-q1", "cssrs-q2", "cssrs-q3", "cssrs-q5"]),
    ([0, 0, 0, 0, 0, 1, 1], "high", ["cssrs-q6"]),
    ([1, 1, 1, 1, 1, 1, 1], "high", [f"cssrs-q{n}" for n in range(1, 7)]),
]


@pytest.mark.parametrize(("answers", "category", "flags"), CSSRS)
def test_cssrs_triage(answers: list[int], category: str, flags: list[str]) -> None:
    result = score_instrument("cssrs-screen", answers)
    assert result.risk_category == category
    assert result.severity == category
    assert result.flags == flags
    assert result.total is None
    assert result.raw_total is None
    assert result.answers == answers


def test_cssrs_no_category_is_not_called_no_risk() -> None:
    result = score_instrument("cssrs-screen", [0] * 6)
    assert any("not a finding of no risk" in note for note in result.notes)


def test_cssrs_skipped_question_answered_yes_still_counts() -> None:
    # Questions 3-5 are asked only after a yes to 2; a yes there anyway is counted (fail closed).
    result = score_instrument("cssrs-screen", [0, 0, 0, 0, 1, 0])
    assert result.risk_category == "high"
    assert any("question 5" in note and "counted" in note for note in result.notes)


def test_cssrs_recent_behaviour_needed_when_q6_is_yes() -> None:
    with pytest.raises(InvalidInput, match=r"question 6 follow-up .*missing"):
        score_instrument("cssrs-screen", [0, 0, 0, 0, 0, 1])


def test_cssrs_recent_behaviour_without_behaviour_is_refused() -> None:
    with pytest.raises(InvalidInput, match="contradicts"):
        score_instrument("cssrs-screen", [0, 0, 0, 0, 0, 0, 1])


@pytest.mark.parametrize(
    ("instrument_id", "answers", "message"),
    [
        (
            "phq9",
            [1, 1, 4, 1, 1, 1, 1, 1, 1],
            "PHQ-9 item 3 (Trouble falling or staying asleep, or...): 4 is out of range 0\u20133",
        ),
        ("phq9", [1] * 8, "PHQ-9 needs 9 answers, got 8"),
        ("phq9", [1] * 10, "PHQ-9 needs 9 answers, got 10"),
        ("phq9", [], "PHQ-9 needs 9 answers, got 0"),
        ("cssrs-screen", [0] * 5, "C-SSRS screener needs 6 or 7 answers, got 5"),
        ("gad7", [0, -1, 0, 0, 0, 0, 0], "GAD-7 item 2 (Not being able to stop or control"),
        ("who5", [6, 0, 0, 0, 0], "WHO-5 item 1 (I have felt cheerful and in good spirits): 6"),
        ("auditc", [0, 0, 5], "AUDIT-C item 3"),
        ("cssrs-screen", [2, 0, 0, 0, 0, 0], "C-SSRS screener question 1"),
    ],
)
def test_invalid_answers_name_the_item(
    instrument_id: str, answers: list[int], message: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        score_instrument(instrument_id, answers)
    assert message in caught.value.message


def test_missing_item_is_refused_not_prorated() -> None:
    answers: list[int | None] = [1, None, 1, 1, 1, 1, 1, 1, 1]
    with pytest.raises(InvalidInput, match=r"item 2 .*missing.*no prorating"):
        score_instrument("phq9", answers)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [True, 1.0, "1"])
def test_non_integer_answers_are_refused(bad: object) -> None:
    with pytest.raises(InvalidInput, match="not a whole number"):
        score_instrument("phq2", [0, bad])  # type: ignore[list-item]


@pytest.mark.parametrize("bad", ["10", 12, None])
def test_answers_must_be_a_list(bad: object) -> None:
    with pytest.raises(InvalidInput, match="must be a list"):
        score_instrument("phq2", bad)  # type: ignore[arg-type]


def test_to_dict_is_json_ready_and_complete() -> None:
    data = score_instrument("phq9", [3] * 9).to_dict()
    assert data == {
        "instrument": "phq9",
        "version": "1.0.0",
        "title": "PHQ-9",
        "total": 27,
        "raw_total": 27,
        "total_range": [0, 27],
        "severity": "severe",
        "flags": ["phq9-item9"],
        "reasons": [data["reasons"][0]],
        "answers": [3] * 9,
        "risk_category": None,
        "cutoff_sex": None,
        "notes": [],
    }
    assert "Item 9" in data["reasons"][0]


def test_results_are_frozen() -> None:
    result = score_instrument("phq2", [0, 0])
    with pytest.raises(ValueError, match="frozen"):
        result.total = 3  # type: ignore[misc]
