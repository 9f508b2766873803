"""The migration that ends the "intake" care-team role keeps who reviews what, and only that.

Before: an intake's reviewer joined the client's care team (``team_role="intake"``), which
opened the whole record. After: each intake's reviewer is a review assignment (that case only)
and the "intake" care-team rows are gone; downgrading puts them back.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select, text

from alongside.crypto.keys import FileKeyProvider
from alongside.db import build_engine, make_sessionmaker, session_scope
from alongside.intake import service as intake_service
from alongside.kit.time import utcnow
from alongside.migrate import downgrade, upgrade
from alongside.models import ReviewAssignment, Role
from tests.fixtures.db import fresh_database_url
from tests.fixtures.factories import create_client, create_organization, create_staff


def test_intake_care_team_rows_become_review_assignments_and_back(tmp_path: Path) -> None:
    provider = FileKeyProvider(tmp_path / "kek.key")
    for url in fresh_database_url(tmp_path, "assignments"):
        upgrade(url)
        engine = build_engine(url)
        with session_scope(make_sessionmaker(engine, provider)) as session:
            org = create_organization(session)
            coordinator = create_staff(session, org, Role.COORDINATOR)
            own = create_staff(session, org, Role.CLINICIAN)
            reviewer = create_staff(session, org, Role.CLINICIAN)
            client = create_client(session, org, clinicians=(own,))
            intake_service.create_intake(
                session,
                actor=coordinator,
                client_id=client.id,
                reviewer_id=reviewer.id,
                reason="Covering while the team is away this week.",
                now=utcnow(),
            )
            ids = (client.id, reviewer.id, coordinator.id)
        engine.dispose()

        downgrade(url, "e2799b044be7")  # the revision before the security migrations
        engine = build_engine(url)
        with engine.connect() as conn:
            roles = (
                conn.execute(
                    text("SELECT team_role FROM care_teams WHERE clinician_id = :r"),
                    {"r": ids[1].hex if url.startswith("sqlite") else ids[1]},
                )
                .scalars()
                .all()
            )
        engine.dispose()
        assert roles == ["intake"]

        upgrade(url)
        engine = build_engine(url)
        with session_scope(make_sessionmaker(engine, provider)) as session:
            assignment = session.scalar(select(ReviewAssignment))
            assert assignment is not None
            assert (assignment.client_id, assignment.reviewer_id, assignment.assigned_by_id) == ids
            assert assignment.outside_care_team is True
            assert assignment.ends_at is None
            left = session.execute(
                text("SELECT count(*) FROM care_teams WHERE team_role = 'intake'")
            ).scalar_one()
            assert left == 0
            # Nothing else went: on SQLite, rebuilding "users" would have cascaded to these.
            kept = session.execute(
                text("SELECT count(*) FROM care_teams WHERE team_role = 'primary'")
            ).scalar_one()
            assert kept == 1
        engine.dispose()
