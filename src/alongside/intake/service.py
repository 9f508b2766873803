"""Intake service: staff create single-use links; the client consents, answers and submits.

API (services flush, never commit; routes and the CLI own the transaction)
-------------------------------------------------------------------------
Staff:

- :func:`create_intake` ``(session, *, actor, client_id=None, new_client=None,
  instruments=None, reviewer_id=None, reason=None, expires_in=DEFAULT_EXPIRY, now,
  send=None) -> CreatedIntake``: for an existing client the actor may read, or a
  new client (created encrypted). The reviewing clinician gets a
  :class:`~alongside.models.ReviewAssignment`: that intake's case only, until the decision and
  a grace period after it (never the client's record; lasting access comes from the care team
  or emergency access). Assigning a reviewer
  outside an existing client's care team needs a reason; the clinical lead sees every such
  assignment. Returns the token once (only its SHA-256 is stored). Audited (the assignment
  too, in the client's access log). Refusals answer :class:`NotFound`. With ``send`` (a
  :class:`LinkSending`: by email or by text message, and the clinic's public address) the link
  is also queued to the client's email address or mobile number through the outbox (encrypted
  with the client's key, in the same transaction, audited); a client without an address or a
  number a text can go to is an :class:`InvalidInput` before anything is made. Whether text
  messages are set up at all is the caller's to check (settings).
- :func:`reviewer_choices` ``(session, actor) -> list[User]``: clinicians who may review.

The client (the token is the credential; every call is audited as the client's access):

- :func:`open_intake` ``(session, token, now) -> Intake``: :class:`IntakeNotFound` (404),
  :class:`IntakeExpired` (410) or :class:`IntakeAlreadySubmitted` (410).
- :func:`open_intake_with_saved` ``(session, token, now) -> tuple[Intake, SavedSoFar]``: the
  same, with what the client saved so far (consents, responses), the organisation and the
  client's wrapped data key, in one query. The pages read an intake this way once per request
  and pass ``saved`` to the functions below, whose writes keep it current; without ``saved``
  those functions read it themselves.
- :func:`progress` ``(session, intake, saved=None) -> Progress``: steps done and the next one.
- :func:`record_consent` ``(session, intake, *, processing, software_reading, now, saved=None)``.
- :func:`save_instrument_part` ``(session, intake, instrument_id, part, form, now, saved=None)
  -> int | None``: the next part of that instrument, or None when it is complete.
- :func:`save_own_words` ``(session, intake, text, now, saved=None)``.
- :func:`submit_intake` ``(session, intake, *, now, case_url_base, oncall_webhook, saved=None,
  prepared=None) -> SubmitOutcome``: checks every step is done, then runs
  :func:`alongside.triage.service.process_submission` in the same transaction.
  :func:`prepare_submission` ``(session, intake, saved=None) -> PreparedSubmission`` does the
  checks, the scoring and the reading of the words beforehand, so that a caller can end its
  transaction first and run the risk reader holding no connection or lock (the submit page
  does); ``prepared`` then hands the result to :func:`submit_intake`.

Validation errors raise :class:`IntakeFormInvalid` with one :class:`FieldError` per question,
each message naming it ("Question 3: please choose an answer").
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from alongside.audit.service import record
from alongside.errors import AlongsideError, InvalidInput, NotFound
from alongside.instruments import get_instrument, list_instruments
from alongside.instruments.adaptive import follow_ups, reason_shown_with
from alongside.intake.consent_text import consent_text, current_consent_text
from alongside.intake.questions import (
    FieldError,
    current_part,
    is_complete,
    next_part_after,
    parts_of,
    read_part,
)
from alongside.models import (
    AuditAction,
    AuditOutcome,
    AuditPurpose,
    CareTeam,
    Client,
    ClientKey,
    Consent,
    Intake,
    IntakeStatus,
    Organization,
    OutboxChannel,
    QuestionnaireResponse,
    ReviewAssignment,
    Role,
    User,
)
from alongside.models.base import new_id
from alongside.models.consent import INTAKE_PROCESSING, SOFTWARE_READING
from alongside.models.encrypted import keyring_for
from alongside.notify.phone import sms_number
from alongside.notify.service import enqueue
from alongside.security.permissions import Action
from alongside.security.policy import Actor, can, readable_clients
from alongside.triage.service import (
    PreparedSubmission,
    SubmitOutcome,
    process_submission,
)
from alongside.triage.service import prepare_submission as triage_prepare
from alongside.triage.service import read_submission as triage_read
from alongside.zones import tz

DEFAULT_INSTRUMENTS: tuple[str, ...] = ("phq9", "gad7", "cssrs-screen")
DEFAULT_EXPIRY = timedelta(days=14)
INVITATION_KIND = "intake_link"
NO_EMAIL_ON_RECORD = (
    "Send by email: this client has no email address on their record. Add one on their page, "
    "or choose another way to send the link."
)
NO_EMAIL_ENTERED = (
    "Send by email: enter the new client's email address, or choose another way to send the link."
)
NO_MOBILE_ON_RECORD = (
    "Send by text message: this client has no mobile number on their record that a text can "
    "go to. Add one on their page, or choose another way to send the link."
)
NO_MOBILE_ENTERED = (
    "Send by text message: enter the new client's mobile number, or choose another way to "
    "send the link."
)
BAD_MOBILE = "Mobile number: enter the number with its area code, like +1 555 010 0123."
MAX_EXPIRY = timedelta(days=90)
# 32 random bytes: 256 bits, well above the 128 a guessing attacker would have to beat.
TOKEN_BYTES = 32
MAX_OWN_WORDS = 10_000
MIN_ASSIGNMENT_REASON = 10
MAX_ASSIGNMENT_REASON = 2000
REVIEWER_ROLES = frozenset({Role.CLINICIAN, Role.CLINICAL_LEAD})
CONSENT_STEP = "consent"
WORDS_STEP = "words"
REVIEW_STEP = "review"
NOT_AVAILABLE = "No client with this id is available to you."
LINK_NOT_FOUND = (
    "This intake link does not work. Please check you copied all of it, or contact the clinic "
    "for a new one."
)


class IntakeNotFound(NotFound):
    """No intake has this token."""


class IntakeExpired(AlongsideError):
    """The link's time ran out before it was submitted."""

    status_code = 410


