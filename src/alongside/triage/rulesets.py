"""Triage rulesets as versioned data: the schema, loading and validation (the preview of a
change is :mod:`alongside.triage.preview`, which uses the engine; the engine uses this).

A ruleset is a YAML document (``rules/default.yaml`` ships with Alongside; an organisation
may keep its own versions). Conditions are a small structured language, never code: each
condition is a mapping with exactly one kind of test, combined with ``any``/``all``.
Nothing here evaluates strings, so a ruleset edited by a clinical lead cannot run code.

Pure: no database, no settings, no clock.
"""

from __future__ import annotations

import functools
import re
import string
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    model_validator,
)

from alongside.errors import InvalidInput

Urgency = Literal["routine", "soon", "urgent", "crisis"]
RiskLevel = Literal["none", "low", "moderate", "high", "imminent"]
# The reader's C-SSRS-shaped signals (Posner et al. 2011; the Columbia definitions).
SignalConstruct = Literal[
    "wish_dead",
    "ideation",
    "method",
    "intent",
    "plan",
    "preparation",
    "attempt",
    "interrupted_attempt",
    "aborted_attempt",
    "self_harm",
]
SignalRecency = Literal["current", "recent", "past", "unknown"]
SignalSubject = Literal["self", "other"]

# Lowest first: the index is the rank, and the highest rank among fired rules wins.
URGENCY_ORDER: tuple[Urgency, ...] = ("routine", "soon", "urgent", "crisis")
RISK_LEVEL_ORDER: tuple[RiskLevel, ...] = ("none", "low", "moderate", "high", "imminent")

DEFAULT_RULESET_FILE = "default.yaml"
HISTORY_FOLDER = "history"


def urgency_rank(urgency: str) -> int:
    """Rank of an urgency: routine 0, soon 1, urgent 2, crisis 3."""
    return URGENCY_ORDER.index(urgency)


def risk_level_rank(level: str) -> int:
    """Rank of a risk-reader level: none 0 … imminent 4."""
    return RISK_LEVEL_ORDER.index(level)


class _Strict(BaseModel):
    """Frozen, and unknown keys are an error: a typo in a ruleset must never pass silently."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class InstrumentCondition(_Strict):
    """A test on one instrument's score: an item's answer, the total, or the severity band."""

    instrument: str = Field(min_length=1)
    item: int | None = Field(default=None, ge=1)
    gte: int | None = None
    total_gte: int | None = None
    total_lte: int | None = None
    severity_in: tuple[str, ...] | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _one_test_at_least(self) -> InstrumentCondition:
        if (self.item is None) != (self.gte is None):
            raise ValueError("'item' and 'gte' go together: item N answered at least gte")
        if self.item is None and self.total_gte is None and self.total_lte is None:
            if self.severity_in is None:
                raise ValueError(
                    "an instrument condition needs item+gte, total_gte, total_lte or severity_in"
                )
        return self


class FlagCondition(_Strict):
    """True when any scored instrument raised this flag (e.g. ``cssrs-q4``, ``phq9-item9``)."""

    flag: str = Field(min_length=1)


class CssrsRecentBehaviourCondition(_Strict):
    """True when C-SSRS question 6 is yes and the behaviour was within the past three months."""

    cssrs_recent_behaviour: Literal[True]


class RiskLevelCondition(_Strict):
    """True when the risk reader's level is at least this one (never when there is no reading)."""

    risk_level_at_least: RiskLevel


class SignalMatch(_Strict):
    """Which of the reader's signals count: constructs, recencies (any when left out), subject."""

    # Written "construct" in a ruleset (the C-SSRS word); BaseModel reserves that name.
    constructs: tuple[SignalConstruct, ...] = Field(alias="construct", min_length=1)
    recency: tuple[SignalRecency, ...] | None = Field(default=None, min_length=1)
    subject: SignalSubject = "self"


class RiskSignalCondition(_Strict):
    """True when the reader read at least one matching C-SSRS-shaped signal in the words."""

    risk_signal: SignalMatch


class OwnWordsCondition(_Strict):
    """True when the client wrote words of their own (unknown on old inputs counts as written)."""

    own_words: Literal[True]


class ReaderNeedsPersonCondition(_Strict):
    """True when the reader says software cannot stand in for a person's reading."""

    reader_needs_person: Literal[True]


class ReaderDeclinedCondition(_Strict):
    """True when the client declined the software reading of their words."""

    reader_declined: Literal[True]


