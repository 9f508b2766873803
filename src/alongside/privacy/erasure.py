"""Erasing a client: requests, the clinical lead's decision, crypto-shredding and a certificate.

API
---
- :func:`request_erasure` ``(session, user, actor, client_id, now) -> (ErasureRequest, token)``:
  the client for themselves (``erasure.request``), or staff who may change the client's record
  (``client.write``) on their behalf. ``token`` opens the certificate without signing in
  (the login is erased with the record); only its SHA-256 is stored.
- :func:`decide_erasure` ``(session, user, actor, request_id, approve, reason, now)``: the
  clinical lead (``client.erase``) approves or declines, with a reason, the retention rules in
  view (:func:`alongside.privacy.retention.retention_view`).
- :func:`erase_client` ``(session, client, actor_user, reason, now, request=None) -> dict``:
  what approval does, also run by ``alongside clients erase``: queued messages die, the login is
  erased, blind indexes are cleared, the data key is destroyed, and one audit event records the
  erasure (no personal data: the chain still verifies). Returns the certificate.
- :func:`crypto_shred_client` and :func:`erase_client_login`: the two steps on their own.
- :func:`certificate_by_token` ``(session, token)``: the request a certificate link opens.

Nothing here deletes an audit event: the access history outlives the record (it names the
client only by an id that no longer leads to a name).
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from alongside.audit.service import record
from alongside.errors import Conflict, InvalidInput, NotFound
from alongside.models import (
    ApiToken,
    AuditAction,
    AuditEvent,
    AuditOutcome,
    AuditPurpose,
    Base,
    Client,
    ClientKey,
    ClientPreference,
    ClientSearchTerm,
    ErasureRequest,
    ErasureStatus,
    MeasurementPlan,
    Organization,
    OutboxMessage,
    OutboxStatus,
    Role,
    User,
    UserSession,
)
from alongside.models.encrypted import EncryptedModel, keyring_for
from alongside.privacy.retention import (
    MESSAGES,
    RetentionView,
    record_type_of,
    retention_rules,
    retention_view,
)
from alongside.security.permissions import Action
from alongside.security.policy import Actor, Resource, can

NOT_FOUND = "There is nothing at this address. Check the link, or go back to your home page."
MAX_REASON = 1000
ERASED_STATUS = "erased"
_QUEUED = (OutboxStatus.PENDING, OutboxStatus.FAILED, OutboxStatus.SENDING)
MESSAGE_DIED = "Not sent: the client's record was erased."


def hash_token(token: str) -> str:
    """SHA-256 of a certificate link's token (only the hash is stored)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _client_of(session: Session, actor: Actor, client_id: uuid.UUID) -> Client:
    client = session.get(Client, client_id)
    if client is None or client.organization_id != actor.organization_id:
        raise NotFound(NOT_FOUND)
    return client


def request_erasure(
    session: Session, user: User, actor: Actor, client_id: uuid.UUID, now: datetime
) -> tuple[ErasureRequest, str]:
    """File a request to erase the client's record; the lead decides it."""
    client = _client_of(session, actor, client_id)
    resource = Resource(client.organization_id, client.id)
    own = user.role is Role.CLIENT
    allowed = (
        can(actor, Action.ERASURE_REQUEST, resource)
        if own
        else (
            can(actor, Action.CLIENT_WRITE, resource) or can(actor, Action.CLIENT_ERASE, resource)
        )
    )
    if not allowed:
        raise NotFound(NOT_FOUND)
    if client.status == ERASED_STATUS:
        raise Conflict("This record has already been erased.")
    waiting = session.scalar(
        select(ErasureRequest.id)
        .where(ErasureRequest.client_id == client.id)
        .where(ErasureRequest.status == ErasureStatus.PENDING)
    )
    if waiting is not None:
        raise Conflict(
            "A request to erase this record is already waiting for the clinical lead's decision."
        )
    token = secrets.token_urlsafe(32)
    request = ErasureRequest(
        organization_id=client.organization_id,
        client_id=client.id,
        requested_by_id=user.id,
        requested_by_role=Role(user.role).value,
        on_behalf=not own,
        status=ErasureStatus.PENDING,
        requested_at=now,
        certificate_token_hash=hash_token(token),
    )
    session.add(request)
    session.flush()
    record(
        session,
        actor=user,
        action=AuditAction.CREATE,
        resource_type="erasure_request",
        resource_id=request.id,
        client_id=client.id,
        organization_id=client.organization_id,
        purpose=AuditPurpose.CLIENT_ACCESS if own else AuditPurpose.OPERATIONS,
        outcome=AuditOutcome.SUCCESS,
        now=now,
    )
    return request, token


