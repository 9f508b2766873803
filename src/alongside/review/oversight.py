"""Oversight figures for the clinical lead and the fairness work: override rates, review times.

Pure: plain records in, plain figures out; no database, settings or clock.

- Override rate = (amended + rejected) / decided, by rule (every rule that fired on the
  proposal counts the decision), by ruleset version and by risk-model version.
- Time to first review = from the proposal to the clinician's decision on it, by the proposed
  urgency: median and 90th percentile (nearest-rank), plus how many are still waiting.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

OVERRIDDEN = frozenset({"amended", "rejected"})
NOT_READ_BY_SOFTWARE = "not read by software"


@dataclass(frozen=True)
class DecisionRecord:
    """One proposal and, when decided, what the clinician did and when."""

    urgency: str
    fired_rules: tuple[str, ...]
    ruleset_version: str
    model_version: str
    proposed_at: datetime
    outcome: str | None = None
    decided_at: datetime | None = None


@dataclass(frozen=True)
class OverrideRate:
    """How often clinicians changed proposals of one group (a rule or a version)."""

    key: str
    decided: int
    amended: int
    rejected: int

    @property
    def overridden(self) -> int:
        """Amended plus rejected."""
        return self.amended + self.rejected

    @property
    def rate(self) -> float | None:
        """Overridden / decided, or None when nothing was decided."""
        return self.overridden / self.decided if self.decided else None


@dataclass(frozen=True)
class ReviewTime:
    """Time from proposal to decision for one urgency."""

    urgency: str
    decided: int
    waiting: int
    median: timedelta | None
    p90: timedelta | None


def percentile(values: Sequence[timedelta], fraction: float) -> timedelta | None:
    """Nearest-rank percentile (the smallest value with at least ``fraction`` at or below it)."""
    if not values:
        return None
    if not 0 < fraction <= 1:
        raise ValueError("fraction must be in (0, 1]")
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def median(values: Sequence[timedelta]) -> timedelta | None:
    """The middle value (the mean of the two middle ones for an even count)."""
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def _rates(pairs: Iterable[tuple[str, str]]) -> list[OverrideRate]:
    counts: dict[str, list[int]] = {}
    for key, outcome in pairs:
        row = counts.setdefault(key, [0, 0, 0])
        row[0] += 1
        if outcome == "amended":
            row[1] += 1
        elif outcome == "rejected":
            row[2] += 1
    return [
        OverrideRate(key=key, decided=d, amended=a, rejected=r)
        for key, (d, a, r) in sorted(counts.items())
    ]


def override_rate_by_rule(records: Iterable[DecisionRecord]) -> list[OverrideRate]:
    """Override rate per fired rule, over decided proposals."""
    return _rates(
        (rule, record.outcome)
        for record in records
        if record.outcome is not None
        for rule in record.fired_rules
    )


def override_rate_by_ruleset(records: Iterable[DecisionRecord]) -> list[OverrideRate]:
    """Override rate per ruleset version, over decided proposals."""
    return _rates(
        (record.ruleset_version, record.outcome) for record in records if record.outcome is not None
    )


def override_rate_by_model(records: Iterable[DecisionRecord]) -> list[OverrideRate]:
    """Override rate per risk-model version, over decided proposals."""
    return _rates(
        (record.model_version, record.outcome) for record in records if record.outcome is not None
    )


def overall_override_rate(records: Iterable[DecisionRecord]) -> OverrideRate:
    """Override rate over every decided proposal."""
    rows = _rates(("all", record.outcome) for record in records if record.outcome is not None)
    return rows[0] if rows else OverrideRate(key="all", decided=0, amended=0, rejected=0)


def time_to_first_review(
    records: Iterable[DecisionRecord], urgencies: Sequence[str]
) -> list[ReviewTime]:
    """Median and 90th percentile from proposal to decision, for each urgency in order."""
    waits: dict[str, list[timedelta]] = {urgency: [] for urgency in urgencies}
    waiting: dict[str, int] = dict.fromkeys(urgencies, 0)
    for record in records:
        if record.urgency not in waits:
            waits[record.urgency] = []
            waiting[record.urgency] = 0
        if record.decided_at is None:
            waiting[record.urgency] += 1
        else:
            waits[record.urgency].append(max(record.decided_at - record.proposed_at, timedelta(0)))
    return [
        ReviewTime(
            urgency=urgency,
            decided=len(values),
            waiting=waiting[urgency],
            median=median(values),
            p90=percentile(values, 0.9),
        )
        for urgency, values in waits.items()
    ]
