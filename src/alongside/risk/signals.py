"""C-SSRS-shaped signals: windows to read, the construct a phrase stands for, its recency.

Constructs and recency follow the C-SSRS screener (Posner et al. 2011): thoughts are
"current" when they are now or in the past month; behaviour is "recent" within three
months and "past" longer ago; "unknown" when the text does not say. Pure functions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from alongside.risk.reading import Construct, Recency, Signal
from alongside.risk.rules import Mention

_FLAGS = re.IGNORECASE
_SENTENCE = re.compile(r"[^.!?\n]+[.!?\n]*")
_WORD = re.compile(r"\S+")
# A text the encoder can read whole (up to about 90 words: its 128 word pieces) is read whole.
# A longer one is read window by window: a few sentences (or a piece of a long run-on
# sentence), up to WINDOW_WORDS words, and the short sentence after it, so that an answer
# ("Have I thought of it? No.") stays with its question.
WINDOW_WORDS: Final = 60
WHOLE_WORDS: Final = 90
PIECE_OVERLAP: Final = 15

_THOUGHTS: Final = frozenset({"wish_dead", "ideation", "method", "intent", "plan"})
_ACTIVE = re.compile(
    r"\b(?:kill|end|ending|off|hang|shoot|unalive|suicid\w*|kms|take\s+my|taking\s+my)", _FLAGS
)
_INTERRUPTED = re.compile(
    r"\b(?:(?:he|she|they|someone|somebody|my\s+\w+|a\s+\w+|the\s+\w+)\s+(?:stopped|found|caught|"
    r"grabbed|pulled|dragged|talked)\s+me|walked\s+in|came\s+(?:in|home|back)|interrupted|"
    r"took\s+(?:it|them|the\s+\w+)\s+(?:off|from|away\s+from)\s+me|"
    r"(?:police|paramedics|ambulance)\s+(?:came|arrived|found))",
    _FLAGS,
)
_ABORTED = re.compile(
    r"\b(?:stopped\s+myself|changed\s+my\s+mind|backed\s+out|couldn'?t\s+(?:go\s+through|do\s+it)|"
    r"didn'?t\s+(?:go\s+through|do\s+it|jump)|put\s+(?:them|it|the\s+\w+)\s+(?:back|down|away)|"
    r"talked\s+myself\s+(?:out|down)|walked\s+away|climbed\s+(?:back|down)|got\s+down|"
    r"(?:and|but)\s+(?:then\s+)?stopped)",
    _FLAGS,
)
_PAST = re.compile(
    r"\b(?:used\s+to|years?\s+ago|last\s+year|a\s+long\s+time\s+ago|long\s+ago|ages\s+ago|"
    r"(?:four|five|six|seven|eight|nine|ten|eleven|twelve|\d{2}|[4-9])\s+months\s+ago|"
    r"(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|many|several|a\s+few|a\s+couple\s+of)\s+"
    r"years?\s+ago|when\s+i\s+was\s+(?:a\s+kid|a\s+child|young|younger|little|a\s+teen(?:ager)?|"
    r"in\s+(?:school|high\s+school|college|year\s+\d+)|at\s+(?:uni(?:versity)?|school|college)|\d+)|"
    r"as\s+a\s+(?:kid|child)|in\s+(?:high\s+school|my\s+(?:teens|twenties|thirties|forties|"
    r"fifties|youth)|the\s+past|\d{4})|back\s+(?:then|in)|at\s+(?:uni|university|school|college)|"
    r"in\s+my\s+(?:first|second|third)\s+year|once\s+in\s+my|(?:decade|decades)\s+ago|"
    r"(?:not|haven'?t|havent)\s+(?:been\s+back|done\s+(?:it|that)|felt\s+(?:like\s+)?that)\s+(?:since|for)|"
    r"long\s+behind\s+me|clean\s+(?:for|since)|years?\s+clean|history\s+of|since\s+then|"
    r"in\s+the\s+(?:seventies|eighties|nineties|\d0s)|in\s+my\s+(?:early|mid|late)\s+(?:teens|twenties|"
    r"thirties|forties|fifties|sixties)|(?:had|was|did|used|felt|tried|went)\b[^.!?\n]*\bas\s+a\s+"
    r"(?:teen(?:ager)?|student|young\s+\w+))\b",
    _FLAGS,
)
_RECENT = re.compile(
    r"\b(?:yesterday|last\s+(?:night|week|weekend|month|monday|tuesday|wednesday|thursday|friday|"
    r"saturday|sunday|time)|this\s+(?:morning|week|month|weekend|past\s+week)|the\s+other\s+"
    r"(?:day|night|week)|(?:a\s+few|two|three|four|five|six|couple\s+of|a\s+couple\s+of|\d+)\s+"
    r"(?:days|weeks|nights)\s+ago|(?:a|one|two|three|a\s+couple\s+of|couple\s+of)\s+months?\s+ago|"
    r"a\s+(?:week|fortnight|month)\s+ago|days?\s+ago|weeks?\s+ago|recently|on\s+(?:monday|tuesday|"
    r"wednesday|thursday|friday|saturday|sunday)|at\s+the\s+weekend|over\s+the\s+weekend|"
    r"since\s+(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|christmas|new\s+year)|"
    r"in\s+the\s+(?:last|past)\s+(?:few\s+)?(?:days|weeks|month|couple\s+of\s+months|two\s+months))\b",
    _FLAGS,
)
_TODAY = re.compile(
    r"\b(?:(?:an?|\d+|a\s+few|few|couple\s+of|two|three)\s+hours?\s+ago|earlier\s+today|"
    r"this\s+(?:morning|afternoon|evening)|today|tonight|just\s+now|right\s+now)\b",
    _FLAGS,
)
_ACQUIRE = re.compile(
    r"\b(?:bought|buy|buying|got|stockpil\w*|sav(?:e|ed|ing)|hoard\w*|collect\w*|stash\w*|hid|"
    r"hidden|hiding|stor(?:ed|ing))\b",
    _FLAGS,
)
_CURRENT = re.compile(
    r"\b(?:now|right\s+now|currently|at\s+the\s+moment|atm|these\s+days|lately|every\s+(?:day|night|"
    r"morning)|all\s+the\s+time|tonight|today|keep|keeps|still|again|i'?m|im|i\s+am|am\s+i|"
    r"i'?ve\s+been|ive\s+been|been\s+\w+ing|can'?t\s+stop|constantly|most\s+days|nights?)\b",
    _FLAGS,
)
_CLOSE_OTHER = re.compile(
    r"\b(?:my|our)\s+(?:\w+\s+)?(?:son|daughter|child|kid|kids|boy|girl|partner|husband|wife|"
    r"boyfriend|girlfriend|fiance|fiancee|friend|best\s+friend|mum|mom|mother|dad|father|"
    r"brother|sister|grandson|granddaughter|grandmother|grandfather|nan|gran|teenager|"
    r"flatmate|roommate|student|niece|nephew|cousin|stepson|stepdaughter)s?\b",
    _FLAGS,
)
_EVIDENCE_SIGNAL: Final[dict[str, Signal]] = {
    "wish_dead": "ideation",
    "ideation": "ideation",
    "method": "means",
    "intent": "intent",
    "plan": "plan",
    "preparation": "preparatory_behaviour",
    "attempt": "attempt",
    "interrupted_attempt": "attempt",
    "aborted_attempt": "attempt",
    "self_harm": "self_harm",
}
_CONSTRUCT_ORDER: Final[tuple[Construct, ...]] = (
    "wish_dead",
    "ideation",
    "method",
    "intent",
    "plan",
    "preparation",
    "attempt",
    "interrupted_attempt",
    "aborted_attempt",
    "self_harm",
)


def sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans (split at . ! ? and line breaks)."""
    return [(m.start(), m.end()) for m in _SENTENCE.finditer(text)]


