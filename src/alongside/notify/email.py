"""Email delivery over SMTP (the clinic's own relay), with optional STARTTLS and sign-in."""

from __future__ import annotations

import hashlib
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime

from alongside.notify.delivery import (
    IDEMPOTENCY_HEADER,
    Delivery,
    DeliveryError,
    PermanentDeliveryError,
    short_error,
)


def message_id_for(idempotency_key: str, domain: str = "alongside.invalid") -> str:
    """A Message-ID stable across retries, so mail systems can drop a duplicate."""
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:40]
    return f"<{digest}@{domain}>"


def build_email(delivery: Delivery, *, sender: str, now: datetime) -> EmailMessage:
    """The email for one delivery: plain text, with the idempotency key as a header."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = delivery.recipient
    message["Subject"] = delivery.subject
    message["Date"] = format_datetime(now)
    domain = sender.rpartition("@")[2] or "alongside.invalid"
    message["Message-ID"] = message_id_for(delivery.idempotency_key, domain)
    message[IDEMPOTENCY_HEADER] = delivery.idempotency_key
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to alerts
    message.set_content(delivery.body)
    return message


@dataclass(frozen=True)
class SmtpEmailSender:
    """Sends each delivery as one SMTP transaction; a refused recipient is permanent."""

    host: str
    port: int
    sender: str
    starttls: bool = False
    username: str | None = None
    password: str | None = None
    timeout_s: float = 10.0

    def __call__(self, delivery: Delivery, *, now: datetime) -> None:
        """Deliver one email or raise :class:`DeliveryError`."""
        message = build_email(delivery, sender=self.sender, now=now)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout_s) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.username:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            error = f"SMTP refused the recipient (codes {codes})"
            # 5xx is the server's final word; 4xx is temporary (greylisting, full mailbox).
            if codes and all(code >= 500 for code in codes):
                raise PermanentDeliveryError(error) from exc
            raise DeliveryError(error) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(short_error(exc)) from exc
