"""Every query for client data starts here, from the actor's readable set; every access is
audited in the same transaction, and every refusal is audited too."""

from __future__ import annotations

import hashlib
import re
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, or_, select, true
from sqlalchemy.orm import Session

from alongside.accounts.service import normalise_email
from alongside.crypto.blind_index import EMAIL, MAX_PREFIX, MIN_PREFIX, SEARCH, search_words
from alongside.errors import InvalidInput, NotFound
from alongside.kit.keyset import CursorCodec, Page, check_limit
from alongside.models import (
    AuditAction,
    CareTeam,
    Client,
    ClientSearchTerm,
    Consent,
    User,
)
from alongside.models.client import SEARCH_TERMS_VERSION, queue_search_terms, search_term
from alongside.models.encrypted import blind_index_for, keyring_for, page_cursor_key
from alongside.models.user import LOGIN_EMAIL
from alongside.notify.phone import sms_number
from alongside.security.guard import audit_access, load_or_refuse
from alongside.security.permissions import Action, Scope, scope_of
from alongside.security.policy import Actor, Resource, can, readable_clients
from alongside.sqltools import Keyset

NOT_FOUND = "No client with this id is available to you."
# Newest first: the order needs no decryption, so a page decrypts only its own rows.
CLIENT_ORDER = Keyset((Client.created_at, Client.id), descending=True)
MAX_QUERY_WORDS = 4
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
BACKFILL_BATCH = 500


# Above this many ids, a care team is named by a subquery rather than a list of parameters.
LISTED_IDS_MAX = 50


def readable_client_condition(
    actor: Actor, column: Any, action: Action = Action.CLIENT_READ
) -> ColumnElement[bool]:
    """SQL for "``column`` names a client the actor may take ``action`` on", the same set as
    :func:`~alongside.security.policy.readable_clients` (tested). A large care team is the
    subquery of the actor's care-team rows (read in this transaction, like the actor's own
    list) plus any other listed ids, so a clinician with thousands of clients does not send
    thousands of parameters, once per query."""
    scope = readable_clients(actor, action)
    if scope.client_ids is None:
        return true()  # the whole organisation: the caller filters by organisation
    team = actor.care_team_client_ids
    if len(scope.client_ids) <= LISTED_IDS_MAX or not team <= scope.client_ids:
        return column.in_(scope.client_ids)  # type: ignore[no-any-return]
    on_team = column.in_(
        select(CareTeam.client_id)
        .where(CareTeam.clinician_id == actor.user_id)
        .where(CareTeam.organization_id == scope.organization_id)
    )
    others = scope.client_ids - team
    return or_(on_team, column.in_(others)) if others else on_team


def readable_clients_query(actor: Actor, action: Action = Action.CLIENT_READ) -> Select[Client]:
    """Clients the actor may take ``action`` on: the start of every client query."""
    scope = readable_clients(actor, action)
    query = select(Client).where(Client.organization_id == scope.organization_id)
    if scope.client_ids is not None:
        query = query.where(readable_client_condition(actor, Client.id, action))
    return query


def email_condition(
    session: Session, organization_id: uuid.UUID, address: str
) -> ColumnElement[bool]:
    """SQL for "the client has exactly this email address": on their record, or the one they
    sign in with (the two can differ, and a client who rings gives the one they use). Both are
    found through their blind indexes, so no row is decrypted to look."""
    on_record = Client.email_index == blind_index_for(session, address, purpose=EMAIL)
    signs_in = Client.id.in_(
        select(User.client_id)
        .where(User.organization_id == organization_id)
        .where(User.client_id.is_not(None))
        .where(
            User.email_index
            == blind_index_for(session, normalise_email(address), purpose=LOGIN_EMAIL)
        )
    )
    return or_(on_record, signs_in)


def _search_condition(session: Session, organization_id: uuid.UUID, q: str) -> ColumnElement[bool]:
    """Which clients ``q`` finds: an exact email, a date of birth, or name prefixes."""
    text = q.strip()
    if "@" in text:
        return email_condition(session, organization_id, text)
    key = keyring_for(session).index_key(SEARCH)
    if _ISO_DATE.fullmatch(text):
        try:
            date.fromisoformat(text)
        except ValueError:
            raise InvalidInput(
                "q: this is not a date; write a date of birth as 1990-04-23."
            ) from None
        terms = [search_term(key, "dob", text)]
    else:
        words = search_words(text)
        if not words or any(len(word) < MIN_PREFIX for word in words):
            raise InvalidInput(
                f"q: type at least {MIN_PREFIX} letters of a name, an email address, or a date "
                "of birth as 1990-04-23."
            )
        if len(words) > MAX_QUERY_WORDS:
            raise InvalidInput(f"q: search with at most {MAX_QUERY_WORDS} words.")
        terms = [search_term(key, "name", word[:MAX_PREFIX]) for word in words]
    ensure_search_terms(session, organization_id)
    # Every word must start one of the client's names (one indexed lookup per word).
    conditions = [
        Client.id.in_(
            select(ClientSearchTerm.client_id)
            .where(ClientSearchTerm.organization_id == organization_id)
            .where(ClientSearchTerm.term == term)
        )
        for term in terms
    ]
    return and_(*conditions)


