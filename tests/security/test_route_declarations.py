"""Every route declares the permission it needs, in its signature (``requires(...)``), exactly
once; the build fails naming a route that does not. Every action of the policy is checked
somewhere: by a route's declaration or by a service's ``can(...)``.

Positive controls: ``GET /api/clients`` is found declaring ``client.list``; a toy app with an
undeclared and a doubly declared route is caught; the walk finds every path of the OpenAPI
description (so discovery cannot quietly shrink).
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Annotated

import pytest
from fastapi import APIRouter, FastAPI

from alongside.security.declare import Declaration, Permit, requires
from alongside.security.permissions import GRANTS, Action, Role
from tests.fixtures.declared import declared_routes, undeclared

SOURCE = Path(__file__).resolve().parents[2] / "src" / "alongside"

# Reachable without signing in. A new public route must be added here on purpose.
PUBLIC = {
    ("GET", "/"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("POST", "/api/session"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/intake/{token}"),
    ("POST", "/intake/{token}/consent"),
    ("GET", "/intake/{token}/questions/{instrument_id}"),
    ("POST", "/intake/{token}/questions/{instrument_id}"),
    ("GET", "/intake/{token}/words"),
    ("POST", "/intake/{token}/words"),
    ("GET", "/intake/{token}/review"),
    ("POST", "/intake/{token}/submit"),
    ("GET", "/calendar/{token}.ics"),
    ("GET", "/erasure-certificates/{token}"),
    # An invitation's link token is the credential; the set-up step is signed.
    ("GET", "/invitations/{token}"),
    ("POST", "/invitations/{token}"),
    ("POST", "/login/second-factor"),
}
# Policy helpers whose Action arguments count as a check.
CHECKS = frozenset({"can", "role_allows", "readable_clients", "scope_of"})


def test_every_route_declares_exactly_one_permission(app: FastAPI) -> None:
    assert undeclared(app) == []


def test_positive_control_the_walk_finds_the_declaration_on_api_clients(app: FastAPI) -> None:
    routes = {(r.method, r.path): r for r in declared_routes(app)}
    found = routes[("GET", "/api/clients")]
    assert found.declaration == Declaration(frozenset({Action.CLIENT_LIST}))
    assert routes[("GET", "/api/clients/{client_id}")].declaration.actions == {Action.CLIENT_READ}


def test_the_walk_covers_every_path_of_the_openapi_description(app: FastAPI) -> None:
    walked = {(r.method, r.path) for r in declared_routes(app)}
    described = {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method in operations
    }
    assert described <= walked
    # Pages and token routes are outside the description; the walk has them too.
    assert {("GET", "/home"), ("GET", "/calendar/{token}.ics")} <= walked
    assert len(walked) >= 190


def test_public_routes_are_exactly_the_listed_ones(app: FastAPI) -> None:
    public = {(r.method, r.path) for r in declared_routes(app) if r.declaration.public}
    assert public == PUBLIC


def test_own_space_routes_are_the_signed_in_persons_own(app: FastAPI) -> None:
    for route in declared_routes(app):
        if route.path.startswith(("/me/", "/api/me/")):
            declaration = route.declaration
            assert declaration.own_space or declaration.staff, route


def _toy_app() -> FastAPI:
    toy = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    router = APIRouter()

    @router.get("/declared")
    def declared(permit: Annotated[Permit, requires(Action.CLIENT_LIST)]) -> None:
        """Declares one action."""

    @router.get("/forgotten")
    def forgotten() -> None:
        """Declares nothing."""

    @router.post("/twice")
    def twice(
        permit: Annotated[Permit, requires(Action.CLIENT_LIST)],
        again: Annotated[Permit, requires(public=True)],
    ) -> None:
        """Declares two things."""

    toy.include_router(router)
    return toy


def test_positive_control_a_route_without_a_declaration_is_named() -> None:
    found = undeclared(_toy_app())
    assert len(found) == 2, found
    assert found[0].startswith("GET /forgotten (")
    assert found[0].endswith("_toy_app.<locals>.forgotten): 0 declarations")
    assert found[1].startswith("POST /twice (")
    assert found[1].endswith("_toy_app.<locals>.twice): 2 declarations")


@pytest.mark.parametrize(
    "arguments",
    [
        {},
        {"public": True, "staff": True},
        {"public": True, "own_space": True},
        {"staff": True, "own_space": True},
    ],
)
def test_a_declaration_says_one_thing(arguments: dict[str, bool]) -> None:
    with pytest.raises(ValueError, match="Declare"):
        requires(**arguments)
    with pytest.raises(ValueError, match="Declare"):
        requires(Action.CLIENT_READ, public=True)


def test_the_gate_follows_the_grants() -> None:
    listing = Declaration(frozenset({Action.CLIENT_LIST}))
    assert {role for role in Role if listing.allows(role)} == {
        role for role in Role if Action.CLIENT_LIST in GRANTS[role]
    }
    own = Declaration(frozenset({Action.APPOINTMENT_READ}), own_space=True)
    assert {role for role in Role if own.allows(role)} == {Role.CLIENT}
    staff = Declaration(staff=True)
    assert {role for role in Role if staff.allows(role)} == set(Role) - {Role.CLIENT}
    anyone = Declaration(own_space=True)
    assert all(anyone.allows(role) for role in Role)
    public = Declaration(public=True)
    assert all(public.allows(role) for role in Role)


def test_each_kind_of_declaration_describes_itself_for_the_docs() -> None:
    assert Declaration(public=True).describe() == "public"
    assert Declaration(staff=True).describe() == "staff"
    assert Declaration(own_space=True).describe() == "own space"
    reading = frozenset({Action.CLIENT_READ, Action.CLIENT_LIST})
    assert Declaration(reading).describe() == "client.list, client.read"
    own = Declaration(frozenset({Action.APPOINTMENT_READ}), own_space=True)
    assert own.describe() == "own space (appointment.read)"


def _actions_checked_in_source() -> set[Action]:
    checked: set[Action] = set()
    for path in SOURCE.rglob("*.py"):
        if path.name == "permissions.py":
            continue  # the table itself is not a check
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name not in CHECKS:
                continue
            for argument in [*node.args, *(k.value for k in node.keywords)]:
                for inner in ast.walk(argument):
                    if (
                        isinstance(inner, ast.Attribute)
                        and isinstance(inner.value, ast.Name)
                        and inner.value.id == "Action"
                    ):
                        checked.add(Action[inner.attr])
    return checked


def test_every_action_is_checked_by_a_route_or_a_service(app: FastAPI) -> None:
    declared = {a for r in declared_routes(app) for a in r.declaration.actions}
    unused = set(Action) - declared - _actions_checked_in_source()
    assert unused == set(), f"actions checked nowhere (use them or remove them): {unused}"


def test_positive_control_the_source_scan_finds_service_checks() -> None:
    found = _actions_checked_in_source()
    # Checked by services with can(...) (notes.service, review.service).
    assert {Action.NOTE_SIGN, Action.SUGGESTION_DECIDE, Action.FAIRNESS_READ} <= found
