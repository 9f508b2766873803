"""The administrator's crisis-resources page: country, local services, preview, audit, 404."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from alongside.errors import InvalidInput, NotFound
from alongside.models import AuditEvent, CrisisResourceChange, Organization, Role
from alongside.triage import crisis_admin
from tests.fixtures.factories import World
from tests.fixtures.web import sign_in

PAGE = "/admin/crisis-resources"
DUTY = {
    "id": "duty-line",
    "name": "Riverside duty clinician",
    "contact": "0161 496 0000",
    "how": "Call the duty clinician, 9am to 5pm on weekdays.",
    "source": "Riverside clinic duty rota",
}


def test_creating_an_organisation_needs_a_valid_country(db: Session) -> None:
    for country in ("", "  ", "XX", "Narnia"):
        with pytest.raises(InvalidInput, match="country"):
            crisis_admin.create_organization(db, name="New", slug="new-clinic", country=country)
    org = crisis_admin.create_organization(db, name="New", slug="new-clinic", country="gb-wls")
    assert org.country == "GB-WLS"


def test_admin_sets_country_adds_a_service_and_sees_the_preview(
    client: TestClient, db: Session, world: World
) -> None:
    csrf = sign_in(client, world.users[Role.ADMIN])
    page = client.get(PAGE)
    assert page.status_code == 200
    assert "911" in page.text  # the world's organisation is in the US

    moved = client.post(
        f"{PAGE}/country", data={"csrf_token": csrf, "country": "GB-ENG"}, follow_redirects=False
    )
    assert moved.status_code == 303
    added = client.post(f"{PAGE}/services", data={"csrf_token": csrf, **DUTY})
    assert added.status_code == 200
    html = added.text
    preview = html.split('id="preview-heading"')[1].split("</section>")[0]
    for number in ("999", "111", "116 123", "85258", "0161 496 0000"):
        assert number in preview
    for number in ("911", "988", "741741"):
        assert number not in preview
    # Who changed what, newest first.
    changes = db.scalars(
        select(CrisisResourceChange).where(CrisisResourceChange.organization_id == world.org.id)
    ).all()
    assert sorted(c.change for c in changes) == ["added", "country"]
    assert {c.changed_by_name for c in changes} == {world.users[Role.ADMIN].display_name}
    country_change = next(c for c in changes if c.change == "country")
    assert (country_change.before, country_change.after) == (
        {"country": "US"},
        {"country": "GB-ENG"},
    )
    events = db.scalars(
        select(AuditEvent).where(AuditEvent.resource_type == "crisis_resources")
    ).all()
    assert len(events) == 2
    assert {e.actor_id for e in events} == {world.users[Role.ADMIN].id}
    assert "Riverside duty clinician" in html.split('id="history-heading"')[1]

    removed = client.post(
        f"{PAGE}/services/duty-line/remove", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert removed.status_code == 303
    org = db.get(Organization, world.org.id)
    assert org is not None
    assert org.local_crisis_resources == []


def test_bad_input_is_a_422_with_a_message_and_nothing_changes(
    client: TestClient, db: Session, world: World
) -> None:
    csrf = sign_in(client, world.users[Role.ADMIN])
    bad_country = client.post(f"{PAGE}/country", data={"csrf_token": csrf, "country": "ZZ"})
    assert bad_country.status_code == 422
    assert "ISO 3166-1" in bad_country.text
    missing = client.post(f"{PAGE}/services", data={"csrf_token": csrf, **DUTY, "contact": ""})
    assert missing.status_code == 422
    assert "contact" in missing.text
    assert 'value="Riverside duty clinician"' in missing.text  # nothing typed is lost
    assert db.scalars(select(CrisisResourceChange)).all() == []


@pytest.mark.parametrize("role", [Role.CLINICIAN, Role.CLINICAL_LEAD, Role.COORDINATOR])
def test_other_roles_get_404(client: TestClient, world: World, role: Role) -> None:
    csrf = sign_in(client, world.users[role])
    assert client.get(PAGE).status_code == 404
    posted = client.post(f"{PAGE}/country", data={"csrf_token": csrf, "country": "FR"})
    assert posted.status_code == 404


def test_a_broken_stored_service_never_hides_the_defaults(db: Session, world: World) -> None:
    org = db.get(Organization, world.org.id)
    assert org is not None
    org.local_crisis_resources = [{"id": "Bad Id", "name": "x"}]
    db.flush()
    resources = crisis_admin.resources_for_organization(db, world.org.id)
    assert [r.contact for r in resources.resources][:2] == ["911", "988"]


def test_a_proposal_made_under_ruleset_1_0_0_replays_under_it(db: Session, world: World) -> None:
    from alongside.triage.rule_changes import ruleset_for_versions

    old = ruleset_for_versions(
        db, world.org.id, {"ruleset": "alongside-default", "ruleset_version": "1.0.0"}
    )
    assert old is not None
    assert old.version == "1.0.0"
    assert "reader-declined" in {rule.id for rule in old.rules}
    current = ruleset_for_versions(
        db, world.org.id, {"ruleset": "alongside-default", "ruleset_version": "2.0.0"}
    )
    assert current is not None
    assert "reader-declined-words" in {rule.id for rule in current.rules}
    assert ruleset_for_versions(db, world.org.id, {"ruleset": "x", "ruleset_version": "9"}) is None


NOW = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)


def _changes(db: Session) -> int:
    return len(db.scalars(select(CrisisResourceChange)).all())


@pytest.mark.parametrize("role", [Role.CLINICIAN, Role.COORDINATOR, Role.CLINICAL_LEAD])
def test_only_an_administrator_manages_crisis_resources_in_the_service(
    db: Session, world: World, role: Role
) -> None:
    with pytest.raises(NotFound):
        crisis_admin.save_local_service(db, actor=world.users[role], entry=DUTY, now=NOW)


def test_an_organisation_that_is_gone_still_gets_the_general_resources(db: Session) -> None:
    resources = crisis_admin.resources_for_organization(db, uuid.uuid4())
    assert resources.resources  # never empty: a client in crisis always sees somewhere to turn


def test_saving_the_same_service_twice_records_one_change(db: Session, world: World) -> None:
    admin = world.users[Role.ADMIN]
    crisis_admin.save_local_service(db, actor=admin, entry=DUTY, now=NOW)
    changes = _changes(db)
    crisis_admin.save_local_service(db, actor=admin, entry=dict(DUTY), now=NOW)
    assert _changes(db) == changes


def test_an_organisation_lists_at_most_its_limit_of_local_services(
    db: Session, world: World
) -> None:
    admin = world.users[Role.ADMIN]
    for n in range(crisis_admin.MAX_LOCAL_SERVICES):
        crisis_admin.save_local_service(
            db, actor=admin, entry={**DUTY, "id": f"service-{n}"}, now=NOW
        )
    with pytest.raises(InvalidInput, match=f"at most {crisis_admin.MAX_LOCAL_SERVICES}"):
        crisis_admin.save_local_service(db, actor=admin, entry={**DUTY, "id": "one-more"}, now=NOW)
    # Changing one already listed is still allowed.
    crisis_admin.save_local_service(
        db, actor=admin, entry={**DUTY, "id": "service-0", "name": "Renamed"}, now=NOW
    )


def test_removing_a_service_that_is_not_listed_is_not_found(db: Session, world: World) -> None:
    with pytest.raises(NotFound, match="no such local service"):
        crisis_admin.remove_local_service(db, actor=world.users[Role.ADMIN], key="nope", now=NOW)
