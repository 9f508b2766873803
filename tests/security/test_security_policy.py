"""The access policy: every role x every action x (own, same organisation, break-glass, other
organisation, no resource), written out by hand so that a change to the grants shows here."""

from __future__ import annotations

import enum
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alongside.security.permissions import (
    BREAK_GLASS_ACTIONS,
    CLIENT_ACTIONS,
    GRANTS,
    PSYCHOTHERAPY_NOTE_KIND,
    ROLE_ACTIONS,
    Action,
    Role,
    Scope,
    role_allows,
    scope_of,
)
from alongside.security.policy import Actor, ClientScope, Resource, can, readable_clients

ORG = uuid.UUID("0000000a-0000-4000-8000-000000000000")
OTHER_ORG = uuid.UUID("0000000b-0000-4000-8000-000000000000")
USER = uuid.UUID("00000001-0000-4000-8000-000000000000")
OTHER_USER = uuid.UUID("00000002-0000-4000-8000-000000000000")
MINE = uuid.UUID("000000c1-0000-4000-8000-000000000000")  # own record / on the care team
ELSEWHERE = uuid.UUID("000000c2-0000-4000-8000-000000000000")  # same organisation, not mine
GLASS = uuid.UUID("000000c3-0000-4000-8000-000000000000")  # active break-glass grant
FOREIGN = uuid.UUID("000000c4-0000-4000-8000-000000000000")  # another organisation's client

CONTEXTS = ["own", "org", "break_glass", "other_org"]

