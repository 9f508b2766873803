"""The TOTP second factor for staff: enrolment, and checking a code once at sign-in."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from alongside.crypto.envelope import FieldCipher
from alongside.crypto.keys import KeyEncryptionKeyProvider
from alongside.errors import InvalidInput, NotAuthenticated
from alongside.models import Role, User
from alongside.security.totp import new_totp_secret, provisioning_uri, verify_totp

REQUIRED_ROLES = frozenset({Role.CLINICAL_LEAD, Role.ADMIN})
_PURPOSE = "totp-secrets"


def _cipher(provider: KeyEncryptionKeyProvider) -> FieldCipher:
    return FieldCipher(provider.derive_key(_PURPOSE))


def second_factor_required(user: User, *, demo: bool) -> bool:
    """Whether signing in as ``user`` needs a code (skipped only in demo mode)."""
    if demo:
        return False
    return user.totp_enabled or user.role in REQUIRED_ROLES


def begin_enrolment(user: User, provider: KeyEncryptionKeyProvider) -> tuple[str, str]:
    """Store a new, not yet enabled secret; returns (secret, otpauth URI) to show once."""
    secret = new_totp_secret()
    user.totp_secret_ct = _cipher(provider).encrypt(
        secret, table="users", column="totp_secret", row_id=user.id
    )
    user.totp_enabled = False
    user.totp_last_step = None
    return secret, provisioning_uri(secret, user.email)


def _secret(user: User, provider: KeyEncryptionKeyProvider) -> str | None:
    if user.totp_secret_ct is None:
        return None
    return _cipher(provider).decrypt(
        user.totp_secret_ct, table="users", column="totp_secret", row_id=user.id
    )


def confirm_enrolment(
    session: Session, user: User, code: str, provider: KeyEncryptionKeyProvider, now: datetime
) -> None:
    """Enable the second factor once the person proves their app shows the right code."""
    secret = _secret(user, provider)
    if secret is None:
        raise InvalidInput("Start setting up the second factor first.")
    step = verify_totp(secret, code, last_used_step=None, now=now)
    if step is None:
        raise InvalidInput("That code is not right; check your authenticator app's clock.")
    user.totp_enabled = True
    user.totp_last_step = step
    session.flush()


def check_second_factor(
    user: User, code: str | None, provider: KeyEncryptionKeyProvider, now: datetime
) -> None:
    """Accept a fresh code once; a replayed or wrong code fails like a wrong password."""
    secret = _secret(user, provider) if user.totp_enabled else None
    if secret is None:
        raise NotAuthenticated(
            "Your role needs a second factor and none is set up. Ask an administrator to run "
            "`alongside user totp EMAIL` for you."
        )
    if not code:
        raise NotAuthenticated("Enter the 6-digit code from your authenticator app.")
    step = verify_totp(secret, code.strip(), last_used_step=user.totp_last_step, now=now)
    if step is None:
        raise NotAuthenticated(
            "That code is not right or was already used. Wait for the next code and try again."
        )
    user.totp_last_step = step
