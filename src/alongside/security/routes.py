"""JSON API for break-glass access, API tokens and the second factor."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Request

from alongside.audit.service import record
from alongside.deps import CurrentSignedIn, DbSession, SignedIn, client_address
from alongside.errors import NotFound
from alongside.kit.ids import parse_id
from alongside.kit.time import utcnow
from alongside.models import AuditAction, AuditOutcome, AuditPurpose
from alongside.security import access, mfa, tokens
from alongside.security.declare import Permit, requires
from alongside.security.guard import refuse
from alongside.security.permissions import Action
from alongside.security.schemas import (
    BreakGlassCreate,
    BreakGlassRead,
    BreakGlassReview,
    HeldBackRead,
    Reauthentication,
    RecoveryCodes,
    ReviewAssignmentRead,
    TokenCreate,
    TokenCreated,
    TokenRead,
    TotpConfirm,
    TotpEnrolment,
)

router = APIRouter(prefix="/api", tags=["security"])


@router.post("/clients/{client_id}/break-glass", response_model=BreakGlassRead, status_code=201)
def break_glass(
    permit: Annotated[Permit, requires(Action.BREAK_GLASS_REQUEST)],
    client_id: str,
    body: BreakGlassCreate,
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> BreakGlassRead:
    """Open a client outside your care team for a limited time, stating why."""
    now = utcnow()
    parsed = parse_id(client_id, access.CLIENT_NOT_FOUND)
    try:
        grant = access.request_break_glass(
            db,
            signed_in.actor,
            client_id=parsed,
            reason=body.reason,
            now=now,
            minutes=request.app.state.settings.break_glass_minutes,
        )
    except NotFound:
        raise refuse(
            db,
            user=signed_in.user,
            actor=signed_in.actor,
            resource_type="client",
            resource_id=parsed,
            client_id=None,
            now=now,
        ) from None
    record(
        db,
        actor=signed_in.user,
        action=AuditAction.BREAK_GLASS,
        resource_type="client",
        resource_id=parsed,
        client_id=parsed,
        organization_id=grant.organization_id,
        purpose=AuditPurpose.EMERGENCY,
        outcome=AuditOutcome.SUCCESS,
        now=now,
    )
    return BreakGlassRead.model_validate(grant)


@router.get("/break-glass", response_model=list[BreakGlassReview])
def break_glass_reviews(
    permit: Annotated[Permit, requires(Action.BREAK_GLASS_REVIEW)],
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> list[BreakGlassReview]:
    """Emergency accesses waiting for the clinical lead's review."""
    grants = access.break_glass_review_list(db, signed_in.actor)
    return [BreakGlassReview.model_validate(g) for g in grants]