# Expected answers, one letter per context in CONTEXTS order; roles not listed: "NNNN".
# "own" is the client's own record for a client user and a care-team client for staff.
EXPECTED: dict[Action, dict[Role, str]] = {
    Action.CLIENT_READ: {
        Role.CLIENT: "YNNN",
        Role.CLINICIAN: "YNYN",
        Role.COORDINATOR: "YYYN",
        Role.CLINICAL_LEAD: "YYYN",
    },
    Action.CLIENT_WRITE: {
        Role.CLINICIAN: "YNNN",
        Role.COORDINATOR: "YYYN",
        Role.CLINICAL_LEAD: "YNNN",
    },
    Action.CLIENT_EXPORT: {Role.CLIENT: "YNNN", Role.CLINICIAN: "YNNN", Role.CLINICAL_LEAD: "YNNN"},
    Action.CLIENT_ERASE: {Role.CLINICAL_LEAD: "YYYN"},
    Action.ERASURE_REQUEST: {Role.CLIENT: "YNNN"},
    Action.CLINICAL_READ: {Role.CLINICIAN: "YNYN", Role.CLINICAL_LEAD: "YNYN"},
    Action.INTAKE_REVIEW: {Role.CLINICIAN: "YNNN", Role.CLINICAL_LEAD: "YNNN"},
    Action.SUGGESTION_DECIDE: {Role.CLINICIAN: "YNNN", Role.CLINICAL_LEAD: "YNNN"},
    Action.NOTE_READ: {Role.CLINICIAN: "YNYN", Role.CLINICAL_LEAD: "YNYN"},
    Action.NOTE_WRITE: {Role.CLINICIAN: "YNNN", Role.CLINICAL_LEAD: "YNNN"},
    Action.NOTE_SIGN: {Role.CLINICIAN: "YNNN", Role.CLINICAL_LEAD: "YNNN"},
    # The actor is the author here; other authors are refused in a test below.
    Action.PSYCHOTHERAPY_NOTE_READ: {Role.CLINICIAN: "YNNN", Role.CLINICAL_LEAD: "YNNN"},
    Action.PSYCHOTHERAPY_NOTE_WRITE: {Role.CLINICIAN: "YNNN", Role.CLINICAL_LEAD: "YNNN"},
    # The client reads their own safety plan; the care team (and break-glass) read it.
    Action.SAFETY_PLAN_READ: {
        Role.CLIENT: "YNNN",
        Role.CLINICIAN: "YNYN",
        Role.CLINICAL_LEAD: "YNYN",
    },
    Action.SAFETY_PLAN_WRITE: {Role.CLINICIAN: "YNNN", Role.CLINICAL_LEAD: "YNNN"},
    Action.APPOINTMENT_READ: {
        Role.CLIENT: "YNNN",
        Role.CLINICIAN: "YNYN",
        Role.COORDINATOR: "YYYN",
        Role.CLINICAL_LEAD: "YNYN",
    },
    Action.APPOINTMENT_BOOK: {
        Role.CLIENT: "YNNN",
        Role.CLINICIAN: "YNNN",
        Role.COORDINATOR: "YYYN",
        Role.CLINICAL_LEAD: "YNNN",
    },
    Action.ACCESS_LOG_READ: {Role.CLIENT: "YNNN"},
    Action.BREAK_GLASS_REQUEST: {Role.CLINICIAN: "YYYN", Role.CLINICAL_LEAD: "YYYN"},
    # Organisation-wide actions: the client columns are all this organisation's.
    Action.CLIENT_LIST: {
        Role.CLINICIAN: "YYYN",
        Role.COORDINATOR: "YYYN",
        Role.CLINICAL_LEAD: "YYYN",
    },
    Action.INTAKE_CREATE: {
        Role.CLINICIAN: "YYYN",
        Role.COORDINATOR: "YYYN",
        Role.CLINICAL_LEAD: "YYYN",
    },
    Action.WAITLIST_MANAGE: {Role.COORDINATOR: "YYYN", Role.CLINICAL_LEAD: "YYYN"},
    Action.AUDIT_READ: {Role.CLINICAL_LEAD: "YYYN"},
    Action.AUDIT_VERIFY: {Role.CLINICAL_LEAD: "YYYN", Role.ADMIN: "YYYN"},
    Action.RULES_EDIT: {Role.CLINICAL_LEAD: "YYYN"},
    Action.USER_MANAGE: {Role.ADMIN: "YYYN"},
    Action.CARE_TEAM_MANAGE: {Role.CLINICAL_LEAD: "YYYN"},
    Action.ORGANIZATION_MANAGE: {Role.ADMIN: "YYYN"},
    Action.BREAK_GLASS_REVIEW: {Role.CLINICAL_LEAD: "YYYN"},
    Action.OUTBOX_ADMIN: {Role.ADMIN: "YYYN"},
    Action.FAIRNESS_READ: {Role.CLINICAL_LEAD: "YYYN"},
    Action.SECOND_FACTOR_RESET_DECIDE: {Role.CLINICAL_LEAD: "YYYN"},
}


def make_actor(role: Role | str) -> Actor:
    """An actor whose own/care-team client is MINE, with a grant for GLASS; the other
    organisation's client is slipped into every set to prove the organisation check wins."""
    is_client = role == Role.CLIENT
    return Actor(
        user_id=USER,
        organization_id=ORG,
        role=role,
        care_team_client_ids=frozenset() if is_client else frozenset({MINE, FOREIGN}),
        break_glass_client_ids=frozenset({GLASS, FOREIGN}),
        client_id=MINE if is_client else None,
    )


def make_resource(action: Action, context: str, author: uuid.UUID = USER) -> Resource:
    client = {"own": MINE, "org": ELSEWHERE, "break_glass": GLASS, "other_org": FOREIGN}[context]
    organization = OTHER_ORG if context == "other_org" else ORG
    psychotherapy = action.value.startswith("psychotherapy_note.")
    return Resource(
        organization_id=organization,
        client_id=client,
        author_id=author if psychotherapy else None,
        kind=PSYCHOTHERAPY_NOTE_KIND if psychotherapy else action.value.split(".")[0],
    )


CASES = [
    pytest.param(
        role,
        action,
        context,
        EXPECTED[action].get(role, "NNNN")[i] == "Y",
        id=f"{role}-{action}-{context}",
    )
    for role in Role
    for action in Action
    for i, context in enumerate(CONTEXTS)
]


