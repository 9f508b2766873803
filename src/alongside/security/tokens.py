"""API tokens for integrations: scoped to actions, revocable, expiring (default 90 days),
stored only as a hash; for staff only (clients have no integrations to run)."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from alongside.db import touch
from alongside.errors import InvalidInput, NotFound
from alongside.models import ApiToken, User
from alongside.security.permissions import ROLE_ACTIONS, Action, Role

TOKEN_PREFIX = "alg_"  # noqa: S105 - a public prefix that marks our tokens, not a secret
DEFAULT_LIFETIME = timedelta(days=90)
MAX_LIFETIME = timedelta(days=3650)
NOT_FOUND = "There is nothing at this address."


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def create_token(
    session: Session,
    user: User,
    *,
    name: str,
    scopes: Iterable[str],
    now: datetime,
    lifetime: timedelta = DEFAULT_LIFETIME,
) -> tuple[str, ApiToken]:
    """Issue a token for ``user`` limited to ``scopes``, working for ``lifetime``; the secret
    is returned once only. Clients get no tokens (404)."""
    if not user.is_staff:
        raise NotFound(NOT_FOUND)
    if not timedelta(days=1) <= lifetime <= MAX_LIFETIME:
        raise InvalidInput("expires_in_days: from 1 day to 10 years.")
    wanted = sorted(set(scopes))
    granted = ROLE_ACTIONS[Role(user.role.value)]
    unknown = [s for s in wanted if s not in {a.value for a in Action}]
    if unknown:
        raise InvalidInput(f"Unknown scopes: {', '.join(unknown)}.")
    beyond = [s for s in wanted if Action(s) not in granted]
    if beyond:
        raise InvalidInput(f"Your role cannot grant: {', '.join(beyond)}.")
    if not wanted:
        raise InvalidInput("Give the token at least one scope.")
    if not name.strip():
        raise InvalidInput("Give the token a name, so you can recognise it later.")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=name.strip(),
        token_hash=_hash(secret),
        scopes=wanted,
        expires_at=now + lifetime,
    )
    session.add(token)
    session.flush()
    return secret, token


def resolve_token(session: Session, secret: str, now: datetime) -> tuple[User, ApiToken] | None:
    """The active user and unrevoked, unexpired token behind a bearer secret, or None; the
    token's last use is recorded."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == _hash(secret)))
    if token is None or token.revoked_at is not None or token.expires_at <= now:
        return None
    user = session.get(User, token.user_id)
    if user is None or not user.is_active:
        return None
    # At most once a minute, and never waited for.
    touch(session, ApiToken.last_used_at, ApiToken.id == token.id, now)
    return user, token


def list_tokens(session: Session, user: User) -> list[ApiToken]:
    """The user's tokens, newest first (never their secrets); 404 for clients."""
    if not user.is_staff:
        raise NotFound(NOT_FOUND)
    return list(
        session.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at.desc())
        )
    )


def revoke_token(session: Session, user: User, token_id: uuid.UUID, now: datetime) -> ApiToken:
    """Revoke one of the user's tokens; it stops working on the next request."""
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id or not user.is_staff:
        raise NotFound("No token with this id is yours.")
    if token.revoked_at is None:
        token.revoked_at = now
        session.flush()
    return token
