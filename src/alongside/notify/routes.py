"""JSON API of the outbox for administrators: failing and dead messages, and retry."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from alongside.deps import CurrentSignedIn, DbSession
from alongside.kit.ids import parse_id
from alongside.kit.schema import PageRead
from alongside.kit.time import utcnow
from alongside.models import OutboxStatus
from alongside.notify import service
from alongside.notify.access import outbox_organization
from alongside.notify.schemas import OutboxMessageRead
from alongside.security.declare import Permit, requires
from alongside.security.permissions import Action

router = APIRouter(prefix="/api/outbox", tags=["outbox"])


@router.get("", response_model=PageRead[OutboxMessageRead])
def list_outbox(
    permit: Annotated[Permit, requires(Action.OUTBOX_ADMIN)],
    db: DbSession,
    signed_in: CurrentSignedIn,
    status: Annotated[list[OutboxStatus] | None, Query()] = None,
    limit: Annotated[int | None, Query(description="Rows per page (1-200, 50).")] = None,
    cursor: Annotated[str | None, Query(description="The `next` of the previous page.")] = None,
) -> PageRead[OutboxMessageRead]:
    """The organisation's messages in the given statuses (default: dead and failed), newest
    first, a page at a time."""
    organization_id = outbox_organization(signed_in.user)
    statuses = tuple(status) if status else service.ATTENTION_STATUSES
    page = service.admin_page(db, organization_id, statuses=statuses, limit=limit, cursor=cursor)
    return PageRead[OutboxMessageRead](
        items=[OutboxMessageRead.model_validate(entry) for entry in page.items], next=page.next
    )


@router.post("/{message_id}/retry", response_model=OutboxMessageRead)
def retry_message(
    permit: Annotated[Permit, requires(Action.OUTBOX_ADMIN)],
    message_id: str,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> OutboxMessageRead:
    """Send a failed or dead message again now."""
    organization_id = outbox_organization(signed_in.user)
    parsed = parse_id(message_id, service.NOT_FOUND)
    message = service.retry(db, parsed, organization_id=organization_id, now=utcnow())
    return OutboxMessageRead.model_validate(service.admin_entry(message))
