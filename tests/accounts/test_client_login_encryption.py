"""A client's login is part of their record: encrypted with their key, found by a blind index,
erased with them.

Regression: the ``users`` row of a client held their name and email in plain text, outside
per-client encryption and erasure.
"""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from alongside.accounts.service import create_user, find_user_by_email, seal_client_logins
from alongside.models import AuditEvent, Role, User
from alongside.models.encrypted import ERASED
from alongside.models.user import CLIENT_LOGIN_DOMAIN
from alongside.privacy.erasure import crypto_shred_client
from tests.fixtures.factories import PASSWORD, World, create_client
from tests.fixtures.web import sign_in


def _stored(db: Session, user: User) -> dict[str, object]:
    row = db.execute(
        text("SELECT email, display_name, login_email, login_name FROM users WHERE id = :id"),
        {"id": user.id.hex if db.bind and db.bind.dialect.name == "sqlite" else user.id},
    ).one()
    return dict(row._mapping)


def test_client_login_is_stored_encrypted_and_signs_in(
    client: TestClient, db: Session, world: World
) -> None:
    login = world.users[Role.CLIENT]
    address = login.sign_in_email
    name = world.own_client.given_name
    stored = _stored(db, login)
    assert str(stored["email"]).endswith("@" + CLIENT_LOGIN_DOMAIN)
    assert stored["display_name"] == "Client"
    raw = b"".join(bytes(stored[c]) for c in ("login_email", "login_name"))  # type: ignore[arg-type]
    assert address.encode() not in raw
    assert name.encode() not in raw
    # Positive control: staff addresses stay readable for administrators.
    staff = world.users[Role.CLINICIAN]
    assert _stored(db, staff)["email"] == staff.email
    # Sign-in by the address (blind index), in any case, and the page greets them by name.
    response = TestClient(client.app).post(
        "/api/session", json={"email": f"  {address.upper()} ", "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    sign_in(client, login)
    home = client.get("/home")
    assert f"Hello, {name}" in home.text
    # What the client does is audited without their name in the (unerasable) audit log.
    client.get(f"/clients/{world.own_client.id}")
    names = {
        e.actor_name for e in db.scalars(select(AuditEvent).where(AuditEvent.actor_id == login.id))
    }
    assert names
    assert name not in " ".join(names)


def test_erasing_the_client_erases_their_login(
    client: TestClient, db: Session, world: World
) -> None:
    login = world.users[Role.CLIENT]
    address = login.sign_in_email
    crypto_shred_client(db, world.own_client)
    db.expire_all()
    user = db.get(User, login.id)
    assert user is not None
    assert user.login_email == ERASED
    assert user.login_name == ERASED
    assert user.email_index is None
    assert not user.is_active
    assert find_user_by_email(db, address) is None
    answer = client.post("/api/session", json={"email": address, "password": PASSWORD})
    assert answer.status_code == 401


def test_logins_stored_before_encryption_are_sealed(db: Session, world: World) -> None:
    other = create_client(db, world.org)
    legacy = create_user(
        db,
        organization=world.org,
        email="legacy.client@example.org",
        display_name="Legacy Name",
        role=Role.CLIENT,
        password=PASSWORD,
        enforce_policy=False,
    )
    legacy.client_id = other.id
    db.flush()
    assert seal_client_logins(db) == 1
    assert seal_client_logins(db) == 0
    db.expire_all()
    stored = _stored(db, legacy)
    assert stored["email"] != "legacy.client@example.org"
    assert b"Legacy" not in bytes(stored["login_name"])  # type: ignore[arg-type]
    found = find_user_by_email(db, "legacy.client@example.org")
    assert found is not None
    assert found.id == legacy.id
    assert found.shown_name == "Legacy Name"