class ReaderUnavailableCondition(_Strict):
    """True when the client consented but the reader gave no usable reading (fail closed)."""

    reader_unavailable: Literal[True]


class AnyCondition(_Strict):
    """True when at least one of the listed conditions holds."""

    any: tuple[Condition, ...] = Field(min_length=1)


class AllCondition(_Strict):
    """True when every listed condition holds."""

    all: tuple[Condition, ...] = Field(min_length=1)


# The key that names each kind of condition; every other key must belong to that kind.
_KIND_BY_KEY: dict[str, type[_Strict]] = {
    "instrument": InstrumentCondition,
    "flag": FlagCondition,
    "cssrs_recent_behaviour": CssrsRecentBehaviourCondition,
    "risk_level_at_least": RiskLevelCondition,
    "reader_declined": ReaderDeclinedCondition,
    "reader_unavailable": ReaderUnavailableCondition,
    "risk_signal": RiskSignalCondition,
    "own_words": OwnWordsCondition,
    "reader_needs_person": ReaderNeedsPersonCondition,
    "any": AnyCondition,
    "all": AllCondition,
}
_ALL_CONDITION_KEYS = frozenset(key for kind in _KIND_BY_KEY.values() for key in kind.model_fields)


_KEY_BY_KIND: dict[type[_Strict], str] = {kind: key for key, kind in _KIND_BY_KEY.items()}


def _condition_kind(value: Any) -> str | None:
    """Name the kind of a raw (mapping) or already-built condition by its kind key."""
    if isinstance(value, Mapping):
        return next((key for key in _KIND_BY_KEY if key in value), None)
    return _KEY_BY_KIND.get(type(value))


def _check_condition_keys(value: Any) -> Any:
    """Reject unknown keys and ambiguous conditions with a message a clinical lead can act on."""
    if isinstance(value, BaseModel):
        return value
    if not isinstance(value, Mapping):
        raise ValueError(f"a condition is a mapping such as {{flag: cssrs-q4}}, not {value!r}")
    unknown = sorted(str(key) for key in value if key not in _ALL_CONDITION_KEYS)
    if unknown:
        raise ValueError(
            f"unknown condition key(s) {', '.join(unknown)}; "
            f"allowed: {', '.join(sorted(_ALL_CONDITION_KEYS))}"
        )
    kinds = [key for key in _KIND_BY_KEY if key in value]
    if len(kinds) != 1:
        raise ValueError(
            "a condition has exactly one of "
            f"{', '.join(_KIND_BY_KEY)} (found {', '.join(kinds) or 'none'}); "
            "combine several with any/all"
        )
    return value


Condition = Annotated[
    Annotated[InstrumentCondition, Tag("instrument")]
    | Annotated[FlagCondition, Tag("flag")]
    | Annotated[CssrsRecentBehaviourCondition, Tag("cssrs_recent_behaviour")]
    | Annotated[RiskLevelCondition, Tag("risk_level_at_least")]
    | Annotated[ReaderDeclinedCondition, Tag("reader_declined")]
    | Annotated[ReaderUnavailableCondition, Tag("reader_unavailable")]
    | Annotated[RiskSignalCondition, Tag("risk_signal")]
    | Annotated[OwnWordsCondition, Tag("own_words")]
    | Annotated[ReaderNeedsPersonCondition, Tag("reader_needs_person")]
    | Annotated[AnyCondition, Tag("any")]
    | Annotated[AllCondition, Tag("all")],
    Discriminator(_condition_kind),
    BeforeValidator(_check_condition_keys),
]

AnyCondition.model_rebuild()
AllCondition.model_rebuild()

# Template fields are plain names (no attribute or index access, no format spec), so a reason
# template can only ever show values the engine chose to expose.
_FIXED_FIELDS = frozenset(
    {"risk_level", "risk_evidence", "risk_items", "risk_probability", "signal_phrases"}
)
_SCORE_FIELD = re.compile(r"^[a-z0-9_]+_(total|severity|item[1-9][0-9]*|item[1-9][0-9]*_label)$")


def template_fields(template: str) -> list[str]:
    """The field names a reason template uses; raises ValueError for anything but plain names."""
    fields: list[str] = []
    for _literal, field, spec, conversion in string.Formatter().parse(template):
        if field is None:
            continue
        if spec or conversion:
            raise ValueError(f"field {{{field}}} may not carry a format spec or conversion")
        if field not in _FIXED_FIELDS and not _SCORE_FIELD.match(field):
            raise ValueError(
                f"unknown template field {{{field}}}; use risk_level, risk_evidence, risk_items, "
                "risk_probability, signal_phrases or "
                "<instrument>_total/_severity/_itemN/_itemN_label"
            )
        fields.append(field)
    return fields


