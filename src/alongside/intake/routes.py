"""JSON API for intake links; what an actor may not see answers 404."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Request

from alongside.deps import CurrentSignedIn, DbSession, get_settings_from
from alongside.intake import service
from alongside.intake.schemas import IntakeCreate, IntakeCreated
from alongside.kit.time import utcnow
from alongside.security.declare import Permit, requires
from alongside.security.permissions import Action

router = APIRouter(prefix="/api/intakes", tags=["intakes"])


@router.post("", response_model=IntakeCreated, status_code=201)
def create_intake(
    permit: Annotated[Permit, requires(Action.INTAKE_CREATE)],
    body: IntakeCreate,
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> IntakeCreated:
    """Create a single-use intake link; the link is in the answer once and never again."""
    new_client = (
        service.NewClientDetails(**body.new_client.model_dump())
        if body.new_client is not None
        else None
    )
    created = service.create_intake(
        db,
        actor=signed_in.user,
        client_id=body.client_id,
        new_client=new_client,
        instruments=body.instruments,
        reviewer_id=body.reviewer_id,
        reason=body.reason,
        expires_in=timedelta(days=body.expires_in_days),
        now=utcnow(),
        # The clinic's configured address, never the request's Host header.
        email_link_base=(
            get_settings_from(request).effective_public_url if body.send_email else None
        ),
    )
    intake = created.intake
    return IntakeCreated(
        id=intake.id,
        client_id=intake.client_id,
        reviewer_id=intake.reviewer_id,
        instruments=list(intake.instruments),
        expires_at=intake.expires_at,
        url=str(request.base_url).rstrip("/") + created.path,
        emailed=created.emailed_to is not None,
    )
