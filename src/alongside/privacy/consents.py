"""A client's consents: each purpose, its text version and when it was decided; change them.

API
---
- :func:`my_consents` ``(session, actor, now) -> list[ConsentState]``: every purpose with the
  latest decision (from an intake or from "My consents"), audited as a read.
- :func:`set_my_consent` ``(session, user, actor, purpose, granted, now) -> ConsentState``:
  give or withdraw a consent (a new row: the earlier decisions stay, with their text
  versions), audited.
- :func:`reminders_withdrawn_at` ``(session, client_id) -> datetime | None``: when the client
  withdrew consent to reminders by email or text message, if that is their latest decision
  (None: given, or never asked). Questionnaires and reminders are then not sent to them.
- :func:`reader_consent_in_force` ``(session, intake, *, intake_consents=None) -> bool``:
  whether software may read this intake's words: the client's latest decision, whether made
  in the intake or later in "My consents" (so a withdrawal applies to everything submitted
  afterwards).
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from importlib import resources

import yaml
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from alongside.audit.service import record
from alongside.errors import InvalidInput, NotFound
from alongside.models import (
    AuditAction,
    AuditOutcome,
    AuditPurpose,
    ClientPreference,
    Consent,
    Intake,
    User,
)
from alongside.models.consent import INTAKE_PROCESSING, SOFTWARE_READING
from alongside.security.permissions import Action
from alongside.security.policy import Actor, Resource, can

REMINDERS = "reminders"
RESEARCH = "research"
NOT_FOUND = "There is nothing at this address. Check the link, or go back to your home page."


@dataclass(frozen=True)
class PurposeText:
    """What the client reads about one purpose."""

    purpose: str
    title: str
    text: str
    changeable: bool


@functools.cache
def consent_texts() -> tuple[str, tuple[PurposeText, ...]]:
    """The current "My consents" text: its version and each purpose's words."""
    entry = resources.files("alongside.privacy").joinpath("consent/my-consents-en-1.yaml")
    data = yaml.safe_load(entry.read_text(encoding="utf-8"))
    purposes = tuple(
        PurposeText(
            purpose=str(p["purpose"]),
            title=str(p["title"]),
            text=" ".join(str(p["text"]).split()),
            changeable=bool(p.get("changeable", True)),
        )
        for p in data["purposes"]
    )
    return str(data["version"]), purposes


@dataclass(frozen=True)
class ConsentState:
    """One purpose as the client sees it now."""

    purpose: str
    title: str
    text: str
    changeable: bool
    granted: bool
    text_version: str | None
    decided_at: datetime | None


def _own_client(actor: Actor) -> uuid.UUID:
    if actor.client_id is None or not can(
        actor, Action.CLIENT_READ, Resource(actor.organization_id, actor.client_id)
    ):
        raise NotFound(NOT_FOUND)
    return actor.client_id


def _latest(session: Session, client_id: uuid.UUID) -> dict[str, Consent]:
    latest: dict[str, Consent] = {}
    rows = session.scalars(
        select(Consent)
        .where(Consent.client_id == client_id)
        .order_by(Consent.recorded_at, Consent.created_at)
    )
    for row in rows:
        latest[row.purpose] = row
    return latest


def _states(session: Session, client_id: uuid.UUID) -> list[ConsentState]:
    latest = _latest(session, client_id)
    states = []
    for text in consent_texts()[1]:
        row = latest.get(text.purpose)
        states.append(
            ConsentState(
                purpose=text.purpose,
                title=text.title,
                text=text.text,
                changeable=text.changeable,
                granted=bool(row and row.granted),
                text_version=None if row is None else row.text_version,
                decided_at=None if row is None else row.recorded_at,
            )
        )
    return states


def _audit(session: Session, user: User, actor: Actor, action: AuditAction, now: datetime) -> None:
    record(
        session,
        actor=user,
        action=action,
        resource_type="consent",
        resource_id=None,
        client_id=actor.client_id,
        organization_id=actor.organization_id,
        purpose=AuditPurpose.CLIENT_ACCESS,
        outcome=AuditOutcome.SUCCESS,
        now=now,
    )


def my_consents(session: Session, user: User, actor: Actor, now: datetime) -> list[ConsentState]:
    """Every consent purpose with the client's latest decision."""
    client_id = _own_client(actor)
    _audit(session, user, actor, AuditAction.READ, now)
    return _states(session, client_id)


def set_my_consent(
    session: Session, user: User, actor: Actor, purpose: str, granted: bool, now: datetime
) -> ConsentState:
    """Give or withdraw one consent; earlier decisions are kept."""
    client_id = _own_client(actor)
    version, texts = consent_texts()
    known = {t.purpose: t for t in texts}
    text = known.get(purpose)
    if text is None:
        raise NotFound(NOT_FOUND)
    if not text.changeable:
        raise InvalidInput(
            "This one cannot be changed here: it is needed to care for you. Please talk to the "
            "clinic, or ask for your record to be erased."
        )
    session.add(
        Consent(
            organization_id=actor.organization_id,
            client_id=client_id,
            intake_id=None,
            purpose=purpose,
            granted=granted,
            text_version=version,
            recorded_at=now,
        )
    )
    if purpose == REMINDERS and not granted:
        # Withdrawal takes effect at once: no channel stays switched on. Giving it again does
        # not switch channels back on; the client chooses them again with the clinic.
        session.execute(
            update(ClientPreference)
            .where(ClientPreference.client_id == client_id)
            .values(remind_email=False, remind_webhook=False)
        )
    session.flush()
    _audit(session, user, actor, AuditAction.UPDATE, now)
    return next(s for s in _states(session, client_id) if s.purpose == purpose)


def reminders_withdrawn_at(session: Session, client_id: uuid.UUID) -> datetime | None:
    """When the client withdrew consent to reminders (by email or text message), if their
    latest decision about it is a withdrawal; None when they gave it or were never asked."""
    latest = _latest(session, client_id).get(REMINDERS)
    if latest is None or latest.granted:
        return None
    return latest.recorded_at


def reader_consent_in_force(
    session: Session, intake: Intake, *, intake_consents: Mapping[str, Consent] | None = None
) -> bool:
    """Whether software may read this intake's words: the client's latest decision.

    The intake asks first (no answer there: a person reads); a decision made later in "My
    consents" overrides it, so a withdrawal applies to everything submitted afterwards.
    ``intake_consents`` (the intake's own consents by purpose), when the caller has read them
    already, saves reading the intake's answer again.
    """
    if intake_consents is not None:
        asked = intake_consents.get(SOFTWARE_READING)
    else:
        asked = session.scalar(
            select(Consent)
            .where(Consent.intake_id == intake.id)
            .where(Consent.purpose == SOFTWARE_READING)
        )
    if asked is None:
        return False
    later = session.scalar(
        select(Consent)
        .where(Consent.client_id == intake.client_id)
        .where(Consent.purpose == SOFTWARE_READING)
        .where(Consent.intake_id.is_(None))
        .where(Consent.recorded_at >= asked.recorded_at)
        .order_by(Consent.recorded_at.desc(), Consent.created_at.desc())
        .limit(1)
    )
    return bool((later or asked).granted)


__all__ = [
    "INTAKE_PROCESSING",
    "REMINDERS",
    "RESEARCH",
    "SOFTWARE_READING",
    "ConsentState",
    "my_consents",
    "reader_consent_in_force",
    "reminders_withdrawn_at",
    "set_my_consent",
]
