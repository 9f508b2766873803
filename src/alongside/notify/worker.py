"""The outbox worker: claim due messages, deliver them outside any transaction, record the outcome.

One round (:func:`deliver_due`):

1. **Claim** up to ``batch`` due messages in one short transaction and commit: status becomes
   ``sending``, ``attempts`` goes up by one, and ``next_attempt_at`` becomes the end of a lease.
   On PostgreSQL the rows are picked with ``SELECT … FOR UPDATE SKIP LOCKED``, so several
   ``alongside worker`` processes never claim the same message. On SQLite (one process) the
   claim is a single ``UPDATE … RETURNING`` that is the first statement of its transaction, so
   it takes the write lock at once and waits on the busy timeout as ``BEGIN IMMEDIATE`` does.
2. **Deliver** each message with no transaction open (an SMTP server that hangs cannot hold a
   database lock).
3. **Record** ``delivered``, or ``failed`` with the next attempt after an exponential backoff,
   or ``dead`` once the attempts are spent or the receiver refused for good. The update only
   applies while the claim is still ours (same ``attempts``), so a worker whose lease ran out
   cannot overwrite the worker that took the message over.

A message left ``sending`` by a crashed worker is due again when its lease ends: 300 s for
ordinary messages, 45 s for crisis alerts and their escalations (``CRISIS_KINDS``), which are
also claimed first. A crisis alert sent twice (the worker died after the send, before recording
it) carries the same Message-ID / ``Idempotency-Key`` both times, so the receiver can drop the
duplicate.

Each worker also runs the audit sealer (:mod:`alongside.audit.sealer`) in a thread of its own.
"""

from __future__ import annotations

import logging
import random
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, literal, select, update
from sqlalchemy.orm import Session, sessionmaker

from alongside.audit.sealer import Sealer, checkpoint_key, start_sealer_thread
from alongside.config import Settings
from alongside.db import session_scope
from alongside.jobs import periodic_runner
from alongside.kit.time import utcnow
from alongside.models import OutboxChannel, OutboxMessage, OutboxStatus
from alongside.notify.delivery import (
    Delivery,
    DeliveryError,
    PermanentDeliveryError,
    Sender,
    short_error,
)
from alongside.notify.demo_mailbox import DemoMailbox
from alongside.notify.email import SmtpEmailSender
from alongside.notify.sms import EmailToSmsSender, SmsGatewaySender
from alongside.notify.webhook import WebhookEndpoint, WebhookSender

log = logging.getLogger("alongside.notify")

# Kinds that must not wait: claimed before others, with a short lease. (Named here, not imported:
# triage builds on the outbox, so the outbox cannot import it.)
CRISIS_KINDS = frozenset({"crisis_alert", "crisis_escalation"})

