"""Password hashing (argon2id) and the password policy of OWASP ASVS 5.0 (V6.2).

API
---
- :func:`hash_password` ``(password) -> str``: an argon2id PHC string (``$argon2id$v=19$...``).
- :func:`verify_password` ``(password_hash, password) -> bool``: never raises for a wrong or
  malformed hash; pass ``None`` as the hash when the account does not exist, so the check costs
  the same time and does not reveal which accounts exist.
- :func:`needs_rehash` ``(password_hash) -> bool``: after a successful login, re-hash when the
  parameters below have been raised since the hash was made.
- :func:`check_password_policy` ``(password, *, email=None, name=None) -> list[str]``: problems
  a person can act on, empty when the password is acceptable.

Policy (ASVS 5.0 V6.2): at least 8 characters (15 or more recommended, and said so), up to 128
accepted (ASVS asks for at least 64), any character allowed and no composition rules (6.2.5), no
truncation or case folding (6.2.3), refused when on the shipped list of common passwords (6.2.4;
``data/common-passwords.txt.gz``, see ``data/README.md``) or equal to the account's email, the
email's local part or the person's name (6.2.11). Passwords are Unicode-NFKC normalised before
length counting and hashing, as NIST SP 800-63B asks, so the same password typed on another
keyboard (composed or decomposed accents) still matches.

Argon2id parameters follow the OWASP Password Storage Cheat Sheet: 19 MiB of memory, 2
iterations, 1 degree of parallelism.
"""

from __future__ import annotations

import gzip
import unicodedata
from functools import cache
from importlib import resources

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 8
RECOMMENDED_LENGTH = 15
MAX_LENGTH = 128
COMMON_PASSWORDS_FILE = "common-passwords.txt.gz"

_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, type=Type.ID)
# A real hash of a random-looking string, so that checking a password against a missing account
# costs the same as against a real one.
_DUMMY_HASH = _HASHER.hash("alongside/no-such-account/7f3c0e5b9a")


def _normalise(password: str) -> str:
    return unicodedata.normalize("NFKC", password)


def hash_password(password: str) -> str:
    """Hash a password with argon2id (after NFKC normalisation)."""
    return _HASHER.hash(_normalise(password))


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches ``password_hash``; ``None`` still spends the time."""
    try:
        return _HASHER.verify(password_hash or _DUMMY_HASH, _normalise(password)) and (
            password_hash is not None
        )
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made with weaker parameters than the current ones."""
    try:
        return _HASHER.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords, lower-cased (about 20,000 entries)."""
    data = resources.files("alongside.security").joinpath("data", COMMON_PASSWORDS_FILE)
    text = gzip.decompress(data.read_bytes()).decode("utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip())


def is_common_password(password: str) -> bool:
    """Whether the password (ignoring case) is on the common-password list."""
    return _normalise(password).strip().lower() in common_passwords()


def check_password_policy(
    password: str, *, email: str | None = None, name: str | None = None
) -> list[str]:
    """The reasons ``password`` is refused, in words a person can act on; empty if accepted."""
    normalised = _normalise(password)
    problems: list[str] = []
    length = len(normalised)
    if length < MIN_LENGTH:
        problems.append(
            f"Use at least {MIN_LENGTH} characters ({RECOMMENDED_LENGTH} or more is better; "
            "a few unrelated words make a strong password)."
        )
    elif length > MAX_LENGTH:
        problems.append(f"Use at most {MAX_LENGTH} characters.")
    if is_common_password(normalised):
        problems.append("This password is on a list of commonly used passwords; choose another.")
    folded = normalised.strip().casefold()
    if email:
        email_folded = _normalise(email).strip().casefold()
        local_part = email_folded.partition("@")[0]
        if folded in {email_folded, local_part}:
            problems.append("Do not use your email address as your password.")
    if name and folded == _normalise(name).strip().casefold():
        problems.append("Do not use your name as your password.")
    return problems
