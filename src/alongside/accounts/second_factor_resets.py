"""Resetting someone's second factor takes two people: an administrator asks, with a reason,
and a clinical lead approves or declines. Nothing is removed before the approval, nobody
decides a request they made, and nobody decides the reset of their own factor.

API (services flush, never commit; pages own the transaction)
---
- :func:`request_reset` ``(session, *, actor, by, user_id, reason, link_base, now)``: an
  administrator's request (``user.manage``); one waiting request per person; audited; every
  clinical lead who could decide it is emailed a link to the page where they decide.
- :func:`decide` ``(session, *, actor, by, reset_id, approve, now)``: a clinical lead's
  decision (``second_factor_reset.decide``). Approving removes the factor and its recovery
  codes, signs the person out everywhere, makes their next sign-in set up a new one, and
  emails them; audited either way.
- :func:`waiting_for_decision` ``(session, actor)`` and :func:`recent` ``(session,
  organization_id)``: the lists the lead's and the administrator's pages show, with names;
  :func:`organisation_resets` ``(session, actor)``: the same for the API, for those who ask
  (administrators) or decide (clinical leads); :func:`reset_row` ``(session, reset)``: one.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from alongside.accounts.service import end_all_sessions, require_user_manage, staff_member
from alongside.audit.service import record
from alongside.errors import Conflict, InvalidInput, NotFound
from alongside.models import (
    AuditAction,
    AuditOutcome,
    AuditPurpose,
    RecoveryCode,
    ResetStatus,
    Role,
    SecondFactorReset,
    User,
)
from alongside.notify.service import enqueue
from alongside.security.permissions import Action, role_allows
from alongside.security.policy import Actor, Resource, can
from alongside.zones import when_for

NOT_FOUND = "There is no such request in your organisation."
WAITING_KIND = "second_factor_reset_waiting"
# The clinical lead's page of requests (accounts/admin_pages.py).
DECIDE_PATH = "/second-factor-resets"
MAX_REASON = 500
OWN_REQUEST = (
    "You asked for this reset, so another clinical lead decides it: a reset needs two people."
)
OWN_FACTOR = "This is a reset of your own second factor, so another clinical lead decides it."


def _audit(
    session: Session,
    *,
    by: User,
    action: AuditAction,
    resource_type: str,
    resource_id: uuid.UUID,
    organization_id: uuid.UUID,
    now: datetime,
) -> None:
    record(
        session,
        actor=by,
        action=action,
        resource_type=resource_type,
        resource_id=resource_id,
        client_id=None,
        organization_id=organization_id,
        purpose=AuditPurpose.SECURITY,
        outcome=AuditOutcome.SUCCESS,
        now=now,
    )


def request_reset(
    session: Session,
    *,
    actor: Actor,
    by: User,
    user_id: uuid.UUID,
    reason: str,
    link_base: str,
    now: datetime,
) -> SecondFactorReset:
    """Ask a clinical lead to approve removing a colleague's second factor; the leads who
    could decide it are emailed (``link_base``: the clinic's address, for the link)."""
    require_user_manage(actor)
    person = staff_member(session, actor.organization_id, user_id)
    words = reason.strip()
    if not words:
        raise InvalidInput(
            "Reason: say why the second factor should be reset, for example 'lost their phone'."
        )
    if len(words) > MAX_REASON:
        raise InvalidInput(f"Reason: keep it under {MAX_REASON} characters.")
    if not person.is_active:
        raise Conflict("This account is disabled; there is nothing to reset.")
    if not person.totp_enabled:
        raise Conflict(
            f"{person.display_name} has no second factor to reset; they set one up from "
            "their account page or at their next sign-in."
        )
    waiting = session.scalar(
        select(SecondFactorReset.id).where(
            SecondFactorReset.user_id == person.id,
            SecondFactorReset.status == ResetStatus.WAITING,
        )
    )
    if waiting is not None:
        raise Conflict(f"A reset for {person.display_name} is already waiting for a clinical lead.")
    reset = SecondFactorReset(
        organization_id=actor.organization_id,
        user_id=person.id,
        requested_by_id=by.id,
        reason=words,
        requested_at=now,
        status=ResetStatus.WAITING,
    )
    session.add(reset)
    session.flush()
    _audit(
        session,
        by=by,
        action=AuditAction.CREATE,
        resource_type="second_factor_reset",
        resource_id=reset.id,
        organization_id=reset.organization_id,
        now=now,
    )
    _tell_deciders(session, reset, person=person, by=by, link_base=link_base, now=now)
    return reset


def _tell_deciders(
    session: Session,
    reset: SecondFactorReset,
    *,
    person: User,
    by: User,
    link_base: str,
    now: datetime,
) -> None:
    """Email each active clinical lead who may decide ``reset`` (not the person whose factor it
    is, not the one who asked): who asked, for whom, when, and the link; the reason stays on
    the page, and nothing about any client is in it."""
    deciding_roles = [role for role in Role if role_allows(role, Action.SECOND_FACTOR_RESET_DECIDE)]
    leads = session.scalars(
        select(User)
        .where(
            User.organization_id == reset.organization_id,
            User.role.in_(deciding_roles),
            User.is_active.is_(True),
            User.id.not_in([person.id, by.id]),
        )
        .order_by(User.created_at, User.id)
    ).all()
    link = f"{link_base.rstrip('/')}{DECIDE_PATH}"
    for lead in leads:
        enqueue(
            session,
            kind=WAITING_KIND,
            channel="email",
            recipient=lead.email,
            subject="A sign-in reset is waiting for your approval",
            body=(
                f"Hello {lead.display_name},\n\n"
                f"{by.display_name} asked on {when_for(lead, now)} to reset the second factor "
                f"of {person.display_name}'s Alongside account. Nothing changes until a "
                "clinical lead approves it.\n\n"
                f"Approve or decline it here (the reason given is on the page):\n{link}\n\n"
                f"If you did not expect this, check with {person.display_name} before you "
                "approve: a reset lets the next person who signs in with their password set up "
                "a new second factor.\n"
            ),
            payload={"reset_id": str(reset.id)},
            idempotency_key=f"{WAITING_KIND}:{reset.id}:{lead.id}",
            organization_id=reset.organization_id,
            now=now,
        )


def _require_decide(actor: Actor) -> None:
    resource = Resource(organization_id=actor.organization_id)
    if not can(actor, Action.SECOND_FACTOR_RESET_DECIDE, resource):
        raise NotFound(NOT_FOUND)


def decide(
    session: Session,
    *,
    actor: Actor,
    by: User,
    reset_id: uuid.UUID,
    approve: bool,
    now: datetime,
) -> SecondFactorReset:
    """A clinical lead's decision; approving removes the factor and tells the person."""
    _require_decide(actor)
    reset = session.get(SecondFactorReset, reset_id)
    if reset is None or reset.organization_id != actor.organization_id:
        raise NotFound(NOT_FOUND)
    if reset.status is not ResetStatus.WAITING:
        raise Conflict("This request was decided already.")
    if reset.requested_by_id == by.id:
        raise Conflict(OWN_REQUEST)
    if reset.user_id == by.id:
        raise Conflict(OWN_FACTOR)
    reset.status = ResetStatus.APPROVED if approve else ResetStatus.DECLINED
    reset.decided_by_id = by.id
    reset.decided_at = now
    session.flush()
    _audit(
        session,
        by=by,
        action=AuditAction.DECIDE,
        resource_type="second_factor_reset",
        resource_id=reset.id,
        organization_id=reset.organization_id,
        now=now,
    )
    if approve:
        person = session.get(User, reset.user_id)
        if person is None:
            raise NotFound(NOT_FOUND)
        _remove_factor(session, person, by=by, now=now)
    return reset


def _remove_factor(session: Session, person: User, *, by: User, now: datetime) -> None:
    person.totp_secret_ct = None
    person.totp_pending_ct = None
    person.totp_enabled = False
    person.totp_last_step = None
    person.totp_setup_required = True
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == person.id))
    # Whoever holds a session of theirs now signs in again and meets the new set-up.
    end_all_sessions(session, person.id)
    session.flush()
    _audit(
        session,
        by=by,
        action=AuditAction.DELETE,
        resource_type="second_factor",
        resource_id=person.id,
        organization_id=person.organization_id,
        now=now,
    )
    enqueue(
        session,
        kind="account_security",
        channel="email",
        recipient=person.email,
        subject="Your Alongside second factor was reset",
        body=(
            f"Hello {person.display_name},\n\n"
            "At an administrator's request, approved by a clinical lead, the second factor of "
            "your Alongside account was removed, with its recovery codes. You were signed out.\n"
            f"\nWhen: {when_for(person, now)}.\n"
            "\nAt your next sign-in, after your password, you will add Alongside to an "
            "authenticator app again and type the code it shows.\n\nIf you did not ask for "
            "this, tell your administrator or clinical lead now."
        ),
        payload={"change": "reset"},
        idempotency_key=f"account_security:{person.id}:{uuid.uuid4()}",
        organization_id=person.organization_id,
        now=now,
    )


