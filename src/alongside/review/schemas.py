"""API shapes of the review queue, cases, decisions, crisis alerts, rule versions, oversight."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from alongside.kit.schema import Schema


class QueueEntryRead(Schema):
    """One waiting proposal in the queue."""

    suggestion_id: uuid.UUID
    client_id: uuid.UUID
    client_name: str
    urgency: str
    pathway: str
    proposed_at: datetime
    waited_minutes: int
    target_minutes: int
    overdue: bool
    needs_human_reading: bool
    alert_state: str | None


class AnswerLineRead(Schema):
    """One question and its answer."""

    label: str
    text: str
    answer: str


class InstrumentRead(Schema):
    """One instrument's answers and score."""

    instrument_id: str
    title: str
    version: str
    lines: list[AnswerLineRead]
    total: int | None
    total_range: tuple[int, int] | None
    severity: str
    flags: list[str]
    reasons: list[str]


class PieceRead(Schema):
    """A run of the client's words; ``highlighted`` when it is risk evidence."""

    text: str
    highlighted: bool
    signal: str


class ProposalRead(Schema):
    """The proposal as made, with reasons and versions."""

    id: uuid.UUID
    status: str
    urgency: str
    pathway: str
    alternative_pathways: list[str]
    fired_rules: list[str]
    needs_human_reading: bool
    reasons: list[dict[str, Any]]
    versions: dict[str, Any]
    proposed_at: datetime


class DecisionRead(Schema):
    """A clinician's decision."""

    id: uuid.UUID
    suggestion_id: uuid.UUID
    outcome: str
    urgency: str | None
    pathway: str | None
    proposed_urgency: str
    proposed_pathway: str
    reason: str | None
    decided_by_id: uuid.UUID | None
    decided_at: datetime


class AlertRead(Schema):
    """A crisis alert and its acknowledgement."""

    id: uuid.UUID
    level: int
    recipient_name: str | None
    sent_at: datetime | None
    escalate_at: datetime | None
    exhausted_at: datetime | None
    acknowledged_by_name: str | None
    acknowledged_at: datetime | None
    action_taken: str | None
    action_note: str | None


class CaseRead(Schema):
    """Everything shown on the case page."""

    client_id: uuid.UUID
    client_name: str
    intake_id: uuid.UUID | None
    proposal: ProposalRead
    instruments: list[InstrumentRead]
    words: list[PieceRead]
    risk_level: str | None
    reader_available: bool | None
    decision: DecisionRead | None
    alert: AlertRead | None
    may_decide: bool


class DecisionCreate(Schema):
    """Accept, amend (another urgency or pathway) or reject; a reason to amend or reject."""

    outcome: Literal["accepted", "amended", "rejected"]
    urgency: str | None = None
    pathway: str | None = None
    reason: str | None = Field(default=None, max_length=2000)


class AcknowledgeCreate(Schema):
    """What the person did about a crisis alert."""

    action: Literal["client_called", "emergency_services_contacted", "no_answer", "other"]
    note: str | None = Field(default=None, max_length=2000)


class RulesetVersionCreate(Schema):
    """A new ruleset version as YAML, with a note saying why."""

    yaml_text: str = Field(min_length=1, max_length=200_000)
    note: str = Field(default="", max_length=500)


class RulesetActivate(Schema):
    """Why a version is being made the active one (required: 422 without it)."""

    reason: str = Field(
        default="",
        max_length=2000,
        description="Why this version becomes active; kept with the activation.",
    )


class RulesetVersionRead(Schema):
    """A stored ruleset version (or the built-in default, with no id)."""

    id: uuid.UUID | None
    ruleset_id: str
    version: str
    note: str
    is_active: bool
    created_at: datetime | None
    activated_at: datetime | None
    built_in: bool


WAIT_TARGETS_ARE_RULES = (
    "Wait targets are not set here: they are part of the triage rules. Write them into a new "
    "version of the rules (wait_targets, in hours) and activate it with a reason."
)


class ReviewSettingsUpdate(Schema):
    """Minutes before a crisis alert escalates, and a reviewer's time after deciding. The wait
    targets are part of the triage rules (a ruleset version's ``wait_targets``)."""

    crisis: int | None = Field(default=None, description=WAIT_TARGETS_ARE_RULES)
    urgent: int | None = Field(default=None, description=WAIT_TARGETS_ARE_RULES)
    soon: int | None = Field(default=None, description=WAIT_TARGETS_ARE_RULES)
    routine: int | None = Field(default=None, description=WAIT_TARGETS_ARE_RULES)
    escalation_minutes: int = Field(ge=1, le=1440)
    assignment_hours_after_decision: int | None = Field(
        default=None,
        ge=0,
        le=2160,
        description="How long an assigned reviewer may still open the case after deciding "
        "(hours, at most 90 days); left out: unchanged (default 72).",
    )
