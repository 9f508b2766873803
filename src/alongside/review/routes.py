"""JSON API: the review queue, cases, decisions, crisis acknowledgements, rules and oversight.

What an actor may not see answers 404. Routes parse, call one service and shape the answer.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query

from alongside.deps import CurrentSignedIn, DbSession
from alongside.errors import InvalidInput
from alongside.kit.schema import PageRead
from alongside.kit.time import utcnow
from alongside.models import CrisisAlert, Decision, RulesetVersion
from alongside.review import rule_editor, service
from alongside.review.oversight import OverrideRate
from alongside.review.schemas import (
    WAIT_TARGETS_ARE_RULES,
    AcknowledgeCreate,
    AlertRead,
    AnswerLineRead,
    CaseRead,
    DecisionCreate,
    DecisionRead,
    InstrumentRead,
    PieceRead,
    ProposalRead,
    QueueEntryRead,
    ReviewSettingsUpdate,
    RulesetActivate,
    RulesetVersionCreate,
    RulesetVersionRead,
)
from alongside.security.declare import Permit, requires
from alongside.security.permissions import Action
from alongside.triage import escalation, rule_changes
from alongside.triage.rulesets import PreviewResult

router = APIRouter(prefix="/api", tags=["review"])


def _minutes(delta: timedelta) -> int:
    return int(delta.total_seconds() // 60)


def decision_read(decision: Decision) -> DecisionRead:
    """The API shape of a decision."""
    return DecisionRead(
        id=decision.id,
        suggestion_id=decision.suggestion_id,
        outcome=decision.outcome.value,
        urgency=decision.urgency,
        pathway=decision.pathway,
        proposed_urgency=decision.proposed_urgency,
        proposed_pathway=decision.proposed_pathway,
        reason=decision.reason,
        decided_by_id=decision.decided_by_id,
        decided_at=decision.decided_at,
    )


def _alert_read(alert: service.AlertView) -> AlertRead:
    return AlertRead(
        id=alert.id,
        level=alert.level,
        recipient_name=alert.recipient_name,
        sent_at=alert.sent_at,
        escalate_at=alert.escalate_at,
        exhausted_at=alert.exhausted_at,
        acknowledged_by_name=alert.acknowledged_by_name,
        acknowledged_at=alert.acknowledged_at,
        action_taken=alert.action_taken,
        action_note=alert.action_note,
    )


@router.get("/review/queue", response_model=PageRead[QueueEntryRead])
def review_queue(
    permit: Annotated[Permit, requires(Action.INTAKE_REVIEW)],
    db: DbSession,
    signed_in: CurrentSignedIn,
    limit: Annotated[int | None, Query(description="Rows per page (1-200, 50).")] = None,
    cursor: Annotated[str | None, Query(description="The `next` of the previous page.")] = None,
) -> PageRead[QueueEntryRead]:
    """Proposals waiting for a decision, most urgent first, then longest waiting."""
    page = service.review_queue(
        db, user=signed_in.user, actor=signed_in.actor, now=utcnow(), limit=limit, cursor=cursor
    )
    items = [
        QueueEntryRead(
            suggestion_id=entry.suggestion_id,
            client_id=entry.client_id,
            client_name=entry.client_name,
            urgency=entry.urgency,
            pathway=entry.pathway,
            proposed_at=entry.proposed_at,
            waited_minutes=_minutes(entry.wait.waited),
            target_minutes=_minutes(entry.wait.target),
            overdue=entry.wait.overdue,
            needs_human_reading=entry.needs_human_reading,
            alert_state=entry.alert_state,
        )
        for entry in page.items
    ]
    return PageRead[QueueEntryRead](items=items, next=page.next)


@router.get("/review/{suggestion_id}", response_model=CaseRead)
def review_case(
    permit: Annotated[Permit, requires(Action.INTAKE_REVIEW)],
    suggestion_id: uuid.UUID,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> CaseRead:
    """One case: answers, scores, the client's words with evidence, the proposal, decision."""
    case = service.get_case(
        db, user=signed_in.user, actor=signed_in.actor, suggestion_id=suggestion_id, now=utcnow()
    )
    suggestion = case.suggestion
    return CaseRead(
        client_id=case.client.id,
        client_name=f"{case.client.given_name} {case.client.family_name}",
        intake_id=suggestion.intake_id,
        proposal=ProposalRead(
            id=suggestion.id,
            status=suggestion.status.value,
            urgency=suggestion.urgency,
            pathway=suggestion.pathway,
            alternative_pathways=list(suggestion.alternative_pathways or []),
            fired_rules=list(suggestion.fired_rules or []),
            needs_human_reading=suggestion.needs_human_reading,
            reasons=case.reasons,
            versions=dict(suggestion.versions or {}),
            proposed_at=suggestion.proposed_at,
        ),
        instruments=[
            InstrumentRead(
                instrument_id=item.instrument_id,
                title=item.title,
                version=item.version,
                lines=[
                    AnswerLineRead(label=line.label, text=line.text, answer=line.answer)
                    for line in item.lines
                ],
                total=item.total,
                total_range=item.total_range,
                severity=item.severity,
                flags=item.flags,
                reasons=item.reasons,
            )
            for item in case.instruments
        ],
        words=[
            PieceRead(text=piece.text, highlighted=piece.highlighted, signal=piece.signal)
            for piece in case.pieces
        ],
        risk_level=case.reading.level if case.reading is not None else None,
        reader_available=case.reading.reader_available if case.reading is not None else None,
        decision=decision_read(case.decision) if case.decision is not None else None,
        alert=_alert_read(case.alert) if case.alert is not None else None,
        may_decide=case.may_decide,
    )


