"""Real Chromium: the clinical lead changes a cut-off through the rules form, sees what it
changes (in words and line by line) and how it would have triaged the demo's past intakes,
and activates it with a reason; the editor's pages pass axe-core. The demo clinic's rules are
put back afterwards, since other browser tests share it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import select, update

from alongside.db import build_engine, key_provider_for, make_sessionmaker, session_scope
from alongside.models import RulesetVersion

if TYPE_CHECKING:
    from tests.fixtures.live import LiveServer

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent.parent / "vendor" / "axe-core" / "axe.min.js"


@pytest.fixture
def demo_rules_put_back(live_server: LiveServer) -> Iterator[None]:
    """Whatever the test activates, the demo clinic is triaged with the rules it had again
    afterwards (and so has the wait targets it had: they are part of the rules)."""
    engine = build_engine(live_server.settings.database_url)
    factory = make_sessionmaker(engine, key_provider_for(live_server.settings))
    with session_scope(factory) as session:
        active = session.scalar(select(RulesetVersion.id).where(RulesetVersion.is_active))
    try:
        yield
    finally:
        with session_scope(factory) as session:
            session.execute(update(RulesetVersion).values(is_active=RulesetVersion.id == active))
        engine.dispose()


def _sign_in(page: Any, live: LiveServer) -> None:
    page.goto(live.url + "/login")
    page.get_by_label("Email").fill("lead@demo.test")
    page.get_by_label("Password").fill("alongside-demo")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live.url + "/home")


def _serious_violations(live: LiveServer, path: str, width: int, scheme: str) -> list[Any]:
    context = live.browser.new_context(
        viewport={"width": width, "height": 900}, bypass_csp=True, color_scheme=scheme
    )
    live.contexts.append(context)
    page = context.new_page()
    _sign_in(page, live)
    page.goto(live.url + path)
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("axe.run()")
    return [
        (v["id"], [n["target"] for n in v["nodes"]][:3])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_lead_changes_a_cut_off_sees_the_diff_and_preview_and_activates_with_a_reason(
    live_server: LiveServer, demo_rules_put_back: None
) -> None:
    page = live_server.new_page()
    _sign_in(page, live_server)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Triage rules").click()
    page.get_by_role("link", name="Write a new version").click()
    assert page.get_by_role("heading", level=1).inner_text() == "New version of the triage rules"

    severe = page.get_by_role("group", name="PHQ-9 severe (20-27)")
    cut_off = severe.get_by_label("PHQ-9 total at least")
    assert cut_off.input_value() == "20"
    # The value sits beside the published source the rule cites.
    assert severe.get_by_text("Kroenke, Spitzer & Williams 2001").is_visible()
    assert (
        severe.get_by_label("Pathway it proposes").evaluate("s => s.selectedOptions[0].text")
        == "High-intensity psychological therapy (step 3)"
    )
    version = page.get_by_label("Version number").input_value()
    cut_off.fill("22")
    page.get_by_label("Why this change").fill("Severe band reviewed at the team meeting")
    page.get_by_role("button", name="Save and see what changes").click()
    page.wait_for_url(re.compile(r"/rules/[0-9a-f-]{36}$"))
    version_url = page.url

    main = page.locator("main")
    assert page.get_by_role("heading", level=1).inner_text() == f"Triage rules, version {version}"
    changes = page.get_by_role("region", name="What it changes against the active version")
    assert changes.get_by_text("PHQ-9 severe (20-27): PHQ-9 total at least 20 → 22.").is_visible()
    # Line by line: the old line taken out, the new one added, marked as such.
    added = main.locator("tr.diff-added", has_text="total_gte: 22}")
    removed = main.locator("tr.diff-removed", has_text="total_gte: 20}")
    assert added.is_visible()
    assert removed.is_visible()
    assert added.locator(".sign").inner_text().startswith("+")
    # The preview over the demo's past intakes (a full 500: the demo has more), in words,
    # with its direction.
    preview = page.get_by_role("region", name="How it would have triaged recent intakes")
    headline = preview.get_by_role("status").inner_text()
    found = re.match(r"Of the last (\d+) intakes, (\d+) would get a different proposal", headline)
    assert found, headline
    assert int(found.group(1)) == 500
    assert int(found.group(2)) >= 1
    urgency = preview.get_by_role("table", name="Urgency: now, and with this version")
    assert urgency.get_by_role("row", name=re.compile(r"Soon Routine \d+ less urgent")).is_visible()
    example = preview.locator(".preview-examples li").first
    assert re.search(r"PHQ-9 2[01] \(severe\)", example.inner_text())
    # Rule ids only behind the details disclosure.
    assert not example.get_by_text("phq9-severe").is_visible()

    # Activation: the box names the version, and a reason is needed.
    reason = page.get_by_label("Why you are activating it")
    confirm = page.get_by_label(re.compile(f"Yes, triage new intakes with version {version}"))
    assert reason.get_attribute("required") is not None
    assert confirm.get_attribute("required") is not None
    # Without the browser's own checks, the server refuses and says why, keeping the page.
    page.evaluate(
        "document.querySelectorAll('[required]').forEach(e => e.removeAttribute('required'))"
    )
    page.get_by_role("button", name=f"Activate version {version}").click()
    alert = page.get_by_role("alert")
    assert "Say why you are activating this version" in alert.inner_text()
    assert f"Tick the box confirming that version {version}" in alert.inner_text()
    assert page.get_by_role("heading", level=1).inner_text() == f"Triage rules, version {version}"

    page.get_by_label("Why you are activating it").fill("Severe band reviewed at the team meeting")
    page.get_by_label(re.compile(f"Yes, triage new intakes with version {version}")).check()
    page.get_by_role("button", name=f"Activate version {version}").click()
    page.wait_for_url(live_server.url + f"/rules?activated={version}")
    assert page.get_by_text(f"Version {version} is now active for new intakes.").is_visible()
    activations = page.get_by_role("region", name=re.compile("Activations"))
    row = activations.get_by_role("row", name=re.compile("Severe band reviewed"))
    assert row.is_visible()
    assert "Dr Lena Hart" in row.inner_text()
    page.goto(version_url)
    assert page.get_by_text("This is the active version.").is_visible()


@pytest.mark.parametrize(("width", "scheme"), [(1280, "light"), (390, "dark")])
def test_the_rules_editor_passes_axe(live_server: LiveServer, width: int, scheme: str) -> None:
    assert _serious_violations(live_server, "/rules/new", width, scheme) == []
    engine = build_engine(live_server.settings.database_url)
    try:
        with session_scope(
            make_sessionmaker(engine, key_provider_for(live_server.settings))
        ) as session:
            stored = session.scalar(
                select(RulesetVersion.id).where(RulesetVersion.is_active.is_(False))
            )
    finally:
        engine.dispose()
    assert stored is not None, "the demo stores a version to preview"
    assert _serious_violations(live_server, f"/rules/{stored}", width, scheme) == []
