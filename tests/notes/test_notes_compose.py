"""The composer on fixtures: every sentence's source exists and its quote is found in it;
nothing is invented (no number in a sentence that its quote does not hold)."""

from __future__ import annotations

import re

import pytest

from alongside.notes.compose import (
    DraftInput,
    JottingsRisk,
    RecordFact,
    Section,
    apply_edit,
    compose,
    in_first_person,
    split_sentences,
)
from alongside.notes.library import note_template, note_templates, safety_plan_template

JOTTINGS_ID = "note-1"
JOTTINGS = """Client says sleep improved, 6 hours most nights.
Practised the breathing exercise twice.
A: engaged, mood brighter.
P: continue behavioural activation; review sleep diary next week."""
FACTS = (
    RecordFact("attendance", "appt-1", "therapy session on 2026-11-20, telehealth, attended"),
    RecordFact("measures", "score-1", "PHQ-9 on 2026-11-19: total 11, moderate"),
    RecordFact("change", "score-1", "PHQ-9 17 to 11, reliable improvement"),
    RecordFact("risk", "reading-1", 'hopelessness: "nothing will ever get better"'),
    RecordFact(
        "alerts",
        "alert-1",
        "raised 2026-11-02 09:10 UTC; acknowledged 2026-11-02 09:14 UTC, client called",
    ),
    RecordFact(
        "decisions", "decision-1", "proposed urgent, High-intensity therapy; the clinician accepted"
    ),
    RecordFact("previous_plan", "note-0", "Start a sleep diary."),
)
_NUMBER = re.compile(r"\d+")


def _sources() -> dict[tuple[str, str], list[str]]:
    # One stored row may be quoted for two facts (a score and its change from the last one).
    out: dict[tuple[str, str], list[str]] = {("jottings", JOTTINGS_ID): [JOTTINGS]}
    for fact in FACTS:
        out.setdefault((fact.source_type, fact.id), []).append(fact.text)
    return out


def _all(sections: tuple[Section, ...]):  # type: ignore[no-untyped-def]
    return [s for section in sections for s in section.sentences]


@pytest.mark.parametrize("template_id", sorted(note_templates()))
def test_every_sentence_quotes_its_source_and_invents_nothing(template_id: str) -> None:
    draft = DraftInput(
        template=note_template(template_id),
        jottings=JOTTINGS,
        jottings_id=JOTTINGS_ID,
        facts=FACTS,
        jottings_risk=JottingsRisk(spans=("nothing will ever get better",)),
    )
    sections = compose(draft)
    assert [s.key for s in sections] == [s.key for s in draft.template.sections]
    sources = _sources()
    sentences = _all(sections)
    assert sentences
    for sentence in sentences:
        key = (sentence.source.type, sentence.source.id)
        assert key in sources, sentence
        assert sentence.source.quote, sentence
        assert any(sentence.source.quote in text for text in sources[key]), sentence
        # Every number the sentence states is in its quote: the framing adds no facts.
        assert set(_NUMBER.findall(sentence.text)) <= set(_NUMBER.findall(sentence.source.quote))
    # Every fact and every jotting made it in.
    used = {(s.source.type, s.source.id) for s in sentences}
    assert {(f.source_type, f.id) for f in FACTS} <= used
    jotted = [s.source.quote for s in sentences if s.source.type == "jottings"]
    # Each line of jottings once (a label of another template stays as written).
    assert len(jotted) == len(split_sentences(JOTTINGS))


def test_labelled_jottings_go_to_their_section_and_the_rest_to_the_default() -> None:
    sections = {s.key: s for s in compose(DraftInput(note_template("soap"), JOTTINGS, JOTTINGS_ID))}
    assert [s.text for s in sections["assessment"].sentences] == ["engaged, mood brighter."]
    assert [s.source.quote for s in sections["plan"].sentences] == [
        "continue behavioural activation; review sleep diary next week."
    ]
    assert sections["subjective"].sentences[0].text == (
        "Client says sleep improved, 6 hours most nights."
    )
    assert sections["objective"].sentences == ()


def test_risk_in_the_jottings_adds_a_safety_plan_prompt_quoting_the_words() -> None:
    jottings = "Said she has been thinking about ending her life since Friday."
    with_risk = compose(
        DraftInput(
            note_template("dap"),
            jottings,
            JOTTINGS_ID,
            jottings_risk=JottingsRisk(spans=("thinking about ending her life",)),
        )
    )
    prompts = [s for s in _all(with_risk) if s.prompt]
    assert len(prompts) == 1
    assert "review the safety plan" in prompts[0].text
    assert prompts[0].source.type == "risk"
    assert prompts[0].source.quote in jottings
    # Positive control: the same jottings without a reader finding add no prompt.
    without = compose(DraftInput(note_template("dap"), jottings, JOTTINGS_ID))
    assert not [s for s in _all(without) if s.prompt]


def test_a_span_not_in_the_jottings_is_never_quoted() -> None:
    sections = compose(
        DraftInput(
            note_template("dap"),
            "Calm session.",
            JOTTINGS_ID,
            jottings_risk=JottingsRisk(spans=("words that are not there",)),
        )
    )
    assert not [s for s in _all(sections) if s.prompt]


def test_jottings_the_reader_could_not_read_prompt_a_person_to_read_them() -> None:
    sections = compose(
        DraftInput(
            note_template("dap"),
            "Estaba muy triste.",
            JOTTINGS_ID,
            jottings_risk=JottingsRisk(unread=True),
        )
    )
    prompts = [s for s in _all(sections) if s.prompt]
    assert len(prompts) == 1
    assert "could not read" in prompts[0].text


def test_composing_is_deterministic() -> None:
    draft = DraftInput(note_template("birp"), JOTTINGS, JOTTINGS_ID, FACTS)
    assert compose(draft) == compose(draft)


def test_an_edit_keeps_sources_of_unchanged_sentences_and_makes_changed_ones_the_clinicians() -> (
    None
):
    sections = compose(DraftInput(note_template("dap"), JOTTINGS, JOTTINGS_ID, FACTS))
    data = next(s for s in sections if s.key == "data")
    kept, changed = data.sentences[0], data.sentences[1]
    edited = apply_edit(
        sections, [("data", [kept.text, changed.text + " (edited)", "A new line."])], "user-9"
    )
    new_data = next(s for s in edited if s.key == "data")
    assert new_data.sentences[0] == kept
    assert new_data.sentences[1].source.type == "clinician"
    assert new_data.sentences[1].source.id == "user-9"
    assert new_data.sentences[2].source.quote == "A new line."


def test_the_safety_plan_template_has_stanley_and_browns_six_steps_and_its_source() -> None:
    template = safety_plan_template()
    assert len(template.steps) == 6
    assert "Stanley" in template.source
    assert "19(2):256-264" in template.source


@pytest.mark.parametrize("template_id", sorted(note_templates()))
def test_each_template_cites_a_source(template_id: str) -> None:
    assert len(note_template(template_id).source) > 40


@pytest.mark.parametrize(
    ("jotting", "first_person"),
    [
        ("She wants to die.", "I wants to die."),
        ("The client cut herself last week.", "I cut myself last week."),
        ("He told them his plan.", "I told me my plan."),
        ("Sheila enjoyed therapy.", "Sheila enjoyed therapy."),
    ],
)
def test_jottings_are_read_in_the_first_person_for_the_reader(
    jotting: str, first_person: str
) -> None:
    assert in_first_person(jotting) == first_person