def test_the_table_covers_every_action_and_only_known_roles() -> None:
    assert set(EXPECTED) == set(Action)
    assert all(set(by_role) <= set(Role) for by_role in EXPECTED.values())
    assert all(
        len(code) == 4 and set(code) <= {"Y", "N"} for r in EXPECTED.values() for code in r.values()
    )


@pytest.mark.parametrize(("role", "action", "context", "allowed"), CASES)
def test_role_action_context_matrix(
    role: Role, action: Action, context: str, allowed: bool
) -> None:
    assert can(make_actor(role), action, make_resource(action, context)) is allowed


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("role", list(Role))
def test_without_a_resource(role: Role, action: Action) -> None:
    # Organisation-wide actions need no resource; actions on a record always need one.
    granted = EXPECTED[action].get(role, "NNNN")[1] == "Y" or (
        EXPECTED[action].get(role, "NNNN")[0] == "Y"
    )
    expected = granted and action not in CLIENT_ACTIONS
    assert can(make_actor(role), action, None) is expected
    assert role_allows(role, action) is (EXPECTED[action].get(role, "NNNN") != "NNNN")


@pytest.mark.parametrize("action", sorted(CLIENT_ACTIONS))
@pytest.mark.parametrize("role", list(Role))
def test_a_record_action_needs_the_client(role: Role, action: Action) -> None:
    assert not can(make_actor(role), action, Resource(organization_id=ORG))


@pytest.mark.parametrize(
    "action",
    [
        Action.PSYCHOTHERAPY_NOTE_READ,
        Action.PSYCHOTHERAPY_NOTE_WRITE,
        Action.NOTE_READ,
        Action.CLINICAL_READ,
    ],
)
@pytest.mark.parametrize("role", list(Role))
def test_psychotherapy_notes_are_readable_by_their_author_alone(role: Role, action: Action) -> None:
    actor = make_actor(role)
    others = Resource(ORG, MINE, author_id=OTHER_USER, kind=PSYCHOTHERAPY_NOTE_KIND)
    unknown_author = Resource(ORG, MINE, author_id=None, kind=PSYCHOTHERAPY_NOTE_KIND)
    assert not can(actor, action, others)
    assert not can(actor, action, unknown_author)
    # Break-glass never opens them, even for the author.
    glass = Resource(ORG, GLASS, author_id=USER, kind=PSYCHOTHERAPY_NOTE_KIND)
    assert not can(actor, Action.PSYCHOTHERAPY_NOTE_READ, glass)


def test_the_author_kind_guard_covers_other_actions() -> None:
    clinician = make_actor(Role.CLINICIAN)
    mine = Resource(ORG, MINE, author_id=USER, kind=PSYCHOTHERAPY_NOTE_KIND)
    assert can(clinician, Action.NOTE_READ, mine)
    colleague = Actor(OTHER_USER, ORG, Role.CLINICIAN, care_team_client_ids=frozenset({MINE}))
    assert not can(colleague, Action.NOTE_READ, mine)
    assert not can(colleague, Action.PSYCHOTHERAPY_NOTE_READ, mine)
    # An author taken off the care team loses access too.
    former = Actor(USER, ORG, Role.CLINICIAN)
    assert not can(former, Action.PSYCHOTHERAPY_NOTE_READ, mine)


def test_break_glass_opens_reading_only() -> None:
    clinician = make_actor(Role.CLINICIAN)
    resource = Resource(ORG, GLASS)
    opened = {a for a in CLIENT_ACTIONS if can(clinician, a, resource)}
    assert opened == BREAK_GLASS_ACTIONS | {Action.BREAK_GLASS_REQUEST}
    expired = Actor(USER, ORG, Role.CLINICIAN, care_team_client_ids=frozenset({MINE}))
    assert not can(expired, Action.CLIENT_READ, resource)


def test_a_client_user_without_a_client_record_reads_nothing() -> None:
    orphan = Actor(USER, ORG, Role.CLIENT, client_id=None)
    assert not can(orphan, Action.CLIENT_READ, Resource(ORG, MINE))
    assert readable_clients(orphan) == ClientScope(ORG, frozenset())


