"""The access matrix, generated from the routes' declarations (``requires(...)``): every route x
every role x (the actor's own team, another team, another organisation), with real objects of
every kind made through the real services (``access_cast``) and valid bodies for writes, so
each request reaches the permission check.

Expected, from :data:`~alongside.security.permissions.GRANTS` and the declaration:

- a role holding none of the declared actions gets 404 (as does a client on the staff API);
- another organisation's objects: 404 for every role;
- another team's client data: 404 for roles whose grant is scoped to the care team (or to
  their own record, or to notes they wrote);
- a permitted role on its own team's objects succeeds (2xx/3xx): the positive controls,
  counted, with a floor; the few routes that answer a clear conflict on the cast's objects
  are listed with the status and the reason;
- nothing anywhere answers 5xx, and no write a role may make stops at 422.

Each request runs in a savepoint rolled back afterwards, so every request meets the same
pristine objects (an erasure or a cancellation does not spoil the next request).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from alongside.accounts.service import start_session
from alongside.deps import SESSION_COOKIE
from alongside.kit.time import utcnow
from alongside.models import Role
from alongside.security.declare import Declaration
from alongside.security.permissions import Scope
from alongside.triage.rule_changes import default_yaml_text
from tests.fixtures.declared import DeclaredRoute, declared_routes
from tests.fixtures.factories import PASSWORD, World
from tests.fixtures.web import totp_code
from tests.security.access_cast import PLACES, Cast, build_cast

# Path parameters by name: the kind of object whose id fills them. A parameter not named here
# fails the test (a new kind needs objects in the cast first).
ID_KINDS = {
    "client_id": "client",
    "intake_id": "intake",
    "suggestion_id": "suggestion",
    "alert_id": "alert",
    "appointment_id": "appointment",
    "entry_id": "waitlist_entry",
    "note_id": "note",
    "token_id": "token",
    "feed_id": "feed",
    "availability_id": "availability",
    "clinician_id": "clinician",
    "user_id": "user",
    "site_id": "site",
    "version_id": "ruleset_version",
    "message_id": "outbox_message",
    "grant_id": "break_glass_grant",
    "key": "crisis_service",
    "invitation_id": "staff_invitation",
    "reset_id": "second_factor_reset",
}
# ``request_id`` names two kinds; the path says which.
REQUEST_KINDS = {"/erasure-requests/": "erasure_request", "/corrections/": "correction_request"}
# Values that are not objects of an organisation.
LITERALS = {"purpose": "reminders", "change": "add", "instrument_id": "phq9"}
# Kinds whose objects hold one client's data: another team's are closed to care-team roles.
CLIENT_KINDS = frozenset(
    {
        "client",
        "intake",
        "suggestion",
        "alert",
        "appointment",
        "waitlist_entry",
        "note",
        "erasure_request",
        "correction_request",
    }
)
NARROW_SCOPES = frozenset({Scope.CARE_TEAM, Scope.AUTHOR, Scope.OWN})
# Ending the session would end the matrix's own; both are tested on their own.
SKIPPED = {("POST", "/logout"), ("DELETE", "/api/session")}
CLIENT_API = ("/api/me/", "/api/session")

Body = dict[str, Any] | Callable[["Request"], dict[str, Any]]


@dataclass(frozen=True)
class Request:
    """One request of the matrix."""

    route: DeclaredRoute
    role: Role
    place: str
    kinds: tuple[str, ...]
    url: str
    ids: dict[str, str]
    cast: Cast

    @property
    def user(self) -> Any:
        """The signed-in person."""
        return self.cast.world.users[self.role]


def _reauthentication(request: Request) -> dict[str, Any]:
    return {"password": PASSWORD, "code": totp_code(request.user)}


def _token(request: Request) -> dict[str, Any]:
    scope = "user.manage" if request.role is Role.ADMIN else "client.read"
    return {"name": "matrix", "scopes": [scope] if request.route.path.startswith("/api") else scope}


def _yaml(_request: Request) -> dict[str, Any]:
    yaml_text = default_yaml_text().replace('version: "2.0.0"', 'version: "2.0.2"', 1)
    return {"yaml_text": yaml_text, "note": "A new version from the matrix"}


def _confirm(request: Request) -> dict[str, Any]:
    return {
        "entry_id": request.ids["waitlist_entry"],
        "clinician_id": request.ids["clinician"],
        "starts_at": "2030-01-10T14:00:00+00:00",
        "setting": "telehealth",
        "reason": "Matched from the waitlist",
    }


SETTINGS = {"escalation_minutes": 15}
# Valid bodies of the writes, by (method, path). {kind} in a string is the place's id of it.
BODIES: dict[tuple[str, str], Body] = {
    ("POST", "/api/clients/{client_id}/break-glass"): {
        "reason": "Crisis call out of hours, nobody of the team on shift"
    },
    ("POST", "/api/tokens"): _token,
    ("POST", "/api/me/totp"): _reauthentication,
    ("POST", "/api/me/totp/confirm"): {"code": "000000"},
    ("POST", "/api/me/totp/remove"): _reauthentication,
    ("POST", "/api/me/recovery-codes"): _reauthentication,
    ("POST", "/api/intakes"): {
        "client_id": "{client}",
        "reviewer_id": "{clinician}",
        "reason": "Reviews intakes this week",
    },
    ("PUT", "/api/scheduling/clinicians/{clinician_id}/profile"): {"languages": ["en"]},
    ("POST", "/api/scheduling/clinicians/{clinician_id}/availability"): {
        "kind": "weekly",
        "weekday": 5,
        "start": "09:00",
        "end": "12:00",
    },
    ("PUT", "/api/scheduling/clients/{client_id}/preferences"): {},
    ("POST", "/api/scheduling/appointments"): {
        "client_id": "{client}",
        "clinician_id": "{clinician}",
        "starts_at": "2030-01-08T14:00:00+00:00",
        "reason": "Follow-up session",
    },
    ("POST", "/api/scheduling/appointments/{appointment_id}/reschedule"): {
        "starts_at": "2030-01-09T14:00:00+00:00",
        "reason": "The client asked to move it",
    },
    ("POST", "/api/scheduling/appointments/{appointment_id}/cancel"): {
        "reason": "The client asked to cancel"
    },
    ("POST", "/api/scheduling/appointments/{appointment_id}/no-show"): {
        "reason": "The client did not come"
    },
    ("POST", "/api/scheduling/waitlist/{entry_id}/remove"): {"reason": "Found care elsewhere"},
    ("POST", "/api/scheduling/proposals/confirm"): _confirm,
    ("POST", "/api/review/{suggestion_id}/decision"): {"outcome": "accepted", "reason": None},
    ("POST", "/api/review/alerts/{alert_id}/acknowledge"): {"action": "client_called"},
    ("POST", "/api/rules/versions"): _yaml,
    ("PUT", "/api/oversight/settings"): SETTINGS,
    ("PUT", "/api/clients/{client_id}/measures/plan"): {
        "instruments": ["phq9"],
        "cadence": "before_session",
    },
    ("PUT", "/api/me/consents/{purpose}"): {"granted": True},
    ("POST", "/api/me/corrections"): {"field": "phone", "value": "555-0123", "reason": "New"},
    ("POST", "/api/erasure-requests/{request_id}/decision"): {
        "decision": "declined",
        "reason": "Records are kept for the retention period",
    },
    ("POST", "/api/clients/{client_id}/export"): {"reason": "Transfer to another clinic"},
    ("POST", "/api/corrections/{request_id}/decision"): {
        "decision": "accepted",
        "reason": "Confirmed with the client",
    },
    ("POST", "/api/scheduling/appointments/{appointment_id}/note"): {
        "template": "dap",
        "jottings": "Mood lower this week.",
    },
    ("POST", "/api/clients/{client_id}/notes"): {"template": "dap", "jottings": "Mood lower."},
    ("POST", "/api/clients/{client_id}/psychotherapy-notes"): {"text": "Process note"},
    ("PUT", "/api/notes/{note_id}"): {
        "sections": [{"key": "data", "sentences": [{"text": "Mood lower this week."}]}]
    },
    ("POST", "/api/notes/{note_id}/addenda"): {"text": "Addendum from the matrix"},
    ("POST", "/api/clients/{client_id}/safety-plan"): {"steps": {"warning_signs": "No sleep"}},
    # Pages (form posts).
    ("POST", "/admin/invitations"): {
        "email": "newcomer@clinic.test",
        "display_name": "New Colleague",
        "role": "coordinator",
    },
    ("POST", "/admin/users/{user_id}/second-factor-reset"): {"reason": "Lost their phone"},
    ("POST", "/api/invitations"): {
        "email": "newcomer@clinic.test",
        "display_name": "New Colleague",
        "role": "coordinator",
    },
    ("POST", "/api/users/{user_id}/second-factor-reset"): {"reason": "Lost their phone"},
    ("POST", "/api/second-factor-resets/{reset_id}/decision"): {"decision": "approved"},
    ("POST", "/account/time-zone"): {"timezone": "Europe/London"},
    ("POST", "/admin/users/{user_id}/role"): {"role": "coordinator"},
    ("POST", "/admin/on-call"): lambda r: {
        "member": [r.cast.own_clinician.id.hex],
        "on_call": 1,
        "escalation_minutes": 15,
    },
    ("POST", "/admin/organisation"): {"name": "Riverside Therapy", "timezone": "Europe/London"},
    ("POST", "/admin/sites"): {"name": "Riverside", "timezone": "UTC"},
    ("POST", "/admin/sites/{site_id}"): {"name": "Riverside", "timezone": "UTC"},
    ("POST", "/care-teams/{client_id}/{change}"): lambda r: {
        "clinician_id": str(r.cast.spare_clinician.id),
        "reason": "Covering a colleague's leave",
    },
    ("POST", "/access/emergency"): lambda r: {
        "email": r.cast.world.outside_client.email,
        "reason": "Crisis call out of hours, nobody of the team on shift",
    },
    ("POST", "/account/totp"): _reauthentication,
    ("POST", "/account/totp/confirm"): {"code": "000000"},
    ("POST", "/account/totp/remove"): _reauthentication,
    ("POST", "/account/recovery-codes"): _reauthentication,
    ("POST", "/account/tokens"): _token,
    ("POST", "/intakes/new"): {
        "client_id": "{client}",
        "instruments": "phq9",
        "reviewer_id": "{clinician}",
        "reason": "Reviews intakes this week",
    },
    ("POST", "/me/consents/{purpose}"): {"granted": "yes"},
    ("POST", "/me/corrections"): {"field": "phone", "value": "555-0123", "reason": "New"},
    ("POST", "/clients/{client_id}/details"): {
        "given_name": "Ada",
        "family_name": "Lovelace",
        "email": "ada@example.org",
        "phone": "555-0123",
        "date_of_birth": "1990-04-23",
        "preferred_language": "en",
    },
    ("POST", "/me/notes/{note_id}/corrections"): {"value": "It was last week", "reason": ""},
    ("POST", "/clients/{client_id}/measures/plan"): {
        "instruments": "phq9",
        "cadence": "before_session",
    },
    ("POST", "/clients/{client_id}/measures/send"): {"instruments": "phq9"},
    ("POST", "/clients/{client_id}/notes"): {"template": "dap", "jottings": "Mood lower."},
    ("POST", "/notes/{note_id}/edit"): {"section-data": "Mood lower this week."},
    ("POST", "/notes/{note_id}/addenda"): {"text": "Addendum from the matrix"},
    ("POST", "/clients/{client_id}/process-notes"): {"text": "Process note"},
    ("POST", "/clients/{client_id}/safety-plan"): {"step-warning_signs": "No sleep"},
    ("POST", "/privacy/erasure-requests/{request_id}/decision"): {
        "decision": "declined",
        "reason": "Records are kept for the retention period",
    },
    ("POST", "/privacy/corrections/{request_id}/decision"): {
        "decision": "accepted",
        "reason": "Confirmed with the client",
    },
    ("POST", "/review/alerts/{alert_id}/acknowledge"): {"action": "client_called", "note": ""},
    ("POST", "/review/{suggestion_id}/decision"): {"outcome": "accepted", "reason": ""},
    ("POST", "/oversight/settings"): {"escalation_minutes": "15"},
    ("POST", "/rules/new"): _yaml,
    # The cast's version is 2.0.1; the tick names it, and activation needs a reason.
    ("POST", "/rules/{version_id}/activate"): {
        "reason": "Reviewed at the team meeting",
        "confirm": "2.0.1",
    },
    ("POST", "/api/rules/versions/{version_id}/activate"): {
        "reason": "Reviewed at the team meeting"
    },
    ("POST", "/scheduling/proposals/confirm"): _confirm,
    ("POST", "/scheduling/waitlist/{entry_id}/remove"): {"reason": "Found care elsewhere"},
    ("POST", "/scheduling/appointments/{appointment_id}/cancel"): {"reason": "Client asked"},
    ("POST", "/scheduling/appointments/{appointment_id}/no-show"): {
        "reason": "The client did not come"
    },
    ("POST", "/scheduling/availability/hours"): {
        "clinician_id": "{clinician}",
        "weekday": "5",
        "start": "09:00",
        "end": "12:00",
    },
    ("POST", "/scheduling/availability/extra"): {
        "clinician_id": "{clinician}",
        "extra_day": "2030-02-09",
        "extra_start": "09:00",
        "extra_end": "12:00",
    },
    ("POST", "/scheduling/availability/leave"): {
        "clinician_id": "{clinician}",
        "first_day": "2030-02-04",
        "last_day": "2030-02-08",
        "note": "Annual leave",
    },
    ("POST", "/scheduling/appointments/{appointment_id}/reschedule"): {
        "starts_at": "2030-01-09T14:00:00+00:00",
        "reason": "The client asked to move it",
    },
    ("POST", "/admin/crisis-resources/country"): {"country": "GB"},
    ("POST", "/admin/crisis-resources/services"): {
        "id": "matrix-new",
        "name": "Another crisis line",
        "contact": "555-0111",
        "how": "Call any time",
        "source": "Matrix",
    },
}

# Permitted roles on their own team's objects that answer a clear 4xx on the cast's objects
# (the state of the object, not the permission), with the statuses and why. Keyed by
# (method, path) for every role, or (method, path, role) for one.
_NO_FACTOR = (frozenset({409}), "roles without a second factor have none to change")
_NO_CALENDAR = (frozenset({404}), "a coordinator keeps no calendar of their own")
_STAFF_CALENDAR = (frozenset({404}), "calendars are clinicians'; a client has none")
_STAFF_HOURS = (frozenset({404}), "working hours are staff's; a client has none")
_ERASURE_WAITING = (frozenset({409}), "the cast's own client already asked for erasure")
_PENDING = (frozenset({409}), "only failed or dead messages are retried; the cast's is pending")
CONFLICTS: dict[tuple[str, ...], tuple[frozenset[int], str]] = {
    ("POST", "/api/clients/{client_id}/break-glass"): (
        frozenset({409}),
        "the own team needs no emergency access (another team's client opens: 201)",
    ),
    ("POST", "/api/me/totp/confirm"): (frozenset({422}), "no enrolment was started"),
    ("POST", "/account/totp/confirm"): (frozenset({422}), "no enrolment was started"),
    ("POST", "/api/me/totp/remove"): _NO_FACTOR,
    ("POST", "/account/totp/remove"): _NO_FACTOR,
    ("POST", "/api/me/recovery-codes"): _NO_FACTOR,
    ("POST", "/account/recovery-codes"): _NO_FACTOR,
    ("POST", "/api/scheduling/appointments/{appointment_id}/no-show"): (
        frozenset({409}),
        "the appointment has not started",
    ),
    ("POST", "/scheduling/appointments/{appointment_id}/no-show"): (
        frozenset({409}),
        "the appointment has not started",
    ),
    ("POST", "/scheduling/appointments/{appointment_id}/no-show", "client"): (
        frozenset({404}),
        "a no-show is recorded by the clinic, never by the client",
    ),
    ("POST", "/api/scheduling/appointments/{appointment_id}/note"): (
        frozenset({409}),
        "the session has not started",
    ),
    ("POST", "/api/clients/{client_id}/erasure-requests"): (
        frozenset({409}),
        "the client's own request is already waiting",
    ),
    ("POST", "/api/notes/{note_id}/cosign"): (frozenset({409}), "the note is a draft"),
    ("POST", "/notes/{note_id}/cosign"): (frozenset({409}), "the note is a draft"),
    ("POST", "/api/notes/{note_id}/addenda"): (frozenset({409}), "the note is a draft"),
    ("POST", "/notes/{note_id}/addenda"): (frozenset({409}), "the note is a draft"),
    ("GET", "/api/notes/{note_id}/fhir"): (frozenset({409}), "only signed notes are exported"),
    ("POST", "/api/notes/{note_id}/sign", "clinical_lead"): (
        frozenset({409}),
        "only the note's author signs it (the lead adds an addendum)",
    ),
    ("POST", "/notes/{note_id}/sign", "clinical_lead"): (
        frozenset({409}),
        "only the note's author signs it (the lead adds an addendum)",
    ),
    ("POST", "/api/scheduling/feeds", "coordinator"): _NO_CALENDAR,
    ("POST", "/scheduling/feeds", "coordinator"): _NO_CALENDAR,
    ("GET", "/scheduling/availability", "client"): _STAFF_HOURS,
    ("POST", "/scheduling/availability/hours", "client"): _STAFF_HOURS,
    ("POST", "/scheduling/availability/leave", "client"): _STAFF_HOURS,
    ("POST", "/scheduling/availability/extra", "client"): _STAFF_HOURS,
    ("POST", "/scheduling/availability/{availability_id}/remove", "client"): _STAFF_HOURS,
    ("GET", "/scheduling/week", "client"): _STAFF_CALENDAR,
    ("POST", "/scheduling/feeds", "client"): _STAFF_CALENDAR,
    ("POST", "/scheduling/feeds/{feed_id}/revoke", "client"): _STAFF_CALENDAR,
    ("POST", "/api/me/erasure-requests"): _ERASURE_WAITING,
    ("POST", "/me/erasure"): _ERASURE_WAITING,
    ("POST", "/me/notes/{note_id}/corrections"): (
        frozenset({404}),
        "the cast's note is a draft, which the client does not see",
    ),
    ("POST", "/api/outbox/{message_id}/retry"): _PENDING,
    ("POST", "/admin/outbox/{message_id}/retry"): _PENDING,
}
# Another team's objects that a care-team role may open by design, with why.
OUTSIDE_OPEN: dict[tuple[str, str], str] = {
    # The on-call clinician is alerted to every crisis and may open and acknowledge the alert
    # (DESIGN.md invariant 3); the alert opens nothing else of the record.
    ("GET", "/review/alerts/{alert_id}"): "alerted on call",
    ("POST", "/review/alerts/{alert_id}/acknowledge"): "alerted on call",
    ("POST", "/api/review/alerts/{alert_id}/acknowledge"): "alerted on call",
    ("GET", "/review/intakes/{intake_id}"): "alerted on call: sent on to the alert",
}

# Positive controls per role, at least (1,735 requests gave 28, 82, 51, 120 and 29).
POSITIVE_FLOORS = {
    Role.CLIENT: 25,
    Role.CLINICIAN: 75,
    Role.COORDINATOR: 45,
    Role.CLINICAL_LEAD: 110,
    Role.ADMIN: 25,
}


def _kind(name: str, path: str) -> str | None:
    if name == "request_id":
        return next((kind for part, kind in REQUEST_KINDS.items() if part in path), None)
    if name == "token":
        return "path_token"
    return ID_KINDS.get(name)


def _fill(route: DeclaredRoute, place: str, role: Role, cast: Cast) -> tuple[str, dict[str, str]]:
    ids = {kind: cast.value(kind, place, role) for kind in cast.places[place].ids}

    def value(match: re.Match[str]) -> str:
        name = match.group(1).split(":")[0]
        if name in LITERALS:
            return LITERALS[name]
        kind = _kind(name, route.path)
        if kind is None:
            raise AssertionError(f"{route}: no known kind of object for {{{name}}}")
        if kind == "path_token":
            if route.path.startswith("/intake/"):
                return cast.intake_token
            if route.path.startswith("/calendar/"):
                return cast.feed_token
            return cast.certificate_token
        return ids[kind]

    return re.sub(r"{([^}]+)}", value, route.path), ids


def _kinds(route: DeclaredRoute) -> tuple[str, ...]:
    found = []
    for name in re.findall(r"{(\w+)}", route.path):
        if name in LITERALS:
            continue
        kind = _kind(name, route.path)
        if kind is None:
            raise AssertionError(f"{route}: no known kind of object for {{{name}}}")
        found.append(kind)
    return tuple(found)


def _body(request: Request) -> dict[str, Any] | None:
    key = (request.route.method, request.route.path)
    if request.route.method not in ("POST", "PUT", "PATCH"):
        return None
    template = BODIES.get(key, {})
    body = template(request) if callable(template) else template

    def substitute(value: Any) -> Any:
        if isinstance(value, str):
            return re.sub(r"{(\w+)}", lambda m: request.ids.get(m.group(1), m.group(0)), value)
        if isinstance(value, list):
            return [substitute(v) for v in value]
        if isinstance(value, dict):
            return {k: substitute(v) for k, v in value.items()}
        return value

    return substitute(body)


def _expected(request: Request) -> str:
    """``refused`` (404), ``allowed`` (2xx/3xx) or ``any`` (only: no 5xx, no 422)."""
    declaration: Declaration = request.route.declaration
    path = request.route.path
    role = request.role
    if role is Role.CLIENT and path.startswith("/api/") and not path.startswith(CLIENT_API):
        return "refused"
    if not declaration.allows(role):
        return "refused"
    org_bound = [k for k in request.kinds if k != "path_token"]
    if request.place == "foreign" and org_bound:
        return "refused"
    if request.place == "outside":
        scope = declaration.scope_for(role)
        opened = (request.route.method, path) in OUTSIDE_OPEN
        if scope in NARROW_SCOPES and CLIENT_KINDS.intersection(org_bound) and not opened:
            return "refused"
        return "any"
    return "allowed"


def _requests(app: FastAPI, cast: Cast, role: Role) -> Iterator[Request]:
    for route in declared_routes(app):
        if (route.method, route.path) in SKIPPED or route.declaration.public:
            continue
        kinds = _kinds(route)
        places = PLACES if [k for k in kinds if k != "path_token"] else ("own",)
        for place in places:
            url, ids = _fill(route, place, role, cast)
            yield Request(route, role, place, kinds, url, ids, cast)


def _conflict(request: Request) -> tuple[frozenset[int], str] | None:
    route = request.route
    return CONFLICTS.get((route.method, route.path, request.role.value)) or CONFLICTS.get(
        (route.method, route.path)
    )


@pytest.fixture
def cast(db: Session, world: World) -> Cast:
    """The matrix's objects, committed into the test's transaction."""
    made = build_cast(db, world)
    db.commit()
    return made


def _headers(db: Session, cast: Cast, role: Role) -> dict[str, str]:
    tokens = start_session(db, cast.world.users[role], utcnow())
    db.commit()
    return {
        "cookie": f"{SESSION_COOKIE}={tokens.session_token}",
        "X-CSRF-Token": tokens.csrf_token,
    }


def _send(client: TestClient, request: Request, headers: dict[str, str]) -> Any:
    body = _body(request)
    api = request.route.path.startswith("/api/")
    kwargs: dict[str, Any] = {
        "headers": {**headers, "accept": "application/json" if api else "text/html"},
        "follow_redirects": False,
    }
    if body is not None:
        kwargs["json" if api else "data"] = body
    return client.request(request.route.method, request.url, **kwargs)


@pytest.mark.parametrize("role", list(Role))
def test_every_route_for_every_role_follows_the_declared_grants(
    app: FastAPI,
    client: TestClient,
    connection: Connection,
    db: Session,
    cast: Cast,
    role: Role,
) -> None:
    headers = _headers(db, cast, role)
    problems: list[str] = []
    positives = refusals = total = 0
    for request in _requests(app, cast, role):
        savepoint = connection.begin_nested()
        try:
            response = _send(client, request, headers)
        finally:
            savepoint.rollback()
        total += 1
        status = response.status_code
        expected = _expected(request)
        where = f"{request.route.method} {request.route.path} as {role.value} ({request.place})"
        detail = response.text[:200].replace("\n", " ")
        if status >= 500:
            problems.append(f"{where}: {status} {detail}")
            continue
        if expected == "refused":
            if status != 404:
                problems.append(f"{where}: expected 404, got {status} {detail}")
            refusals += 1
            continue
        conflict = _conflict(request) if expected == "allowed" else None
        if conflict is not None:
            if status not in conflict[0] and not 200 <= status < 400:
                problems.append(f"{where}: expected {set(conflict[0])} ({conflict[1]}), {status}")
            continue
        if status == 422:
            problems.append(f"{where}: 422 before the permission check: {detail}")
            continue
        if expected == "allowed":
            if not 200 <= status < 400:
                problems.append(f"{where}: expected success, got {status} {detail}")
                continue
            positives += 1
    assert problems == [], "\n".join(problems)
    # The positive controls: permitted roles really succeed on their own team's objects (a
    # matrix of 404s would pass every refusal check above without them).
    assert positives >= POSITIVE_FLOORS[role], (role, positives, total)
    assert refusals > 0
    assert total >= 340, total