@router.post("/review/{suggestion_id}/decision", response_model=DecisionRead, status_code=201)
def review_decide(
    permit: Annotated[Permit, requires(Action.SUGGESTION_DECIDE)],
    suggestion_id: uuid.UUID,
    body: DecisionCreate,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> DecisionRead:
    """Accept, amend or reject the proposal (409 when it was already decided)."""
    decision = service.decide(
        db,
        user=signed_in.user,
        actor=signed_in.actor,
        suggestion_id=suggestion_id,
        outcome=body.outcome,
        urgency=body.urgency,
        pathway=body.pathway,
        reason=body.reason,
        now=utcnow(),
    )
    return decision_read(decision)


@router.post("/review/alerts/{alert_id}/acknowledge", response_model=AlertRead)
def review_acknowledge(
    permit: Annotated[Permit, requires(Action.INTAKE_REVIEW)],
    alert_id: uuid.UUID,
    body: AcknowledgeCreate,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> AlertRead:
    """Record that you have the crisis alert and what you did; escalation stops."""
    alert: CrisisAlert = escalation.acknowledge_alert(
        db,
        user=signed_in.user,
        actor=signed_in.actor,
        alert_id=alert_id,
        action=body.action,
        note=body.note,
        now=utcnow(),
    )
    return _alert_read(service.alert_view(db, alert, signed_in.actor))


def _version_read(row: RulesetVersion) -> RulesetVersionRead:
    # A stored version is never the built-in default (that one has no row).
    return RulesetVersionRead(
        id=row.id,
        ruleset_id=row.ruleset_id,
        version=row.version,
        note=row.note,
        is_active=row.is_active,
        created_at=row.created_at,
        activated_at=row.activated_at,
        built_in=False,
    )


@router.get("/rules/versions", response_model=list[RulesetVersionRead])
def rules_versions(
    permit: Annotated[Permit, requires(Action.RULES_EDIT)],
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> list[RulesetVersionRead]:
    """Every ruleset version of the organisation (the built-in default last)."""
    return [
        RulesetVersionRead.model_validate(summary, from_attributes=True)
        for summary in rule_changes.list_versions(db, actor=signed_in.actor)
    ]


@router.post("/rules/versions", response_model=RulesetVersionRead, status_code=201)
def rules_create(
    permit: Annotated[Permit, requires(Action.RULES_EDIT)],
    body: RulesetVersionCreate,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> RulesetVersionRead:
    """Store a new ruleset version (validated; not active until activated)."""
    row = rule_changes.create_version(
        db,
        user=signed_in.user,
        actor=signed_in.actor,
        yaml_text=body.yaml_text,
        note=body.note,
        now=utcnow(),
    )
    return _version_read(row)


@router.post("/rules/versions/{version_id}/preview")
def rules_preview(
    permit: Annotated[Permit, requires(Action.RULES_EDIT)],
    version_id: uuid.UUID,
    db: DbSession,
    signed_in: CurrentSignedIn,
    last_n: Annotated[int, Query(ge=1, le=rule_changes.MAX_PREVIEW_COUNT)] = (
        rule_changes.DEFAULT_PREVIEW_COUNT
    ),
) -> dict[str, object]:
    """What this version would change against the active one over the last N intakes."""
    result: PreviewResult = rule_changes.preview_version(
        db,
        user=signed_in.user,
        actor=signed_in.actor,
        version_id=version_id,
        last_n=last_n,
        now=utcnow(),
    )
    return result.to_dict()


@router.post("/rules/versions/{version_id}/activate", response_model=RulesetVersionRead)
def rules_activate(
    permit: Annotated[Permit, requires(Action.RULES_EDIT)],
    version_id: uuid.UUID,
    db: DbSession,
    signed_in: CurrentSignedIn,
    body: RulesetActivate | None = None,
) -> RulesetVersionRead:
    """Make this version the one new intakes are triaged with; the reason is required (422
    without one) and kept with the activation. Its wait targets (or, without any, Alongside's
    defaults) come into force with it."""
    row = rule_editor.activate(
        db,
        user=signed_in.user,
        actor=signed_in.actor,
        version_id=version_id,
        reason=None if body is None else body.reason,
        confirmed=None,
        require_confirmation=False,
        now=utcnow(),
    )
    return _version_read(row)


@router.get("/oversight")
def oversight(
    permit: Annotated[Permit, requires(Action.FAIRNESS_READ)],
    db: DbSession,
    signed_in: CurrentSignedIn,
    weeks: Annotated[
        int | None,
        Query(description="Count the decisions of the last so many weeks (default 12)."),
    ] = service.DEFAULT_OVERSIGHT_WEEKS,
) -> dict[str, object]:
    """Override rates by rule, ruleset and model version and by week; time to first review by
    urgency; over the decisions of the last ``weeks`` weeks."""
    figures = service.oversight_figures(db, actor=signed_in.actor, now=utcnow(), weeks=weeks)

    def rate_rows(rows: list[OverrideRate]) -> list[dict[str, object]]:
        return [
            {
                "key": row.key,
                "decided": row.decided,
                "amended": row.amended,
                "rejected": row.rejected,
                "override_rate": row.rate,
            }
            for row in rows
        ]

    return {
        "overall": rate_rows([figures.overall])[0],
        "by_rule": rate_rows(figures.by_rule),
        "by_ruleset": rate_rows(figures.by_ruleset),
        "by_model": rate_rows(figures.by_model),
        "by_week": rate_rows(figures.by_week),
        "time_to_first_review": [
            {
                "urgency": row.urgency,
                "decided": row.decided,
                "waiting": row.waiting,
                "median_minutes": None if row.median is None else _minutes(row.median),
                "p90_minutes": None if row.p90 is None else _minutes(row.p90),
            }
            for row in figures.review_times
        ],
        "targets_minutes": {key: _minutes(value) for key, value in figures.targets.items()},
        "escalation_minutes": figures.escalation_minutes,
        "weeks": figures.weeks,
    }


@router.put("/oversight/settings", status_code=204)
def oversight_settings(
    permit: Annotated[Permit, requires(Action.RULES_EDIT)],
    body: ReviewSettingsUpdate,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> None:
    """Set the escalation time (the clinical lead). Wait targets are refused (422): they are
    part of the triage rules, changed by activating a version that sets them."""
    if any(value is not None for value in (body.crisis, body.urgent, body.soon, body.routine)):
        raise InvalidInput(WAIT_TARGETS_ARE_RULES)
    service.update_review_settings(
        db,
        user=signed_in.user,
        actor=signed_in.actor,
        escalation_minutes=body.escalation_minutes,
        assignment_hours=body.assignment_hours_after_decision,
        now=utcnow(),
    )
