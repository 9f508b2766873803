"""Finding a client from the page every staff header links to: only clients the user may see,
and for a clinician the few outside their care team, opened in an emergency with a reason."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from alongside.accounts.service import create_client_login
from alongside.models import AuditEvent, Role
from tests.fixtures.factories import PASSWORD, World, create_client
from tests.fixtures.web import sign_in, totp_code


def _page_login(client: TestClient, world: World, role: Role) -> str:
    user = world.users[role]
    data = {"email": user.email, "password": PASSWORD}
    code = totp_code(user)
    if code:
        data["totp"] = code
    home = client.post("/login", data=data)
    assert home.status_code == 200, home.text
    match = re.search(r'name="csrf_token" value="([^"]+)"', home.text)
    assert match
    return match.group(1)


def _sections(html: str) -> tuple[str, str]:
    """(what the user may open, what is outside their care team) of a results page."""
    found, _, outside = html.partition('id="outside-heading"')
    return found, outside


def test_every_staff_header_offers_the_search_but_not_the_administrators(
    client: TestClient, world: World
) -> None:
    _page_login(client, world, Role.CLINICIAN)
    review = client.get("/review")
    assert 'id="header-q"' in review.text
    assert 'action="/clients"' in review.text
    admin = TestClient(client.app)
    _page_login(admin, world, Role.ADMIN)
    assert 'id="header-q"' not in admin.get("/home").text
    assert admin.get("/clients", params={"q": "Fam"}).status_code == 404


def test_clinician_finds_own_client_as_a_link_and_outside_client_for_emergency_only(
    client: TestClient, db: Session, world: World
) -> None:
    clinician = world.users[Role.CLINICIAN]
    mine = create_client(db, world.org, clinicians=(clinician,), family_name="Zephyrine")
    theirs = create_client(
        db, world.org, clinicians=(world.other_clinician,), family_name="Zephyrus"
    )
    foreign = create_client(db, world.other_org, family_name="Zephyra")
    _page_login(client, world, Role.CLINICIAN)
    page = client.get("/clients", params={"q": "zeph"})
    assert page.status_code == 200
    found, outside = _sections(page.text)
    assert f'href="/clients/{mine.id}"' in found
    assert "Zephyrus" not in found
    assert "Zephyrus" in outside
    assert f'name="client_id" value="{theirs.id}"' in outside
    assert f"/clients/{theirs.id}" not in page.text  # no link to a record they cannot open
    assert "Zephyra," not in page.text  # never another organisation's client
    assert str(foreign.id) not in page.text
    # Without a search, nobody outside the care team is listed.
    assert 'id="outside-heading"' not in client.get("/clients").text


def test_emergency_access_from_a_search_result_opens_the_record_and_is_audited(
    client: TestClient, db: Session, world: World
) -> None:
    csrf = _page_login(client, world, Role.CLINICIAN)
    outside = world.outside_client
    short = client.post(
        "/access/emergency",
        data={"csrf_token": csrf, "client_id": str(outside.id), "reason": "why"},
    )
    assert short.status_code == 422
    assert "Say why you need emergency access" in short.text
    opened = client.post(
        "/access/emergency",
        data={
            "csrf_token": csrf,
            "client_id": str(outside.id),
            "reason": "Their mother rang: a plan for tonight",
        },
    )
    assert opened.status_code == 200
    assert "Emergency access." in opened.text
    assert outside.family_name in opened.text
    foreign = client.post(
        "/access/emergency",
        data={
            "csrf_token": csrf,
            "client_id": str(world.foreign_client.id),
            "reason": "Their mother rang: a plan for tonight",
        },
    )
    assert foreign.status_code == 404
    actions = set(
        db.scalars(select(AuditEvent.action).where(AuditEvent.client_id == outside.id)).all()
    )
    assert {"break_glass", "read"} <= {str(a) for a in actions}


def test_coordinator_finds_by_date_of_birth_and_sees_no_emergency_section(
    client: TestClient, db: Session, world: World
) -> None:
    born = create_client(db, world.org, family_name="Quillfeather", date_of_birth="1984-02-29")
    _page_login(client, world, Role.COORDINATOR)
    page = client.get("/clients", params={"q": "1984-02-29"})
    assert page.status_code == 200
    assert f'href="/clients/{born.id}"' in page.text
    assert 'id="outside-heading"' not in page.text


def test_a_search_too_short_says_what_to_type_without_a_field_name(
    client: TestClient, world: World
) -> None:
    _page_login(client, world, Role.CLINICIAN)
    page = client.get("/clients", params={"q": "z"})
    assert page.status_code == 422 or page.status_code == 400
    assert "Type at least 2 letters of a name" in page.text
    assert "q: " not in page.text
    bad_date = client.get("/clients", params={"q": "1990-02-31"})
    assert "This is not a date" in bad_date.text


def test_access_review_names_the_client_whose_record_was_opened(
    client: TestClient, world: World
) -> None:
    csrf = _page_login(client, world, Role.CLINICIAN)
    client.post(
        "/access/emergency",
        data={
            "csrf_token": csrf,
            "client_id": str(world.outside_client.id),
            "reason": "Client disclosed a plan on the phone",
        },
    )
    lead = TestClient(client.app)
    _page_login(lead, world, Role.CLINICAL_LEAD)
    page = lead.get("/access/review")
    outside = world.outside_client
    assert f"{outside.family_name}, {outside.given_name}" in page.text
    assert f'href="/clients/{outside.id}"' in page.text


def test_timeline_is_for_the_care_team_and_404_for_others(
    client: TestClient, db: Session, world: World
) -> None:
    _page_login(client, world, Role.CLINICIAN)
    own = client.get(f"/clients/{world.own_client.id}/timeline")
    assert own.status_code == 200
    assert "timeline</h1>" in own.text
    assert client.get(f"/clients/{world.outside_client.id}/timeline").status_code == 404
    assert client.get(f"/clients/{world.foreign_client.id}/timeline.pdf").status_code == 404
    pdf = client.get(f"/clients/{world.own_client.id}/timeline.pdf")
    assert pdf.content.startswith(b"%PDF-")
    for role in (Role.COORDINATOR, Role.ADMIN):
        other = TestClient(client.app)
        _page_login(other, world, role)
        assert other.get(f"/clients/{world.own_client.id}/timeline").status_code == 404
    events = db.scalars(
        select(AuditEvent.resource_type).where(AuditEvent.client_id == world.own_client.id)
    ).all()
    assert "timeline" in events


def test_details_are_corrected_by_the_care_team_and_audited(
    client: TestClient, db: Session, world: World
) -> None:
    csrf = _page_login(client, world, Role.CLINICIAN)
    own = world.own_client
    saved = client.post(
        f"/clients/{own.id}/details",
        data={
            "csrf_token": csrf,
            "given_name": "Robin",
            "family_name": own.family_name,
            "email": own.email,
            "phone": "",
            "date_of_birth": "1990-04-23",
            "preferred_language": "es",
        },
    )
    assert saved.status_code == 200
    assert "The details were saved." in saved.text
    assert "Spanish" in saved.text
    db.refresh(own)
    assert own.given_name == "Robin"
    assert own.date_of_birth == "1990-04-23"
    updates = db.scalars(
        select(AuditEvent.action).where(
            AuditEvent.client_id == own.id, AuditEvent.action == "update"
        )
    ).all()
    assert len(updates) == 1
    bad = client.post(
        f"/clients/{own.id}/details",
        data={
            "csrf_token": csrf,
            "given_name": "",
            "family_name": own.family_name,
            "preferred_language": "es",
        },
    )
    assert bad.status_code == 422
    assert "First name cannot be empty." in bad.text
    refused = client.post(
        f"/clients/{world.outside_client.id}/details",
        data={
            "csrf_token": csrf,
            "given_name": "X",
            "family_name": "Y",
            "preferred_language": "en",
        },
    )
    assert refused.status_code == 404


def test_a_mobile_number_a_text_cannot_go_to_is_refused_in_words(
    client: TestClient, db: Session, world: World
) -> None:
    csrf = _page_login(client, world, Role.CLINICIAN)
    own = world.own_client
    form = {
        "csrf_token": csrf,
        "given_name": own.given_name,
        "family_name": own.family_name,
        "preferred_language": "en",
    }
    page = client.get(f"/clients/{own.id}")
    assert "Mobile phone number" in page.text
    bad = client.post(f"/clients/{own.id}/details", data={**form, "phone": "ask her sister"})
    assert bad.status_code == 422
    assert "Mobile phone number: write the number with its area code" in bad.text
    db.refresh(own)
    assert own.phone is None
    saved = client.post(f"/clients/{own.id}/details", data={**form, "phone": "+1 555 010 0123"})
    assert saved.status_code == 200
    db.refresh(own)
    assert own.phone == "+1 555 010 0123"
    assert "<dt>Mobile phone</dt><dd>+1 555 010 0123</dd>" in saved.text


def test_exact_email_finds_a_client_by_the_address_they_sign_in_with(
    client: TestClient, db: Session, world: World
) -> None:
    own = world.own_client
    login = world.client_user.sign_in_email
    assert login != own.email  # the record's address and the sign-in address differ
    _page_login(client, world, Role.COORDINATOR)
    # Control: the address on the record finds them.
    by_record = client.get("/clients", params={"q": own.email})
    assert f'href="/clients/{own.id}"' in by_record.text
    # The address they sign in with finds them too, whatever its case.
    by_login = client.get("/clients", params={"q": f"  {login.upper()} "})
    assert by_login.status_code == 200
    assert f'href="/clients/{own.id}"' in by_login.text
    # Another organisation's client signing in with an address is never found from here.
    foreign_login = create_client_login(
        db,
        client=world.foreign_client,
        email="elsewhere-login@example.org",
        display_name="Elsewhere",
        password=PASSWORD,
        enforce_policy=False,
    )
    db.flush()
    elsewhere = client.get("/clients", params={"q": foreign_login.sign_in_email})
    assert f"/clients/{world.foreign_client.id}" not in elsewhere.text


def test_api_search_by_exact_email_finds_the_sign_in_address(
    client: TestClient, world: World
) -> None:
    sign_in(client, world.users[Role.COORDINATOR])
    found = client.get("/api/clients", params={"q": world.client_user.sign_in_email})
    assert found.status_code == 200
    assert [item["id"] for item in found.json()["items"]] == [str(world.own_client.id)]


def test_emergency_access_by_the_email_a_client_signs_in_with(
    client: TestClient, db: Session, world: World
) -> None:
    outside = world.outside_client
    create_client_login(
        db,
        client=outside,
        email="outside-login@example.org",
        display_name=outside.given_name,
        password=PASSWORD,
        enforce_policy=False,
    )
    db.flush()
    csrf = _page_login(client, world, Role.CLINICIAN)
    opened = client.post(
        "/access/emergency",
        data={
            "csrf_token": csrf,
            "email": "Outside-Login@example.org",
            "reason": "Their mother rang: a plan for tonight",
        },
    )
    assert opened.status_code == 200, opened.text
    assert outside.family_name in opened.text


def test_emergency_access_by_an_email_two_clients_share_asks_for_the_name_instead(
    client: TestClient, db: Session, world: World
) -> None:
    for family_name in ("Sharedmail", "Sharedmail-Twin"):
        create_client(
            db,
            world.org,
            clinicians=(world.other_clinician,),
            family_name=family_name,
            email="family-inbox@example.org",
        )
    csrf = _page_login(client, world, Role.CLINICIAN)
    refused = client.post(
        "/access/emergency",
        data={
            "csrf_token": csrf,
            "email": "family-inbox@example.org",
            "reason": "Their mother rang: a plan for tonight",
        },
    )
    assert refused.status_code == 422
    assert "More than one client has this email address" in refused.text
    assert "Sharedmail" not in refused.text
