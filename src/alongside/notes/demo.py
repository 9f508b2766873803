"""Demo notes for clinician1's clients: a signed note with an addendum, a composer draft, a
safety plan (one also in the demo client's own space) and a psychotherapy note."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from alongside.models import CareTeam, Client, User
from alongside.notes import safety, service
from alongside.security.access import actor_for

SIGNED_JOTTINGS = """Reviewed the week: slept about 6 hours most nights.
Practised the breathing exercise on three evenings.
A: engaged; mood a little brighter than last session.
P: keep the sleep diary; plan one pleasant activity each day."""
DRAFT_JOTTINGS = """Talked about the argument with her manager.
Noticed she avoided two social plans this week.
P: try one small social plan before next session."""
PORTAL_JOTTINGS = """Talked about starting the new job in March and sleeping badly since.
Walked twice this week; wants to keep it up.
A: low mood improving; worry about work the main theme.
P: sleep diary for two weeks; review the plan next session."""
PLAN_STEPS = {
    "warning_signs": "Staying in bed all day; thinking nobody would notice if I was gone.",
    "coping": "Walk round the park; play the piano; a cold shower.",
    "social_distraction": "Coffee shop on the corner; my sister's kitchen.",
    "people_to_ask": "My sister (mobile in my phone); my friend Ana.",
    "professionals": "My clinician at the clinic; the urgent mental-health line; 999.",
    "safe_environment": "Ask my sister to keep my spare medication.",
}


def seed_demo_notes(
    session: Session,
    clinician: User,
    clients: Sequence[Client],
    portal_client: Client,
    now: datetime,
) -> None:
    """Notes and safety plans through the same services the pages use (audited as usual)."""
    actor = actor_for(session, clinician, now)
    first, second = clients[0], clients[1]
    earlier = now - timedelta(days=7)
    signed = service.draft_ad_hoc(
        session,
        user=clinician,
        actor=actor,
        client_id=first.id,
        template_id="dap",
        jottings=SIGNED_JOTTINGS,
        now=earlier,
    )
    service.sign_note(session, user=clinician, actor=actor, note_id=signed.id, now=earlier)
    service.add_addendum(
        session,
        user=clinician,
        actor=actor,
        note_id=signed.id,
        text="Correction: the breathing exercise was practised on four evenings, not three.",
        now=earlier + timedelta(days=1),
    )
    service.draft_ad_hoc(
        session,
        user=clinician,
        actor=actor,
        client_id=second.id,
        template_id="soap",
        jottings=DRAFT_JOTTINGS,
        now=now,
    )
    service.create_psychotherapy_note(
        session,
        user=clinician,
        actor=actor,
        client_id=first.id,
        text="I noticed I wanted to rescue her today; bring it to supervision.",
        now=now,
    )
    safety.save_safety_plan(
        session, user=clinician, actor=actor, client_id=first.id, steps=PLAN_STEPS, now=now
    )
    # The demo client who signs in sees a safety plan in their own space, written by the
    # clinician who leads their care.
    lead_id = session.scalar(
        select(CareTeam.clinician_id)
        .where(CareTeam.client_id == portal_client.id)
        .order_by(CareTeam.team_role)
        .limit(1)
    )
    author = session.get(User, lead_id) if lead_id is not None else None
    if author is not None:
        author_actor = actor_for(session, author, now)
        # A signed note the demo client reads under "Notes" (and asks to correct).
        portal_note = service.draft_ad_hoc(
            session,
            user=author,
            actor=author_actor,
            client_id=portal_client.id,
            template_id="dap",
            jottings=PORTAL_JOTTINGS,
            now=now - timedelta(days=5),
        )
        service.sign_note(
            session,
            user=author,
            actor=author_actor,
            note_id=portal_note.id,
            now=now - timedelta(days=5),
        )
        safety.save_safety_plan(
            session,
            user=author,
            actor=actor_for(session, author, now),
            client_id=portal_client.id,
            steps=PLAN_STEPS,
            now=now,
        )