def my_erasure_requests(session: Session, actor: Actor) -> list[ErasureRequest]:
    """The signed-in client's own erasure requests, newest first."""
    if actor.client_id is None:
        raise NotFound(NOT_FOUND)
    return list(
        session.scalars(
            select(ErasureRequest)
            .where(ErasureRequest.client_id == actor.client_id)
            .where(ErasureRequest.organization_id == actor.organization_id)
            .order_by(ErasureRequest.requested_at.desc())
        )
    )


def _lead_request(session: Session, actor: Actor, request_id: uuid.UUID) -> ErasureRequest:
    request = session.get(ErasureRequest, request_id)
    if request is None or not can(
        actor, Action.CLIENT_ERASE, Resource(request.organization_id, request.client_id)
    ):
        raise NotFound(NOT_FOUND)
    return request


def pending_requests(session: Session, actor: Actor) -> list[ErasureRequest]:
    """Erasure requests waiting for the clinical lead, oldest first."""
    if not can(actor, Action.CLIENT_ERASE, Resource(actor.organization_id, uuid.UUID(int=0))):
        raise NotFound(NOT_FOUND)
    return list(
        session.scalars(
            select(ErasureRequest)
            .where(ErasureRequest.organization_id == actor.organization_id)
            .where(ErasureRequest.status == ErasureStatus.PENDING)
            .order_by(ErasureRequest.requested_at)
        )
    )


def request_for_decision(
    session: Session, actor: Actor, request_id: uuid.UUID
) -> tuple[ErasureRequest, RetentionView]:
    """One request with the client's records against the retention rules (lead only)."""
    request = _lead_request(session, actor, request_id)
    organization = session.get_one(Organization, request.organization_id)
    return request, retention_view(session, organization, request.client_id)


def clean_reason(reason: str | None) -> str:
    """The decision's reason, required, stripped and bounded."""
    text = " ".join((reason or "").split())
    if not text:
        raise InvalidInput("reason: say why, in a sentence (it is kept with the decision).")
    if len(text) > MAX_REASON:
        raise InvalidInput(f"reason: at most {MAX_REASON} characters.")
    return text


def decide_erasure(
    session: Session,
    user: User,
    actor: Actor,
    request_id: uuid.UUID,
    *,
    approve: bool,
    reason: str | None,
    now: datetime,
) -> ErasureRequest:
    """The lead approves (the record is erased now) or declines, with a reason."""
    text = clean_reason(reason)
    request = _lead_request(session, actor, request_id)
    if request.status is not ErasureStatus.PENDING:
        raise Conflict("This request has already been decided.")
    request.decided_at = now
    request.decided_by_id = user.id
    request.decided_by_role = Role(user.role).value
    request.decision_reason = text
    client = session.get_one(Client, request.client_id)
    organization = session.get_one(Organization, request.organization_id)
    view = retention_view(session, organization, client.id)
    if approve:
        request.status = ErasureStatus.APPROVED
        request.certificate = erase_client(
            session, client, actor_user=user, reason=text, now=now, request=request, view=view
        )
    else:
        request.status = ErasureStatus.DECLINED
        request.certificate = {
            "decision": "declined",
            "decided_at": now.isoformat(),
            "reason": text,
            "erased": [],
            "kept": _kept_all(view, now),
        }
        record(
            session,
            actor=user,
            action=AuditAction.DECIDE,
            resource_type="erasure_request",
            resource_id=request.id,
            client_id=client.id,
            organization_id=client.organization_id,
            purpose=AuditPurpose.OPERATIONS,
            outcome=AuditOutcome.SUCCESS,
            now=now,
        )
    session.flush()
    return request


