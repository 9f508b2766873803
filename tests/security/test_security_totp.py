"""TOTP: RFC 6238 codes, ±1 step of drift, and replay protection (a code works once)."""

from __future__ import annotations

import base64
import datetime as dt
import urllib.parse

import pyotp
import pytest
from hypothesis import given
from hypothesis import strategies as st

from alongside.security.totp import (
    current_step,
    new_totp_secret,
    provisioning_uri,
    verify_totp,
)

SECRET = base64.b32encode(b"alongside-test-secret").decode()
NOW = dt.datetime(2026, 3, 1, 9, 30, 10, tzinfo=dt.UTC)
STEP = int(NOW.timestamp()) // 30


def code_at(step: int, secret: str = SECRET) -> str:
    return pyotp.TOTP(secret).generate_otp(step)


def test_rfc6238_reference_vector() -> None:
    # RFC 6238 appendix B: SHA-1 secret "12345678901234567890", T = 59 s -> 94287082 (8 digits);
    # the 6-digit code is its last six digits.
    secret = base64.b32encode(b"12345678901234567890").decode()
    at = dt.datetime.fromtimestamp(59, tz=dt.UTC)
    assert verify_totp(secret, "287082", last_used_step=None, now=at) == 1


def test_new_secrets_are_random_base32_of_160_bits() -> None:
    secrets = {new_totp_secret() for _ in range(20)}
    assert len(secrets) == 20
    for secret in secrets:
        assert len(secret) == 32
        assert set(secret) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")


def test_provisioning_uri() -> None:
    uri = provisioning_uri(SECRET, "ana.lopez@example.org")
    parsed = urllib.parse.urlparse(uri)
    query = urllib.parse.parse_qs(parsed.query)
    assert parsed.scheme == "otpauth"
    assert parsed.netloc == "totp"
    assert urllib.parse.unquote(parsed.path) == "/Alongside:ana.lopez@example.org"
    assert query["secret"] == [SECRET]
    assert query["issuer"] == ["Alongside"]
    other = provisioning_uri(SECRET, "a@b.org", issuer="Riverside Clinic")
    assert urllib.parse.parse_qs(urllib.parse.urlparse(other).query)["issuer"] == [
        "Riverside Clinic"
    ]


def test_current_code_returns_its_step() -> None:
    assert current_step(NOW) == STEP
    assert verify_totp(SECRET, code_at(STEP), last_used_step=None, now=NOW) == STEP


@pytest.mark.parametrize("drift", [-1, 1])
def test_one_step_of_drift_is_accepted(drift: int) -> None:
    assert verify_totp(SECRET, code_at(STEP + drift), last_used_step=None, now=NOW) == STEP + drift


@pytest.mark.parametrize("drift", [-3, -2, 2, 3])
def test_more_drift_is_refused(drift: int) -> None:
    assert verify_totp(SECRET, code_at(STEP + drift), last_used_step=None, now=NOW) is None


def test_a_code_works_once() -> None:
    code = code_at(STEP)
    used = verify_totp(SECRET, code, last_used_step=None, now=NOW)
    assert used == STEP
    # Replayed in the same 30 seconds, and in the next step while it is still in the window.
    assert verify_totp(SECRET, code, last_used_step=used, now=NOW) is None
    assert (
        verify_totp(SECRET, code, last_used_step=used, now=NOW + dt.timedelta(seconds=30)) is None
    )


def test_an_earlier_code_after_a_later_one_is_refused() -> None:
    used = verify_totp(SECRET, code_at(STEP + 1), last_used_step=None, now=NOW)
    assert used == STEP + 1
    assert verify_totp(SECRET, code_at(STEP), last_used_step=used, now=NOW) is None
    assert verify_totp(SECRET, code_at(STEP - 1), last_used_step=used, now=NOW) is None


def test_the_next_code_after_a_used_one_is_accepted() -> None:
    later = NOW + dt.timedelta(seconds=30)
    assert verify_totp(SECRET, code_at(STEP + 1), last_used_step=STEP, now=later) == STEP + 1


@pytest.mark.parametrize(
    "typed", [" {c} ", "{c}\n", "{a} {b}", "{a}\t{b}"], ids=["padded", "newline", "space", "tab"]
)
def test_codes_as_people_type_them(typed: str) -> None:
    code = code_at(STEP)
    text = typed.format(c=code, a=code[:3], b=code[3:])
    assert verify_totp(SECRET, text, last_used_step=None, now=NOW) == STEP


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", "١٢٣٤٥٦", "12 34 5"])
def test_malformed_codes_are_refused(code: str) -> None:
    assert verify_totp(SECRET, code, last_used_step=None, now=NOW) is None


def test_another_secret_code_is_refused() -> None:
    other = base64.b32encode(b"another-clinic-secret").decode()
    assert code_at(STEP, other) != code_at(STEP)
    assert verify_totp(SECRET, code_at(STEP, other), last_used_step=None, now=NOW) is None


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        verify_totp(SECRET, "123456", last_used_step=None, now=dt.datetime(2026, 3, 1))  # noqa: DTZ001 - the naive value under test


@given(
    seconds=st.integers(min_value=0, max_value=2**33),
    used_offset=st.one_of(st.none(), st.integers(-3, 3)),
)
def test_accepted_step_is_always_new_and_in_the_window(
    seconds: int, used_offset: int | None
) -> None:
    now = dt.datetime.fromtimestamp(seconds, tz=dt.UTC)
    step = current_step(now)
    last_used = None if used_offset is None else step + used_offset
    for candidate in range(max(0, step - 2), step + 3):
        accepted = verify_totp(SECRET, code_at(candidate), last_used_step=last_used, now=now)
        if accepted is not None:
            assert step - 1 <= accepted <= step + 1
            assert last_used is None or accepted > last_used
        if abs(candidate - step) <= 1 and (last_used is None or candidate > last_used):
            assert accepted is not None
