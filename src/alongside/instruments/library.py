"""The instrument library: versioned YAML definitions, read once and validated by pydantic.

Everything that differs between instruments (items, answer values, the multiplier, bands,
sex-specific cut-offs, critical items, the C-SSRS risk categories, reliable-change figures)
lives in ``definitions/<id>.yaml``; the scoring code has no per-instrument branches. Adding an
instrument means adding a file here and its reference tests.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Literal, Self

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from alongside.errors import ConfigurationError, InvalidInput

Sex = Literal["female", "male"]

_LOINC = r"^\d{1,6}-\d$"
_LOINC_ANSWER = r"^LA\d{1,6}-\d$"
_BAND_NAME = r"^[a-z0-9][a-z0-9 -]*$"


class _Frozen(BaseModel):
    """Immutable, strict base: a typo in a definition file is an error, not a silent default."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Citation(_Frozen):
    """One published source."""

    authors: str
    year: int
    title: str
    journal: str
    supports: str = Field(description="What this source is cited for.")

    def __str__(self) -> str:
        return f"{self.authors} ({self.year}). {self.title}. {self.journal}."


class ResponseOption(_Frozen):
    """One answer an item accepts: its scored value, its wording and its LOINC answer code."""

    value: int
    text: str
    loinc: str | None = Field(default=None, pattern=_LOINC_ANSWER)


class Condition(_Frozen):
    """A test on one item's answer: exactly one of ``equals`` or ``at_least``."""

    item: str
    equals: int | None = None
    at_least: int | None = None

    @model_validator(mode="after")
    def _one_test(self) -> Self:
        if (self.equals is None) == (self.at_least is None):
            raise ValueError(f"condition on {self.item!r} needs exactly one of equals, at_least")
        return self

    def holds(self, value: int) -> bool:
        """Whether an answer value meets this condition."""
        if self.equals is not None:
            return value == self.equals
        return self.at_least is not None and value >= self.at_least


class Item(_Frozen):
    """One question, in the order it is asked."""

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    text: str
    options: str = Field(description="Name of the option set in option_sets.")
    label: str | None = Field(default=None, description="How messages name it; else 'item N'.")
    loinc: str | None = Field(default=None, pattern=_LOINC)
    loinc_verify: bool = Field(
        default=False,
        description="The code is from loinc.org listings but not in the shared references; "
        "it is kept for review and left out of FHIR exports until checked.",
    )
    examples: str | None = Field(
        default=None, description="Examples printed with the question (shown to the client)."
    )
    frame: str | None = Field(
        default=None,
        description="The time frame printed before the question, e.g. 'In the past month'.",
    )
    asked_if: Condition | None = None
    when_not_asked: Literal["counted", "zero_or_omitted"] = Field(
        default="counted",
        description="counted: the skipped item is passed as 0 and a non-zero answer still "
        "counts (fail closed); zero_or_omitted: it may be left off the end of the answers and "
        "a non-zero answer is refused as contradictory.",
    )


class Band(_Frozen):
    """A named score range, inclusive at both ends, on the reported (multiplied) scale."""

    name: str = Field(pattern=_BAND_NAME)
    min: int
    max: int


class Bands(_Frozen):
    """The severity bands, either one set or one per sex."""

    source: str
    ranges: tuple[Band, ...] | None = None
    by_sex: dict[Sex, tuple[Band, ...]] | None = None
    when_sex_not_given: Sex | None = None
    note_when_sex_not_given: str | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Self:
        if (self.ranges is None) == (self.by_sex is None):
            raise ValueError("bands need exactly one of ranges, by_sex")
        if self.by_sex is not None:
            if set(self.by_sex) != {"female", "male"}:
                raise ValueError("by_sex needs bands for both female and male")
            if self.when_sex_not_given is None or not self.note_when_sex_not_given:
                raise ValueError("by_sex needs when_sex_not_given and note_when_sex_not_given")
        return self

    def all_sets(self) -> list[tuple[Band, ...]]:
        """Every band set, for validation and tests."""
        if self.by_sex is not None:
            return list(self.by_sex.values())
        assert self.ranges is not None  # noqa: S101 - guaranteed by _one_kind
        return [self.ranges]


class Flag(_Frozen):
    """A critical item: when its condition holds the result carries this flag."""

    flag: str = Field(pattern=r"^[a-z0-9-]+$")
    when: Condition
    reason: str


class ConsistencyCheck(_Frozen):
    """Answers that contradict each other: the score counts them as given, with a note."""

    when: Condition
    expect_zero: tuple[str, ...] = Field(min_length=1)
    note: str


class CategoryRule(_Frozen):
    """A risk category that applies when any of its conjunctions of conditions holds."""

    name: str = Field(pattern=_BAND_NAME)
    any_of: tuple[tuple[Condition, ...], ...]
    loinc: str | None = Field(default=None, pattern=_LOINC_ANSWER)


