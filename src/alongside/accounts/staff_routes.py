"""JSON API for running the staff: invitations (administrators) and second-factor resets (asked
for by administrators, decided by clinical leads). The same services as the pages
(``accounts/admin_pages.py``) and the same declared permissions; anyone else gets 404.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Request

from alongside.accounts import invitations, second_factor_resets, service
from alongside.accounts.schemas import (
    InvitationCreate,
    InvitationRead,
    SecondFactorResetCreate,
    SecondFactorResetDecision,
    SecondFactorResetRead,
)
from alongside.deps import CurrentSignedIn, DbSession, get_settings_from
from alongside.kit.ids import parse_id
from alongside.kit.time import utcnow
from alongside.security.declare import Permit, requires
from alongside.security.permissions import Action

router = APIRouter(prefix="/api", tags=["staff"])


def _invitation(row: invitations.InvitationRow) -> InvitationRead:
    invitation = row.invitation
    return InvitationRead(
        id=invitation.id,
        email=invitation.email,
        display_name=invitation.display_name,
        role=invitation.role.value,
        state=row.state,
        invited_by=row.invited_by,
        sent_at=invitation.sent_at,
        expires_at=invitation.expires_at,
        accepted_at=invitation.accepted_at,
        withdrawn_at=invitation.withdrawn_at,
    )


def _reset(row: second_factor_resets.ResetRow) -> SecondFactorResetRead:
    reset = row.reset
    return SecondFactorResetRead(
        id=reset.id,
        user_id=reset.user_id,
        person=row.person,
        requested_by=row.requested_by,
        reason=reset.reason,
        status=reset.status,
        requested_at=reset.requested_at,
        decided_by=row.decided_by,
        decided_at=reset.decided_at,
    )


def _link_base(request: Request) -> str:
    # The clinic's configured address, never the request's Host header: the link goes into an
    # email, and anyone could put any address in that header.
    return get_settings_from(request).effective_public_url


def _invitation_id(value: str) -> uuid.UUID:
    parsed: uuid.UUID = parse_id(value, invitations.NOT_FOUND)
    return parsed


@router.get("/invitations", response_model=list[InvitationRead])
def list_invitations(
    permit: Annotated[Permit, requires(Action.USER_MANAGE)],
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> list[InvitationRead]:
    """The organisation's invitations, newest first (the latest 50)."""
    rows = invitations.organisation_invitations(db, signed_in.actor, utcnow())
    return [_invitation(row) for row in rows]


@router.post("/invitations", response_model=InvitationRead, status_code=201)
def invite(
    permit: Annotated[Permit, requires(Action.USER_MANAGE)],
    body: InvitationCreate,
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> InvitationRead:
    """Invite a colleague with a role: they are emailed a link to choose their own password
    (409 when the address signs in already or has an invitation waiting)."""
    now = utcnow()
    sent = invitations.invite(
        db,
        actor=signed_in.actor,
        by=signed_in.user,
        email=body.email,
        display_name=body.display_name,
        role=invitations.staff_role(body.role),
        link_base=_link_base(request),
        now=now,
    )
    return _invitation(invitations.invitation_row(db, sent, now))


@router.post("/invitations/{invitation_id}/send-again", response_model=InvitationRead)
def send_invitation_again(
    permit: Annotated[Permit, requires(Action.USER_MANAGE)],
    invitation_id: str,
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> InvitationRead:
    """Email the invitation again with a new link and a new expiry; the old link stops."""
    now = utcnow()
    sent = invitations.send_again(
        db,
        actor=signed_in.actor,
        by=signed_in.user,
        invitation_id=_invitation_id(invitation_id),
        link_base=_link_base(request),
        now=now,
    )
    return _invitation(invitations.invitation_row(db, sent, now))


@router.post("/invitations/{invitation_id}/withdraw", response_model=InvitationRead)
def withdraw_invitation(
    permit: Annotated[Permit, requires(Action.USER_MANAGE)],
    invitation_id: str,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> InvitationRead:
    """Withdraw an invitation that was not accepted; its link stops working."""
    now = utcnow()
    withdrawn = invitations.withdraw(
        db,
        actor=signed_in.actor,
        by=signed_in.user,
        invitation_id=_invitation_id(invitation_id),
        now=now,
    )
    return _invitation(invitations.invitation_row(db, withdrawn, now))


@router.post(
    "/users/{user_id}/second-factor-reset", response_model=SecondFactorResetRead, status_code=201
)
def ask_for_reset(
    permit: Annotated[Permit, requires(Action.USER_MANAGE)],
    user_id: str,
    body: SecondFactorResetCreate,
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> SecondFactorResetRead:
    """Ask a clinical lead to approve resetting a colleague's second factor, with a reason; the
    leads who may decide it are emailed (409 when one is waiting already or there is no
    factor to reset)."""
    parsed: uuid.UUID = parse_id(user_id, service.USER_NOT_FOUND)
    reset = second_factor_resets.request_reset(
        db,
        actor=signed_in.actor,
        by=signed_in.user,
        user_id=parsed,
        reason=body.reason,
        link_base=_link_base(request),
        now=utcnow(),
    )
    return _reset(second_factor_resets.reset_row(db, reset))


@router.get("/second-factor-resets", response_model=list[SecondFactorResetRead])
def list_resets(
    permit: Annotated[Permit, requires(Action.SECOND_FACTOR_RESET_DECIDE, Action.USER_MANAGE)],
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> list[SecondFactorResetRead]:
    """The organisation's latest requests, waiting or decided, newest first (the latest 50)."""
    rows = second_factor_resets.organisation_resets(db, signed_in.actor)
    return [_reset(row) for row in rows]


@router.post("/second-factor-resets/{reset_id}/decision", response_model=SecondFactorResetRead)
def decide_reset(
    permit: Annotated[Permit, requires(Action.SECOND_FACTOR_RESET_DECIDE)],
    reset_id: str,
    body: SecondFactorResetDecision,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> SecondFactorResetRead:
    """A clinical lead approves (the person's second factor and recovery codes are removed,
    they are signed out and emailed) or declines (nothing changes). 409 for a request decided
    already, or one the lead asked for or is about."""
    parsed: uuid.UUID = parse_id(reset_id, second_factor_resets.NOT_FOUND)
    reset = second_factor_resets.decide(
        db,
        actor=signed_in.actor,
        by=signed_in.user,
        reset_id=parsed,
        approve=body.decision == "approved",
        now=utcnow(),
    )
    return _reset(second_factor_resets.reset_row(db, reset))
