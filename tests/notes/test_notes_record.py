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
from alongside.notes.service import gather_facts


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
