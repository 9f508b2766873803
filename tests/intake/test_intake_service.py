"""Intake service: links, consent, answers, resume, and what submit stores and alerts."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from alongside.errors import Conflict, InvalidInput, NotFound
from alongside.intake import service
from alongside.models import (
    AuditEvent,
    CareTeam,
    Client,
    Consent,
    Intake,
    IntakeStatus,
    OutboxMessage,
    QuestionnaireResponse,
    ReviewAssignment,
    RiskReading,
    Role,
    Score,
    Suggestion,
)
from alongside.triage import service as triage_service
from tests.fixtures.factories import World, create_staff
from tests.intake.conftest import CALM, CRISIS, NOW, answer_instrument, complete

BASE = "https://clinic.example"


def submit(db: Session, intake: Intake, *, webhook: bool = False) -> triage_service.SubmitOutcome:
    return service.submit_intake(
        db, intake, now=NOW + timedelta(minutes=5), case_url_base=BASE, oncall_webhook=webhook
    )


def test_token_is_random_and_only_its_hash_is_stored(
    db: Session, created: service.CreatedIntake
) -> None:
    intake = created.intake
    assert len(created.token) >= 43  # 32 bytes url-safe: 256 bits
    assert intake.token_hash == service.hash_token(created.token)
    assert created.token not in intake.token_hash
    assert intake.instruments == ["phq9", "gad7", "cssrs-screen"]
    assert intake.expires_at == NOW + timedelta(days=14)
    assert service.open_intake(db, created.token, NOW).id == intake.id


def test_create_for_new_client_encrypts_and_adds_reviewer_to_the_care_team(
    db: Session, world: World
) -> None:
    coordinator = world.users[Role.COORDINATOR]
    reviewer = world.users[Role.CLINICIAN]
    created = service.create_intake(
        db,
        actor=coordinator,
        new_client=service.NewClientDetails("Ada", "Byron", "ada@example.org", "en"),
        reviewer_id=reviewer.id,
        instruments=["gad7", "phq9"],
        now=NOW,
    )
    client = db.get(Client, created.intake.client_id)
    assert client is not None
    assert client.given_name == "Ada"
    assert b"Ada" not in client.given_name_ct
    # The reviewer is assigned this intake, not put on the care team.
    team = db.scalar(
        select(CareTeam).where(
            CareTeam.client_id == client.id, CareTeam.clinician_id == reviewer.id
        )
    )
    assert team is None
    assignment = db.scalar(
        select(ReviewAssignment).where(ReviewAssignment.intake_id == created.intake.id)
    )
    assert assignment is not None
    assert assignment.reviewer_id == reviewer.id
    assert assignment.assigned_by_id == coordinator.id
    assert created.intake.instruments == ["phq9", "gad7"]  # display order
    events = db.scalars(select(AuditEvent).where(AuditEvent.resource_id == str(created.intake.id)))
    assert [e.action for e in events] == ["create"]


def test_coordinator_must_choose_a_reviewer(db: Session, world: World) -> None:
    with pytest.raises(InvalidInput, match="reviewer_id"):
        service.create_intake(
            db,
            actor=world.users[Role.COORDINATOR],
            new_client=service.NewClientDetails("A", "B"),
            now=NOW,
        )


def test_other_organisations_staff_cannot_create_for_your_client(db: Session, world: World) -> None:
    foreign = create_staff(db, world.other_org, Role.COORDINATOR)
    foreign_clinician = create_staff(db, world.other_org, Role.CLINICIAN)
    with pytest.raises(NotFound):
        service.create_intake(
            db,
            actor=foreign,
            client_id=world.own_client.id,
            reviewer_id=foreign_clinician.id,
            now=NOW,
        )


def test_clinician_cannot_create_for_a_client_outside_their_care_team(
    db: Session, world: World
) -> None:
    with pytest.raises(NotFound):
        service.create_intake(
            db, actor=world.users[Role.CLINICIAN], client_id=world.outside_client.id, now=NOW
        )


def test_admin_may_not_create_intakes(db: Session, world: World) -> None:
    with pytest.raises(NotFound):
        service.create_intake(
            db,
            actor=world.users[Role.ADMIN],
            new_client=service.NewClientDetails("A", "B"),
            reviewer_id=world.users[Role.CLINICIAN].id,
            now=NOW,
        )


def test_unknown_instrument_is_named(db: Session, world: World) -> None:
    with pytest.raises(InvalidInput, match="phq10"):
        service.create_intake(
            db,
            actor=world.users[Role.CLINICIAN],
            client_id=world.own_client.id,
            instruments=["phq10"],
            now=NOW,
        )


def test_expired_and_unknown_links(db: Session, created: service.CreatedIntake) -> None:
    with pytest.raises(service.IntakeExpired):
        service.open_intake(db, created.token, NOW + timedelta(days=14))
    with pytest.raises(service.IntakeNotFound):
        service.open_intake(db, created.token + "x", NOW)


def test_consent_is_recorded_per_purpose_with_the_text_version(
    db: Session, created: service.CreatedIntake
) -> None:
    intake = created.intake
    with pytest.raises(service.IntakeFormInvalid) as refused:
        service.record_consent(db, intake, processing=False, software_reading=None, now=NOW)
    assert len(refused.value.errors) == 2
    service.record_consent(db, intake, processing=True, software_reading="no", now=NOW)
    rows = {c.purpose: c for c in db.scalars(select(Consent).where(Consent.intake_id == intake.id))}
    assert rows["intake_processing"].granted is True
    assert rows["software_reading"].granted is False
    assert {c.text_version for c in rows.values()} == {"intake-consent-en-2"}


def test_answers_are_encrypted_saved_per_page_and_resumable(
    db: Session, created: service.CreatedIntake
) -> None:
    intake = created.intake
    service.record_consent(db, intake, processing=True, software_reading="yes", now=NOW)
    answer_instrument(db, intake, "phq9", CALM["phq9"])
    # Resume: a fresh look-up by the same token finds where the client left off.
    again = service.open_intake(db, created.token, NOW + timedelta(days=1))
    state = service.progress(db, again)
    assert state.done == {"consent", "phq9"}
    assert state.next_step == "gad7"
    row = db.scalar(
        select(QuestionnaireResponse).where(QuestionnaireResponse.intake_id == intake.id)
    )
    assert row is not None
    assert b"q9" not in row.answers_ct
    assert row.answer_map == CALM["phq9"]


def test_cssrs_skip_logic_takes_parts_and_resumes_mid_instrument(
    db: Session, created: service.CreatedIntake
) -> None:
    intake = created.intake
    service.record_consent(db, intake, processing=True, software_reading="yes", now=NOW)
    assert (
        service.save_instrument_part(db, intake, "cssrs-screen", 0, {"q1": "1", "q2": "1"}, NOW)
        == 1
    )
    state = service.progress(db, intake)
    assert "cssrs-screen" not in state.done
    assert (state.next_step, state.next_part) == ("phq9", 0)
    next_part = service.save_instrument_part(
        db, intake, "cssrs-screen", 1, {"q3": "0", "q4": "0", "q5": "0", "q6": "1"}, NOW
    )
    assert next_part == 2
    with pytest.raises(service.IntakeFormInvalid, match="Question 6 follow-up: please choose"):
        service.save_instrument_part(db, intake, "cssrs-screen", 2, {}, NOW)
    assert (
        service.save_instrument_part(db, intake, "cssrs-screen", 2, {"q6_recent": "0"}, NOW) is None
    )
    # Changing question 2 to no drops the answers to questions 3-5, which are no longer asked.
    service.save_instrument_part(db, intake, "cssrs-screen", 0, {"q1": "1", "q2": "0"}, NOW)
    answers = service.progress(db, intake).answers["cssrs-screen"]
    assert answers == {"q1": 1, "q2": 0, "q6": 1, "q6_recent": 0}


def test_validation_names_the_question(db: Session, created: service.CreatedIntake) -> None:
    intake = created.intake
    service.record_consent(db, intake, processing=True, software_reading="yes", now=NOW)
    form = {f"q{i}": "0" for i in range(1, 10) if i != 3} | {"q5": "7"}
    with pytest.raises(service.IntakeFormInvalid) as refused:
        service.save_instrument_part(db, intake, "phq9", 0, form, NOW)
    messages = [e.message for e in refused.value.errors]
    assert messages == [
        "Question 3: please choose an answer",
        "Question 5: please choose an answer",
    ]
    assert refused.value.errors[0].field_id == "phq9-q3-0"


def test_answers_need_consent_first(db: Session, created: service.CreatedIntake) -> None:
    with pytest.raises(InvalidInput, match="agree"):
        service.save_instrument_part(db, created.intake, "phq9", 0, {}, NOW)


def test_submit_before_finishing_names_the_missing_pages(
    db: Session, created: service.CreatedIntake
) -> None:
    service.record_consent(db, created.intake, processing=True, software_reading="no", now=NOW)
    with pytest.raises(service.IntakeFormInvalid, match="PHQ-9: not finished"):
        submit(db, created.intake)


def test_submit_scores_reads_and_proposes(db: Session, created: service.CreatedIntake) -> None:
    intake = created.intake
    complete(db, intake, CALM)
    outcome = submit(db, intake)
    assert intake.status is IntakeStatus.SUBMITTED
    scores = {
        s.instrument_id: s for s in db.scalars(select(Score).where(Score.intake_id == intake.id))
    }
    assert scores["phq9"].total == 8
    assert scores["phq9"].severity == "mild"
    assert scores["gad7"].total == 7
    assert scores["cssrs-screen"].total is None
    assert scores["phq9"].instrument_version == "1.0.0"
    assert scores["phq9"].result_dict["answers"] == [1, 1, 1, 1, 1, 1, 1, 1, 0]
    reading = db.scalar(select(RiskReading).where(RiskReading.intake_id == intake.id))
    assert reading is not None
    assert reading.versions
    suggestion = db.get(Suggestion, outcome.suggestion_id)
    assert suggestion is not None
    assert (suggestion.kind, suggestion.status.value) == ("triage", "proposed")
    assert len(suggestion.inputs_digest) == 64
    assert suggestion.versions["instruments"] == {
        "phq9": "1.0.0",
        "gad7": "1.0.0",
        "cssrs-screen": "1.1.0",
    }
    assert suggestion.versions["risk"] is not None
    assert suggestion.reason_list
    assert suggestion.pathway
    assert suggestion.inputs_dict["reader_consent"] is True
    assert not outcome.crisis
    assert outcome.crisis_resources is not None  # always listed at the bottom
    assert db.scalars(select(OutboxMessage)).all() == []


def test_the_link_is_single_use(db: Session, created: service.CreatedIntake) -> None:
    complete(db, created.intake, CALM)
    submit(db, created.intake)
    with pytest.raises(service.IntakeAlreadySubmitted):
        service.open_intake(db, created.token, NOW)
    with pytest.raises(Conflict):
        triage_service.process_submission(
            db, created.intake, now=NOW, case_url_base=BASE, oncall_webhook=False
        )


def test_declined_reading_stores_no_reading_and_needs_a_person(
    db: Session, created: service.CreatedIntake, monkeypatch: pytest.MonkeyPatch
) -> None:
    def must_not_read(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the reader was called without consent")

    monkeypatch.setattr(triage_service, "_reader", lambda: must_not_read)
    complete(db, created.intake, CALM, reading=False)
    outcome = submit(db, created.intake)
    assert db.scalar(select(RiskReading).where(RiskReading.intake_id == created.intake.id)) is None
    suggestion = db.get(Suggestion, outcome.suggestion_id)
    assert suggestion is not None
    assert suggestion.needs_human_reading is True
    assert created.intake.needs_human_reading is True
    # Declining never lowers priority: a person reads the words within the urgent target.
    assert suggestion.urgency == "urgent"
    assert "reader-declined-words" in suggestion.fired_rules


def test_declining_with_no_words_adds_nothing(db: Session, created: service.CreatedIntake) -> None:
    complete(db, created.intake, CALM, words="", reading=False)
    outcome = submit(db, created.intake)
    suggestion = db.get(Suggestion, outcome.suggestion_id)
    assert suggestion is not None
    assert suggestion.needs_human_reading is False
    assert suggestion.urgency == "routine"
    assert "reader-declined-words" not in suggestion.fired_rules


def _reader_reading(*signals: tuple[str, str, str, str]) -> object:
    """A reader that reads the given C-SSRS-shaped signals (the risk reader's own types)."""
    from alongside.risk.reading import Level, RiskReading, RiskSignal

    def read(text: str, **_kwargs: object) -> RiskReading:
        return RiskReading(
            level=Level.LOW,
            probability=0.1,
            versions={"model": "test"},
            signals=tuple(
                RiskSignal(
                    construct=construct,  # type: ignore[arg-type]
                    recency=recency,  # type: ignore[arg-type]
                    subject=subject,  # type: ignore[arg-type]
                    start=text.index(phrase),
                    end=text.index(phrase) + len(phrase),
                    text=phrase,
                )
                for construct, recency, subject, phrase in signals
            ),
            language="en",
        )

    return read


def test_words_alone_reach_crisis_with_the_same_alert_and_resources(
    db: Session,
    created: service.CreatedIntake,
    world: World,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    words = "I tried to hang myself two weeks ago."
    reader = _reader_reading(("attempt", "recent", "self", "tried to hang myself"))
    monkeypatch.setattr(triage_service, "_reader", lambda: reader)
    complete(db, created.intake, CALM, words=words)
    outcome = submit(db, created.intake)
    assert outcome.crisis
    suggestion = db.get(Suggestion, outcome.suggestion_id)
    assert suggestion is not None
    assert (suggestion.urgency, suggestion.pathway) == ("crisis", "crisis-team")
    assert "words-recent-attempt" in suggestion.fired_rules
    reason = next(r for r in suggestion.reason_list if r["rule_id"] == "words-recent-attempt")
    assert reason["text"].startswith('Read from the client\'s words: "tried to hang myself"')
    (message,) = db.scalars(select(OutboxMessage)).all()
    assert message.kind == "crisis_alert"
    assert "hang" not in message.body
    assert suggestion.alerted_user_id == triage_service.on_call_sequence(db, world.org.id)[0].id
    assert outcome.crisis_resources is not None
    assert outcome.crisis_resources.resources


def test_words_about_someone_else_raise_safeguarding_not_crisis(
    db: Session, created: service.CreatedIntake, monkeypatch: pytest.MonkeyPatch
) -> None:
    words = "My son took an overdose last week."
    reader = _reader_reading(("attempt", "recent", "other", "My son took an overdose"))
    monkeypatch.setattr(triage_service, "_reader", lambda: reader)
    complete(db, created.intake, CALM, words=words)
    outcome = submit(db, created.intake)
    assert not outcome.crisis
    suggestion = db.get(Suggestion, outcome.suggestion_id)
    assert suggestion is not None
    assert suggestion.urgency == "urgent"
    assert "safeguarding-other-person" in suggestion.fired_rules
    assert db.scalars(select(OutboxMessage)).all() == []


def test_crisis_answers_commit_one_alert_with_the_intake(
    db: Session, created: service.CreatedIntake, world: World
) -> None:
    complete(db, created.intake, CRISIS, words="Secret words about Given")
    outcome = submit(db, created.intake)
    assert outcome.crisis
    messages = db.scalars(select(OutboxMessage)).all()
    assert len(messages) == 1
    message = messages[0]
    assert message.kind == "crisis_alert"
    assert message.payload["intake_id"] == str(created.intake.id)
    assert f"{BASE}/review/intakes/{created.intake.id}" in message.body
    client = db.get(Client, created.intake.client_id)
    assert client is not None
    for secret in ("Secret", client.given_name, client.family_name):
        assert secret not in message.body
        assert secret not in message.subject
        assert secret not in json.dumps(message.payload)
    expected = triage_service.on_call_sequence(db, world.org.id)[0]
    assert message.recipient == expected.email
    suggestion = db.get(Suggestion, outcome.suggestion_id)
    assert suggestion is not None
    assert suggestion.alerted_user_id == expected.id
    assert outcome.crisis_resources is not None
    assert outcome.crisis_resources.resources[0].contact == "911"


def test_crisis_alert_also_goes_to_the_oncall_webhook_when_configured(
    db: Session, created: service.CreatedIntake
) -> None:
    complete(db, created.intake, CRISIS)
    outcome = submit(db, created.intake, webhook=True)
    messages = db.scalars(select(OutboxMessage)).all()
    assert sorted(m.channel.value for m in messages) == ["email", "webhook"]
    assert [m.recipient for m in messages if m.channel.value == "webhook"] == ["oncall"]
    assert len(outcome.alert_message_ids) == 2


def test_failing_reader_is_urgent_and_crisis_answers_still_alert(
    db: Session, created: service.CreatedIntake, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("model exploded")

    monkeypatch.setattr(triage_service, "_reader", lambda: broken)
    complete(db, created.intake, CRISIS)
    outcome = submit(db, created.intake)
    reading = db.scalar(select(RiskReading).where(RiskReading.intake_id == created.intake.id))
    assert reading is not None
    assert reading.reader_available is False
    assert reading.level == "high"
    suggestion = db.get(Suggestion, outcome.suggestion_id)
    assert suggestion is not None
    assert "reader-unavailable" in suggestion.fired_rules
    assert suggestion.needs_human_reading is True
    assert outcome.crisis
    assert len(db.scalars(select(OutboxMessage)).all()) == 1


def test_failing_reader_without_crisis_answers_is_at_least_urgent(
    db: Session, created: service.CreatedIntake, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise TimeoutError

    monkeypatch.setattr(triage_service, "_reader", lambda: broken)
    complete(db, created.intake, CALM)
    outcome = submit(db, created.intake)
    suggestion = db.get(Suggestion, outcome.suggestion_id)
    assert suggestion is not None
    assert suggestion.urgency == "urgent"
    texts = " ".join(r["text"] for r in suggestion.reason_list).lower()
    assert "not screened by software" in texts
    assert db.scalars(select(OutboxMessage)).all() == []


def test_on_call_rota_order_and_default(db: Session, world: World) -> None:
    default = triage_service.on_call_sequence(db, world.org.id)
    assert [u.role for u in default] == [Role.CLINICIAN] * len(default)
    assert default == sorted(default, key=lambda u: (u.created_at, u.id))
    lead = world.users[Role.CLINICAL_LEAD]
    clinician = world.users[Role.CLINICIAN]
    triage_service.set_on_call_rota(db, world.org.id, [clinician.id, lead.id], position=1, now=NOW)
    assert triage_service.on_call_sequence(db, world.org.id) == [lead, clinician]
    foreign = create_staff(db, world.other_org, Role.CLINICIAN)
    with pytest.raises(InvalidInput, match="not active staff of this organisation"):
        triage_service.set_on_call_rota(db, world.org.id, [foreign.id], now=NOW)
    with pytest.raises(InvalidInput, match="the rota needs at least one person"):
        triage_service.set_on_call_rota(db, world.org.id, [], now=NOW)
    for position in (-1, 2):
        with pytest.raises(InvalidInput, match="must point at a member of the rota"):
            triage_service.set_on_call_rota(
                db, world.org.id, [clinician.id, lead.id], position=position, now=NOW
            )
    # Refused changes leave the rota as it was.
    assert triage_service.on_call_sequence(db, world.org.id) == [lead, clinician]


def test_missing_model_file_is_urgent_not_screened_by_software(
    db: Session,
    created: service.CreatedIntake,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    from alongside.risk import RiskReader

    reader = RiskReader.load(tmp_path / "no-model-here.json")
    monkeypatch.setattr(triage_service, "_reader", lambda: reader.read)
    complete(db, created.intake, CALM)
    outcome = submit(db, created.intake)
    suggestion = db.get(Suggestion, outcome.suggestion_id)
    assert suggestion is not None
    assert suggestion.urgency == "urgent"
    assert "reader-unavailable" in suggestion.fired_rules
    reading = db.scalar(select(RiskReading).where(RiskReading.intake_id == created.intake.id))
    assert reading is not None
    assert reading.reader_available is False


def test_an_intake_without_answers_cannot_be_triaged(
    db: Session, created: service.CreatedIntake
) -> None:
    first = created.intake.instruments[0]
    with pytest.raises(InvalidInput, match=f"{first}: no answers were saved"):
        triage_service.prepare_submission(db, created.intake)
