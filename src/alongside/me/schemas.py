"""Schemas of the client's own API (``/api/me/*``)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import Field

from alongside.kit.schema import Schema


class MeasurePointRead(Schema):
    """One score in a series."""

    measured_at: datetime
    total: float
    severity: str
    marks: list[str]


class MeasureRead(Schema):
    """One repeated measure, with what it means and what changed, in plain words."""

    instrument: str
    title: str
    meaning: str
    change: str
    reliable_change: bool
    points: list[MeasurePointRead]


class DueRead(Schema):
    """Questionnaires waiting to be filled in (the link is in the clinic's email)."""

    instruments: list[str]
    until: datetime


class MeasuresRead(Schema):
    """The client's measures and what is due."""

    measures: list[MeasureRead]
    due: list[DueRead]


class AppointmentRead(Schema):
    """One of the client's appointments."""

    id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    status: str
    clinician: str
    setting: str


class AppointmentsRead(Schema):
    """Upcoming (soonest first) and past (latest first)."""

    upcoming: list[AppointmentRead]
    past: list[AppointmentRead]


class ConsentRead(Schema):
    """One consent purpose and the client's latest decision."""

    purpose: str
    granted: bool
    text_version: str | None
    decided_at: datetime | None


class ConsentWrite(Schema):
    """Give (true) or withdraw (false) a consent."""

    granted: bool


class ErasureCreated(Schema):
    """A filed erasure request; keep the certificate link (the login is erased with it)."""

    id: uuid.UUID
    status: Literal["pending"]
    certificate_url: str


class ErasureRead(Schema):
    """An erasure request as its requester sees it."""

    id: uuid.UUID
    status: str
    requested_at: datetime
    decided_at: datetime | None


class CorrectionWrite(Schema):
    """A detail to correct and the right value, or (``field: "note"`` with ``note_id``) a
    signed note and what should change in it; optionally why."""

    field: str = Field(max_length=40)
    value: str = Field(max_length=2000)
    reason: str | None = Field(default=None, max_length=1000)
    note_id: uuid.UUID | None = None


class CorrectionRead(Schema):
    """A correction request and its decision; the record keeps both values."""

    id: uuid.UUID
    field: str
    note_id: uuid.UUID | None = None
    status: str
    previous_value: str | None
    requested_value: str
    client_reason: str | None
    decision_reason: str | None
    requested_at: datetime
    decided_at: datetime | None


class MyNoteSectionRead(Schema):
    """A section of a note: its title and sentences."""

    title: str
    sentences: list[str]


class MyNoteAddendumRead(Schema):
    """An addendum to a note, signed and dated."""

    text: str
    author: str
    signed_at: datetime


class MyNoteRead(Schema):
    """A signed progress note as the client reads it, with its addenda and corrections."""

    id: uuid.UUID
    title: str
    author: str
    signed_at: datetime
    sections: list[MyNoteSectionRead]
    addenda: list[MyNoteAddendumRead]
    corrections: list[CorrectionRead]
