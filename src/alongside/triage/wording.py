"""Triage rules, flags and codes in clinicians' words, for pages (pure).

- :func:`rule_words` ``(rule_id) -> str``: a rule of the default ruleset named as a clinician
  would ("C-SSRS question 4: suicidal intent"); a rule a clinic added is named from its id.
- :func:`urgency_words` ``(urgency) -> str``.
- :func:`with_flag_words` ``(text) -> str``: stored text (a reason written when the proposal
  was made) with any critical-item flag ids in it replaced by their words, for display only.
- :func:`flag_words` ``(flag) -> str``: a critical-item flag from its instrument's definition
  ("PHQ-9 question 9 answered", "C-SSRS screener question 4 answered yes").

The ids stay in the record and behind each page's "details" disclosure; these words are what a
reader sees first. The default rules' wording follows their reasons in ``rules/default.yaml``.
"""

from __future__ import annotations

import re
from functools import cache

from alongside.instruments.library import get_instrument, list_instruments

RULE_WORDS: dict[str, str] = {
    "cssrs-q4-intent": "C-SSRS question 4: suicidal thoughts with some intention to act",
    "cssrs-q5-plan": "C-SSRS question 5: worked out the details of a plan",
    "cssrs-recent-behaviour": "C-SSRS question 6: suicidal behaviour in the past three months",
    "words-recent-attempt": "Client's words: a recent suicide attempt",
    "words-preparation": "Client's words: preparing to end their life",
    "words-intent-or-plan": "Client's words: intent or a plan",
    "risk-imminent": "Risk reader: imminent risk",
    "phq9-item9": "PHQ-9 question 9 answered",
    "cssrs-ideation": "C-SSRS questions 1-2: wish to be dead or suicidal thoughts",
    "cssrs-method-or-past-behaviour": "C-SSRS question 3 or 6: a method, or past behaviour",
    "risk-high": "Risk reader: high risk",
    "words-self-harm": "Client's words: current or recent self-harm",
    "words-method": "Client's words: thoughts of a method",
    "words-suicidal-thoughts": "Client's words: suicidal thoughts",
    "words-past-attempt": "Client's words: a suicide attempt in the past",
    "safeguarding-other-person": "Safeguarding: someone else at risk",
    "reader-declined-words": "Software reading declined: a person reads the words",
    "reader-unavailable": "Words not read by software: a person reads them",
    "reader-needs-person": "Reader not validated for these words: a person reads them",
    "phq9-severe": "PHQ-9 severe (20-27)",
    "words-past-self-harm": "Client's words: self-harm in the past",
    "words-past-thoughts": "Client's words: suicidal thoughts in the past",
    "risk-moderate": "Risk reader: moderate risk",
    "pcl5-probable-ptsd": "PCL-5 probable PTSD (33 or more)",
    "phq9-moderately-severe": "PHQ-9 moderately severe (15-19)",
    "gad7-severe": "GAD-7 severe (15-21)",
    "auditc-positive": "AUDIT-C positive screen",
    "auditc-uk-positive": "AUDIT-C (UK) positive screen",
    "phq9-moderate": "PHQ-9 moderate (10-14)",
    "gad7-moderate": "GAD-7 moderate (10-14)",
    "phq9-mild": "PHQ-9 mild (5-9)",
    "gad7-mild": "GAD-7 mild (5-9)",
    "phq2-positive": "PHQ-2 positive screen (3 or more)",
    "gad2-positive": "GAD-2 positive screen (3 or more)",
    "who5-low-wellbeing": "WHO-5 low wellbeing (50 or below)",
    "fallback": "No rule matched: routine assessment",
}

URGENCY_WORDS: dict[str, str] = {
    "crisis": "Crisis",
    "urgent": "Urgent",
    "soon": "Soon",
    "routine": "Routine",
}


def rule_words(rule_id: str | None) -> str:
    """A rule named in words (an unknown rule from its id, without the code's hyphens)."""
    if not rule_id:
        return ""
    known = RULE_WORDS.get(rule_id)
    if known is not None:
        return known
    text = rule_id.replace("-", " ").replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def urgency_words(urgency: str | None) -> str:
    """An urgency as a word with a capital."""
    if not urgency:
        return ""
    return URGENCY_WORDS.get(urgency, urgency.replace("_", " ").capitalize())


def flag_question_words(flag: str) -> tuple[str, str] | None:
    """(instrument short name, "question 9 answered" or "question 4 answered yes") for a
    critical-item flag, from the instrument that defines it; None when no instrument does."""
    for instrument_id in list_instruments():
        definition = get_instrument(instrument_id)
        for item_flag in definition.flags:
            if item_flag.flag != flag:
                continue
            # The library refuses a flag whose condition names no item of its instrument.
            position = [item.id for item in definition.items].index(item_flag.when.item)
            options = definition.options_for(definition.items[position])
            yes_no = {o.text.lower() for o in options} == {"yes", "no"}
            words = f"question {position + 1} answered" + (" yes" if yes_no else "")
            return definition.short_name, words
    return None


def flag_words(flag: str) -> str:
    """A critical-item flag in words, e.g. "PHQ-9 question 9 answered"."""
    found = flag_question_words(flag)
    if found is None:
        return flag.replace("-", " ")
    return f"{found[0]} {found[1]}"


@cache
def _flag_pattern() -> re.Pattern[str] | None:
    flags = sorted(
        {f.flag for i in list_instruments() for f in get_instrument(i).flags}, key=len, reverse=True
    )
    if not flags:
        return None
    return re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, flags)) + r")(?![\w-])")


def with_flag_words(text: str | None) -> str:
    """``text`` with critical-item flag ids replaced by their words (the record keeps the ids)."""
    if not text:
        return ""
    pattern = _flag_pattern()
    if pattern is None:
        return text
    return pattern.sub(lambda m: flag_words(m.group(1)), text)
