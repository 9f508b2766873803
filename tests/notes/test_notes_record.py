"""The composer on the demo clinic's real record: for every client, every fact the service
gathers (measures, change, risk readings, triage decisions, crisis alerts, attendance, the
previous plan) is quoted from its stored row, and the draft quotes only those facts."""

from __future__ import annotations

import uuid
from collections import Counter

from sqlalchemy import select
from sqlalchemy.orm import Session

from alongside.demo.seed import seed_demo_clinic
from alongside.kit.time import utcnow
from alongside.models import Client, CrisisAlert, Decision, RiskReading, Score
from alongside.notes.compose import DraftInput, compose
from alongside.notes.library import note_template
from alongside.notes.record import gather_facts


def test_facts_from_the_record_are_quoted_from_their_rows(db: Session) -> None:
    seed_demo_clinic(db, client_count=12)
    now = utcnow()
    seen: Counter[str] = Counter()
    models = {
        "measure": Score,
        "risk": RiskReading,
        "decision": Decision,
        "alert": CrisisAlert,
    }
    for client in db.scalars(select(Client)):
        facts = gather_facts(db, client.id, now)
        for fact in facts:
            seen[fact.source_type] += 1
            model = models.get(fact.source_type)
            if model is not None:
                row = db.get(model, uuid.UUID(fact.id))
                assert row is not None, fact
                assert row.client_id == client.id, fact
        sections = compose(DraftInput(note_template("soap"), "", "draft", facts))
        texts = {(f.source_type, f.id): [] for f in facts}
        for f in facts:
            texts[(f.source_type, f.id)].append(f.text)
        for section in sections:
            for sentence in section.sentences:
                quotes = texts[(sentence.source.type, sentence.source.id)]
                assert any(sentence.source.quote in t for t in quotes), sentence
    # The demo record holds every kind of fact the composer takes.
    assert {"measure", "risk", "decision", "alert"} <= set(seen), seen


def test_change_is_judged_separately_from_the_previous_and_the_first_measure(
    db: Session,
) -> None:
    from datetime import timedelta

    from tests.fixtures.factories import create_client, create_organization

    org = create_organization(db)
    client = create_client(db, org)
    start = utcnow() - timedelta(days=30)
    for n, (total, band) in enumerate([(19, "moderately severe"), (8, "mild"), (6, "mild")]):
        db.add(
            Score(
                organization_id=org.id,
                client_id=client.id,
                instrument_id="phq9",
                instrument_version="1",
                total=total,
                severity=band,
                flags=[],
                result="{}",
                scored_at=start + timedelta(days=7 * n),
            )
        )
    db.flush()
    facts = {f.slot: [] for f in gather_facts(db, client.id, utcnow())}
    for fact in gather_facts(db, client.id, utcnow()):
        facts[fact.slot].append(fact.text)
    # Only the latest score is stated; its change from the previous measure (2 points) is
    # not reliable, while from the first (13 points, out of the case range) it is recovery.
    assert len(facts["measures"]) == 1
    assert facts["measures"][0].endswith("total 6, mild")
    assert facts["change"] == [
        "PHQ-9 8 to 6 since the previous measure, no reliable change",
        "PHQ-9 19 to 6 since the first measure, reliable recovery",
    ]
    # A note written for an earlier moment quotes nothing that came after it.
    earlier = [f.text for f in gather_facts(db, client.id, start + timedelta(days=8))]
    assert earlier == [
        "PHQ-9 on " + (start + timedelta(days=7)).strftime("%Y-%m-%d") + ": total 8, mild",
        "PHQ-9 19 to 8 since the previous measure, reliable recovery",
    ]
