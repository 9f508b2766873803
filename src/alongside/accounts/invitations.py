"""Inviting staff: an administrator names a colleague and their role, Alongside emails them a
single-use link, and they choose their own password with it (the administrator never knows it).

API (services flush, never commit; pages own the transaction)
---
- :func:`invite` ``(session, *, actor, by, email, display_name, role, link_base, now)``:
  a new invitation, its link emailed through the outbox in the same transaction; audited.
- :func:`send_again` ``(session, *, actor, by, invitation_id, link_base, now)``: a new link
  and a new expiry (the old link stops working); audited.
- :func:`withdraw` ``(session, *, actor, by, invitation_id, now)``: the link stops working.
- :func:`organisation_invitations` ``(session, actor, now)``: the list, newest first;
  :func:`invitation_row` ``(session, invitation, now)``: one of them as the list shows it.
- :func:`staff_role` ``(value)``: a staff role from its name, or :class:`InvalidInput`.
- :func:`open_invitation` ``(session, token, now)``: the waiting invitation behind a link,
  or :class:`NotFound` in words for a link that was used, withdrawn, replaced or has expired.
- :func:`accept` ``(session, *, token, password, password_again, now, demo)``: the account is
  made with the person's own password (the password rules apply); for roles that need a
  second factor it must be set up at once (:attr:`User.totp_setup_required`); audited.

Only the SHA-256 of a link's token is stored. The token sits in the outbox message's body until
it is delivered, like every message to staff (the outbox encrypts only messages about
clients); it is single use, expires after :data:`LIFETIME` and can be withdrawn.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from alongside.accounts.service import (
    MAX_EMAIL_LENGTH,
    create_user,
    find_user_by_email,
    normalise_email,
    require_user_manage,
)
from alongside.audit.service import record
from alongside.errors import Conflict, InvalidInput, NotFound
from alongside.models import (
    AuditAction,
    AuditOutcome,
    AuditPurpose,
    InvitationState,
    Organization,
    Role,
    StaffInvitation,
    User,
)
from alongside.notify.service import enqueue
from alongside.security.mfa import REQUIRED_ROLES
from alongside.security.policy import Actor

LIFETIME = timedelta(days=7)
# 32 random bytes: 256 bits, as intake links.
TOKEN_BYTES = 32
KIND = "staff_invitation"
PATH = "/invitations/"
NOT_FOUND = "There is no such invitation in your organisation."
LINK_NOT_VALID = (
    "This invitation link does not work any more: it was used already, withdrawn, or replaced "
    "by a newer one. Ask your administrator to send you a new invitation."
)
LINK_EXPIRED = (
    "This invitation has expired. Ask your administrator to send it again; the new email has "
    "a new link."
)
# The staff roles in the clinic's words (emails and pages).
ROLE_WORDS: dict[Role, str] = {
    Role.CLINICIAN: "Clinician",
    Role.COORDINATOR: "Intake coordinator",
    Role.CLINICAL_LEAD: "Clinical lead",
    Role.ADMIN: "Administrator",
}


def staff_role(value: str) -> Role:
    """The staff role named ``value`` (``clinician``, ``coordinator``, ``clinical_lead``,
    ``admin``); anything else is refused in words."""
    try:
        role = Role(value)
    except ValueError:
        role = Role.CLIENT
    if role not in ROLE_WORDS:
        raise InvalidInput(
            "Choose one of the staff roles: clinician, intake coordinator, clinical lead or "
            "administrator."
        )
    return role


def token_hash(token: str) -> str:
    """The stored form of a link's token."""
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


def _audit(
    session: Session,
    *,
    by: User | None,
    action: AuditAction,
    invitation: StaffInvitation,
    now: datetime,
) -> None:
    record(
        session,
        actor=by,
        action=action,
        resource_type="staff_invitation",
        resource_id=invitation.id,
        client_id=None,
        organization_id=invitation.organization_id,
        purpose=AuditPurpose.SECURITY,
        outcome=AuditOutcome.SUCCESS,
        now=now,
    )


