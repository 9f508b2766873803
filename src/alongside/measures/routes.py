"""JSON API of measurement-based care: a client's measures and plan, the attention list.

What an actor may not see answers 404. Routes parse, call one service and shape the answer.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from alongside.deps import CurrentSignedIn, DbSession
from alongside.kit.ids import parse_id
from alongside.kit.time import utcnow
from alongside.measures import service
from alongside.measures.schemas import (
    AttentionRead,
    ClientMeasuresRead,
    PlanRead,
    PlanWrite,
    attention_read,
    client_measures_read,
    plan_read,
)
from alongside.security.declare import Permit, requires
from alongside.security.permissions import Action

router = APIRouter(prefix="/api", tags=["measures"])


@router.get("/clients/{client_id}/measures")
def get_client_measures(
    permit: Annotated[Permit, requires(Action.CLINICAL_READ)],
    client_id: str,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> ClientMeasuresRead:
    """A client's scores per instrument with bands and reliable change, and their plan."""
    view = service.client_measures(
        db,
        user=signed_in.user,
        actor=signed_in.actor,
        client_id=parse_id(client_id, service.NOT_FOUND),
        now=utcnow(),
    )
    return client_measures_read(view)


@router.put("/clients/{client_id}/measures/plan")
def put_client_plan(
    permit: Annotated[Permit, requires(Action.INTAKE_REVIEW)],
    client_id: str,
    body: PlanWrite,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> PlanRead:
    """Set the client's plan of repeat measures (a clinician on the care team)."""
    plan = service.set_plan(
        db,
        user=signed_in.user,
        actor=signed_in.actor,
        client_id=parse_id(client_id, service.NOT_FOUND),
        instruments=body.instruments,
        cadence=body.cadence,
        interval_days=body.interval_days,
        lead_hours=body.lead_hours,
        active=body.active,
        now=utcnow(),
    )
    read = plan_read(plan)
    assert read is not None  # noqa: S101 - a plan was just stored
    return read


@router.get("/measures/attention")
def get_attention(
    permit: Annotated[Permit, requires(Action.CLINICAL_READ)],
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> list[AttentionRead]:
    """The signed-in clinician's clients whose latest measures need attention, newest first."""
    entries = service.attention_list(db, user=signed_in.user, actor=signed_in.actor, now=utcnow())
    return [attention_read(entry) for entry in entries]
