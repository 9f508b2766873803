"""Appointment reminders through the outbox, at the organisation's offsets, only on the channels
the client consented to.

:func:`send_due_reminders` ``(session, *, now, sms_webhook=None, organization_id=None) -> int``
enqueues, for every booked appointment still ahead, the reminder of the *smallest* offset whose
time has come (e.g. with offsets 48 h and 2 h: 48 h before, then 2 h before; an appointment
booked an hour ahead gets only the 2-hour one, never a burst). Each message's idempotency key is
``reminder:<appointment id>:<offset>h:<channel>``, so running it every few minutes (the CLI
``alongside scheduling reminders``, cron or a timer) never sends one twice, and a rescheduled
appointment, being a new row, gets reminders of its own.

Channels: email to the client's address when ``ClientPreference.remind_email``; the signed
webhook named ``sms_webhook`` (an SMS gateway configured in settings) when
``ClientPreference.remind_webhook`` and the client has a phone number. No consent, no message.
Message text holds no client name and nothing clinical: the time, the appointment type, the
clinician's name and whether it is in person or by telehealth.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from alongside.models import (
    Appointment,
    AppointmentStatus,
    Client,
    ClientPreference,
    Organization,
    OutboxMessage,
    User,
)
from alongside.models.encrypted import ERASED, keyring_for
from alongside.notify.service import enqueue
from alongside.scheduling.availability import resolve_zone
from alongside.scheduling.service import rules_for

__all__ = ["due_offset", "reminder_key", "send_due_reminders"]


def reminder_key(appointment_id: uuid.UUID, offset_hours: int, channel: str) -> str:
    """The idempotency key of one reminder."""
    return f"reminder:{appointment_id}:{offset_hours}h:{channel}"


def due_offset(starts_at: datetime, now: datetime, offsets_hours: tuple[int, ...]) -> int | None:
    """The smallest offset whose moment has come for an appointment still ahead, else None."""
    if starts_at <= now:
        return None
    due = [h for h in offsets_hours if starts_at - timedelta(hours=h) <= now]
    return min(due) if due else None


def _text(appointment: Appointment, clinician: User, organization: Organization) -> str:
    zone = resolve_zone(organization.timezone)
    local = appointment.starts_at.astimezone(zone)
    where = "in person" if appointment.setting == "in_person" else "by video or phone"
    return (
        f"A reminder from {organization.name}: your {appointment.kind.value} appointment with "
        f"{clinician.display_name} is on {local:%A %d %B at %H:%M} ({organization.timezone}), "
        f"{where}. To cancel or move it, sign in or call the clinic."
    )


def send_due_reminders(
    session: Session,
    *,
    now: datetime,
    sms_webhook: str | None = None,
    organization_id: uuid.UUID | None = None,
) -> int:
    """Enqueue every reminder now due (see the module docstring); returns how many were new."""
    horizon = now + timedelta(days=15)
    query = (
        select(Appointment, ClientPreference)
        .join(ClientPreference, ClientPreference.client_id == Appointment.client_id)
        .where(Appointment.status == AppointmentStatus.BOOKED)
        .where(Appointment.starts_at > now)
        .where(Appointment.starts_at <= horizon)
        .where(
            (ClientPreference.remind_email.is_(True)) | (ClientPreference.remind_webhook.is_(True))
        )
        .order_by(Appointment.starts_at, Appointment.id)
    )
    if organization_id is not None:
        query = query.where(Appointment.organization_id == organization_id)
    rows = [(row[0], row[1]) for row in session.execute(query)]
    keyring_for(session).preload(session, [a.client_id for a, _ in rows])
    created = 0
    for appointment, preference in rows:
        offsets = rules_for(session, appointment.organization_id).reminder_offsets_hours
        offset = due_offset(appointment.starts_at, now, offsets)
        if offset is None:
            continue
        client = session.get(Client, appointment.client_id)
        clinician = session.get(User, appointment.clinician_id)
        organization = session.get(Organization, appointment.organization_id)
        if client is None or clinician is None or organization is None:
            continue
        body = _text(appointment, clinician, organization)
        payload = {
            "appointment_id": str(appointment.id),
            "starts_at": appointment.starts_at.isoformat(),
            "offset_hours": offset,
        }
        channels: list[tuple[str, str, dict[str, object]]] = []
        email = client.email
        if preference.remind_email and email and email != ERASED:
            channels.append(("email", email, payload))
        phone = client.phone
        if preference.remind_webhook and sms_webhook and phone and phone != ERASED:
            # The gateway needs the number to text; it travels only in the signed webhook.
            channels.append(("webhook", sms_webhook, {**payload, "to": phone, "text": body}))
        for channel, recipient, channel_payload in channels:
            key = reminder_key(appointment.id, offset, channel)
            if session.scalar(select(OutboxMessage.id).where(OutboxMessage.idempotency_key == key)):
                continue
            enqueue(
                session,
                kind="appointment_reminder",
                channel=channel,
                recipient=recipient,
                subject="Appointment reminder",
                body=body,
                payload=channel_payload,
                idempotency_key=key,
                organization_id=appointment.organization_id,
                client_id=client.id,
                now=now,
            )
            created += 1
    return created
