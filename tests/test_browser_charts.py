"""Real Chromium: the lead's oversight shows its rates and waits as charts over time, and no
chart's axis labels run into each other (oversight and the measures charts)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from tests.fixtures.live import LiveServer

pytestmark = pytest.mark.browser

# Every text of each chart's axes and legend, as boxes on the page; overlaps named.
OVERLAPS = """() => {
  const found = [];
  document.querySelectorAll('main svg').forEach((svg, n) => {
    const boxes = [...svg.querySelectorAll('text')]
      .filter((t) => t.textContent.trim() && t.getBoundingClientRect().width > 0)
      .map((t) => [t.textContent.trim(), t.getBoundingClientRect()]);
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        const [a, ra] = boxes[i];
        const [b, rb] = boxes[j];
        const apart = ra.right <= rb.left + 0.5 || rb.right <= ra.left + 0.5
          || ra.bottom <= rb.top + 0.5 || rb.bottom <= ra.top + 0.5;
        if (!apart) found.push(`chart ${n}: "${a}" / "${b}"`);
      }
    }
  });
  return found;
}"""


def _sign_in(page: Any, live: LiveServer, email: str) -> None:
    page.goto(live.url + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("alongside-demo")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live.url + "/home")


@pytest.mark.parametrize("width", [1280, 390])
def test_lead_sees_override_rates_and_waits_as_charts_with_readable_axes(
    live_server: LiveServer, width: int
) -> None:
    page = live_server.new_page(width=width, height=900)
    _sign_in(page, live_server, "lead@demo.test")
    page.goto(live_server.url + "/oversight")
    override = page.get_by_role("img", name="Override rate by week")
    assert override.is_visible()
    assert "100%" in (override.text_content() or "")
    waits = page.get_by_role("img", name="Median time to first review against target, by week")
    assert waits.is_visible()
    assert page.evaluate(OVERLAPS) == []


@pytest.mark.parametrize("width", [1280, 390])
def test_measure_charts_axis_labels_do_not_collide(live_server: LiveServer, width: int) -> None:
    page = live_server.new_page(width=width, height=900)
    _sign_in(page, live_server, "clinician1@demo.test")
    page.goto(live_server.url + "/measures/attention")
    page.locator("main table a").first.click()
    page.wait_for_load_state()
    assert page.locator("main svg").count() > 0
    assert page.evaluate(OVERLAPS) == []
