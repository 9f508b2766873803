"""Sign-in, server-side sessions and user creation; the caller owns the transaction."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from alongside.audit.service import record
from alongside.crypto.keys import KeyEncryptionKeyProvider
from alongside.db import after_rollback, touch
from alongside.errors import Conflict, InvalidInput, NotAuthenticated, NotFound
from alongside.kit.time import check_zone_name
from alongside.models import (
    AuditAction,
    AuditOutcome,
    AuditPurpose,
    Client,
    Organization,
    Role,
    User,
    UserSession,
)
from alongside.models.encrypted import blind_index_for
from alongside.models.user import CLIENT_DISPLAY_NAME, CLIENT_LOGIN_DOMAIN, LOGIN_EMAIL
from alongside.security.mfa import (
    begin_enrolment,
    check_second_factor,
    confirm_change,
    second_factor_required,
    secret_being_set_up,
)
from alongside.security.passwords import check_password_policy, hash_password, verify_password
from alongside.security.permissions import Action
from alongside.security.policy import Actor, Resource, can
from alongside.security.throttle import check_not_throttled, clear_account, record_failure

# One answer for every failure (wrong email, password or code, a missing or replayed code),
# so a right password is never confirmed before the second factor is checked.
MAX_EMAIL_LENGTH = 254
INVALID_LOGIN = (
    "Email, password or code is not right. Check them and try again; staff with a second "
    "factor also enter the code from their app (or a recovery code)."
)

SET_UP_ON_THE_PAGE = (
    "Your second factor must be set up again before you can sign in here. Sign in on the "
    "sign-in page: it takes you through it."
)

# Verifying against a fixed hash when the account does not exist keeps the response time
# the same, so timing does not reveal which emails have accounts.
_DUMMY_HASH = hash_password("alongside-timing-equaliser-not-a-password")


def _token_hash(token: str) -> str:
    # A cookie is whatever the browser sends; non-ASCII bytes simply match no session.
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


@dataclass(frozen=True)
class SessionTokens:
    """What the browser or API client receives on sign-in."""

    session_token: str
    csrf_token: str


def normalise_email(email: str) -> str:
    """Email addresses compare case-insensitively and without surrounding spaces."""
    return email.strip().lower()


def create_user(
    session: Session,
    *,
    organization: Organization,
    email: str,
    display_name: str,
    role: Role,
    password: str,
    enforce_policy: bool = True,
) -> User:
    """Add a user after checking the password against the policy."""
    email = normalise_email(email)
    if "@" not in email:
        raise InvalidInput(f"'{email}' is not an email address.")
    if enforce_policy:
        problems = check_password_policy(password, email=email, name=display_name)
        if problems:
            raise InvalidInput("Password not accepted: " + " ".join(problems))
    if find_user_by_email(session, email) is not None:
        raise Conflict(f"A user with the email {email} already exists.")
    user = User(
        organization_id=organization.id,
        email=email,
        display_name=display_name,
        role=role,
        password_hash=hash_password(password),
    )
    session.add(user)
    session.flush()
    return user


def find_user_by_email(session: Session, email: str) -> User | None:
    """The account signing in with ``email``: staff by their address, clients by the blind
    index of theirs (their address is stored encrypted with their key)."""
    normalised = normalise_email(email)
    if "\x00" in normalised or len(normalised) > MAX_EMAIL_LENGTH:
        # No account has such an address (and PostgreSQL refuses NUL in text: a 500).
        return None
    user = session.scalar(select(User).where(User.email == normalised))
    if user is not None:
        return user
    index = blind_index_for(session, normalised, purpose=LOGIN_EMAIL)
    return session.scalar(select(User).where(User.email_index == index))


def create_client_login(
    session: Session,
    *,
    client: Client,
    email: str,
    display_name: str,
    password: str,
    enforce_policy: bool = True,
) -> User:
    """A sign-in for a client to their own record, encrypted with the client's key."""
    email = normalise_email(email)
    if "@" not in email or len(email) > 254:
        raise InvalidInput("Enter an email address like name@example.org.")
    if enforce_policy:
        problems = check_password_policy(password, email=email, name=display_name)
        if problems:
            raise InvalidInput("Password not accepted: " + " ".join(problems))
    if find_user_by_email(session, email) is not None:
        raise Conflict("An account with this email already exists.")
    user_id = uuid.uuid4()
    user = User(
        id=user_id,
        organization_id=client.organization_id,
        email=client_login_placeholder(user_id),
        display_name=CLIENT_DISPLAY_NAME,
        role=Role.CLIENT,
        password_hash=hash_password(password),
        client_id=client.id,
    )
    user.login_email = email
    user.login_name = display_name
    session.add(user)
    session.flush()
    return user


