"""A person's own time zone: chosen on the account page (validated against the IANA
database), it is the clock of every page shown to them, named; without one, the
organisation's."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from alongside.models import AuditEvent, Role, StaffInvitation
from alongside.templating import OrganisationZone, templates
from tests.fixtures.factories import World
from tests.fixtures.web import sign_in


def test_a_person_chooses_a_time_zone_and_every_time_is_shown_in_it(
    db: Session, world: World, client: TestClient
) -> None:
    world.org.timezone = "America/New_York"
    admin = world.users[Role.ADMIN]
    db.commit()
    csrf = sign_in(client, admin)
    account = client.get("/account")
    assert "Your time zone" in account.text
    assert "You see the organisation's time zone." in account.text
    assert '<option value="Asia/Tokyo">Asia/Tokyo</option>' in account.text
    client.post(
        "/admin/invitations",
        data={
            "csrf_token": csrf,
            "display_name": "Robin",
            "email": "robin@clinic.test",
            "role": "clinician",
        },
    )
    invitation = db.scalars(select(StaffInvitation)).one()
    invitation.expires_at = datetime(2031, 1, 15, 12, 0, tzinfo=UTC)
    db.commit()
    # The organisation's clock first (New York: 07:00 EST), named.
    assert "15 Jan 2031, 07:00 EST" in client.get("/admin/users").text
    saved = client.post("/account/time-zone", data={"csrf_token": csrf, "timezone": "Asia/Tokyo"})
    assert saved.status_code == 200
    assert "Your time zone was saved." in saved.text
    assert "You chose <strong>Asia/Tokyo</strong>" in saved.text
    assert '<option value="Asia/Tokyo" selected>' in saved.text
    # Now the same moment in the person's own zone, named (Tokyo: 21:00 JST).
    users_page = client.get("/admin/users").text
    assert "15 Jan 2031, 21:00 JST" in users_page
    assert "07:00 EST" not in users_page
    db.refresh(admin)
    assert admin.timezone == "Asia/Tokyo"
    assert db.scalars(
        select(AuditEvent).where(
            AuditEvent.resource_type == "account", AuditEvent.actor_id == admin.id
        )
    ).all()
    # Back to the organisation's.
    client.post("/account/time-zone", data={"csrf_token": csrf, "timezone": ""})
    db.refresh(admin)
    assert admin.timezone is None
    assert "15 Jan 2031, 07:00 EST" in client.get("/admin/users").text


def test_an_unknown_time_zone_is_refused_in_words(
    db: Session, world: World, client: TestClient
) -> None:
    clinician = world.users[Role.CLINICIAN]
    csrf = sign_in(client, clinician)
    refused = client.post(
        "/account/time-zone", data={"csrf_token": csrf, "timezone": "Mars/Olympus_Mons"}
    )
    assert refused.status_code == 422
    assert "Time zone: choose one from the list" in refused.text
    assert "Mars/Olympus_Mons" not in refused.text
    db.refresh(clinician)
    assert clinician.timezone is None
    assert client.post("/account/time-zone", data={"timezone": "UTC"}).status_code in (403, 404)


def test_a_client_has_no_time_zone_page(world: World, client: TestClient) -> None:
    csrf = sign_in(client, world.client_user)
    refused = client.post("/account/time-zone", data={"csrf_token": csrf, "timezone": "UTC"})
    assert refused.status_code == 404


def test_the_clock_follows_the_person_then_the_organisation(db: Session, world: World) -> None:
    clinician = world.users[Role.CLINICIAN]
    world.org.timezone = "Europe/London"
    db.flush()
    assert str(OrganisationZone(clinician)) == "Europe/London"
    clinician.timezone = "Australia/Sydney"
    db.flush()
    assert str(OrganisationZone(clinician)) == "Australia/Sydney"
    assert str(OrganisationZone(None)) == "UTC"
    # The filter with no zone given takes the page's clock, so no time is shown unnamed.
    moment = datetime(2031, 1, 15, 12, 0, tzinfo=UTC)
    text = templates.env.from_string("{{ m|clock }}").render(
        m=moment, clock_zone=OrganisationZone(clinician)
    )
    assert text == "23:00 AEDT"
