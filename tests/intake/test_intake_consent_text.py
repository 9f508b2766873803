"""The consent text says exactly what happens whether the client lets software read or not."""

from __future__ import annotations

from alongside.intake.consent_text import CURRENT_VERSION, consent_text, current_consent_text


def _all_words(version: str) -> str:
    text = consent_text(version)
    paragraphs = [p for section in text.sections for p in section.paragraphs]
    return " ".join([*paragraphs, text.software_reading.yes_label, text.software_reading.no_label])


def test_the_current_text_says_what_happens_either_way() -> None:
    assert CURRENT_VERSION == "intake-consent-en-2"
    words = _all_words(CURRENT_VERSION)
    assert "If you say no, software does not read your words" in words
    assert "within the clinic's urgent time" in words
    assert "Saying no never makes you wait longer" in words
    assert (
        "If you do not write anything in your own words, your choice here changes nothing" in words
    )
    assert "a clinician from the clinic is contacted" in words
    # The old promise that did not say what happens is gone from the current text.
    assert "same either way" not in words
    assert current_consent_text().version == CURRENT_VERSION


def test_the_version_clients_saw_before_is_still_readable() -> None:
    assert "your care is the same either way" in _all_words("intake-consent-en-1")