def _pieces(text: str, span: tuple[int, int]) -> list[tuple[int, int]]:
    """A sentence, or pieces of WINDOW_WORDS words (overlapping) when it is longer."""
    words = [(m.start(), m.end()) for m in _WORD.finditer(text, span[0], span[1])]
    if len(words) <= WINDOW_WORDS:
        return [span] if words else []
    out: list[tuple[int, int]] = []
    step = WINDOW_WORDS - PIECE_OVERLAP
    for k in range(0, len(words), step):
        chunk = words[k : k + WINDOW_WORDS]
        out.append((chunk[0][0], chunk[-1][1]))
        if k + WINDOW_WORDS >= len(words):
            break
    return out


def windows(text: str) -> list[tuple[int, int]]:
    """Spans the classifier reads: the whole text when it fits, else overlapping windows."""
    total = len(_WORD.findall(text))
    if total == 0:
        return []
    if total <= WHOLE_WORDS:
        return [(0, len(text))]
    units = [p for s in sentences(text) for p in _pieces(text, s)]
    sizes = [len(_WORD.findall(text, a, b)) for a, b in units]
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(units):
        j, words = i, 0
        while j < len(units) and (j == i or words + sizes[j] <= WINDOW_WORDS):
            words += sizes[j]
            j += 1
        # One more unit after the window keeps an answer with its question.
        end = (
            units[min(j, len(units) - 1)][1]
            if j < len(units) and sizes[j] <= 20
            else units[j - 1][1]
        )
        spans.append((units[i][0], end))
        i = j
    return list(dict.fromkeys(spans))


