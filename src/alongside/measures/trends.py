"""Change over time, pure: a client's scores per instrument, judged by the cited criteria.

Plain values in, plain values out (no session, no clock). For each instrument with a summed
score the trend holds every measure in date order with its band, the change from the previous
measure and from the first, and a verdict on first to latest. The judgement of change is
:func:`alongside.instruments.reliable_change`, which reads the figures from the instrument's
definition file, so the sources are cited next to the data:

- reliable change: PHQ-9 6 or more points, GAD-7 4 or more points (NHS Talking Therapies
  Manual, 2023); instruments whose definition cites an SD and a reliability use Jacobson &
  Truax (1991), RCI = (x2 - x1) / (sqrt(2) * SD * sqrt(1 - r)), reliable when |RCI| > 1.96;
  instruments with no cited figures say that change cannot be computed.
- clinically significant change uses the same manual's caseness (PHQ-9 10 or more, GAD-7 8 or
  more): *reliable recovery* is a reliable improvement from the case range to below it
  (Jacobson & Truax's clinically significant change); moving *into* the case range with a
  reliable deterioration is marked too.

NHS Talking Therapies judges recovery on PHQ-9 and GAD-7 together for a course of treatment
(:mod:`alongside.measures.paired`); these trends judge each instrument on its own ("per
instrument"), which is what a chart per instrument shows.

*Attention* (:func:`needs_attention`): the latest measure of an instrument is a reliable
deterioration from the previous measure or from the first, or the latest measure of any
instrument carries a critical-item flag (PHQ-9 item 9, any C-SSRS screener question).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from alongside.instruments import ChangeResult, get_instrument, reliable_change
from alongside.triage.wording import flag_question_words

RELIABLE_DETERIORATION = "reliable deterioration"
RELIABLE_IMPROVEMENT = "reliable improvement"
RELIABLE_RECOVERY = "reliable recovery"
INTO_CASENESS = "into the case range"
NO_RELIABLE_CHANGE = "no reliable change"
CANNOT_COMPUTE = "cannot compute"
TOO_FEW = "one measure so far"


@dataclass(frozen=True, slots=True)
class Measurement:
    """One scored questionnaire as a trend needs it (a stored Score, without the answers)."""

    instrument_id: str
    measured_at: datetime
    total: float | None
    severity: str
    flags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class BandRange:
    """One severity band, inclusive at both ends, in the instrument's total scale."""

    name: str
    low: int
    high: int


@dataclass(frozen=True, slots=True)
class TrendPoint:
    """One measure in a series, with its change from the previous measure and from the first."""

    measured_at: datetime
    total: float
    severity: str
    flags: tuple[str, ...]
    from_previous: ChangeResult | None
    from_first: ChangeResult | None

    @property
    def marks(self) -> tuple[str, ...]:
        """What this point shows against the first measure and the previous one."""
        found: list[str] = []
        for change in (self.from_first, self.from_previous):
            for mark in _marks_of(change):
                if mark not in found:
                    found.append(mark)
        return tuple(found)

    @property
    def deteriorated(self) -> bool:
        """Reliably worse than the previous measure or than the first."""
        return any(
            change is not None and change.direction == "deteriorated"
            for change in (self.from_previous, self.from_first)
        )


@dataclass(frozen=True, slots=True)
class InstrumentTrend:
    """Every measure of one instrument for one client, and the verdict on first to latest."""

    instrument_id: str
    title: str
    total_range: tuple[int, int]
    bands: tuple[BandRange, ...]
    # None when no cited source gives the instrument's direction of change.
    higher_is_better: bool | None
    caseness_cutoff: float | None
    caseness_at_least: bool
    points: tuple[TrendPoint, ...]
    overall: ChangeResult | None
    sources: tuple[str, ...]

    @property
    def latest(self) -> TrendPoint:
        """The most recent measure."""
        return self.points[-1]

    @property
    def outcome(self) -> str:
        """First to latest in the source's words (reliable recovery, deterioration...)."""
        if self.overall is None:
            return TOO_FEW
        marks = _marks_of(self.overall)
        for verdict in (RELIABLE_RECOVERY, RELIABLE_DETERIORATION, RELIABLE_IMPROVEMENT):
            if verdict in marks:
                return verdict
        if self.overall.direction == CANNOT_COMPUTE:
            return CANNOT_COMPUTE
        return NO_RELIABLE_CHANGE

    @property
    def latest_deteriorated(self) -> bool:
        """The latest measure is a reliable deterioration (from the previous or the first)."""
        return len(self.points) > 1 and self.latest.deteriorated


@dataclass(frozen=True, slots=True)
class Attention:
    """Why a client's latest measures need a clinician's attention (empty: they do not)."""

    reasons: tuple[str, ...]
    latest_at: datetime | None

    def __bool__(self) -> bool:
        return bool(self.reasons)


def _marks_of(change: ChangeResult | None) -> list[str]:
    if change is None or change.reliable is None:
        return []
    marks: list[str] = []
    if change.direction == "deteriorated":
        marks.append(RELIABLE_DETERIORATION)
        if change.case_after and not change.case_before:
            marks.append(INTO_CASENESS)
    elif change.direction == "improved":
        marks.append(RELIABLE_RECOVERY if change.clinically_significant else RELIABLE_IMPROVEMENT)
    return marks