def _kept_all(view: RetentionView, now: datetime) -> list[dict[str, Any]]:
    kept = []
    for line in view.lines:
        if line.rule.record_type == MESSAGES:
            continue
        kept.append(
            {
                "what": line.rule.label,
                "why": line.rule.source,
                "until": None if line.retained_until is None else line.retained_until.isoformat(),
            }
        )
    return kept


def _encrypted_models() -> list[type[EncryptedModel]]:
    found = []
    for mapper in Base.registry.mappers:
        cls = mapper.class_
        if issubclass(cls, EncryptedModel):
            found.append(cls)
    return sorted(found, key=lambda c: c.__tablename__)  # type: ignore[attr-defined]


def _owner_column(model: type[EncryptedModel]) -> Any:
    attribute = "id" if model.__encryption_owner__ == "self" else model.__encryption_owner__
    return getattr(model, attribute)


def client_record_counts(session: Session, client_id: uuid.UUID) -> dict[str, int]:
    """How many rows of each table with encrypted fields belong to the client."""
    counts: dict[str, int] = {}
    for model in _encrypted_models():
        count = session.scalar(
            select(func.count()).select_from(model).where(_owner_column(model) == client_id)
        )
        if count:
            counts[model.__tablename__] = int(count)  # type: ignore[attr-defined]
    return counts


def erase_client_login(session: Session, client_id: uuid.UUID) -> bool:
    """Erase the client's login (account, sessions, tokens); True if there was one."""
    user = session.scalar(select(User).where(User.client_id == client_id))
    if user is None:
        return False
    session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
    session.delete(user)
    session.flush()
    return True


# Not an argon2 hash: no password verifies against it.
NO_PASSWORD = "!erased"  # noqa: S105 - a marker that matches no password, not a secret


def crypto_shred_client(session: Session, client: Client) -> None:
    """Delete the client's wrapped data key; every ciphertext of theirs becomes unreadable.

    Backups taken before this still hold the ciphertexts but never the unwrapped key, so they
    hold nothing readable once the key row is gone from every live database.
    """
    client_id: uuid.UUID = client.id
    session.execute(delete(ClientKey).where(ClientKey.client_id == client_id))
    # Their login goes with them: its email and name were under the same key; the blind
    # index is dropped too (it could confirm a guessed address), and it can no longer sign in.
    logins = list(session.scalars(select(User.id).where(User.client_id == client_id)))
    if logins:
        session.execute(
            update(User)
            .where(User.id.in_(logins))
            .values(email_index=None, is_active=False, password_hash=NO_PASSWORD)
            .execution_options(synchronize_session=False)
        )
        session.execute(delete(UserSession).where(UserSession.user_id.in_(logins)))
        session.execute(delete(ApiToken).where(ApiToken.user_id.in_(logins)))
    # The name prefixes and date of birth as blind indexes go with the key.
    session.execute(delete(ClientSearchTerm).where(ClientSearchTerm.client_id == client_id))
    client.search_terms_version = None
    keyring_for(session).forget(client_id)
    client.status = ERASED_STATUS
    # A blind index would still let someone who knows the email confirm the client was here.
    client.email_index = None
    # Forget plaintexts cached on instances, so nothing erased lingers in this process.
    for instance in list(session.identity_map.values()):
        if isinstance(instance, EncryptedModel) and instance.optional_owner_id() == client_id:
            instance.__dict__.pop("_alongside_plaintext", None)
    session.flush()


