"""The role matrix, generated from the app's routes: every route and page x every role x
(own client, client outside the care team, client of another organisation) x (no session,
expired session, revoked token). A new route is covered without anyone remembering it.

What must hold everywhere: no server error; nothing without a valid credential; another
organisation's client never appears; a client outside a clinician's care team never appears
to that clinician or to another client; and "exists but not yours" reads exactly like
"does not exist".
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from alongside.accounts.service import start_session
from alongside.deps import SESSION_COOKIE
from alongside.kit.time import utcnow
from alongside.models import Role, UserSession
from alongside.security.tokens import create_token, revoke_token
from tests.fixtures.declared import declared_routes
from tests.fixtures.factories import World

# Routes a person reaches before signing in, by path prefix; they authenticate otherwise
# (an intake or calendar token in the path) or serve nothing private.
PUBLIC_PREFIXES = (
    "/login",
    "/healthz",
    "/readyz",
    "/api/openapi.json",
    "/api/docs",
    "/intake/",
    "/calendar/",
)
PUBLIC_EXACT = {("GET", "/"), ("POST", "/api/session")}
# Ending the session would end the matrix's own session; both are tested on their own.
SKIPPED = {("POST", "/logout"), ("DELETE", "/api/session")}

CANARY = {
    "own": "Ownclientcanary",
    "outside": "Outsideteamcanary",
    "foreign": "Otherorgcanary",
}
_REFERENCE = re.compile(r"[0-9a-f]{32}")


@dataclass(frozen=True)
class Endpoint:
    """One method on one route of the app."""

    method: str
    path: str

    @property
    def public(self) -> bool:
        """Whether the route is reachable without signing in."""
        return (self.method, self.path) in PUBLIC_EXACT or self.path.startswith(PUBLIC_PREFIXES)

    @property
    def client_param(self) -> str | None:
        """The path parameter naming a client, if any."""
        for name in re.findall(r"{(\w+)}", self.path):
            if name == "client_id":
                return name
        return None

    def url(self, client_id: uuid.UUID | None) -> str:
        """The path with every parameter filled in."""

        def fill(match: re.Match[str]) -> str:
            name = match.group(1).split(":")[0]
            if name == "client_id" and client_id is not None:
                return str(client_id)
            return str(uuid.uuid4()) if name.endswith("id") else "x" * 12

        return re.sub(r"{([^}]+)}", fill, self.path)


def _flatten(routes: Iterable[Any]) -> Iterator[tuple[str, set[str]]]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route.path, set(route.methods)
        elif hasattr(route, "effective_candidates"):
            # FastAPI keeps included routers as branches resolved lazily.
            yield from _flatten(route.effective_candidates())
        elif hasattr(route, "methods") and hasattr(route, "response_model"):
            yield route.path, set(route.methods)


def endpoints(app: FastAPI) -> Iterator[Endpoint]:
    """Every method of every route the app serves."""
    for path, methods in _flatten(app.routes):
        for method in sorted(methods - {"HEAD", "OPTIONS"}):
            if (method, path) not in SKIPPED:
                yield Endpoint(method, path)


def _send(client: TestClient, endpoint: Endpoint, url: str, headers: dict[str, str]):  # type: ignore[no-untyped-def]
    kwargs: dict[str, object] = {"headers": headers, "follow_redirects": False}
    if endpoint.method in ("POST", "PUT", "PATCH"):
        kwargs["json"] = {}
    return client.request(endpoint.method, url, **kwargs)  # type: ignore[arg-type]


def _normalised(text: str) -> str:
    return _REFERENCE.sub("REF", text)


@pytest.fixture
def named_world(world: World, db: Session) -> World:
    """The standard cast with canary names on the three clients."""
    world.own_client.given_name = CANARY["own"]
    world.outside_client.given_name = CANARY["outside"]
    world.foreign_client.given_name = CANARY["foreign"]
    db.flush()
    return world


def _session_cookie(db: Session, world: World, role: Role) -> tuple[str, str]:
    tokens = start_session(db, world.users[role], utcnow())
    db.flush()
    return tokens.session_token, tokens.csrf_token


def test_matrix_covers_the_routes_that_matter(app: FastAPI) -> None:
    paths = {e.path for e in endpoints(app)}
    assert "/api/clients" in paths
    assert "/api/clients/{client_id}" in paths
    assert "/home" in paths
    assert len(paths) >= 10
    # Every route the app serves, as its declarations count them (test_route_declarations).
    assert {(e.method, e.path) for e in endpoints(app)} | SKIPPED == {
        (r.method, r.path) for r in declared_routes(app)
    }


def test_without_a_valid_credential_nothing_private_answers(
    app: FastAPI, client: TestClient, named_world: World, db: Session
) -> None:
    # An expired session and a revoked token, made real first.
    cookie, _csrf = _session_cookie(db, named_world, Role.CLINICIAN)
    for record in db.scalars(select(UserSession)):
        record.last_seen_at -= timedelta(days=2)
    secret, token = create_token(
        db, named_world.users[Role.CLINICIAN], name="matrix", scopes=["client.read"], now=utcnow()
    )
    revoke_token(db, named_world.users[Role.CLINICIAN], token.id, utcnow())
    db.flush()
    credentials = {
        "no session": {},
        "expired session": {"cookie": f"{SESSION_COOKIE}={cookie}"},
        "revoked token": {"authorization": f"Bearer {secret}"},
    }
    checked = 0
    for endpoint in endpoints(app):
        if endpoint.public:
            continue
        url = endpoint.url(named_world.own_client.id)
        for label, headers in credentials.items():
            response = _send(client, endpoint, url, {"accept": "application/json", **headers})
            assert response.status_code in (401, 404, 405), (label, endpoint, response.text)
            for canary in CANARY.values():
                assert canary not in response.text, (label, endpoint)
            page = _send(client, endpoint, url, {"accept": "text/html", **headers})
            assert page.status_code in (303, 401, 404, 405), (label, endpoint)
            if page.status_code == 303:
                # Sign-in, carrying only the page asked for (it returns there afterwards).
                location = urlsplit(page.headers["location"])
                assert location.path == "/login"
                assert not location.netloc
                assert parse_qs(location.query).get("next", [url])[0] == url
            checked += 1
    assert checked > 0


@pytest.mark.parametrize("role", list(Role))
def test_every_route_for_every_role_leaks_nothing(
    app: FastAPI, client: TestClient, named_world: World, db: Session, role: Role
) -> None:
    cookie, csrf = _session_cookie(db, named_world, role)
    visible = {"own"} if role is not Role.ADMIN else set()
    if role in (Role.COORDINATOR, Role.CLINICAL_LEAD):
        visible.add("outside")
    targets = {
        "own": named_world.own_client.id,
        "outside": named_world.outside_client.id,
        "foreign": named_world.foreign_client.id,
    }
    for endpoint in endpoints(app):
        for accept in ("application/json", "text/html"):
            headers = {
                "accept": accept,
                "cookie": f"{SESSION_COOKIE}={cookie}",
                "X-CSRF-Token": csrf,
            }
            bodies: dict[str, tuple[int, str]] = {}
            for target, client_id in targets.items():
                response = _send(client, endpoint, endpoint.url(client_id), headers)
                assert response.status_code < 500, (role, endpoint, target, response.text)
                for name, canary in CANARY.items():
                    if name not in visible:
                        assert canary not in response.text, (role, endpoint, target, name)
                bodies[target] = (response.status_code, _normalised(response.text))
                if response.status_code == 401:
                    # Something ended the session (e.g. a disable); start another.
                    cookie, csrf = _session_cookie(db, named_world, role)
                    headers["cookie"] = f"{SESSION_COOKIE}={cookie}"
                    headers["X-CSRF-Token"] = csrf
            if endpoint.client_param is None:
                continue
            missing = _send(client, endpoint, endpoint.url(uuid.uuid4()), headers)
            absent = (missing.status_code, _normalised(missing.text))
            for target in ("outside", "foreign"):
                if target not in visible:
                    assert bodies[target] == absent, (role, endpoint, target)
