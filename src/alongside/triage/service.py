"""On submit: score, read (with consent), propose, store, and alert on call for a crisis.

Everything here runs in the caller's transaction (flush, never commit), so the intake, its
scores, its reading, its proposal and the on-call alert are committed together or not at all
(DESIGN.md invariant 3: the alert is in the outbox the moment the intake is stored).

API (the review queue and the escalation of unacknowledged alerts build on it)
------------------------------------------------------------------------------
- :func:`process_submission` ``(session, intake, *, now, case_url_base, oncall_webhook,
  prepared=None) -> SubmitOutcome``: marks the intake submitted (a compare-and-set: a second
  submit raises :class:`~alongside.errors.Conflict`), stores one :class:`~alongside.models.Score`
  per instrument, a :class:`~alongside.models.RiskReading` only when the client consented to the
  software reading (the reader fails closed; without consent the intake is marked
  ``needs_human_reading``), and the proposal as a :class:`~alongside.models.Suggestion`
  (``kind="triage"``, ``status="proposed"``). A ``crisis`` proposal enqueues the on-call alert
  (:data:`ALERT_KIND`) by email to the first person of :func:`on_call_sequence` and, when
  ``oncall_webhook`` is true, to the webhook named :data:`ONCALL_WEBHOOK`. Alerts carry the case
  link (:func:`case_url`) and ids, never the client's words or name. The outcome carries the
  organisation's crisis resources for the page the client sees next.
- :func:`prepare_submission` ``(session, intake, *, responses=None, intake_consents=None) ->
  PreparedSubmission`` (scores, reader consent, ruleset; writes nothing) and
  :func:`read_submission` ``(prepared) -> PreparedSubmission`` (the risk reader, no database):
  so that a caller can run the reader between two transactions, holding no connection or lock,
  and pass the result to :func:`process_submission`, which stores it unless the intake was
  saved to since it was prepared (then it prepares and reads again in its transaction).
- :func:`on_call_sequence` ``(session, organization_id) -> list[User]``: who is on call now,
  then who comes next (the escalation order): the organisation's :class:`OnCallRota` from its
  current position, or by default its active clinicians ordered by creation.
- :func:`set_on_call_rota` ``(session, organization_id, member_ids, *, position=0, now)``.
- :func:`read_risk_failing_closed` ``(text, critical_items) -> dict``: the reader's
  ``to_dict()``, or the fail-closed reading (``high``, ``reader_unavailable``) on any error.
- :func:`case_url` ``(case_url_base, intake_id) -> str``: ``<base>/review/intakes/<id>``, the
  path the review queue serves a case on.
- Alert messages: ``kind="crisis_alert"``, ``idempotency_key =
  "crisis_alert:<intake id>:<user id or 'webhook'>"``, ``payload = {"intake_id",
  "suggestion_id", "organization_id", "urgency", "case_url", "oncall_user_id"}``.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from alongside.audit.service import record
from alongside.errors import Conflict, InvalidInput
from alongside.instruments import get_instrument, score_instrument
from alongside.intake.questions import answers_for_scoring
from alongside.models import (
    AuditAction,
    AuditOutcome,
    AuditPurpose,
    Consent,
    Intake,
    IntakeStatus,
    OnCallRota,
    QuestionnaireResponse,
    RiskReading,
    Role,
    Score,
    Suggestion,
    SuggestionStatus,
    User,
)
from alongside.models.base import new_id
from alongside.notify.service import enqueue
from alongside.triage.crisis_admin import resources_for_organization
from alongside.triage.crisis_resources import CrisisResources
from alongside.triage.engine import (
    READER_UNAVAILABLE,
    TriageProposal,
    inputs_digest,
    propose_triage,
)
from alongside.triage.inputs import critical_items, unavailable_reading
from alongside.triage.rulesets import Ruleset, default_ruleset

log = logging.getLogger("alongside.triage")

ALERT_KIND = "crisis_alert"
ONCALL_WEBHOOK = "oncall"
TRIAGE_KIND = "triage"
CRISIS = "crisis"
CASE_PATH = "/review/intakes/{intake_id}"


@dataclass(frozen=True)
class SubmitOutcome:
    """What the submit response needs: never the proposal itself (a clinician decides first)."""

    intake_id: uuid.UUID
    suggestion_id: uuid.UUID
    crisis: bool
    crisis_resources: CrisisResources | None
    alert_message_ids: tuple[uuid.UUID, ...]
    needs_human_reading: bool


def case_url(case_url_base: str, intake_id: uuid.UUID) -> str:
    """The link to the case in the review queue, as alerts carry it."""
    return case_url_base.rstrip("/") + CASE_PATH.format(intake_id=intake_id)


def _reader() -> Callable[..., Any]:
    """The risk reader's ``read_risk``; imported late so a missing reader fails closed."""
    from alongside.risk import read_risk

    return read_risk


