"""Signing in returns to the page that was asked for, and never to another site."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from alongside.models import Role
from tests.fixtures.factories import PASSWORD, World
from tests.fixtures.web import totp_code

HTML = {"accept": "text/html"}


def _sign_in_form(client: TestClient, world: World, role: Role, next_path: str | None) -> dict:
    user = world.users[role]
    data = {"email": user.email, "password": PASSWORD}
    code = totp_code(user)
    if code:
        data["totp"] = code
    if next_path is not None:
        data["next"] = next_path
    return data


def test_a_page_asked_for_signed_out_sends_to_sign_in_with_its_address(
    client: TestClient, world: World
) -> None:
    response = client.get("/review?urgency=crisis", headers=HTML, follow_redirects=False)
    assert response.status_code == 303
    location = urlsplit(response.headers["location"])
    assert location.path == "/login"
    assert not location.netloc
    assert parse_qs(location.query) == {"next": ["/review?urgency=crisis"]}
    form = client.get(response.headers["location"], headers=HTML)
    assert 'name="next" value="/review?urgency=crisis"' in form.text


def test_home_needs_no_return_address(client: TestClient, world: World) -> None:
    response = client.get("/home", headers=HTML, follow_redirects=False)
    assert response.headers["location"] == "/login"


def test_sign_in_returns_to_the_page_asked_for(client: TestClient, world: World) -> None:
    response = client.post(
        "/login",
        data=_sign_in_form(client, world, Role.CLINICIAN, "/review"),
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/review"
    assert client.get("/review").status_code == 200


def test_sign_in_without_a_return_address_goes_home(client: TestClient, world: World) -> None:
    response = client.post(
        "/login",
        data=_sign_in_form(client, world, Role.CLINICIAN, None),
        follow_redirects=False,
    )
    assert response.headers["location"] == "/home"


def test_a_failed_sign_in_keeps_the_return_address(client: TestClient, world: World) -> None:
    data = _sign_in_form(client, world, Role.CLINICIAN, "/review")
    data["password"] = "not-the-password"
    response = client.post("/login", data=data)
    assert response.status_code == 401
    assert 'name="next" value="/review"' in response.text


@pytest.mark.parametrize(
    "attack",
    [
        "//evil.example/review",
        "https://evil.example/",
        "/\\evil.example",
        "/review\r\nSet-Cookie: x=1",
        "javascript:alert(1)",
    ],
)
def test_sign_in_never_sends_to_another_site(client: TestClient, world: World, attack: str) -> None:
    form = client.get("/login", params={"next": attack}, headers=HTML)
    assert 'name="next"' not in form.text
    response = client.post(
        "/login",
        data=_sign_in_form(client, world, Role.CLINICIAN, attack),
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/home"
