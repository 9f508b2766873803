"""Permissions as data: roles, actions, and for each role the actions it may take and on whom.

API
---
- :class:`Role`: ``client``, ``clinician``, ``coordinator``, ``clinical_lead``, ``admin`` (the
  same strings as :class:`alongside.models.user.Role`, which may import this one; a ``StrEnum``
  member of either hashes and compares like its string, so both work as keys here).
- :class:`Action`: what someone may do, named ``<thing>.<verb>``.
- :class:`Scope`: on which clients a granted action applies.
- :data:`GRANTS`: role → action → scope, the whole policy as one table;
  :data:`ROLE_ACTIONS`: role → frozenset of actions (derived from it).
- :data:`CLIENT_ACTIONS`: actions on one client's record (they need a resource naming the
  client); the others are organisation-wide (users, rules, audit, fairness, lists).
- :data:`BREAK_GLASS_ACTIONS`: the read actions an active break-glass grant opens.
- :data:`ASSIGNMENT_ACTIONS`: what a review assignment opens, on that intake's case only.
- :func:`scope_of` ``(role, action) -> Scope | None`` and :func:`role_allows`
  ``(role, action) -> bool``: look-ups for route-level gates (menus, which routes exist for a
  role). Object-level decisions go through :func:`alongside.security.policy.can`.

Scopes:

- ``OWN``: the client's own record (client users).
- ``CARE_TEAM``: clients on the actor's care team; for :data:`BREAK_GLASS_ACTIONS` also clients
  with an active break-glass grant.
- ``AUTHOR``: the actor wrote it and the client is on their care team (psychotherapy notes; no
  break-glass).
- ``ORGANIZATION``: any client of the actor's organisation (demographic and scheduling work of
  coordinators; identities on the clinical lead's review lists).

Why the table looks as it does (DESIGN.md invariant 6, least privilege): clinical content
(``clinical.read``, notes, intake review, decisions) is for the care team; coordinators see who
is waiting and book, never clinical content; the clinical lead sees safety and fairness across
the organisation but clinical content only on their own care team; administrators run users,
the organisation and delivery and read no client data at all; clients see their own record,
appointments and access log, but never raw risk or triage output (invariant 1: a clinician
decides first).

Every action is checked somewhere: a route declares it (``alongside.security.declare``) or a
service passes it to ``can`` (a test fails the build otherwise). Verifying the audit chain and
rotating keys are operator commands (``alongside audit verify``, ``alongside keys rotate``) run
with access to the database and key file; the lead's and administrator's verify button on the
audit page (``audit.verify``) reports integrity, never contents; answering
questionnaires goes through the intake link's token. None of them is an action here.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from types import MappingProxyType


class Role(enum.StrEnum):
    """What a person does in the clinic; permissions hang on it."""

    CLIENT = "client"
    CLINICIAN = "clinician"
    COORDINATOR = "coordinator"
    CLINICAL_LEAD = "clinical_lead"
    ADMIN = "admin"


class Action(enum.StrEnum):
    """Something a person may do in Alongside."""

    # One client's record.
    CLIENT_READ = "client.read"  # identity and contact details
    CLIENT_WRITE = "client.write"
    CLIENT_EXPORT = "client.export"  # all of a client's data (portability, transfer)
    CLIENT_ERASE = "client.erase"  # destroys the client's data key (crypto-shredding)
    ERASURE_REQUEST = "erasure.request"
    CLINICAL_READ = "clinical.read"  # scores, risk readings, intakes, suggestions, timeline
    INTAKE_REVIEW = "intake.review"
    SUGGESTION_DECIDE = "suggestion.decide"
    NOTE_READ = "note.read"
    NOTE_WRITE = "note.write"
    NOTE_SIGN = "note.sign"
    PSYCHOTHERAPY_NOTE_READ = "psychotherapy_note.read"
    PSYCHOTHERAPY_NOTE_WRITE = "psychotherapy_note.write"
    SAFETY_PLAN_READ = "safety_plan.read"  # the client reads their own, in their space
    SAFETY_PLAN_WRITE = "safety_plan.write"
    APPOINTMENT_READ = "appointment.read"
    APPOINTMENT_BOOK = "appointment.book"
    ACCESS_LOG_READ = "access_log.read"  # who looked at this client's record
    BREAK_GLASS_REQUEST = "break_glass.request"
    # The organisation.
    CLIENT_LIST = "client.list"
    INTAKE_CREATE = "intake.create"
    WAITLIST_MANAGE = "waitlist.manage"
    AUDIT_READ = "audit.read"
    AUDIT_VERIFY = "audit.verify"  # the verify button: integrity, not contents
    RULES_EDIT = "rules.edit"
    USER_MANAGE = "user.manage"
    CARE_TEAM_MANAGE = "care_team.manage"  # who is on which client's care team
    ORGANIZATION_MANAGE = "organization.manage"  # country and local crisis services
    BREAK_GLASS_REVIEW = "break_glass.review"
    OUTBOX_ADMIN = "outbox.admin"
    FAIRNESS_READ = "fairness.read"
    # The second person of a second-factor reset: an administrator asks (user.manage), a
    # clinical lead decides, so neither can take over an account alone.
    SECOND_FACTOR_RESET_DECIDE = "second_factor_reset.decide"


class Scope(enum.StrEnum):
    """On which clients a granted action applies."""

    OWN = "own"
    CARE_TEAM = "care_team"
    AUTHOR = "author"
    ORGANIZATION = "organization"


CLIENT_ACTIONS: frozenset[Action] = frozenset(
    {
        Action.CLIENT_READ,
        Action.CLIENT_WRITE,
        Action.CLIENT_EXPORT,
        Action.CLIENT_ERASE,
        Action.ERASURE_REQUEST,
        Action.CLINICAL_READ,
        Action.INTAKE_REVIEW,
        Action.SUGGESTION_DECIDE,
        Action.NOTE_READ,
        Action.NOTE_WRITE,
        Action.NOTE_SIGN,
        Action.PSYCHOTHERAPY_NOTE_READ,
        Action.PSYCHOTHERAPY_NOTE_WRITE,
        Action.SAFETY_PLAN_READ,
        Action.SAFETY_PLAN_WRITE,
        Action.APPOINTMENT_READ,
        Action.APPOINTMENT_BOOK,
        Action.ACCESS_LOG_READ,
        Action.BREAK_GLASS_REQUEST,
    }
)

# Break-glass is for reading in an emergency; writing waits until the clinician joins the team.
BREAK_GLASS_ACTIONS: frozenset[Action] = frozenset(
    {
        Action.CLIENT_READ,
        Action.CLINICAL_READ,
        Action.NOTE_READ,
        Action.SAFETY_PLAN_READ,
        Action.APPOINTMENT_READ,
    }
)

# An intake's assigned reviewer may open and decide that intake's case, and nothing else of
# the client's record (the client record, other cases, measures and notes stay closed).
ASSIGNMENT_ACTIONS: frozenset[Action] = frozenset({Action.INTAKE_REVIEW, Action.SUGGESTION_DECIDE})

PSYCHOTHERAPY_NOTE_KIND = "psychotherapy_note"

_CARE_TEAM_WORK: dict[Action, Scope] = {
    Action.CLIENT_READ: Scope.CARE_TEAM,
    Action.CLIENT_WRITE: Scope.CARE_TEAM,
    Action.CLIENT_EXPORT: Scope.CARE_TEAM,
    Action.CLINICAL_READ: Scope.CARE_TEAM,
    Action.INTAKE_REVIEW: Scope.CARE_TEAM,
    Action.SUGGESTION_DECIDE: Scope.CARE_TEAM,
    Action.NOTE_READ: Scope.CARE_TEAM,
    Action.NOTE_WRITE: Scope.CARE_TEAM,
    Action.NOTE_SIGN: Scope.CARE_TEAM,
    Action.PSYCHOTHERAPY_NOTE_READ: Scope.AUTHOR,
    Action.PSYCHOTHERAPY_NOTE_WRITE: Scope.AUTHOR,
    Action.SAFETY_PLAN_READ: Scope.CARE_TEAM,
    Action.SAFETY_PLAN_WRITE: Scope.CARE_TEAM,
    Action.APPOINTMENT_READ: Scope.CARE_TEAM,
    Action.APPOINTMENT_BOOK: Scope.CARE_TEAM,
    # Any client of the organisation: break-glass exists for clients outside the care team.
    Action.BREAK_GLASS_REQUEST: Scope.ORGANIZATION,
    Action.CLIENT_LIST: Scope.ORGANIZATION,
    Action.INTAKE_CREATE: Scope.ORGANIZATION,
}

GRANTS: Mapping[Role, Mapping[Action, Scope]] = MappingProxyType(
    {
        Role.CLIENT: MappingProxyType(
            {
                Action.CLIENT_READ: Scope.OWN,
                Action.CLIENT_EXPORT: Scope.OWN,
                Action.ERASURE_REQUEST: Scope.OWN,
                Action.APPOINTMENT_READ: Scope.OWN,
                Action.APPOINTMENT_BOOK: Scope.OWN,
                Action.ACCESS_LOG_READ: Scope.OWN,
                Action.SAFETY_PLAN_READ: Scope.OWN,
            }
        ),
        Role.CLINICIAN: MappingProxyType(dict(_CARE_TEAM_WORK)),
        Role.COORDINATOR: MappingProxyType(
            {
                Action.CLIENT_READ: Scope.ORGANIZATION,
                Action.CLIENT_WRITE: Scope.ORGANIZATION,
                Action.APPOINTMENT_READ: Scope.ORGANIZATION,
                Action.APPOINTMENT_BOOK: Scope.ORGANIZATION,
                Action.CLIENT_LIST: Scope.ORGANIZATION,
                Action.INTAKE_CREATE: Scope.ORGANIZATION,
                Action.WAITLIST_MANAGE: Scope.ORGANIZATION,
            }
        ),
        Role.CLINICAL_LEAD: MappingProxyType(
            {
                **_CARE_TEAM_WORK,
                # Identities across the organisation, for the break-glass and safety reviews;
                # clinical content stays with the care team.
                Action.CLIENT_READ: Scope.ORGANIZATION,
                Action.CLIENT_ERASE: Scope.ORGANIZATION,
                Action.WAITLIST_MANAGE: Scope.ORGANIZATION,
                Action.AUDIT_READ: Scope.ORGANIZATION,
                Action.AUDIT_VERIFY: Scope.ORGANIZATION,
                Action.RULES_EDIT: Scope.ORGANIZATION,
                Action.BREAK_GLASS_REVIEW: Scope.ORGANIZATION,
                Action.FAIRNESS_READ: Scope.ORGANIZATION,
                Action.CARE_TEAM_MANAGE: Scope.ORGANIZATION,
                Action.SECOND_FACTOR_RESET_DECIDE: Scope.ORGANIZATION,
            }
        ),
        Role.ADMIN: MappingProxyType(
            {
                Action.USER_MANAGE: Scope.ORGANIZATION,
                Action.ORGANIZATION_MANAGE: Scope.ORGANIZATION,
                Action.OUTBOX_ADMIN: Scope.ORGANIZATION,
                Action.AUDIT_VERIFY: Scope.ORGANIZATION,
            }
        ),
    }
)

ROLE_ACTIONS: Mapping[Role, frozenset[Action]] = MappingProxyType(
    {role: frozenset(grants) for role, grants in GRANTS.items()}
)


def scope_of(role: str, action: Action) -> Scope | None:
    """The scope on which ``role`` may take ``action``, or None if it may not."""
    try:
        known = Role(role)
    except ValueError:
        return None
    return GRANTS[known].get(action)


def role_allows(role: str, action: Action) -> bool:
    """Whether ``role`` may take ``action`` on anything at all (for route-level gates)."""
    return scope_of(role, action) is not None
