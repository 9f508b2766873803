"""Pure instrument scoring and reliable change: plain values in, plain values out.

No per-instrument code lives here: sums, multipliers, bands (one set or one per sex),
critical-item flags, skip logic and the C-SSRS risk categories all come from the definition
files read by :mod:`alongside.instruments.library`. Invalid answers are refused, never
guessed or prorated (Alongside invariant 2, fail closed).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from alongside.errors import InvalidInput
from alongside.instruments.library import (
    Band,
    Condition,
    InstrumentDefinition,
    Sex,
    get_instrument,
)

Direction = Literal["improved", "deteriorated", "no reliable change", "cannot compute"]

# 1.96: the two-sided 5% criterion of Jacobson & Truax (1991) for a reliable change index.
RCI_CRITERION = 1.96
# Ranges in messages are written "0\u20133" (en dash), as printed on the instruments.
RANGE_DASH = "\u2013"


class ScoreResult(BaseModel):
    """One scored questionnaire: totals, band, flags and the versions that produced it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    instrument: str
    version: str
    title: str
    total: int | None
    raw_total: int | None
    total_range: tuple[int, int] | None
    severity: str
    flags: list[str]
    reasons: list[str]
    answers: list[int]
    risk_category: str | None
    cutoff_sex: Sex | None
    notes: list[str]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of every field."""
        return self.model_dump(mode="json")


class ChangeResult(BaseModel):
    """Change between two totals on one instrument, judged by the cited criterion."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    instrument: str
    version: str
    before: float
    after: float
    change: float
    direction: Direction
    reliable: bool | None
    method: Literal["points", "rci"] | None
    threshold: float | None
    rci: float | None
    caseness_cutoff: str | None
    case_before: bool | None
    case_after: bool | None
    clinically_significant: bool | None
    sources: list[str]
    notes: list[str]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of every field."""
        return self.model_dump(mode="json")


def score_instrument(
    instrument_id: str, answers: Sequence[int], *, sex: str | None = None
) -> ScoreResult:
    """Score one instrument's answers (item order as defined); refuse anything invalid."""
    return score_definition(get_instrument(instrument_id), answers, sex=sex)


def reliable_change(instrument_id: str, before: float, after: float) -> ChangeResult:
    """Whether the change from ``before`` to ``after`` is reliable, and clinically significant."""
    return change_for_definition(get_instrument(instrument_id), before, after)


def score_definition(
    definition: InstrumentDefinition, answers: Sequence[int], *, sex: str | None = None
) -> ScoreResult:
    """Score answers against a definition (the generic mechanism behind score_instrument)."""
    chosen_sex = _parse_sex(sex)
    values, notes = _checked_answers(definition, answers)
    flags = [f for f in definition.flags if definition.holds(f.when, values)]
    for check in definition.consistency:
        positions = [i for i, item in enumerate(definition.items) if item.id in check.expect_zero]
        if definition.holds(check.when, values) and any(values[i] for i in positions):
            notes.append(" ".join(check.note.split()))
    total: int | None = None
    raw_total: int | None = None
    cutoff_sex: Sex | None = None
    risk_category: str | None = None
    if definition.risk_categories is not None:
        categories = definition.risk_categories
        severity = categories.otherwise
        for rule in categories.rules:
            if any(all(definition.holds(c, values) for c in group) for group in rule.any_of):
                severity = rule.name
                break
        else:
            notes.append(categories.otherwise_note)
        risk_category = severity
    else:
        assert definition.bands is not None  # noqa: S101 - the library checks sum scoring has bands
        raw_total = sum(values)
        total = raw_total * definition.scoring.multiplier
        bands = definition.bands
        if bands.by_sex is not None:
            cutoff_sex = chosen_sex or bands.when_sex_not_given
            assert cutoff_sex is not None  # noqa: S101 - checked by the library
            if chosen_sex is None and bands.note_when_sex_not_given:
                notes.append(bands.note_when_sex_not_given.strip())
            band_set = bands.by_sex[cutoff_sex]
        else:
            assert bands.ranges is not None  # noqa: S101 - checked by the library
            band_set = bands.ranges
        severity = _band_for(band_set, total).name
    return ScoreResult(
        instrument=definition.id,
        version=definition.version,
        title=definition.short_name,
        total=total,
        raw_total=raw_total,
        total_range=definition.total_range if total is not None else None,
        severity=severity,
        flags=[f.flag for f in flags],
        reasons=[" ".join(f.reason.split()) for f in flags],
        answers=list(answers),
        risk_category=risk_category,
        cutoff_sex=cutoff_sex,
        notes=notes,
    )


