"""Request and response bodies of the scheduling API."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time

from pydantic import Field

from alongside.kit.schema import Schema
from alongside.kit.time import AwareDateTime, BoundedDate, LocalTime, ZoneName


class SlotRead(Schema):
    """A free slot."""

    start: datetime
    end: datetime


class AppointmentCreate(Schema):
    """Book a client with a clinician."""

    client_id: uuid.UUID
    clinician_id: uuid.UUID
    starts_at: AwareDateTime
    ends_at: AwareDateTime | None = None
    kind: str = "assessment"
    setting: str = "telehealth"
    reason: str = Field(min_length=1, max_length=1000)


class AppointmentMove(Schema):
    """Move an appointment to a new start (same length)."""

    starts_at: AwareDateTime
    reason: str = Field(min_length=1, max_length=1000)


class AppointmentReason(Schema):
    """Cancel or mark a no-show, with a reason."""

    reason: str = Field(min_length=1, max_length=1000)


class AppointmentRead(Schema):
    """An appointment (the reason is not echoed: it may describe the client)."""

    id: uuid.UUID
    client_id: uuid.UUID
    clinician_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    status: str
    kind: str
    setting: str
    rescheduled_from_id: uuid.UUID | None = None
    waitlist_entry_id: uuid.UUID | None = None


class ProfileUpdate(Schema):
    """Parts of a clinician's profile to change."""

    specialties: list[str] | None = None
    languages: list[str] | None = None
    modalities: list[str] | None = None
    populations: list[str] | None = None
    gender: str | None = None
    in_person: bool | None = None
    telehealth: bool | None = None
    timezone: ZoneName | None = None
    caseload_capacity: int | None = Field(default=None, ge=0, le=1000)


class ProfileRead(Schema):
    """A clinician's profile."""

    user_id: uuid.UUID
    specialties: list[str]
    languages: list[str]
    modalities: list[str]
    populations: list[str]
    gender: str | None
    in_person: bool
    telehealth: bool
    timezone: str
    caseload_capacity: int


class AvailabilityCreate(Schema):
    """Weekly hours (weekday, start, end), extra hours (day, start, end) or leave
    (starts_at, ends_at, note)."""

    kind: str = Field(pattern="^(weekly|extra|leave)$")
    weekday: int | None = Field(default=None, ge=0, le=6)
    day: BoundedDate | None = None
    start: LocalTime | None = None
    end: LocalTime | None = None
    starts_at: AwareDateTime | None = None
    ends_at: AwareDateTime | None = None
    note: str = Field(default="", max_length=1000)


class AvailabilityRead(Schema):
    """One block of working time or leave."""

    id: uuid.UUID
    kind: str
    weekday: int | None
    day: date | None
    local_start: time | None
    local_end: time | None
    starts_at: datetime | None
    ends_at: datetime | None
    note: str


class PreferencesWrite(Schema):
    """A client's matching needs, wishes and reminder consent per channel."""

    language: str | None = None
    modality: str | None = None
    modality_required: bool = False
    preferred_gender: str | None = None
    setting: str = "either"
    site_ids: list[uuid.UUID] = Field(default_factory=list)
    times_of_day: list[str] = Field(default_factory=list)
    population: str | None = None
    specialty: str | None = None
    time_zone: ZoneName | None = None
    remind_email: bool = False
    remind_webhook: bool = False


class PreferencesRead(PreferencesWrite):
    """What is stored."""

    client_id: uuid.UUID


class WaitlistEntryRead(Schema):
    """A waitlist place (no scores: coordinators see who waits, not clinical content)."""

    id: uuid.UUID
    client_id: uuid.UUID
    urgency: str
    pathway: str
    status: str
    added_at: datetime
    next_rescreen_at: datetime | None


class WaitlistRemove(Schema):
    """Why a client leaves the waitlist."""

    reason: str = Field(min_length=1, max_length=1000)


class ProposalRead(Schema):
    """A matching proposal for one waitlist entry, with its reasons."""

    entry_id: uuid.UUID
    client_id: uuid.UUID
    clinician_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    score: float
    preferences_met: list[str]
    preferences_unmet: list[str]
    reasons: list[str]


class UnmatchedRead(Schema):
    """A waiting client with no proposal this round, and why."""

    entry_id: uuid.UUID
    reasons: list[str]


class ProposalsRead(Schema):
    """All proposals and the unmatched."""

    proposals: list[ProposalRead]
    unmatched: list[UnmatchedRead]


class MatchConfirm(Schema):
    """A person confirms (or changes) a proposal."""

    entry_id: uuid.UUID
    clinician_id: uuid.UUID
    starts_at: AwareDateTime
    setting: str = "telehealth"
    reason: str = Field(default="First appointment from the waitlist", max_length=1000)


class FeedCreated(Schema):
    """A new calendar address (shown once)."""

    id: uuid.UUID
    path: str


class RescreenRead(Schema):
    """A re-screen created for a waiting client."""

    entry_id: uuid.UUID
    link_path: str | None
