"""Plain-language wording of audit events for a client's own access log (pure).

- :func:`describe_for_client` ``(*, occurred_at, actor_is_viewer, actor_name, actor_role,
  action, resource_type, purpose, outcome) -> AccessLogEntry``: who (name and role), when, why
  and what, in words a client understands. Unknown codes fall back to readable text rather
  than failing, so an event recorded by a newer version never hides the whole log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

ROLE_WORDS = {
    "client": "Client",
    "clinician": "Clinician",
    "coordinator": "Intake coordinator",
    "clinical_lead": "Clinical lead",
    "admin": "Administrator",
    "system": "Automatic (no person)",
}

PURPOSE_WORDS = {
    "treatment": "To provide your care",
    "emergency": (
        "Emergency access by someone outside your care team; the clinical lead reviews every one"
    ),
    "export": "To prepare a copy of your data",
    "operations": "To run the clinic safely (reviews, audits, scheduling)",
    "client_access": "You asked for it",
    "security": "To keep your account secure",
}

ACTION_WORDS = {
    "read": "Viewed",
    "list": "Saw in a list",
    "search": "Searched",
    "export": "Exported",
    "create": "Added",
    "update": "Changed",
    "delete": "Removed",
    "decide": "Made a decision on",
    "sign": "Signed",
    "erase": "Erased",
    "break_glass": "Opened in an emergency",
    "assign": "Asked a clinician to review",
    "sign_in": "Signed in to",
    "sign_out": "Signed out of",
    "refused": "Tried to open",
}

RESOURCE_WORDS = {
    "client": "your record",
    "intake": "your intake",
    "review_assignment": "your intake (that intake only, until shortly after their decision)",
    "questionnaire_response": "your questionnaire answers",
    "score": "your questionnaire scores",
    "risk_reading": "a safety reading of your answers",
    "suggestion": "a suggestion about your care",
    "decision": "a decision about your care",
    "appointment": "your appointments",
    "note": "a session note",
    "consent": "your consent",
    "access_log": "this access log",
    "audit_event": "the access history of your record",
    "export": "a copy of your data",
    "account": "your account",
    "timeline": "your timeline",
}

OUTCOME_WORDS = {
    "success": "",
    "refused": " (refused: nothing was shown or changed)",
    "error": " (did not complete)",
}

YOU = "You"


@dataclass(frozen=True, slots=True)
class AccessLogEntry:
    """One line of a client's access log."""

    when: datetime
    who: str
    role: str
    what: str
    why: str
    action: str
    resource_type: str
    purpose: str
    outcome: str


def _fallback(code: str) -> str:
    return code.replace("_", " ")


def describe_for_client(
    *,
    occurred_at: datetime,
    actor_is_viewer: bool,
    actor_name: str,
    actor_role: str,
    action: str,
    resource_type: str,
    purpose: str,
    outcome: str,
) -> AccessLogEntry:
    """Word one event for the client whose record it concerns."""
    verb = ACTION_WORDS.get(action, _fallback(action).capitalize())
    thing = RESOURCE_WORDS.get(resource_type, f"your {_fallback(resource_type)}")
    what = f"{verb} {thing}{OUTCOME_WORDS.get(outcome, f' ({_fallback(outcome)})')}"
    return AccessLogEntry(
        when=occurred_at,
        who=YOU if actor_is_viewer else actor_name,
        role=ROLE_WORDS.get(actor_role, _fallback(actor_role).capitalize()),
        what=what,
        why=PURPOSE_WORDS.get(purpose, _fallback(purpose).capitalize()),
        action=action,
        resource_type=resource_type,
        purpose=purpose,
        outcome=outcome,
    )
