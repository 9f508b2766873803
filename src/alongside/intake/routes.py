"""JSON API for intake links; what an actor may not see answers 404."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Request

from alongside.config import Settings
from alongside.deps import CurrentSignedIn, DbSession, get_settings_from
from alongside.errors import InvalidInput
from alongside.intake import service
from alongside.intake.schemas import IntakeCreate, IntakeCreated
from alongside.kit.time import utcnow
from alongside.models import OutboxChannel
from alongside.notify.sms import require_texts_ready
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
        send=_sending(body, get_settings_from(request)),
    )
    intake = created.intake
    return IntakeCreated(
        id=intake.id,
        client_id=intake.client_id,
        reviewer_id=intake.reviewer_id,
        instruments=list(intake.instruments),
        expires_at=intake.expires_at,
        url=str(request.base_url).rstrip("/") + created.path,
        emailed=created.sent_by is OutboxChannel.EMAIL,
        texted=created.sent_by is OutboxChannel.SMS,
    )


def _sending(body: IntakeCreate, settings: Settings) -> service.LinkSending | None:
    """How the body asks for the link to be sent, checked against what the clinic set up."""
    if body.send_email and body.send_text:
        raise InvalidInput("Choose one way to send the link: send_email or send_text, not both.")
    if body.send_text:
        require_texts_ready(settings)
    if not (body.send_email or body.send_text):
        return None
    by = OutboxChannel.SMS if body.send_text else OutboxChannel.EMAIL
    # The clinic's configured address, never the request's Host header.
    return service.LinkSending(by=by, link_base=settings.effective_public_url)
