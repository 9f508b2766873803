"""Validated screening instruments: definitions as versioned data, pure scoring, FHIR export.

Public API (stable; the triage engine depends on it)::

    list_instruments() -> list[str]
    get_instrument(instrument_id) -> InstrumentDefinition
    score_instrument(instrument_id, answers, *, sex=None) -> ScoreResult
    reliable_change(instrument_id, before, after) -> ChangeResult
"""

from __future__ import annotations

from alongside.instruments.library import InstrumentDefinition, get_instrument, list_instruments
from alongside.instruments.scoring import (
    ChangeResult,
    ScoreResult,
    reliable_change,
    score_instrument,
)

__all__ = [
    "ChangeResult",
    "InstrumentDefinition",
    "ScoreResult",
    "get_instrument",
    "list_instruments",
    "reliable_change",
    "score_instrument",
]