def read_risk_failing_closed(text: str, items: Sequence[str]) -> dict[str, Any]:
    """Read the text for risk; any failure at all gives the fail-closed reading."""
    try:
        reading: dict[str, Any] = _reader()(text, critical_items=items).to_dict()
    except Exception as error:  # anything at all: fail closed (invariant 2)
        log.warning("risk_reader_failed", extra={"error_type": type(error).__name__})
        return unavailable_reading(type(error).__name__)
    return reading


def on_call_sequence(session: Session, organization_id: uuid.UUID) -> list[User]:
    """Who is on call now, then who comes next: the rota from its position, or the clinicians."""
    rota = session.scalar(select(OnCallRota).where(OnCallRota.organization_id == organization_id))
    if rota is not None and rota.member_ids:
        ids = [uuid.UUID(member) for member in rota.member_ids]
        users = {
            user.id: user
            for user in session.scalars(
                select(User)
                .where(User.id.in_(ids))
                .where(User.organization_id == organization_id)
                .where(User.is_active.is_(True))
            )
        }
        start = rota.position % len(ids)
        ordered = ids[start:] + ids[:start]
        members = [users[member] for member in ordered if member in users]
        if members:
            return members
    return list(
        session.scalars(
            select(User)
            .where(User.organization_id == organization_id)
            .where(User.role == Role.CLINICIAN)
            .where(User.is_active.is_(True))
            .order_by(User.created_at, User.id)
        )
    )


def set_on_call_rota(
    session: Session,
    organization_id: uuid.UUID,
    member_ids: Sequence[uuid.UUID],
    *,
    position: int = 0,
    now: datetime,
) -> OnCallRota:
    """Create or replace the organisation's rota (members must be its active staff)."""
    if not member_ids:
        raise InvalidInput("member_ids: the rota needs at least one person.")
    known = set(
        session.scalars(
            select(User.id)
            .where(User.id.in_(list(member_ids)))
            .where(User.organization_id == organization_id)
            .where(User.is_active.is_(True))
        )
    )
    unknown = [str(member) for member in member_ids if member not in known]
    if unknown:
        raise InvalidInput(f"member_ids: not active staff of this organisation: {unknown}")
    if not 0 <= position < len(member_ids):
        raise InvalidInput("position: must point at a member of the rota.")
    rota = session.scalar(select(OnCallRota).where(OnCallRota.organization_id == organization_id))
    if rota is None:
        rota = OnCallRota(organization_id=organization_id)
        session.add(rota)
    rota.member_ids = [str(member) for member in member_ids]
    rota.position = position
    rota.updated_at = now
    session.flush()
    return rota


