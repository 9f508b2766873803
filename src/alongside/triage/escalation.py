"""Crisis alerts after the first one: escalation until acknowledged, and the acknowledgement.

The first on-call alert is enqueued by :func:`alongside.triage.service.process_submission`
in the transaction that stores the intake (invariant 3). This module follows it with a
:class:`~alongside.models.CrisisAlert` row:

- :func:`open_crisis_alert` ``(session, suggestion, *, now) -> CrisisAlert``: the alert row of
  a crisis proposal, created on first need from the proposal (who was alerted, when, and the
  case link and webhook use of the first alert's outbox messages). Idempotent.
- :func:`escalate_due` ``(session_factory, now, *, batch=50) -> int``: called every round by
  the outbox worker (:meth:`alongside.notify.worker.Worker.run_once`). Opens the rows of new
  crisis proposals, then for each alert not acknowledged by its ``escalate_at`` alerts the
  next person on the path: the second person on call, then the clinical lead(s), each by
  email and, when the first alert used it, the signed ``oncall`` webhook. Returns how many
  people it alerted. Each alert moves in its own short transaction with a compare-and-set on
  its level, so two workers never alert the same level twice (and the outbox's idempotency
  keys would drop a duplicate anyway).
- :func:`acknowledge_alert` ``(session, *, user, actor, alert_id, action, note, now)``: the
  person records that they have it and what they did; escalation stops. Allowed for anyone
  alerted so far and for the client's care team; anyone else gets 404.
- :func:`escalation_chain` (pure): who is alerted, in order.

Alerts carry ids and the case link, never the client's words or name.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from alongside.audit.service import record
from alongside.db import session_scope
from alongside.errors import Conflict, InvalidInput, NotFound
from alongside.models import (
    AuditAction,
    AuditOutcome,
    AuditPurpose,
    CrisisAction,
    CrisisAlert,
    OutboxChannel,
    OutboxMessage,
    ReviewSettings,
    Role,
    Suggestion,
    User,
)
from alongside.notify.service import enqueue
from alongside.security.permissions import Action
from alongside.security.policy import Actor, Resource, can
from alongside.triage.service import ALERT_KIND, CASE_PATH, ONCALL_WEBHOOK, on_call_sequence

log = logging.getLogger("alongside.triage.escalation")

ESCALATION_KIND = "crisis_escalation"
CRISIS = "crisis"
DEFAULT_ESCALATION_MINUTES = 15
# The person on call, then the next person on the rota; the clinical lead(s) after them.
ON_CALL_LEVELS = 2
# Used only when the first alert left no link behind (nobody could be alerted at all).
FALLBACK_CASE_URL_BASE = "http://127.0.0.1:8000"
MAX_NOTE_LENGTH = 2000
NOT_FOUND = "There is no such crisis alert available to you."
ACTION_LABELS: dict[str, str] = {
    CrisisAction.CLIENT_CALLED.value: "Client called",
    CrisisAction.EMERGENCY_SERVICES_CONTACTED.value: "Emergency services contacted",
    CrisisAction.NO_ANSWER.value: "No answer",
    CrisisAction.OTHER.value: "Other (see note)",
}


def escalation_chain(
    on_call: Sequence[uuid.UUID],
    leads: Sequence[uuid.UUID],
    *,
    first: uuid.UUID | None = None,
    on_call_levels: int = ON_CALL_LEVELS,
) -> list[uuid.UUID]:
    """Who is alerted in turn: ``first`` (or the first on call), the next on call, then the leads.

    Pure. Everyone appears once; the rota is taken from ``first`` onwards, wrapping round, so
    the "next person" is the next one on the rota after whoever was alerted first.
    """
    rota = list(on_call)
    if first is not None and first in rota:
        start = rota.index(first)
        rota = rota[start:] + rota[:start]
    elif first is not None:
        rota = [first, *rota]
    chain: list[uuid.UUID] = []
    for person in [*rota[:on_call_levels], *leads]:
        if person not in chain:
            chain.append(person)
    return chain


def escalation_minutes(session: Session, organization_id: uuid.UUID) -> int:
    """Minutes an alert may go unacknowledged before the next person is alerted."""
    configured = session.scalar(
        select(ReviewSettings.escalation_minutes).where(
            ReviewSettings.organization_id == organization_id
        )
    )
    return configured or DEFAULT_ESCALATION_MINUTES


def _leads(session: Session, organization_id: uuid.UUID) -> list[uuid.UUID]:
    return list(
        session.scalars(
            select(User.id)
            .where(User.organization_id == organization_id)
            .where(User.role == Role.CLINICAL_LEAD)
            .where(User.is_active.is_(True))
            .order_by(User.created_at, User.id)
        )
    )


def _first_alerts(session: Session, suggestion: Suggestion) -> list[OutboxMessage]:
    # Triage proposals always carry their intake (the column is nullable for other kinds).
    prefix = f"{ALERT_KIND}:{suggestion.intake_id}:"
    return list(
        session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.kind == ALERT_KIND)
            .where(OutboxMessage.idempotency_key.startswith(prefix, autoescape=True))
        )
    )


def _case_url(suggestion: Suggestion, messages: Sequence[OutboxMessage]) -> str:
    for message in messages:
        link = (message.payload or {}).get("case_url")
        if isinstance(link, str) and link:
            return link
    intake_id = suggestion.intake_id or suggestion.id
    return FALLBACK_CASE_URL_BASE + CASE_PATH.format(intake_id=intake_id)


def alert_for(session: Session, suggestion_id: uuid.UUID) -> CrisisAlert | None:
    """The alert row of a proposal, if one was opened."""
    return session.scalar(select(CrisisAlert).where(CrisisAlert.suggestion_id == suggestion_id))


def open_crisis_alert(session: Session, suggestion: Suggestion, *, now: datetime) -> CrisisAlert:
    """The proposal's alert row, created from the first alert if it does not exist yet."""
    existing = alert_for(session, suggestion.id)
    if existing is not None:
        return existing
    messages = _first_alerts(session, suggestion)
    on_call = [user.id for user in on_call_sequence(session, suggestion.organization_id)]
    chain = escalation_chain(
        on_call, _leads(session, suggestion.organization_id), first=suggestion.alerted_user_id
    )
    minutes = escalation_minutes(session, suggestion.organization_id)
    alerted = suggestion.alerted_user_id is not None
    sent_at = suggestion.alerted_at or suggestion.proposed_at
    alert = CrisisAlert(
        organization_id=suggestion.organization_id,
        client_id=suggestion.client_id,
        suggestion_id=suggestion.id,
        intake_id=suggestion.intake_id,
        chain=[str(person) for person in chain],
        level=0 if alerted else -1,
        recipient_id=suggestion.alerted_user_id,
        sent_at=sent_at if alerted else None,
        # Nobody on call could be alerted: the next person on the path is alerted at once.
        escalate_at=sent_at + timedelta(minutes=minutes) if alerted else now,
        case_url=_case_url(suggestion, messages),
        page_webhook=any(m.channel == OutboxChannel.WEBHOOK for m in messages),
    )
    # A savepoint: a worker may open the same row at the same moment; theirs then stands.
    try:
        with session.begin_nested():
            session.add(alert)
            session.flush()
    except IntegrityError:
        stored = alert_for(session, suggestion.id)
        if stored is None:
            raise
        return stored
    return alert


