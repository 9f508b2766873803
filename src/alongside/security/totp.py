"""TOTP second factor (RFC 6238, via pyotp) where each code works once.

API
---
- :func:`new_totp_secret` ``() -> str``: a random base32 secret (160 bits), to store encrypted.
- :func:`provisioning_uri` ``(secret, email, issuer="Alongside") -> str``: the
  ``otpauth://totp/...`` URI an authenticator app reads (shown as a QR code or typed in).
- :func:`verify_totp` ``(secret, code, *, last_used_step, now) -> int | None``: the accepted
  time step, or ``None``. The caller stores the returned step (e.g. ``users.totp_last_step``) in
  the same transaction as the login; a code for that step or any earlier one is refused, so an
  observed code cannot be replayed, even within its 30 seconds. One step of clock drift either
  way is accepted (RFC 6238 section 5.2).
- :func:`current_step` ``(now) -> int``: the time step of ``now``.

Codes are 6 digits, SHA-1, 30-second steps: the defaults every authenticator app supports.
"""

from __future__ import annotations

import datetime as dt
import hmac

import pyotp

STEP_SECONDS = 30
DIGITS = 6
WINDOW = 1


def new_totp_secret() -> str:
    """A fresh random base32 TOTP secret (32 characters, 160 bits)."""
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str, issuer: str = "Alongside") -> str:
    """The otpauth:// URI that enrols ``secret`` in an authenticator app."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
        name=email, issuer_name=issuer
    )


def current_step(now: dt.datetime) -> int:
    """The TOTP time step (30-second window since the Unix epoch) containing ``now``."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    return int(now.timestamp()) // STEP_SECONDS


def _normalise_code(code: str) -> str | None:
    # People type codes with spaces ("123 456") or copy them with a trailing newline.
    digits = "".join(code.split())
    if len(digits) != DIGITS or not digits.isascii() or not digits.isdigit():
        return None
    return digits


def verify_totp(
    secret: str, code: str, *, last_used_step: int | None, now: dt.datetime
) -> int | None:
    """The time step ``code`` is valid for (±1 step), if later than ``last_used_step``."""
    step_now = current_step(now)
    candidate = _normalise_code(code)
    if candidate is None:
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    accepted: int | None = None
    # Every step in the window is compared, without stopping early, so the time taken does not
    # tell which step matched.
    for step in range(max(0, step_now - WINDOW), step_now + WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), candidate) and (
            last_used_step is None or step > last_used_step
        ):
            accepted = step
    return accepted
