"""Crisis resources: the defaults, told plainly, and an organisation's overrides."""

from __future__ import annotations

import pytest

from alongside.errors import InvalidInput
from alongside.triage.crisis_resources import crisis_resources_for, known_countries

IMMEDIATE = "If you are in immediate danger, call emergency services now."


def test_us_defaults() -> None:
    us = crisis_resources_for("US")
    assert us.immediate_danger == IMMEDIATE
    contacts = {resource.id: resource.contact for resource in us.resources}
    assert contacts == {"emergency": "911", "988-lifeline": "988"}
    lifeline = us.resources[1]
    assert "Call or text 988" in lifeline.how
    assert "988lifeline.org" in lifeline.source
    assert us.resources[0].id == "emergency"
    assert us.customised is False


def test_uk_defaults() -> None:
    uk = crisis_resources_for("GB")
    contacts = {resource.id: resource.contact for resource in uk.resources}
    assert contacts == {"emergency": "999", "nhs-111-mental-health": "111", "samaritans": "116 123"}
    nhs = next(r for r in uk.resources if r.id == "nhs-111-mental-health")
    assert "option 2" in nhs.how
    assert "England" in nhs.how
    assert all(resource.source for resource in uk.resources)
    assert "clinician" in uk.being_contacted


@pytest.mark.parametrize(("given", "code"), [("uk", "GB"), (" gb ", "GB"), ("usa", "US")])
def test_country_aliases(given: str, code: str) -> None:
    assert crisis_resources_for(given).country == code


def test_unknown_country_says_what_is_known() -> None:
    assert known_countries() == ["GB", "US"]
    with pytest.raises(InvalidInput, match="known: GB, US"):
        crisis_resources_for("FR")


def test_overrides_replace_by_id_and_add_after() -> None:
    local = {
        "id": "clinic-duty-line",
        "name": "Our duty clinician",
        "contact": "0161 000 0000",
        "how": "Call the clinic's duty line, 9am to 5pm.",
        "source": "the organisation's configuration",
    }
    samaritans = {
        "id": "samaritans",
        "name": "Samaritans",
        "contact": "116 123",
        "how": "Call 116 123 or email jo@samaritans.org.",
        "source": "samaritans.org",
    }
    uk = crisis_resources_for("UK", overrides=[local, samaritans])
    assert [r.id for r in uk.resources] == [
        "emergency",
        "nhs-111-mental-health",
        "samaritans",
        "clinic-duty-line",
    ]
    assert uk.resources[2].how.endswith("jo@samaritans.org.")
    assert uk.customised is True
    assert uk.immediate_danger == IMMEDIATE
    assert uk.to_dict()["resources"][3]["contact"] == "0161 000 0000"


def test_invalid_override_names_its_position() -> None:
    with pytest.raises(InvalidInput, match="override #1"):
        crisis_resources_for("US", overrides=[{"id": "x", "name": "no number"}])
