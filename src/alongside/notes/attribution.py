"""The attribution check, pure: is a generated sentence supported by a source sentence?

A language model may only reword. Each sentence it writes must be supported by one sentence
of the composed draft (whose source is known): most of its content words appear there, every
number in it appears there, and it negates exactly when that sentence does ("denies
thoughts of self-harm" must not become "reports thoughts of self-harm"). A supported sentence
takes that sentence's source; an unsupported one is marked and blocks signing until the
clinician edits or removes it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from alongside.notes.compose import Section, Sentence, Source

MIN_OVERLAP = 0.6
_WORD = re.compile(r"[a-z0-9]+(?:['.][a-z0-9]+)*")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
NEGATIONS = frozenset(
    {
        "no",
        "not",
        "never",
        "denies",
        "denied",
        "deny",
        "without",
        "none",
        "nor",
        "nothing",
        "cannot",
        "can't",
        "won't",
        "didn't",
        "doesn't",
        "don't",
        "isn't",
        "wasn't",
        "hasn't",
        "haven't",
        "neither",
        "absent",
    }
)
STOPWORDS = frozenset(
    {
        "a",
        "an",
        "the",
        "and",
        "or",
        "of",
        "to",
        "in",
        "on",
        "at",
        "for",
        "with",
        "by",
        "from",
        "is",
        "was",
        "were",
        "be",
        "been",
        "are",
        "has",
        "have",
        "had",
        "that",
        "this",
        "it",
        "as",
        "their",
        "they",
        "she",
        "he",
        "her",
        "his",
        "client",
        "clients",
        "session",
        "reported",
        "reports",
        "said",
        "says",
        "also",
        "today",
        "which",
        "who",
        "there",
    }
)


def _words(text: str) -> list[str]:
    return _WORD.findall(text.casefold())


def content_words(text: str) -> set[str]:
    """Words that carry meaning (no stop words, no negations)."""
    return {w for w in _words(text) if w not in STOPWORDS and w not in NEGATIONS}


def numbers(text: str) -> set[str]:
    """Numbers written in the text, as written."""
    return set(_NUMBER.findall(text))


def negated(text: str) -> bool:
    """Whether the text negates (odd cases such as double negation count as negated)."""
    return any(w in NEGATIONS or w.endswith("n't") for w in _words(text))


def overlap(sentence: str, candidate: str) -> float:
    """Share of the sentence's content words found in the candidate."""
    words = content_words(sentence)
    if not words:
        return 0.0
    return len(words & content_words(candidate)) / len(words)


def supports(candidate: Sentence, sentence: str) -> bool:
    """Whether ``candidate`` (a composed sentence) supports the generated ``sentence``."""
    evidence = f"{candidate.text} {candidate.source.quote}"
    return (
        overlap(sentence, evidence) >= MIN_OVERLAP
        and numbers(sentence) <= numbers(evidence)
        and negated(sentence) == negated(evidence)
    )


def attribute(sentence: str, candidates: Sequence[Sentence]) -> Sentence:
    """The generated sentence with the source of the composed sentence that supports it best,
    or marked unsupported (with the closest source, for the clinician to compare)."""
    ranked = sorted(
        candidates,
        key=lambda c: overlap(sentence, f"{c.text} {c.source.quote}"),
        reverse=True,
    )
    for candidate in ranked:
        if supports(candidate, sentence):
            return Sentence(text=sentence, source=candidate.source)
    closest = ranked[0].source if ranked else Source(type="clinician", id="", quote="")
    return Sentence(text=sentence, source=closest, supported=False)


def attribute_sections(
    composed: Sequence[Section], generated: Mapping[str, Sequence[str]]
) -> tuple[Section, ...]:
    """Sections rewritten by a model, each sentence attributed; a section the model left out
    keeps its composed sentences, and prompts (safety plan) are always kept as composed."""
    candidates = [s for section in composed for s in section.sentences if not s.prompt]
    out: list[Section] = []
    for section in composed:
        texts = [t.strip() for t in generated.get(section.key, []) if t.strip()]
        if not texts:
            out.append(section)
            continue
        sentences = [attribute(text, candidates) for text in texts]
        sentences += [s for s in section.sentences if s.prompt]
        out.append(Section(key=section.key, title=section.title, sentences=tuple(sentences)))
    return tuple(out)
