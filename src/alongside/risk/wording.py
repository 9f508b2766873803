"""The reader's reasons in a clinician's words, its figures kept apart.

A reading's reasons (``RiskReading.reasons``) are stored as the reader wrote them, with the
classifier's probability and threshold in them ("Classifier: probability 0.68; moderate from
0.68 (moderate)."). A page shows the plain sentence; the figures go under *Details*, for the
clinician who wants to check them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_CLASSIFIER = re.compile(
    r"^Classifier: probability (?P<p>[0-9.]+)(?: \(highest of (?P<n>\d+) windows\))?; "
    r"moderate from (?P<t>[0-9.]+) \((?P<level>\w+)\)\.$"
)
_OVERRULED = re.compile(
    r'^(?P<quote>".*") would be set aside by the rules \((?P<why>[^)]*)\), but the classifier '
    r"reads risk in its sentence: counted\.$"
)
_RULES = re.compile(r"^Rules: (?P<rest>.*)$")
_SPELT = "With spelling put right: "
_PLAIN = {
    "Rules raise the level to ": "Phrases in the words raise the level to ",
    "Instrument critical items raise the level to ": "Critical questionnaire answers raise the "
    "level to ",
}


@dataclass(frozen=True)
class ReasonWords:
    """What a page shows of a reading's reasons: plain sentences, and the figures apart."""

    plain: tuple[str, ...]
    technical: tuple[str, ...]


def _one(reason: str) -> tuple[str | None, str | None]:
    """(plain sentence or None, technical line or None) for one stored reason."""
    if reason.startswith(_SPELT):
        plain, technical = _one(reason.removeprefix(_SPELT))
        return (
            f"With spelling put right: {plain[0].lower()}{plain[1:]}" if plain else None,
            f"{_SPELT}{technical}" if technical else None,
        )
    match = _CLASSIFIER.match(reason)
    if match is not None:
        passage = "one passage of the words" if match["n"] else "the words"
        if match["level"] == "none":
            return None, reason  # the model found nothing: the level and evidence say it
        return (f"The reader's language model reads {passage} as a sign of risk.", reason)
    match = _OVERRULED.match(reason)
    if match is not None:
        return (
            f"{match['quote']} could read as {match['why']}, but the language model reads risk "
            "in its sentence, so it counts.",
            None,
        )
    match = _RULES.match(reason)
    if match is not None:
        rest = match["rest"]
        return rest[:1].upper() + rest[1:], None
    for stored, words in _PLAIN.items():
        if reason.startswith(stored):
            return words + reason.removeprefix(stored), None
    return reason, None


def reason_words(reasons: Iterable[str]) -> ReasonWords:
    """The plain sentences of the reasons (in order, each once) and the technical lines."""
    plain: list[str] = []
    technical: list[str] = []
    for reason in reasons:
        words, figures = _one(str(reason))
        inner = _one(str(reason).removeprefix(_SPELT))[0] if reason.startswith(_SPELT) else None
        # "With spelling put right: the model reads the words as a sign of risk" says nothing
        # the first reading did not already say in the same words.
        if words and words not in plain and (inner is None or inner not in plain):
            plain.append(words)
        if figures and figures not in technical:
            technical.append(figures)
    return ReasonWords(plain=tuple(plain), technical=tuple(technical))
