"""The app shell: health, readiness, security headers, request ids and the one error shape."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.routing import Match

from alongside.app import create_app
from alongside.config import Mode, Settings
from alongside.errors import Conflict
from alongside.intake import pages


def test_healthz_and_readyz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready"}


def test_readyz_reports_an_unreachable_database(tmp_path: Path) -> None:
    settings = Settings(
        mode=Mode.DEVELOPMENT,
        data_dir=tmp_path,
        database_url="postgresql://nobody@127.0.0.1:1/none",
    )
    with TestClient(create_app(settings)) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["status"] == "database unreachable"


def test_security_headers_on_every_page(client: TestClient) -> None:
    response = client.get("/login")
    assert response.status_code == 200
    csp = response.headers["content-security-policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp
    assert "http" not in csp  # no other host is allowed
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["cache-control"] == "no-store"
    assert "strict-transport-security" not in response.headers


def test_hsts_only_over_tls(app: FastAPI) -> None:
    with TestClient(app, base_url="https://clinic.example") as client:
        response = client.get("/healthz")
    assert response.headers["strict-transport-security"].startswith("max-age=")


def test_static_assets_are_cacheable_and_served_locally(client: TestClient) -> None:
    response = client.get("/static/vendor/htmx/htmx.min.js")
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("cache-control", "")
    assert client.get("/static/vendor/htmx/LICENSE").status_code == 200


def test_request_id_is_echoed_or_created(client: TestClient) -> None:
    given = client.get("/healthz", headers={"X-Request-ID": "abc12345-request"})
    assert given.headers["x-request-id"] == "abc12345-request"
    made = client.get("/healthz", headers={"X-Request-ID": "<script>"})
    assert len(made.headers["x-request-id"]) == 32


def test_unknown_api_url_answers_json_404(client: TestClient) -> None:
    response = client.get("/api/nothing-here", headers={"accept": "application/json"})
    assert response.status_code == 404
    body = response.json()
    assert "nothing at this address" in body["error"]
    assert body["request_id"] == response.headers["x-request-id"]


def test_unknown_page_answers_an_html_404_with_a_way_home(client: TestClient) -> None:
    response = client.get("/no-such-page", headers={"accept": "text/html"})
    assert response.status_code == 404
    assert "text/html" in response.headers["content-type"]
    assert "Go to your home page" in response.text


def test_htmx_errors_are_fragments(client: TestClient) -> None:
    response = client.get("/no-such-page", headers={"HX-Request": "true"})
    assert response.status_code == 404
    assert "<html" not in response.text
    assert 'role="alert"' in response.text


def test_malformed_json_names_the_field_without_echoing_values(client: TestClient) -> None:
    response = client.post("/api/session", json={"email": "someone@example.org"})
    assert response.status_code == 422
    assert "password" in response.json()["error"]
    assert "someone@example.org" not in response.text


def test_unexpected_errors_never_show_a_stack_trace(app: FastAPI) -> None:
    @app.get("/api/boom")
    def boom() -> None:
        raise RuntimeError("secret internal detail")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/api/boom")
    assert response.status_code == 500
    assert "secret internal detail" not in response.text
    assert "Traceback" not in response.text
    assert response.headers["x-request-id"] in response.json()["error"]


def test_alongside_errors_keep_their_status_and_message(app: FastAPI) -> None:
    @app.get("/api/conflict")
    def conflict() -> None:
        raise Conflict("That slot was just taken; pick another.")

    with TestClient(app) as client:
        response = client.get("/api/conflict")
    assert response.status_code == 409
    assert response.json()["error"] == "That slot was just taken; pick another."


def _leaf_routes(routes: list[Any]) -> Iterator[Any]:
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _leaf_routes(included.routes)
        else:
            yield route


def test_only_the_intake_pages_answer_intake_addresses(app: FastAPI) -> None:
    # The intake pages are matched first (the busiest routes); that changes nothing only while
    # no other route could answer one of their addresses, nor they another route's.
    samples = [
        ("GET", "/intake/t0ken"),
        ("POST", "/intake/t0ken/consent"),
        ("GET", "/intake/t0ken/questions/phq9"),
        ("POST", "/intake/t0ken/questions/phq9"),
        ("GET", "/intake/t0ken/words"),
        ("POST", "/intake/t0ken/words"),
        ("GET", "/intake/t0ken/review"),
        ("POST", "/intake/t0ken/submit"),
        ("GET", "/intakes/new"),
        ("POST", "/intakes/new"),
    ]
    routes = list(_leaf_routes(app.router.routes))
    intake_pages = {id(route) for route in _leaf_routes(pages.router.routes)}
    assert len(intake_pages) == len(samples)
    for method, path in samples:
        scope = {"type": "http", "method": method, "path": path, "root_path": ""}
        others = [
            route.path
            for route in routes
            if id(route) not in intake_pages and route.matches(scope)[0] is not Match.NONE
        ]
        assert others == [], (method, path)
    assert all(
        route.path.startswith(("/intake/", "/intakes/"))
        for route in routes
        if id(route) in intake_pages
    )
    included = [route for route in app.router.routes if hasattr(route, "original_router")]
    assert included[0].original_router is pages.router
