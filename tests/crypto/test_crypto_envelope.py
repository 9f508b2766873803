"""Field encryption: round trips, tampering, moved ciphertexts, wrong keys, crypto-shredding."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alongside.crypto.envelope import (
    FIELD_VERSION,
    FieldCipher,
    decrypt_field,
    encrypt_field,
    new_data_key,
)
from alongside.crypto.errors import DecryptionError
from alongside.errors import AlongsideError

ROW = "3f1c9a4e-1111-4c2b-9a55-0a1b2c3d4e5f"
WHERE = {"table": "clients", "column": "given_name", "row_id": ROW}


def test_new_data_keys_are_32_random_bytes() -> None:
    keys = {new_data_key() for _ in range(50)}
    assert len(keys) == 50
    assert all(len(key) == 32 for key in keys)


@given(plaintext=st.text())
def test_round_trip_any_text(plaintext: str) -> None:
    key = new_data_key()
    ciphertext = encrypt_field(key, plaintext, **WHERE)
    assert decrypt_field(key, ciphertext, **WHERE) == plaintext


def test_ciphertext_format_and_fresh_nonce() -> None:
    key = new_data_key()
    first = encrypt_field(key, "Ana", **WHERE)
    second = encrypt_field(key, "Ana", **WHERE)
    assert first[0] == FIELD_VERSION
    assert len(first) == 1 + 12 + len(b"Ana") + 16
    assert first != second  # a random nonce: equal plaintexts do not look equal
    assert b"Ana" not in first


def test_uuid_and_its_string_bind_the_same_row() -> None:
    key = new_data_key()
    row = uuid.UUID(ROW)
    ciphertext = encrypt_field(key, "x", table="clients", column="c", row_id=row)
    assert decrypt_field(key, ciphertext, table="clients", column="c", row_id=ROW) == "x"


def test_every_flipped_bit_is_detected() -> None:
    key = new_data_key()
    ciphertext = encrypt_field(key, "I have been feeling low", **WHERE)
    for index in range(len(ciphertext)):
        for bit in (0x01, 0x80):
            tampered = bytearray(ciphertext)
            tampered[index] ^= bit
            with pytest.raises(DecryptionError):
                decrypt_field(key, bytes(tampered), **WHERE)


@pytest.mark.parametrize(
    "moved_to",
    [
        {"table": "clients", "column": "given_name", "row_id": str(uuid.uuid4())},
        {"table": "clients", "column": "family_name", "row_id": ROW},
        {"table": "notes", "column": "given_name", "row_id": ROW},
        # Separator confusion: the parts are JSON-encoded, so these differ from WHERE.
        {"table": "clients.given_name", "column": "", "row_id": ROW},
        {"table": "clients", "column": "given_name", "row_id": ROW.upper()},
    ],
    ids=["other-row", "other-column", "other-table", "joined-names", "row-id-case"],
)
def test_ciphertext_moved_elsewhere_fails_clearly(moved_to: dict[str, str]) -> None:
    key = new_data_key()
    ciphertext = encrypt_field(key, "canary-7731", **WHERE)
    with pytest.raises(DecryptionError, match="belongs to another row, column or table") as info:
        decrypt_field(key, ciphertext, **moved_to)
    assert "canary" not in str(info.value)
    assert isinstance(info.value, AlongsideError)


def test_wrong_key_fails() -> None:
    ciphertext = encrypt_field(new_data_key(), "secret", **WHERE)
    with pytest.raises(DecryptionError):
        decrypt_field(new_data_key(), ciphertext, **WHERE)


def test_crypto_shredding_without_the_data_key_nothing_decrypts() -> None:
    key = new_data_key()
    fields = {
        ("clients", "given_name"): "Ana",
        ("clients", "email"): "ana@example.org",
        ("notes", "body"): "We talked about sleep.",
    }
    stored = {
        where: encrypt_field(key, text, table=where[0], column=where[1], row_id=ROW)
        for where, text in fields.items()
    }
    del key  # the erased client's key is gone; only ciphertexts remain (e.g. in a backup)
    for (table, column), ciphertext in stored.items():
        for _ in range(20):
            with pytest.raises(DecryptionError):
                decrypt_field(new_data_key(), ciphertext, table=table, column=column, row_id=ROW)
        assert fields[(table, column)].encode() not in ciphertext


@pytest.mark.parametrize(
    ("ciphertext", "message"),
    [
        (b"", "too short"),
        (bytes([FIELD_VERSION]) + bytes(27), "too short"),
        (bytes([2]) + bytes(40), "unknown ciphertext version 2"),
    ],
)
def test_malformed_ciphertexts(ciphertext: bytes, message: str) -> None:
    with pytest.raises(DecryptionError, match=message):
        decrypt_field(new_data_key(), ciphertext, **WHERE)


def test_authentic_but_non_utf8_plaintext_is_refused() -> None:
    key = new_data_key()
    # Forge a well-formed ciphertext of invalid UTF-8 with the real AEAD and binding.
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from alongside.crypto import envelope

    nonce = bytes(12)
    aad = envelope._associated_data("clients", "given_name", ROW)
    sealed = AESGCM(key).encrypt(nonce, b"\xff\xfe", aad)
    with pytest.raises(DecryptionError, match="not UTF-8"):
        decrypt_field(key, bytes([FIELD_VERSION]) + nonce + sealed, **WHERE)


def test_field_cipher_rejects_wrong_key_length() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        FieldCipher(b"short")


def test_field_cipher_reused_for_many_fields() -> None:
    key = new_data_key()
    cipher = FieldCipher(key)
    rows = [str(uuid.uuid4()) for _ in range(10)]
    stored = [
        cipher.encrypt(f"answer {i}", table="t", column="c", row_id=r) for i, r in enumerate(rows)
    ]
    assert [
        cipher.decrypt(c, table="t", column="c", row_id=r)
        for c, r in zip(stored, rows, strict=True)
    ] == [f"answer {i}" for i in range(10)]
    assert decrypt_field(key, stored[3], table="t", column="c", row_id=rows[3]) == "answer 3"
