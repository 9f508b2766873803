"""Blind indexes: normalisation, keying, domain separation, derivation from the KEK provider."""

from __future__ import annotations

import pytest

from alongside.crypto.blind_index import EMAIL, blind_index, index_key_for, normalise
from alongside.crypto.keys import InMemoryKeyProvider

KEY = bytes(range(32))


@pytest.mark.parametrize(
    "variant",
    ["ana@example.org", " Ana@Example.ORG", "ANA@EXAMPLE.ORG\n", "\tana@example.org  "],
)
def test_email_variants_share_one_index(variant: str) -> None:
    assert blind_index(KEY, variant, purpose=EMAIL) == blind_index(
        KEY, "ana@example.org", purpose=EMAIL
    )


def test_unicode_composed_and_decomposed_forms_match() -> None:
    composed = "jos\u00e9@example.org"
    decomposed = "jose\u0301@example.org"
    assert normalise(decomposed, purpose=EMAIL) == composed
    assert blind_index(KEY, composed, purpose=EMAIL) == blind_index(KEY, decomposed, purpose=EMAIL)


def test_other_purposes_keep_case() -> None:
    assert normalise("  AbC ", purpose="phone") == "AbC"
    assert blind_index(KEY, "AbC", purpose="phone") != blind_index(KEY, "abc", purpose="phone")


def test_index_is_hex_sha256_and_depends_on_key_value_and_purpose() -> None:
    index = blind_index(KEY, "ana@example.org", purpose=EMAIL)
    assert len(index) == 64
    int(index, 16)
    assert index != blind_index(bytes(32), "ana@example.org", purpose=EMAIL)
    assert index != blind_index(KEY, "ana@example.com", purpose=EMAIL)
    assert index != blind_index(KEY, "ana@example.org", purpose="username")
    assert "ana" not in index


def test_known_value() -> None:
    import hashlib
    import hmac

    expected = hmac.new(KEY, b"email\x00ana@example.org", hashlib.sha256).hexdigest()
    assert blind_index(KEY, " ANA@example.org ", purpose=EMAIL) == expected


@pytest.mark.parametrize(("key", "purpose"), [(b"short", EMAIL), (KEY, ""), (KEY, "a\x00b")])
def test_bad_arguments_are_refused(key: bytes, purpose: str) -> None:
    with pytest.raises(ValueError, match=r"index key|purpose"):
        blind_index(key, "x", purpose=purpose)


def test_index_key_is_derived_and_survives_kek_rotation() -> None:
    provider = InMemoryKeyProvider.generate()
    email_key = index_key_for(provider, EMAIL)
    assert len(email_key) == 32
    assert email_key == index_key_for(provider, EMAIL)
    assert email_key != index_key_for(provider, "phone")
    assert email_key not in provider.keys.values()
    assert email_key != provider.index_root
    rotated = provider.with_new_key()
    assert index_key_for(rotated, EMAIL) == email_key
    other_clinic = InMemoryKeyProvider.generate()
    assert index_key_for(other_clinic, EMAIL) != email_key
