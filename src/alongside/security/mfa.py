"""The TOTP second factor for staff: setting it up, changing it, recovery codes, and checking a
code once at sign-in.

API
---
- :func:`second_factor_required` ``(user, *, demo) -> bool``.
- :func:`begin_enrolment` ``(user, provider) -> (secret, uri)``: an administrator's reset
  (``alongside user totp``) and test set-up; replaces the secret at once.
- :func:`secret_being_set_up` ``(user, provider) -> (secret, uri) | None``: that secret again,
  until it is turned on (a first set-up at sign-in shows it again after a wrong code).
- :func:`check_second_factor` ``(user, code, provider, now, session=None)``: a fresh TOTP code,
  or (with a session) one unused recovery code; raises :class:`NotAuthenticated`.
- Self-service changes, each needing the password and a current code or recovery code when a
  factor is on (:func:`reauthenticate`), each audited and mailed to the account through the
  outbox, so a stolen session cannot quietly take over the second factor:
  :func:`start_change` (add or replace: a pending secret, the current one keeps working),
  :func:`confirm_change` (the new app's code turns it on and returns 10 new recovery codes,
  shown once), :func:`remove_second_factor` (not for roles that require one) and
  :func:`new_recovery_codes`.

Recovery codes: 10 per person, single use, stored as argon2id hashes like passwords.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from alongside.audit.service import record
from alongside.crypto.envelope import FieldCipher
from alongside.crypto.keys import KeyEncryptionKeyProvider
from alongside.db import after_rollback
from alongside.errors import Conflict, InvalidInput, NotAuthenticated
from alongside.models import AuditAction, AuditOutcome, AuditPurpose, RecoveryCode, Role, User
from alongside.notify.service import enqueue
from alongside.security.passwords import hash_password, verify_password
from alongside.security.throttle import check_not_throttled, record_failure
from alongside.security.totp import new_totp_secret, provisioning_uri, verify_totp
from alongside.zones import when_for

REQUIRED_ROLES = frozenset({Role.CLINICAL_LEAD, Role.ADMIN})
RECOVERY_CODE_COUNT = 10
# No 0/o, 1/l/i: read off paper without doubt. 10 characters of 31: about 50 bits each.
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_RECOVERY_LENGTH = 10
_PURPOSE = "totp-secrets"
REAUTH_FAILED = (
    "Your password or code is not right. Changing the second factor needs your password and "
    "a current code from your app (or one of your recovery codes)."
)
CHANGE_WORDS = {
    "added": "A second factor was added to your Alongside account.",
    "replaced": "The second factor of your Alongside account was replaced by a new one.",
    "removed": "The second factor of your Alongside account was removed.",
    "recovery_codes": "New recovery codes were made for your Alongside account; the old ones "
    "no longer work.",
}


def _cipher(provider: KeyEncryptionKeyProvider) -> FieldCipher:
    return FieldCipher(provider.derive_key(_PURPOSE))


def second_factor_required(user: User, *, demo: bool) -> bool:
    """Whether signing in as ``user`` needs a code (skipped only in demo mode)."""
    if demo:
        return False
    return user.totp_enabled or user.role in REQUIRED_ROLES


def _encrypt(user: User, provider: KeyEncryptionKeyProvider, secret: str) -> bytes:
    return _cipher(provider).encrypt(secret, table="users", column="totp_secret", row_id=user.id)


def _decrypt(
    user: User, provider: KeyEncryptionKeyProvider, ciphertext: bytes | None
) -> str | None:
    if ciphertext is None:
        return None
    return _cipher(provider).decrypt(
        ciphertext, table="users", column="totp_secret", row_id=user.id
    )


def begin_enrolment(user: User, provider: KeyEncryptionKeyProvider) -> tuple[str, str]:
    """Store a new, not yet enabled secret; returns (secret, otpauth URI) to show once."""
    secret = new_totp_secret()
    user.totp_secret_ct = _encrypt(user, provider, secret)
    user.totp_pending_ct = None
    user.totp_enabled = False
    user.totp_last_step = None
    return secret, provisioning_uri(secret, user.email)


def secret_being_set_up(user: User, provider: KeyEncryptionKeyProvider) -> tuple[str, str] | None:
    """The (secret, otpauth URI) stored by :func:`begin_enrolment` and not yet turned on, to
    show again when the first code typed was wrong; None once a factor is on."""
    if user.totp_enabled:
        return None
    secret = _decrypt(user, provider, user.totp_secret_ct)
    return None if secret is None else (secret, provisioning_uri(secret, user.email))


def _normal_recovery(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def _use_recovery_code(session: Session, user: User, code: str, now: datetime) -> bool:
    typed = _normal_recovery(code)
    if len(typed) != _RECOVERY_LENGTH:
        return False
    unused = session.scalars(
        select(RecoveryCode).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    ).all()
    for row in unused:
        if verify_password(row.code_hash, typed):
            row.used_at = now
            session.flush()
            return True
    return False


def check_second_factor(
    user: User,
    code: str | None,
    provider: KeyEncryptionKeyProvider,
    now: datetime,
    session: Session | None = None,
) -> None:
    """Accept a fresh code once (or, given a session, an unused recovery code); a replayed
    or wrong code fails like a wrong password."""
    secret = _decrypt(user, provider, user.totp_secret_ct) if user.totp_enabled else None
    if secret is None:
        raise NotAuthenticated(
            "Your role needs a second factor and none is set up. Ask an administrator to run "
            "`alongside user totp EMAIL` for you."
        )
    typed = (code or "").strip().replace(" ", "")
    if typed.isascii() and typed.isdigit():
        step = verify_totp(secret, typed, last_used_step=user.totp_last_step, now=now)
        if step is not None:
            user.totp_last_step = step
            return
    elif typed and session is not None and _use_recovery_code(session, user, typed, now):
        return
    raise NotAuthenticated(
        "That code is not right or was already used. Wait for the next code and try again."
    )


def reauthenticate(
    session: Session,
    user: User,
    *,
    password: str,
    code: str | None,
    provider: KeyEncryptionKeyProvider,
    now: datetime,
    address: str | None,
) -> None:
    """Prove it is the person, not just their session: the password, and a current code or a
    recovery code when a factor is on. Failures count towards sign-in throttling."""
    check_not_throttled(session, user.email, address, now)
    try:
        if not verify_password(user.password_hash, password):
            raise NotAuthenticated(REAUTH_FAILED)
        if user.totp_enabled:
            check_second_factor(user, code, provider, now, session)
    except NotAuthenticated:
        # The request fails and rolls back; the failure is still counted.
        email, user_id = user.email, user.id
        after_rollback(session, lambda s: record_failure(s, email, address, now, user_id))
        raise InvalidInput(REAUTH_FAILED) from None


def _notify(session: Session, user: User, change: str, now: datetime) -> None:
    record(
        session,
        actor=user,
        action=AuditAction.DELETE if change == "removed" else AuditAction.UPDATE,
        resource_type="second_factor" if change != "recovery_codes" else "recovery_codes",
        resource_id=user.id,
        client_id=None,
        organization_id=user.organization_id,
        purpose=AuditPurpose.SECURITY,
        outcome=AuditOutcome.SUCCESS,
        now=now,
    )
    enqueue(
        session,
        kind="account_security",
        channel="email",
        recipient=user.email,
        subject="Your Alongside sign-in was changed",
        body=(
            f"{CHANGE_WORDS[change]}\n\nWhen: {when_for(user, now)}.\n\nIf this was not "
            "you, tell your administrator now: someone may have your password."
        ),
        payload={"change": change},
        idempotency_key=f"account_security:{user.id}:{uuid.uuid4()}",
        organization_id=user.organization_id,
        now=now,
    )


def start_change(
    session: Session,
    user: User,
    *,
    password: str,
    code: str | None,
    provider: KeyEncryptionKeyProvider,
    now: datetime,
    address: str | None,
) -> tuple[str, str]:
    """Begin adding or replacing the second factor; returns (secret, URI) to show once. The
    current factor keeps working until :func:`confirm_change`."""
    reauthenticate(
        session, user, password=password, code=code, provider=provider, now=now, address=address
    )
    secret = new_totp_secret()
    user.totp_pending_ct = _encrypt(user, provider, secret)
    session.flush()
    return secret, provisioning_uri(secret, user.email)


def confirm_change(
    session: Session, user: User, code: str, provider: KeyEncryptionKeyProvider, now: datetime
) -> list[str]:
    """Turn the new secret on once its app shows the right code; returns the new recovery
    codes (shown once)."""
    pending = _decrypt(user, provider, user.totp_pending_ct)
    if pending is None and not user.totp_enabled:
        # A secret stored by an older version's set-up, not yet turned on.
        pending = _decrypt(user, provider, user.totp_secret_ct)
    if pending is None:
        raise InvalidInput("Start setting up the second factor first.")
    step = verify_totp(pending, code.strip().replace(" ", ""), last_used_step=None, now=now)
    if step is None:
        raise InvalidInput("That code is not right; check your authenticator app's clock.")
    change = "replaced" if user.totp_enabled else "added"
    user.totp_secret_ct = _encrypt(user, provider, pending)
    user.totp_pending_ct = None
    user.totp_enabled = True
    user.totp_last_step = step
    codes = _replace_recovery_codes(session, user)
    _notify(session, user, change, now)
    return codes


def remove_second_factor(
    session: Session,
    user: User,
    *,
    password: str,
    code: str | None,
    provider: KeyEncryptionKeyProvider,
    now: datetime,
    address: str | None,
) -> None:
    """Turn the second factor off (refused for roles that require one)."""
    if user.role in REQUIRED_ROLES:
        raise Conflict("Your role needs a second factor; you can replace it, not remove it.")
    if not user.totp_enabled:
        raise Conflict("There is no second factor to remove.")
    reauthenticate(
        session, user, password=password, code=code, provider=provider, now=now, address=address
    )
    user.totp_secret_ct = None
    user.totp_pending_ct = None
    user.totp_enabled = False
    user.totp_last_step = None
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    _notify(session, user, "removed", now)


def new_recovery_codes(
    session: Session,
    user: User,
    *,
    password: str,
    code: str | None,
    provider: KeyEncryptionKeyProvider,
    now: datetime,
    address: str | None,
) -> list[str]:
    """Replace the recovery codes (the old ones stop working); returns the new ones once."""
    if not user.totp_enabled:
        raise Conflict("Set up the second factor first; recovery codes come with it.")
    reauthenticate(
        session, user, password=password, code=code, provider=provider, now=now, address=address
    )
    codes = _replace_recovery_codes(session, user)
    _notify(session, user, "recovery_codes", now)
    return codes


def _replace_recovery_codes(session: Session, user: User) -> list[str]:
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [
        "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
        for _ in range(RECOVERY_CODE_COUNT)
    ]
    for plain in codes:
        session.add(RecoveryCode(user_id=user.id, code_hash=hash_password(plain)))
    session.flush()
    return [f"{plain[:5]}-{plain[5:]}" for plain in codes]


def unused_recovery_codes(session: Session, user: User) -> int:
    """How many recovery codes the person has left."""
    return len(
        session.scalars(
            select(RecoveryCode.id).where(
                RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
            )
        ).all()
    )
