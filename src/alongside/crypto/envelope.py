"""Per-client data keys and field encryption (AES-256-GCM, row and column bound).

API
---
- :func:`new_data_key` ``() -> bytes``: 32 random bytes, one per client. Store it only wrapped
  (:meth:`~alongside.crypto.keys.KeyEncryptionKeyProvider.wrap`); destroying it erases every
  field encrypted under it (crypto-shredding).
- :func:`encrypt_field` ``(data_key, plaintext, *, table, column, row_id) -> bytes`` and
  :func:`decrypt_field` ``(data_key, ciphertext, *, table, column, row_id) -> str``.
- :class:`FieldCipher` ``(data_key)``: the same two operations with the key set up once, for
  loading many fields of one client.

Ciphertext format (bytes)::

    0x01 (version) | nonce (12 random bytes) | AES-256-GCM ciphertext + 16-byte tag

The associated data is the version and the JSON array ``[table, column, row_id]``, so a
ciphertext copied to another row, column or table fails with :class:`DecryptionError` instead of
showing one client's words in another's record. ``row_id`` may be a UUID or its string; both bind
the same way.
"""

from __future__ import annotations

import json
import os
import uuid

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from alongside.crypto.errors import DecryptionError

DATA_KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
FIELD_VERSION = 1
_AAD_PREFIX = b"alongside/field/v1\x00"


def new_data_key() -> bytes:
    """A fresh random 256-bit data key for one client."""
    return os.urandom(DATA_KEY_BYTES)


def _associated_data(table: str, column: str, row_id: str | uuid.UUID) -> bytes:
    # JSON makes the binding unambiguous: ("a.b", "c") and ("a", "b.c") never collide.
    return _AAD_PREFIX + json.dumps([table, column, str(row_id)]).encode("utf-8")


class FieldCipher:
    """Encrypts and decrypts one client's fields with their data key."""

    def __init__(self, data_key: bytes) -> None:
        if len(data_key) != DATA_KEY_BYTES:
            raise ValueError(f"a data key is {DATA_KEY_BYTES} bytes, not {len(data_key)}")
        self._aead = AESGCM(data_key)

    def encrypt(self, plaintext: str, *, table: str, column: str, row_id: str | uuid.UUID) -> bytes:
        """Encrypt ``plaintext`` for ``table.column`` of row ``row_id``."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(
            nonce, plaintext.encode("utf-8"), _associated_data(table, column, row_id)
        )
        return bytes([FIELD_VERSION]) + nonce + sealed

    def decrypt(
        self, ciphertext: bytes, *, table: str, column: str, row_id: str | uuid.UUID
    ) -> str:
        """Decrypt a field stored in ``table.column`` of row ``row_id``."""
        where = f"{table}.{column} of row {row_id}"
        if len(ciphertext) < 1 + NONCE_BYTES + TAG_BYTES:
            raise DecryptionError(f"Cannot decrypt {where}: the ciphertext is too short.")
        if ciphertext[0] != FIELD_VERSION:
            raise DecryptionError(
                f"Cannot decrypt {where}: unknown ciphertext version {ciphertext[0]}."
            )
        nonce = ciphertext[1 : 1 + NONCE_BYTES]
        try:
            plaintext = self._aead.decrypt(
                nonce, ciphertext[1 + NONCE_BYTES :], _associated_data(table, column, row_id)
            )
        except InvalidTag:
            raise DecryptionError(
                f"Cannot decrypt {where}: the ciphertext was changed, belongs to another row, "
                "column or table, or the client's data key is wrong or destroyed."
            ) from None
        try:
            return plaintext.decode("utf-8")
        except UnicodeDecodeError:
            raise DecryptionError(f"Cannot decrypt {where}: the plaintext is not UTF-8.") from None


def encrypt_field(
    data_key: bytes, plaintext: str, *, table: str, column: str, row_id: str | uuid.UUID
) -> bytes:
    """Encrypt one field with a client's data key, bound to its table, column and row."""
    return FieldCipher(data_key).encrypt(plaintext, table=table, column=column, row_id=row_id)


def decrypt_field(
    data_key: bytes, ciphertext: bytes, *, table: str, column: str, row_id: str | uuid.UUID
) -> str:
    """Decrypt one field; raises :class:`DecryptionError` if altered, moved or the key is wrong."""
    return FieldCipher(data_key).decrypt(ciphertext, table=table, column=column, row_id=row_id)
