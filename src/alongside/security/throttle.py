"""Throttling failed sign-ins per account and per address, without revealing which accounts exist.

Keys are hashes of the normalised email or of the client address, so the table holds no raw
identifiers, and an unknown email is throttled exactly like a real one.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from alongside.errors import TooManyRequests
from alongside.models import LoginFailure

ACCOUNT_LIMIT = 5
ADDRESS_LIMIT = 20
WINDOW = timedelta(minutes=15)
THROTTLED = (
    "Too many sign-in attempts. Wait 15 minutes and try again, or ask your administrator to "
    "reset your password."
)


def _key(kind: str, value: str) -> str:
    return f"{kind}:" + hashlib.sha256(value.strip().lower().encode("utf-8")).hexdigest()


def _keys(email: str, address: str | None) -> list[tuple[str, int]]:
    keys = [(_key("account", email), ACCOUNT_LIMIT)]
    if address:
        keys.append((_key("address", address), ADDRESS_LIMIT))
    return keys


def _current(session: Session, key: str, now: datetime) -> LoginFailure | None:
    row = session.get(LoginFailure, key, with_for_update=True)
    if row is not None and now - row.window_started_at > WINDOW:
        row.failures = 0
        row.window_started_at = now
    return row


def check_not_throttled(session: Session, email: str, address: str | None, now: datetime) -> None:
    """Refuse (429) while the account or the address has too many recent failures."""
    for key, limit in _keys(email, address):
        row = _current(session, key, now)
        if row is not None and row.failures >= limit:
            raise TooManyRequests(THROTTLED)


def record_failure(session: Session, email: str, address: str | None, now: datetime) -> None:
    """Count one failed sign-in against the account and the address."""
    for key, _limit in _keys(email, address):
        row = _current(session, key, now)
        if row is None:
            session.add(LoginFailure(key=key, window_started_at=now, failures=1))
        else:
            row.failures += 1
    session.flush()


def clear_account(session: Session, email: str) -> None:
    """Forget an account's failures after a successful sign-in."""
    row = session.get(LoginFailure, _key("account", email))
    if row is not None:
        session.delete(row)
        session.flush()