# Statuses the worker picks up when due; ``sending`` is due only once its lease has ended.
_LIVE_STATUSES = (OutboxStatus.PENDING, OutboxStatus.FAILED, OutboxStatus.SENDING)
INTERRUPTED = "Delivery was interrupted (the worker stopped while sending) and no attempts remain."


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long the worker tries, and how long a claim may stay ``sending``."""

    max_attempts: int = 8
    base_s: float = 30.0
    factor: float = 2.0
    cap_s: float = 3600.0
    jitter: float = 0.1
    sending_timeout_s: float = 300.0
    crisis_sending_timeout_s: float = 45.0

    def delay(self, attempt: int, rng: random.Random) -> timedelta:
        """The wait after failed attempt ``attempt`` (1-based): exponential, capped, jittered.

        Jitter only shortens the wait (by up to ``jitter`` of it), so the cap holds and
        workers that failed together spread out instead of retrying in lockstep.
        """
        exponent = min(max(attempt - 1, 0), 64)  # 64 doublings exceed any sensible cap
        raw = min(self.cap_s, self.base_s * self.factor**exponent)
        return timedelta(seconds=raw * (1.0 - self.jitter * rng.random()))

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        """The policy the settings describe."""
        return cls(
            max_attempts=settings.outbox_max_attempts,
            base_s=settings.outbox_backoff_base_seconds,
            factor=settings.outbox_backoff_factor,
            cap_s=settings.outbox_backoff_cap_seconds,
            jitter=settings.outbox_backoff_jitter,
            sending_timeout_s=settings.outbox_sending_timeout_seconds,
            crisis_sending_timeout_s=settings.outbox_crisis_sending_timeout_seconds,
        )


def default_rng() -> random.Random:
    """A fresh jitter source (not for secrets: jitter only spreads retries)."""
    return random.Random()  # noqa: S311 - jitter for retry timing, not a secret


def claim_due(
    session_factory: sessionmaker[Session],
    *,
    now: datetime,
    batch: int,
    policy: RetryPolicy,
) -> list[Delivery]:
    """Claim up to ``batch`` due messages and commit the claim; returns what to send."""
    due = OutboxMessage.status.in_(_LIVE_STATUSES) & (OutboxMessage.next_attempt_at <= now)
    is_crisis = OutboxMessage.kind.in_(CRISIS_KINDS)
    # Crisis alerts first, then oldest first.
    oldest_first = (
        case((is_crisis, 0), else_=1),
        OutboxMessage.next_attempt_at,
        OutboxMessage.id,
    )
    with session_scope(session_factory) as session:
        dialect = session.get_bind().dialect.name
        if dialect == "sqlite":
            # A read in WAL mode never waits; only take the write lock when there is work,
            # so an idle worker never queues behind the app's writers.
            if session.scalar(select(OutboxMessage.id).where(due).limit(1)) is None:
                return []
    moment = OutboxMessage.next_attempt_at.type
    lease_end = case(
        (is_crisis, literal(now + timedelta(seconds=policy.crisis_sending_timeout_s), moment)),
        else_=literal(now + timedelta(seconds=policy.sending_timeout_s), moment),
    )
    claim = (
        update(OutboxMessage)
        .values(
            status=OutboxStatus.SENDING,
            attempts=OutboxMessage.attempts + 1,
            next_attempt_at=lease_end,
        )
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    )
    with session_scope(session_factory) as session:
        if dialect == "postgresql":
            picked = list(
                session.scalars(
                    select(OutboxMessage.id)
                    .where(due)
                    .order_by(*oldest_first)
                    .limit(batch)
                    .with_for_update(skip_locked=True)
                )
            )
            if not picked:
                return []
            ids = list(session.scalars(claim.where(OutboxMessage.id.in_(picked))))
        else:
            subquery = select(OutboxMessage.id).where(due).order_by(*oldest_first).limit(batch)
            ids = list(session.scalars(claim.where(OutboxMessage.id.in_(subquery))))
        if not ids:
            return []
        # Loaded through the ORM so columns that are decrypted on load arrive as plain text.
        messages = session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(ids)))
        deliveries: list[Delivery] = []
        # Sent in the order claimed: crisis alerts first, then oldest first.
        in_order = sorted(
            messages, key=lambda m: (m.kind not in CRISIS_KINDS, m.created_at, str(m.id))
        )
        for message in in_order:
            if message.attempts > policy.max_attempts:
                # A reclaimed lease whose last attempt was cut short: nothing left to try.
                message.status = OutboxStatus.DEAD
                message.last_error = INTERRUPTED
                log.warning("outbox_dead", extra={"outbox_id": str(message.id), "event": "dead"})
                continue
            deliveries.append(_delivery(message))
        return deliveries


def _delivery(message: OutboxMessage) -> Delivery:
    return Delivery(
        id=message.id,
        kind=message.kind,
        channel=OutboxChannel(message.channel).value,
        recipient=message.recipient,
        subject=message.subject,
        body=message.body,
        idempotency_key=message.idempotency_key,
        attempt=message.attempts,
        payload=dict(message.payload or {}),
        organization_id=message.organization_id,
    )


def deliver_due(
    session_factory: sessionmaker[Session],
    *,
    now: datetime,
    senders: Mapping[str, Sender],
    batch: int = 20,
    policy: RetryPolicy | None = None,
    rng: random.Random | None = None,
) -> int:
    """Run one round: claim due messages, send each, record each outcome.

    ``senders`` maps a channel (``"email"``, ``"webhook"``) to its sender. ``now`` is the time
    of this round: it decides what is due and stamps results. Returns the number of messages
    this round tried to send (0 when nothing was due).
    """
    policy = policy or RetryPolicy()
    rng = rng or default_rng()
    deliveries = claim_due(session_factory, now=now, batch=batch, policy=policy)
    for delivery in deliveries:
        error: str | None = None
        permanent = False
        sender = senders.get(delivery.channel)
        try:
            if sender is None:
                raise DeliveryError(f"No sender is set up for the {delivery.channel} channel.")
            sender(delivery, now=now)
        except PermanentDeliveryError as exc:
            error, permanent = short_error(exc), True
        except DeliveryError as exc:
            error = short_error(exc)
        except Exception as exc:
            # A bug in a sender must not stop the other deliveries; name only the type, since
            # an unexpected exception's text may quote the message.
            error = f"Unexpected {type(exc).__name__} while sending"
            log.exception("outbox_sender_crashed", extra={"outbox_id": str(delivery.id)})
        record_outcome(
            session_factory,
            delivery,
            error=error,
            permanent=permanent,
            now=now,
            policy=policy,
            rng=rng,
        )
    return len(deliveries)


def record_outcome(
    session_factory: sessionmaker[Session],
    delivery: Delivery,
    *,
    error: str | None,
    permanent: bool,
    now: datetime,
    policy: RetryPolicy | None = None,
    rng: random.Random | None = None,
) -> bool:
    """Store how one delivery went; False when the claim was no longer ours (nothing stored).

    ``error`` None means delivered; otherwise the message fails and is retried after the
    policy's backoff, or is dead when ``permanent`` or out of attempts.
    """
    policy = policy or RetryPolicy()
    rng = rng or default_rng()
    if error is None:
        values: dict[str, object] = {
            "status": OutboxStatus.DELIVERED,
            "delivered_at": now,
            "last_error": None,
        }
        event = "delivered"
    elif permanent or delivery.attempt >= policy.max_attempts:
        values = {"status": OutboxStatus.DEAD, "last_error": error}
        event = "dead"
    else:
        values = {
            "status": OutboxStatus.FAILED,
            "last_error": error,
            "next_attempt_at": now + policy.delay(delivery.attempt, rng),
        }
        event = "failed"
    ours = (
        (OutboxMessage.id == delivery.id)
        & (OutboxMessage.status == OutboxStatus.SENDING)
        & (OutboxMessage.attempts == delivery.attempt)
    )
    with session_scope(session_factory) as session:
        result = session.execute(
            update(OutboxMessage)
            .where(ours)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        applied = getattr(result, "rowcount", 0) == 1
    extra = {"outbox_id": str(delivery.id), "event": event if applied else "lease_lost"}
    if not applied:
        # Another worker took the message over after our lease ended; its outcome stands.
        log.warning("outbox_lease_lost", extra=extra)
    elif event == "delivered":
        log.info("outbox_delivered", extra=extra)
    else:
        log.warning(f"outbox_{event}", extra=extra)
    return applied


def escalate_crisis_alerts(session_factory: sessionmaker[Session], now: datetime) -> int:
    """Alert the next person on call for crisis alerts nobody acknowledged in time."""
    # Imported here: triage builds on the outbox, so the outbox cannot import it at load time.
    from alongside.triage.escalation import escalate_due

    try:
        return escalate_due(session_factory, now)
    except Exception:
        # Delivery of what is already in the outbox (first alerts included) must go on.
        log.exception("crisis_escalation_failed", extra={"event": "escalation_failed"})
        return 0


def sms_sender(settings: Settings, email: Sender) -> Sender | None:
    """The text-message sender the settings describe, or None when the clinic set none up
    (texts then wait in the outbox, failing, and nothing is sent anywhere)."""
    if settings.sms_gateway_url:
        return SmsGatewaySender(
            settings.sms_gateway_url,
            shape=settings.sms_gateway_format,
            token=settings.sms_gateway_token,
            username=settings.sms_gateway_username,
            password=settings.sms_gateway_password,
            timeout_s=settings.sms_gateway_timeout_seconds,
        )
    if settings.sms_email_domain:
        return EmailToSmsSender(email, settings.sms_email_domain)
    return None


def build_senders(settings: Settings) -> dict[str, Sender]:
    """The email, webhook and text-message senders the settings describe. In demo mode email
    and webhooks go to the demo mailbox; texts are never faked: they go to the gateway the
    settings name, or nowhere."""
    senders: dict[str, Sender]
    email = _smtp_sender(settings)
    if settings.is_demo:
        mailbox = DemoMailbox()
        senders = {OutboxChannel.EMAIL.value: mailbox, OutboxChannel.WEBHOOK.value: mailbox}
    else:
        webhook = WebhookSender(
            {
                name: WebhookEndpoint(url=target.url, secret=target.secret)
                for name, target in settings.webhooks.items()
            },
            timeout_s=settings.webhook_timeout_seconds,
        )
        senders = {OutboxChannel.EMAIL.value: email, OutboxChannel.WEBHOOK.value: webhook}
    texts = sms_sender(settings, email)
    if texts is not None:
        senders[OutboxChannel.SMS.value] = texts
    return senders


def _smtp_sender(settings: Settings) -> SmtpEmailSender:
    return SmtpEmailSender(
        host=settings.smtp_host,
        port=settings.smtp_port,
        sender=settings.smtp_sender,
        starttls=settings.smtp_starttls,
        username=settings.smtp_username,
        password=settings.smtp_password,
        timeout_s=settings.smtp_timeout_seconds,
    )


class Worker:
    """Delivers the outbox round after round until asked to stop."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        senders: Mapping[str, Sender],
        *,
        policy: RetryPolicy | None = None,
        poll_seconds: float = 5.0,
        batch: int = 20,
        clock: Callable[[], datetime] = utcnow,
        rng: random.Random | None = None,
        periodic: Callable[[datetime], object] | None = None,
        periodic_seconds: float = 300.0,
        sealer: Sealer | None = None,
    ) -> None:
        """A worker over ``session_factory`` sending with ``senders`` (and sealing the audit
        log with ``sealer``, in a thread of its own, while it runs forever)."""
        self.sealer = sealer
        self.periodic = periodic
        self.periodic_seconds = periodic_seconds
        self._periodic_last: datetime | None = None
        self.session_factory = session_factory
        self.senders = dict(senders)
        self.policy = policy or RetryPolicy()
        self.poll_seconds = poll_seconds
        self.batch = batch
        self.clock = clock
        self.rng = rng or default_rng()

    @classmethod
    def from_settings(cls, settings: Settings, session_factory: sessionmaker[Session]) -> Worker:
        """A worker configured by the settings."""
        return cls(
            session_factory,
            build_senders(settings),
            policy=RetryPolicy.from_settings(settings),
            poll_seconds=settings.outbox_poll_seconds,
            batch=settings.outbox_batch_size,
            periodic=periodic_runner(session_factory, settings),
            periodic_seconds=settings.jobs_interval_seconds,
            sealer=Sealer(
                session_factory,
                checkpoint_key(settings.secret_key),
                interval_s=settings.audit_seal_seconds,
                checkpoint_file=settings.effective_audit_checkpoint_file,
            ),
        )

    def _run_periodic(self) -> None:
        # Repeat measures, reminders and re-screen checks write to the outbox themselves; run
        # them before delivering so what they queue goes out in the same round.
        now = self.clock()
        if self.periodic is None:
            return
        if self._periodic_last is not None and (
            (now - self._periodic_last).total_seconds() < self.periodic_seconds
        ):
            return
        self._periodic_last = now
        self.periodic(now)

    def run_once(self, stop_event: threading.Event | None = None, max_rounds: int = 100) -> int:
        """Deliver everything due now (round after round while batches come back full)."""
        escalate_crisis_alerts(self.session_factory, self.clock())
        self._run_periodic()
        total = 0
        for _ in range(max_rounds):
            sent = deliver_due(
                self.session_factory,
                now=self.clock(),
                senders=self.senders,
                batch=self.batch,
                policy=self.policy,
                rng=self.rng,
            )
            total += sent
            if sent < self.batch or (stop_event is not None and stop_event.is_set()):
                break
        return total

    def run_forever(self, stop_event: threading.Event) -> None:
        """Poll until ``stop_event`` is set; a failing round is logged and tried again later."""
        log.info("outbox_worker_started", extra={"event": "started"})
        # The sealer keeps its own beat (every couple of seconds): a slow SMTP round must not
        # stretch the time audit events wait to be sealed.
        sealing = start_sealer_thread(self.sealer, stop_event) if self.sealer is not None else None
        while not stop_event.is_set():
            try:
                self.run_once(stop_event)
            except Exception:
                # The database may be restarting; the messages are safe in it, try again.
                log.exception("outbox_round_failed", extra={"event": "round_failed"})
            # Event.wait, not sleep: a stop request ends the pause at once.
            stop_event.wait(self.poll_seconds)
        if sealing is not None:
            sealing.join(timeout=5.0)
        log.info("outbox_worker_stopped", extra={"event": "stopped"})

    def close(self) -> None:
        """Release the senders' connection pools."""
        for sender in self.senders.values():
            close = getattr(sender, "close", None)
            if callable(close):
                close()


@dataclass
class BackgroundWorker:
    """A worker running in a thread of the server process."""

    worker: Worker
    thread: threading.Thread
    stop_event: threading.Event

    def stop(self, timeout_s: float = 30.0) -> None:
        """Ask the worker to stop, wait for its round to finish, release its resources."""
        self.stop_event.set()
        self.thread.join(timeout=timeout_s)
        self.worker.close()


def start_background_worker(
    settings: Settings, session_factory: sessionmaker[Session]
) -> BackgroundWorker:
    """Start delivering the outbox in a daemon thread (the embedded, one-process deployment)."""
    worker = Worker.from_settings(settings, session_factory)
    stop_event = threading.Event()
    thread = threading.Thread(
        target=worker.run_forever,
        args=(stop_event,),
        name=f"alongside-outbox-{uuid.uuid4().hex[:6]}",
        daemon=True,
    )
    thread.start()
    return BackgroundWorker(worker=worker, thread=thread, stop_event=stop_event)