class RiskCategories(_Frozen):
    """Rules evaluated in order, highest risk first; the first that holds wins."""

    source: str
    rules: tuple[CategoryRule, ...]
    otherwise: str = Field(pattern=_BAND_NAME)
    otherwise_note: str
    loinc: str | None = Field(default=None, pattern=_LOINC)


class Scoring(_Frozen):
    """How answers become a result: a sum (times a multiplier) or risk-category rules."""

    method: Literal["sum", "categories"]
    multiplier: int = Field(default=1, ge=1)
    description: str


class LoincCodes(_Frozen):
    """Panel and total-score codes and where they were checked."""

    panel: str | None = Field(default=None, pattern=_LOINC)
    total: str | None = Field(default=None, pattern=_LOINC)
    verify: bool = Field(
        default=False,
        description="Codes come from code-lookup mirrors, not the shared references; "
        "left out of FHIR exports until verified.",
    )
    provenance: str


class ReliableChangeSpec(_Frozen):
    """A published reliable-change criterion: a point threshold, or SD and reliability."""

    method: Literal["points", "rci"]
    points: float | None = Field(default=None, gt=0)
    sd: float | None = Field(default=None, gt=0)
    reliability: float | None = Field(default=None, gt=0, lt=1)
    source: str

    @model_validator(mode="after")
    def _figures_present(self) -> Self:
        if self.method == "points" and self.points is None:
            raise ValueError("reliable change by points needs points")
        if self.method == "rci" and (self.sd is None or self.reliability is None):
            raise ValueError("reliable change by RCI needs sd and reliability")
        return self


class Caseness(_Frozen):
    """The published cut-off above (or below) which a score counts as a case."""

    at_least: float | None = None
    at_most: float | None = None
    source: str

    @model_validator(mode="after")
    def _one_bound(self) -> Self:
        if (self.at_least is None) == (self.at_most is None):
            raise ValueError("caseness needs exactly one of at_least, at_most")
        return self

    def is_case(self, score: float) -> bool:
        """Whether a score meets the caseness cut-off."""
        if self.at_least is not None:
            return score >= self.at_least
        return self.at_most is not None and score <= self.at_most


class ChangeSpec(_Frozen):
    """What the sources say about change over time on this instrument."""

    higher_is_better: bool
    reliable: ReliableChangeSpec | None = None
    caseness: Caseness | None = None


class InstrumentDefinition(_Frozen):
    """One instrument, as its definition file states it."""

    id: str = Field(pattern=r"^[a-z0-9-]+$")
    version: str = Field(pattern=r"^\d+\.\d+\.\d+$")
    display_order: int
    title: str
    short_name: str
    sources: tuple[Citation, ...] = Field(min_length=1)
    terms_of_use: str
    # What the client reads before the questions (self-report wording).
    instructions: str
    # How a clinician administers it as an interview; never shown to a client.
    administration: str | None = None
    # Where the wording comes from and how far it was verified against the publisher.
    wording_note: str | None = None
    loinc: LoincCodes
    option_sets: dict[str, tuple[ResponseOption, ...]]
    items: tuple[Item, ...] = Field(min_length=1)
    scoring: Scoring
    bands: Bands | None = None
    risk_categories: RiskCategories | None = None
    flags: tuple[Flag, ...] = ()
    consistency: tuple[ConsistencyCheck, ...] = ()
    change: ChangeSpec | None = None
    notes: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        _check_items(self)
        _check_scoring(self)
        return self

    def options_for(self, item: Item) -> tuple[ResponseOption, ...]:
        """The answers an item accepts."""
        return self.option_sets[item.options]

    def item_label(self, position: int) -> str:
        """How messages name the item at a 0-based position, e.g. 'item 3 (Trouble ...)'."""
        item = self.items[position]
        label = item.label or f"item {position + 1}"
        return f"{label} ({_shorten(item.text)})"

    def holds(self, condition: Condition, values: Sequence[int]) -> bool:
        """Whether a condition holds for answers given for every item, in item order."""
        position = next(i for i, item in enumerate(self.items) if item.id == condition.item)
        return condition.holds(values[position])

    @property
    def required_count(self) -> int:
        """How many answers must always be given (items that may be omitted come last)."""
        optional = sum(1 for item in self.items if item.when_not_asked == "zero_or_omitted")
        return len(self.items) - optional

    @property
    def total_range(self) -> tuple[int, int]:
        """Lowest and highest reported total (after the multiplier)."""
        low = sum(min(o.value for o in self.options_for(i)) for i in self.items)
        high = sum(max(o.value for o in self.options_for(i)) for i in self.items)
        return low * self.scoring.multiplier, high * self.scoring.multiplier


def _shorten(text: str, limit: int = 40) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(" ,;:-")
    return f"{cut}..."