class Rule(_Strict):
    """One triage rule: when its condition holds, urgency is at least ``urgency``."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    when: Condition
    urgency: Urgency
    pathway: str | None = None
    reason: str = Field(min_length=1)
    source: str = Field(min_length=1)
    # A safeguarding concern about someone other than the client (shown to the clinician).
    safeguarding: bool = False

    @model_validator(mode="after")
    def _reason_template_is_safe(self) -> Rule:
        template_fields(self.reason)
        return self


class Pathway(_Strict):
    """A care pathway a proposal may name, with the guidance it comes from."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    label: str = Field(min_length=1)
    source: str = Field(min_length=1)


class Fallback(_Strict):
    """The pathway and reason used when no fired rule names a pathway."""

    pathway: str
    reason: str = Field(min_length=1)
    source: str = Field(min_length=1)


# A wait target is at least a minute and at most a year.
MAX_WAIT_TARGET_HOURS = 366 * 24
# Hours to first review while the active version sets no wait targets of its own: Alongside's
# placeholders for the clinic's own service standards. No published source sets them.
DEFAULT_WAIT_TARGET_HOURS: Mapping[str, float] = {
    "crisis": 1,
    "urgent": 24,
    "soon": 7 * 24,
    "routine": 28 * 24,
}


class WaitTargets(_Strict):
    """Hours from proposal to first review, by urgency, while this version is the active one:
    the clinic's own service standards, not clinical ones. The review queue, the waitlist, the
    dashboard and oversight all measure waits against the active version's targets."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    crisis: float = Field(ge=1 / 60, le=MAX_WAIT_TARGET_HOURS)
    urgent: float = Field(ge=1 / 60, le=MAX_WAIT_TARGET_HOURS)
    soon: float = Field(ge=1 / 60, le=MAX_WAIT_TARGET_HOURS)
    routine: float = Field(ge=1 / 60, le=MAX_WAIT_TARGET_HOURS)

    def hours(self) -> dict[str, float]:
        """The targets by urgency, in hours."""
        return {urgency: getattr(self, urgency) for urgency in URGENCY_ORDER}


class Ruleset(_Strict):
    """A versioned triage ruleset: pathways in precedence order, answer labels and rules."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    version: str = Field(min_length=1)
    description: str = ""
    pathways: tuple[Pathway, ...] = Field(min_length=1)
    answer_labels: Mapping[str, tuple[str, ...]] = Field(default_factory=dict)
    rules: tuple[Rule, ...] = Field(min_length=1)
    fallback: Fallback
    # Optional: the review-wait targets while this version is active (triage ignores them);
    # without them, Alongside's defaults (DEFAULT_WAIT_TARGET_HOURS) are in force.
    wait_targets: WaitTargets | None = None

    @model_validator(mode="after")
    def _references_resolve(self) -> Ruleset:
        pathway_ids = [pathway.id for pathway in self.pathways]
        if len(set(pathway_ids)) != len(pathway_ids):
            raise ValueError("pathway ids must be unique")
        rule_ids = [rule.id for rule in self.rules]
        duplicates = sorted({rule_id for rule_id in rule_ids if rule_ids.count(rule_id) > 1})
        if duplicates:
            raise ValueError(f"rule ids must be unique; repeated: {', '.join(duplicates)}")
        for rule in self.rules:
            if rule.pathway is not None and rule.pathway not in pathway_ids:
                raise ValueError(
                    f"rule {rule.id!r} names pathway {rule.pathway!r}, which is not among "
                    f"the pathways ({', '.join(pathway_ids)})"
                )
        if self.fallback.pathway not in pathway_ids:
            raise ValueError(f"fallback pathway {self.fallback.pathway!r} is not a pathway")
        return self

    def wait_hours(self) -> dict[str, float]:
        """The review-wait targets in force while this version is active, in hours by urgency
        (most urgent first): its own, or Alongside's defaults when it sets none."""
        own = self.wait_targets.hours() if self.wait_targets is not None else {}
        return {
            urgency: float(own.get(urgency, DEFAULT_WAIT_TARGET_HOURS[urgency]))
            for urgency in reversed(URGENCY_ORDER)
        }

    def pathway_rank(self, pathway_id: str) -> int:
        """Position in the precedence order: 0 is chosen first."""
        return [pathway.id for pathway in self.pathways].index(pathway_id)

    @property
    def versions(self) -> dict[str, str]:
        """The ruleset's identity as recorded on every proposal."""
        return {"ruleset": self.id, "ruleset_version": self.version}