def client_login_placeholder(user_id: uuid.UUID) -> str:
    """The undeliverable, unique stand-in kept in ``users.email`` for a client's login."""
    return f"{user_id.hex}@{CLIENT_LOGIN_DOMAIN}"


def seal_client_logins(session: Session) -> int:
    """Encrypt client logins stored before they were encrypted (run after migrating, when
    the key file is at hand); returns how many were sealed. Idempotent."""
    rows = session.scalars(
        select(User)
        .where(User.client_id.is_not(None))
        .where(User.login_email_ct.is_(None))
        .where(~User.email.endswith("@" + CLIENT_LOGIN_DOMAIN))
    ).all()
    for user in rows:
        user.login_email = user.email
        user.login_name = user.display_name
        user.email = client_login_placeholder(user.id)
        user.display_name = CLIENT_DISPLAY_NAME
    session.flush()
    return len(rows)


def authenticate(session: Session, email: str, password: str) -> User:
    """Return the active user with these credentials, or raise the same error for any failure."""
    user = find_user_by_email(session, email)
    if user is None:
        verify_password(_DUMMY_HASH, password)
        raise NotAuthenticated(INVALID_LOGIN)
    if not verify_password(user.password_hash, password) or not user.is_active:
        raise NotAuthenticated(INVALID_LOGIN)
    return user


def sign_in(
    session: Session,
    *,
    email: str,
    password: str,
    totp: str | None,
    address: str | None,
    now: datetime,
    provider: KeyEncryptionKeyProvider,
    demo: bool,
    setup_allowed: bool = False,
) -> User:
    """Check throttling, password and (for staff who need it) the second factor.

    A person who must set up a new second factor (:attr:`User.totp_setup_required`) is
    returned after the password alone only with ``setup_allowed`` (the sign-in page, which
    then takes them through the set-up before any session starts); elsewhere they are told
    to sign in on the page.

    A failure is counted even though the request fails: the count is an
    :func:`~alongside.db.after_rollback` write (a page that shows the error runs the attempt
    in :func:`~alongside.db.refusable`, which stores the count and nothing else).
    """
    check_not_throttled(session, email, address, now)
    known = find_user_by_email(session, email)
    try:
        user = authenticate(session, email, password)
        # After an approved reset (or an accepted invitation) there is no factor to check:
        # the password opens only the set-up of a new one (see setup_allowed).
        if not user.totp_setup_required and second_factor_required(user, demo=demo):
            check_second_factor(user, totp, provider, now, session)
    except NotAuthenticated:
        known_id = known.id if known else None
        after_rollback(session, lambda s: record_failure(s, email, address, now, known_id))
        raise NotAuthenticated(INVALID_LOGIN) from None
    clear_account(session, email, address)
    if user.totp_setup_required and not setup_allowed:
        raise NotAuthenticated(SET_UP_ON_THE_PAGE)
    return user


def start_session(session: Session, user: User, now: datetime) -> SessionTokens:
    """Create a fresh server-side session (a new id at every sign-in prevents fixation)."""
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    session.add(
        UserSession(
            token_hash=_token_hash(token),
            user_id=user.id,
            csrf_token=csrf,
            created_at=now,
            last_seen_at=now,
        )
    )
    session.flush()
    return SessionTokens(session_token=token, csrf_token=csrf)


def resolve_session(
    session: Session,
    token: str,
    now: datetime,
    *,
    idle: timedelta,
    absolute: timedelta,
) -> tuple[User, UserSession] | None:
    """The user behind a session cookie, or None when unknown, expired or disabled."""
    record = session.get(UserSession, _token_hash(token))
    if record is None:
        return None
    if now - record.last_seen_at > idle or now - record.created_at > absolute:
        session.delete(record)
        session.flush()
        return None
    user = session.get(User, record.user_id)
    if user is None or not user.is_active:
        return None
    # At most once a minute, and never waited for (the idle timeout is counted in minutes).
    touch(session, UserSession.last_seen_at, UserSession.token_hash == record.token_hash, now)
    return user, record


