"""The critical items triage gives the reader, and the fail-closed reading it stores."""

from __future__ import annotations

from typing import Any

import pytest

from alongside.triage.engine import READER_UNAVAILABLE
from alongside.triage.inputs import critical_items, unavailable_reading


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        ({}, []),
        ({"phq9": {"answers": [0] * 9, "flags": []}}, []),
        ({"phq9": {"answers": [0] * 8 + [2], "flags": ["phq9-item9"]}}, ["phq9-item9"]),
        (
            {"cssrs-screen": {"answers": [1, 1, 0, 0, 0, 1, 1], "flags": ["cssrs-q6"]}},
            ["cssrs-q6-recent"],
        ),
        (
            {"cssrs-screen": {"answers": [1, 1, 0, 0, 0, 1, 0], "flags": ["cssrs-q6"]}},
            ["cssrs-q6-lifetime"],
        ),
        # Without the follow-up answer the timing is unknown: the bare flag, read as recent.
        ({"cssrs-screen": {"answers": [1, 1, 0, 0, 0, 1], "flags": ["cssrs-q6"]}}, ["cssrs-q6"]),
        ({"x": {"flags": None, "answers": None}}, []),
    ],
)
def test_critical_items(scores: dict[str, Any], expected: list[str]) -> None:
    assert critical_items(scores) == expected


def test_unavailable_reading_fails_closed_and_says_why() -> None:
    reading = unavailable_reading("RuntimeError")
    assert reading["level"] == "high"
    assert reading["probability"] == 1.0
    assert [e["signal"] for e in reading["evidence"]] == [READER_UNAVAILABLE]
    assert "(RuntimeError)" in reading["reasons"][0]
    assert reading["versions"] == {"model": "unavailable"}
