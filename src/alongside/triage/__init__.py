"""Triage: versioned rules turn scores and a risk reading into a proposal for a clinician."""

from alongside.triage.engine import TriageProposal, inputs_digest, propose_triage
from alongside.triage.preview import preview_change
from alongside.triage.rulesets import (
    PreviewResult,
    Ruleset,
    TriageInputs,
    default_ruleset,
    load_ruleset,
)

__all__ = [
    "PreviewResult",
    "Ruleset",
    "TriageInputs",
    "TriageProposal",
    "default_ruleset",
    "inputs_digest",
    "load_ruleset",
    "preview_change",
    "propose_triage",
]
