"""The audit hash chain: canonical JSON, sealing, and detection of every kind of tampering."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import hashlib
import math
import tracemalloc
import uuid
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alongside.audit.chain import (
    GENESIS_HASH,
    ChainedEvent,
    VerifyResult,
    canonical_json,
    chained_content,
    event_hash,
    seal,
    verify_chain,
)

T0 = dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC)
ORG = uuid.UUID("00000000-0000-4000-8000-000000000001")


class Purpose(enum.StrEnum):
    TREATMENT = "treatment"


class Outcome(enum.Enum):
    ALLOWED = "allowed"


class Level(enum.IntEnum):
    HIGH = 3


def fields_for(i: int, note: str = "") -> dict[str, Any]:
    return {
        "event_id": str(uuid.UUID(int=i + 1)),
        "actor_id": uuid.UUID(int=1000 + i % 7),
        "role": "clinician",
        "action": "client.read",
        "resource_type": "client",
        "resource_id": str(uuid.UUID(int=2000 + i % 11)),
        "client_id": str(uuid.UUID(int=2000 + i % 11)),
        "organization_id": ORG,
        "purpose": Purpose.TREATMENT,
        "outcome": "allowed",
        "request_id": f"req-{i}",
        "occurred_at": T0 + dt.timedelta(seconds=i),
        "detail": note,
    }


def make_chain(n: int) -> list[ChainedEvent]:
    events: list[ChainedEvent] = []
    previous = GENESIS_HASH
    for i in range(1, n + 1):
        event = seal(i, fields_for(i), previous)
        events.append(event)
        previous = event.hash
    return events


def head(events: list[ChainedEvent]) -> tuple[int, str]:
    return events[-1].sequence, events[-1].hash


def renumber(events: list[ChainedEvent]) -> list[ChainedEvent]:
    """Give events consecutive sequence numbers without re-sealing (as a careless forger)."""
    return [dataclasses.replace(e, sequence=i) for i, e in enumerate(events, start=1)]


def reseal_from(events: list[ChainedEvent], start: int) -> list[ChainedEvent]:
    """Recompute every hash from index ``start`` on (a forger with write access to the DB)."""
    out = events[:start]
    previous = out[-1].hash if out else GENESIS_HASH
    for i, event in enumerate(events[start:], start=start + 1):
        sealed = seal(i, event.fields, previous)
        out.append(sealed)
        previous = sealed.hash
    return out


# --- canonical JSON -------------------------------------------------------------------------


def test_canonical_json_is_sorted_compact_utf8() -> None:
    assert canonical_json({"b": 1, "a": "é ✓", "c": [1, {"z": None, "y": True}]}) == (
        '{"a":"é ✓","b":1,"c":[1,{"y":true,"z":null}]}'.encode()
    )


def test_canonical_json_of_typed_values() -> None:
    event = {
        "at": dt.datetime(2026, 3, 1, 10, 30, tzinfo=ZoneInfo("Europe/Paris")),
        "day": dt.date(2026, 3, 1),
        "id": uuid.UUID(int=5),
        "purpose": Purpose.TREATMENT,
        "pair": (1, 2.5),
        "outcome": Outcome.ALLOWED,
        "level": Level.HIGH,
    }
    assert canonical_json(event) == (
        b'{"at":"2026-03-01T09:30:00.000000Z","day":"2026-03-01",'
        b'"id":"00000000-0000-0000-0000-000000000005","level":3,"outcome":"allowed",'
        b'"pair":[1,2.5],"purpose":"treatment"}'
    )


def test_same_instant_in_any_zone_hashes_the_same() -> None:
    utc = {"at": dt.datetime(2026, 7, 1, 12, 0, tzinfo=dt.UTC)}
    ny = {"at": dt.datetime(2026, 7, 1, 8, 0, tzinfo=ZoneInfo("America/New_York"))}
    assert event_hash(utc, GENESIS_HASH) == event_hash(ny, GENESIS_HASH)


def test_key_order_does_not_matter() -> None:
    assert event_hash({"a": 1, "b": 2}, GENESIS_HASH) == event_hash({"b": 2, "a": 1}, GENESIS_HASH)


@pytest.mark.parametrize(
    ("value", "error"),
    [
        (dt.datetime(2026, 3, 1, 9, 30), ValueError),  # noqa: DTZ001 - the naive value under test
        (math.nan, ValueError),
        (math.inf, ValueError),
        (b"bytes", TypeError),
        ({1: "non-string key"}, TypeError),
        ({1, 2}, TypeError),
        (object(), TypeError),
    ],
)
def test_ambiguous_values_are_refused(value: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        canonical_json({"x": value})


def test_event_hash_known_answer() -> None:
    expected = hashlib.sha256(GENESIS_HASH.encode() + b'{"a":1,"sequence":1}').hexdigest()
    assert event_hash({"sequence": 1, "a": 1}, GENESIS_HASH) == expected
    assert seal(1, {"a": 1}, GENESIS_HASH).hash == expected


def test_seal_refuses_reserved_name_and_bad_sequence() -> None:
    with pytest.raises(ValueError, match="'sequence'"):
        seal(1, {"sequence": 3}, GENESIS_HASH)
    with pytest.raises(ValueError, match="start at 1"):
        seal(0, {}, GENESIS_HASH)
    assert chained_content(4, {"a": 1}) == {"a": 1, "sequence": 4}


# --- verification: intact chains -------------------------------------------------------------


def test_empty_chain_is_intact() -> None:
    result = verify_chain([])
    assert result == VerifyResult(0, None)
    assert result.ok
    assert result.describe() == "Audit chain intact: no events."


def test_intact_chain_reports_its_head() -> None:
    events = make_chain(25)
    result = verify_chain(events, expected_head=(10, events[9].hash), expected_count=25)
    assert result.ok
    assert result.count == 25
    assert result.head == head(events)
    assert result.describe().startswith("Audit chain intact: 25 events, head 25 ")


def test_a_longer_chain_than_the_kept_head_is_fine() -> None:
    events = make_chain(10)
    kept = head(events[:6])
    assert verify_chain(events, expected_head=kept, expected_count=6).ok


# --- verification: each kind of tampering, at the right event ---------------------------------


def assert_broken(result: VerifyResult, sequence: int, fragment: str) -> None:
    assert not result.ok
    assert result.broken_sequence == sequence, result
    assert result.reason is not None
    assert fragment in result.reason, result.reason
    assert result.describe().startswith(f"Audit chain broken at event {sequence}: ")


@pytest.mark.parametrize("k", [1, 5, 10])
def test_changed_field_is_found(k: int) -> None:
    events = make_chain(10)
    events[k - 1] = dataclasses.replace(
        events[k - 1], fields={**events[k - 1].fields, "outcome": "refused"}
    )
    assert_broken(verify_chain(events), k, "changed")


def test_changed_field_with_its_own_hash_recomputed_breaks_the_next_link() -> None:
    events = make_chain(10)
    forged = seal(4, {**events[3].fields, "actor_id": uuid.UUID(int=99)}, events[3].previous_hash)
    events[3] = forged
    assert_broken(verify_chain(events), 5, "previous_hash")


def test_changed_timestamp_is_found() -> None:
    events = make_chain(10)
    fields = {**events[6].fields, "occurred_at": events[6].fields["occurred_at"] + dt.timedelta(1)}
    events[6] = dataclasses.replace(events[6], fields=fields)
    assert_broken(verify_chain(events), 7, "changed")


def test_renumbered_event_is_found() -> None:
    events = make_chain(10)
    # Shifting one number leaves a gap and a repeat; the gap comes first.
    events[4] = dataclasses.replace(events[4], sequence=4)
    assert_broken(verify_chain(events), 4, "appears again")


@pytest.mark.parametrize("k", [1, 4, 9])
def test_deleted_event_is_found(k: int) -> None:
    events = make_chain(10)
    del events[k - 1]
    assert_broken(verify_chain(events), k, f"event {k} is missing")


def test_deleted_range_is_named() -> None:
    events = make_chain(10)
    del events[2:5]
    assert_broken(verify_chain(events), 3, "events 3 to 5 are missing")


def test_deleted_and_renumbered_is_found() -> None:
    events = make_chain(10)
    del events[5]
    assert_broken(verify_chain(renumber(events)), 6, "previous_hash")


def test_inserted_garbage_event_is_found() -> None:
    events = make_chain(10)
    intruder = ChainedEvent(4, fields_for(99), events[2].hash, "f" * 64)
    assert_broken(verify_chain(renumber([*events[:3], intruder, *events[3:]])), 4, "changed")


def test_inserted_well_formed_event_breaks_the_link_after_it() -> None:
    events = make_chain(10)
    # The forger seals the intruder correctly, so it is the renumbered old event 4 that breaks.
    intruder = seal(4, fields_for(99), events[2].hash)
    tampered = renumber([*events[:3], intruder, *events[3:]])
    assert_broken(verify_chain(tampered), 5, "previous_hash")


def test_inserted_duplicate_sequence_is_found() -> None:
    events = make_chain(10)
    copy = events[6]
    assert_broken(verify_chain([*events[:7], copy, *events[7:]]), 7, "appears again")


def test_swapped_contents_are_found() -> None:
    events = make_chain(10)
    a, b = events[3], events[4]
    events[3] = dataclasses.replace(b, sequence=4)
    events[4] = dataclasses.replace(a, sequence=5)
    assert_broken(verify_chain(events), 4, "previous_hash")


def test_swapped_order_is_found() -> None:
    events = make_chain(10)
    events[2], events[7] = events[7], events[2]
    assert_broken(verify_chain(events), 3, "events 3 to 7 are missing (deleted or reordered)")


@pytest.mark.parametrize("kept", ["head", "count"])
@pytest.mark.parametrize("cut", [1, 3, 10])
def test_truncation_is_found_against_the_kept_head(kept: str, cut: int) -> None:
    events = make_chain(10)
    anchors: dict[str, Any] = (
        {"expected_head": head(events)} if kept == "head" else {"expected_count": 10}
    )
    truncated = events[: 10 - cut]
    assert verify_chain(truncated).ok  # without a kept head, a shorter chain looks whole
    assert_broken(verify_chain(truncated, **anchors), 10 - cut + 1, "truncated")


def test_full_rewrite_after_a_point_is_caught_only_by_the_kept_head() -> None:
    events = make_chain(10)
    changed = [*events[:4], dataclasses.replace(events[4], fields=fields_for(4, "erased"))]
    rewritten = reseal_from([*changed, *events[5:]], 4)
    assert verify_chain(rewritten).ok
    assert_broken(verify_chain(rewritten, expected_head=head(events)), 10, "rewritten")


def test_unreadable_fields_are_reported_not_raised() -> None:
    events = make_chain(5)
    naive = {**events[2].fields, "occurred_at": dt.datetime(2026, 3, 1)}  # noqa: DTZ001 - a naive value read back from a careless store
    events[2] = dataclasses.replace(events[2], fields=naive)
    assert_broken(verify_chain(events), 3, "cannot be canonicalised")


def test_verification_streams_in_constant_memory() -> None:
    def stream(n: int) -> Iterator[ChainedEvent]:
        previous = GENESIS_HASH
        for i in range(1, n + 1):
            event = seal(i, {"i": i, "actor": "u", "note": "x" * 200}, previous)
            previous = event.hash
            yield event

    tracemalloc.start()
    try:
        small = verify_chain(stream(200))
        _, peak_small = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        large = verify_chain(stream(10_000))
        _, peak_large = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert small.ok
    assert large.ok
    assert large.count == 10_000
    # 50 times the events, nowhere near 50 times the memory (a list would hold ~5 MB).
    assert peak_large < peak_small * 3 + 64 * 1024


# --- many random tamperings over random chains ---------------------------------------------------

TAMPERINGS = [
    "change_field",
    "change_hash",
    "change_previous_hash",
    "delete",
    "insert_garbage",
    "insert_forged",
    "duplicate",
    "swap_contents",
    "swap_order",
    "truncate",
    "rewrite_tail",
]


def tamper(
    events: list[ChainedEvent], kind: str, data: st.DataObject
) -> tuple[list[ChainedEvent], int]:
    """Apply one tampering; return the stored rows and the event that must be named."""
    n = len(events)
    out = list(events)
    k = data.draw(st.integers(1, n), label="k")  # 1-based position
    if kind == "change_field":
        text = data.draw(st.text(min_size=1), label="text")
        out[k - 1] = dataclasses.replace(
            out[k - 1], fields={**out[k - 1].fields, "detail": out[k - 1].fields["detail"] + text}
        )
        return out, k
    if kind == "change_hash":
        new = data.draw(st.text("0123456789abcdef", min_size=64, max_size=64), label="hash")
        if new == out[k - 1].hash:
            new = "0" * 63 + ("1" if new[-1] != "1" else "2")
        out[k - 1] = dataclasses.replace(out[k - 1], hash=new)
        return out, k
    if kind == "change_previous_hash":
        out[k - 1] = dataclasses.replace(out[k - 1], previous_hash="e" * 64)
        return out, k
    if kind == "delete":
        del out[k - 1]
        renumbered = data.draw(st.booleans(), label="renumbered")
        # A renumbered deletion of the last event is a plain truncation.
        return (renumber(out) if renumbered else out), k
    if kind == "insert_garbage":
        previous = out[k - 2].hash if k > 1 else GENESIS_HASH
        intruder = ChainedEvent(k, fields_for(10_000), previous, "a" * 64)
        return renumber([*out[: k - 1], intruder, *out[k - 1 :]]), k
    if kind == "insert_forged":
        previous = out[k - 2].hash if k > 1 else GENESIS_HASH
        intruder = seal(k, fields_for(10_000), previous)
        # A well-formed intruder passes; the event after it breaks, or the kept head catches it.
        return renumber([*out[: k - 1], intruder, *out[k - 1 :]]), min(k + 1, n)
    if kind == "duplicate":
        return [*out[:k], out[k - 1], *out[k:]], k
    if kind == "swap_contents":
        j = data.draw(st.integers(1, n).filter(lambda j: j != k), label="j")
        i, j = min(k, j), max(k, j)
        a, b = out[i - 1], out[j - 1]
        out[i - 1] = dataclasses.replace(b, sequence=i)
        out[j - 1] = dataclasses.replace(a, sequence=j)
        return out, i
    if kind == "swap_order":
        j = data.draw(st.integers(1, n).filter(lambda j: j != k), label="j")
        i, j = min(k, j), max(k, j)
        out[i - 1], out[j - 1] = out[j - 1], out[i - 1]
        return out, i
    if kind == "truncate":
        return out[: k - 1], k
    assert kind == "rewrite_tail"
    changed = dataclasses.replace(out[k - 1], fields=fields_for(k, "rewritten"))
    return reseal_from([*out[: k - 1], changed, *out[k:]], k - 1), n


@settings(max_examples=400, deadline=None)
@given(
    n=st.integers(min_value=2, max_value=30),
    kind=st.sampled_from(TAMPERINGS),
    data=st.data(),
)
def test_random_tampering_is_always_found_at_the_right_event(
    n: int, kind: str, data: st.DataObject
) -> None:
    events = make_chain(n)
    assert verify_chain(events, expected_head=head(events), expected_count=n).ok
    tampered, expected = tamper(events, kind, data)
    result = verify_chain(tampered, expected_head=head(events), expected_count=n)
    assert not result.ok, (kind, result)
    assert result.broken_sequence == expected, (kind, result)
    # The reported head is the last event checked and found intact, never past the break
    # (a duplicate of event k is named k, after the original k passed).
    if result.head is None:
        assert expected == 1 or kind == "truncate"
    else:
        assert result.head[0] <= expected
        assert result.head in {(e.sequence, e.hash) for e in tampered}


@settings(max_examples=100, deadline=None)
@given(
    details=st.lists(
        st.dictionaries(
            st.text(max_size=8).filter(lambda k: k != "sequence"),
            st.one_of(
                st.none(),
                st.booleans(),
                st.integers(),
                st.floats(allow_nan=False, allow_infinity=False),
                st.text(),
                st.datetimes(timezones=st.just(dt.UTC)),
            ),
            max_size=5,
        ),
        min_size=1,
        max_size=15,
    )
)
def test_any_sealed_chain_of_plain_values_verifies(details: list[dict[str, Any]]) -> None:
    previous = GENESIS_HASH
    events = []
    for i, fields in enumerate(details, start=1):
        event = seal(i, fields, previous)
        events.append(event)
        previous = event.hash
    result = verify_chain(iter(events), expected_head=head(events), expected_count=len(events))
    assert result.ok
    assert result.count == len(events)


def test_read_only_mappings_and_str_enum_keys_are_canonical() -> None:
    from types import MappingProxyType

    nested = MappingProxyType({"b": 2, "a": [MappingProxyType({"z": 1})]})
    assert canonical_json(MappingProxyType({"x": nested, Purpose.TREATMENT: 1})) == (
        b'{"treatment":1,"x":{"a":[{"z":1}],"b":2}}'
    )
    with pytest.raises(TypeError, match="must be strings"):
        canonical_json({"x": [1, ({2: "deep"},)]})