def ensure_search_terms(session: Session, organization_id: uuid.UUID) -> int:
    """Index the organisation's clients that have no current search terms yet (clients stored
    before search existed); returns how many. A no-op query once every client is indexed."""
    done = 0
    while True:
        batch = list(
            session.scalars(
                select(Client)
                .where(Client.organization_id == organization_id)
                .where(
                    or_(
                        Client.search_terms_version.is_(None),
                        Client.search_terms_version < SEARCH_TERMS_VERSION,
                    )
                )
                .where(Client.status != "erased")
                .limit(BACKFILL_BATCH)
            )
        )
        if not batch:
            return done
        keyring = keyring_for(session)
        keyring.preload(session, [c.id for c in batch])
        key = keyring.index_key(SEARCH)
        for client in batch:
            queue_search_terms(session, client, key)
        session.flush()
        done += len(batch)


def _cursor_scope(q: str | None) -> str:
    digest = hashlib.sha256((q or "").strip().encode("utf-8")).hexdigest()[:16]
    return f"clients/{digest}"


def list_readable_clients(
    session: Session,
    user: User,
    actor: Actor,
    now: datetime,
    *,
    limit: int | None = None,
    cursor: str | None = None,
    q: str | None = None,
) -> Page[Client]:
    """One page of the clients this actor may see, newest first, optionally those ``q`` finds
    (exact email, date of birth, or name prefixes); one audited list access per page."""
    size = check_limit(limit)
    codec = CursorCodec(page_cursor_key(session))
    scope = _cursor_scope(q)
    query = readable_clients_query(actor)
    if q is not None and q.strip():
        query = query.where(_search_condition(session, actor.organization_id, q))
    if cursor:
        query = query.where(CLIENT_ORDER.after(codec.decode(scope, cursor, (datetime, uuid.UUID))))
    clients = list(session.scalars(query.order_by(*CLIENT_ORDER.order_by()).limit(size + 1)))
    more = len(clients) > size
    clients = clients[:size]
    keyring_for(session).preload(session, [c.id for c in clients])
    audit_access(
        session,
        user=user,
        actor=actor,
        action=AuditAction.LIST,
        resource_type="client",
        resource_id=None,
        client_id=None,
        organization_id=actor.organization_id,
        now=now,
    )
    following = codec.encode(scope, (clients[-1].created_at, clients[-1].id)) if more else None
    return Page(items=clients, next=following)


# A search shows at most this many clients outside the care team: enough to pick the right
# person in an emergency, too few to browse the organisation's list through searches.
OUTSIDE_TEAM_LIMIT = 10


def may_ask_emergency_access(actor: Actor) -> bool:
    """Whether the actor may open, for a reason, a client of the organisation outside their
    care team (the break-glass request is granted organisation-wide)."""
    allowed = actor.allowed_actions
    if allowed is not None and Action.BREAK_GLASS_REQUEST not in allowed:
        return False
    return scope_of(actor.role, Action.BREAK_GLASS_REQUEST) is Scope.ORGANIZATION


def find_outside_care_team(
    session: Session, user: User, actor: Actor, q: str, now: datetime
) -> tuple[list[Client], bool]:
    """Clients of the organisation that ``q`` finds but the actor may not read yet, so that a
    clinician can ask for emergency access to the right person: only for a search, at most
    :data:`OUTSIDE_TEAM_LIMIT` of them (and whether there were more), audited as a list."""
    scope = readable_clients(actor)
    if not q.strip() or scope.client_ids is None or not may_ask_emergency_access(actor):
        return [], False
    query = (
        select(Client)
        .where(Client.organization_id == actor.organization_id)
        .where(Client.status != "erased")
        .where(~readable_client_condition(actor, Client.id))
        .where(_search_condition(session, actor.organization_id, q))
        .order_by(*CLIENT_ORDER.order_by())
        .limit(OUTSIDE_TEAM_LIMIT + 1)
    )
    clients = list(session.scalars(query))
    more = len(clients) > OUTSIDE_TEAM_LIMIT
    clients = clients[:OUTSIDE_TEAM_LIMIT]
    keyring_for(session).preload(session, [c.id for c in clients])
    audit_access(
        session,
        user=user,
        actor=actor,
        action=AuditAction.SEARCH,
        resource_type="client",
        resource_id=None,
        client_id=None,
        organization_id=actor.organization_id,
        now=now,
    )
    return clients, more