class IntakeAlreadySubmitted(AlongsideError):
    """The intake was submitted; the link is spent."""

    status_code = 410


class IntakeFormInvalid(InvalidInput):
    """A page of the intake has answers missing or invalid; each error names its question."""

    def __init__(self, errors: Sequence[FieldError]) -> None:
        super().__init__("; ".join(error.message for error in errors))
        self.errors = list(errors)


@dataclass(frozen=True)
class NewClientDetails:
    """A client who is new to the clinic, as staff enter them on the intake form."""

    given_name: str
    family_name: str
    email: str | None = None
    preferred_language: str = "en"
    phone: str | None = None


@dataclass(frozen=True)
class LinkSending:
    """How to send a new link to the client through the outbox: ``by`` email or text message
    (``OutboxChannel.SMS``), with links starting at ``link_base`` (the clinic's configured
    address, never a request's Host header)."""

    by: OutboxChannel
    link_base: str


@dataclass(frozen=True)
class CreatedIntake:
    """A new intake and its token (shown once, never stored); ``sent_to`` is the address or
    number the link was queued to, and ``sent_by`` how, if it was sent."""

    intake: Intake
    token: str
    sent_to: str | None = None
    sent_by: OutboxChannel | None = None

    @property
    def path(self) -> str:
        """The link's path, to be put after the clinic's address."""
        return f"/intake/{self.token}"


@dataclass(frozen=True)
class Progress:
    """Which steps of an intake are done and which comes next."""

    steps: tuple[str, ...]
    done: frozenset[str]
    next_step: str
    next_part: int = 0
    answers: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    software_reading: bool | None = None


