"""The pages for emergency access, its review, the client page and a staff member's account."""

from __future__ import annotations

import re

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete
from sqlalchemy.orm import Session

from alongside.errors import ConfigurationError
from alongside.models import LoginFailure, Role, User
from alongside.security import mfa
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


def _secret_on(page: str) -> str:
    found = re.search(r"<p><code>([A-Z2-7]+)</code></p>", page)
    assert found, page
    return found.group(1)


def _recovery_codes_on(page: str) -> list[str]:
    return re.findall(r"<li><code>([^<]+)</code></li>", page)


def _no_failures(db: Session) -> None:
    # Failed proofs count towards sign-in throttling (tested there); start afresh.
    db.execute(delete(LoginFailure))


def test_the_second_factor_is_added_renewed_and_removed_from_the_account_page(
    client: TestClient, db: Session, world: World
) -> None:
    csrf = _page_login(client, world, Role.CLINICIAN)
    started = client.post("/account/totp", data={"csrf_token": csrf, "password": PASSWORD})
    secret = _secret_on(started.text)

    wrong = client.post("/account/totp/confirm", data={"csrf_token": csrf, "code": "000000"})
    assert wrong.status_code == 422
    assert 'role="alert"' in wrong.text
    _no_failures(db)
    confirmed = client.post(
        "/account/totp/confirm", data={"csrf_token": csrf, "code": pyotp.TOTP(secret).now()}
    )
    assert confirmed.status_code == 200
    first_codes = _recovery_codes_on(confirmed.text)
    assert len(first_codes) == 10

    refused = client.post(
        "/account/recovery-codes", data={"csrf_token": csrf, "password": "not it"}
    )
    assert refused.status_code == 422
    assert "password or code is not right" in refused.text
    assert _recovery_codes_on(refused.text) == []
    _no_failures(db)
    renewed = client.post(
        "/account/recovery-codes",
        data={"csrf_token": csrf, "password": PASSWORD, "code": first_codes[0]},
    )
    assert renewed.status_code == 200
    new_codes = _recovery_codes_on(renewed.text)
    assert len(new_codes) == 10
    assert not set(new_codes) & set(first_codes)

    kept = client.post("/account/totp/remove", data={"csrf_token": csrf, "password": PASSWORD})
    assert kept.status_code == 422
    assert "password or code is not right" in kept.text
    _no_failures(db)
    removed = client.post(
        "/account/totp/remove",
        data={"csrf_token": csrf, "password": PASSWORD, "code": new_codes[0]},
        follow_redirects=False,
    )
    assert removed.status_code == 303
    assert removed.headers["location"] == "/account"
    user = db.get(User, world.users[Role.CLINICIAN].id)
    assert user is not None
    db.refresh(user)
    assert not user.totp_enabled


@pytest.mark.parametrize(
    ("address", "service", "data"),
    [
        ("/account/totp", "start_change", {"password": PASSWORD}),
        ("/account/totp/confirm", "confirm_change", {"code": "123456"}),
        ("/account/totp/remove", "remove_second_factor", {"password": PASSWORD}),
        ("/account/recovery-codes", "new_recovery_codes", {"password": PASSWORD}),
    ],
)
def test_a_server_fault_on_the_account_page_is_not_blamed_on_the_form(
    client: TestClient,
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    address: str,
    service: str,
    data: dict[str, str],
) -> None:
    csrf = _page_login(client, world, Role.CLINICIAN)

    def unconfigured(*_args: object, **_kwargs: object) -> None:
        raise ConfigurationError("Set ALONGSIDE_KEK_FILE to the key file.")

    monkeypatch.setattr(mfa, service, unconfigured)
    response = client.post(address, data={"csrf_token": csrf, **data})
    assert response.status_code == 500
    assert "Second factor" not in response.text  # the error page, not the form again


def test_a_token_the_role_cannot_grant_is_refused_on_the_page(
    client: TestClient, world: World
) -> None:
    csrf = _page_login(client, world, Role.COORDINATOR)
    refused = client.post(
        "/account/tokens", data={"csrf_token": csrf, "name": "Admin", "scopes": "user.manage"}
    )
    assert "Your role cannot grant: user.manage" in refused.text
    assert "alg_" not in refused.text


def test_emergency_access_from_a_search_result_or_refused_in_words(
    client: TestClient, world: World
) -> None:
    csrf = _page_login(client, world, Role.CLINICIAN)
    reason = "Crisis call tonight, on call"
    nothing = client.post("/access/emergency", data={"csrf_token": csrf, "reason": reason})
    assert nothing.status_code == 422
    assert "give their exact email address" in nothing.text
    garbled = client.post(
        "/access/emergency", data={"csrf_token": csrf, "reason": reason, "client_id": "x"}
    )
    assert garbled.status_code == 404
    outside = world.outside_client
    chosen = client.post(
        "/access/emergency",
        data={"csrf_token": csrf, "reason": reason, "client_id": str(outside.id)},
        follow_redirects=False,
    )
    assert chosen.status_code == 303
    assert chosen.headers["location"] == f"/clients/{outside.id}"
    assert client.get(f"/clients/{outside.id}").status_code == 200