def construct_of(m: Mention, text: str) -> Construct | None:
    """The C-SSRS construct a rule phrase stands for (None for hopelessness and burden)."""
    a, b = m.sentence
    sentence = text[a:b]
    if m.signal == "ideation":
        return "ideation" if _ACTIVE.search(m.text) else "wish_dead"
    if m.signal == "means":
        # Getting or saving the means is a preparatory act; having them is a method.
        return "preparation" if _ACQUIRE.search(m.text) else "method"
    if m.signal == "intent":
        return "intent"
    if m.signal == "plan":
        return "plan"
    if m.signal == "preparatory_behaviour":
        return "preparation"
    if m.signal == "attempt":
        if _INTERRUPTED.search(sentence):
            return "interrupted_attempt"
        if _ABORTED.search(sentence):
            return "aborted_attempt"
        return "attempt"
    if m.signal == "self_harm":
        return "self_harm"
    return None


def _dated(construct: Construct, text: str) -> Recency | None:
    if _TODAY.search(text):
        return "current"
    if _PAST.search(text):
        return "past"
    if _RECENT.search(text):
        return "current" if construct in _THOUGHTS else "recent"
    return None


def recency_of(construct: Construct, sentence: str, context: str = "") -> Recency:
    """When, by the cues in the sentence ("last Friday", "years ago", "when I was 15"), else
    in the text around it; thoughts and self-harm said in the present are current."""
    dated = _dated(construct, sentence) or (_dated(construct, context) if context else None)
    if dated is not None:
        return dated
    if construct in _THOUGHTS or construct == "self_harm" or _CURRENT.search(sentence):
        return "current"
    return "unknown"


def other_subject(text: str, sentence: tuple[int, int]) -> bool:
    """True when the sentence is about someone close to the writer ("my son says ...")."""
    return _CLOSE_OTHER.search(text, sentence[0], sentence[1]) is not None


@dataclass(frozen=True)
class ModelSignal:
    """Constructs the classifier's heads name for a sentence, and the evidence kind."""

    constructs: tuple[Construct, ...]
    evidence: Signal


def model_signal(heads: list[float], thresholds: dict[str, float]) -> ModelSignal:
    """Constructs whose head passes its threshold (the strongest one when none does)."""
    named = [c for c, p in zip(_CONSTRUCT_ORDER, heads, strict=True) if p >= thresholds[c]]
    strongest = max(range(len(heads)), key=lambda i: heads[i])
    if not named:
        named = [_CONSTRUCT_ORDER[strongest]]
    top = _CONSTRUCT_ORDER[strongest] if _CONSTRUCT_ORDER[strongest] in named else named[0]
    return ModelSignal(tuple(named), _EVIDENCE_SIGNAL[top])
