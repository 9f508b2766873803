"""What triage gives the risk reader and what it stores when the reader fails.

Pure: plain values in, plain values out. Shared by the ``alongside triage`` command and the
submit service so both read an intake the same way. The fail-closed reading is built here,
not taken from ``alongside.risk``, so it exists even if the reader cannot be imported at all
(DESIGN.md invariant 2).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from alongside.triage.engine import (
    CSSRS_BEHAVIOUR_FLAG,
    CSSRS_RECENT_ANSWER_INDEX,
    READER_UNAVAILABLE,
)


def critical_items(scores: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Instrument flags for the risk reader, with C-SSRS question 6's timing made explicit."""
    items: list[str] = []
    for score in scores.values():
        answers = score.get("answers") or []
        for flag in score.get("flags") or []:
            if flag == CSSRS_BEHAVIOUR_FLAG and len(answers) > CSSRS_RECENT_ANSWER_INDEX:
                # The reader reads a bare "cssrs-q6" as recent; say which it is when we know.
                recent = answers[CSSRS_RECENT_ANSWER_INDEX] == 1
                items.append("cssrs-q6-recent" if recent else "cssrs-q6-lifetime")
            else:
                items.append(str(flag))
    return items


def unavailable_reading(why: str) -> dict[str, Any]:
    """The fail-closed reading (``high``, ``reader_unavailable``), saying why in its reason."""
    return {
        "level": "high",
        "probability": 1.0,
        "evidence": [{"start": 0, "end": 0, "text": "", "signal": READER_UNAVAILABLE}],
        "reasons": [
            f"The risk reader could not read this text ({why}); a clinician must read it urgently."
        ],
        "versions": {"model": "unavailable"},
        "signals": [],
        "needs_human_reading": True,
        "language": None,
    }
