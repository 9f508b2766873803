"""Rules, flags and field names in clinicians' words."""

from __future__ import annotations

import pytest

from alongside.templating import in_words, language_name
from alongside.triage import wording
from alongside.triage.rulesets import default_ruleset
from alongside.triage.wording import (
    RULE_WORDS,
    flag_words,
    rule_words,
    urgency_words,
    with_flag_words,
)


def test_every_default_rule_has_words() -> None:
    missing = [rule.id for rule in default_ruleset().rules if rule.id not in RULE_WORDS]
    assert missing == []


@pytest.mark.parametrize(
    ("flag", "words"),
    [
        ("phq9-item9", "PHQ-9 question 9 answered"),
        ("cssrs-q4", "C-SSRS screener question 4 answered yes"),
        ("something-new", "something new"),
    ],
)
def test_flags_in_words(flag: str, words: str) -> None:
    assert flag_words(flag) == words


def test_stored_reasons_show_flags_in_words_and_unknown_rules_lose_their_hyphens() -> None:
    assert with_flag_words("instrument items: phq9-item9, cssrs-q1.") == (
        "instrument items: PHQ-9 question 9 answered, C-SSRS screener question 1 answered yes."
    )
    assert with_flag_words("phq9-item9x stays") == "phq9-item9x stays"
    assert rule_words("cssrs-q4-intent").startswith("C-SSRS question 4")
    assert rule_words("clinic-own-rule") == "Clinic own rule"


@pytest.mark.parametrize(
    ("message", "shown"),
    [
        ("starts_at: a date like 2030-01-07", "Start time: a date like 2030-01-07"),
        ("reason: say why.", "Reason: say why."),
        ("some_field: x", "Some field: x"),
        ("Say why you need emergency access", "Say why you need emergency access"),
    ],
)
def test_page_errors_name_the_field_in_words(message: str, shown: str) -> None:
    assert in_words(message) == shown


def test_languages_by_name() -> None:
    assert language_name("es") == "Spanish"
    assert language_name("xx") == "xx"


@pytest.mark.parametrize("empty", [None, ""])
def test_nothing_stored_reads_as_nothing(empty: str | None) -> None:
    assert rule_words(empty) == ""
    assert urgency_words(empty) == ""
    assert with_flag_words(empty) == ""


def test_urgencies_in_words() -> None:
    assert [urgency_words(u) for u in ("crisis", "urgent", "soon", "routine")] == [
        "Crisis",
        "Urgent",
        "Soon",
        "Routine",
    ]
    assert urgency_words("very_soon") == "Very soon"


def test_without_any_critical_item_flags_stored_text_is_shown_as_it_is(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(wording, "list_instruments", lambda: [])
    wording._flag_pattern.cache_clear()
    try:
        assert with_flag_words("phq9-item9 was raised") == "phq9-item9 was raised"
    finally:
        monkeypatch.undo()
        wording._flag_pattern.cache_clear()
    assert with_flag_words("phq9-item9") == "PHQ-9 question 9 answered"
