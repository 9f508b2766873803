"""Crisis resources a client sees, told plainly, in the response that stored a crisis intake.

Defaults for the United States and the United Kingdom live in ``rules/crisis_resources.yaml``
with their sources; an organisation's own entries override a default of the same id or are
added after the defaults. The emergency-services entry can be changed but never removed, and
the sentence about immediate danger always comes first.

Pure: no database, settings or network.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from importlib import resources
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from alongside.errors import ConfigurationError, InvalidInput

CRISIS_RESOURCES_FILE = "crisis_resources.yaml"


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CrisisResource(_Frozen):
    """One place to get help now: who, the number, how to reach them, and the source."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str = Field(min_length=1)
    contact: str = Field(min_length=1)
    how: str = Field(min_length=1)
    source: str = Field(min_length=1)


class _Country(_Frozen):
    name: str
    resources: tuple[CrisisResource, ...] = Field(min_length=1)


class _Defaults(_Frozen):
    version: str
    immediate_danger: str
    being_contacted: str
    countries: Mapping[str, _Country]
    aliases: Mapping[str, str] = Field(default_factory=dict)


class CrisisResources(_Frozen):
    """What a client in crisis is told, in order: immediate danger first, then who to reach."""

    country: str
    country_name: str
    immediate_danger: str
    being_contacted: str
    resources: tuple[CrisisResource, ...]
    version: str
    customised: bool

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return self.model_dump(mode="json")


@functools.cache
def _defaults() -> _Defaults:
    # Package data, read once per process; it never changes while the process runs.
    text = (
        resources.files("alongside.triage")
        .joinpath("rules", CRISIS_RESOURCES_FILE)
        .read_text(encoding="utf-8")
    )
    try:
        defaults = _Defaults.model_validate(yaml.safe_load(text))
    except (yaml.YAMLError, ValidationError) as error:
        raise ConfigurationError(f"{CRISIS_RESOURCES_FILE} is invalid: {error}") from error
    for code, country in defaults.countries.items():
        if "emergency" not in {resource.id for resource in country.resources}:
            raise ConfigurationError(f"crisis resources for {code} need an 'emergency' entry")
    return defaults


def known_countries() -> list[str]:
    """Country codes (ISO 3166-1 alpha-2) that have default crisis resources."""
    return sorted(_defaults().countries)


def crisis_resources_for(
    country: str, overrides: Sequence[Mapping[str, Any]] | None = None
) -> CrisisResources:
    """The crisis resources for a country, with an organisation's overrides applied."""
    defaults = _defaults()
    code = country.strip().upper()
    code = defaults.aliases.get(code, code)
    if code not in defaults.countries:
        raise InvalidInput(
            f"no default crisis resources for country {country!r}; known: "
            f"{', '.join(known_countries())} (configure the organisation's own)"
        )
    base = defaults.countries[code]
    merged: dict[str, CrisisResource] = {resource.id: resource for resource in base.resources}
    for position, entry in enumerate(overrides or ()):
        try:
            resource = CrisisResource.model_validate(entry)
        except ValidationError as error:
            raise InvalidInput(f"crisis resource override #{position + 1}: {error}") from error
        # Replacing keeps the default's place in the order; new entries come after.
        merged[resource.id] = resource
    return CrisisResources(
        country=code,
        country_name=base.name,
        immediate_danger=defaults.immediate_danger,
        being_contacted=defaults.being_contacted,
        resources=tuple(merged.values()),
        version=defaults.version,
        customised=bool(overrides),
    )