@dataclass
class SavedSoFar:
    """What the client saved in an intake so far: consents by purpose and questionnaire
    responses by instrument. Read once per request; the service's writes keep it current.

    ``organization`` is the intake's organisation when it was read along (by
    :func:`open_intake_with_saved`); holding it here also keeps it in the session's identity
    map, so that looking it up again by id costs no query."""

    consents: dict[str, Consent]
    responses: dict[str, QuestionnaireResponse]
    organization: Organization | None = None


def hash_token(token: str) -> str:
    """SHA-256 (hex) of a token: what the database holds instead of the token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def actor_for_user(session: Session, user: User) -> Actor:
    """The policy's view of a staff member (care team only; break-glass is not for intakes)."""
    care_team: frozenset[uuid.UUID] = frozenset()
    if user.role in REVIEWER_ROLES:
        care_team = frozenset(
            session.scalars(select(CareTeam.client_id).where(CareTeam.clinician_id == user.id))
        )
    return Actor(
        user_id=user.id,
        organization_id=user.organization_id,
        role=user.role.value,
        care_team_client_ids=care_team,
        client_id=user.client_id,
    )


def reviewer_choices(session: Session, actor: User) -> list[User]:
    """Active clinicians and clinical leads of the actor's organisation, by name."""
    users = session.scalars(
        select(User)
        .where(User.organization_id == actor.organization_id)
        .where(User.role.in_(sorted(REVIEWER_ROLES)))
        .where(User.is_active.is_(True))
    )
    return sorted(users, key=lambda user: user.display_name.casefold())


def _clean_instruments(instruments: Sequence[str] | None) -> list[str]:
    chosen = list(instruments) if instruments else list(DEFAULT_INSTRUMENTS)
    known = set(list_instruments())
    unknown = [name for name in chosen if name not in known]
    if unknown:
        raise InvalidInput(
            f"instruments: unknown {', '.join(unknown)}; known: {', '.join(list_instruments())}"
        )
    if len(set(chosen)) != len(chosen):
        raise InvalidInput("instruments: each instrument may be chosen once")
    order = {name: position for position, name in enumerate(list_instruments())}
    return sorted(chosen, key=order.__getitem__)


def _reviewer(session: Session, actor: User, reviewer_id: uuid.UUID | None) -> User:
    if reviewer_id is None:
        if actor.role in REVIEWER_ROLES:
            return actor
        raise InvalidInput("reviewer_id: choose the clinician who will review this intake.")
    reviewer = session.get(User, reviewer_id)
    if (
        reviewer is None
        or reviewer.organization_id != actor.organization_id
        or reviewer.role not in REVIEWER_ROLES
        or not reviewer.is_active
    ):
        raise InvalidInput("reviewer_id: choose an active clinician of your organisation.")
    return reviewer


def _new_client(session: Session, actor: User, details: NewClientDetails) -> Client:
    given, family = details.given_name.strip(), details.family_name.strip()
    if not given or not family:
        raise InvalidInput("new_client: given and family names are both needed.")
    if len(given) > 200 or len(family) > 200:
        raise InvalidInput("new_client: names are at most 200 characters.")
    email = (details.email or "").strip() or None
    if email is not None and ("@" not in email or len(email) > 254):
        raise InvalidInput("new_client.email: enter an email address like name@example.org.")
    phone = (details.phone or "").strip() or None
    if phone is not None and (len(phone) > 40 or sms_number(phone) is None):
        raise InvalidInput(BAD_MOBILE)
    language = details.preferred_language.strip() or "en"
    if len(language) > 16:
        raise InvalidInput("new_client.preferred_language: use a language code such as en.")
    client = Client(
        organization_id=actor.organization_id,
        given_name=given,
        family_name=family,
        email=email,
        phone=phone,
        preferred_language=language,
    )
    session.add(client)
    session.flush()
    return client


