"""Signed cursors: what encode makes decode reads back; anything altered or foreign is a 422."""

from __future__ import annotations

import base64
import json
import os
import uuid
from datetime import UTC, datetime

import pytest

from alongside.errors import InvalidInput
from alongside.kit.keyset import DEFAULT_LIMIT, MAX_LIMIT, CursorCodec, check_limit

KINDS = (int, datetime, uuid.UUID)
VALUES = (2, datetime(2026, 3, 2, 9, 30, 15, 123456, tzinfo=UTC), uuid.uuid4())


@pytest.fixture
def codec() -> CursorCodec:
    return CursorCodec(os.urandom(32))


def test_a_cursor_reads_back_as_written(codec: CursorCodec) -> None:
    token = codec.encode("queue", VALUES)
    assert codec.decode("queue", token, KINDS) == VALUES
    # Opaque to the reader: no id in the clear.
    assert str(VALUES[2]) not in token


def _flip_payload(token: str) -> str:
    body, tag = token.split(".")
    raw = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    raw[0] = raw[0] + 1  # skip ahead one rank
    forged = base64.urlsafe_b64encode(json.dumps(raw).encode()).decode().rstrip("=")
    return f"{forged}.{tag}"


@pytest.mark.parametrize(
    "alter",
    [
        _flip_payload,
        lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # tag altered
        lambda t: t.split(".")[0],  # tag dropped
        lambda t: "not a cursor",
        lambda t: t + ".extra",
        lambda t: "%%%.***",
    ],
)
def test_an_altered_cursor_is_refused_with_a_message(codec: CursorCodec, alter: object) -> None:
    token = codec.encode("queue", VALUES)
    assert codec.decode("queue", token, KINDS) == VALUES  # positive control
    with pytest.raises(InvalidInput, match="start again from the first page"):
        codec.decode("queue", alter(token), KINDS)  # type: ignore[operator]


def test_a_cursor_of_another_list_or_key_is_refused(codec: CursorCodec) -> None:
    token = codec.encode("queue", VALUES)
    with pytest.raises(InvalidInput):
        codec.decode("waitlist", token, KINDS)
    with pytest.raises(InvalidInput):
        CursorCodec(os.urandom(32)).decode("queue", token, KINDS)


def test_a_signed_cursor_of_the_wrong_shape_is_refused(codec: CursorCodec) -> None:
    # Signed by us, but not what this list reads (a naive time, a missing value).
    with pytest.raises(InvalidInput):
        codec.decode("queue", codec.encode("queue", (1, "2026-03-02T09:30:00", "x")), KINDS)
    with pytest.raises(InvalidInput):
        codec.decode("queue", codec.encode("queue", (1,)), KINDS)


def test_limits() -> None:
    assert check_limit(None) == DEFAULT_LIMIT == 50
    assert check_limit(1) == 1
    assert check_limit(MAX_LIMIT) == MAX_LIMIT == 200
    for bad in (0, -1, MAX_LIMIT + 1):
        with pytest.raises(InvalidInput, match="between 1 and 200"):
            check_limit(bad)
