"""Real Chromium: an administrator invites a colleague, the colleague chooses their password
through the emailed link, and the clinical lead approves a second-factor reset the
administrator asked for (the demo's own request)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import select

from alongside.accounts import invitations
from alongside.db import build_engine, key_provider_for, make_sessionmaker, session_scope
from alongside.models import OutboxMessage, User

if TYPE_CHECKING:
    from tests.fixtures.live import LiveServer

pytestmark = pytest.mark.browser

INVITEE = "robin.browser@demo.test"


def _sign_in(page: Any, live: LiveServer, email: str) -> None:
    page.goto(live.url + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("alongside-demo")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live.url + "/home")


def _emailed_link(live: LiveServer, email: str) -> str:
    """The link in the invitation queued to ``email``, read from the demo's outbox."""
    engine = build_engine(live.settings.database_url)
    try:
        factory = make_sessionmaker(engine, key_provider_for(live.settings))
        with session_scope(factory) as session:
            bodies = [
                message.body
                for message in session.scalars(
                    select(OutboxMessage).where(OutboxMessage.kind == invitations.KIND)
                )
                if message.recipient == email
            ]
    finally:
        engine.dispose()
    [body] = bodies
    found = re.search(r"(https?://\S+/invitations/\S+)", body)
    assert found is not None
    return found.group(1)


def _user(live: LiveServer, email: str) -> tuple[bool, bool, str]:
    engine = build_engine(live.settings.database_url)
    try:
        factory = make_sessionmaker(engine, key_provider_for(live.settings))
        with session_scope(factory) as session:
            user = session.scalar(select(User).where(User.email == email))
            assert user is not None
            return user.totp_enabled, user.totp_setup_required, user.role.value
    finally:
        engine.dispose()


def test_an_invited_colleague_sets_their_password_and_a_lead_approves_a_reset(
    live_server: LiveServer,
) -> None:
    admin = live_server.new_page()
    _sign_in(admin, live_server, "admin@demo.test")
    admin.get_by_role("navigation", name="Main").get_by_role("link", name="Staff").click()
    invited = admin.locator('section[aria-labelledby="invitations-heading"]')
    # The demo's invitation waits for Noor Haddad.
    assert (
        invited.get_by_role("row")
        .filter(has_text="Noor Haddad")
        .filter(has_text="Waiting")
        .is_visible()
    )
    admin.get_by_label("Name, as colleagues will see it").fill("Robin Browser")
    admin.get_by_label("Email they sign in with").fill(INVITEE)
    admin.get_by_label("Role", exact=True).select_option(label="Clinician")
    admin.get_by_role("button", name="Send the invitation").click()
    admin.get_by_text("The invitation was sent").wait_for()
    assert admin.get_by_text("The invitation was sent").is_visible()
    row = invited.get_by_role("row").filter(has_text=INVITEE)
    assert row.filter(has_text="Waiting: the link works until").is_visible()
    # The demo's reset request waits for the lead; the administrator cannot decide it.
    resets = admin.locator('section[aria-labelledby="resets-heading"]')
    assert resets.get_by_text("Waiting for a clinical lead").is_visible()

    link = _emailed_link(live_server, INVITEE)
    path = link.split("/invitations/", 1)[1]
    invitee = live_server.new_page()
    invitee.goto(f"{live_server.url}/invitations/{path}")
    assert invitee.get_by_role("heading", name="Choose your password").is_visible()
    assert invitee.get_by_text(INVITEE).is_visible()
    invitee.get_by_label("Your password").fill("a long and unusual passphrase 42")
    invitee.get_by_label("The same password again").fill("a long and unusual passphrase 42")
    invitee.get_by_role("button", name="Set my password").click()
    invitee.wait_for_url(live_server.url + "/home")
    assert invitee.get_by_role("link", name="Review queue").first.is_visible()
    # The link worked once.
    invitee.goto(f"{live_server.url}/invitations/{path}")
    assert invitee.get_by_role("heading", name="This invitation link does not work").is_visible()
    assert _user(live_server, INVITEE)[2] == "clinician"
    admin.reload()
    assert row.filter(has_text="Accepted on").is_visible()

    lead = live_server.new_page()
    _sign_in(lead, live_server, "lead@demo.test")
    lead.get_by_role("navigation", name="Main").get_by_role("link", name="Sign-in resets").click()
    lead.get_by_role("heading", name="Second-factor resets").wait_for()
    assert lead.get_by_role("heading", name="Second-factor resets").is_visible()
    waiting = lead.locator('section[aria-labelledby="waiting-heading"]')
    request = waiting.get_by_role("row").filter(has_text="Lost their phone on holiday")
    assert request.filter(has_text="Alex Admin").is_visible()
    person = request.locator("td").first.inner_text()
    request.get_by_role("button", name="Approve").click()
    lead.get_by_text("Approved. The second factor was removed").wait_for()
    assert lead.get_by_text("Approved. The second factor was removed").is_visible()
    assert waiting.get_by_text("Nothing is waiting.").is_visible()
    assert (
        lead.locator('section[aria-labelledby="recent-heading"]')
        .get_by_text(f"{person}: approved by Dr Lena Hart")
        .is_visible()
    )
    enabled, must_set_up, _role = _user(live_server, "clinician5@demo.test")
    assert not enabled
    assert must_set_up


def test_a_clinician_reads_times_in_their_own_zone(live_server: LiveServer) -> None:
    page = live_server.new_page()
    _sign_in(page, live_server, "clinician4@demo.test")
    page.goto(live_server.url + "/account")
    zone = page.locator('section[aria-labelledby="time-zone-heading"]')
    assert zone.get_by_text("You chose America/Los_Angeles.").is_visible()
    assert page.get_by_label("Time zone", exact=True).input_value() == "America/Los_Angeles"
