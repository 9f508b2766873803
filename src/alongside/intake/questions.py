"""Which questions an intake page shows and how a page's answers are checked (pure).

Without JavaScript a question that depends on an answer on the same page cannot appear when
that answer is given, so an instrument is split into *parts*: a new part starts at the first
item whose ``asked_if`` names an item of the current part. For the C-SSRS screener that gives
questions 1-2; then 3-6 (3-5 only if question 2 was yes); then question 6's follow-up (only if
question 6 was yes). Instruments without skip logic are one part.

Pure: instrument definitions and plain values in, plain values out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from alongside.instruments.library import InstrumentDefinition, Item

CHOOSE_AN_ANSWER = "please choose an answer"


@dataclass(frozen=True)
class FieldError:
    """One problem on a page: the input it belongs to and a message naming the question."""

    field_id: str
    message: str


def parts_of(definition: InstrumentDefinition) -> list[tuple[Item, ...]]:
    """The instrument's items grouped into pages that need no script to follow skip logic."""
    parts: list[list[Item]] = [[]]
    for item in definition.items:
        current_ids = {existing.id for existing in parts[-1]}
        if item.asked_if is not None and item.asked_if.item in current_ids:
            parts.append([])
        parts[-1].append(item)
    return [tuple(part) for part in parts]


def is_asked(definition: InstrumentDefinition, item: Item, answers: Mapping[str, int]) -> bool:
    """Whether ``item`` is asked, given the answers so far (an unasked condition: not asked)."""
    if item.asked_if is None:
        return True
    condition_item = next(i for i in definition.items if i.id == item.asked_if.item)
    if not is_asked(definition, condition_item, answers):
        return False
    value = answers.get(condition_item.id)
    return value is not None and item.asked_if.holds(value)


def asked_items(
    definition: InstrumentDefinition, part: Sequence[Item], answers: Mapping[str, int]
) -> list[Item]:
    """The items of ``part`` that are asked, given the answers so far."""
    return [item for item in part if is_asked(definition, item, answers)]


def current_part(definition: InstrumentDefinition, answers: Mapping[str, int]) -> int | None:
    """Index of the first part with an asked, unanswered item; None when all are answered."""
    for index, part in enumerate(parts_of(definition)):
        if any(item.id not in answers for item in asked_items(definition, part, answers)):
            return index
    return None


def next_part_after(
    definition: InstrumentDefinition, index: int, answers: Mapping[str, int]
) -> int | None:
    """The next part after ``index`` that asks anything; None when the instrument is done."""
    parts = parts_of(definition)
    for later in range(index + 1, len(parts)):
        if asked_items(definition, parts[later], answers):
            return later
    return None


def is_complete(definition: InstrumentDefinition, answers: Mapping[str, int]) -> bool:
    """Whether every asked item has an answer."""
    return current_part(definition, answers) is None


def question_label(definition: InstrumentDefinition, item: Item) -> str:
    """How the page names a question: "Question 3", "Question 6 follow-up"."""
    if item.label:
        return item.label[:1].upper() + item.label[1:]
    position = next(i for i, candidate in enumerate(definition.items) if candidate.id == item.id)
    return f"Question {position + 1}"


def input_id(definition: InstrumentDefinition, item: Item, value: int) -> str:
    """The HTML id of one answer's radio button (the error summary links to the first)."""
    return f"{definition.id}-{item.id}-{value}"


def read_part(
    definition: InstrumentDefinition,
    index: int,
    saved: Mapping[str, int],
    form: Mapping[str, str],
) -> tuple[dict[str, int], list[FieldError]]:
    """Check one page's answers; return all answers with this page's applied, and the errors.

    Answers to items that are no longer asked (question 2 changed to no) are dropped, so a
    skipped question never keeps an answer the client can no longer see.
    """
    parts = parts_of(definition)
    if not 0 <= index < len(parts):
        raise ValueError(f"{definition.id} has no part {index}")
    merged = dict(saved)
    errors: list[FieldError] = []
    for item in parts[index]:
        # Items of one part never depend on each other, so ``saved`` decides what is asked.
        if not is_asked(definition, item, merged):
            merged.pop(item.id, None)
            continue
        options = definition.options_for(item)
        allowed = {str(option.value): option.value for option in options}
        raw = form.get(item.id, "").strip()
        if raw in allowed:
            merged[item.id] = allowed[raw]
        else:
            merged.pop(item.id, None)
            errors.append(
                FieldError(
                    input_id(definition, item, options[0].value),
                    f"{question_label(definition, item)}: {CHOOSE_AN_ANSWER}",
                )
            )
    for item in definition.items:
        if item.id in merged and not is_asked(definition, item, merged):
            del merged[item.id]
    return merged, errors


def answers_for_scoring(definition: InstrumentDefinition, answers: Mapping[str, int]) -> list[int]:
    """The answers in item order as scoring takes them: unasked items 0, or left off the end."""
    values: list[int] = []
    for item in definition.items:
        if item.id in answers:
            values.append(answers[item.id])
        elif item.when_not_asked == "counted":
            values.append(0)
    return values
