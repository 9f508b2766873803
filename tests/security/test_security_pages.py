"""The pages for emergency access, its review, the client page and a staff member's account."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from alongside.models import Role
from tests.fixtures.factories import PASSWORD, World
from tests.fixtures.web import totp_code


def _page_login(client: TestClient, world: World, role: Role) -> str:
    user = world.users[role]
    data = {"email": user.sign_in_email, "password": PASSWORD}
    code = totp_code(user)
    if code:
        data["totp"] = code
    home = client.post("/login", data=data)
    assert home.status_code == 200, home.text
    match = re.search(r'name="csrf_token" value="([^"]+)"', home.text)
    assert match
    return match.group(1)


def test_clinician_opens_an_outside_client_by_email_with_a_reason(
    client: TestClient, world: World
) -> None:
    csrf = _page_login(client, world, Role.CLINICIAN)
    outside = world.outside_client
    assert client.get(f"/clients/{outside.id}").status_code == 404
    form = client.get("/access/emergency")
    assert '<label for="reason">' in form.text
    unknown = client.post(
        "/access/emergency",
        data={
            "csrf_token": csrf,
            "email": "nobody@example.org",
            "reason": "Crisis call tonight, on call",
        },
    )
    assert unknown.status_code == 404
    assert "exactly this email" in unknown.text
    short = client.post(
        "/access/emergency", data={"csrf_token": csrf, "email": outside.email, "reason": "why"}
    )
    assert short.status_code == 422
    opened = client.post(
        "/access/emergency",
        data={
            "csrf_token": csrf,
            "email": outside.email.upper(),
            "reason": "Crisis call tonight, on call",
        },
    )
    assert opened.status_code == 200
    assert "Emergency access." in opened.text
    assert outside.family_name in opened.text


def test_lead_reviews_and_acknowledges(client: TestClient, world: World) -> None:
    csrf = _page_login(client, world, Role.CLINICIAN)
    client.post(
        "/access/emergency",
        data={
            "csrf_token": csrf,
            "email": world.outside_client.email,
            "reason": "Client disclosed a plan on the phone",
        },
    )
    lead = TestClient(client.app)
    lead_csrf = _page_login(lead, world, Role.CLINICAL_LEAD)
    page = lead.get("/access/review")
    assert "Client disclosed a plan on the phone" in page.text
    # The page's title is its name, and the held-back sign-ins are shown once, in the page.
    assert "<title>Emergency access review · Alongside</title>" in page.text
    assert page.text.count("Sign-ins held back") == 1
    grant_id = re.search(r'action="/access/review/([0-9a-f-]+)"', page.text)
    assert grant_id
    done = lead.post(f"/access/review/{grant_id.group(1)}", data={"csrf_token": lead_csrf})
    assert "Nothing to review." in done.text
    assert client.get("/access/review").status_code == 404


def test_account_page_tokens_and_second_factor(client: TestClient, world: World) -> None:
    csrf = _page_login(client, world, Role.COORDINATOR)
    page = client.get("/account")
    assert "Second factor" in page.text
    created = client.post(
        "/account/tokens",
        data={"csrf_token": csrf, "name": "Scheduler", "scopes": "appointment.read client.read"},
    )
    secret = re.search(r"<code>(alg_[^<]+)</code>", created.text)
    assert secret
    bearer = TestClient(client.app, headers={"Authorization": f"Bearer {secret.group(1)}"})
    assert bearer.get("/api/clients").status_code == 200
    token_id = re.search(r'action="/account/tokens/([0-9a-f-]+)/revoke"', created.text)
    assert token_id
    client.post(f"/account/tokens/{token_id.group(1)}/revoke", data={"csrf_token": csrf})
    assert bearer.get("/api/clients").status_code == 401
    enrol = client.post("/account/totp", data={"csrf_token": csrf, "password": PASSWORD})
    assert "otpauth://totp/" in enrol.text


def test_clients_do_not_get_staff_pages(client: TestClient, world: World) -> None:
    _page_login(client, world, Role.CLIENT)
    assert client.get("/account").status_code == 404
    assert client.get("/access/emergency").status_code == 404
    assert client.get(f"/clients/{world.own_client.id}").status_code == 200
    assert client.get(f"/clients/{world.outside_client.id}").status_code == 404