def change_for_definition(
    definition: InstrumentDefinition, before: float, after: float
) -> ChangeResult:
    """Reliable change against a definition (the generic mechanism behind reliable_change)."""
    name = definition.short_name
    if definition.scoring.method != "sum":
        return _cannot(definition, before, after, f"{name} has no summed score to compare.")
    low, high = definition.total_range
    for label, value in (("before", before), ("after", after)):
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise InvalidInput(f"{name} {label} score must be a number, got {value!r}")
        if not low <= value <= high:
            raise InvalidInput(
                f"{name} {label} score {value} is out of range {low}{RANGE_DASH}{high}"
            )
    spec = definition.change
    if spec is None or spec.reliable is None:
        return _cannot(
            definition,
            before,
            after,
            f"No published reliability figures are cited for the {name}; "
            "reliable change cannot be computed.",
        )
    change = float(after) - float(before)
    reliable_spec = spec.reliable
    rci: float | None = None
    if reliable_spec.method == "points":
        assert reliable_spec.points is not None  # noqa: S101 - checked by the library
        threshold = reliable_spec.points
        reliable = abs(change) >= threshold
    else:
        assert reliable_spec.sd is not None  # noqa: S101 - checked by the library
        assert reliable_spec.reliability is not None  # noqa: S101 - checked by the library
        # Jacobson & Truax (1991): S_diff = sqrt(2) * SD * sqrt(1 - r).
        s_diff = math.sqrt(2) * reliable_spec.sd * math.sqrt(1 - reliable_spec.reliability)
        rci = change / s_diff
        threshold = RCI_CRITERION
        reliable = abs(rci) > threshold
    better = change > 0 if spec.higher_is_better else change < 0
    direction: Direction = "no reliable change"
    if reliable:
        direction = "improved" if better else "deteriorated"
    sources = [reliable_spec.source]
    cutoff: str | None = None
    case_before: bool | None = None
    case_after: bool | None = None
    significant: bool | None = None
    notes: list[str] = []
    if spec.caseness is not None:
        caseness = spec.caseness
        sources.append(caseness.source)
        bound = caseness.at_least if caseness.at_least is not None else caseness.at_most
        cutoff = f"{'>=' if caseness.at_least is not None else '<='} {bound:g}"
        case_before, case_after = caseness.is_case(before), caseness.is_case(after)
        # Jacobson & Truax's clinically significant change: reliable improvement that also
        # moves the score from the case range to the non-case range ("reliable recovery").
        significant = direction == "improved" and case_before and not case_after
        if direction == "deteriorated" and case_after and not case_before:
            notes.append(f"{name} moved into the case range ({cutoff}).")
    return ChangeResult(
        instrument=definition.id,
        version=definition.version,
        before=before,
        after=after,
        change=change,
        direction=direction,
        reliable=reliable,
        method=reliable_spec.method,
        threshold=threshold,
        rci=rci,
        caseness_cutoff=cutoff,
        case_before=case_before,
        case_after=case_after,
        clinically_significant=significant,
        sources=sources,
        notes=notes,
    )


def _cannot(
    definition: InstrumentDefinition, before: float, after: float, why: str
) -> ChangeResult:
    return ChangeResult(
        instrument=definition.id,
        version=definition.version,
        before=before,
        after=after,
        change=float(after) - float(before),
        direction="cannot compute",
        reliable=None,
        method=None,
        threshold=None,
        rci=None,
        caseness_cutoff=None,
        case_before=None,
        case_after=None,
        clinically_significant=None,
        sources=[],
        notes=[why],
    )


def _parse_sex(sex: str | None) -> Sex | None:
    if sex is None:
        return None
    normalised = sex.strip().lower() if isinstance(sex, str) else sex
    if normalised == "female":
        return "female"
    if normalised == "male":
        return "male"
    raise InvalidInput(
        f"sex must be 'female' or 'male', got {sex!r}; leave it out to use the conservative "
        "cut-off where an instrument's cut-offs differ by sex"
    )


def _checked_answers(
    definition: InstrumentDefinition, answers: Sequence[int]
) -> tuple[list[int], list[str]]:
    """The answers padded to every item, after refusing anything invalid; plus notes."""
    name = definition.short_name
    if isinstance(answers, str | bytes) or not isinstance(answers, Sequence):
        raise InvalidInput(f"{name} answers must be a list of whole numbers")
    count, required = len(definition.items), definition.required_count
    if not required <= len(answers) <= count:
        expected = str(count) if required == count else f"{required} or {count}"
        raise InvalidInput(f"{name} needs {expected} answers, got {len(answers)}")
    values: list[int] = []
    for position, value in enumerate(answers):
        item = definition.items[position]
        where = f"{name} {definition.item_label(position)}"
        if value is None:
            raise InvalidInput(f"{where}: missing; every item must be answered (no prorating)")
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidInput(f"{where}: {value!r} is not a whole number")
        allowed = sorted(o.value for o in definition.options_for(item))
        if not allowed[0] <= value <= allowed[-1]:
            raise InvalidInput(
                f"{where}: {value} is out of range {allowed[0]}{RANGE_DASH}{allowed[-1]}"
            )
        if value not in allowed:
            raise InvalidInput(f"{where}: {value} is not one of {allowed}")
        values.append(value)
    notes: list[str] = []
    for position, item in enumerate(definition.items):
        condition = item.asked_if
        if condition is None:
            continue
        where = f"{name} {definition.item_label(position)}"
        asked = definition.holds(condition, values + [0] * (count - len(values)))
        if position >= len(values):
            if asked:
                raise InvalidInput(
                    f"{where}: missing; it is required because {_describe(definition, condition)}"
                )
            continue
        if asked or values[position] == 0:
            continue
        if item.when_not_asked == "zero_or_omitted":
            raise InvalidInput(
                f"{where}: {values[position]} contradicts the other answers; it is asked only "
                f"when {_describe(definition, condition)}, so leave it out or give 0"
            )
        notes.append(
            f"{where} was answered {values[position]} although it is asked only when "
            f"{_describe(definition, condition)}; the answer was counted."
        )
    values.extend([0] * (count - len(values)))
    return values, notes


def _describe(definition: InstrumentDefinition, condition: Condition) -> str:
    position = next(i for i, item in enumerate(definition.items) if item.id == condition.item)
    item = definition.items[position]
    label = item.label or f"item {position + 1}"
    if condition.equals is not None:
        text = next(o.text for o in definition.options_for(item) if o.value == condition.equals)
        return f"{label} is {condition.equals} ({text})"
    return f"{label} is at least {condition.at_least}"


def _band_for(bands: tuple[Band, ...], total: int) -> Band:
    # The library checks the bands tile the whole range, so exactly one matches.
    return next(band for band in bands if band.min <= total <= band.max)


__all__ = [
    "ChangeResult",
    "ScoreResult",
    "change_for_definition",
    "reliable_change",
    "score_definition",
    "score_instrument",
]