class TriageInputs(BaseModel):
    """Everything a proposal depends on, as stored with a past intake (for replay and preview)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    scores: Mapping[str, Mapping[str, Any]]
    risk: Mapping[str, Any] | None = None
    reader_consent: bool
    # Whether the client wrote words of their own; None on inputs stored before it was
    # recorded, which counts as written (a person reads them; fail closed).
    wrote_words: bool | None = None
    ref: str | None = None


class PreviewChange(_Strict):
    """One past intake whose proposal would differ under the new ruleset."""

    index: int
    ref: str | None
    inputs_digest: str
    old_urgency: Urgency
    new_urgency: Urgency
    old_pathway: str
    new_pathway: str
    old_fired_rules: tuple[str, ...]
    new_fired_rules: tuple[str, ...]


class PreviewResult(_Strict):
    """What activating a new ruleset version would change over a set of past intakes."""

    old_versions: Mapping[str, str]
    new_versions: Mapping[str, str]
    total: int
    urgency_changed: int
    raised: int
    lowered: int
    left_crisis: int
    entered_crisis: int
    pathway_changed: int
    changes: tuple[PreviewChange, ...]
    summary: str

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return self.model_dump(mode="json")


def _describe_errors(error: ValidationError, raw: Any) -> str:
    """Turn pydantic errors into lines that name the rule by its id, not its list index."""
    lines: list[str] = []
    raw_rules = raw.get("rules") if isinstance(raw, Mapping) else None
    for item in error.errors():
        loc = list(item["loc"])
        where = ""
        if len(loc) >= 2 and loc[0] == "rules" and isinstance(loc[1], int):
            # Pydantic only reports an index into rules that it was given as a list.
            candidate = raw_rules[loc[1]] if isinstance(raw_rules, Sequence) else None
            rule_id = candidate.get("id") if isinstance(candidate, Mapping) else None
            where = f"rule {rule_id!r}" if rule_id else f"rule #{loc[1] + 1}"
            loc = loc[2:]
        # A condition's kind tag repeats its key in the location ("any.any.1"): say it once.
        parts = [
            str(part)
            for position, part in enumerate(loc)
            if not (position and part == loc[position - 1] and part in _KIND_BY_KEY)
        ]
        path = ".".join(parts)
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = f"unknown key {str(loc[-1])!r}"
        lines.append(": ".join(part for part in (where, path, message) if part))
    return "; ".join(lines)


def parse_ruleset(raw: Any) -> Ruleset:
    """Validate an already-parsed ruleset document; raises InvalidInput naming the rule."""
    try:
        return Ruleset.model_validate(raw)
    except ValidationError as error:
        raise InvalidInput(f"invalid triage ruleset: {_describe_errors(error, raw)}") from error


def load_ruleset(source: str | Path) -> Ruleset:
    """Load a ruleset from YAML text or a path to a YAML file."""
    text = source.read_text(encoding="utf-8") if isinstance(source, Path) else source
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise InvalidInput(f"triage ruleset is not valid YAML: {error}") from error
    return parse_ruleset(raw)


@functools.cache
def builtin_rulesets() -> dict[tuple[str, str], Ruleset]:
    """Every ruleset version Alongside has shipped, by (id, version), for replay.

    The current default is ``rules/default.yaml``; earlier versions are kept verbatim in
    ``rules/history/`` so a past proposal can be replayed under the version that made it.
    """
    folder = resources.files("alongside.triage").joinpath("rules", HISTORY_FOLDER)
    found: dict[tuple[str, str], Ruleset] = {}
    for entry in folder.iterdir():
        if entry.name.endswith(".yaml"):
            ruleset = load_ruleset(entry.read_text(encoding="utf-8"))
            found[(ruleset.id, ruleset.version)] = ruleset
    current = default_ruleset()
    found[(current.id, current.version)] = current
    return found


@functools.cache
def default_ruleset() -> Ruleset:
    """The ruleset that ships with Alongside (``rules/default.yaml``), read once per process."""
    text = (
        resources.files("alongside.triage")
        .joinpath("rules", DEFAULT_RULESET_FILE)
        .read_text(encoding="utf-8")
    )
    return load_ruleset(text)
