"""The administrator runs staff accounts, the on-call rota and sites from pages; nobody else can."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from alongside.models import AuditEvent, OnCallRota, ReviewSettings, Role, Site, User
from tests.fixtures.factories import PASSWORD, World
from tests.fixtures.web import sign_in

ADMIN_PAGES = ["/admin/users", "/admin/on-call", "/admin/sites"]


def _admin(client: TestClient, world: World) -> str:
    return sign_in(client, world.users[Role.ADMIN])


def _events(db: Session, resource_type: str) -> list[AuditEvent]:
    db.expire_all()
    return list(db.scalars(select(AuditEvent).where(AuditEvent.resource_type == resource_type)))


@pytest.mark.parametrize(
    "role", [Role.CLINICIAN, Role.COORDINATOR, Role.CLINICAL_LEAD, Role.CLIENT]
)
@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_only_the_administrator_finds_the_admin_pages(
    client: TestClient, world: World, role: Role, path: str
) -> None:
    csrf = sign_in(client, world.client_user if role is Role.CLIENT else world.users[role])
    assert client.get(path).status_code == 404
    target = "/admin/invitations" if path == "/admin/users" else path
    posted = client.post(target, data={"csrf_token": csrf, "name": "x", "timezone": "UTC"})
    assert posted.status_code in (404, 422)
    assert posted.status_code == 404 or path != "/admin/sites"


def test_the_admin_invites_rather_than_types_a_first_password(
    client: TestClient, world: World, db: Session
) -> None:
    csrf = _admin(client, world)
    page = client.get("/admin/users")
    assert page.status_code == 200
    assert world.users[Role.CLINICIAN].display_name in page.text
    assert world.other_clinician.display_name in page.text
    assert "First password" not in page.text
    # The old form's address no longer makes an account with a password the admin chose.
    typed = client.post(
        "/admin/users",
        data={
            "csrf_token": csrf,
            "display_name": "Dr New Person",
            "email": "new.person@clinic.test",
            "role": "clinician",
            "password": "a long and unusual passphrase 42",
        },
    )
    assert typed.status_code == 405
    assert db.scalar(select(User).where(User.email == "new.person@clinic.test")) is None


def test_a_refused_invitation_keeps_the_form(client: TestClient, world: World) -> None:
    csrf = _admin(client, world)
    taken = client.post(
        "/admin/invitations",
        data={
            "csrf_token": csrf,
            "display_name": "Twin",
            "email": world.users[Role.CLINICIAN].email,
            "role": "clinician",
        },
    )
    assert taken.status_code == 409
    assert 'value="Twin"' in taken.text
    assert f'value="{world.users[Role.CLINICIAN].email}"' in taken.text


def test_changing_a_role_signs_the_person_out_and_is_audited(
    client: TestClient, world: World, db: Session, app: object
) -> None:
    coordinator = world.users[Role.COORDINATOR]
    from fastapi.testclient import TestClient as Other

    with Other(app, raise_server_exceptions=False) as theirs:  # type: ignore[arg-type]
        sign_in(theirs, coordinator)
        assert theirs.get("/scheduling/waitlist").status_code == 200
        csrf = _admin(client, world)
        changed = client.post(
            f"/admin/users/{coordinator.id}/role", data={"csrf_token": csrf, "role": "clinician"}
        )
        assert changed.status_code == 200
        assert "The role was changed" in changed.text
        signed_out = theirs.get("/scheduling/waitlist", headers={"accept": "text/html"})
        assert signed_out.url.path == "/login"
    db.expire_all()
    assert db.get(User, coordinator.id).role is Role.CLINICIAN  # type: ignore[union-attr]
    assert any(e.resource_id == str(coordinator.id) for e in _events(db, "user"))


def test_admin_disables_an_account_but_not_their_own_nor_another_organisations(
    client: TestClient, world: World, db: Session
) -> None:
    csrf = _admin(client, world)
    admin = world.users[Role.ADMIN]
    own = client.post(f"/admin/users/{admin.id}/disable", data={"csrf_token": csrf})
    assert own.status_code == 422
    assert "your own account" in own.text
    foreign = db.scalar(select(User).where(User.organization_id == world.other_org.id).limit(1))
    assert foreign is not None
    assert (
        client.post(f"/admin/users/{foreign.id}/disable", data={"csrf_token": csrf}).status_code
        == 404
    )
    target = world.other_clinician
    done = client.post(f"/admin/users/{target.id}/disable", data={"csrf_token": csrf})
    assert done.status_code == 200
    assert "disabled" in done.text
    db.expire_all()
    assert db.get(User, target.id).is_active is False  # type: ignore[union-attr]
    assert db.get(User, foreign.id).is_active is True  # type: ignore[union-attr]
    login = client.post("/api/session", json={"email": target.email, "password": PASSWORD})
    assert login.status_code == 401


def test_admin_sets_the_rota_who_is_on_call_and_the_escalation_minutes(
    client: TestClient, world: World, db: Session
) -> None:
    csrf = _admin(client, world)
    page = client.get("/admin/on-call")
    assert page.status_code == 200
    assert "No rota has been saved yet" in page.text
    first, second = world.other_clinician, world.users[Role.CLINICIAN]
    saved = client.post(
        "/admin/on-call",
        data={
            "csrf_token": csrf,
            "member": [str(first.id), "", str(second.id)],
            "on_call": "2",
            "escalation_minutes": "7",
        },
    )
    assert saved.status_code == 200
    assert "were saved" in saved.text
    assert f"<strong>{second.display_name}</strong>, then\n    {first.display_name}" in saved.text
    assert "after <strong>7 minutes</strong>" in saved.text
    db.expire_all()
    rota = db.scalar(select(OnCallRota).where(OnCallRota.organization_id == world.org.id))
    assert rota is not None
    assert rota.member_ids == [str(first.id), str(second.id)]
    assert rota.position == 1
    settings = db.scalar(
        select(ReviewSettings).where(ReviewSettings.organization_id == world.org.id)
    )
    assert settings is not None
    assert settings.escalation_minutes == 7
    assert _events(db, "on_call_rota")


def test_the_rota_refuses_repeats_coordinators_and_an_empty_rota(
    client: TestClient, world: World
) -> None:
    csrf = _admin(client, world)
    clinician = world.users[Role.CLINICIAN]

    def save(members: list[str], on_call: str = "1") -> int:
        data = {"csrf_token": csrf, "member": members, "on_call": on_call}
        data["escalation_minutes"] = "15"
        return client.post("/admin/on-call", data=data).status_code

    assert save([str(clinician.id), str(clinician.id)]) == 422
    assert save([str(world.users[Role.COORDINATOR].id)]) == 422
    assert save(["", ""]) == 422
    assert save([str(clinician.id)], on_call="2") == 422
    assert save([str(clinician.id)]) == 200


def test_admin_adds_and_renames_a_site_with_a_real_time_zone(
    client: TestClient, world: World, db: Session
) -> None:
    csrf = _admin(client, world)
    bad = client.post(
        "/admin/sites", data={"csrf_token": csrf, "name": "North", "timezone": "Mars/Olympus"}
    )
    assert bad.status_code == 422
    assert "not a time zone we know" in bad.text
    added = client.post(
        "/admin/sites", data={"csrf_token": csrf, "name": "North", "timezone": "Europe/London"}
    )
    assert added.status_code == 200
    assert 'value="North"' in added.text
    db.expire_all()
    site = db.scalar(select(Site).where(Site.name == "North"))
    assert site is not None
    assert site.organization_id == world.org.id
    renamed = client.post(
        f"/admin/sites/{site.id}",
        data={"csrf_token": csrf, "name": "North Street", "timezone": "Europe/Dublin"},
    )
    assert renamed.status_code == 200
    db.expire_all()
    assert db.get(Site, site.id).timezone == "Europe/Dublin"  # type: ignore[union-attr]
    assert len(_events(db, "site")) == 2


def test_admin_home_says_what_the_admin_does_not_an_empty_client_list(
    client: TestClient, world: World
) -> None:
    _admin(client, world)
    home = client.get("/home")
    assert "What administrators do here" in home.text
    assert "Clients (0)" not in home.text
    assert 'href="/admin/users"' in home.text
    assert 'href="/admin/on-call"' in home.text