def create_intake(
    session: Session,
    *,
    actor: User,
    client_id: uuid.UUID | None = None,
    new_client: NewClientDetails | None = None,
    instruments: Sequence[str] | None = None,
    reviewer_id: uuid.UUID | None = None,
    reason: str | None = None,
    expires_in: timedelta = DEFAULT_EXPIRY,
    now: datetime,
    send: LinkSending | None = None,
) -> CreatedIntake:
    """Create an intake link for an existing client the actor may see, or a new client (and
    send it to them by email or text message through the outbox when ``send`` says how)."""
    policy_actor = actor_for_user(session, actor)
    if not can(policy_actor, Action.INTAKE_CREATE):
        raise NotFound("There is nothing at this address.")
    if (client_id is None) == (new_client is None):
        raise InvalidInput("Choose an existing client or enter a new one (not both).")
    if not timedelta(hours=1) <= expires_in <= MAX_EXPIRY:
        raise InvalidInput("expires_in_days: between 1 hour and 90 days.")
    chosen = _clean_instruments(instruments)
    reviewer = _reviewer(session, actor, reviewer_id)
    if client_id is not None:
        scope = readable_clients(policy_actor, Action.CLIENT_READ)
        client = session.scalar(
            select(Client)
            .where(Client.id == client_id)
            .where(Client.organization_id == actor.organization_id)
        )
        if client is None or not scope.contains(client.organization_id, client.id):
            raise NotFound(NOT_AVAILABLE)
        _check_contact(send, client.email, client.phone, on_record=True)
    else:
        assert new_client is not None  # noqa: S101 - checked above
        _check_contact(send, new_client.email, new_client.phone, on_record=False)
        client = _new_client(session, actor, new_client)
    on_team = session.scalar(
        select(CareTeam.id)
        .where(CareTeam.client_id == client.id)
        .where(CareTeam.clinician_id == reviewer.id)
    )
    why = _assignment_reason(reason, needed=on_team is None and client_id is not None)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    intake = Intake(
        organization_id=client.organization_id,
        client_id=client.id,
        created_by_id=actor.id,
        reviewer_id=reviewer.id,
        token_hash=hash_token(token),
        instruments=chosen,
        status=IntakeStatus.OPEN,
        expires_at=now + expires_in,
        updated_at=now,
    )
    session.add(intake)
    session.flush()
    _audit(session, intake, AuditAction.CREATE, now, actor=actor)
    assignment = ReviewAssignment(
        organization_id=intake.organization_id,
        client_id=intake.client_id,
        intake_id=intake.id,
        reviewer_id=reviewer.id,
        assigned_by_id=actor.id,
        reason=why,
        outside_care_team=on_team is None,
        assigned_at=now,
    )
    session.add(assignment)
    session.flush()
    _audit(
        session,
        intake,
        AuditAction.ASSIGN,
        now,
        actor=actor,
        resource_type="review_assignment",
        resource_id=assignment.id,
    )
    created = CreatedIntake(intake=intake, token=token)
    if send is None:
        return created
    recipient = _send_link(session, actor, client, created, send, now)
    return CreatedIntake(intake=intake, token=token, sent_to=recipient, sent_by=send.by)


def _check_contact(
    send: LinkSending | None, email: str | None, phone: str | None, *, on_record: bool
) -> None:
    """Refuse, before anything is made, to send a link where it cannot go."""
    if send is None:
        return
    if send.by not in (OutboxChannel.EMAIL, OutboxChannel.SMS):
        raise InvalidInput("Send the link by email or by text message.")
    if send.by is OutboxChannel.EMAIL and not (email or "").strip():
        raise InvalidInput(NO_EMAIL_ON_RECORD if on_record else NO_EMAIL_ENTERED)
    if send.by is OutboxChannel.SMS and sms_number(phone) is None:
        if on_record or not (phone or "").strip():
            raise InvalidInput(NO_MOBILE_ON_RECORD if on_record else NO_MOBILE_ENTERED)
        raise InvalidInput(BAD_MOBILE)