def bands_of(instrument_id: str) -> tuple[BandRange, ...]:
    """The instrument's severity bands (the sex-neutral set where cut-offs differ by sex)."""
    definition = get_instrument(instrument_id)
    if definition.bands is None:
        return ()
    if definition.bands.ranges is not None:
        chosen = definition.bands.ranges
    else:
        # Sex-specific cut-offs: the definition's conservative default set, as scoring uses.
        assert definition.bands.by_sex is not None  # noqa: S101 - checked by the library
        assert definition.bands.when_sex_not_given is not None  # noqa: S101 - checked too
        chosen = definition.bands.by_sex[definition.bands.when_sex_not_given]
    return tuple(BandRange(band.name, band.min, band.max) for band in chosen)


def has_trend(instrument_id: str) -> bool:
    """Whether the instrument has a summed score to follow over time."""
    return get_instrument(instrument_id).scoring.method == "sum"


def instrument_trend(instrument_id: str, measurements: Iterable[Measurement]) -> InstrumentTrend:
    """One instrument's series in date order, each measure judged against previous and first."""
    definition = get_instrument(instrument_id)
    if definition.scoring.method != "sum":
        raise ValueError(f"{definition.short_name} has no summed score to follow over time")
    series = sorted(
        (m for m in measurements if m.instrument_id == instrument_id and m.total is not None),
        key=lambda m: m.measured_at,
    )
    points: list[TrendPoint] = []
    for position, measure in enumerate(series):
        assert measure.total is not None  # noqa: S101 - filtered above
        previous = series[position - 1] if position > 0 else None
        first = series[0] if position > 0 else None
        points.append(
            TrendPoint(
                measured_at=measure.measured_at,
                total=measure.total,
                severity=measure.severity,
                flags=measure.flags,
                from_previous=_change(instrument_id, previous, measure.total),
                from_first=_change(instrument_id, first, measure.total),
            )
        )
    overall = points[-1].from_first if len(points) > 1 else None
    spec = definition.change
    caseness = spec.caseness if spec is not None else None
    cutoff: float | None = None
    at_least = True
    sources: list[str] = []
    if spec is not None and spec.reliable is not None:
        sources.append(spec.reliable.source)
    if caseness is not None:
        cutoff = caseness.at_least if caseness.at_least is not None else caseness.at_most
        at_least = caseness.at_least is not None
        sources.append(caseness.source)
    return InstrumentTrend(
        instrument_id=instrument_id,
        title=definition.short_name,
        total_range=definition.total_range,
        bands=bands_of(instrument_id),
        higher_is_better=spec.higher_is_better if spec is not None else None,
        caseness_cutoff=cutoff,
        caseness_at_least=at_least,
        points=tuple(points),
        overall=overall,
        sources=tuple(sources),
    )


def _change(instrument_id: str, before: Measurement | None, after: float) -> ChangeResult | None:
    if before is None or before.total is None:
        return None
    return reliable_change(instrument_id, before.total, after)


def client_trends(measurements: Sequence[Measurement]) -> list[InstrumentTrend]:
    """A trend for every instrument with a summed score among the measurements, by display order
    of the instrument library."""
    present = {m.instrument_id for m in measurements if m.total is not None}
    ordered = sorted(
        (i for i in present if has_trend(i)), key=lambda i: get_instrument(i).display_order
    )
    return [instrument_trend(i, measurements) for i in ordered]


def needs_attention(measurements: Sequence[Measurement]) -> Attention:
    """Why the latest measures need attention: a reliable deterioration or a critical item."""
    reasons: list[str] = []
    latest_at: datetime | None = None
    latest_by_instrument: dict[str, Measurement] = {}
    for measure in sorted(measurements, key=lambda m: m.measured_at):
        latest_by_instrument[measure.instrument_id] = measure
    for trend in client_trends(measurements):
        if trend.latest_deteriorated:
            latest = trend.latest
            reference = latest.from_previous if _worse(latest.from_previous) else latest.from_first
            assert reference is not None  # noqa: S101 - latest_deteriorated implies one exists
            reasons.append(
                f"{trend.title}: reliable deterioration, {reference.before:g} to "
                f"{reference.after:g} (threshold {reference.threshold:g}"
                f"{' points' if reference.method == 'points' else ' RCI'})."
            )
            latest_at = _later(latest_at, latest.measured_at)
    for instrument_id, measure in latest_by_instrument.items():
        if measure.flags:
            name = get_instrument(instrument_id).short_name
            answered = [flag_question_words(flag) for flag in measure.flags]
            words = ", ".join(
                a[1] if a else flag.replace("-", " ")
                for a, flag in zip(answered, measure.flags, strict=True)
            )
            reasons.append(f"{name}: {words} (a critical item).")
            latest_at = _later(latest_at, measure.measured_at)
    return Attention(reasons=tuple(reasons), latest_at=latest_at)


def _worse(change: ChangeResult | None) -> bool:
    return change is not None and change.direction == "deteriorated"


def _later(current: datetime | None, candidate: datetime) -> datetime:
    return candidate if current is None or candidate > current else current


__all__ = [
    "Attention",
    "BandRange",
    "InstrumentTrend",
    "Measurement",
    "TrendPoint",
    "bands_of",
    "client_trends",
    "has_trend",
    "instrument_trend",
    "needs_attention",
]
