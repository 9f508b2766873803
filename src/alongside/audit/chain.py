"""The audit hash chain: canonical JSON, event hashes and a streaming verifier.

API
---
- :data:`GENESIS_HASH`: the ``previous_hash`` of event 1 (64 zeros).
- :func:`canonical_json` ``(event) -> bytes``: sorted keys, no whitespace, UTF-8, datetimes as
  ISO-8601 UTC with microseconds and ``Z`` (``2026-03-01T09:30:00.000000Z``), dates as
  ISO-8601, UUIDs as strings, enums as their values, tuples as lists. Naive datetimes, NaN, bytes
  and other types are refused (``ValueError``/``TypeError``): a hash must never depend on how a
  value happens to print.
- :func:`event_hash` ``(event, previous_hash) -> str``: hex SHA-256 over the previous hash
  (ASCII) followed by the canonical JSON of ``event``.
- :func:`seal` ``(sequence, fields, previous_hash) -> ChainedEvent``: the event to append; its
  hash covers ``{"sequence": sequence, **fields}``, so renumbering an event changes its hash.
- :func:`verify_chain` ``(events, *, expected_head=None, expected_count=None) -> VerifyResult``:
  reads events in sequence order, one at a time (constant memory), and names the first broken
  event and why.

How tampering shows (``sequence`` is what the store holds; events are read ``ORDER BY
sequence``):

- a changed field or renumbered event: its ``hash`` no longer matches its content;
- a deleted event: a gap in the sequence (reported at the missing number);
- an inserted or duplicated event: a repeated sequence, or the next event's ``previous_hash``
  no longer matches;
- reordered events: hash or previous-hash mismatch at the first moved event;
- a truncated tail: only against a head kept elsewhere (``expected_head`` = (sequence, hash)
  of an event seen earlier, e.g. printed by the last verification or sent off-site, and/or
  ``expected_count``, the least number of events the chain must hold). Someone who can rewrite
  the database can also recompute every hash after the point they change; the kept head is what
  catches that too, so keep it outside the database.

For the database: store ``datetime`` values timezone-aware (SQLite returns naive datetimes
unless the column type re-attaches UTC), and feed back exactly the fields that were sealed.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

GENESIS_HASH = "0" * 64
_SEQUENCE_FIELD = "sequence"


def _default(value: Any) -> Any:
    """JSON form of the non-JSON types an audit event may hold (called by the encoder)."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(
                f"audit datetime {value.isoformat()} has no time zone; store times in UTC "
                "with tzinfo so the hash does not depend on the server's zone"
            )
        utc = value.astimezone(dt.UTC).replace(tzinfo=None)
        return utc.isoformat(timespec="microseconds") + "Z"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Mapping):
        _check_keys(value)
        return dict(value)
    raise TypeError(f"audit fields cannot hold a {type(value).__name__}: {value!r}")


_SCALARS = (str, int, float, bool, type(None))


def _check_keys(value: Any) -> None:
    """Refuse non-string keys, which the encoder would silently turn into strings."""
    # Exact type checks first: events are flat dicts of scalars, and verification of a million
    # events spends its time here.
    if isinstance(value, Mapping):
        for key, item in value.items():
            if type(key) is not str and not isinstance(key, str):
                raise TypeError(f"audit field names must be strings, not {key!r}")
            if type(item) not in _SCALARS:
                _check_keys(item)
    elif isinstance(value, list | tuple):
        for item in value:
            if type(item) not in _SCALARS:
                _check_keys(item)


_ENCODER = json.JSONEncoder(
    sort_keys=True,
    separators=(",", ":"),
    ensure_ascii=False,
    allow_nan=False,
    default=_default,
)


def canonical_json(event: Mapping[str, Any]) -> bytes:
    """The canonical JSON bytes of an event (sorted keys, no whitespace, UTF-8)."""
    _check_keys(event)
    return _ENCODER.encode(event if isinstance(event, dict) else dict(event)).encode("utf-8")


