"""The reader's reasons in a clinician's words: plain sentences, the figures apart.

The texts are read by the shipped reader, so the test follows what it really writes: a
change to the reader's wording that the page would show raw fails here.
"""

from __future__ import annotations

import re

import pytest

from alongside.risk.reader import RiskReader
from alongside.risk.wording import reason_words

FIGURE = re.compile(r"\b0\.\d\d\b|\bprobability\b|\bClassifier\b|\bRules\b")


@pytest.fixture(scope="module")
def reader() -> RiskReader:
    loaded = RiskReader.load(budget_s=None)
    assert loaded.available
    return loaded


@pytest.mark.parametrize(
    "text",
    [
        "Work is fine. I wrote a suicde note last week and I keep it in my bag.",  # spelling
        "I can't see a way out and I've been giving my things away.",
        "I'm not suicidal, I just can't sleep.",  # a phrase set aside
        "Everything feels pointless and I don't want to be here anymore.",
        "I had a lovely walk with the dog today.",  # nothing found
        "Me siento muy triste y quiero morir.",  # another language
    ],
)
def test_every_reason_the_reader_writes_reads_plainly(reader: RiskReader, text: str) -> None:
    reading = reader.read(text)
    words = reason_words(reading.reasons)
    for sentence in words.plain:
        assert not FIGURE.search(sentence), sentence
    # Every figure the reader wrote is still there to check, under Details.
    stored = [r for r in reading.reasons if "probability" in r]
    assert len(words.technical) == len(set(stored))


def test_the_classifier_line_becomes_a_sentence_with_its_figures_apart() -> None:
    reasons = [
        "Classifier: probability 0.81 (highest of 3 windows); moderate from 0.68 (moderate).",
        'Rules: "kill myself" read as ideation.',
        'Rules: "want to die" not counted: negated.',
        "Rules raise the level to high.",
        "Instrument critical items raise the level to high.",
        'Read again with spelling put right ("suicde" as "suicide"): moderate.',
        "With spelling put right: Classifier: probability 0.70; moderate from 0.68 (moderate).",
        'With spelling put right: Rules: "suicide note" read as preparatory behaviour.',
        '"end it" would be set aside by the rules (negated), but the classifier reads risk in '
        "its sentence: counted.",
    ]
    words = reason_words(reasons)
    assert words.plain == (
        "The reader's language model reads one passage of the words as a sign of risk.",
        '"kill myself" read as ideation.',
        '"want to die" not counted: negated.',
        "Phrases in the words raise the level to high.",
        "Critical questionnaire answers raise the level to high.",
        'Read again with spelling put right ("suicde" as "suicide"): moderate.',
        "With spelling put right: the reader's language model reads the words as a sign of risk.",
        'With spelling put right: "suicide note" read as preparatory behaviour.',
        '"end it" could read as negated, but the language model reads risk in its sentence, so '
        "it counts.",
    )
    assert words.technical == (reasons[0], reasons[6])


def test_a_spelling_reason_that_repeats_the_first_reading_is_not_shown_twice() -> None:
    reasons = [
        "Classifier: probability 0.93; moderate from 0.57 (moderate).",
        'Read again with spelling put right ("suicde" as "suicide"): high.',
        "With spelling put right: Classifier: probability 0.95; moderate from 0.57 (moderate).",
        "With spelling put right: Rules raise the level to high.",
    ]
    words = reason_words(reasons)
    assert words.plain == (
        "The reader's language model reads the words as a sign of risk.",
        'Read again with spelling put right ("suicde" as "suicide"): high.',
        "With spelling put right: phrases in the words raise the level to high.",
    )
    assert words.technical == (reasons[0], reasons[2])


def test_a_classifier_that_found_nothing_adds_no_sentence() -> None:
    reasons = ["Classifier: probability 0.05; moderate from 0.68 (none)."]
    words = reason_words(reasons)
    assert words.plain == ()
    assert words.technical == tuple(reasons)


def test_a_reason_it_does_not_know_is_shown_as_written() -> None:
    reasons = ["No free text was given; only instrument items were read."]
    assert reason_words(reasons).plain == tuple(reasons)
