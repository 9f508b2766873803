"""FHIR R4 (R4B models) export and import of instruments, responses and scores.

Every resource is built from the definition files and validated by constructing the
``fhir.resources.R4B`` model before it is returned. Only LOINC codes that agree with the
shared references are exported; codes marked ``verify`` in a definition are left out, because
a wrong code in another system is worse than none.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
from pydantic import ValidationError

from alongside.errors import InvalidInput
from alongside.instruments.library import (
    InstrumentDefinition,
    Item,
    ResponseOption,
    get_instrument,
    list_instruments,
)
from alongside.instruments.scoring import ScoreResult, score_definition

LOINC = "http://loinc.org"
ORDINAL_VALUE = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
UCUM = "http://unitsofmeasure.org"
# Canonical URLs for our own Questionnaires; a URN because Alongside is self-hosted and has
# no public address of its own.
CANONICAL_BASE = "urn:alongside:questionnaire:"


def questionnaire_for(instrument_id: str) -> dict[str, Any]:
    """A validated FHIR Questionnaire for one instrument, with LOINC codes and ordinal values."""
    definition = get_instrument(instrument_id)
    resource: dict[str, Any] = {
        "resourceType": "Questionnaire",
        "id": definition.id,
        "url": f"{CANONICAL_BASE}{definition.id}",
        "version": definition.version,
        "title": definition.title,
        "status": "active",
        "subjectType": ["Patient"],
        "description": " ".join(str(source) for source in definition.sources),
        "copyright": definition.terms_of_use,
        "item": [
            {
                "linkId": "instructions",
                "type": "display",
                "text": definition.instructions.strip(),
            },
            *(_questionnaire_item(definition, item) for item in definition.items),
        ],
    }
    panel = _verified(definition.loinc.panel, definition.loinc.verify)
    if panel:
        resource["code"] = [{"system": LOINC, "code": panel, "display": definition.title}]
    return _validated(Questionnaire, resource)


def questionnaire_response_for(
    instrument_id: str,
    answers: Sequence[int],
    *,
    subject_ref: str | None,
    authored: datetime,
) -> dict[str, Any]:
    """A validated, completed QuestionnaireResponse holding the given (valid) answers."""
    definition = get_instrument(instrument_id)
    _aware(authored, "authored")
    score_definition(definition, answers)  # refuse invalid answers before exporting them
    values = list(answers) + [0] * (len(definition.items) - len(answers))
    items: list[dict[str, Any]] = []
    for position, item in enumerate(definition.items):
        value = values[position]
        # Unasked items answered 0 are left out, as a form with enableWhen would leave them;
        # importing restores them to 0. Anything else given is kept.
        asked = item.asked_if is None or definition.holds(item.asked_if, values)
        if not asked and value == 0:
            continue
        option = _option(definition, item, value)
        items.append(
            {
                "linkId": _link_id(item),
                "text": item.text.strip(),
                "answer": [{"valueCoding": _coding(definition, item, option)}],
            }
        )
    resource: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": f"{CANONICAL_BASE}{definition.id}|{definition.version}",
        "status": "completed",
        "authored": authored.isoformat(),
        "item": items,
    }
    if subject_ref:
        resource["subject"] = {"reference": subject_ref}
    return _validated(QuestionnaireResponse, resource)


def answers_from_questionnaire_response(resource: dict[str, Any]) -> tuple[str, list[int]]:
    """Read an instrument id and its answers (item order) from a QuestionnaireResponse."""
    if not isinstance(resource, dict) or resource.get("resourceType") != "QuestionnaireResponse":
        raise InvalidInput("expected a FHIR QuestionnaireResponse resource")
    _validated(QuestionnaireResponse, resource)
    answered: dict[str, Any] = {}
    for entry in _flatten(resource.get("item", [])):
        link_id = str(entry.get("linkId"))
        if "answer" not in entry:
            continue
        if link_id in answered:
            raise InvalidInput(f"QuestionnaireResponse answers item {link_id!r} twice")
        answered[link_id] = entry["answer"]
    definition = _instrument_of(resource.get("questionnaire"), set(answered))
    name = definition.short_name
    values: list[int | None] = []
    for position, item in enumerate(definition.items):
        found = [answered[k] for k in _accepted_link_ids(item) if k in answered]
        if not found:
            values.append(None)
            continue
        answer = found[0]
        if len(answer) != 1:
            raise InvalidInput(f"{name} {definition.item_label(position)}: needs one answer")
        values.append(_answer_value(definition, position, answer[0]))
    return definition.id, _fill_unasked(definition, values)


def observation_for(
    score: ScoreResult, *, subject_ref: str | None, effective: datetime
) -> dict[str, Any]:
    """A validated Observation of a score: the total (LOINC where known) and its band."""
    definition = get_instrument(score.instrument)
    _aware(effective, "effective")
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "status": "final",
        "category": [
            {"coding": [{"system": OBSERVATION_CATEGORY, "code": "survey", "display": "Survey"}]}
        ],
        "effectiveDateTime": effective.isoformat(),
        "interpretation": [{"text": score.severity}],
    }
    categories = definition.risk_categories
    if categories is not None:
        resource["code"] = _code(categories.loinc, f"{definition.short_name} risk category")
        value: dict[str, Any] = {"text": score.severity}
        rule = next((r for r in categories.rules if r.name == score.severity), None)
        if rule is not None and rule.loinc:
            value["coding"] = [{"system": LOINC, "code": rule.loinc}]
        resource["valueCodeableConcept"] = value
    else:
        total = _verified(definition.loinc.total, definition.loinc.verify)
        resource["code"] = _code(total, f"{definition.short_name} total score")
        resource["valueQuantity"] = {
            "value": score.total,
            "unit": "{score}",
            "system": UCUM,
            "code": "{score}",
        }
    notes = [*score.reasons, *score.notes, f"{definition.id} definition {score.version}"]
    resource["note"] = [{"text": text} for text in notes]
    if subject_ref:
        resource["subject"] = {"reference": subject_ref}
    return _validated(Observation, resource)


def _questionnaire_item(definition: InstrumentDefinition, item: Item) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "linkId": _link_id(item),
        "text": item.text.strip(),
        "type": "choice",
        "required": True,
        "answerOption": [
            {
                "valueCoding": _coding(definition, item, option),
                "extension": [{"url": ORDINAL_VALUE, "valueDecimal": option.value}],
            }
            for option in definition.options_for(item)
        ],
    }
    code = _verified(item.loinc, item.loinc_verify)
    if code:
        entry["code"] = [{"system": LOINC, "code": code, "display": item.text.strip()}]
    if item.asked_if is not None:
        condition = item.asked_if
        source = next(i for i in definition.items if i.id == condition.item)
        enabling = [o for o in definition.options_for(source) if condition.holds(o.value)]
        entry["enableWhen"] = [
            {
                "question": _link_id(source),
                "operator": "=",
                "answerCoding": _coding(definition, source, option),
            }
            for option in enabling
        ]
        if len(enabling) > 1:
            entry["enableBehavior"] = "any"
    return entry


def _link_id(item: Item) -> str:
    # "/<LOINC>" like the LHC-Forms and HL7 examples, so their responses import directly.
    code = _verified(item.loinc, item.loinc_verify)
    return f"/{code}" if code else item.id


def _accepted_link_ids(item: Item) -> list[str]:
    return [_link_id(item), item.id]


def _local_system(definition: InstrumentDefinition, item: Item) -> str:
    return f"urn:alongside:answers:{definition.id}:{item.options}"


def _coding(definition: InstrumentDefinition, item: Item, option: ResponseOption) -> dict[str, str]:
    if option.loinc:
        return {"system": LOINC, "code": option.loinc, "display": option.text}
    return {
        "system": _local_system(definition, item),
        "code": str(option.value),
        "display": option.text,
    }


def _option(definition: InstrumentDefinition, item: Item, value: int) -> ResponseOption:
    return next(o for o in definition.options_for(item) if o.value == value)


def _answer_value(definition: InstrumentDefinition, position: int, answer: dict[str, Any]) -> int:
    item = definition.items[position]
    where = f"{definition.short_name} {definition.item_label(position)}"
    options = definition.options_for(item)
    if "valueCoding" in answer:
        coding = answer["valueCoding"]
        for option in options:
            if (
                _coding(definition, item, option).items()
                >= {
                    "system": coding.get("system"),
                    "code": coding.get("code"),
                }.items()
            ):
                return option.value
        raise InvalidInput(f"{where}: answer code {coding.get('code')!r} is not one of its answers")
    if "valueInteger" in answer:
        return int(answer["valueInteger"])
    raise InvalidInput(f"{where}: answer must be a valueCoding or valueInteger")


def _fill_unasked(definition: InstrumentDefinition, values: list[int | None]) -> list[int]:
    # Unasked questions come back as 0 (counted items) or are left off the end (omittable
    # items); a missing question that was asked stays missing and scoring names it.
    known = [0 if v is None else v for v in values]
    filled: list[int | None] = list(values)
    for position, item in enumerate(definition.items):
        if filled[position] is None and item.asked_if is not None:
            if not definition.holds(item.asked_if, known):
                filled[position] = 0
    while (
        filled
        and definition.items[len(filled) - 1].when_not_asked == "zero_or_omitted"
        and values[len(filled) - 1] is None
        and filled[-1] == 0
    ):
        filled.pop()
    for position, value in enumerate(filled):
        if value is None:
            where = f"{definition.short_name} {definition.item_label(position)}"
            raise InvalidInput(f"{where}: missing from the QuestionnaireResponse")
    return [v for v in filled if v is not None]


def _instrument_of(canonical: object, link_ids: set[str]) -> InstrumentDefinition:
    if isinstance(canonical, str) and canonical.startswith(CANONICAL_BASE):
        return get_instrument(canonical.removeprefix(CANONICAL_BASE).split("|")[0])
    # Another system's Questionnaire: pick the instrument whose items best match the answers.
    best: list[tuple[int, InstrumentDefinition]] = []
    for instrument_id in list_instruments():
        definition = get_instrument(instrument_id)
        matched = [item for item in definition.items if link_ids & set(_accepted_link_ids(item))]
        always = [item for item in definition.items if item.asked_if is None]
        if all(item in matched for item in always):
            best.append((len(matched), definition))
    best.sort(key=lambda pair: pair[0], reverse=True)
    if not best or (len(best) > 1 and best[0][0] == best[1][0]):
        raise InvalidInput(
            "cannot tell which instrument this QuestionnaireResponse answers; "
            f"questionnaire {canonical!r}, items {sorted(link_ids)}"
        )
    return best[0][1]


def _flatten(items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for item in items:
        yield item
        yield from _flatten(item.get("item", []))
        for answer in item.get("answer", []):
            yield from _flatten(answer.get("item", []))


def _verified(code: str | None, verify: bool) -> str | None:
    return None if verify else code


def _code(loinc: str | None, text: str) -> dict[str, Any]:
    if loinc is None:
        return {"text": text}
    return {"coding": [{"system": LOINC, "code": loinc, "display": text}], "text": text}


def _aware(moment: datetime, name: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidInput(f"{name} must be a timezone-aware datetime")


def _validated(model: type[Any], resource: dict[str, Any]) -> dict[str, Any]:
    try:
        built = model.model_validate(resource)
    except ValidationError as error:
        raise InvalidInput(f"invalid FHIR {resource.get('resourceType')}: {error}") from error
    result: dict[str, Any] = json.loads(built.model_dump_json())
    return result


__all__ = [
    "answers_from_questionnaire_response",
    "observation_for",
    "questionnaire_for",
    "questionnaire_response_for",
]
