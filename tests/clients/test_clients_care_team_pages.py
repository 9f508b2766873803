"""The clinical lead adds and removes clinicians on a client's care team, with a reason."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from alongside.models import AuditEvent, CareTeam, CareTeamChange, Role
from tests.fixtures.factories import World
from tests.fixtures.web import sign_in

REASON = "Covering while Dr Osei is on leave"


def _team(db: Session, world: World) -> set[object]:
    db.expire_all()
    return set(
        db.scalars(
            select(CareTeam.clinician_id).where(CareTeam.client_id == world.outside_client.id)
        )
    )


@pytest.mark.parametrize("role", [Role.CLINICIAN, Role.COORDINATOR, Role.ADMIN, Role.CLIENT])
def test_nobody_but_the_clinical_lead_finds_care_teams(
    client: TestClient, world: World, role: Role, db: Session
) -> None:
    csrf = sign_in(client, world.client_user if role is Role.CLIENT else world.users[role])
    assert client.get("/care-teams").status_code == 404
    assert client.get(f"/care-teams/{world.outside_client.id}").status_code == 404
    posted = client.post(
        f"/care-teams/{world.outside_client.id}/add",
        data={
            "csrf_token": csrf,
            "clinician_id": str(world.users[Role.CLINICIAN].id),
            "reason": REASON,
        },
    )
    assert posted.status_code == 404
    assert world.users[Role.CLINICIAN].id not in _team(db, world)


def test_lead_adds_then_removes_a_clinician_with_reasons_kept_and_audited(
    client: TestClient, world: World, db: Session
) -> None:
    csrf = sign_in(client, world.users[Role.CLINICAL_LEAD])
    listing = client.get("/care-teams")
    assert listing.status_code == 200
    assert world.outside_client.family_name in listing.text
    assert world.other_clinician.display_name in listing.text
    assert world.foreign_client.family_name not in listing.text
    joining = world.users[Role.CLINICIAN]
    url = f"/care-teams/{world.outside_client.id}"
    page = client.get(url)
    assert f"Care team of {world.outside_client.given_name}" in page.text
    added = client.post(
        f"{url}/add", data={"csrf_token": csrf, "clinician_id": str(joining.id), "reason": REASON}
    )
    assert added.status_code == 200
    assert "was added to the care team" in added.text
    assert REASON in added.text
    assert joining.id in _team(db, world)
    removed = client.post(
        f"{url}/remove",
        data={"csrf_token": csrf, "clinician_id": str(joining.id), "reason": "Dr Osei is back"},
    )
    assert removed.status_code == 200
    assert "was removed" in removed.text
    assert joining.id not in _team(db, world)
    changes = list(db.scalars(select(CareTeamChange).order_by(CareTeamChange.created_at)))
    assert [(c.change, c.reason) for c in changes] == [
        ("added", REASON),
        ("removed", "Dr Osei is back"),
    ]
    # The reason is stored encrypted, never as plain text.
    assert REASON.encode() not in changes[0].reason_ct
    events = db.scalars(select(AuditEvent).where(AuditEvent.resource_type == "care_team"))
    assert {(e.action, e.client_id) for e in events} == {
        ("create", world.outside_client.id),
        ("delete", world.outside_client.id),
    }


def test_joining_the_care_team_opens_the_record_to_the_clinician(
    client: TestClient, world: World, db: Session, app: object
) -> None:
    joining = world.users[Role.CLINICIAN]
    with TestClient(app) as theirs:  # type: ignore[arg-type]
        sign_in(theirs, joining)
        assert theirs.get(f"/api/clients/{world.outside_client.id}").status_code == 404
        csrf = sign_in(client, world.users[Role.CLINICAL_LEAD])
        client.post(
            f"/care-teams/{world.outside_client.id}/add",
            data={"csrf_token": csrf, "clinician_id": str(joining.id), "reason": REASON},
        )
        assert theirs.get(f"/api/clients/{world.outside_client.id}").status_code == 200


def test_a_change_needs_a_reason_and_leaves_someone_on_the_team(
    client: TestClient, world: World, db: Session
) -> None:
    csrf = sign_in(client, world.users[Role.CLINICAL_LEAD])
    url = f"/care-teams/{world.outside_client.id}"
    short = client.post(
        f"{url}/add",
        data={
            "csrf_token": csrf,
            "clinician_id": str(world.users[Role.CLINICIAN].id),
            "reason": "x",
        },
    )
    assert short.status_code == 422
    assert "Say why the care team changes" in short.text
    last = client.post(
        f"{url}/remove",
        data={"csrf_token": csrf, "clinician_id": str(world.other_clinician.id), "reason": REASON},
    )
    assert last.status_code == 422
    assert "always has someone on their care team" in last.text
    coordinator = client.post(
        f"{url}/add",
        data={
            "csrf_token": csrf,
            "clinician_id": str(world.users[Role.COORDINATOR].id),
            "reason": REASON,
        },
    )
    assert coordinator.status_code == 422
    assert _team(db, world) == {world.other_clinician.id}
    foreign = client.get(f"/care-teams/{world.foreign_client.id}")
    assert foreign.status_code == 404