def _mark_submitted(
    session: Session,
    intake: Intake,
    now: datetime,
    *,
    unchanged_since: datetime | None = None,
    needs_human_reading: bool | None = None,
) -> bool:
    """Compare-and-set: of two submits racing, exactly one moves the intake out of "open".

    With ``unchanged_since`` (the ``updated_at`` the submission was prepared from) it applies
    only if nothing was saved since, and answers False otherwise; a submitted intake raises
    :class:`Conflict` either way."""
    values: dict[str, Any] = {
        "status": IntakeStatus.SUBMITTED,
        "submitted_at": now,
        "updated_at": now,
    }
    if needs_human_reading is not None:
        values["needs_human_reading"] = needs_human_reading
    statement = (
        update(Intake)
        .where(Intake.id == intake.id)
        .where(Intake.status == IntakeStatus.OPEN)
        .values(values)
        .execution_options(synchronize_session=False)
    )
    if unchanged_since is not None:
        statement = statement.where(Intake.updated_at == unchanged_since)
    result = session.execute(statement)
    if result.rowcount != 1:  # type: ignore[attr-defined]
        if unchanged_since is None:
            raise Conflict("This intake was already submitted.")
        return False
    # What the UPDATE stored, set as the loaded state (not as changes to write again).
    for name, value in values.items():
        set_committed_value(intake, name, value)
    return True


@dataclass(frozen=True)
class PreparedSubmission:
    """What storing a submission needs, worked out from the intake as it was read: the scores,
    whether software may read the words, the ruleset, and (once read) the reading."""

    updated_at: datetime | None
    scores: dict[str, dict[str, Any]]
    response_ids: dict[str, uuid.UUID]
    reader_consent: bool
    words: str
    ruleset: Ruleset
    risk: dict[str, Any] | None = None
    read: bool = False


def prepare_submission(
    session: Session,
    intake: Intake,
    *,
    responses: Mapping[str, QuestionnaireResponse] | None = None,
    intake_consents: Mapping[str, Consent] | None = None,
) -> PreparedSubmission:
    """Score the answers and look up the reader consent and the ruleset; writes nothing.

    ``responses`` (by instrument) and ``intake_consents`` (by purpose), when the caller has
    read them already, are not read again."""
    if responses is None:
        responses = {
            row.instrument_id: row
            for row in session.scalars(
                select(QuestionnaireResponse).where(QuestionnaireResponse.intake_id == intake.id)
            )
        }
    scores: dict[str, dict[str, Any]] = {}
    response_ids: dict[str, uuid.UUID] = {}
    for instrument_id in intake.instruments:
        response = responses.get(instrument_id)
        if response is None:
            raise InvalidInput(f"{instrument_id}: no answers were saved")
        definition = get_instrument(instrument_id)
        scores[instrument_id] = score_instrument(
            instrument_id, answers_for_scoring(definition, response.answer_map)
        ).to_dict()
        response_ids[instrument_id] = response.id
    # The client's latest decision: one withdrawn in "My consents" after this intake's consent
    # page applies to this submission too.
    from alongside.privacy.consents import reader_consent_in_force

    return PreparedSubmission(
        updated_at=intake.updated_at,
        scores=scores,
        response_ids=response_ids,
        reader_consent=reader_consent_in_force(session, intake, intake_consents=intake_consents),
        words=intake.own_words or "",
        ruleset=_organization_ruleset(session, intake.organization_id),
    )


def read_submission(prepared: PreparedSubmission) -> PreparedSubmission:
    """Run the risk reader on the words, if the client consented (fails closed); needs no
    database, so a caller can run it holding no connection or lock."""
    if prepared.read:
        return prepared
    risk = None
    if prepared.reader_consent:
        risk = read_risk_failing_closed(prepared.words, critical_items(prepared.scores))
    return replace(prepared, risk=risk, read=True)


def _store_scores(
    session: Session, intake: Intake, prepared: PreparedSubmission, now: datetime
) -> None:
    for instrument_id, result in prepared.scores.items():
        session.add(
            Score(
                organization_id=intake.organization_id,
                client_id=intake.client_id,
                intake_id=intake.id,
                questionnaire_response_id=prepared.response_ids[instrument_id],
                instrument_id=instrument_id,
                instrument_version=str(result["version"]),
                total=result["total"],
                severity=str(result["severity"]),
                flags=list(result["flags"]),
                result=json.dumps(result, sort_keys=True),
                scored_at=now,
            )
        )


