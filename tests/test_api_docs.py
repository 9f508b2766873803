"""The API reference is served from Alongside itself, to staff only, under the strict CSP.

Regression: ``/api/docs`` loaded Swagger UI from a CDN, which the app's own CSP blocked (a
blank page), and it was open to anyone, clients included.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from alongside.models import Role
from tests.fixtures.factories import World
from tests.fixtures.web import sign_in

if TYPE_CHECKING:
    from tests.fixtures.live import LiveServer


def test_api_reference_is_for_staff_only(client: TestClient, world: World) -> None:
    assert client.get("/api/openapi.json").status_code == 401
    page = client.get("/api/docs", headers={"accept": "text/html"}, follow_redirects=False)
    assert page.status_code == 303
    # Sign-in, then back to the reference (the page asked for).
    assert page.headers["location"] == "/login?next=%2Fapi%2Fdocs"
    sign_in(client, world.users[Role.CLIENT])
    assert client.get("/api/openapi.json").status_code == 404
    assert client.get("/api/docs", headers={"accept": "text/html"}).status_code == 404
    client.cookies.clear()
    sign_in(client, world.users[Role.CLINICIAN])
    description = client.get("/api/openapi.json")
    assert description.status_code == 200
    assert "/api/clients" in description.json()["paths"]
    docs = client.get("/api/docs", headers={"accept": "text/html"})
    assert docs.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', docs.text)
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in sources
    assert all(source.startswith("/") for source in sources), sources
    assert "<script>" not in docs.text  # no inline script: the CSP stays strict
    for asset in ("swagger-ui/swagger-ui-bundle.js", "swagger-ui/swagger-ui.css"):
        assert client.get(f"/static/vendor/{asset}").status_code == 200
    assert client.get("/static/vendor/swagger-ui/LICENSE").status_code == 200


def test_api_reference_can_be_turned_off(app: FastAPI, client: TestClient, world: World) -> None:
    app.state.settings = app.state.settings.model_copy(update={"api_docs": False})
    sign_in(client, world.users[Role.CLINICIAN])
    assert client.get("/api/openapi.json").status_code == 404
    assert client.get("/api/docs", headers={"accept": "text/html"}).status_code == 404


@pytest.mark.browser
def test_swagger_ui_renders_under_the_csp_from_our_origin(live_server: LiveServer) -> None:
    page = live_server.new_page()
    requests: list[str] = []
    problems: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("console", lambda message: _note(problems, message))
    page.goto(live_server.url + "/")
    page.get_by_label("Email").fill("clinician1@demo.test")
    page.get_by_label("Password").fill("alongside-demo")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live_server.url + "/home")
    page.goto(live_server.url + "/api/docs")
    page.wait_for_selector(".swagger-ui .info .title")
    assert "Alongside" in page.inner_text(".swagger-ui .info .title")
    page.wait_for_selector(".opblock-tag")
    assert page.locator(".opblock").count() > 10
    foreign = [url for url in requests if not url.startswith((live_server.url, "data:"))]
    assert foreign == []
    assert [p for p in problems if "Content Security Policy" in p] == []


def _note(problems: list[str], message: Any) -> None:
    if message.type in ("error", "warning"):
        problems.append(message.text)
