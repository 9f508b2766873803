"""Adaptive screening: answers that call for a further questionnaire before submission.

Pure: answers in (instrument id → item id → value), follow-ups out. Today one rule: PHQ-9
item 9 answered 1 or more (thoughts of being better off dead or of self-harm) in an intake or
a repeat measure that has no C-SSRS adds the C-SSRS screener, so the same intake carries the
screener's answers to triage (Kroenke, Spitzer & Williams 2001: item 9 is a critical item at
any value of 1 or more; The Joint Commission NPSG.15.01.01: screen with a validated tool such
as the C-SSRS). A follow-up is never removed again, even if the answer changes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

PHQ9 = "phq9"
PHQ9_ITEM9 = "q9"
CSSRS = "cssrs-screen"


@dataclass(frozen=True)
class FollowUp:
    """A questionnaire to add, why (in the client's words) and the source for it."""

    instrument: str
    because: str
    source: str


CSSRS_AFTER_PHQ9_ITEM9 = FollowUp(
    instrument=CSSRS,
    because=(
        "You told us that you have had thoughts that you would be better off dead, or of "
        "hurting yourself. These next questions ask a little more about that, so the clinic "
        "can understand how you are and help you as quickly as it can."
    ),
    source=(
        "Kroenke, Spitzer & Williams 2001, J Gen Intern Med 16:606-613 (PHQ-9 item 9 is a "
        "critical item at any value of 1 or more); The Joint Commission NPSG.15.01.01 (screen "
        "with a validated tool such as the C-SSRS); Posner et al. 2011"
    ),
)


def follow_ups(answers: Mapping[str, Mapping[str, int]], present: Sequence[str]) -> list[FollowUp]:
    """The questionnaires these answers call for that the intake does not have yet."""
    found: list[FollowUp] = []
    item9 = answers.get(PHQ9, {}).get(PHQ9_ITEM9)
    if item9 is not None and item9 >= 1 and CSSRS not in present:
        found.append(CSSRS_AFTER_PHQ9_ITEM9)
    return found


def reason_shown_with(instrument: str, answers: Mapping[str, Mapping[str, int]]) -> str | None:
    """Why ``instrument`` is asked, when the answers call for it (shown on its page)."""
    item9 = answers.get(PHQ9, {}).get(PHQ9_ITEM9)
    if instrument == CSSRS and item9 is not None and item9 >= 1:
        return CSSRS_AFTER_PHQ9_ITEM9.because
    return None
