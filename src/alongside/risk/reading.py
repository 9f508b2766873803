"""What the risk reader returns: a level, a probability, the evidence and the versions."""

from __future__ import annotations

import enum
from dataclasses import asdict
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.dataclasses import dataclass


class Level(enum.StrEnum):
    """Risk levels in increasing order; only order the work, never exclude anyone from care."""

    NONE = "none"
    LOW = "low"
    MODERATE = "moderate"
    HIGH = "high"
    IMMINENT = "imminent"

    @property
    def rank(self) -> int:
        """Position in the order none < low < moderate < high < imminent."""
        return _ORDER.index(self)

    @classmethod
    def highest(cls, *levels: Level) -> Level:
        """The highest of the given levels (``none`` when given nothing)."""
        return max(levels, key=lambda level: level.rank, default=cls.NONE)


_ORDER = [Level.NONE, Level.LOW, Level.MODERATE, Level.HIGH, Level.IMMINENT]

Signal = Literal[
    "ideation",
    "plan",
    "intent",
    "means",
    "preparatory_behaviour",
    "attempt",
    "self_harm",
    "hopelessness",
    "burden",
    "critical_item",
    "reader_unavailable",
]


class Evidence(BaseModel):
    """A span of the client's text (or an instrument flag) that supports the reading."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    start: int = Field(ge=0)
    end: int = Field(ge=0)
    text: str
    signal: Signal


Construct = Literal[
    "wish_dead",
    "ideation",
    "method",
    "intent",
    "plan",
    "preparation",
    "attempt",
    "interrupted_attempt",
    "aborted_attempt",
    "self_harm",
]
# C-SSRS screener frames (Posner et al. 2011): thoughts "current" (now, the past month);
# behaviour "recent" within three months, "past" longer ago; "unknown" when not stated.
Recency = Literal["current", "recent", "past", "unknown"]


# A pydantic dataclass, not a BaseModel: the field must be called "construct" (the C-SSRS
# word), which BaseModel reserves for a method.
@dataclass(frozen=True, config=ConfigDict(extra="forbid"))
class RiskSignal:
    """A C-SSRS-shaped fact read from the client's words, with the span that carries it."""

    construct: Construct
    recency: Recency
    # "other": the writer describes someone else at risk (a worried parent or partner),
    # which is a safeguarding concern for the clinician, not a reading of the writer.
    subject: Literal["self", "other"] = "self"
    start: int = Field(default=0, ge=0)
    end: int = Field(default=0, ge=0)
    text: str = ""


class RiskReading(BaseModel):
    """One reading of one text: level, calibrated probability, evidence, reasons, versions."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    level: Level
    probability: float = Field(ge=0.0, le=1.0)
    evidence: tuple[Evidence, ...] = ()
    reasons: tuple[str, ...] = ()
    versions: dict[str, str]
    signals: tuple[RiskSignal, ...] = ()
    # True when software cannot stand in for a person's reading (a language the reader is
    # not validated for, or no reading at all).
    needs_human_reading: bool = False
    language: str | None = None

    @property
    def needs_prompt_review(self) -> bool:
        """True at ``moderate`` or above: the operating point the evaluation reports."""
        return self.level.rank >= Level.MODERATE.rank

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dictionary (lists, strings, floats)."""
        return {
            "level": self.level.value,
            "probability": round(self.probability, 4),
            "evidence": [e.model_dump() for e in self.evidence],
            "reasons": list(self.reasons),
            "versions": dict(self.versions),
            "signals": [asdict(s) for s in self.signals],
            "needs_human_reading": self.needs_human_reading,
            "language": self.language,
        }


def unavailable_reading(reason: str, versions: dict[str, str] | None = None) -> RiskReading:
    """The fail-closed reading: ``high``, so that a person reads the text urgently."""
    return RiskReading(
        level=Level.HIGH,
        # No probability could be computed; 1.0 keeps any sort by probability conservative.
        probability=1.0,
        evidence=(Evidence(start=0, end=0, text="", signal="reader_unavailable"),),
        reasons=(
            f"The risk reader could not read this text ({reason}); "
            "a clinician must read it urgently.",
        ),
        versions=versions or {"rules": "unknown", "model": "unavailable", "data_digest": "unknown"},
        needs_human_reading=True,
    )
