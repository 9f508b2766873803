"""Pure parts: queue order and waits, evidence highlighting, oversight figures."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from alongside.review.highlight import highlight
from alongside.review.oversight import (
    DecisionRecord,
    median,
    overall_override_rate,
    override_rate_by_model,
    override_rate_by_rule,
    percentile,
    time_to_first_review,
)
from alongside.review.queue import (
    DEFAULT_TARGET_MINUTES,
    URGENCIES,
    QueueItem,
    describe_duration,
    order_queue,
    targets_from,
    wait_of,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@given(
    st.lists(st.tuples(st.sampled_from(URGENCIES), st.integers(0, 10_000)), min_size=0, max_size=30)
)
def test_queue_is_urgency_then_longest_wait(cases: list[tuple[str, int]]) -> None:
    items = [QueueItem(uuid.uuid4(), u, T0 - timedelta(minutes=m)) for u, m in cases]
    ordered = order_queue(items)
    assert sorted(ordered, key=lambda i: i.suggestion_id) == sorted(
        items, key=lambda i: i.suggestion_id
    )  # nobody is dropped, whatever their urgency
    keys = [(URGENCIES.index(i.urgency), i.proposed_at) for i in ordered]
    assert keys == sorted(keys)


def test_targets_default_and_waits() -> None:
    targets = targets_from({"urgent": 120})
    assert targets["urgent"] == timedelta(hours=2)
    assert targets["routine"] == timedelta(minutes=DEFAULT_TARGET_MINUTES["routine"])
    wait = wait_of(T0, "crisis", targets, T0 + timedelta(minutes=90))
    assert wait.overdue
    assert wait.remaining == timedelta(minutes=-30)
    assert describe_duration(timedelta(days=3, hours=4)) == "3 d 4 h"
    assert describe_duration(timedelta(minutes=125)) == "2 h 5 min"


def test_highlight_merges_and_ignores_non_phrases() -> None:
    text = "I want to end it all tonight"
    evidence = [
        {"start": 2, "end": 9, "signal": "intent"},
        {"start": 7, "end": 16, "signal": "method"},
        {"start": 0, "end": 0, "signal": "reader_unavailable"},
        {"start": 40, "end": 50, "signal": "out of range"},
    ]
    pieces = highlight(text, evidence)
    assert "".join(p.text for p in pieces) == text
    assert [p.text for p in pieces if p.highlighted] == ["want to end it"]
    assert pieces[1].signal == "intent, method"


def _record(
    urgency: str, outcome: str | None, rules: tuple[str, ...], minutes: int
) -> DecisionRecord:
    return DecisionRecord(
        urgency=urgency,
        fired_rules=rules,
        ruleset_version="default 1",
        model_version="m1" if urgency != "soon" else "not read by software",
        proposed_at=T0,
        outcome=outcome,
        decided_at=None if outcome is None else T0 + timedelta(minutes=minutes),
    )


def test_override_rates_and_review_times() -> None:
    records = [
        _record("crisis", "accepted", ("cssrs-q4",), 10),
        _record("crisis", "amended", ("cssrs-q4", "phq9-item9"), 30),
        _record("urgent", "rejected", ("phq9-item9",), 600),
        _record("soon", None, ("reader-declined",), 0),
    ]
    by_rule = {row.key: row for row in override_rate_by_rule(records)}
    assert by_rule["cssrs-q4"].rate == 0.5
    assert by_rule["phq9-item9"].rate == 1.0
    assert "reader-declined" not in by_rule  # undecided
    assert overall_override_rate(records).overridden == 2
    assert {row.key for row in override_rate_by_model(records)} == {"m1"}
    times = {row.urgency: row for row in time_to_first_review(records, URGENCIES)}
    assert times["crisis"].median == timedelta(minutes=20)
    assert times["crisis"].p90 == timedelta(minutes=30)
    assert times["soon"].waiting == 1
    assert times["routine"].median is None


def test_percentiles_nearest_rank() -> None:
    values = [timedelta(minutes=m) for m in range(1, 11)]
    assert percentile(values, 0.9) == timedelta(minutes=9)
    assert median(values) == timedelta(minutes=5, seconds=30)
    assert percentile([], 0.5) is None
