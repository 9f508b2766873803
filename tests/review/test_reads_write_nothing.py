"""Reading a case writes nothing but its audit event; a crisis proposal's alert row exists
from the moment the intake is submitted (issue 13: "viewing a case created the alert row")."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from alongside.models import AuditEvent, Base, CrisisAlert, Role
from tests.fixtures.factories import World
from tests.fixtures.web import sign_in
from tests.review.review_support import submitted


def _row_counts(db: Session) -> dict[str, int]:
    return {
        table.name: int(db.scalar(select(func.count()).select_from(table)) or 0)
        for table in Base.metadata.sorted_tables
    }


def test_a_crisis_intake_has_its_alert_row_when_it_is_submitted(db: Session, world: World) -> None:
    crisis = submitted(db, world.users[Role.CLINICIAN], world.own_client, "crisis")
    alert = db.scalar(select(CrisisAlert).where(CrisisAlert.suggestion_id == crisis.id))
    assert alert is not None
    assert alert.escalate_at is not None
    calm = submitted(db, world.other_clinician, world.outside_client, "calm")
    assert db.scalar(select(CrisisAlert).where(CrisisAlert.suggestion_id == calm.id)) is None


def test_reading_a_case_writes_only_its_audit_events(
    client: TestClient, db: Session, world: World
) -> None:
    crisis = submitted(db, world.users[Role.CLINICIAN], world.own_client, "crisis")
    # A crisis proposal whose alert row is not open yet (the worker opens such rows): the
    # reading must not open it either. Without the fix the GET created the row.
    db.execute(delete(CrisisAlert).where(CrisisAlert.suggestion_id == crisis.id))
    db.flush()
    sign_in(client, world.users[Role.CLINICIAN])
    before = _row_counts(db)
    # Positive control: the case was really read, as a page and through the API.
    assert client.get(f"/review/{crisis.id}").status_code == 200
    assert client.get(f"/api/review/{crisis.id}").status_code == 200
    after = _row_counts(db)
    changed = {name for name in after if after[name] != before[name]}
    assert changed <= {AuditEvent.__tablename__, "user_sessions"}, changed
    assert after[AuditEvent.__tablename__] > before[AuditEvent.__tablename__]
    assert db.scalar(select(CrisisAlert).where(CrisisAlert.suggestion_id == crisis.id)) is None
