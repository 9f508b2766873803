"""Blind indexes: keyed HMAC-SHA256 digests that allow exact lookup of encrypted values.

API
---
- :func:`normalise` ``(value, *, purpose) -> str``: the form that is indexed. For
  ``purpose="email"`` the value is Unicode-NFC, stripped and lower-cased, so ``" Ana@X.org"``
  finds ``"ana@x.org"``; for other purposes it is NFC and stripped.
- :func:`blind_index` ``(index_key, value, *, purpose) -> str``: 64 hex characters,
  HMAC-SHA256 over ``purpose`` and the normalised value (the purpose separates domains, so an
  email index never matches a phone index of the same text).
- :func:`index_key_for` ``(provider, purpose) -> bytes``: the index key, derived (HKDF) by the
  KEK provider from a secret held outside the database, so a stolen database alone cannot be
  searched by guessing emails. It does not change when the KEKs rotate.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata

from alongside.crypto.keys import KeyEncryptionKeyProvider

EMAIL = "email"
MIN_INDEX_KEY_BYTES = 32


def normalise(value: str, *, purpose: str) -> str:
    """The normalised form of ``value`` that the index for ``purpose`` covers."""
    normalised = unicodedata.normalize("NFC", value).strip()
    if purpose == EMAIL:
        normalised = normalised.lower()
    return normalised


def blind_index(index_key: bytes, value: str, *, purpose: str) -> str:
    """The hex HMAC-SHA256 blind index of ``value`` for ``purpose``."""
    if len(index_key) < MIN_INDEX_KEY_BYTES:
        raise ValueError(f"an index key needs at least {MIN_INDEX_KEY_BYTES} bytes")
    if not purpose or "\x00" in purpose:
        raise ValueError("the purpose must be a non-empty string without NUL characters")
    message = purpose.encode("utf-8") + b"\x00" + normalise(value, purpose=purpose).encode("utf-8")
    return hmac.new(index_key, message, hashlib.sha256).hexdigest()


def index_key_for(provider: KeyEncryptionKeyProvider, purpose: str) -> bytes:
    """The blind-index key for ``purpose``, derived by the KEK provider (not stored anywhere)."""
    return provider.derive_key(f"blind-index/{purpose}")
