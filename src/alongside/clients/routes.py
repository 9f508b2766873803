"""JSON API for clients; what an actor may not see answers 404."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from alongside.clients import service
from alongside.clients.schemas import ClientRead
from alongside.deps import CurrentSignedIn, DbSession
from alongside.errors import NotFound
from alongside.kit.ids import parse_id
from alongside.kit.keyset import MAX_LIMIT
from alongside.kit.schema import PageRead
from alongside.kit.time import utcnow
from alongside.security.declare import Permit, requires
from alongside.security.permissions import Action, role_allows

router = APIRouter(prefix="/api/clients", tags=["clients"])


@router.get("", response_model=PageRead[ClientRead])
def list_clients(
    permit: Annotated[Permit, requires(Action.CLIENT_LIST)],
    db: DbSession,
    signed_in: CurrentSignedIn,
    limit: Annotated[int | None, Query(description=f"Rows per page (1-{MAX_LIMIT}, 50).")] = None,
    cursor: Annotated[str | None, Query(description="The `next` of the previous page.")] = None,
    q: Annotated[
        str | None,
        Query(
            max_length=200,
            description="An exact email, a date of birth (1990-04-23) or the start of names.",
        ),
    ] = None,
) -> PageRead[ClientRead]:
    """The clients the signed-in user may see, newest first, a page at a time (404 for roles
    that list no clients: clients and administrators)."""
    if not role_allows(signed_in.actor.role, Action.CLIENT_LIST):
        raise NotFound("There is nothing at this address.")
    page = service.list_readable_clients(
        db, signed_in.user, signed_in.actor, utcnow(), limit=limit, cursor=cursor, q=q
    )
    return PageRead[ClientRead](
        items=[ClientRead.model_validate(c) for c in page.items], next=page.next
    )


@router.get("/{client_id}", response_model=ClientRead)
def get_client(
    permit: Annotated[Permit, requires(Action.CLIENT_READ)],
    client_id: str,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> ClientRead:
    """One client; 404 when it does not exist or is not yours to see."""
    parsed = parse_id(client_id, service.NOT_FOUND)
    client = service.get_readable_client(db, signed_in.user, signed_in.actor, parsed, utcnow())
    return ClientRead.model_validate(client)
