"""A typo must not hide risk: the reader reads a text again with its spelling put right.

Each reader test has its control: the same text with the spelling step switched off reads
lower, so the test fails without the code it covers; and a misspelt text without risk stays
as it was.
"""

from __future__ import annotations

import pytest

from alongside.risk import reader as reader_module
from alongside.risk.reader import RiskReader
from alongside.risk.reading import Level
from alongside.risk.spelling import Corrected, correct, one_edit


def test_an_unknown_word_one_edit_from_a_known_one_is_put_right() -> None:
    fixed = correct("After I ovredosed I rang 111. Thuoghts came back.")
    assert fixed.text == "After I overdosed I rang 111. Thoughts came back."
    assert fixed.words == (("ovredosed", "overdosed"), ("Thuoghts", "Thoughts"))


@pytest.mark.parametrize(
    "text",
    [
        "I wouldn't ever hurt myself, I have my kids to think about.",  # a contraction
        "ive been low and idk what to do, dont want to bother anyone",  # text-speak
        "CBT and DBT helped; my GP referred me.",  # acronyms
        "Dr Okonkwo at the NHSX clinic referred me.",  # a name nothing is one edit from
        "I had a lovely walk with the dog today.",  # every word known
        "",
    ],
)
def test_known_words_contractions_text_speak_and_acronyms_are_left_alone(text: str) -> None:
    fixed = correct(text)
    assert not fixed.changed
    assert fixed.text == text


def test_positions_map_back_to_the_clients_own_characters() -> None:
    original = "buying paracetmol every week, ten packs now"
    fixed = correct(original)
    assert fixed.text == "buying paracetamol every week, ten packs now"  # one letter longer
    start = fixed.text.index("ten packs")
    a, b = fixed.span(start, start + len("ten packs"))
    assert original[a:b] == "ten packs"
    word = fixed.text.index("paracetamol")
    assert fixed.span(word, word + len("paracetamol")) == (7, 17)
    assert original[7:17] == "paracetmol"
    assert fixed.to_original(0) == 0
    assert fixed.to_original(word + 3) == 17  # inside the changed word: its end


def test_one_edit_spells_out_drops_swaps_changes_and_additions() -> None:
    edits = one_edit("cta")
    assert {"ta", "tca", "cat", "cua", "ctas"} <= edits
    assert "cta" not in edits
    assert "tac" not in edits  # two edits away


@pytest.fixture(scope="module")
def reader() -> RiskReader:
    loaded = RiskReader.load(budget_s=None)
    assert loaded.available
    return loaded


def _without_spelling(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        reader_module, "correct", lambda text: Corrected(text=text, changes=(), words=())
    )


def test_a_misspelt_attempt_reads_as_the_attempt(
    reader: RiskReader, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = "My roommate called 911 after I ovredosed a few weeks ago."
    reading = reader.read(text)
    assert reading.level is Level.HIGH
    assert reading.level is reader.read(text.replace("ovredosed", "overdosed")).level
    quoted = [e for e in reading.evidence if e.signal == "attempt"]
    assert quoted, reading.evidence
    for e in reading.evidence:
        assert text[e.start : e.end] == e.text  # the client's own characters
    assert any(e.text == "ovredosed" for e in quoted)
    assert any(s.construct == "attempt" and s.text == text for s in reading.signals)
    assert any('"ovredosed" as "overdosed"' in r for r in reading.reasons)

    _without_spelling(monkeypatch)
    assert reader.read(text).level.rank < Level.HIGH.rank


def test_a_misspelt_thought_reads_as_the_thought(
    reader: RiskReader, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = "I'm not safe. I want to act on these thuoghts."
    reading = reader.read(text)
    assert reading.needs_prompt_review
    _without_spelling(monkeypatch)
    assert not reader.read(text).needs_prompt_review


def test_a_misspelt_thought_at_the_same_level_still_names_its_construct(
    reader: RiskReader, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = "Honestly I think about endnig my life most nights now."
    reading = reader.read(text)
    assert "ideation" in {s.construct for s in reading.signals}
    assert any(e.text == "endnig my life" for e in reading.evidence), reading.evidence
    _without_spelling(monkeypatch)
    plain = reader.read(text)
    assert plain.level is reading.level
    assert "ideation" not in {s.construct for s in plain.signals}


def test_a_misspelt_text_without_risk_stays_as_it_was(
    reader: RiskReader, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Putting the spelling right adds nothing to a text without risk: the reading is the one
    the reader gives with the spelling step off, and says nothing of spelling."""
    text = "I went for a lovley walk with the dgo."
    assert correct(text).changed
    reading = reader.read(text)
    assert reading.level is Level.NONE
    assert not any("spelling" in r for r in reading.reasons)
    _without_spelling(monkeypatch)
    assert reader.read(text) == reading


def test_text_in_another_language_is_not_spelt_as_english(reader: RiskReader) -> None:
    text = "Ya le regalé mi guitarra a mi hermano y escribí unas cartas de despedida."
    reading = reader.read(text)
    assert reading.needs_human_reading
    assert not any("spelling" in r for r in reading.reasons)
