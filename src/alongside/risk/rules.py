"""Transparent rules: lexicon phrases read in context, each with a reason a clinician can check.

A phrase counts only when it is about the writer, now, and meant: not negated ("I'm not
suicidal"), not about someone else ("my friend wants to die"), not a hypothetical, not a
professional or media context ("I work with patients after attempts"), not an everyday idiom
("this commute is killing me"). Phrases reported in the past count for less. Pure functions.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from dataclasses import dataclass, field
from typing import Final, Literal

from alongside.risk import lexicon
from alongside.risk.reading import Evidence, Level, Signal

Context = Literal[
    "negated", "third_person", "hypothetical", "professional_or_media", "idiom", "everyday_reason"
]

_FLAGS = re.IGNORECASE
_PHRASES: Final = [(re.compile(p.pattern, _FLAGS), p) for p in lexicon.PHRASES]
_NEGATION = re.compile(lexicon.NEGATIONS, _FLAGS)
_NEGATION_AFTER = re.compile(lexicon.NEGATIONS_AFTER, _FLAGS)
_NEGATION_EXCEPTION = re.compile(lexicon.NEGATION_EXCEPTIONS, _FLAGS)
_THIRD = re.compile(lexicon.THIRD_PERSONS, _FLAGS)
_FIRST = re.compile(lexicon.FIRST_PERSONS, _FLAGS)
# A person named right after a verb of giving or telling is its object, not who acts: in "I
# gave my best friend my hoodie and said bye like it was the last time" the writer says bye.
_OBJECT_OF = re.compile(
    r"\b(?:gave|give|gives|giving|given|handed|texted|messaged|rang|called|hugged|told|"
    r"tell|telling)\s+$",
    _FLAGS,
)
_RECENT = re.compile(lexicon.RECENT, _FLAGS)
_PAST = re.compile(lexicon.PAST, _FLAGS)
_HYPOTHETICAL = re.compile(lexicon.HYPOTHETICAL, _FLAGS)
_CONTEXT = re.compile(lexicon.CONTEXTS, _FLAGS)
_IDIOMS: Final = [re.compile(p, _FLAGS) for p in lexicon.IDIOMS]
_KILL_ME = re.compile(lexicon.KILL_ME, _FLAGS)
_KILL_ME_NOT_IDIOM = re.compile(lexicon.KILL_ME_NOT_IDIOM, _FLAGS)
_KILL_ME_PERSONS = re.compile(lexicon.KILL_ME_PERSONS, _FLAGS)
_KILL_ME_EVERYDAY = re.compile(lexicon.KILL_ME_EVERYDAY, _FLAGS)
_KILL_ME_SERIOUS = re.compile(lexicon.KILL_ME_SERIOUS, _FLAGS)
_IDIOM_GUARD = re.compile(lexicon.IDIOM_GUARD, _FLAGS)
# "Suicide" as an event that happened to someone ("families after a suicide", "several
# suicides"), as opposed to the writer's own thoughts ("I think about suicide").
_EVENT_BEFORE = re.compile(
    r"\b(?:a|an|the|another|several|many|two|three|this|that|those|these|his|her|their|"
    r"whose|\w+'s)\s+(?:\w+\s+)?$",
    _FLAGS,
)
_EVENT_NOT_AFTER = re.compile(
    r"^\s+(?:pact|plan|note|letter|attempt|bid|method|hotline|helpline|line|watch|risk|"
    r"thoughts?|ideation|mission|crisis)\b",
    _FLAGS,
)
# Who the writer is ("As a Black woman, ...", "I'm a nurse.", "Speaking as a Muslim: ..."):
# the persons and professions named there are the writer, never a third person or a
# professional context, so that the same sentence said by different people reads the same.
_IDENTITY_WORDS = "|".join(
    sorted(lexicon.IDENTITY_TERMS | lexicon.IDENTITY_NOUNS, key=len, reverse=True)
)
_IDENTITY = re.compile(
    r"\b(?:as|speaking\s+as|i'm|im|i\s+am|being|me,?\s+an?|i'm\s+also|and\s+i'm)\s+(?:an?\s+)?"
    r"(?:(?:[\w-]+\s+){0,2}(?:" + _IDENTITY_WORDS + r")s?\b)(?:\s*(?:and|,)\s*(?:an?\s+)?"
    r"(?!(?:my|his|her|our|their|your)\b)(?:[\w-]+\s+){0,2}(?:" + _IDENTITY_WORDS + r")\b)?",
    _FLAGS,
)
_SENTENCE = re.compile(r"[^.!?\n]+[.!?\n]*")
_CLAUSE_BREAK = re.compile(r"[,;:()]|\s-\s|\bbut\b|\bthough\b|\bhowever\b|\bjust\b", _FLAGS)
_WORD = re.compile(r"[\w']+")
# Verbs that put a first-person writer at a distance from the topic ("I work in suicide
# prevention", "I'm writing an essay on self-harm").
_DISTANCING = re.compile(
    r"\b(?:work|works|working|worked|attend|attends|attending|see|sees|seeing|treat|treats|"
    r"treating|nurse|nursing|study|studying|studied|research|researching|volunteer|"
    r"volunteering|teach|teaching|read|reading|watch|watched|watching|saw|heard|hear|write|"
    r"writing|wrote|listen|listened|listening|learn|learning|learned|train|training|cover|covering|"
    r"support|supporting|care\s+for|caring\s+for|help|helping|lost|losing|attended|meet|"
    r"meeting|met|sit\s+with|sitting\s+with|deal\s+with|dealing\s+with|dealt\s+with|assess|"
    r"assessing|screen|screening|respond|responding|manage|managing|counsel|counselling|"
    r"handle|handling|carry\s+out|carrying\s+out|run|runs|running)\b",
    _FLAGS,
)
_NEGATION_WINDOW_WORDS = 7
_SAID_YES = re.compile(r"\b(?:said|answered|told\s+(?:him|her|them))\s+yes\b|\badmitted\b", _FLAGS)
_SEEN_AT_WORK: Final = frozenset({"ideation", "attempt", "self_harm"})
# Signals that are behaviour (C-SSRS questions 6) as opposed to thoughts.
_BEHAVIOUR: Final = frozenset({"attempt", "preparatory_behaviour"})
_ACUTE: Final = frozenset({"plan", "intent", "means", "preparatory_behaviour"})
_TIMED: Final = frozenset({"plan", "intent", "preparatory_behaviour"})
# Time cues that make an intent, plan or means imminent.
_NOW = re.compile(
    r"\b(?:tonight|today|right\s+now|now|this\s+(?:evening|afternoon|morning|weekend)|"
    r"in\s+(?:an?|a\s+few|\d+)\s+(?:minutes?|hours?)|soon|tomorrow)\b",
    _FLAGS,
)


@dataclass(frozen=True)
class Mention:
    """One lexicon phrase found in the text, with the context that explains it away if any."""

    start: int
    end: int
    text: str
    signal: Signal
    context: Context | None
    past: bool
    recent: bool
    sentence: tuple[int, int] = (0, 0)


@dataclass(frozen=True)
class RuleReading:
    """What the rules found: counted evidence, discounted mentions, a level floor, reasons."""

    level: Level
    mentions: tuple[Mention, ...]
    reasons: tuple[str, ...]
    idioms: tuple[tuple[int, int], ...] = field(default=())

    @property
    def counted(self) -> tuple[Mention, ...]:
        """Mentions that count as evidence (no context explains them away)."""
        return tuple(m for m in self.mentions if m.context is None)

    @property
    def evidence(self) -> tuple[Evidence, ...]:
        """Counted mentions as evidence spans."""
        return tuple(
            Evidence(start=m.start, end=m.end, text=m.text, signal=m.signal) for m in self.counted
        )


_CONTEXT_WORDS: Final[dict[Context, str]] = {
    "negated": "negated",
    "third_person": "about someone else",
    "hypothetical": "hypothetical or a question",
    "professional_or_media": "professional, study or media context",
    "idiom": "an everyday idiom",
    "everyday_reason": "the sentence gives an everyday reason (a move, a clear-out)",
}
# Giving things away and goodbyes have everyday reasons too: a move abroad, a clear-out. Set
# aside only when the classifier agrees that the sentence is not at risk (see the reader).
_EVERYDAY_REASON = re.compile(
    r"\b(?:moving|move|moved)\s+(?:abroad|away|back|home|house|out|overseas|country|flat|"
    r"to\s+(?!a\s+better\s+place)\w+)\b|\b(?:emigrat\w*|relocat\w*|downsiz\w*|declutter\w*|"
    r"clear-?out|leaving\s+(?:do|party|drinks)|farewell\s+party|gap\s+year|study(?:ing)?\s+abroad|"
    r"going\s+travell?ing)\b",
    _FLAGS,
)


def _spans(pattern: re.Pattern[str], text: str, start: int, end: int) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in pattern.finditer(text, start, end)]


def _clauses(text: str, start: int, end: int) -> list[tuple[int, int]]:
    cuts = [start] + [m.start() for m in _CLAUSE_BREAK.finditer(text, start, end)] + [end]
    return [(a, b) for a, b in itertools.pairwise(cuts) if b > a]


# A question answered no in the next words ("Have I thought about killing myself? No.").
_ANSWERED_NO = re.compile(
    r"[^.!?\n]*\?\s*(?:no|nope|never|nah|not\s+(?:really|at\s+all|once|seriously|ever))\b"
    # A form answered none ("Suicidal thoughts: none.", "Self-harm - never").
    r"|[^.!?\n]*\bi\s+(?:said|answered|told\s+(?:him|her|them))\s+no\b"
    r"|[^.!?\n]*[.?!]\s*(?:i'?m|im|i\s+am)\s+not\s*(?:[.!,]|$)"
    r"|\s*(?:thoughts?|ideation|feelings?|attempts?|behaviou?rs?|history|plans?|urges?)?\s*"
    r"(?:[:\-\u2013]|\?)\s*(?:none|no(?!\s+(?:joke|lie|kidding|really|word))|never|nil|n/?a|denied|0|zero|"
    r"denies|nope|not\s+(?:really|at\s+all|ever))\b",
    _FLAGS,
)


def _is_negated(text: str, clause: tuple[int, int], match_start: int, match_end: int) -> bool:
    if _NEGATION_AFTER.search(text[match_end : clause[1]]):
        return True
    if _ANSWERED_NO.match(text, match_end):
        return True
    before = text[clause[0] : match_start]
    words = list(_WORD.finditer(before))[-_NEGATION_WINDOW_WORDS:]
    if not words:
        return False
    window = before[words[0].start() :]
    if _NEGATION_EXCEPTION.search(window):
        return False
    return _NEGATION.search(window) is not None


def identity_spans(text: str) -> list[tuple[int, int]]:
    """Spans where the writer says who they are ("as a trans man", "I'm a nurse")."""
    return [(m.start(), m.end()) for m in _IDENTITY.finditer(text)]


def _inside(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    return any(a <= start and end <= b for a, b in spans)


def _subject(
    text: str, sentence_start: int, match_end: int, identities: list[tuple[int, int]]
) -> tuple[str, int] | None:
    """The last person named before the end of the phrase: ("first"|"third", its end)."""
    last: tuple[str, int] | None = None
    for kind, pattern in (("first", _FIRST), ("third", _THIRD)):
        for m in pattern.finditer(text, sentence_start, match_end):
            if kind == "third" and _inside(identities, m.start(), m.end()):
                continue  # the writer naming who they are
            if kind == "third" and _OBJECT_OF.search(
                text, max(sentence_start, m.start() - 12), m.start()
            ):
                continue  # the one given or told something; the giver acts
            if last is None or m.end() > last[1]:
                last = (kind, m.end())
    return last


def _context(
    text: str,
    phrase: lexicon.Phrase,
    sentence: tuple[int, int],
    clause: tuple[int, int],
    match: re.Match[str],
    idioms: list[tuple[int, int]],
    identities: list[tuple[int, int]],
) -> Context | None:
    start, end = match.start(), match.end()
    if any(a < end and start < b for a, b in idioms):
        return "idiom"
    if _is_negated(text, clause, start, end):
        return "negated"
    sentence_text = text[sentence[0] : sentence[1]]
    if _HYPOTHETICAL.search(sentence_text) and not _SAID_YES.search(sentence_text):
        return "hypothetical"
    if phrase.signal == "preparatory_behaviour" and _EVERYDAY_REASON.search(sentence_text):
        return "everyday_reason"
    if phrase.reference == "self":
        return None
    subject = _subject(text, sentence[0], end, identities)
    if subject is not None and subject[0] == "third":
        return "third_person"
    if _is_event(text, sentence, match):
        return "third_person"
    found = list(_CONTEXT.finditer(text, sentence[0], sentence[1]))
    # A profession said as who the writer is ("As a nurse, suicide is on my mind") is not a
    # professional context by itself; it is one when the writer then distances themselves
    # ("I'm an ER nurse and I see overdoses every shift").
    plain = [c for c in found if not _inside(identities, c.start(), c.end())]
    if subject is None:
        return "professional_or_media" if plain else None
    # A profession named as who the writer is sets aside only what a professional sees
    # (suicide, overdoses, self-harm), not their own plan or means ("Speaking as a nurse:
    # last month I wrote a suicide note").
    if (plain or phrase.signal in _SEEN_AT_WORK) and found:
        if _DISTANCING.search(text[subject[1] : start]):
            return "professional_or_media"
    # "... and my dissertation is on self-harm": the context stands between the writer and
    # the word.
    if any(subject[1] <= c.start() and c.end() <= start for c in plain):
        return "professional_or_media"
    return None


def _is_event(text: str, sentence: tuple[int, int], match: re.Match[str]) -> bool:
    """ "Suicide" named as an event (someone's death), not as the writer's thoughts."""
    word = match.group().lower()
    if word == "suicides":
        return True
    if word != "suicide":
        return False
    return bool(
        _EVENT_BEFORE.search(text[sentence[0] : match.start()])
        and not _EVENT_NOT_AFTER.search(text[match.end() : sentence[1]])
    )


def _everyday_threats(text: str) -> list[tuple[int, int]]:
    """Spans of "<someone or something> will kill me" said as an everyday exaggeration."""
    spans: list[tuple[int, int]] = []
    for m in _KILL_ME.finditer(text):
        subject = m.group("subject")
        if _KILL_ME_NOT_IDIOM.match(subject):
            continue
        if _KILL_ME_PERSONS.match(subject):
            rest = text[m.end() :]
            clause = rest.split(".")[0].split("!")[0].split("?")[0].split("\n")[0]
            if not _KILL_ME_EVERYDAY.search(clause) or _KILL_ME_SERIOUS.search(clause):
                continue
        spans.append((m.start(), m.end()))
    return spans


def _guarded(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Idiom spans outside sentences that name a means of suicide."""
    guarded = [
        (m.start(), m.end()) for m in _SENTENCE.finditer(text) if _IDIOM_GUARD.search(m.group())
    ]
    return [(a, b) for a, b in spans if not any(s <= a < e for s, e in guarded)]


def find_mentions(text: str) -> tuple[list[Mention], list[tuple[int, int]]]:
    """Every lexicon phrase in the text with its context, and the idiom spans."""
    found_idioms = {span for pattern in _IDIOMS for span in _spans(pattern, text, 0, len(text))}
    found_idioms.update(_everyday_threats(text))
    idioms = _guarded(text, sorted(found_idioms))
    identities = identity_spans(text)
    mentions: list[Mention] = []
    # Most phrases appear nowhere in a given text: one scan of the whole text each finds the
    # few worth looking for sentence by sentence (a third of the time on 1,000 characters).
    active = [(pattern, phrase) for pattern, phrase in _PHRASES if pattern.search(text)]
    if not active:
        return mentions, idioms
    for sentence_match in _SENTENCE.finditer(text):
        sentence = (sentence_match.start(), sentence_match.end())
        sentence_text = sentence_match.group()
        past = _PAST.search(sentence_text) is not None
        clauses = _clauses(text, *sentence)
        found = [
            (m, phrase) for pattern, phrase in active for m in pattern.finditer(text, *sentence)
        ]
        # Longest first, so a span inside a more specific phrase is not counted twice.
        found.sort(key=lambda item: (item[0].start() - item[0].end(), item[0].start()))
        seen: list[tuple[int, int]] = []
        for m, phrase in found:
            if any(a <= m.start() and m.end() <= b for a, b in seen):
                continue
            seen.append((m.start(), m.end()))
            clause = next(((a, b) for a, b in clauses if a <= m.start() < b), sentence)
            context = _context(text, phrase, sentence, clause, m, idioms, identities)
            # A recent cue in the phrase's own clause keeps it current; a past cue anywhere in
            # the sentence ("I used to be suicidal, I'm better now") dates it.
            recent = _RECENT.search(text, clause[0], clause[1]) is not None
            mentions.append(
                Mention(
                    start=m.start(),
                    end=m.end(),
                    text=m.group(),
                    signal=phrase.signal,
                    context=context,
                    past=past and not recent,
                    recent=recent,
                    sentence=sentence,
                )
            )
    mentions.sort(key=lambda m: (m.start, m.end))
    return mentions, idioms


def _level_of(m: Mention, text: str) -> Level:
    if m.past:
        # C-SSRS screener: behaviour longer ago than three months -> moderate; thoughts -> low.
        return Level.MODERATE if m.signal in _BEHAVIOUR else Level.LOW
    if m.signal == "attempt":
        # Behaviour within three months is high on the C-SSRS screener; when the text gives
        # no date, read it as recent rather than assume it is old.
        return Level.HIGH
    if m.signal in _ACUTE:
        return Level.HIGH
    if m.signal in ("ideation", "self_harm"):
        return Level.MODERATE
    return Level.LOW


def normalise(text: str) -> str:
    """Curly apostrophes and quotes as straight ones (same length, so spans still match)."""
    return text.translate(_STRAIGHTEN)


_STRAIGHTEN = str.maketrans(
    {"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u201c": '"', "\u201d": '"'}
)


def level_of(m: Mention) -> Level:
    """The level one counted mention supports on its own (C-SSRS screener order)."""
    return _level_of(m, "")


def read_rules(text: str) -> RuleReading:
    """Apply the lexicon rules to one text; a pure function."""
    original = text
    text = normalise(text)
    found, idioms = find_mentions(text)
    # Matched on the straightened text; the spans' text is the client's own characters.
    mentions = [dataclasses.replace(m, text=original[m.start : m.end]) for m in found]
    counted = [m for m in mentions if m.context is None]
    level = Level.highest(*(_level_of(m, text) for m in counted))
    signals = {m.signal for m in counted if not m.past}
    reasons: list[str] = []
    acute = signals & _ACUTE
    if acute and (
        ("intent" in signals and bool(signals & {"plan", "means", "preparatory_behaviour"}))
        or any(m.signal in _TIMED and _NOW.search(_sentence_around(text, m.start)) for m in counted)
    ):
        level = Level.IMMINENT
        reasons.append(
            "Rules: intent with a plan, means or a time ('tonight', 'now') in the writer's own "
            "words: read as imminent."
        )
    for m in counted:
        when = " (reported in the past)" if m.past else ""
        reasons.append(f'Rules: "{m.text}" read as {m.signal.replace("_", " ")}{when}.')
    for m in mentions:
        if m.context is not None:
            reasons.append(f'Rules: "{m.text}" not counted: {_CONTEXT_WORDS[m.context]}.')
    for a, b in idioms:
        reasons.append(f'Rules: "{text[a:b]}" read as {_CONTEXT_WORDS["idiom"]}.')
    return RuleReading(
        level=level,
        mentions=tuple(mentions),
        reasons=tuple(reasons),
        idioms=tuple(idioms),
    )


def _sentence_around(text: str, pos: int) -> str:
    for m in _SENTENCE.finditer(text):
        if m.start() <= pos < m.end():
            return m.group()
    return ""
