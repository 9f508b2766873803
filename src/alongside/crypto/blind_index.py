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
- :func:`search_words` ``(text) -> list[str]``: the words of a name as search matches them
  (NFKD, accents dropped, case-folded, split on anything that is not a letter or digit).
- :func:`prefixes` ``(word) -> list[str]``: its prefixes from :data:`MIN_PREFIX` to
  :data:`MAX_PREFIX` characters (a longer query word is cut to :data:`MAX_PREFIX`).
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata

from alongside.crypto.keys import KeyEncryptionKeyProvider

EMAIL = "email"
SEARCH = "search"
MIN_INDEX_KEY_BYTES = 32
MIN_PREFIX = 2
MAX_PREFIX = 16


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


def search_words(text: str) -> list[str]:
    """The words of ``text`` as name search compares them: no accents, case-folded."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    spaced = "".join(ch if ch.isalnum() else " " for ch in bare)
    return spaced.split()


def prefixes(word: str) -> list[str]:
    """``word``'s prefixes of MIN_PREFIX to MAX_PREFIX characters (none for a shorter word)."""
    return [word[:length] for length in range(MIN_PREFIX, min(len(word), MAX_PREFIX) + 1)]
