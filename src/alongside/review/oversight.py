"""Oversight figures for the clinical lead and the fairness work: override rates, review times.

Pure: plain records in, plain figures out; no database, settings or clock.

- Override rate = (amended + rejected) / decided, by rule (every rule that fired on the
  proposal counts the decision), by ruleset version and by risk-model version.
- Time to first review = from the proposal to the clinician's decision on it, by the proposed
  urgency: median and 90th percentile (nearest-rank), plus how many are still waiting.

The same figures come from aggregates too, so the database can count (the service does):
:func:`override_rates` over :class:`DecisionGroup` counts, :func:`percentile_ranks` says which
ranks of the ordered review times a database must return, and :func:`review_time_from_ranks`
turns those into a :class:`ReviewTime`. Tests hold both ways to the same answers.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
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
    # Rounded before the ceiling: 0.9 * 70 is 63.00000000000001 in floating point, and the
    # nearest rank of the 90th percentile of 70 values is the 63rd.
    rank = max(1, math.ceil(round(fraction * len(ordered), 9)))
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
    return _weighted_rates((key, outcome, 1) for key, outcome in pairs)


def _weighted_rates(triples: Iterable[tuple[str, str, int]]) -> list[OverrideRate]:
    counts: dict[str, list[int]] = {}
    for key, outcome, weight in triples:
        row = counts.setdefault(key, [0, 0, 0])
        row[0] += weight
        if outcome == "amended":
            row[1] += weight
        elif outcome == "rejected":
            row[2] += weight
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


@dataclass(frozen=True)
class DecisionGroup:
    """How many decided proposals share their fired rules, versions and outcome."""

    fired_rules: tuple[str, ...]
    ruleset_version: str
    model_version: str
    outcome: str
    count: int


@dataclass(frozen=True)
class OverrideRates:
    """Override rates overall, by rule, by ruleset version and by model version."""

    overall: OverrideRate
    by_rule: list[OverrideRate]
    by_ruleset: list[OverrideRate]
    by_model: list[OverrideRate]


def override_rates(groups: Sequence[DecisionGroup]) -> OverrideRates:
    """The override rates of :func:`override_rate_by_rule` and the others, from counts."""
    overall = _weighted_rates(("all", g.outcome, g.count) for g in groups)
    return OverrideRates(
        overall=overall[0]
        if overall
        else OverrideRate(key="all", decided=0, amended=0, rejected=0),
        by_rule=_weighted_rates(
            (rule, g.outcome, g.count) for g in groups for rule in g.fired_rules
        ),
        by_ruleset=_weighted_rates((g.ruleset_version, g.outcome, g.count) for g in groups),
        by_model=_weighted_rates((g.model_version, g.outcome, g.count) for g in groups),
    )


def override_rate_by_period(counts: Iterable[tuple[str, str, int]]) -> list[OverrideRate]:
    """Override rate per period (e.g. the week of the decision), from (period, outcome, n)."""
    return _weighted_rates(counts)


def percentile_ranks(decided: int) -> frozenset[int]:
    """The 1-based ranks of the ordered times that the median and the 90th percentile need."""
    if decided < 1:
        return frozenset()
    return frozenset({(decided + 1) // 2, decided // 2 + 1, p90_rank(decided)})


def p90_rank(decided: int) -> int:
    """The nearest rank of the 90th percentile of ``decided`` values (exact: ceil(9n / 10))."""
    return max(1, (9 * decided + 9) // 10)


def review_time_from_ranks(
    urgency: str, decided: int, waiting: int, at_rank: Mapping[int, timedelta]
) -> ReviewTime:
    """A :class:`ReviewTime` from the times at :func:`percentile_ranks` of ``decided`` times."""
    if decided < 1:
        return ReviewTime(urgency=urgency, decided=0, waiting=waiting, median=None, p90=None)
    if decided % 2:
        middle = at_rank[(decided + 1) // 2]
    else:
        middle = (at_rank[decided // 2] + at_rank[decided // 2 + 1]) / 2
    return ReviewTime(
        urgency=urgency,
        decided=decided,
        waiting=waiting,
        median=middle,
        p90=at_rank[p90_rank(decided)],
    )
