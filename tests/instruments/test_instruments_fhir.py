"""FHIR R4B export and import: validation, reference codes, round trips."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
from hypothesis import given, settings
from hypothesis import strategies as st

from alongside.errors import InvalidInput
from alongside.instruments import get_instrument, list_instruments, score_instrument
from alongside.instruments.fhir import (
    answers_from_questionnaire_response,
    observation_for,
    questionnaire_for,
    questionnaire_response_for,
)

REFERENCES = Path("/work/shared/data/instruments")
WHEN = datetime(2024, 2, 1, 20, 50, tzinfo=UTC)
needs_references = pytest.mark.skipif(not REFERENCES.is_dir(), reason="shared references absent")


@pytest.mark.parametrize("instrument_id", list_instruments())
def test_questionnaire_is_valid_r4b(instrument_id: str) -> None:
    resource = questionnaire_for(instrument_id)
    Questionnaire.model_validate(resource)
    definition = get_instrument(instrument_id)
    questions = [i for i in resource["item"] if i["type"] == "choice"]
    assert len(questions) == len(definition.items)
    for question in questions:
        for option in question["answerOption"]:
            (ordinal,) = option["extension"]
            assert ordinal["url"] == "http://hl7.org/fhir/StructureDefinition/ordinalValue"
            assert "initialSelected" not in option


@needs_references
def test_phq9_codes_match_lforms_reference() -> None:
    reference = json.loads((REFERENCES / "lforms-phq9.R4.json").read_text())
    ours = questionnaire_for("phq9")
    assert ours["code"][0]["code"] == reference["code"][0]["code"] == "44249-1"

    def coded(items: list[dict[str, Any]]) -> list[tuple[str, list[tuple[str, float]]]]:
        rows = []
        for item in items:
            if item.get("type") != "choice" or item["linkId"] == "/69722-7":
                continue
            options = [
                (o["valueCoding"]["code"], o["extension"][-1]["valueDecimal"])
                for o in item["answerOption"]
            ]
            rows.append((item["code"][0]["code"], options))
        return rows

    assert coded(ours["item"]) == coded(reference["item"])
    assert get_instrument("phq9").loinc.total == "44261-6"  # the reference's total item


@needs_references
def test_auditc_codes_match_us_core_reference() -> None:
    reference = json.loads((REFERENCES / "us-core-audit-c.json").read_text())
    ours = questionnaire_for("auditc")
    assert ours["code"][0]["code"] == reference["code"][0]["code"]
    ref_items = {i["code"][0]["code"]: i for i in reference["item"]}
    for item in ours["item"]:
        if "code" in item:
            ref = ref_items[item["code"][0]["code"]]
            assert [o["valueCoding"]["code"] for o in item["answerOption"]] == [
                o["valueCoding"]["code"] for o in ref["answerOption"]
            ]
    # Item 1's code is not in the reference, so it is not exported.
    assert "code" not in ours["item"][1]


def test_unverified_codes_are_not_exported() -> None:
    pcl5 = questionnaire_for("pcl5")
    assert "code" not in pcl5
    observation = observation_for(
        score_instrument("pcl5", [2] * 20), subject_ref=None, effective=WHEN
    )
    assert "coding" not in observation["code"]
    assert observation["code"]["text"] == "PCL-5 total score"
    gad7 = questionnaire_for("gad7")
    assert [("code" in i) for i in gad7["item"][1:]] == [True, True] + [False] * 5


def test_cssrs_enable_when_follows_skip_logic() -> None:
    items = {i["linkId"]: i for i in questionnaire_for("cssrs-screen")["item"]}
    assert items["/93248-3"]["enableWhen"] == [
        {
            "question": "/93247-5",
            "operator": "=",
            "answerCoding": {"system": "http://loinc.org", "code": "LA33-6", "display": "Yes"},
        }
    ]
    assert items["/93269-9"]["enableWhen"][0]["question"] == "/93267-3"


@pytest.mark.parametrize("instrument_id", list_instruments())
@settings(max_examples=25)
@given(data=st.data())
def test_round_trip(instrument_id: str, data: st.DataObject) -> None:
    definition = get_instrument(instrument_id)
    answers = [
        data.draw(st.sampled_from([o.value for o in definition.options_for(i)]))
        for i in definition.items
    ]
    if definition.items[-1].when_not_asked == "zero_or_omitted":
        asked = definition.holds(definition.items[-1].asked_if, answers)  # type: ignore[arg-type]
        if not asked:
            answers = answers[:-1] if data.draw(st.booleans()) else [*answers[:-1], 0]
    response = questionnaire_response_for(
        instrument_id, answers, subject_ref="Patient/p1", authored=WHEN
    )
    QuestionnaireResponse.model_validate(response)
    parsed = json.loads(json.dumps(response))
    found_id, found = answers_from_questionnaire_response(parsed)
    assert found_id == instrument_id
    expected = score_instrument(instrument_id, answers, sex="female")
    again = score_instrument(found_id, found, sex="female")
    assert (again.total, again.severity, again.flags, again.risk_category) == (
        expected.total,
        expected.severity,
        expected.flags,
        expected.risk_category,
    )
    if len(found) == len(answers):
        assert found == answers


def test_response_content() -> None:
    response = questionnaire_response_for("who5", [5, 4, 3, 2, 1], subject_ref=None, authored=WHEN)
    assert response["questionnaire"] == "urn:alongside:questionnaire:who5|1.0.0"
    assert response["status"] == "completed"
    assert "subject" not in response
    first = response["item"][0]["answer"][0]["valueCoding"]
    assert first == {
        "system": "urn:alongside:answers:who5:how_much",
        "code": "5",
        "display": "All of the time",
    }


def test_response_refuses_invalid_answers_and_naive_times() -> None:
    with pytest.raises(InvalidInput, match="PHQ-2 item 1"):
        questionnaire_response_for("phq2", [4, 0], subject_ref=None, authored=WHEN)
    with pytest.raises(InvalidInput, match="timezone-aware"):
        questionnaire_response_for(
            "phq2",
            [0, 0],
            subject_ref=None,
            authored=datetime(2024, 1, 1),  # noqa: DTZ001 - the naive time under test
        )


def _cssrs_example_as_json() -> dict[str, Any]:
    # The HL7 example is XML; convert only what a QuestionnaireResponse import reads.
    ns = {"f": "http://hl7.org/fhir"}
    root = ET.parse(REFERENCES / "hl7-bh-cssrs-response-example.xml").getroot()  # noqa: S314 - trusted local reference file
    items = []
    for item in root.findall("f:item", ns):
        coding = item.find("f:answer/f:valueCoding", ns)
        assert coding is not None
        items.append(
            {
                "linkId": item.find("f:linkId", ns).get("value"),  # type: ignore[union-attr]
                "answer": [
                    {
                        "valueCoding": {
                            "system": coding.find("f:system", ns).get("value"),  # type: ignore[union-attr]
                            "code": coding.find("f:code", ns).get("value"),  # type: ignore[union-attr]
                        }
                    }
                ],
            }
        )
    return {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": "http://hl7.org/fhir/us/core/Questionnaire/c-ssrs-example",
        "status": "completed",
        "item": items,
    }


@needs_references
def test_imports_hl7_cssrs_example() -> None:
    instrument_id, answers = answers_from_questionnaire_response(_cssrs_example_as_json())
    assert instrument_id == "cssrs-screen"
    assert answers == [0, 0, 0, 0, 0, 0, 0]
    result = score_instrument(instrument_id, answers)
    # The example records "Low"; Columbia's triage gives no category to all-no answers.
    assert result.risk_category == "none"


@needs_references
def test_imports_by_item_codes_from_another_system() -> None:
    reference = json.loads((REFERENCES / "lforms-phq9.R4.json").read_text())
    items = [
        {
            "linkId": i["linkId"],
            "answer": [{"valueCoding": i["answerOption"][n % 4]["valueCoding"]}],
        }
        for n, i in enumerate(reference["item"])
        if i["type"] == "choice"
    ]
    items.append({"linkId": "/44261-6", "answer": [{"valueDecimal": 12}]})
    response = {"resourceType": "QuestionnaireResponse", "status": "completed", "item": items}
    assert answers_from_questionnaire_response(response) == ("phq9", [0, 1, 2, 3, 0, 1, 2, 3, 0])


def _response(items: list[dict[str, Any]], questionnaire: str | None = None) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "status": "completed",
        "item": items,
    }
    if questionnaire:
        resource["questionnaire"] = questionnaire
    return resource


def _answer(link_id: str, value: int) -> dict[str, Any]:
    return {"linkId": link_id, "answer": [{"valueInteger": value}]}


def test_import_accepts_integers_and_nested_groups() -> None:
    group = {"linkId": "g", "item": [_answer("/44250-9", 2), _answer("/44255-8", 1)]}
    assert answers_from_questionnaire_response(_response([group])) == ("phq2", [2, 1])


@pytest.mark.parametrize(
    ("resource", "message"),
    [
        ({"resourceType": "Observation"}, "expected a FHIR QuestionnaireResponse"),
        ({"resourceType": "QuestionnaireResponse", "status": 5}, "invalid FHIR"),
        (_response([_answer("/44250-9", 1), _answer("/44250-9", 2)]), "twice"),
        (_response([_answer("x", 1)]), "cannot tell which instrument"),
        (
            _response([_answer(i, 0) for i in ["/44250-9", "/44255-8", "/69725-0", "/68509-9"]]),
            "cannot tell which instrument",
        ),
        (_response([_answer("q1", 0)], "urn:alongside:questionnaire:phq2|1.0.0"), "item 2"),
        (
            _response(
                [{"linkId": "q1", "answer": [{"valueInteger": 0}, {"valueInteger": 1}]}],
                "urn:alongside:questionnaire:phq2",
            ),
            "needs one answer",
        ),
        (
            _response(
                [{"linkId": "q1", "answer": [{"valueString": "0"}]}],
                "urn:alongside:questionnaire:phq2",
            ),
            "valueCoding or valueInteger",
        ),
        (
            _response(
                [
                    {
                        "linkId": "q1",
                        "answer": [
                            {"valueCoding": {"system": "http://loinc.org", "code": "LA1-1"}}
                        ],
                    }
                ],
                "urn:alongside:questionnaire:phq2",
            ),
            "'LA1-1' is not one of its answers",
        ),
        (
            _response(
                [_answer("/93246-7", 0), _answer("/93247-5", 0), _answer("/93267-3", 1)],
            ),
            "follow-up",
        ),
    ],
)
def test_import_refuses_what_it_cannot_read(resource: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        answers_from_questionnaire_response(resource)


def test_skipped_questions_come_back_as_zero() -> None:
    items = [_answer("/93246-7", 1), _answer("/93247-5", 0), _answer("/93267-3", 0)]
    assert answers_from_questionnaire_response(_response(items)) == (
        "cssrs-screen",
        [1, 0, 0, 0, 0, 0],
    )


def test_observation_of_a_total() -> None:
    score = score_instrument("gad7", [3] * 7)
    resource = observation_for(
        score, subject_ref="Patient/p1", effective=WHEN.astimezone(timezone(timedelta(hours=2)))
    )
    Observation.model_validate(resource)
    assert resource["code"]["coding"][0]["code"] == "70274-6"
    assert resource["valueQuantity"]["value"] == 21
    assert resource["interpretation"] == [{"text": "severe"}]
    assert resource["subject"] == {"reference": "Patient/p1"}
    assert resource["category"][0]["coding"][0]["code"] == "survey"


@pytest.mark.parametrize(
    ("answers", "category", "coded"),
    [([1, 0, 0, 0, 0, 0], "low", True), ([0, 0, 1, 0, 0, 0], "moderate", False)],
)
def test_observation_of_cssrs_risk(answers: list[int], category: str, coded: bool) -> None:
    resource = observation_for(
        score_instrument("cssrs-screen", answers), subject_ref=None, effective=WHEN
    )
    assert resource["code"]["coding"][0]["code"] == "93374-7"
    assert resource["valueCodeableConcept"]["text"] == category
    assert ("coding" in resource["valueCodeableConcept"]) is coded
    assert "valueQuantity" not in resource


def test_observation_refuses_naive_time() -> None:
    with pytest.raises(InvalidInput, match="effective must be a timezone-aware"):
        observation_for(
            score_instrument("phq2", [0, 0]),
            subject_ref=None,
            effective=datetime(2024, 1, 1),  # noqa: DTZ001 - the naive time under test
        )
