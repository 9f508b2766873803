"""Crisis resources: per-country data with sources, any country answered, overrides."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest

from alongside.errors import ConfigurationError, InvalidInput
from alongside.triage import crisis_resources
from alongside.triage.crisis_resources import (
    _countries,
    country_choices,
    crisis_resources_for,
    known_countries,
    validate_country,
)

IMMEDIATE = "If you are in immediate danger, call emergency services now."

# Starting numbers from the published services (each file cites its page and review date).
EXPECTED = {
    "US": {"911", "988", "741741"},
    "GB-ENG": {"999", "111", "116 123", "85258"},
    "GB-SCT": {"999", "111", "0800 83 85 87", "116 123", "85258"},
    "GB-WLS": {"999", "111", "0800 132 737", "116 123", "85258"},
    "GB-NIR": {"999", "0808 808 8000", "116 123", "85258"},
    "IE": {"112 or 999", "116 123", "1800 247 247", "50808"},
    "CA": {"911", "988"},
    "AU": {"000", "13 11 14", "1300 659 467"},
    "NZ": {"111", "1737", "0800 543 354"},
}


@pytest.mark.parametrize(("code", "contacts"), sorted(EXPECTED.items()))
def test_country_files_hold_the_published_numbers(code: str, contacts: set[str]) -> None:
    resources = crisis_resources_for(code)
    assert resources.country == code
    assert {resource.contact for resource in resources.resources} == contacts
    assert resources.resources[0].id == "emergency"
    assert resources.immediate_danger == IMMEDIATE


def test_text_lines_are_included() -> None:
    how = {code: " ".join(r.how for r in crisis_resources_for(code).resources) for code in EXPECTED}
    assert "text 988" in how["US"]
    assert "Text HOME to 741741" in how["US"]
    assert "Text SHOUT to 85258" in how["GB-ENG"]
    assert "text 988" in how["CA"]
    assert "text 0477 13 11 14" in how["AU"]
    assert "text 1737" in how["NZ"]
    assert "50808" in how["IE"]


def test_every_file_cites_sources_and_a_review_date() -> None:
    for code, country in _countries().items():
        reviewed = date.fromisoformat(country.reviewed)
        assert date.fromisoformat(country.review_by) > reviewed, code
        assert len(country.checked_against) > 40, code
        for resource in country.resources:
            assert resource.source, (code, resource.id)
            assert resource.url, (code, resource.id)
            assert resource.url.startswith("https://"), (code, resource.id)


def test_uk_nations_never_show_north_american_numbers() -> None:
    for code in ("GB", "GB-ENG", "GB-SCT", "GB-WLS", "GB-NIR"):
        contacts = {r.contact for r in crisis_resources_for(code).resources}
        assert not contacts & {"911", "988", "741741"}, code


@pytest.mark.parametrize(("given", "code"), [("uk", "GB"), (" gb ", "GB"), ("usa", "US")])
def test_country_aliases(given: str, code: str) -> None:
    assert crisis_resources_for(given).country == code


@pytest.mark.parametrize("code", ["FR", "DE", "NO", "es"])
def test_eu_and_eea_countries_get_112(code: str) -> None:
    resources = crisis_resources_for(code)
    assert [r.contact for r in resources.resources] == ["112"]
    assert "call your local emergency number" in resources.resources[0].how
    assert "European" in resources.resources[0].source


@pytest.mark.parametrize("code", ["JP", "BR", "ZZ", "", None, "not a country"])
def test_any_other_country_is_told_to_call_the_local_number(code: str | None) -> None:
    resources = crisis_resources_for(code)
    (only,) = resources.resources
    assert only.contact == "Your local emergency number"
    assert re.search(r"local emergency number", only.how)
    assert not {"911", "999", "988", "112"} & {only.contact}


def test_a_subdivision_uses_its_country() -> None:
    assert {r.contact for r in crisis_resources_for("US-CA").resources} == EXPECTED["US"]


def test_known_countries_have_their_own_files() -> None:
    assert set(known_countries()) == set(EXPECTED) | {"GB"}


def test_validate_country_accepts_iso_and_uk_nations_only() -> None:
    assert validate_country("gb-sct") == "GB-SCT"
    assert validate_country("fr") == "FR"
    assert validate_country("UK") == "GB"
    for bad in ("XX", "GB-XYZ", "France", ""):
        with pytest.raises(InvalidInput, match="ISO 3166-1"):
            validate_country(bad)
    choices = dict(country_choices())
    assert list(choices)[:4] == ["GB-ENG", "GB-SCT", "GB-WLS", "GB-NIR"]
    assert choices["IE"] == "Ireland"


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
    uk = crisis_resources_for("GB-ENG", overrides=[local, samaritans])
    assert [r.id for r in uk.resources] == [
        "emergency",
        "nhs-111-mental-health",
        "samaritans",
        "shout",
        "clinic-duty-line",
    ]
    assert uk.resources[2].how.endswith("jo@samaritans.org.")
    assert uk.customised is True
    assert uk.immediate_danger == IMMEDIATE
    assert uk.to_dict()["resources"][4]["contact"] == "0161 000 0000"


def test_invalid_override_names_its_position() -> None:
    with pytest.raises(InvalidInput, match="override #1"):
        crisis_resources_for("US", overrides=[{"id": "x", "name": "no number"}])


@pytest.fixture
def fresh_package_data() -> Iterator[None]:
    """The package data read again before and after the test (it is cached per process)."""
    caches = (crisis_resources._texts, crisis_resources._countries)
    caches += (crisis_resources._emergency_numbers,)
    for cached in caches:
        cached.cache_clear()
    yield
    for cached in caches:
        cached.cache_clear()


@pytest.mark.parametrize("loader", ["_texts", "_emergency_numbers"])
@pytest.mark.parametrize("content", ["not: [valid yaml", "- a list, not the expected mapping"])
def test_a_broken_package_file_is_named_when_it_is_read(
    monkeypatch: pytest.MonkeyPatch, fresh_package_data: None, loader: str, content: str
) -> None:
    monkeypatch.setattr(crisis_resources, "_read", lambda *_a, **_k: content)
    with pytest.raises(ConfigurationError, match=r"\.yaml is invalid"):
        getattr(crisis_resources, loader)()


EMERGENCY_ENTRY = """
code: {code}
name: Testland
reviewed: "2026-01-01"
review_by: "2027-01-01"
checked_against: A test
resources:
  - id: {first}
    name: Emergency services
    contact: "999"
    how: Call if life is in danger now.
    source: A test
"""


@pytest.mark.parametrize(
    ("file_name", "content", "message"),
    [
        ("XX.yaml", "code: [", "crisis resources XX.yaml are invalid"),
        (
            "XX.yaml",
            EMERGENCY_ENTRY.format(code="YY", first="emergency"),
            "holds crisis resources for YY",
        ),
        (
            "XX.yaml",
            EMERGENCY_ENTRY.format(code="XX", first="helpline"),
            "need an 'emergency' entry",
        ),
    ],
)
def test_a_broken_country_file_stops_with_its_name(
    monkeypatch: pytest.MonkeyPatch,
    fresh_package_data: None,
    tmp_path: Path,
    file_name: str,
    content: str,
    message: str,
) -> None:
    folder = tmp_path / crisis_resources.CRISIS_FOLDER
    folder.mkdir()
    (folder / file_name).write_text(content, encoding="utf-8")
    (folder / "notes.txt").write_text("not a country", encoding="utf-8")
    monkeypatch.setattr(
        crisis_resources, "resources", SimpleNamespace(files=lambda _package: tmp_path)
    )
    with pytest.raises(ConfigurationError, match=message):
        crisis_resources._countries()
