"""Crisis resources a client sees, told plainly, in the response that stored a crisis intake.

Defaults are data files, one per country or UK nation (``crisis/<code>.yaml``: ``US``,
``GB``, ``GB-ENG``, ``GB-SCT``, ``GB-WLS``, ``GB-NIR``, ``IE``, ``CA``, ``AU``, ``NZ``), each
entry with its source page and the file's review date. Any other country gets its emergency
number from ``crisis/emergency_numbers.yaml`` (112 across the EU, with its source) and the
sentence "call your local emergency number" — never an error, and never another country's
numbers. A subdivision without its own file (``US-CA``) uses its country's file.

An organisation's own entries override a default of the same id or are added after the
defaults. The emergency-services entry can be changed but never removed, and the sentence
about immediate danger always comes first.

Country codes are ISO 3166-1 alpha-2, with the UK nations as ISO 3166-2 subdivisions
(``GB-ENG``, ``GB-SCT``, ``GB-WLS``, ``GB-NIR``).

Pure: no database, settings or network.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from importlib import resources
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from alongside.errors import ConfigurationError, InvalidInput

CRISIS_RESOURCES_FILE = "crisis_resources.yaml"
CRISIS_FOLDER = "crisis"
EMERGENCY_NUMBERS_FILE = "emergency_numbers.yaml"
ISO_3166_FILE = "iso3166.tab"
UK_NATIONS = {
    "GB-ENG": "England",
    "GB-SCT": "Scotland",
    "GB-WLS": "Wales",
    "GB-NIR": "Northern Ireland",
}
_CODE = re.compile(r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$")


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CrisisResource(_Frozen):
    """One place to get help now: who, the number, how to reach them, and the source."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=60)
    name: str = Field(min_length=1, max_length=200)
    contact: str = Field(min_length=1, max_length=100)
    how: str = Field(min_length=1, max_length=500)
    source: str = Field(min_length=1, max_length=500)
    url: str | None = Field(default=None, max_length=300)


class _Country(_Frozen):
    code: str
    name: str
    reviewed: str
    review_by: str
    checked_against: str
    resources: tuple[CrisisResource, ...] = Field(min_length=1)


class _Texts(_Frozen):
    version: str
    immediate_danger: str
    being_contacted: str
    local_emergency: str
    aliases: Mapping[str, str] = Field(default_factory=dict)


class _EmergencyNumbers(_Frozen):
    version: str
    reviewed: str
    review_by: str
    source: str
    url: str
    numbers: Mapping[str, tuple[str, ...]]


class CrisisResources(_Frozen):
    """What a client in crisis is told, in order: immediate danger first, then who to reach."""

    country: str
    country_name: str
    immediate_danger: str
    being_contacted: str
    resources: tuple[CrisisResource, ...] = Field(min_length=1)
    version: str
    customised: bool
    reviewed: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return self.model_dump(mode="json")


def _read(name: str, *, folder: str | None = CRISIS_FOLDER) -> str:
    base = resources.files("alongside.triage")
    path = base.joinpath(folder, name) if folder else base.joinpath("rules", name)
    return path.read_text(encoding="utf-8")


@functools.cache
def _texts() -> _Texts:
    # Package data, read once per process; it never changes while the process runs.
    try:
        return _Texts.model_validate(yaml.safe_load(_read(CRISIS_RESOURCES_FILE, folder=None)))
    except (yaml.YAMLError, ValidationError) as error:
        raise ConfigurationError(f"{CRISIS_RESOURCES_FILE} is invalid: {error}") from error


@functools.cache
def _countries() -> dict[str, _Country]:
    found: dict[str, _Country] = {}
    for entry in resources.files("alongside.triage").joinpath(CRISIS_FOLDER).iterdir():
        if not entry.name.endswith(".yaml") or entry.name == EMERGENCY_NUMBERS_FILE:
            continue
        try:
            country = _Country.model_validate(yaml.safe_load(entry.read_text(encoding="utf-8")))
        except (yaml.YAMLError, ValidationError) as error:
            raise ConfigurationError(
                f"crisis resources {entry.name} are invalid: {error}"
            ) from error
        if entry.name != f"{country.code}.yaml":
            raise ConfigurationError(f"{entry.name} holds crisis resources for {country.code}")
        if "emergency" not in {resource.id for resource in country.resources}:
            raise ConfigurationError(
                f"crisis resources for {country.code} need an 'emergency' entry"
            )
        found[country.code] = country
    return found