def invitation_text(link: str, instruments: Sequence[str], clinic: str, until: str) -> str:
    """The email a client gets with their intake link: what it asks and for how long, nothing
    about why they were referred."""
    names = ", ".join(get_instrument(name).short_name for name in instruments)
    return (
        "Hello,\n\n"
        f"{clinic} has made you a private link to start with us: a consent page in plain "
        f"language, a few short questionnaires ({names}) and, if you wish, a space to say in "
        "your own words what brings you. It takes about 10 to 15 minutes, and a clinician "
        "reads everything you send.\n\n"
        "Open this link (it is for you only; please do not forward it). It works once, until "
        f"{until}:\n{link}\n\n"
        "If you are in crisis or thinking about harming yourself, do not wait: contact your "
        "local emergency number or crisis line now.\n"
    )


def invitation_sms(link: str, clinic: str, until: str) -> str:
    """The text message a client gets with their intake link: short, and nothing on it that
    says what the clinic is for to someone glancing at a phone's lock screen."""
    return (
        f"{clinic}: your private link to start with us (it works once, until {until}; please do "
        f"not forward it): {link} If you are in crisis, call your local emergency number now."
    )


def _send_link(
    session: Session,
    actor: User,
    client: Client,
    created: CreatedIntake,
    send: LinkSending,
    now: datetime,
) -> str:
    """Queue the link to the client's address or mobile number (checked before anything was
    made); returns where it goes."""
    intake = created.intake
    organization = session.get(Organization, intake.organization_id)
    clinic = organization.name if organization is not None else "Your clinic"
    zone = tz(organization.timezone if organization is not None else None)
    local = intake.expires_at.astimezone(zone)
    link = send.link_base.rstrip("/") + created.path
    if send.by is OutboxChannel.SMS:
        recipient = sms_number(client.phone) or ""
        body = invitation_sms(link, clinic, f"{local:%d %B} at {local:%H:%M} {local.tzname()}")
    else:
        recipient = (client.email or "").strip()
        until = f"{local.strftime('%A %d %B %Y at %H:%M')} {local.tzname()}"
        body = invitation_text(link, intake.instruments, clinic, until)
    enqueue(
        session,
        kind=INVITATION_KIND,
        channel=send.by,
        recipient=recipient,
        # A subject that says nothing about mental health to whoever sees the inbox.
        subject="Your private link from the clinic",
        body=body,
        # Ids only: the token is in the (encrypted) body, never in the payload or the key.
        payload={"intake_id": str(intake.id), "client_id": str(client.id)},
        idempotency_key=f"{INVITATION_KIND}:{intake.id}",
        client_id=client.id,
        organization_id=intake.organization_id,
        now=now,
    )
    # The person who asked for it read the client's address or number and sent the link.
    _audit(session, intake, AuditAction.CREATE, now, actor=actor, resource_type=INVITATION_KIND)
    return recipient


def _assignment_reason(reason: str | None, *, needed: bool) -> str | None:
    cleaned = (reason or "").strip()
    if len(cleaned) > MAX_ASSIGNMENT_REASON:
        raise InvalidInput(f"reason: at most {MAX_ASSIGNMENT_REASON} characters.")
    if needed and len(cleaned) < MIN_ASSIGNMENT_REASON:
        raise InvalidInput(
            "reason: the reviewing clinician is not on this client's care team; say why they "
            f"should review this intake (at least {MIN_ASSIGNMENT_REASON} characters). "
            "They will see this intake only, and the clinical lead reviews the assignment."
        )
    return cleaned or None


def _audit(
    session: Session,
    intake: Intake,
    action: AuditAction,
    now: datetime,
    *,
    actor: User | None = None,
    resource_type: str = "intake",
    resource_id: uuid.UUID | None = None,
) -> None:
    record(
        session,
        actor=actor,
        action=action,
        resource_type=resource_type,
        resource_id=resource_id or intake.id,
        client_id=intake.client_id,
        organization_id=intake.organization_id,
        # Staff create links to arrange care; everything else here is the client's own access.
        purpose=AuditPurpose.TREATMENT if actor is not None else AuditPurpose.CLIENT_ACCESS,
        outcome=AuditOutcome.SUCCESS,
        now=now,
    )


