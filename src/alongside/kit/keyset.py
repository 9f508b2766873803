"""Keyset pagination: page sizes and signed, opaque cursors (the SQL side is
:mod:`alongside.sqltools`).

A list is ordered by columns that identify a row (the last one unique, usually the id). A
page is the first ``limit`` rows after the cursor's values in that order; the next cursor holds
the values of the page's last row (and, for a list split into ranked groups, the group's rank).

API
---
- :data:`DEFAULT_LIMIT` (50), :data:`MAX_LIMIT` (200); :func:`check_limit` ``(limit) -> int``.
- :class:`CursorCodec` ``(key)``: ``encode(scope, values) -> str`` and ``decode(scope, token,
  kinds) -> tuple``. The token is base64url JSON plus an HMAC-SHA256 tag over the scope and
  the payload, so an altered cursor, or one from another list or filter, is refused with
  :class:`~alongside.errors.InvalidInput` (422) rather than read.
- :class:`Page` ``(items, next)``: a page and the cursor of the next one (None on the last).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from alongside.errors import InvalidInput

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
_TAG_BYTES = 16
_BAD_CURSOR = (
    "cursor: this link to the next page is not valid (it was changed, or belongs to another "
    "list or search); start again from the first page."
)

T = TypeVar("T")
CursorValue = uuid.UUID | datetime | int | str
Kind = Callable[[Any], CursorValue]


def check_limit(limit: int | None) -> int:
    """The page size asked for: the default when none is given, else 1 to MAX_LIMIT."""
    if limit is None:
        return DEFAULT_LIMIT
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit: ask for between 1 and {MAX_LIMIT} rows per page.")
    return limit


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list and the cursor that continues it (None on the last page)."""

    items: list[T]
    next: str | None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _plain(value: CursorValue) -> str | int:
    if isinstance(value, bool):
        raise TypeError("a cursor holds ids, times, numbers and text, not booleans")
    if isinstance(value, int | str):
        return value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("cursor times must be timezone-aware")
        return value.isoformat()
    return str(value)


def _aware_datetime(value: Any) -> datetime:
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError("naive time")
    return parsed


def _int(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError("not an integer")
    return value


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("not text")
    return value


# What ``decode`` turns each stored value into, by the type the caller expects.
_READERS: dict[type, Kind] = {
    uuid.UUID: lambda v: uuid.UUID(_str(v)),
    datetime: _aware_datetime,
    int: _int,
    str: _str,
}


class CursorCodec:
    """Signs cursors with a server-side key and refuses any it did not sign for the scope."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 32:
            raise ValueError("a cursor key needs at least 32 bytes")
        self._key = key

    def _tag(self, scope: str, payload: bytes) -> bytes:
        message = scope.encode("utf-8") + b"\x00" + payload
        return hmac.new(self._key, message, hashlib.sha256).digest()[:_TAG_BYTES]

    def encode(self, scope: str, values: Sequence[CursorValue]) -> str:
        """An opaque token for ``values`` that only ``decode`` with the same scope accepts."""
        payload = json.dumps([_plain(v) for v in values], separators=(",", ":")).encode()
        return f"{_b64(payload)}.{_b64(self._tag(scope, payload))}"

    def decode(self, scope: str, token: str, kinds: Sequence[type]) -> tuple[Any, ...]:
        """The values of a token made by :meth:`encode` for ``scope``; 422 for anything else."""
        try:
            body, tag = token.split(".")
            payload = _unb64(body)
            expected = self._tag(scope, payload)
            if not hmac.compare_digest(_unb64(tag), expected):
                raise InvalidInput(_BAD_CURSOR)
            raw = json.loads(payload)
            if not isinstance(raw, list) or len(raw) != len(kinds):
                raise InvalidInput(_BAD_CURSOR)
            return tuple(_READERS[kind](value) for kind, value in zip(kinds, raw, strict=True))
        except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
            raise InvalidInput(_BAD_CURSOR) from None


__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "CursorCodec",
    "Page",
    "check_limit",
]