@functools.cache
def _emergency_numbers() -> _EmergencyNumbers:
    try:
        return _EmergencyNumbers.model_validate(yaml.safe_load(_read(EMERGENCY_NUMBERS_FILE)))
    except (yaml.YAMLError, ValidationError) as error:
        raise ConfigurationError(f"{EMERGENCY_NUMBERS_FILE} is invalid: {error}") from error


@functools.cache
def iso_countries() -> dict[str, str]:
    """ISO 3166-1 alpha-2 code → English short name (from the IANA tz database's table)."""
    names: dict[str, str] = {}
    for line in _read(ISO_3166_FILE).splitlines():
        if line.strip() and not line.startswith("#"):
            code, name = line.split("\t", 1)
            names[code.strip()] = name.strip()
    names["GB"] = "United Kingdom"
    return names


def country_choices() -> list[tuple[str, str]]:
    """(code, name) for a form: the UK nations first, then every ISO 3166-1 country by name."""
    nations = [(code, f"{name} (United Kingdom)") for code, name in UK_NATIONS.items()]
    others = sorted(iso_countries().items(), key=lambda item: item[1])
    return nations + others


def normalise_country(country: str) -> str:
    """Upper-case, trimmed, with common aliases (UK → GB, USA → US) resolved."""
    code = country.strip().upper()
    return _texts().aliases.get(code, code)


def validate_country(country: str) -> str:
    """The code if it is an ISO 3166-1 alpha-2 country or a UK nation; else InvalidInput."""
    code = normalise_country(country)
    if code in UK_NATIONS or code in iso_countries():
        return code
    raise InvalidInput(
        f"country: {country!r} is not an ISO 3166-1 alpha-2 country code (for example US, IE, "
        "FR) or a UK nation (GB-ENG, GB-SCT, GB-WLS, GB-NIR)."
    )


def known_countries() -> list[str]:
    """Codes that have their own crisis-resource file (services, not only an emergency number)."""
    return sorted(_countries())


def _fallback(code: str) -> tuple[str, tuple[CrisisResource, ...], str | None]:
    """Emergency number (when the table has one) and "call your local emergency number"."""
    table = _emergency_numbers()
    parent = code.split("-", 1)[0]
    name = iso_countries().get(parent, "your country")
    local = _texts().local_emergency
    for number, codes in table.numbers.items():
        if parent in codes:
            return (
                name,
                (
                    CrisisResource(
                        id="emergency",
                        name="Emergency services",
                        contact=number,
                        how=f"Call {number} if you or someone else is in immediate danger. {local}",
                        source=table.source,
                        url=table.url,
                    ),
                ),
                table.reviewed,
            )
    return (
        name,
        (
            CrisisResource(
                id="emergency",
                name="Emergency services",
                contact="Your local emergency number",
                how=(
                    "Call your local emergency number if you or someone else is in immediate "
                    "danger, or go to the nearest hospital emergency department."
                ),
                source=table.source,
                url=table.url,
            ),
        ),
        table.reviewed,
    )


def _base(code: str) -> tuple[str, tuple[CrisisResource, ...], str | None]:
    countries = _countries()
    if code in countries:
        country = countries[code]
        return country.name, country.resources, country.reviewed
    parent = code.split("-", 1)[0]
    if parent in countries and parent != code:
        country = countries[parent]
        return country.name, country.resources, country.reviewed
    return _fallback(code)


def crisis_resources_for(
    country: str | None, overrides: Sequence[Mapping[str, Any]] | None = None
) -> CrisisResources:
    """The crisis resources for a country, with an organisation's overrides applied.

    Never fails for an unknown or missing country: the client is then told to call their
    local emergency number (and the country's number when the table has it). Only a
    malformed organisation override is refused.
    """
    texts = _texts()
    code = normalise_country(country or "")
    if not _CODE.match(code):
        code = ""
    name, defaults, reviewed = _base(code)
    merged: dict[str, CrisisResource] = {resource.id: resource for resource in defaults}
    for position, entry in enumerate(overrides or ()):
        try:
            resource = CrisisResource.model_validate(entry)
        except ValidationError as error:
            raise InvalidInput(f"crisis resource override #{position + 1}: {error}") from error
        # Replacing keeps the default's place in the order; new entries come after.
        merged[resource.id] = resource
    return CrisisResources(
        country=code or "unknown",
        country_name=name,
        immediate_danger=texts.immediate_danger,
        being_contacted=texts.being_contacted,
        resources=tuple(merged.values()),
        version=texts.version,
        customised=bool(overrides),
        reviewed=reviewed,
    )