def event_hash(event: Mapping[str, Any], previous_hash: str) -> str:
    """Hex SHA-256 over ``previous_hash`` and the canonical JSON of ``event``."""
    digest = hashlib.sha256(previous_hash.encode("ascii"))
    digest.update(canonical_json(event))
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class ChainedEvent:
    """One stored audit event: its place in the chain, its fields and the two hashes."""

    sequence: int
    fields: Mapping[str, Any]
    previous_hash: str
    hash: str


def chained_content(sequence: int, fields: Mapping[str, Any]) -> dict[str, Any]:
    """What an event's hash covers: its fields and its sequence number."""
    if _SEQUENCE_FIELD in fields:
        raise ValueError("audit fields cannot be named 'sequence'; the chain numbers events")
    return {**fields, _SEQUENCE_FIELD: sequence}


def seal(sequence: int, fields: Mapping[str, Any], previous_hash: str) -> ChainedEvent:
    """The event to append after the event whose hash is ``previous_hash``."""
    if sequence < 1:
        raise ValueError("audit sequence numbers start at 1")
    digest = event_hash(chained_content(sequence, fields), previous_hash)
    return ChainedEvent(sequence, fields, previous_hash, digest)


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """The outcome of a verification: events read, the last good head, the first break."""

    count: int
    head: tuple[int, str] | None
    broken_sequence: int | None = None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the chain is intact."""
        return self.broken_sequence is None

    def describe(self) -> str:
        """One line for a person: intact with the head, or the first broken event and why."""
        if self.ok:
            if self.head is None:
                return "Audit chain intact: no events."
            return f"Audit chain intact: {self.count} events, head {self.head[0]} {self.head[1]}."
        return f"Audit chain broken at event {self.broken_sequence}: {self.reason}"


def verify_chain(
    events: Iterable[ChainedEvent],
    *,
    expected_head: tuple[int, str] | None = None,
    expected_count: int | None = None,
) -> VerifyResult:
    """Check the chain event by event in constant memory; name the first broken event."""
    expected_sequence = 1
    previous_hash = GENESIS_HASH
    count = 0
    head: tuple[int, str] | None = None

    def broken(sequence: int, reason: str) -> VerifyResult:
        return VerifyResult(count, head, sequence, reason)

    for event in events:
        count += 1
        if event.sequence != expected_sequence:
            if event.sequence > expected_sequence:
                missing = (
                    f"event {expected_sequence} is missing"
                    if event.sequence == expected_sequence + 1
                    else f"events {expected_sequence} to {event.sequence - 1} are missing"
                )
                return broken(
                    expected_sequence,
                    f"{missing} (deleted or reordered); the next is {event.sequence}",
                )
            return broken(
                event.sequence,
                f"sequence {event.sequence} appears again after {expected_sequence - 1} "
                "(inserted, duplicated or reordered)",
            )
        if event.previous_hash != previous_hash:
            return broken(
                event.sequence,
                "its previous_hash does not match the hash of the event before it "
                "(an event before it was inserted, deleted or reordered)",
            )
        try:
            recomputed = event_hash(chained_content(event.sequence, event.fields), previous_hash)
        except (TypeError, ValueError) as error:
            return broken(event.sequence, f"its fields cannot be canonicalised ({error})")
        if recomputed != event.hash:
            return broken(event.sequence, "its content does not match its hash (changed)")
        if expected_head is not None and event.sequence == expected_head[0]:
            if event.hash != expected_head[1]:
                return broken(
                    event.sequence,
                    "it differs from the head kept outside the database (the chain was "
                    "rewritten from here or earlier)",
                )
        head = (event.sequence, event.hash)
        previous_hash = event.hash
        expected_sequence += 1

    last = expected_sequence - 1
    required = max(
        expected_head[0] if expected_head is not None else 0,
        expected_count if expected_count is not None else 0,
    )
    if last < required:
        return broken(
            last + 1,
            f"the chain ends at event {last} but at least {required} events were kept (truncated)",
        )
    return VerifyResult(count, head)
