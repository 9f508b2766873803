"""The intake's consent text as versioned data: ``consent/<version>.yaml``, read once.

Pure: no database, settings or clock. :func:`current_consent_text` is what a new intake shows;
:func:`consent_text` finds any version ever shown, so a stored consent can be read back in the
words the client saw.
"""

from __future__ import annotations

import functools
from importlib import resources

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from alongside.errors import ConfigurationError, NotFound

CURRENT_VERSION = "intake-consent-en-2"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Section(_Frozen):
    """One heading of the consent page and its paragraphs."""

    heading: str
    paragraphs: tuple[str, ...] = Field(min_length=1)


class ProcessingText(_Frozen):
    """The required agreement to store and use the answers."""

    purpose: str
    label: str
    hint: str
    error: str


class ReadingText(_Frozen):
    """The optional choice about software reading the client's words."""

    purpose: str
    question: str
    yes_label: str
    no_label: str
    error: str


class NextSteps(_Frozen):
    """What the client is told after submitting."""

    review_target: str
    contact: str


class ConsentText(_Frozen):
    """One version of the consent page, in one language."""

    version: str = Field(pattern=r"^[a-z0-9-]+$")
    language: str
    title: str
    intro: str
    sections: tuple[Section, ...] = Field(min_length=1)
    processing: ProcessingText
    software_reading: ReadingText
    next_steps: NextSteps


@functools.cache
def _texts() -> dict[str, ConsentText]:
    # Package data, read once per process; it never changes while the process runs.
    found: dict[str, ConsentText] = {}
    folder = resources.files("alongside.intake").joinpath("consent")
    for entry in folder.iterdir():
        if not entry.name.endswith(".yaml"):
            continue
        try:
            text = ConsentText.model_validate(yaml.safe_load(entry.read_text(encoding="utf-8")))
        except (yaml.YAMLError, ValidationError) as error:
            raise ConfigurationError(f"consent text {entry.name} is invalid: {error}") from error
        if entry.name != f"{text.version}.yaml":
            raise ConfigurationError(
                f"{entry.name} holds version {text.version!r}; names must match"
            )
        found[text.version] = text
    return found


def consent_text(version: str) -> ConsentText:
    """One version of the consent text; NotFound for a version never shipped."""
    texts = _texts()
    if version not in texts:
        raise NotFound(f"There is no consent text with version {version!r}.")
    return texts[version]


def current_consent_text() -> ConsentText:
    """The version new intakes show."""
    return consent_text(CURRENT_VERSION)