def _store_reading(
    session: Session, intake: Intake, reading: Mapping[str, Any], now: datetime
) -> RiskReading:
    evidence = list(reading.get("evidence") or [])
    row = RiskReading(
        organization_id=intake.organization_id,
        client_id=intake.client_id,
        intake_id=intake.id,
        level=str(reading.get("level")),
        probability=float(reading.get("probability") or 0.0),
        reader_available=not any(e.get("signal") == READER_UNAVAILABLE for e in evidence),
        versions={str(k): str(v) for k, v in dict(reading.get("versions") or {}).items()},
        evidence=json.dumps(evidence, sort_keys=True),
        reasons=json.dumps(list(reading.get("reasons") or [])),
        read_at=now,
    )
    session.add(row)
    return row


def _crisis_resources(session: Session, organization_id: uuid.UUID) -> CrisisResources:
    # Any country is answered (at worst "call your local emergency number"), with the
    # organisation's own local services added.
    return resources_for_organization(session, organization_id)


def _alert(
    session: Session,
    intake: Intake,
    suggestion: Suggestion,
    *,
    now: datetime,
    case_url_base: str,
    oncall_webhook: bool,
) -> list[uuid.UUID]:
    link = case_url(case_url_base, intake.id)
    on_call = on_call_sequence(session, intake.organization_id)
    first = on_call[0] if on_call else None
    payload = {
        "intake_id": str(intake.id),
        "suggestion_id": str(suggestion.id),
        "organization_id": str(intake.organization_id),
        "urgency": CRISIS,
        "case_url": link,
        "oncall_user_id": None if first is None else str(first.id),
    }
    subject = "Crisis alert: an intake needs a clinician now"
    body = (
        "An intake submitted just now was triaged as crisis by Alongside's rules. The client "
        "was shown crisis resources and told that a clinician is being contacted.\n\n"
        f"Open the case: {link}\n\n"
        "This message holds no client details; sign in to see them and record what you did."
    )
    sent: list[uuid.UUID] = []
    if first is not None:
        message = enqueue(
            session,
            kind=ALERT_KIND,
            channel="email",
            recipient=first.email,
            subject=subject,
            body=body,
            payload=payload,
            idempotency_key=f"{ALERT_KIND}:{intake.id}:{first.id}",
            organization_id=intake.organization_id,
            now=now,
        )
        sent.append(message.id)
        suggestion.alerted_user_id = first.id
    else:
        log.error("crisis_alert_no_on_call", extra={"organization_id": str(intake.organization_id)})
    if oncall_webhook:
        message = enqueue(
            session,
            kind=ALERT_KIND,
            channel="webhook",
            recipient=ONCALL_WEBHOOK,
            subject=subject,
            body=body,
            payload=payload,
            idempotency_key=f"{ALERT_KIND}:{intake.id}:webhook",
            organization_id=intake.organization_id,
            now=now,
        )
        sent.append(message.id)
    if sent:
        suggestion.alerted_at = now
    return sent


def _organization_ruleset(session: Session, organization_id: uuid.UUID) -> Ruleset:
    # The clinical lead's active version; if it cannot be loaded, the published default still
    # triages the intake (fail closed: a broken rules file must never leave a case unproposed).
    from alongside.triage.rule_changes import active_ruleset

    try:
        return active_ruleset(session, organization_id)
    except Exception:
        log.exception("active_ruleset_unavailable", extra={"event": "ruleset_fallback"})
        return default_ruleset()


def _propose(prepared: PreparedSubmission) -> TriageProposal:
    return propose_triage(
        scores=prepared.scores,
        risk=prepared.risk,
        reader_consent=prepared.reader_consent,
        ruleset=prepared.ruleset,
        wrote_words=bool(prepared.words.strip()),
    )