def _when(moment: datetime, zone_name: str | None) -> str:
    try:
        zone = ZoneInfo(zone_name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    local = moment.astimezone(zone)
    return f"{local.strftime('%A %d %B %Y at %H:%M')} {local.tzname()}"


def invitation_text(
    *, name: str, clinic: str, role: Role, invited_by: str, link: str, until: str
) -> str:
    """The email a new colleague gets: who invited them, as what, and the link."""
    factor = (
        "\n\nYour role also needs a second factor: after choosing your password you will add "
        "Alongside to an authenticator app on your phone and type the code it shows."
        if role in REQUIRED_ROLES
        else ""
    )
    return (
        f"Hello {name},\n\n"
        f"{invited_by} has invited you to {clinic} on Alongside, as "
        f"{ROLE_WORDS.get(role, 'staff').lower()}.\n\n"
        "Open this link to choose your own password. It is for you only and works once, until "
        f"{until}:\n{link}{factor}\n\n"
        "If you did not expect this invitation, ignore this email; nothing happens without the "
        "link.\n"
    )


def _send(
    session: Session,
    invitation: StaffInvitation,
    *,
    by: User,
    link_base: str,
    now: datetime,
) -> None:
    """Give the invitation a new token and expiry, and queue the email with its link."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    invitation.token_hash = token_hash(token)
    invitation.sent_at = now
    invitation.expires_at = now + LIFETIME
    session.flush()
    organization = session.get(Organization, invitation.organization_id)
    clinic = organization.name if organization is not None else "your clinic"
    zone = organization.timezone if organization is not None else None
    enqueue(
        session,
        kind=KIND,
        channel="email",
        recipient=invitation.email,
        subject=f"You are invited to {clinic} on Alongside",
        body=invitation_text(
            name=invitation.display_name,
            clinic=clinic,
            role=invitation.role,
            invited_by=by.display_name,
            link=f"{link_base.rstrip('/')}{PATH}{token}",
            until=_when(invitation.expires_at, zone),
        ),
        # Ids only: the token lives in the body alone.
        payload={"invitation_id": str(invitation.id)},
        idempotency_key=f"{KIND}:{invitation.id}:{invitation.token_hash[:16]}",
        organization_id=invitation.organization_id,
        now=now,
    )


def _waiting_for(session: Session, email: str, now: datetime) -> StaffInvitation | None:
    rows = session.scalars(select(StaffInvitation).where(StaffInvitation.email == email)).all()
    return next((row for row in rows if row.state(now) is InvitationState.WAITING), None)


def invite(
    session: Session,
    *,
    actor: Actor,
    by: User,
    email: str,
    display_name: str,
    role: Role,
    link_base: str,
    now: datetime,
) -> StaffInvitation:
    """Invite a colleague by email with a role; the link is queued in this transaction."""
    require_user_manage(actor)
    if role not in ROLE_WORDS:
        raise InvalidInput("Choose one of the staff roles.")
    name = display_name.strip()
    if not name:
        raise InvalidInput("Give the person's name as colleagues will see it.")
    address = normalise_email(email)
    if "@" not in address or len(address) > MAX_EMAIL_LENGTH or " " in address:
        raise InvalidInput("Enter their work email address, like name@clinic.org.")
    if find_user_by_email(session, address) is not None:
        raise Conflict("Someone already signs in with this email address.")
    if _waiting_for(session, address, now) is not None:
        raise Conflict(
            "An invitation to this address is already waiting. Send it again from the list "
            "of invitations, or withdraw it first."
        )
    invitation = StaffInvitation(
        id=uuid.uuid4(),
        organization_id=actor.organization_id,
        email=address,
        display_name=name,
        role=role,
        invited_by_id=by.id,
        token_hash="",
        sent_at=now,
        expires_at=now + LIFETIME,
    )
    session.add(invitation)
    _send(session, invitation, by=by, link_base=link_base, now=now)
    _audit(session, by=by, action=AuditAction.CREATE, invitation=invitation, now=now)
    return invitation


def _own(session: Session, actor: Actor, invitation_id: uuid.UUID) -> StaffInvitation:
    require_user_manage(actor)
    invitation = session.get(StaffInvitation, invitation_id)
    if invitation is None or invitation.organization_id != actor.organization_id:
        raise NotFound(NOT_FOUND)
    return invitation


def send_again(
    session: Session,
    *,
    actor: Actor,
    by: User,
    invitation_id: uuid.UUID,
    link_base: str,
    now: datetime,
) -> StaffInvitation:
    """Email a waiting or expired invitation again with a new link (the old one stops working)."""
    invitation = _own(session, actor, invitation_id)
    state = invitation.state(now)
    if state is InvitationState.ACCEPTED:
        raise Conflict("This invitation was accepted already; the person can sign in.")
    if state is InvitationState.WITHDRAWN:
        raise Conflict("This invitation was withdrawn. Invite the person again instead.")
    if find_user_by_email(session, invitation.email) is not None:
        raise Conflict("Someone already signs in with this email address.")
    _send(session, invitation, by=by, link_base=link_base, now=now)
    _audit(session, by=by, action=AuditAction.UPDATE, invitation=invitation, now=now)
    return invitation


def withdraw(
    session: Session, *, actor: Actor, by: User, invitation_id: uuid.UUID, now: datetime
) -> StaffInvitation:
    """Withdraw an invitation that was not accepted; its link stops working."""
    invitation = _own(session, actor, invitation_id)
    state = invitation.state(now)
    if state is InvitationState.ACCEPTED:
        raise Conflict(
            "This invitation was accepted already; disable the account instead if the person "
            "should not sign in."
        )
    if state is InvitationState.WITHDRAWN:
        return invitation
    invitation.withdrawn_at = now
    session.flush()
    _audit(session, by=by, action=AuditAction.DELETE, invitation=invitation, now=now)
    return invitation


@dataclass(frozen=True)
class InvitationRow:
    """One invitation as the administrator's list shows it."""

    invitation: StaffInvitation
    state: InvitationState
    invited_by: str


def organisation_invitations(
    session: Session, actor: Actor, now: datetime, *, limit: int = 50
) -> list[InvitationRow]:
    """The organisation's invitations, newest first (the latest ``limit``)."""
    require_user_manage(actor)
    rows = session.scalars(
        select(StaffInvitation)
        .where(StaffInvitation.organization_id == actor.organization_id)
        .order_by(StaffInvitation.created_at.desc(), StaffInvitation.id)
        .limit(limit)
    ).all()
    return _rows(session, list(rows), now)


def invitation_row(session: Session, invitation: StaffInvitation, now: datetime) -> InvitationRow:
    """One invitation as the list shows it (its state now and who sent it)."""
    return _rows(session, [invitation], now)[0]


def _rows(
    session: Session, invitations: list[StaffInvitation], now: datetime
) -> list[InvitationRow]:
    inviter_ids = {row.invited_by_id for row in invitations if row.invited_by_id is not None}
    names = dict(
        session.execute(select(User.id, User.display_name).where(User.id.in_(inviter_ids))).all()
    )
    return [
        InvitationRow(
            invitation=row,
            state=row.state(now),
            invited_by=names.get(row.invited_by_id, "") if row.invited_by_id else "",
        )
        for row in invitations
    ]


def open_invitation(session: Session, token: str, now: datetime) -> StaffInvitation:
    """The waiting invitation behind a link; a used, withdrawn, replaced or expired link is
    refused in words (404)."""
    if not token or len(token) > 200:
        raise NotFound(LINK_NOT_VALID)
    invitation = session.scalar(
        select(StaffInvitation).where(StaffInvitation.token_hash == token_hash(token))
    )
    if invitation is None:
        raise NotFound(LINK_NOT_VALID)
    state = invitation.state(now)
    if state is InvitationState.EXPIRED:
        raise NotFound(LINK_EXPIRED)
    if state is not InvitationState.WAITING:
        raise NotFound(LINK_NOT_VALID)
    return invitation


def accept(
    session: Session,
    *,
    token: str,
    password: str,
    password_again: str,
    now: datetime,
    demo: bool,
) -> User:
    """Make the invited person's account with the password they chose; the link is used up.
    Roles that need a second factor set it up next (skipped in demo mode, as at sign-in)."""
    invitation = open_invitation(session, token, now)
    if password != password_again:
        raise InvalidInput("The two passwords are not the same. Type the same one twice.")
    organization = session.get(Organization, invitation.organization_id)
    if organization is None:
        raise NotFound(LINK_NOT_VALID)
    user = create_user(
        session,
        organization=organization,
        email=invitation.email,
        display_name=invitation.display_name,
        role=invitation.role,
        password=password,
    )
    user.totp_setup_required = invitation.role in REQUIRED_ROLES and not demo
    invitation.accepted_at = now
    invitation.user_id = user.id
    session.flush()
    record(
        session,
        actor=user,
        action=AuditAction.CREATE,
        resource_type="user",
        resource_id=user.id,
        client_id=None,
        organization_id=user.organization_id,
        purpose=AuditPurpose.SECURITY,
        outcome=AuditOutcome.SUCCESS,
        now=now,
    )
    _audit(session, by=user, action=AuditAction.UPDATE, invitation=invitation, now=now)
    return user