def _check_items(definition: InstrumentDefinition) -> None:
    ids = [item.id for item in definition.items]
    if len(set(ids)) != len(ids):
        raise ValueError("item ids must be unique")
    for name, options in definition.option_sets.items():
        values = [o.value for o in options]
        if not values or len(set(values)) != len(values):
            raise ValueError(f"option set {name!r} needs distinct values")
    seen_optional = False
    for position, item in enumerate(definition.items):
        if item.options not in definition.option_sets:
            raise ValueError(f"item {item.id!r} uses unknown option set {item.options!r}")
        if item.asked_if is not None:
            earlier = ids[:position]
            if item.asked_if.item not in earlier:
                raise ValueError(f"item {item.id!r} asked_if must name an earlier item")
        optional = item.when_not_asked == "zero_or_omitted"
        if optional and item.asked_if is None:
            raise ValueError(f"item {item.id!r} can be omitted only with asked_if")
        if seen_optional and not optional:
            raise ValueError("items that may be omitted must come last")
        seen_optional = seen_optional or optional
    conditions = [f.when for f in definition.flags]
    conditions.extend(check.when for check in definition.consistency)
    for check in definition.consistency:
        unknown = [name for name in check.expect_zero if name not in ids]
        if unknown:
            raise ValueError(f"consistency check names unknown items {unknown}")
    if definition.risk_categories is not None:
        for rule in definition.risk_categories.rules:
            conditions.extend(c for group in rule.any_of for c in group)
    for condition in conditions:
        if condition.item not in ids:
            raise ValueError(f"condition names unknown item {condition.item!r}")
    flags = [f.flag for f in definition.flags]
    if len(set(flags)) != len(flags):
        raise ValueError("flag names must be unique")


def _check_scoring(definition: InstrumentDefinition) -> None:
    if definition.scoring.method == "sum":
        if definition.bands is None or definition.risk_categories is not None:
            raise ValueError("sum scoring needs bands and no risk_categories")
        low, high = definition.total_range
        for bands in definition.bands.all_sets():
            _check_band_set(bands, low, high)
    else:
        if definition.risk_categories is None or definition.bands is not None:
            raise ValueError("category scoring needs risk_categories and no bands")
        if definition.change is not None:
            raise ValueError("change over time needs a summed score")


def _check_band_set(bands: tuple[Band, ...], low: int, high: int) -> None:
    # Bands must tile the whole total range with no gap or overlap, so every total has
    # exactly one band and bands are ordered by total.
    expected = low
    for band in bands:
        if band.min != expected or band.max < band.min:
            raise ValueError(f"band {band.name!r} must start at {expected} and not be empty")
        expected = band.max + 1
    if expected != high + 1:
        raise ValueError(f"bands must end at the highest total {high}")


def parse_definition(text: str, origin: str) -> InstrumentDefinition:
    """Parse and validate one definition file's text; errors name the file."""
    try:
        data = yaml.safe_load(text)
        return InstrumentDefinition.model_validate(data)
    except (yaml.YAMLError, ValidationError) as error:
        raise ConfigurationError(f"instrument definition {origin} is invalid: {error}") from error


def load_definitions(folder: Traversable) -> dict[str, InstrumentDefinition]:
    """Read and validate every ``<id>.yaml`` in a folder, keyed by id in display order."""
    found: list[InstrumentDefinition] = []
    for entry in folder.iterdir():
        if not entry.name.endswith(".yaml"):
            continue
        definition = parse_definition(entry.read_text(encoding="utf-8"), entry.name)
        if f"{definition.id}.yaml" != entry.name:
            raise ConfigurationError(f"{entry.name} defines {definition.id!r}; names must match")
        found.append(definition)
    orders = [d.display_order for d in found]
    if len(set(orders)) != len(orders):
        raise ConfigurationError("instrument display_order values must be unique")
    return {d.id: d for d in sorted(found, key=lambda d: d.display_order)}


@functools.cache
def _library() -> dict[str, InstrumentDefinition]:
    # Read once per process: definitions are package data and never change at run time.
    return load_definitions(resources.files("alongside.instruments").joinpath("definitions"))


def list_instruments() -> list[str]:
    """The ids of every instrument, in display order."""
    return list(_library())


def get_instrument(instrument_id: str) -> InstrumentDefinition:
    """One instrument's definition; an unknown id names the known ones."""
    library = _library()
    if instrument_id not in library:
        known = ", ".join(library)
        raise InvalidInput(f"unknown instrument {instrument_id!r}; known instruments: {known}")
    return library[instrument_id]


__all__ = [
    "Band",
    "Bands",
    "Caseness",
    "ChangeSpec",
    "Citation",
    "Condition",
    "Flag",
    "InstrumentDefinition",
    "Item",
    "ReliableChangeSpec",
    "ResponseOption",
    "RiskCategories",
    "Sex",
    "get_instrument",
    "list_instruments",
    "load_definitions",
    "parse_definition",
]