def _check_open(intake: Intake | None, now: datetime) -> Intake:
    if intake is None:
        raise IntakeNotFound(LINK_NOT_FOUND)
    if intake.status is IntakeStatus.SUBMITTED:
        raise IntakeAlreadySubmitted(
            "Your answers were received, thank you. This link has been used and no longer "
            "opens the questionnaires."
        )
    if now >= intake.expires_at:
        raise IntakeExpired(
            "This intake link has expired. Please contact the clinic and they will send you a "
            "new one."
        )
    return intake


def open_intake(session: Session, token: str, now: datetime) -> Intake:
    """The intake this token opens, if it is still open and in time."""
    if not token or len(token) > 200:
        raise IntakeNotFound(LINK_NOT_FOUND)
    intake = session.scalar(select(Intake).where(Intake.token_hash == hash_token(token)))
    return _check_open(intake, now)


# Built once: every page of every intake runs it, and building it anew each time (with its
# cache key) cost about a tenth of the query's CPU.
_OPEN_WITH_SAVED = (
    select(
        Intake,
        Organization,
        Consent,
        QuestionnaireResponse,
        ClientKey.wrapped_key,
        ClientKey.kek_id,
    )
    .join(Organization, Organization.id == Intake.organization_id)
    .outerjoin(ClientKey, ClientKey.client_id == Intake.client_id)
    .outerjoin(Consent, Consent.intake_id == Intake.id)
    .outerjoin(QuestionnaireResponse, QuestionnaireResponse.intake_id == Intake.id)
    .where(Intake.token_hash == bindparam("token_hash"))
)


def open_intake_with_saved(
    session: Session, token: str, now: datetime
) -> tuple[Intake, SavedSoFar]:
    """The intake this token opens (as :func:`open_intake`) and what was saved in it so far.

    One query: the intake, its organisation (the pages show its name and crisis resources),
    its consents and responses (at most a few of each, so their product is a handful of rows),
    and the client's wrapped data key, kept in the session's keyring for when answers are read
    or written (no key row: the client was erased, and their fields read as erased).
    """
    if not token or len(token) > 200:
        raise IntakeNotFound(LINK_NOT_FOUND)
    rows = session.execute(_OPEN_WITH_SAVED, {"token_hash": hash_token(token)}).all()
    intake = _check_open(rows[0][0] if rows else None, now)
    saved = SavedSoFar(
        consents={row[2].purpose: row[2] for row in rows if row[2] is not None},
        responses={row[3].instrument_id: row[3] for row in rows if row[3] is not None},
        organization=rows[0][1],
    )
    keyring_for(session).offer(intake.client_id, rows[0][4], rows[0][5])
    return intake, saved


def saved_so_far(session: Session, intake: Intake) -> SavedSoFar:
    """The intake's consents and responses, read now."""
    return SavedSoFar(
        consents=consents_for(session, intake), responses=responses_for(session, intake)
    )


def _saved(session: Session, intake: Intake, saved: SavedSoFar | None) -> SavedSoFar:
    return saved if saved is not None else saved_so_far(session, intake)


def responses_for(session: Session, intake: Intake) -> dict[str, QuestionnaireResponse]:
    """The intake's saved questionnaire responses by instrument id."""
    rows = session.scalars(
        select(QuestionnaireResponse).where(QuestionnaireResponse.intake_id == intake.id)
    )
    return {row.instrument_id: row for row in rows}


def consents_for(session: Session, intake: Intake) -> dict[str, Consent]:
    """The intake's consents by purpose."""
    rows = session.scalars(select(Consent).where(Consent.intake_id == intake.id))
    return {row.purpose: row for row in rows}


def steps_of(intake: Intake) -> tuple[str, ...]:
    """The intake's pages in order: consent, one per instrument, own words, review."""
    return (CONSENT_STEP, *intake.instruments, WORDS_STEP, REVIEW_STEP)