def test_client_users_ignore_care_team_data() -> None:
    odd = Actor(USER, ORG, Role.CLIENT, care_team_client_ids=frozenset({ELSEWHERE}), client_id=MINE)
    assert not can(odd, Action.CLIENT_READ, Resource(ORG, ELSEWHERE))


def test_unknown_roles_may_do_nothing() -> None:
    ghost = make_actor("superuser")
    assert scope_of("superuser", Action.USER_MANAGE) is None
    assert not any(can(ghost, a, make_resource(a, "own")) for a in Action)
    assert readable_clients(ghost) == ClientScope(ORG, frozenset())


class ModelRole(enum.StrEnum):
    """Stands in for alongside.models.user.Role, a separate StrEnum with the same values."""

    CLINICIAN = "clinician"


def test_another_str_enum_of_the_same_role_works() -> None:
    actor = Actor(USER, ORG, ModelRole.CLINICIAN, care_team_client_ids=frozenset({MINE}))
    assert can(actor, Action.NOTE_READ, Resource(ORG, MINE))
    assert can(
        Actor(USER, ORG, "clinician", frozenset({MINE})), Action.NOTE_READ, Resource(ORG, MINE)
    )


def test_grants_are_read_only_data() -> None:
    assert ROLE_ACTIONS[Role.ADMIN] == frozenset(GRANTS[Role.ADMIN])
    with pytest.raises(TypeError):
        GRANTS[Role.ADMIN][Action.CLIENT_READ] = Scope.ORGANIZATION  # type: ignore[index]
    # Administrators read no client data at all.
    assert not ROLE_ACTIONS[Role.ADMIN] & CLIENT_ACTIONS


# --- the readable set agrees with can() ----------------------------------------------------------

SET_ACTIONS = sorted(
    a
    for a in CLIENT_ACTIONS
    if a not in {Action.PSYCHOTHERAPY_NOTE_READ, Action.PSYCHOTHERAPY_NOTE_WRITE}
)
POOL = [uuid.UUID(int=i) for i in range(1, 7)]


@given(
    role=st.sampled_from(list(Role)),
    action=st.sampled_from(SET_ACTIONS),
    team=st.frozensets(st.sampled_from(POOL)),
    glass=st.frozensets(st.sampled_from(POOL)),
    own=st.one_of(st.none(), st.sampled_from(POOL)),
)
def test_readable_clients_agrees_with_can(
    role: Role,
    action: Action,
    team: frozenset[uuid.UUID],
    glass: frozenset[uuid.UUID],
    own: uuid.UUID | None,
) -> None:
    actor = Actor(USER, ORG, role, team, glass, own)
    scope = readable_clients(actor, action)
    for organization in (ORG, OTHER_ORG):
        for client in POOL:
            assert can(actor, action, Resource(organization, client)) is scope.contains(
                organization, client
            )


def test_readable_clients_shapes() -> None:
    assert readable_clients(make_actor(Role.COORDINATOR)).whole_organization
    clinician = readable_clients(make_actor(Role.CLINICIAN))
    assert not clinician.whole_organization
    assert clinician.client_ids == frozenset({MINE, FOREIGN, GLASS})
    assert not clinician.contains(OTHER_ORG, FOREIGN)
    assert readable_clients(make_actor(Role.CLINICIAN), Action.NOTE_WRITE).client_ids == {
        MINE,
        FOREIGN,
    }
    assert readable_clients(make_actor(Role.CLIENT)).client_ids == {MINE}
    assert readable_clients(make_actor(Role.ADMIN)).client_ids == frozenset()


@pytest.mark.parametrize(
    ("action", "message"),
    [
        (Action.CLIENT_LIST, "not an action on a client's record"),
        (Action.PSYCHOTHERAPY_NOTE_READ, "filter notes by author"),
    ],
)
def test_readable_clients_refuses_actions_it_cannot_answer(action: Action, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        readable_clients(make_actor(Role.CLINICIAN), action)
