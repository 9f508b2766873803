"""Every page in each role's navigation, and the sign-in page, pass axe-core (WCAG 2.x A/AA
rules) with no serious or critical violation, at desktop and phone widths."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from alongside.templating import NAV_BY_ROLE
from tests.fixtures.live import LiveServer

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
LOGINS = {
    "clinician": "clinician1@demo.test",
    "clinical_lead": "lead@demo.test",
    "coordinator": "coordinator@demo.test",
    "admin": "admin@demo.test",
    "client": "client@demo.test",
}


# Pages reached from a list rather than the navigation, by role: (list page, link to follow).
FOLLOWED: dict[str, list[tuple[str, str]]] = {
    "clinical_lead": [("/care-teams", "main table a")],
    "coordinator": [("/home", "main table a")],
    "clinician": [
        ("/home", "main table a"),
        ("/home", "main table a >> nth=0"),
    ],
}
# After following a link, links to follow on from there (a client's record → their timeline).
THEN = {("clinician", 1): "a[href$='/timeline']"}
# Pages reached from a form rather than a link, by role.
VISITED = {
    "clinician": ["/clients?q=ma", "/clients?q=a"],
    "coordinator": ["/clients"],
    "clinical_lead": ["/clients?q=ma"],
}


def _page(live: LiveServer, width: int, height: int, scheme: str = "light") -> Any:
    # axe is injected as a script, which the app's CSP refuses; this test context bypasses it.
    context = live.browser.new_context(
        viewport={"width": width, "height": height}, bypass_csp=True, color_scheme=scheme
    )
    live.contexts.append(context)
    return context.new_page()


def _violations(page: Any) -> list[tuple[str, str, list[Any]]]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("axe.run()")
    return [
        (v["id"], v["help"], [n["target"] for n in v["nodes"]][:3])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize(("width", "height"), [(1280, 900), (390, 844)])
@pytest.mark.parametrize("role", list(LOGINS))
def test_every_page_in_the_navigation_passes_axe(
    live_server: LiveServer, role: str, width: int, height: int, scheme: str
) -> None:
    page = _page(live_server, width, height, scheme)
    assert page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches") is (scheme == "dark")
    page.goto(live_server.url + "/login")
    assert _violations(page) == []
    page.get_by_label("Email").fill(LOGINS[role])
    page.get_by_label("Password").fill("alongside-demo")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live_server.url + "/home")
    failures = {}
    for href, _label in NAV_BY_ROLE[role]:
        response = page.goto(live_server.url + href)
        assert response is not None
        assert response.status == 200, (role, href, response.status)
        found = _violations(page)
        if found:
            failures[href] = found
    for href in VISITED.get(role, []):
        page.goto(live_server.url + href)
        found = _violations(page)
        if found:
            failures[href] = found
    for index, (href, link) in enumerate(FOLLOWED.get(role, [])):
        page.goto(live_server.url + href)
        page.locator(link).first.click()
        page.wait_for_load_state()
        then = THEN.get((role, index))
        if then:
            page.locator(then).first.click()
            page.wait_for_load_state()
        found = _violations(page)
        if found:
            failures[page.url] = found
    assert failures == {}


def test_dark_mode_changes_the_colours_and_print_drops_the_navigation(
    live_server: LiveServer,
) -> None:
    backgrounds = {}
    for scheme in ("light", "dark"):
        page = _page(live_server, 1280, 900, scheme)
        page.goto(live_server.url + "/login")
        backgrounds[scheme] = page.evaluate(
            "getComputedStyle(document.documentElement).backgroundColor"
        )
    assert backgrounds["light"] == "rgb(244, 246, 248)"
    assert backgrounds["dark"] == "rgb(17, 20, 24)"
    page = _page(live_server, 1280, 900, "dark")
    page.goto(live_server.url + "/login")
    page.get_by_label("Email").fill(LOGINS["admin"])
    page.get_by_label("Password").fill("alongside-demo")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live_server.url + "/home")
    assert page.get_by_role("navigation", name="Main").is_visible()
    page.emulate_media(media="print")
    assert not page.get_by_role("navigation", name="Main").is_visible()
    assert page.get_by_role("heading", name="What administrators do here").is_visible()
    # Printed on paper: black ink on white whatever the screen's scheme.
    assert page.evaluate("getComputedStyle(document.body).color") == "rgb(0, 0, 0)"