def progress(session: Session, intake: Intake, saved: SavedSoFar | None = None) -> Progress:
    """What is done and where the client should continue."""
    saved = _saved(session, intake, saved)
    consents, responses = saved.consents, saved.responses
    answers = {name: response.answer_map for name, response in responses.items()}
    done: set[str] = set()
    processing = consents.get(INTAKE_PROCESSING)
    reading = consents.get(SOFTWARE_READING)
    if processing is not None and processing.granted and reading is not None:
        done.add(CONSENT_STEP)
    for name in intake.instruments:
        if name in answers and is_complete(get_instrument(name), answers[name]):
            done.add(name)
    if intake.own_words_saved_at is not None:
        done.add(WORDS_STEP)
    next_step = next((step for step in steps_of(intake) if step not in done), REVIEW_STEP)
    next_part = 0
    if next_step in intake.instruments:
        next_part = current_part(get_instrument(next_step), answers.get(next_step, {})) or 0
    return Progress(
        steps=steps_of(intake),
        done=frozenset(done),
        next_step=next_step,
        next_part=next_part,
        answers=answers,
        software_reading=None if reading is None else reading.granted,
    )


def record_consent(
    session: Session,
    intake: Intake,
    *,
    processing: bool,
    software_reading: str | None,
    now: datetime,
    saved: SavedSoFar | None = None,
) -> None:
    """Store the client's answer for each purpose with the version of the text they saw."""
    text = consent_text(intake.consent_text_version or current_consent_text().version)
    errors: list[FieldError] = []
    if not processing:
        errors.append(FieldError("consent-processing", text.processing.error))
    if software_reading not in ("yes", "no"):
        errors.append(FieldError("consent-reading-yes", text.software_reading.error))
    if errors:
        raise IntakeFormInvalid(errors)
    saved = _saved(session, intake, saved)
    intake.consent_text_version = text.version
    existing = saved.consents
    for purpose, granted in (
        (INTAKE_PROCESSING, True),
        (SOFTWARE_READING, software_reading == "yes"),
    ):
        row = existing.get(purpose)
        if row is None:
            row = Consent(
                organization_id=intake.organization_id,
                client_id=intake.client_id,
                intake_id=intake.id,
                purpose=purpose,
            )
            session.add(row)
            existing[purpose] = row
        row.granted = granted
        row.text_version = text.version
        row.recorded_at = now
    intake.updated_at = now
    session.flush()
    _audit(session, intake, AuditAction.UPDATE, now, resource_type="consent")


def _require_consent(session: Session, intake: Intake, saved: SavedSoFar | None) -> None:
    processing = _saved(session, intake, saved).consents.get(INTAKE_PROCESSING)
    if processing is None or not processing.granted:
        raise InvalidInput("Please read and agree to the first page before answering.")


def _require_instrument(intake: Intake, instrument_id: str) -> None:
    if instrument_id not in intake.instruments:
        raise IntakeNotFound("This intake does not include that questionnaire.")


def part_count(instrument_id: str) -> int:
    """How many pages an instrument takes without script."""
    return len(parts_of(get_instrument(instrument_id)))


def save_instrument_part(
    session: Session,
    intake: Intake,
    instrument_id: str,
    part: int,
    form: Mapping[str, str],
    now: datetime,
    saved: SavedSoFar | None = None,
) -> int | None:
    """Save one page of answers (encrypted); return the instrument's next page, or None."""
    _require_instrument(intake, instrument_id)
    saved = _saved(session, intake, saved)
    _require_consent(session, intake, saved)
    definition = get_instrument(instrument_id)
    if not 0 <= part < len(parts_of(definition)):
        raise IntakeNotFound("This questionnaire has no such page.")
    response = saved.responses.get(instrument_id)
    before = response.answer_map if response is not None else {}
    merged, errors = read_part(definition, part, before, form)
    if errors:
        raise IntakeFormInvalid(errors)
    if response is None:
        response = QuestionnaireResponse(
            id=new_id(),
            organization_id=intake.organization_id,
            client_id=intake.client_id,
            intake_id=intake.id,
            instrument_id=instrument_id,
        )
        session.add(response)
        saved.responses[instrument_id] = response
    response.instrument_version = definition.version
    response.set_answers(merged)
    response.completed = is_complete(definition, merged)
    response.updated_at = now
    intake.updated_at = now
    _add_follow_ups(intake, {instrument_id: merged})
    # One flush: the intake (with any follow-up questionnaires), the response, the audit event.
    _audit(
        session,
        intake,
        AuditAction.UPDATE,
        now,
        resource_type="questionnaire_response",
        resource_id=response.id,
    )
    return next_part_after(definition, part, merged)


