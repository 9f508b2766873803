"""Retention rules as data with their legal source, and the records past retention listed for
the clinical lead (England's schedule shipped; US periods left to the operator)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from alongside.kit.time import utcnow
from alongside.models import Appointment, AppointmentKind, AppointmentStatus, RetentionRule, Role
from alongside.privacy.retention import past_retention, retention_rules, set_rules_from_defaults
from tests.fixtures.factories import World, create_client
from tests.fixtures.web import sign_in

LONG_AGO = datetime(2001, 5, 1, 10, 0, tzinfo=UTC)


def _seen(db: Session, world: World, client_id: object, when: datetime) -> None:
    db.add(
        Appointment(
            organization_id=world.org.id,
            client_id=client_id,
            clinician_id=world.users[Role.CLINICIAN].id,
            starts_at=when,
            ends_at=when + timedelta(hours=1),
            status=AppointmentStatus.ATTENDED,
            kind=AppointmentKind.THERAPY,
            setting="in_person",
        )
    )


def test_england_lists_records_past_twenty_years_and_cites_the_code(
    client: TestClient, world: World, db: Session
) -> None:
    world.org.country = "GB"
    old = create_client(db, world.org, created_at=LONG_AGO)
    _seen(db, world, old.id, LONG_AGO)
    recent = create_client(db, world.org, created_at=LONG_AGO)
    _seen(db, world, recent.id, utcnow() - timedelta(days=30))
    db.flush()
    rules = {r.record_type: r for r in retention_rules(db, world.org)}
    assert rules["clinical_record"].years == 20
    assert "Records Management Code of Practice 2021" in rules["clinical_record"].source
    listed = {p.client_id for p in past_retention(db, world.org, utcnow())}
    assert old.id in listed
    assert recent.id not in listed
    csrf = sign_in(client, world.users[Role.CLINICAL_LEAD])
    api = client.get("/api/retention/past", headers={"X-CSRF-Token": csrf}).json()
    assert str(old.id) in {p["client_id"] for p in api}
    page = client.get("/privacy", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert "Records past their retention period" in page.text
    assert f"/clients/{old.id}" in page.text


def test_us_periods_are_left_to_the_operator_until_set(world: World, db: Session) -> None:
    world.org.country = "US"
    old = create_client(db, world.org, created_at=LONG_AGO)
    _seen(db, world, old.id, LONG_AGO)
    db.flush()
    assert all(
        r.years is None for r in retention_rules(db, world.org) if r.record_type != "messages"
    )
    assert past_retention(db, world.org, utcnow()) == []
    # The operator records their state's periods, with the statute: now the record is listed.
    for row in set_rules_from_defaults(db, world.org):
        if row.years is None:
            row.years = 7
            row.source = "State statute as recorded by the operator"
    db.flush()
    assert db.query(RetentionRule).filter_by(organization_id=world.org.id).count() == 4
    assert old.id in {p.client_id for p in past_retention(db, world.org, utcnow())}


def test_retention_pages_are_for_the_lead_only(client: TestClient, world: World) -> None:
    for role in (Role.COORDINATOR, Role.CLINICIAN, Role.ADMIN):
        sign_in(client, world.users[role])
        assert client.get("/api/retention/past").status_code == 404
        assert client.get("/api/erasure-requests").status_code == 404
