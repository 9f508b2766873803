"""Throttling failed sign-ins without letting anyone lock the real person out.

- **Per account and address** (``pair:``): after :data:`FREE_FAILURES` failures, each further
  one holds that account back *from that address* for a growing time (5 s, 10 s, 20 s, ...
  at most :data:`MAX_BACKOFF`). Guessing from one place slows to a crawl, while the clinician
  on call signs in from their own device as usual: there is no account-wide lock to trip.
- **Per address** (``address:``): at most :data:`ADDRESS_LIMIT` failures in :data:`WINDOW`
  across accounts, so one address cannot spray guesses over many accounts.
- **Per account** (``account:``): counted, never blocking, for the clinical lead's list of
  accounts under attack (:func:`held_back_accounts`).

Keys are hashes of the normalised email and address, so the table holds no raw identifiers,
and an unknown email is throttled exactly like a real one. A success clears that pair only.
"""

from __future__ import annotations

import hashlib
import math
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from alongside.errors import TooManyRequests
from alongside.models import LoginFailure, User

FREE_FAILURES = 3
BASE_BACKOFF = timedelta(seconds=5)
MAX_BACKOFF = timedelta(minutes=15)
ADDRESS_LIMIT = 20
WINDOW = timedelta(minutes=15)
# A pair's failures are forgotten after a day without one.
PAIR_MEMORY = timedelta(hours=24)


def _digest(value: str) -> str:
    return hashlib.sha256(value.strip().lower().encode("utf-8", "surrogateescape")).hexdigest()


def _pair_key(email: str, address: str | None) -> str:
    return "pair:" + _digest(f"{email.strip().lower()}|{address or ''}")


def _address_key(address: str) -> str:
    return "address:" + _digest(address)


def _account_key(email: str) -> str:
    return "account:" + _digest(email)


def backoff(failures: int) -> timedelta:
    """How long a pair is held back after its ``failures``-th failure in a row."""
    if failures < FREE_FAILURES:
        return timedelta(0)
    doublings = min(failures - FREE_FAILURES, 20)
    return min(BASE_BACKOFF * (1 << doublings), MAX_BACKOFF)


def _wait_words(wait: timedelta) -> str:
    seconds = max(1, math.ceil(wait.total_seconds()))
    if seconds < 60:
        return f"{seconds} seconds"
    minutes = math.ceil(seconds / 60)
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


def _row(session: Session, key: str) -> LoginFailure | None:
    return session.get(LoginFailure, key, with_for_update=True)


def check_not_throttled(session: Session, email: str, address: str | None, now: datetime) -> None:
    """Refuse (429) while this account is held back from this address, or this address has
    failed too often across accounts. Says how long to wait."""
    pair = _row(session, _pair_key(email, address))
    if pair is not None and pair.blocked_until is not None and pair.blocked_until > now:
        raise TooManyRequests(
            "Too many sign-in attempts from this device. Wait "
            f"{_wait_words(pair.blocked_until - now)} and try again, or ask your administrator "
            "to reset your password."
        )
    if address:
        row = _row(session, _address_key(address))
        if row is not None and now - row.window_started_at <= WINDOW:
            if row.failures >= ADDRESS_LIMIT:
                raise TooManyRequests(
                    "Too many sign-in attempts from this network. Wait "
                    f"{_wait_words(row.window_started_at + WINDOW - now)} and try again."
                )


def record_failure(
    session: Session,
    email: str,
    address: str | None,
    now: datetime,
    user_id: uuid.UUID | None = None,
) -> None:
    """Count one failed sign-in: the pair's backoff grows; the address and account counts
    grow within their windows."""
    pair_key = _pair_key(email, address)
    pair = _row(session, pair_key)
    if pair is None or (pair.last_failure_at and now - pair.last_failure_at > PAIR_MEMORY):
        if pair is not None:
            session.delete(pair)
            session.flush()
        pair = LoginFailure(key=pair_key, window_started_at=now, failures=0)
        session.add(pair)
    pair.failures += 1
    pair.user_id = user_id
    pair.last_failure_at = now
    wait = backoff(pair.failures)
    pair.blocked_until = now + wait if wait else None
    keys = [(_account_key(email), PAIR_MEMORY)]
    if address:
        keys.append((_address_key(address), WINDOW))
    for key, window in keys:
        row = _row(session, key)
        if row is None:
            row = LoginFailure(key=key, window_started_at=now, failures=0)
            session.add(row)
        elif now - row.window_started_at > window:
            row.window_started_at = now
            row.failures = 0
        row.failures += 1
        row.user_id = user_id
        row.last_failure_at = now
    session.flush()


def clear_account(session: Session, email: str, address: str | None = None) -> None:
    """Forget this pair's failures after a successful sign-in (other addresses stay held)."""
    row = session.get(LoginFailure, _pair_key(email, address))
    if row is not None:
        session.delete(row)
        session.flush()


@dataclass(frozen=True)
class HeldBackAccount:
    """An account whose sign-ins are being held back somewhere, for the clinical lead."""

    user_id: uuid.UUID
    display_name: str
    role: str
    failures_today: int
    addresses_held_back: int
    last_failure_at: datetime
    held_back_until: datetime


def held_back_accounts(
    session: Session, organization_id: uuid.UUID, now: datetime
) -> list[HeldBackAccount]:
    """Accounts of the organisation held back from at least one address now, most failures
    first (the addresses themselves are not kept)."""
    rows = session.execute(
        select(LoginFailure, User)
        .join(User, User.id == LoginFailure.user_id)
        .where(User.organization_id == organization_id)
        .where(LoginFailure.key.startswith("pair:"))
        .where(LoginFailure.blocked_until > now)
    ).all()
    by_user: dict[uuid.UUID, list[LoginFailure]] = {}
    users: dict[uuid.UUID, User] = {}
    for failure, user in rows:
        by_user.setdefault(user.id, []).append(failure)
        users[user.id] = user
    totals = {
        row.user_id: row.failures
        for row in session.scalars(
            select(LoginFailure)
            .where(LoginFailure.key.startswith("account:"))
            .where(LoginFailure.user_id.in_(list(by_user)))
        )
    }
    held = [
        HeldBackAccount(
            user_id=user_id,
            display_name=users[user_id].display_name,
            role=users[user_id].role.value,
            failures_today=totals.get(user_id, sum(p.failures for p in pairs)),
            addresses_held_back=len(pairs),
            last_failure_at=max(p.last_failure_at or p.window_started_at for p in pairs),
            held_back_until=max(p.blocked_until or now for p in pairs),
        )
        for user_id, pairs in by_user.items()
    ]
    return sorted(held, key=lambda h: (-h.failures_today, h.display_name))
