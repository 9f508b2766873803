"""Real headless Chromium against a real server: sign in and stay on our own origin."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.fixtures.live import LiveServer

pytestmark = pytest.mark.browser


def test_demo_clinician_signs_in_and_every_request_stays_on_our_origin(
    live_server: LiveServer,
) -> None:
    page = live_server.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(live_server.url + "/")
    page.get_by_label("Email").fill("clinician1@demo.test")
    page.get_by_label("Password").fill("alongside-demo")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live_server.url + "/home")
    assert page.get_by_role("heading", name="Clients on your care team").is_visible()
    assert page.get_by_text("Demo data.").is_visible()
    # htmx loaded from our own server
    assert page.evaluate("typeof window.htmx") == "object"
    assert requests, "the page made no requests at all"
    foreign = [
        url
        for url in requests
        if not url.startswith(live_server.url) and not url.startswith("data:")
    ]
    assert foreign == []