@router.post("/break-glass/{grant_id}/acknowledge", response_model=BreakGlassRead)
def acknowledge(
    permit: Annotated[Permit, requires(Action.BREAK_GLASS_REVIEW)],
    grant_id: str,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> BreakGlassRead:
    """Mark an emergency access as reviewed."""
    parsed = parse_id(grant_id, "No emergency access with this id is available to you.")
    grant = access.acknowledge_break_glass(db, signed_in.actor, parsed, utcnow())
    return BreakGlassRead.model_validate(grant)


@router.get("/review-assignments", response_model=list[ReviewAssignmentRead])
def review_assignments(
    permit: Annotated[Permit, requires(Action.BREAK_GLASS_REVIEW)],
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> list[ReviewAssignmentRead]:
    """Intake reviews assigned outside the care team in the last 30 days (clinical lead)."""
    assignments = access.assignment_review_list(db, signed_in.actor, utcnow())
    return [ReviewAssignmentRead.model_validate(a) for a in assignments]


@router.get("/sign-in/held-back", response_model=list[HeldBackRead])
def held_back(
    permit: Annotated[Permit, requires(Action.BREAK_GLASS_REVIEW)],
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> list[HeldBackRead]:
    """Accounts whose sign-ins are held back after failures, now (clinical lead)."""
    accounts = access.held_back_sign_ins(db, signed_in.actor, utcnow())
    return [HeldBackRead.model_validate(a) for a in accounts]


@router.get("/tokens", response_model=list[TokenRead])
def list_tokens(
    permit: Annotated[Permit, requires(staff=True)], db: DbSession, signed_in: CurrentSignedIn
) -> list[TokenRead]:
    """Your API tokens (never their secrets)."""
    return [TokenRead.model_validate(t) for t in tokens.list_tokens(db, signed_in.user)]


@router.post("/tokens", response_model=TokenCreated, status_code=201)
def create_token(
    permit: Annotated[Permit, requires(staff=True)],
    body: TokenCreate,
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> TokenCreated:
    """Issue a token limited to the given actions; copy its secret now, it is not shown again."""
    if signed_in.via_token:
        raise NotFound("Tokens are created by a signed-in person, not by another token.")
    days = body.expires_in_days or request.app.state.settings.api_token_days
    secret, token = tokens.create_token(
        db,
        signed_in.user,
        name=body.name,
        scopes=body.scopes,
        now=utcnow(),
        lifetime=timedelta(days=days),
    )
    return TokenCreated.model_validate(
        {**TokenRead.model_validate(token).model_dump(), "token": secret}
    )


@router.delete("/tokens/{token_id}", status_code=204)
def revoke_token(
    permit: Annotated[Permit, requires(staff=True)],
    token_id: str,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> None:
    """Revoke a token; it stops working on its next request."""
    parsed = parse_id(token_id, "No token with this id is yours.")
    tokens.revoke_token(db, signed_in.user, parsed, utcnow())


@router.post("/me/totp", response_model=TotpEnrolment)
def begin_totp(
    permit: Annotated[Permit, requires(staff=True)],
    body: Reauthentication,
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> TotpEnrolment:
    """Start adding or replacing the second factor (your password, and a current code or a
    recovery code if one is on); the current factor works until the new one is confirmed."""
    _require_own_session(signed_in)
    secret, uri = mfa.start_change(
        db,
        signed_in.user,
        password=body.password,
        code=body.code,
        provider=request.app.state.kek_provider,
        now=utcnow(),
        address=client_address(request),
    )
    return TotpEnrolment(secret=secret, otpauth_uri=uri)


@router.post("/me/totp/confirm", response_model=RecoveryCodes)
def confirm_totp(
    permit: Annotated[Permit, requires(staff=True)],
    body: TotpConfirm,
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> RecoveryCodes:
    """Turn the new second factor on with a code from the app; answers 10 recovery codes,
    shown this once. You are told by email."""
    _require_own_session(signed_in)
    codes = mfa.confirm_change(
        db, signed_in.user, body.code, request.app.state.kek_provider, utcnow()
    )
    return RecoveryCodes(recovery_codes=codes)


@router.post("/me/totp/remove", status_code=204)
def remove_totp(
    permit: Annotated[Permit, requires(staff=True)],
    body: Reauthentication,
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> None:
    """Turn the second factor off (not for roles that require one). You are told by email."""
    _require_own_session(signed_in)
    mfa.remove_second_factor(
        db,
        signed_in.user,
        password=body.password,
        code=body.code,
        provider=request.app.state.kek_provider,
        now=utcnow(),
        address=client_address(request),
    )


@router.post("/me/recovery-codes", response_model=RecoveryCodes)
def renew_recovery_codes(
    permit: Annotated[Permit, requires(staff=True)],
    body: Reauthentication,
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> RecoveryCodes:
    """New recovery codes (the old ones stop working), shown this once."""
    _require_own_session(signed_in)
    codes = mfa.new_recovery_codes(
        db,
        signed_in.user,
        password=body.password,
        code=body.code,
        provider=request.app.state.kek_provider,
        now=utcnow(),
        address=client_address(request),
    )
    return RecoveryCodes(recovery_codes=codes)


def _require_own_session(signed_in: SignedIn) -> None:
    if not signed_in.user.is_staff or signed_in.via_token:
        raise NotFound("There is nothing at this address.")
