"""The draft composer, pure: jottings and what the record holds become a note's sections.

Plain values in, plain values out (no session, no settings, no clock). Every sentence carries
its :class:`Source` ``{type, id, quote}``: the quote is a piece of that source's text, and the
sentence says nothing the quote does not (it frames the quote with fixed words, never with
new facts). The composer writes no number, name or date that is not in a quote.

Where facts go is the template's business (:class:`NoteTemplate`, versioned YAML): each
section lists the kinds of fact it ``receives``:

- ``jottings``: the clinician's jottings, sentence by sentence; a line that starts with a
  section's label (``P:``, ``plan:``) goes to that section, the rest to the default section;
- ``attendance``, ``measures``, ``change``, ``risk``, ``alerts``, ``decisions``,
  ``previous_plan``: facts from the record since the last note (:class:`RecordFact`);
- ``safety_prompt``: when the risk reader found risk in the jottings, a prompt to review the
  safety plan, quoting the words it found.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

SourceType = Literal[
    "jottings", "measure", "intake", "risk", "decision", "alert", "appointment", "note", "clinician"
]
SOURCE_TYPES: tuple[str, ...] = (
    "jottings",
    "measure",
    "intake",
    "risk",
    "decision",
    "alert",
    "appointment",
    "note",
    "clinician",
)
# The kinds of record fact a template section may receive, and the source type of each.
FACT_SLOTS: dict[str, str] = {
    "attendance": "appointment",
    "measures": "measure",
    "change": "measure",
    "risk": "risk",
    "alerts": "alert",
    "decisions": "decision",
    "previous_plan": "note",
}
SLOTS: frozenset[str] = frozenset({*FACT_SLOTS, "jottings", "safety_prompt"})
COMPOSER_VERSION = "notes-composer-1"

# Fixed framing per slot: words that introduce a quote and add no fact of their own.
_FRAMES: dict[str, str] = {
    "attendance": "Session: {quote}.",
    "measures": "Measure completed: {quote}.",
    "change": "Change on measures: {quote}.",
    "risk": "The risk reader found in the client's words: {quote}.",
    "alerts": "Crisis alert: {quote}.",
    "decisions": "Triage: {quote}.",
    "previous_plan": "From the previous note's plan: {quote}",
}
SAFETY_PROMPT = "Risk noted in the jottings ({quote}): review the safety plan with the client."
UNREAD_PROMPT = (
    "The risk reader could not read the jottings ({quote}): read them for risk and review "
    "the safety plan with the client."
)
_LABEL = re.compile(r"^\s*([A-Za-z]{1,14})\s*:\s*(.*)$")
_BULLET = re.compile(r"^\s*(?:[-*\u2022]|\d+[.)])\s+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=\S)")


@dataclass(frozen=True, slots=True)
class Source:
    """Where one sentence comes from: the kind of record, its id, and the words it rests on."""

    type: str
    id: str
    quote: str

    def to_dict(self) -> dict[str, str]:
        """JSON-ready."""
        return {"type": self.type, "id": self.id, "quote": self.quote}


@dataclass(frozen=True, slots=True)
class Sentence:
    """One sentence of a note with its source; ``supported`` is False only for a language
    model's sentence that no source supports (it cannot be signed until edited or removed)."""

    text: str
    source: Source
    supported: bool = True
    prompt: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "text": self.text,
            "source": self.source.to_dict(),
            "supported": self.supported,
            "prompt": self.prompt,
        }


@dataclass(frozen=True, slots=True)
class Section:
    """One titled section of a note."""

    key: str
    title: str
    sentences: tuple[Sentence, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "key": self.key,
            "title": self.title,
            "sentences": [s.to_dict() for s in self.sentences],
        }


@dataclass(frozen=True, slots=True)
class TemplateSection:
    """A section of a note template: its title, jotting labels and what it receives."""

    key: str
    title: str
    hint: str = ""
    labels: tuple[str, ...] = ()
    receives: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class NoteTemplate:
    """A versioned note template (SOAP, DAP, BIRP, or an organisation's own)."""

    id: str
    version: str
    title: str
    source: str
    default_section: str
    sections: tuple[TemplateSection, ...]

    def section(self, key: str) -> TemplateSection:
        """The section called ``key``."""
        for section in self.sections:
            if section.key == key:
                return section
        raise KeyError(key)


@dataclass(frozen=True, slots=True)
class RecordFact:
    """One fact from the record, as its stored text says it (``slot`` from
    :data:`FACT_SLOTS`; ``id`` of the stored row; ``text``: the words a quote is taken from)."""

    slot: str
    id: str
    text: str

    @property
    def source_type(self) -> str:
        """The source type a sentence built on this fact carries."""
        return FACT_SLOTS[self.slot]


@dataclass(frozen=True, slots=True)
class JottingsRisk:
    """What the risk reader found in the jottings: spans of risk, or that it could not read."""

    spans: tuple[str, ...] = ()
    unread: bool = False


@dataclass(frozen=True, slots=True)
class DraftInput:
    """Everything the composer needs, as plain values."""

    template: NoteTemplate
    jottings: str
    jottings_id: str
    facts: tuple[RecordFact, ...] = ()
    jottings_risk: JottingsRisk = field(default_factory=JottingsRisk)


def split_sentences(text: str) -> list[str]:
    """Sentences of free text: one per line or per full stop, bullets removed, kept verbatim."""
    out: list[str] = []
    for line in text.splitlines():
        line = _BULLET.sub("", line).strip()
        if not line:
            continue
        out.extend(part.strip() for part in _SENTENCE_END.split(line) if part.strip())
    return out