def _add_follow_ups(intake: Intake, answers: Mapping[str, Mapping[str, int]]) -> None:
    """Add the questionnaires these answers call for (adaptive screening), in display order."""
    added = [f.instrument for f in follow_ups(answers, intake.instruments)]
    if added:
        order = {name: position for position, name in enumerate(list_instruments())}
        # A new list, so the JSON column is seen as changed.
        intake.instruments = sorted([*intake.instruments, *added], key=order.__getitem__)


def follow_up_reason(
    session: Session, intake: Intake, instrument_id: str, saved: SavedSoFar | None = None
) -> str | None:
    """Why a questionnaire is asked, in plain words, when earlier answers called for it."""
    responses = _saved(session, intake, saved).responses
    answers = {name: row.answer_map for name, row in responses.items()}
    return reason_shown_with(instrument_id, answers)


def save_own_words(
    session: Session, intake: Intake, text: str, now: datetime, saved: SavedSoFar | None = None
) -> None:
    """Save what the client wrote (may be empty: the step still counts as done)."""
    _require_consent(session, intake, saved)
    cleaned = text.replace("\r\n", "\n").strip()
    if len(cleaned) > MAX_OWN_WORDS:
        raise IntakeFormInvalid(
            [
                FieldError(
                    "own-words",
                    f"In your own words: please keep to {MAX_OWN_WORDS:,} characters "
                    f"(you wrote {len(cleaned):,}).",
                )
            ]
        )
    intake.own_words = cleaned
    intake.own_words_saved_at = now
    intake.updated_at = now
    session.flush()
    _audit(session, intake, AuditAction.UPDATE, now)


def audit_client_read(session: Session, intake: Intake, now: datetime) -> None:
    """Record that the client's own answers were shown back to them (a PHI read)."""
    _audit(session, intake, AuditAction.READ, now)


def _check_every_step_done(session: Session, intake: Intake, saved: SavedSoFar | None) -> None:
    state = progress(session, intake, saved)
    missing = [step for step in state.steps if step != REVIEW_STEP and step not in state.done]
    if missing:
        raise IntakeFormInvalid(
            [
                FieldError(f"step-{step}", f"{_step_title(step)}: not finished yet")
                for step in missing
            ]
        )


def prepare_submission(
    session: Session, intake: Intake, saved: SavedSoFar | None = None
) -> PreparedSubmission:
    """Check every step is done and score the answers, writing nothing; the risk reader then
    runs in :func:`read_submission`, which needs no database (end the transaction first)."""
    saved = _saved(session, intake, saved)
    _check_every_step_done(session, intake, saved)
    return triage_prepare(
        session, intake, responses=saved.responses, intake_consents=saved.consents
    )


def read_submission(prepared: PreparedSubmission) -> PreparedSubmission:
    """Read the words for risk if the client consented (fails closed); no database."""
    return triage_read(prepared)


def submit_intake(
    session: Session,
    intake: Intake,
    *,
    now: datetime,
    case_url_base: str,
    oncall_webhook: bool,
    saved: SavedSoFar | None = None,
    prepared: PreparedSubmission | None = None,
) -> SubmitOutcome:
    """Check every step is done, then score, read, propose and alert in this transaction
    (what ``prepared`` holds is stored, unless the intake changed since it was prepared)."""
    if prepared is None:
        _check_every_step_done(session, intake, saved)
    return process_submission(
        session,
        intake,
        now=now,
        case_url_base=case_url_base,
        oncall_webhook=oncall_webhook,
        prepared=prepared,
    )


def _step_title(step: str) -> str:
    if step == CONSENT_STEP:
        return "Before you start"
    if step == WORDS_STEP:
        return "In your own words"
    return get_instrument(step).short_name


def step_title(step: str) -> str:
    """The heading a step has in the flow and on the review page."""
    return _step_title(step)