def erase_client(
    session: Session,
    client: Client,
    *,
    actor_user: User | None,
    reason: str,
    now: datetime,
    request: ErasureRequest | None = None,
    view: RetentionView | None = None,
) -> dict[str, Any]:
    """Erase the client's record now and return the certificate of what was erased and kept."""
    if client.status == ERASED_STATUS:
        raise Conflict("This record has already been erased.")
    organization = session.get_one(Organization, client.organization_id)
    view = view or retention_view(session, organization, client.id)
    counts = client_record_counts(session, client.id)
    queued = session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.client_id == client.id)
        .where(OutboxMessage.status.in_(_QUEUED))
    ).all()
    for message in queued:
        message.status = OutboxStatus.DEAD
        message.last_error = MESSAGE_DIED
    cancelled = len(queued)
    login = erase_client_login(session, client.id)
    # Structured choices that describe the person (gender, population, language) and their
    # repeat-measure plan serve no count the clinic keeps: deleted, not only shredded.
    session.execute(delete(ClientPreference).where(ClientPreference.client_id == client.id))
    session.execute(delete(MeasurementPlan).where(MeasurementPlan.client_id == client.id))
    crypto_shred_client(session, client)
    record(
        session,
        actor=actor_user,
        action=AuditAction.ERASE,
        resource_type="client",
        resource_id=client.id,
        client_id=client.id,
        organization_id=client.organization_id,
        purpose=AuditPurpose.OPERATIONS,
        outcome=AuditOutcome.SUCCESS,
        now=now,
    )
    audit_count = session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.client_id == client.id)
    )
    rules = {rule.record_type: rule for rule in retention_rules(session, organization)}
    erased: dict[str, dict[str, Any]] = {}
    for table, count in sorted(counts.items()):
        kind = record_type_of(table)
        entry = erased.setdefault(
            kind,
            {
                "record_type": kind,
                "what": rules[kind].label if kind in rules else kind.replace("_", " "),
                "count": 0,
            },
        )
        entry["count"] += count
    within = [line for line in view.holds(now)]
    return {
        "decision": "approved",
        "request": None if request is None else str(request.id),
        "record": str(client.id),
        "erased_at": now.isoformat(),
        "decided_by_role": "system" if actor_user is None else Role(actor_user.role).value,
        "reason": reason,
        "how": (
            "The record's own encryption key was destroyed. Everything encrypted with it, "
            "in this database and in every backup, can no longer be read by anyone."
        ),
        "erased": list(erased.values()),
        "messages_cancelled": cancelled,
        "login_erased": login,
        "kept": [
            {
                "what": "The access log: who opened the record, when and why",
                "count": int(audit_count or 0),
                "why": (
                    "The clinic must be able to account for every access (UK GDPR Article "
                    "5(2); HIPAA 45 CFR 164.312(b)). It holds no name, contact details or "
                    "clinical content, only a reference that no longer leads to any."
                ),
            },
            {
                "what": "This request, the decision and this certificate",
                "count": 1,
                "why": "Proof that the request was answered (UK GDPR Articles 5(2), 12 and 17).",
            },
            {
                "what": "Scores, triage levels, and the dates and statuses of appointments, "
                "intakes and messages, without answers, words, notes or reasons",
                "why": "Counts of the service's work, waiting times and outcomes. Nothing left "
                "in them names the person: the name, date of birth, contact details and login "
                "are erased.",
            },
        ],
        "retention_overridden": [
            {
                "record_type": line.rule.record_type,
                "years": line.rule.years,
                "source": line.rule.source,
                "until": None if line.retained_until is None else line.retained_until.isoformat(),
            }
            for line in within
        ],
    }


def certificate_by_token(session: Session, token: str) -> ErasureRequest:
    """The erasure request a certificate link opens (404 for any other token)."""
    if not token or len(token) > 128:
        raise NotFound(NOT_FOUND)
    request = session.scalar(
        select(ErasureRequest).where(ErasureRequest.certificate_token_hash == hash_token(token))
    )
    if request is None:
        raise NotFound(NOT_FOUND)
    return request