def names_of_readable_clients(
    session: Session, user: User, actor: Actor, client_ids: set[uuid.UUID], now: datetime
) -> dict[uuid.UUID, str]:
    """ "Family, Given" for those of ``client_ids`` the actor may read (others are left out, so
    the caller shows no name), decrypted as one audited list access."""
    if not client_ids:
        return {}
    clients = list(session.scalars(readable_clients_query(actor).where(Client.id.in_(client_ids))))
    if not clients:
        return {}
    keyring_for(session).preload(session, [c.id for c in clients])
    audit_access(
        session,
        user=user,
        actor=actor,
        action=AuditAction.LIST,
        resource_type="client",
        resource_id=None,
        client_id=None,
        organization_id=actor.organization_id,
        now=now,
    )
    return {c.id: f"{c.family_name}, {c.given_name}" for c in clients}


def get_readable_client(
    session: Session,
    user: User,
    actor: Actor,
    client_id: uuid.UUID,
    now: datetime,
    *,
    action: Action = Action.CLIENT_READ,
) -> Client:
    """One client (its read audited), or an audited 404 whether it is missing or not the
    actor's to see."""
    return load_or_refuse(
        session,
        Client,
        client_id,
        user=user,
        actor=actor,
        resource_type="client",
        allowed=lambda c: can(actor, action, Resource(c.organization_id, c.id)),
        now=now,
        message=NOT_FOUND,
        audit=AuditAction.READ,
    )


DETAIL_FIELDS: dict[str, str] = {
    "given_name": "First name",
    "family_name": "Last name",
    "email": "Email address",
    "phone": "Mobile phone number",
    "date_of_birth": "Date of birth",
    "preferred_language": "Preferred language",
}
REQUIRED_DETAILS = ("given_name", "family_name")
MAX_DETAIL = 200


def _checked_details(values: dict[str, str | None], languages: set[str]) -> dict[str, str | None]:
    cleaned: dict[str, str | None] = {}
    for name, label in DETAIL_FIELDS.items():
        if name not in values:
            continue
        text = " ".join((values[name] or "").split()) or None
        if text is None and name in REQUIRED_DETAILS:
            raise InvalidInput(f"{label} cannot be empty.")
        if text is not None and len(text) > MAX_DETAIL:
            raise InvalidInput(f"{label}: at most {MAX_DETAIL} characters.")
        if name == "email" and text is not None and ("@" not in text or " " in text):
            raise InvalidInput(f"{label}: write an address such as name@example.org.")
        if name == "phone" and text is not None and sms_number(text) is None:
            raise InvalidInput(
                f"{label}: write the number with its area code, such as +1 555 010 0123."
            )
        if name == "date_of_birth" and text is not None:
            try:
                born = date.fromisoformat(text)
            except ValueError:
                raise InvalidInput(f"{label}: choose a date, such as 1990-04-23.") from None
            if born.year < 1900:
                raise InvalidInput(f"{label}: choose a date after 1900.")
        if name == "preferred_language":
            if text is None or text not in languages:
                raise InvalidInput(f"{label}: choose a language from the list.")
        cleaned[name] = text
    return cleaned


def update_details(
    session: Session,
    user: User,
    actor: Actor,
    client_id: uuid.UUID,
    values: dict[str, str | None],
    now: datetime,
    *,
    languages: set[str],
) -> list[str]:
    """Correct a client's identity and contact details (staff who may write the record): the
    changed fields' names in words, audited as one update; nothing changes on a bad value."""
    client = get_readable_client(session, user, actor, client_id, now, action=Action.CLIENT_WRITE)
    if client.status == "erased":
        raise NotFound(NOT_FOUND)
    cleaned = _checked_details(values, languages)
    if client.date_of_birth and "date_of_birth" in cleaned and cleaned["date_of_birth"] is None:
        cleaned.pop("date_of_birth")  # a known date of birth is corrected, never blanked
    changed = [name for name, value in cleaned.items() if getattr(client, name) != value]
    if not changed:
        return []
    for name in changed:
        setattr(client, name, cleaned[name])
    session.flush()
    audit_access(
        session,
        user=user,
        actor=actor,
        action=AuditAction.UPDATE,
        resource_type="client",
        resource_id=client.id,
        client_id=client.id,
        organization_id=client.organization_id,
        now=now,
    )
    return [DETAIL_FIELDS[name] for name in changed]


def latest_consents(session: Session, client: Client) -> list[Consent]:
    """The client's latest answer for each consent purpose (the caller has read the client)."""
    latest: dict[str, Consent] = {}
    for row in session.scalars(
        select(Consent).where(Consent.client_id == client.id).order_by(Consent.recorded_at)
    ):
        latest[row.purpose] = row
    return sorted(latest.values(), key=lambda c: c.purpose)