def _open_new_alerts(session_factory: sessionmaker[Session], now: datetime, batch: int) -> None:
    with session_scope(session_factory) as session:
        pending = session.scalars(
            select(Suggestion)
            .where(Suggestion.urgency == CRISIS)
            .where(~exists().where(CrisisAlert.suggestion_id == Suggestion.id))
            .order_by(Suggestion.proposed_at)
            .limit(batch)
        ).all()
        for suggestion in pending:
            open_crisis_alert(session, suggestion, now=now)


def _escalation_text(minutes: int, case_url: str, exhausted_next: bool) -> tuple[str, str]:
    subject = "Crisis alert not acknowledged: a clinician is needed now"
    body = (
        f"A crisis alert was not acknowledged within {minutes} minutes by the person alerted "
        "before you, so it has come to you. The client was shown crisis resources and told "
        "that a clinician is being contacted.\n\n"
        f"Open the case and record what you did: {case_url}\n\n"
        + (
            "You are the last person on the escalation path.\n\n"
            if exhausted_next
            else f"If nobody acknowledges it within {minutes} minutes, the next person is "
            "alerted.\n\n"
        )
        + "This message holds no client details; sign in to see them."
    )
    return subject, body


def _escalate_one(
    session_factory: sessionmaker[Session], alert_id: uuid.UUID, now: datetime
) -> int:
    with session_scope(session_factory) as session:
        alert = session.get(CrisisAlert, alert_id)
        if (
            alert is None
            or alert.acknowledged_at is not None
            or alert.escalate_at is None
            or alert.escalate_at > now
        ):
            return 0
        minutes = escalation_minutes(session, alert.organization_id)
        chain = [uuid.UUID(person) for person in alert.chain]
        active = {
            user.id: user
            for user in session.scalars(
                select(User).where(User.id.in_(chain)).where(User.is_active.is_(True))
            )
        }
        level = alert.level + 1
        while level < len(chain) and chain[level] not in active:
            level += 1  # someone left the organisation since the rota was read
        recipient = active[chain[level]] if level < len(chain) else None
        values: dict[str, object] = (
            {
                "level": level,
                "recipient_id": recipient.id,
                "sent_at": now,
                "escalate_at": now + timedelta(minutes=minutes),
            }
            if recipient is not None
            else {"escalate_at": None, "exhausted_at": now}
        )
        # Compare-and-set on the level: of two workers, one moves the alert on.
        moved = session.execute(
            update(CrisisAlert)
            .where(CrisisAlert.id == alert.id)
            .where(CrisisAlert.level == alert.level)
            .where(CrisisAlert.acknowledged_at.is_(None))
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if getattr(moved, "rowcount", 0) != 1:
            return 0
        if recipient is None:
            log.error(
                "crisis_alert_unacknowledged_by_everyone",
                extra={"crisis_alert_id": str(alert.id), "event": "exhausted"},
            )
            return 0
        last = level + 1 >= len(chain)
        subject, body = _escalation_text(minutes, alert.case_url, last)
        payload = {
            "crisis_alert_id": str(alert.id),
            "suggestion_id": str(alert.suggestion_id),
            "intake_id": None if alert.intake_id is None else str(alert.intake_id),
            "organization_id": str(alert.organization_id),
            "urgency": CRISIS,
            "case_url": alert.case_url,
            "oncall_user_id": str(recipient.id),
            "escalation_level": level,
        }
        enqueue(
            session,
            kind=ESCALATION_KIND,
            channel=OutboxChannel.EMAIL,
            recipient=recipient.email,
            subject=subject,
            body=body,
            payload=payload,
            idempotency_key=f"{ESCALATION_KIND}:{alert.id}:{level}",
            organization_id=alert.organization_id,
            now=now,
        )
        if alert.page_webhook:
            enqueue(
                session,
                kind=ESCALATION_KIND,
                channel=OutboxChannel.WEBHOOK,
                recipient=ONCALL_WEBHOOK,
                subject=subject,
                body=body,
                payload=payload,
                idempotency_key=f"{ESCALATION_KIND}:{alert.id}:{level}:webhook",
                organization_id=alert.organization_id,
                now=now,
            )
        record(
            session,
            actor=None,
            action=AuditAction.UPDATE,
            resource_type="crisis_alert",
            resource_id=alert.id,
            client_id=alert.client_id,
            organization_id=alert.organization_id,
            purpose=AuditPurpose.EMERGENCY,
            outcome=AuditOutcome.SUCCESS,
            now=now,
        )
        log.warning(
            "crisis_alert_escalated",
            extra={"crisis_alert_id": str(alert.id), "event": f"level_{level}"},
        )
        return 1


def escalate_due(session_factory: sessionmaker[Session], now: datetime, *, batch: int = 50) -> int:
    """Open alert rows for new crisis proposals, then alert the next person where one is due."""
    _open_new_alerts(session_factory, now, batch)
    with session_scope(session_factory) as session:
        due = list(
            session.scalars(
                select(CrisisAlert.id)
                .where(CrisisAlert.acknowledged_at.is_(None))
                .where(CrisisAlert.escalate_at.is_not(None))
                .where(CrisisAlert.escalate_at <= now)
                .order_by(CrisisAlert.escalate_at)
                .limit(batch)
            )
        )
    return sum(_escalate_one(session_factory, alert_id, now) for alert_id in due)


def alerted_so_far(alert: CrisisAlert) -> list[uuid.UUID]:
    """Everyone the alert has reached, in order."""
    return [uuid.UUID(person) for person in alert.chain[: alert.level + 1]]


def alerted_at_for(session: Session, alert: CrisisAlert, user_id: uuid.UUID) -> datetime | None:
    """When this person was alerted (the first alert, or the escalation that reached them);
    None if the alert has not reached them. Escalating moves ``sent_at`` on to the next
    person, so each reader's own time comes from the first alert or their escalation message."""
    reached = alerted_so_far(alert)
    if user_id not in reached:
        return None
    level = reached.index(user_id)
    if level == alert.level:
        return alert.sent_at
    if level == 0:
        # The alert's proposal is a required foreign key (deleted with it): always there.
        suggestion = session.get_one(Suggestion, alert.suggestion_id)
        return suggestion.alerted_at or suggestion.proposed_at
    return session.scalar(
        select(OutboxMessage.created_at).where(
            OutboxMessage.idempotency_key == f"{ESCALATION_KIND}:{alert.id}:{level}"
        )
    )


def may_acknowledge(alert: CrisisAlert, actor: Actor) -> bool:
    """Whether this person may acknowledge: they were alerted, or they are on the care team."""
    if actor.organization_id != alert.organization_id:
        return False
    if actor.user_id in alerted_so_far(alert):
        return True
    resource = Resource(organization_id=alert.organization_id, client_id=alert.client_id)
    return can(actor, Action.INTAKE_REVIEW, resource)


def get_alert(session: Session, *, actor: Actor, alert_id: uuid.UUID) -> CrisisAlert:
    """An alert this person may see and acknowledge, or NotFound."""
    alert = session.get(CrisisAlert, alert_id)
    if alert is None or not may_acknowledge(alert, actor):
        raise NotFound(NOT_FOUND)
    return alert


def acknowledge_alert(
    session: Session,
    *,
    user: User,
    actor: Actor,
    alert_id: uuid.UUID,
    action: str,
    note: str | None,
    now: datetime,
) -> CrisisAlert:
    """Record who has the alert and what they did; no one else is alerted after this."""
    alert = get_alert(session, actor=actor, alert_id=alert_id)
    try:
        taken = CrisisAction(action)
    except ValueError:
        allowed = ", ".join(member.value for member in CrisisAction)
        raise InvalidInput(f"action: choose one of {allowed}.") from None
    cleaned = (note or "").strip()
    if taken is CrisisAction.OTHER and not cleaned:
        raise InvalidInput("note: say what you did when you choose 'other'.")
    if len(cleaned) > MAX_NOTE_LENGTH:
        raise InvalidInput(f"note: at most {MAX_NOTE_LENGTH} characters.")
    # Compare-and-set: an escalation in flight and a second acknowledgement both lose.
    result = session.execute(
        update(CrisisAlert)
        .where(CrisisAlert.id == alert.id)
        .where(CrisisAlert.acknowledged_at.is_(None))
        .values(
            acknowledged_at=now,
            acknowledged_by_id=user.id,
            action_taken=taken.value,
            escalate_at=None,
        )
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) != 1:
        raise Conflict("This alert was already acknowledged.")
    session.refresh(alert)
    alert.action_note = cleaned or None
    session.flush()
    record(
        session,
        actor=user,
        action=AuditAction.UPDATE,
        resource_type="crisis_alert",
        resource_id=alert.id,
        client_id=alert.client_id,
        organization_id=alert.organization_id,
        purpose=AuditPurpose.EMERGENCY,
        outcome=AuditOutcome.SUCCESS,
        now=now,
    )
    return alert


def alerts_for_user(session: Session, *, actor: Actor, limit: int = 20) -> list[CrisisAlert]:
    """Unacknowledged alerts that have reached this person (for their queue page)."""
    rows = session.scalars(
        select(CrisisAlert)
        .where(CrisisAlert.organization_id == actor.organization_id)
        .where(CrisisAlert.acknowledged_at.is_(None))
        .order_by(CrisisAlert.created_at)
        .limit(200)
    ).all()
    return [alert for alert in rows if actor.user_id in alerted_so_far(alert)][:limit]
