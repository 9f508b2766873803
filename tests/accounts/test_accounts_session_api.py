"""Signing in and out through the API and the pages."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from alongside.deps import SESSION_COOKIE
from alongside.models import Role
from tests.fixtures.factories import PASSWORD, World
from tests.fixtures.web import sign_in


def test_sign_in_sets_an_httponly_lax_cookie_and_returns_a_csrf_token(
    client: TestClient, world: World
) -> None:
    user = world.users[Role.CLINICIAN]
    response = client.post("/api/session", json={"email": user.email, "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert body["role"] == "clinician"
    assert len(body["csrf_token"]) >= 32
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie or "samesite=lax" in cookie.lower()
    assert "Secure" not in cookie  # plain HTTP in this test


def test_wrong_password_and_unknown_account_answer_identically(
    client: TestClient, world: World
) -> None:
    user = world.users[Role.CLINICIAN]
    wrong = client.post("/api/session", json={"email": user.email, "password": "nope-nope"})
    unknown = client.post(
        "/api/session", json={"email": "nobody@clinic.test", "password": "nope-nope"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["error"] == unknown.json()["error"]
    assert set(wrong.json()) == set(unknown.json())


def test_disabled_user_cannot_sign_in_or_keep_a_session(
    client: TestClient, world: World, db: Session
) -> None:
    user = world.users[Role.CLINICIAN]
    sign_in(client, user)
    assert client.get("/api/clients").status_code == 200
    user.is_active = False
    db.flush()
    assert client.get("/api/clients").status_code == 401
    again = client.post("/api/session", json={"email": user.email, "password": PASSWORD})
    assert again.status_code == 401


def test_sign_out_needs_the_csrf_token_and_ends_the_session(
    client: TestClient, world: World
) -> None:
    csrf = sign_in(client, world.users[Role.COORDINATOR])
    refused = client.delete("/api/session")
    assert refused.status_code == 403
    assert client.get("/api/clients").status_code == 200
    assert client.delete("/api/session", headers={"X-CSRF-Token": csrf}).status_code == 204
    assert client.get("/api/clients").status_code == 401


def test_login_page_flow_reaches_the_staff_home(client: TestClient, world: World) -> None:
    user = world.users[Role.CLINICIAN]
    page = client.get("/login")
    assert '<label for="email">' in page.text
    failed = client.post("/login", data={"email": user.email, "password": "wrong-wrong"})
    assert failed.status_code == 401
    assert "not right" in failed.text
    done = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert done.status_code == 200  # followed the redirect to /home
    assert "Clients on your care team" in done.text
    assert world.own_client.family_name in done.text
    assert world.outside_client.family_name not in done.text


def test_client_home_shows_the_client_space(client: TestClient, world: World) -> None:
    done = client.post("/login", data={"email": world.client_user.email, "password": PASSWORD})
    assert "Your care" in done.text
    assert "immediate danger" in done.text


def test_pages_without_a_session_redirect_to_sign_in(client: TestClient) -> None:
    response = client.get("/home", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login"


def test_page_forms_need_the_csrf_token(client: TestClient, world: World) -> None:
    client.post("/login", data={"email": world.users[Role.CLINICIAN].email, "password": PASSWORD})
    refused = client.post("/logout", data={})
    assert refused.status_code == 403
    assert client.get("/home").status_code == 200
