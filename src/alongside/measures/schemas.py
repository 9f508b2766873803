"""API shapes of measurement-based care: trends, plans and the attention list."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import Field

from alongside.instruments import ChangeResult
from alongside.kit.schema import Schema
from alongside.measures.service import AttentionEntry, ClientMeasures
from alongside.measures.trends import InstrumentTrend, Measurement
from alongside.models import MeasurementPlan


class ChangeRead(Schema):
    """Change between two measures, judged by the instrument's cited criterion."""

    before: float
    after: float
    change: float
    direction: str
    reliable: bool | None
    threshold: float | None
    method: str | None
    clinically_significant: bool | None
    case_before: bool | None
    case_after: bool | None


class PointRead(Schema):
    """One measure in a series."""

    measured_at: datetime
    total: float
    severity: str
    flags: list[str]
    marks: list[str]
    from_previous: ChangeRead | None
    from_first: ChangeRead | None


class BandRead(Schema):
    """A severity band, inclusive at both ends."""

    name: str
    low: int
    high: int


class TrendRead(Schema):
    """One instrument's series and the verdict on first to latest."""

    instrument: str
    title: str
    total_range: tuple[int, int]
    bands: list[BandRead]
    caseness_cutoff: float | None
    caseness_at_least: bool
    points: list[PointRead]
    outcome: str
    latest_deteriorated: bool
    sources: list[str]


class MeasureRead(Schema):
    """A measure without a summed score (the C-SSRS screener's risk category)."""

    instrument: str
    measured_at: datetime
    severity: str
    flags: list[str]


class PlanRead(Schema):
    """A client's plan of repeat measures."""

    instruments: list[str]
    cadence: str
    interval_days: int | None
    lead_hours: int
    active: bool
    updated_at: datetime
    last_due_at: datetime | None


class PlanWrite(Schema):
    """Set a client's plan: instruments and cadence (every N days, or before each session)."""

    instruments: list[str] = Field(min_length=1)
    cadence: Literal["before_session", "interval"]
    interval_days: int | None = None
    lead_hours: int | None = 48
    active: bool = True


class ClientMeasuresRead(Schema):
    """Everything the measures page shows for one client, as data."""

    client_id: uuid.UUID
    trends: list[TrendRead]
    other: list[MeasureRead]
    plan: PlanRead | None
    attention: list[str]
    can_edit_plan: bool


class AttentionRead(Schema):
    """One client on the attention list."""

    client_id: uuid.UUID
    client_name: str
    reasons: list[str]
    latest_at: datetime


def change_read(change: ChangeResult | None) -> ChangeRead | None:
    """The API shape of a change (None stays None)."""
    if change is None:
        return None
    return ChangeRead(
        before=change.before,
        after=change.after,
        change=change.change,
        direction=change.direction,
        reliable=change.reliable,
        threshold=change.threshold,
        method=change.method,
        clinically_significant=change.clinically_significant,
        case_before=change.case_before,
        case_after=change.case_after,
    )


def trend_read(trend: InstrumentTrend) -> TrendRead:
    """The API shape of a trend."""
    return TrendRead(
        instrument=trend.instrument_id,
        title=trend.title,
        total_range=trend.total_range,
        bands=[BandRead(name=b.name, low=b.low, high=b.high) for b in trend.bands],
        caseness_cutoff=trend.caseness_cutoff,
        caseness_at_least=trend.caseness_at_least,
        points=[
            PointRead(
                measured_at=p.measured_at,
                total=p.total,
                severity=p.severity,
                flags=list(p.flags),
                marks=list(p.marks),
                from_previous=change_read(p.from_previous),
                from_first=change_read(p.from_first),
            )
            for p in trend.points
        ],
        outcome=trend.outcome,
        latest_deteriorated=trend.latest_deteriorated,
        sources=list(trend.sources),
    )


def plan_read(plan: MeasurementPlan | None) -> PlanRead | None:
    """The API shape of a plan."""
    if plan is None:
        return None
    return PlanRead(
        instruments=list(plan.instruments),
        cadence=plan.cadence.value,
        interval_days=plan.interval_days,
        lead_hours=plan.lead_hours,
        active=plan.active,
        updated_at=plan.updated_at,
        last_due_at=plan.last_due_at,
    )


def measure_read(measure: Measurement) -> MeasureRead:
    """The API shape of a measure without a summed score."""
    return MeasureRead(
        instrument=measure.instrument_id,
        measured_at=measure.measured_at,
        severity=measure.severity,
        flags=list(measure.flags),
    )


def client_measures_read(view: ClientMeasures) -> ClientMeasuresRead:
    """The API shape of a client's measures."""
    return ClientMeasuresRead(
        client_id=view.client.id,
        trends=[trend_read(t) for t in view.trends],
        other=[measure_read(m) for m in view.other],
        plan=plan_read(view.plan),
        attention=list(view.attention.reasons),
        can_edit_plan=view.can_edit_plan,
    )


def attention_read(entry: AttentionEntry) -> AttentionRead:
    """The API shape of an attention-list entry."""
    return AttentionRead(
        client_id=entry.client_id,
        client_name=entry.client_name,
        reasons=list(entry.reasons),
        latest_at=entry.latest_at,
    )
