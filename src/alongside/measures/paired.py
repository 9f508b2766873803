"""NHS Talking Therapies outcomes on the PHQ-9 and GAD-7 together (the paired definitions).

Pure: the first and the latest PHQ-9 and GAD-7 totals in, an outcome in the manual's words
out. NHS Talking Therapies judges a course of treatment on the pair, not on each measure
(NHS Talking Therapies for anxiety and depression Manual, 2023; NHS England / NHS Digital
"Psychological Therapies: reports on the use of IAPT services" measure definitions):

- *caseness* at the start: PHQ-9 10 or more, or GAD-7 8 or more (either);
- *recovery*: at caseness at the start, and below caseness on both at the end;
- *reliable improvement*: a reliable fall on at least one measure (PHQ-9 6 or more points,
  GAD-7 4 or more) and no reliable rise on the other;
- *reliable deterioration*: a reliable rise on at least one measure and no reliable fall on
  the other;
- *reliable recovery*: recovery and reliable improvement together.

The thresholds are read from the instruments' definition files (their ``change`` sections
cite the manual), so a figure lives in one place. The per-instrument verdicts
(:mod:`alongside.measures.trends`) stay beside these, named "per instrument".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from alongside.instruments import reliable_change

LABEL = "NHS Talking Therapies, PHQ-9 and GAD-7 together"
SOURCE = (
    "NHS Talking Therapies for anxiety and depression Manual (2023): caseness PHQ-9 10 or more "
    "or GAD-7 8 or more; recovery, reliable improvement, reliable deterioration and reliable "
    "recovery judged on the pair (reliable change PHQ-9 6 points, GAD-7 4 points)"
)


@dataclass(frozen=True, slots=True)
class PairedOutcome:
    """The course's outcome on the pair, in the manual's words."""

    phq9: tuple[float, float]
    gad7: tuple[float, float]
    caseness_at_start: bool
    recovery: bool | None  # None: not at caseness at the start, so recovery does not apply
    reliable_improvement: bool
    reliable_deterioration: bool
    reliable_recovery: bool | None
    label: str = LABEL
    source: str = SOURCE

    @property
    def summary(self) -> str:
        """One line for a clinician."""
        if self.reliable_recovery:
            verdict = "reliable recovery"
        elif self.reliable_deterioration:
            verdict = "reliable deterioration"
        elif self.recovery:
            verdict = "recovery (without reliable improvement)"
        elif self.reliable_improvement:
            verdict = "reliable improvement"
        else:
            verdict = "no reliable change"
        if not self.caseness_at_start:
            verdict += "; not at caseness at the start, so recovery does not apply"
        return verdict


def paired_outcome(phq9: tuple[float, float], gad7: tuple[float, float]) -> PairedOutcome:
    """Outcome from (first, latest) PHQ-9 and (first, latest) GAD-7 totals."""
    depression = reliable_change("phq9", phq9[0], phq9[1])
    anxiety = reliable_change("gad7", gad7[0], gad7[1])
    changes = (depression, anxiety)
    case_start = bool(depression.case_before) or bool(anxiety.case_before)
    case_end = bool(depression.case_after) or bool(anxiety.case_after)
    improved = [c.direction == "improved" for c in changes]
    worse = [c.direction == "deteriorated" for c in changes]
    reliable_improvement = any(improved) and not any(worse)
    reliable_deterioration = any(worse) and not any(improved)
    recovery = (not case_end) if case_start else None
    return PairedOutcome(
        phq9=phq9,
        gad7=gad7,
        caseness_at_start=case_start,
        recovery=recovery,
        reliable_improvement=reliable_improvement,
        reliable_deterioration=reliable_deterioration,
        reliable_recovery=(bool(recovery) and reliable_improvement) if case_start else None,
    )


def course_outcome(
    phq9_totals: Sequence[float], gad7_totals: Sequence[float]
) -> PairedOutcome | None:
    """The pair's outcome from two series in date order; None without two measures of each."""
    if len(phq9_totals) < 2 or len(gad7_totals) < 2:
        return None
    return paired_outcome((phq9_totals[0], phq9_totals[-1]), (gad7_totals[0], gad7_totals[-1]))
