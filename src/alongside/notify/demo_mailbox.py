"""The demo clinic's mailbox: messages count as delivered without leaving the machine.

`alongside demo` has no mail server or pager to talk to, yet a newcomer should see a crisis
alert or a reminder go out. In demo mode the worker hands every message to this sender; the
administrator's outbox page lists what was delivered (kind, recipient, subject — never bodies).
"""

from __future__ import annotations

import logging
from datetime import datetime

from alongside.notify.delivery import Delivery

log = logging.getLogger("alongside.notify")


class DemoMailbox:
    """Accepts every message; nothing is sent anywhere."""

    def __call__(self, delivery: Delivery, *, now: datetime) -> None:
        """Record the delivery in the log (ids only)."""
        log.info("demo_mailbox", extra={"event": delivery.kind, "outbox_id": str(delivery.id)})