@dataclass(frozen=True)
class ResetRow:
    """A request with the names of the people in it."""

    reset: SecondFactorReset
    person: str
    requested_by: str
    decided_by: str


def _rows(session: Session, resets: list[SecondFactorReset]) -> list[ResetRow]:
    ids = {r.user_id for r in resets}
    ids |= {r.requested_by_id for r in resets if r.requested_by_id is not None}
    ids |= {r.decided_by_id for r in resets if r.decided_by_id is not None}
    names: dict[uuid.UUID, str] = dict(
        session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all()
    )

    def name(user_id: uuid.UUID | None) -> str:
        return names.get(user_id, "") if user_id is not None else ""

    return [
        ResetRow(
            reset=r,
            person=name(r.user_id),
            requested_by=name(r.requested_by_id),
            decided_by=name(r.decided_by_id),
        )
        for r in resets
    ]


def waiting_for_decision(session: Session, actor: Actor) -> list[ResetRow]:
    """Requests waiting for a clinical lead, oldest first."""
    _require_decide(actor)
    resets = session.scalars(
        select(SecondFactorReset)
        .where(
            SecondFactorReset.organization_id == actor.organization_id,
            SecondFactorReset.status == ResetStatus.WAITING,
        )
        .order_by(SecondFactorReset.requested_at, SecondFactorReset.id)
    ).all()
    return _rows(session, list(resets))


def recent(session: Session, organization_id: uuid.UUID, *, limit: int = 10) -> list[ResetRow]:
    """The organisation's latest requests, waiting or decided, newest first (for the pages;
    the caller has checked who may see them)."""
    resets = session.scalars(
        select(SecondFactorReset)
        .where(SecondFactorReset.organization_id == organization_id)
        .order_by(SecondFactorReset.requested_at.desc(), SecondFactorReset.id)
        .limit(limit)
    ).all()
    return _rows(session, list(resets))


def reset_row(session: Session, reset: SecondFactorReset) -> ResetRow:
    """One request with the names of the people in it."""
    return _rows(session, [reset])[0]


def organisation_resets(session: Session, actor: Actor, *, limit: int = 50) -> list[ResetRow]:
    """The organisation's latest requests, newest first, for those who ask for resets
    (``user.manage``) or decide them (``second_factor_reset.decide``); 404 for anyone else."""
    resource = Resource(organization_id=actor.organization_id)
    if not (
        can(actor, Action.USER_MANAGE, resource)
        or can(actor, Action.SECOND_FACTOR_RESET_DECIDE, resource)
    ):
        raise NotFound(NOT_FOUND)
    return recent(session, actor.organization_id, limit=limit)
