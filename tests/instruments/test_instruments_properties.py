"""Hypothesis over the whole answer space of every instrument."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alongside.errors import InvalidInput
from alongside.instruments import get_instrument, list_instruments, score_instrument
from alongside.instruments.library import InstrumentDefinition

SUMMED = [i for i in list_instruments() if get_instrument(i).scoring.method == "sum"]


def valid_answers(definition: InstrumentDefinition) -> st.SearchStrategy[list[int]]:
    """Any complete, valid set of answers (all items, including omittable ones)."""
    return st.tuples(
        *(st.sampled_from([o.value for o in definition.options_for(i)]) for i in definition.items)
    ).map(list)


def band_names(definition: InstrumentDefinition) -> list[str]:
    assert definition.bands is not None
    return [b.name for bands in definition.bands.all_sets() for b in bands]


@pytest.mark.parametrize("instrument_id", SUMMED)
@given(data=st.data())
def test_totals_in_range_and_band_matches(instrument_id: str, data: st.DataObject) -> None:
    definition = get_instrument(instrument_id)
    answers = data.draw(valid_answers(definition))
    sex = data.draw(st.sampled_from([None, "female", "male"]))
    result = score_instrument(instrument_id, answers, sex=sex)
    low, high = definition.total_range
    assert result.raw_total == sum(answers)
    assert result.total == sum(answers) * definition.scoring.multiplier
    assert low <= result.total <= high
    assert result.severity in band_names(definition)
    assert result.answers == answers


@pytest.mark.parametrize("instrument_id", SUMMED)
@given(data=st.data())
def test_bands_are_ordered_by_total(instrument_id: str, data: st.DataObject) -> None:
    # Raising any one answer never moves the result to an earlier band.
    definition = get_instrument(instrument_id)
    answers = data.draw(valid_answers(definition))
    position = data.draw(st.integers(0, len(answers) - 1))
    top = max(o.value for o in definition.options_for(definition.items[position]))
    raised = [*answers]
    raised[position] = data.draw(st.integers(answers[position], top))
    sex = data.draw(st.sampled_from([None, "female", "male"]))
    before = score_instrument(instrument_id, answers, sex=sex)
    after = score_instrument(instrument_id, raised, sex=sex)
    names = band_names(definition)
    assert before.total is not None
    assert after.total is not None
    assert after.total >= before.total
    assert names.index(after.severity) >= names.index(before.severity)


CSSRS_ORDER = ["none", "low", "moderate", "high"]


@given(answers=st.lists(st.integers(0, 1), min_size=7, max_size=7))
def test_cssrs_category_never_drops_when_an_answer_rises(answers: list[int]) -> None:
    if answers[5] == 0:
        answers[6] = 0
    base = score_instrument("cssrs-screen", answers)
    assert base.flags == [f"cssrs-q{n + 1}" for n in range(6) if answers[n]]
    for position in range(6):
        raised = [*answers]
        raised[position] = 1
        result = score_instrument("cssrs-screen", raised)
        assert CSSRS_ORDER.index(result.risk_category or "") >= CSSRS_ORDER.index(
            base.risk_category or ""
        )


@pytest.mark.parametrize("instrument_id", list_instruments())
@given(data=st.data())
def test_out_of_range_answers_are_refused(instrument_id: str, data: st.DataObject) -> None:
    definition = get_instrument(instrument_id)
    answers = data.draw(valid_answers(definition))
    if definition.items[-1].when_not_asked == "zero_or_omitted":
        answers[-1] = 0
    position = data.draw(st.integers(0, len(answers) - 1))
    values = [o.value for o in definition.options_for(definition.items[position])]
    answers[position] = data.draw(
        st.one_of(st.integers(max_value=min(values) - 1), st.integers(min_value=max(values) + 1))
    )
    with pytest.raises(InvalidInput, match=re.escape(definition.item_label(position))):
        score_instrument(instrument_id, answers)


@pytest.mark.parametrize("instrument_id", list_instruments())
@given(data=st.data())
def test_wrong_answer_count_is_refused(instrument_id: str, data: st.DataObject) -> None:
    definition = get_instrument(instrument_id)
    count = data.draw(
        st.integers(0, 40).filter(
            lambda n: not definition.required_count <= n <= len(definition.items)
        )
    )
    with pytest.raises(InvalidInput, match="answers, got"):
        score_instrument(instrument_id, [0] * count)
