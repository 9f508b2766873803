"""The rules layer on its own: phrases, their context, the level floor; nothing is blanked."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alongside.risk.reading import Level
from alongside.risk.rules import identity_spans, read_rules


@pytest.mark.parametrize(
    ("text", "level", "signal"),
    [
        ("I want to die.", Level.MODERATE, "ideation"),
        ("I want to kill myself.", Level.MODERATE, "ideation"),
        ("I feel suicidal most days.", Level.MODERATE, "ideation"),
        ("I don't want to live anymore.", Level.MODERATE, "ideation"),
        ("I can't stop thinking about killing myself.", Level.MODERATE, "ideation"),
        ("I have been cutting myself again.", Level.MODERATE, "self_harm"),
        ("I feel hopeless.", Level.LOW, "hopelessness"),
        ("Everyone would be better off without me.", Level.LOW, "burden"),
        ("I wrote my suicide note.", Level.HIGH, "plan"),
        ("I bought a rope.", Level.HIGH, "means"),
        ("I tried to kill myself last month.", Level.HIGH, "attempt"),
        ("I'm going to kill myself.", Level.HIGH, "intent"),
        ("I gave away my things.", Level.HIGH, "preparatory_behaviour"),
        ("I have pills saved up and tonight is the night.", Level.IMMINENT, "intent"),
        ("I tried to kill myself years ago.", Level.MODERATE, "attempt"),
        ("I used to be suicidal in high school.", Level.LOW, "ideation"),
    ],
)
def test_phrases_about_the_writer_count(text: str, level: Level, signal: str) -> None:
    reading = read_rules(text)
    assert reading.level == level
    assert signal in {e.signal for e in reading.evidence}


@pytest.mark.parametrize(
    ("text", "context"),
    [
        ("I'm not suicidal, just stressed.", "negated"),
        ("I don't want to die.", "negated"),
        ("I have never tried to kill myself.", "negated"),
        ("No thoughts of suicide.", "negated"),
        ("My friend wants to die.", "third_person"),
        ("My brother attempted suicide last year.", "third_person"),
        ("She told me she is suicidal.", "third_person"),
        ("I work with patients after suicide attempts.", "third_person"),
        ("I work in suicide prevention.", "professional_or_media"),
        ("I watched a documentary about suicide.", "professional_or_media"),
        ("If I ever felt suicidal I would call my therapist.", "hypothetical"),
    ],
)
def test_explained_away_mentions_do_not_count(text: str, context: str) -> None:
    reading = read_rules(text)
    assert reading.level == Level.NONE
    assert reading.evidence == ()
    assert context in {m.context for m in reading.mentions}
    assert any("not counted" in r for r in reading.reasons)


@pytest.mark.parametrize(
    "text",
    [
        "This commute is killing me.",
        "I'm dying to see it.",
        "Those shoes are to die for.",
        "I'm bored to death.",
        "I cut myself shaving.",
        "We killed it at the quiz.",
    ],
)
def test_idioms_are_not_risk(text: str) -> None:
    reading = read_rules(text)
    assert reading.level == Level.NONE
    assert reading.evidence == ()


def test_first_person_phrase_survives_a_media_word() -> None:
    # "kill myself" names the writer: a film in the sentence does not explain it away.
    assert read_rules("After that film I want to kill myself.").level == Level.MODERATE


def test_first_person_after_third_person_counts() -> None:
    assert read_rules("My friend doesn't know it, but I want to die.").level == Level.MODERATE


def test_evidence_spans_point_into_the_text() -> None:
    text = "Work is awful. Honestly I want to die and I have a plan to end it."
    reading = read_rules(text)
    assert reading.evidence
    for e in reading.evidence:
        assert text[e.start : e.end] == e.text


@pytest.mark.parametrize(
    "text",
    [
        "As a Black woman, suicide is on my mind all the time lately.",
        "As a nurse, suicide is on my mind all the time lately.",
        "Speaking as a Muslim: suicide is on my mind all the time lately.",
        "I'm a trans man. Suicide is on my mind all the time lately.",
        "As a teenager, suicide is on my mind all the time lately.",
    ],
)
def test_identity_words_are_the_writer_not_a_third_person_or_a_profession(text: str) -> None:
    # These were read as a third person ("woman", "man") or a professional context ("nurse")
    # and set aside; the writer naming who they are is the writer.
    reading = read_rules(text)
    assert identity_spans(text)
    assert reading.level == Level.MODERATE
    assert all(m.context is None for m in reading.mentions)


def test_a_profession_with_distancing_words_is_still_a_professional_context() -> None:
    reading = read_rules("I'm an ER nurse and I see overdoses every shift.")
    assert reading.level == Level.NONE
    assert {m.context for m in reading.mentions} == {"professional_or_media"}


@pytest.mark.parametrize(
    ("text", "signal"),
    [
        ("There's a gun in the house, my husband's.", "means"),
        ("I keep my service pistol by the bed.", "means"),
        ("i got a gun last week", "means"),
        ("I bought rope last week.", "means"),
        ("Been stockpiling my insulin.", "means"),
        ("I've been saving up my sleeping tablets.", "means"),
        ("hoarding my antidepressants", "means"),
        ("Last Friday I took a load of paracetamol.", "attempt"),
        ("I swallowed all my tablets.", "attempt"),
        ("ive been cutting my arms again", "self_harm"),
        ("I burn my skin with a lighter.", "self_harm"),
        ("I scratch my arms until they bleed.", "self_harm"),
        ("I keep hitting my head against the wall.", "self_harm"),
        ("I've been giving my things away.", "preparatory_behaviour"),
        ("im going to kill myself", "intent"),
    ],
)
def test_lexicon_gaps_are_filled(text: str, signal: str) -> None:
    assert signal in {e.signal for e in read_rules(text).evidence}


@pytest.mark.parametrize(
    "text",
    [
        "Have I considered killing myself? No, never.",
        "Suicidal thoughts: none. Self-harm: never.",
        "Suicide attempts - no",
    ],
)
def test_form_style_answers_are_negations(text: str) -> None:
    reading = read_rules(text)
    assert reading.level == Level.NONE
    assert {m.context for m in reading.mentions} == {"negated"}


def test_a_question_answered_yes_still_counts() -> None:
    assert read_rules("Do I want to die? Sometimes yes.").level == Level.MODERATE


def test_curly_apostrophes_read_like_straight_ones() -> None:
    text = "I\u2019m going to kill myself"
    reading = read_rules(text)
    assert reading.level.rank >= Level.HIGH.rank
    for e in reading.evidence:
        assert text[e.start : e.end] == e.text


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_any_text_reads_without_error(text: str) -> None:
    reading = read_rules(text)
    assert isinstance(reading.level, Level)
    for e in reading.evidence:
        assert text[e.start : e.end] == e.text


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            ["I", "want", "to", "die", "not", "my", "friend", "kill", "myself", "tonight", ",", "."]
        ),
        max_size=30,
    )
)
def test_word_salad_of_risk_words_reads_without_error(words: list[str]) -> None:
    text = " ".join(words)
    assert read_rules(text).level.rank >= Level.NONE.rank


def test_rules_alone_read_the_hand_written_set() -> None:
    from pathlib import Path

    from alongside.risk.evaluate import read_sentence_set

    sentences = read_sentence_set(Path(__file__).parent / "risk_sentence_set.jsonl")
    right = 0
    for s in sentences:
        reading = read_rules(s.text)
        right += (reading.level.rank >= Level.MODERATE.rank) == s.at_risk
    assert right / len(sentences) >= 0.95


@pytest.mark.parametrize(
    "text",
    [
        "This hill is going to kill me.",
        "My manager will murder me if the figures are late.",
        "She'll kill me if I forget again.",
        "These stairs will be the death of me.",
        "That workout nearly killed me.",
        "I'd kill for a cold drink.",
        "I got killed by the boss on the last level.",
        "I'm so embarrassed I could die.",
    ],
)
def test_everyday_kill_me_is_an_idiom(text: str) -> None:
    reading = read_rules(text)
    assert reading.idioms
    assert reading.level == Level.NONE


@pytest.mark.parametrize(
    "text",
    [
        # The writer, an inner state, a threat tied to leaving, a means in the sentence.
        "This depression is going to kill me.",
        "My husband will kill me if I leave him.",
        "He will kill me.",
        "These pills will kill me.",
        "The overdose nearly killed me.",
    ],
)
def test_kill_me_that_may_be_meant_is_left_to_the_classifier(text: str) -> None:
    assert read_rules(text).idioms == ()


@pytest.mark.parametrize(
    "text",
    [
        "As a social worker I often meet parents after a suicide.",
        "As a police officer I have attended several suicides.",
        "I'm a chaplain and I sit with families after a suicide.",
    ],
)
def test_suicide_as_someone_elses_death_does_not_count(text: str) -> None:
    reading = read_rules(text)
    assert reading.level == Level.NONE
    assert reading.evidence == ()


@pytest.mark.parametrize(
    "text",
    [
        "As a nurse I have been feeling suicidal.",
        "I'm a social worker and I think about suicide every day.",
        "My boyfriend and I made a suicide pact.",
        "My boss is going to kill me and I want to die.",
    ],
)
def test_professional_or_idiom_framing_keeps_the_writers_own_risk(text: str) -> None:
    assert read_rules(text).level.rank >= Level.MODERATE.rank


# rules-2026.2: how clients write a passive wish to be dead, preparation, a plan with an amount,
# a place with a time, an attempt by poison or a crash, and an attempt someone stopped. Texts
# written for this test, apart from the corpus; each group has look-alikes that must not count.
@pytest.mark.parametrize(
    ("text", "signal"),
    [
        ("honestly i just want to not exist", "ideation"),
        ("Some days I'd like to stop existing.", "ideation"),
        ("I keep wishing I could disappear for good.", "ideation"),
        ("Most mornings I'm gutted that I woke up again.", "ideation"),
        ("I wish I hadn't woken up this morning.", "ideation"),
        ("I want to go to sleep and never wake up.", "ideation"),
        ("I wouldn't mind if I died in my sleep.", "ideation"),
        ("I hope I get hit by a bus on the way to work.", "ideation"),
        ("i want to kms not joking", "ideation"),
        ("I've worked out exactly how many of my tablets I'd need.", "plan"),
        ("Worked out how much insulin and when my flatmate is away.", "plan"),
        ("I'm going to the bridge tonight.", "intent"),
        ("heading to the railway line later", "intent"),
        ("I gave my nephew all my games and my console.", "preparatory_behaviour"),
        ("Gave my best mate my stuff yesterday.", "preparatory_behaviour"),
        ("I said goodbye to mum like it was the last time.", "preparatory_behaviour"),
        ("I rang my brother. It was a goodbye.", "preparatory_behaviour"),
        ("In March I drank bleach because I wanted to die.", "attempt"),
        ("I swallowed weedkiller and woke up in hospital.", "attempt"),
        ("Crashed my car on purpose in the summer.", "attempt"),
        ("My partner caught me with the rope in the garage.", "attempt"),
    ],
)
def test_how_clients_write_it_counts(text: str, signal: str) -> None:
    reading = read_rules(text)
    assert reading.level.rank >= Level.MODERATE.rank, reading.reasons
    assert signal in {e.signal for e in reading.evidence}, reading.reasons


@pytest.mark.parametrize(
    "text",
    [
        "I don't want to not exist, I want things to get better.",
        "I want to stop existing on four hours of sleep.",
        "I wish I hadn't woken up so early on my day off.",
        "I'm disappointed I woke up late and missed the bus.",
        "I gave my nephew a lift to football.",
        "I said goodbye to my mum at the airport.",
        "I drank some water and felt better.",
        "Someone crashed into my car on the motorway.",
        "My neighbour caught me with the shopping and helped.",
        "I'm going to the bridge club tonight.",
        "I know how many tablets to take, the pharmacist explained it.",
    ],
)
def test_look_alikes_of_how_clients_write_it_do_not_count(text: str) -> None:
    reading = read_rules(text)
    assert reading.level.rank < Level.MODERATE.rank, reading.reasons


def test_a_person_given_something_is_not_who_says_goodbye() -> None:
    # Positive control: the same goodbye with the other person as the subject stays theirs.
    writer = read_rules("i gave my cousin my watch and said bye like it was the last time")
    assert writer.level == Level.HIGH, writer.reasons
    other = read_rules("my cousin said bye like it was the last time")
    assert other.level.rank < Level.MODERATE.rank, other.reasons


@pytest.mark.parametrize(
    "text",
    [
        "We're emigrating to Canada in May, so I've been giving my things away.",
        "Moving back home next month and saying goodbye to everyone at work.",
        "Big clear-out before the baby comes, I gave away my stuff to the charity shop.",
    ],
)
def test_an_everyday_reason_sets_a_goodbye_aside_for_the_classifier_to_confirm(
    text: str,
) -> None:
    reading = read_rules(text)
    assert reading.level.rank < Level.MODERATE.rank, reading.reasons
    assert [m.context for m in reading.mentions] == ["everyday_reason"] * len(reading.mentions)
    assert reading.mentions


def test_without_an_everyday_reason_the_same_goodbye_counts() -> None:
    assert read_rules("I've been giving my things away.").level == Level.HIGH
    assert read_rules("I'm moving to a better place, I've given away my things.").level == (
        Level.HIGH
    )


@pytest.mark.parametrize(
    ("text", "counts"),
    [
        ("I've been stockpiling tins and pasta in case of power cuts.", False),
        ("I've been stockpiling my insulin.", True),
        ("ive been stockpiling for weeks now", True),
    ],
)
def test_stockpiling_food_is_not_means(text: str, counts: bool) -> None:
    assert (read_rules(text).level.rank >= Level.MODERATE.rank) is counts


# rules-2026.4: acting on the thoughts (C-SSRS question 4, "some intention of acting on
# them"), written for this test apart from the corpus, with look-alikes that must not count.
@pytest.mark.parametrize(
    "text",
    [
        "I'm not safe. I want to act on these thoughts.",
        "im scared ill act on my thoughts tonight",
        "I think I'll actually act on it this time.",
        "The urges are stronger now and I keep getting close to acting on the urges.",
        "I nearly followed through on the thoughts last night.",
    ],
)
def test_acting_on_the_thoughts_is_intent(text: str) -> None:
    reading = read_rules(text)
    assert reading.level.rank >= Level.MODERATE.rank, reading.reasons
    assert "intent" in {e.signal for e in reading.evidence}, reading.reasons


@pytest.mark.parametrize(
    "text",
    [
        "I'll act on your advice about sleep this time.",
        "My manager never acts on feedback.",
        "I have dark thoughts sometimes but I would never act on them.",
        "I don't have any intention of acting on the thoughts.",
    ],
)
def test_acting_look_alikes_and_denials_do_not_count(text: str) -> None:
    reading = read_rules(text)
    assert reading.level.rank < Level.MODERATE.rank, reading.reasons