def end_session(session: Session, token: str) -> None:
    """Sign out: forget the session on the server."""
    session.execute(delete(UserSession).where(UserSession.token_hash == _token_hash(token)))


def end_all_sessions(session: Session, user_id: uuid.UUID) -> None:
    """Sign a user out everywhere (used when disabling an account)."""
    session.execute(delete(UserSession).where(UserSession.user_id == user_id))


# --- Running the organisation's staff (administrators; the CLI as the operator) ---------------

USER_NOT_FOUND = "There is no such person in your organisation."


def require_user_manage(actor: Actor) -> None:
    """Refuse (404) anyone who may not manage users, so the pages' existence is not confirmed."""
    if not can(actor, Action.USER_MANAGE, Resource(organization_id=actor.organization_id)):
        raise NotFound(USER_NOT_FOUND)


def _audit_user_change(
    session: Session, *, by: User | None, target: User, action: AuditAction, now: datetime
) -> None:
    record(
        session,
        actor=by,
        action=action,
        resource_type="user",
        resource_id=target.id,
        client_id=None,
        organization_id=target.organization_id,
        purpose=AuditPurpose.SECURITY,
        outcome=AuditOutcome.SUCCESS,
        now=now,
    )


def organisation_staff(session: Session, organization_id: uuid.UUID) -> list[User]:
    """The organisation's staff accounts, active first, by name."""
    return list(
        session.scalars(
            select(User)
            .where(User.organization_id == organization_id)
            .where(User.role != Role.CLIENT)
            .order_by(User.is_active.desc(), User.display_name, User.email)
        )
    )


def staff_member(session: Session, organization_id: uuid.UUID, user_id: uuid.UUID) -> User:
    """One staff account of this organisation, or 404 (another organisation's is not there)."""
    user = session.get(User, user_id)
    if user is None or user.organization_id != organization_id or user.role is Role.CLIENT:
        raise NotFound(USER_NOT_FOUND)
    return user


def user_by_email(session: Session, email: str) -> User:
    """The account with this sign-in email (for the operator's command line)."""
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        raise NotFound(f"No user with the email {email}.")
    return user


def add_staff_member(
    session: Session,
    *,
    organization: Organization,
    email: str,
    display_name: str,
    role: Role,
    password: str,
    by: User | None,
    now: datetime,
) -> User:
    """Add a staff account (policy-checked password) and audit who added it."""
    if role is Role.CLIENT:
        raise InvalidInput("Client accounts are made from the client's intake, not here.")
    if not display_name.strip():
        raise InvalidInput("Give the person's name as colleagues will see it.")
    user = create_user(
        session,
        organization=organization,
        email=email,
        display_name=display_name.strip(),
        role=role,
        password=password,
    )
    _audit_user_change(session, by=by, target=user, action=AuditAction.CREATE, now=now)
    return user


def change_role(
    session: Session, user: User, role: Role, *, by: User | None, now: datetime
) -> None:
    """Give a staff member another role; nobody changes their own (no locking oneself out)."""
    if role is Role.CLIENT or user.role is Role.CLIENT:
        raise InvalidInput("Staff roles only: a client's account is not changed here.")
    if by is not None and by.id == user.id:
        raise InvalidInput("You cannot change your own role; ask another administrator.")
    if user.role is role:
        return
    user.role = role
    # Permissions come from the role: sign the person out so the new role applies at once.
    end_all_sessions(session, user.id)
    _audit_user_change(session, by=by, target=user, action=AuditAction.UPDATE, now=now)


def disable_user(session: Session, user: User, *, by: User | None, now: datetime) -> None:
    """Disable an account; its sessions end now and its tokens stop working."""
    if by is not None and by.id == user.id:
        raise InvalidInput("You cannot disable your own account; ask another administrator.")
    if not user.is_active:
        return
    user.is_active = False
    end_all_sessions(session, user.id)
    _audit_user_change(session, by=by, target=user, action=AuditAction.UPDATE, now=now)


# --- Setting up a new second factor at sign-in (after an approved reset or an invitation) ----

SETUP_LIFETIME = timedelta(minutes=15)
_SETUP_PURPOSE = "second-factor-setup-step"
SETUP_EXPIRED = (
    "This step has timed out or was already finished. Sign in again to set up your second factor."
)
SETUP_CODE_WRONG = (
    "That code is not right. Check that the app shows Alongside and that your phone's clock "
    "is right, then type the code it shows now."
)