def process_submission(
    session: Session,
    intake: Intake,
    *,
    now: datetime,
    case_url_base: str,
    oncall_webhook: bool,
    prepared: PreparedSubmission | None = None,
) -> SubmitOutcome:
    """Score, read (with consent), propose, store and alert, all in the caller's transaction.

    With ``prepared`` (from :func:`prepare_submission`, read or not yet), what it holds is
    stored if nothing was saved to the intake since it was prepared; otherwise (another tab
    saved an answer meanwhile) the submission is prepared and read again in this transaction.
    """
    if prepared is None:
        _mark_submitted(session, intake, now)
        prepared = read_submission(prepare_submission(session, intake))
        proposal = _propose(prepared)
        intake.needs_human_reading = proposal.needs_human_reading
    else:
        prepared = read_submission(prepared)
        proposal = _propose(prepared)
        # An intake never saved to has no updated_at to compare: prepare it again below.
        if prepared.updated_at is None or not _mark_submitted(
            session,
            intake,
            now,
            unchanged_since=prepared.updated_at,
            needs_human_reading=proposal.needs_human_reading,
        ):
            _mark_submitted(session, intake, now)
            # Another request saved to this intake after it was prepared: read it all again.
            session.expire_all()
            prepared = read_submission(prepare_submission(session, intake))
            proposal = _propose(prepared)
            intake.needs_human_reading = proposal.needs_human_reading
    _store_scores(session, intake, prepared, now)
    risk = prepared.risk
    if prepared.reader_consent and risk is not None:
        _store_reading(session, intake, risk, now)
    inputs = {
        "scores": prepared.scores,
        "risk": risk,
        "reader_consent": prepared.reader_consent,
        "wrote_words": bool(prepared.words.strip()),
    }
    scores = prepared.scores
    suggestion = Suggestion(
        id=new_id(),
        organization_id=intake.organization_id,
        client_id=intake.client_id,
        intake_id=intake.id,
        kind=TRIAGE_KIND,
        status=SuggestionStatus.PROPOSED,
        urgency=proposal.urgency,
        pathway=proposal.pathway,
        alternative_pathways=list(proposal.alternative_pathways),
        fired_rules=list(proposal.fired_rules),
        needs_human_reading=proposal.needs_human_reading,
        inputs_digest=inputs_digest(inputs),
        versions={
            **dict(proposal.versions),
            "instruments": {name: str(score["version"]) for name, score in scores.items()},
            "risk": None if risk is None else dict(risk.get("versions") or {}),
        },
        reasons=json.dumps([reason.model_dump(mode="json") for reason in proposal.reasons]),
        inputs=json.dumps(inputs, sort_keys=True),
        proposed_at=now,
    )
    session.add(suggestion)
    crisis = proposal.urgency == CRISIS
    alerts: list[uuid.UUID] = []
    if crisis:
        alerts = _alert(
            session,
            intake,
            suggestion,
            now=now,
            case_url_base=case_url_base,
            oncall_webhook=oncall_webhook,
        )
        session.flush()
        # The alert's own row (who was alerted, when it goes on to the next person) exists
        # from this moment, in the same transaction: nobody has to open the case for it.
        from alongside.triage.escalation import open_crisis_alert

        open_crisis_alert(session, suggestion, now=now)
    for resource_type, resource_id in (("intake", intake.id), ("suggestion", suggestion.id)):
        record(
            session,
            actor=None,
            action=AuditAction.CREATE if resource_type == "suggestion" else AuditAction.UPDATE,
            resource_type=resource_type,
            resource_id=resource_id,
            client_id=intake.client_id,
            organization_id=intake.organization_id,
            purpose=AuditPurpose.TREATMENT,
            outcome=AuditOutcome.SUCCESS,
            now=now,
        )
    return SubmitOutcome(
        intake_id=intake.id,
        suggestion_id=suggestion.id,
        crisis=crisis,
        crisis_resources=_crisis_resources(session, intake.organization_id),
        alert_message_ids=tuple(alerts),
        needs_human_reading=proposal.needs_human_reading,
    )