# Jottings speak of the client in the third person; the risk reader is validated on a client's
# own words. Reading each sentence also in the first person lets it see "she wants to die".
_FIRST_PERSON = {
    "she": "I",
    "he": "I",
    "they": "I",
    "client": "I",
    "pt": "I",
    "her": "my",
    "his": "my",
    "their": "my",
    "him": "me",
    "them": "me",
    "herself": "myself",
    "himself": "myself",
    "themselves": "myself",
    "themself": "myself",
    "hers": "mine",
    "theirs": "mine",
}
_THIRD_PERSON = re.compile(r"\b(?:the\s+)?(" + "|".join(_FIRST_PERSON) + r")\b", re.IGNORECASE)


def in_first_person(sentence: str) -> str:
    """The sentence with the client's third-person pronouns turned into the first person
    (for the risk reader only; the note keeps the clinician's words)."""
    return _THIRD_PERSON.sub(lambda m: _FIRST_PERSON[m.group(1).casefold()], sentence)


def _route_jottings(template: NoteTemplate, jottings: str) -> dict[str, list[str]]:
    by_label = {
        label.casefold(): section.key for section in template.sections for label in section.labels
    }
    routed: dict[str, list[str]] = {s.key: [] for s in template.sections}
    current = template.default_section
    for raw in jottings.splitlines():
        match = _LABEL.match(raw)
        if match and match.group(1).casefold() in by_label:
            current = by_label[match.group(1).casefold()]
            raw = match.group(2)
        routed[current].extend(split_sentences(raw))
    return routed


def _as_sentence(piece: str) -> str:
    return piece if piece.endswith((".", "!", "?")) else piece + "."


def _fact_sentence(fact: RecordFact) -> Sentence:
    quote = fact.text.strip().rstrip(".")
    return Sentence(
        text=_FRAMES[fact.slot].format(quote=quote),
        source=Source(type=fact.source_type, id=fact.id, quote=quote),
    )


def _safety_prompt(draft: DraftInput) -> list[Sentence]:
    risk = draft.jottings_risk
    if risk.unread:
        quote = draft.jottings.strip()[:120].strip()
        if not quote:
            return []
        return [
            Sentence(
                text=UNREAD_PROMPT.format(quote=f'"{quote}"'),
                source=Source(type="risk", id=draft.jottings_id, quote=quote),
                prompt=True,
            )
        ]
    spans = [s.strip() for s in risk.spans if s.strip() and s.strip() in draft.jottings]
    if not spans:
        return []
    quote = spans[0]
    return [
        Sentence(
            text=SAFETY_PROMPT.format(quote=f'"{quote}"'),
            source=Source(type="risk", id=draft.jottings_id, quote=quote),
            prompt=True,
        )
    ]


def compose(draft: DraftInput) -> tuple[Section, ...]:
    """The template's sections, filled from the jottings and the record, every sentence sourced."""
    template = draft.template
    jottings = _route_jottings(template, draft.jottings)
    sections: list[Section] = []
    for spec in template.sections:
        sentences: list[Sentence] = []
        for slot in spec.receives:
            if slot == "jottings":
                continue  # placed below, after the record's facts of this section
            if slot == "safety_prompt":
                continue
            sentences.extend(_fact_sentence(f) for f in draft.facts if f.slot == slot)
        sentences.extend(
            Sentence(
                text=_as_sentence(piece),
                source=Source(type="jottings", id=draft.jottings_id, quote=piece),
            )
            for piece in jottings[spec.key]
        )
        if "safety_prompt" in spec.receives:
            sentences.extend(_safety_prompt(draft))
        sections.append(Section(key=spec.key, title=spec.title, sentences=tuple(sentences)))
    return tuple(sections)


def clinician_sentence(text: str, user_id: str) -> Sentence:
    """A sentence the clinician wrote or edited: its own source."""
    return Sentence(text=text, source=Source(type="clinician", id=user_id, quote=text))


def apply_edit(
    stored: Sequence[Section], edited: Iterable[tuple[str, Sequence[str]]], user_id: str
) -> tuple[Section, ...]:
    """A draft after the clinician's edit: sentences kept word for word keep their source
    (and support); new or changed ones become the clinician's. ``edited`` gives, per section
    key in the template's order, the sentences as the clinician left them."""
    by_key = {section.key: section for section in stored}
    out: list[Section] = []
    for key, texts in edited:
        if key not in by_key:
            raise KeyError(key)
        before = list(by_key[key].sentences)
        sentences: list[Sentence] = []
        for text in texts:
            text = text.strip()
            if not text:
                continue
            match = next((s for s in before if s.text == text), None)
            if match is not None:
                before.remove(match)
                sentences.append(match)
            else:
                sentences.append(clinician_sentence(text, user_id))
        out.append(Section(key=key, title=by_key[key].title, sentences=tuple(sentences)))
    return tuple(out)


def sections_from_dicts(raw: Iterable[dict[str, Any]]) -> tuple[Section, ...]:
    """Sections as stored (JSON) back to values."""
    return tuple(
        Section(
            key=str(section["key"]),
            title=str(section["title"]),
            sentences=tuple(
                Sentence(
                    text=str(s["text"]),
                    source=Source(**{k: str(v) for k, v in s["source"].items()}),
                    supported=bool(s.get("supported", True)),
                    prompt=bool(s.get("prompt", False)),
                )
                for s in section.get("sentences", [])
            ),
        )
        for section in raw
    )


def unsupported(sections: Iterable[Section]) -> list[Sentence]:
    """Sentences no source supports (a language model's), which block signing."""
    return [s for section in sections for s in section.sentences if not s.supported]