@dataclass(frozen=True)
class FactorSetup:
    """What the set-up page shows: the secret for the app (once per step) and the signed
    step that carries the person from the password to the code, with no session yet."""

    step: str
    secret: str
    uri: str


def _step_signature(user: User, provider: KeyEncryptionKeyProvider, expires: int) -> str:
    # Bound to the password hash: a new password (or another person) voids the step.
    message = f"{user.id.hex}.{expires}.{user.password_hash}".encode()
    return hmac.new(provider.derive_key(_SETUP_PURPOSE), message, hashlib.sha256).hexdigest()


def _step(user: User, provider: KeyEncryptionKeyProvider, now: datetime) -> str:
    expires = int((now + SETUP_LIFETIME).timestamp())
    return f"{user.id.hex}.{expires}.{_step_signature(user, provider, expires)}"


def begin_factor_setup(
    session: Session, user: User, provider: KeyEncryptionKeyProvider, now: datetime
) -> FactorSetup:
    """Start setting up a new second factor for someone who must (the secret is stored, not
    yet on, until the app's first code proves it)."""
    if not user.totp_setup_required:
        raise InvalidInput(SETUP_EXPIRED)
    secret, uri = begin_enrolment(user, provider)
    session.flush()
    return FactorSetup(step=_step(user, provider, now), secret=secret, uri=uri)


def user_of_setup_step(
    session: Session, step: str, provider: KeyEncryptionKeyProvider, now: datetime
) -> User:
    """The person a set-up step was signed for, while it lasts and the set-up is still due."""
    parts = step.split(".")
    if len(parts) != 3 or len(step) > 200:
        raise InvalidInput(SETUP_EXPIRED)
    try:
        user_id, expires = uuid.UUID(hex=parts[0]), int(parts[1])
    except ValueError:
        raise InvalidInput(SETUP_EXPIRED) from None
    user = session.get(User, user_id)
    if user is None or not hmac.compare_digest(parts[2], _step_signature(user, provider, expires)):
        raise InvalidInput(SETUP_EXPIRED)
    if now.timestamp() > expires or not user.is_active or not user.totp_setup_required:
        raise InvalidInput(SETUP_EXPIRED)
    return user


def setup_shown_again(
    session: Session, step: str, provider: KeyEncryptionKeyProvider, now: datetime
) -> FactorSetup | None:
    """The same step and secret, to show again after a wrong code (None once it is over)."""
    try:
        user = user_of_setup_step(session, step, provider, now)
    except InvalidInput:
        return None
    shown = secret_being_set_up(user, provider)
    return None if shown is None else FactorSetup(step=step, secret=shown[0], uri=shown[1])


def finish_factor_setup(
    session: Session,
    *,
    step: str,
    code: str,
    provider: KeyEncryptionKeyProvider,
    now: datetime,
    address: str | None,
) -> tuple[User, list[str]]:
    """Turn the new factor on with the app's first code; returns the person and their new
    recovery codes (shown once). A wrong code counts towards sign-in throttling, even though
    the request fails (an :func:`~alongside.db.after_rollback` write)."""
    user = user_of_setup_step(session, step, provider, now)
    check_not_throttled(session, user.email, address, now)
    try:
        codes = confirm_change(session, user, code, provider, now)
    except InvalidInput:
        email, user_id = user.email, user.id
        after_rollback(session, lambda s: record_failure(s, email, address, now, user_id))
        raise InvalidInput(SETUP_CODE_WRONG) from None
    user.totp_setup_required = False
    clear_account(session, user.email, address)
    session.flush()
    return user, codes


# --- A person's own settings ---------------------------------------------------------------

ZONE_NOT_KNOWN = (
    "Time zone: choose one from the list, for example Europe/London or America/New_York."
)


def set_time_zone(session: Session, user: User, zone: str, *, now: datetime) -> None:
    """The time zone every time is shown to this person in ('' for the organisation's)."""
    value = zone.strip()
    if value:
        try:
            check_zone_name(value)
        except ValueError:
            raise InvalidInput(ZONE_NOT_KNOWN) from None
    chosen = value or None
    if user.timezone == chosen:
        return
    user.timezone = chosen
    session.flush()
    record(
        session,
        actor=user,
        action=AuditAction.UPDATE,
        resource_type="account",
        resource_id=user.id,
        client_id=None,
        organization_id=user.organization_id,
        purpose=AuditPurpose.SECURITY,
        outcome=AuditOutcome.SUCCESS,
        now=now,
    )
