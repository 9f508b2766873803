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


def _page(live: LiveServer, width: int, height: int) -> Any:
    # axe is injected as a script, which the app's CSP refuses; this test context bypasses it.
    context = live.browser.new_context(viewport={"width": width, "height": height}, bypass_csp=True)
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


@pytest.mark.parametrize(("width", "height"), [(1280, 900), (390, 844)])
@pytest.mark.parametrize("role", list(LOGINS))
def test_every_page_in_the_navigation_passes_axe(
    live_server: LiveServer, role: str, width: int, height: int
) -> None:
    page = _page(live_server, width, height)
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
    assert failures == {}
