"""Spelling put right for a second reading: a typo must not hide risk.

Clients type on phones, in a hurry and in distress: "thuoghts", "ovredosed", "cuuts",
"paracetmol". The rules match words, and the classifier reads a misspelt word as word pieces
it has rarely seen, so a typo in the one word that carries the risk can hide it. The reader
therefore reads a text a second time with each word it does not know put right, and keeps
the higher reading (see ``RiskReader``); spans are mapped back, so evidence always quotes
the client's own characters.

Only a word that is in no English word list is changed, and only by one edit (a letter
added, dropped, changed or two swapped: Damerau-Levenshtein distance 1, the most common
typing errors), to the most frequent English word at that distance, preferring a word the
risk lexicon reads when one is among the closest (a typo read as risk costs a clinician a
look; risk read as a typo costs more). Words of one or two letters, acronyms in capitals and
text-speak ("im", "ive", "idk") are left alone. The word list and its frequencies are
SymSpell's English dictionary (82,765 words, from the Google Books Ngram data), shipped
inside the ``symspellpy`` wheel; nothing is fetched. The words one edit away are spelt out
and looked up (Norvig's method), which needs no index: the list loads in about 0.1 s.
"""

from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass
from importlib import resources
from typing import Final

from alongside.risk import lexicon

DICTIONARY: Final = "frequency_dictionary_en_82_765.txt"
# Words put right only towards words at least this frequent (or the lexicon's own): the
# rarest entries of the list are mostly names and fragments, which would turn one typo
# into another word nobody meant.
MIN_TARGET_COUNT: Final = 200_000
MIN_LENGTH: Final = 4
# The lexicon also spells out everyday words ("did", "end", "life", "want"); only its rarer
# words are preferred, so that "ded" is read "dead", not "did".
COMMON_WORDS: Final = 500
# Text-speak the corpus and the rules already read as it is: never "corrected".
TEXT_SPEAK: Final = frozenset(
    "im ive id ill dont cant wont didnt doesnt isnt wasnt its thats theres idk tbh gonna "
    "wanna cos tho ppl ur rn smth pls tonite lol omg ngl imo irl btw wtf kys sh si od".split()
)
# A word with what follows an apostrophe ("wouldn't", "son's"): the list has no
# contractions, so these are left as they are rather than read as "wouldn" and "t".
_WORD: Final = re.compile(r"[A-Za-z]+(?:'[A-Za-z]*)*")


@dataclass(frozen=True)
class Corrected:
    """A text with its unknown words put right, and how to map positions back."""

    text: str
    # (start, end) in the original and (start, end) in the corrected text, per changed word.
    changes: tuple[tuple[int, int, int, int], ...]
    words: tuple[tuple[str, str], ...]

    @property
    def changed(self) -> bool:
        """Whether any word was put right."""
        return bool(self.changes)

    def to_original(self, position: int) -> int:
        """The position in the original text of a position in the corrected one."""
        starts = [c[2] for c in self.changes]
        i = bisect.bisect_right(starts, position) - 1
        if i < 0:
            return position
        o_start, o_end, n_start, n_end = self.changes[i]
        if position < n_end:
            # Inside a changed word: its start maps to the word's start, the rest to its end.
            return o_start if position == n_start else o_end
        return o_end + (position - n_end)

    def span(self, start: int, end: int) -> tuple[int, int]:
        """A span of the corrected text as a span of the original."""
        return self.to_original(start), max(self.to_original(start), self.to_original(end))


@dataclass(frozen=True)
class _Speller:
    known: frozenset[str]
    # Correction targets and their frequencies.
    targets: dict[str, int]
    lexicon_words: frozenset[str]


def lexicon_words(known: frozenset[str]) -> frozenset[str]:
    """English words that the risk lexicon's phrases spell out."""
    words: set[str] = set()
    for phrase in lexicon.PHRASES:
        # The letters between regular-expression syntax: "kill", "myself", "tablets"...
        for word in re.findall(r"(?<![\\])[a-z]{3,}", phrase.pattern):
            if word in known:
                words.add(word)
    return frozenset(words)


@functools.cache
def speller() -> _Speller:
    """The word list and the index of correction targets (built once per process)."""
    raw = (resources.files("symspellpy") / DICTIONARY).read_text(encoding="utf-8")
    counts: dict[str, int] = {}  # in the list's order: most frequent first
    for line in raw.splitlines():
        word, _, count = line.partition(" ")
        if word and count.isdigit():
            counts[word] = int(count)
    known = frozenset(counts)
    common = set(list(counts)[:COMMON_WORDS])
    from_lexicon = lexicon_words(known) - common
    targets = {
        word: count
        for word, count in counts.items()
        if len(word) >= MIN_LENGTH and (count >= MIN_TARGET_COUNT or word in from_lexicon)
    }
    return _Speller(known=known, targets=targets, lexicon_words=from_lexicon)


_LETTERS: Final = "abcdefghijklmnopqrstuvwxyz"


def one_edit(word: str) -> set[str]:
    """Every string one edit from a lowercase word: a letter dropped, two neighbours
    swapped, a letter changed or a letter added."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    dropped = {a + b[1:] for a, b in splits if b}
    swapped = {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    changed = {a + c + b[1:] for a, b in splits if b for c in _LETTERS}
    added = {a + c + b for a, b in splits for c in _LETTERS}
    return (dropped | swapped | changed | added) - {word}


def _fix(word: str, spell: _Speller) -> str | None:
    lower = word.lower()
    if "'" in word or len(word) < MIN_LENGTH or lower in spell.known or lower in TEXT_SPEAK:
        return None
    if word.isupper() and len(word) <= 4:
        return None  # an acronym
    found = [w for w in one_edit(lower) if w in spell.targets]
    if not found:
        return None
    risk = [w for w in found if w in spell.lexicon_words]
    # The most frequent; ties broken by the word itself, so the choice never varies.
    best = max(risk or found, key=lambda w: (spell.targets[w], w))
    if word[0].isupper():
        best = best[0].upper() + best[1:]
    return best


def correct(text: str) -> Corrected:
    """The text with each unknown word put right where one edit makes a known word."""
    spell = speller()
    out: list[str] = []
    changes: list[tuple[int, int, int, int]] = []
    words: list[tuple[str, str]] = []
    last = 0
    length = 0
    for match in _WORD.finditer(text):
        fixed = _fix(match.group(), spell)
        if fixed is None:
            continue
        before = text[last : match.start()]
        out.append(before)
        length += len(before)
        changes.append((match.start(), match.end(), length, length + len(fixed)))
        words.append((match.group(), fixed))
        out.append(fixed)
        length += len(fixed)
        last = match.end()
    if not changes:
        return Corrected(text=text, changes=(), words=())
    out.append(text[last:])
    return Corrected(text="".join(out), changes=tuple(changes), words=tuple(words))
