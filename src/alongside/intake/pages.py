"""HTML pages: the staff form that makes an intake link, and the client's intake flow.

The client's pages need no sign-in (the link's token is the credential) and no JavaScript:
every step is a plain form post followed by a redirect, except submit, whose response is the
"what happens next" page itself so that crisis resources are in the very response that stored
the intake (DESIGN.md invariant 3). Routes are registered with the token as a path parameter,
so the request log (which logs the route template) never holds a token.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from alongside.clients.pages import client_chooser
from alongside.config import Settings
from alongside.db import refusable
from alongside.deps import (
    CommitsInRouteThread,
    CurrentSignedIn,
    DbSession,
    PostedForm,
    get_settings_from,
)
from alongside.errors import AlongsideError, InvalidInput, NotFound
from alongside.instruments import get_instrument, list_instruments
from alongside.intake import service
from alongside.intake.consent_text import consent_text, current_consent_text
from alongside.intake.questions import (
    FieldError,
    asked_items,
    input_id,
    parts_of,
    question_label,
)
from alongside.kit.time import utcnow
from alongside.models import Intake, Organization, OutboxChannel
from alongside.notify.sms import require_texts_ready
from alongside.security.declare import Permit, requires
from alongside.security.permissions import Action, role_allows
from alongside.templating import render
from alongside.triage.crisis_admin import resources_for_organization
from alongside.triage.crisis_resources import CrisisResources

# The client's pages are the busiest: each commits in its own thread (no second hop to commit).
router = APIRouter(include_in_schema=False, route_class=CommitsInRouteThread)

UNAVAILABLE = (service.IntakeNotFound, service.IntakeExpired, service.IntakeAlreadySubmitted)
# Opening an intake only reads, so a link that does not open needs no savepoint (refusable);
# the saves below do write, and run in one so a refused save stores nothing.


def _form_values(form: Any) -> dict[str, str]:
    return {key: value for key, value in form.items() if isinstance(value, str)}


def _crisis_resources(db: DbSession, intake: Intake) -> CrisisResources | None:
    # The organisation's country and local services; never fails (any country is answered).
    return resources_for_organization(db, intake.organization_id)


def _base_context(db: DbSession, intake: Intake, token: str, step: str) -> dict[str, Any]:
    steps = service.steps_of(intake)
    # Read with the intake (service.open_intake_with_saved): no query of its own.
    organization = db.get(Organization, intake.organization_id)
    return {
        "token": token,
        "intake": intake,
        "step": step,
        "step_number": steps.index(step) + 1,
        "step_count": len(steps),
        "clinic_name": organization.name if organization else "the clinic",
        "help_resources": _crisis_resources(db, intake),
        "errors": [],
    }


def step_url(token: str, step: str, part: int | None = None) -> str:
    """Where a step of the intake lives."""
    if step == service.CONSENT_STEP:
        return f"/intake/{token}"
    if step == service.WORDS_STEP:
        return f"/intake/{token}/words"
    if step == service.REVIEW_STEP:
        return f"/intake/{token}/review"
    suffix = f"?part={part}" if part else ""
    return f"/intake/{token}/questions/{step}{suffix}"


def _unavailable(request: Request, exc: AlongsideError) -> Response:
    received = isinstance(exc, service.IntakeAlreadySubmitted)
    return render(
        request,
        "intake/unavailable.html",
        {"message": exc.message, "received": received},
        status_code=exc.status_code,
    )


def _redirect(url: str) -> Response:
    return RedirectResponse(url, status_code=303)


# ---------------------------------------------------------------- staff: create a link


def _staff_form_context(
    db: DbSession, signed_in: CurrentSignedIn, values: dict[str, Any] | None = None
) -> dict[str, Any]:
    user = signed_in.user
    instruments = [get_instrument(name) for name in list_instruments()]
    defaults = {
        "client_id": "",
        "given_name": "",
        "family_name": "",
        "email": "",
        "phone": "",
        "preferred_language": "en",
        "instruments": list(service.DEFAULT_INSTRUMENTS),
        "reviewer_id": str(user.id) if user.role in service.REVIEWER_ROLES else "",
        "expires_in_days": "14",
        "reason": "",
        "send_by": "",
        "client_q": "",
    }
    filled = {**defaults, **(values or {})}
    return {
        "user": user,
        "csrf_token": signed_in.csrf_token,
        # The client search every staff page uses, not a list of every client.
        "chooser": client_chooser(db, signed_in, filled["client_q"], filled["client_id"]),
        "reviewers": service.reviewer_choices(db, user),
        "instruments": instruments,
        "values": filled,
        "error": None,
    }


def _require_intake_create(signed_in: CurrentSignedIn) -> None:
    if not role_allows(signed_in.user.role, Action.INTAKE_CREATE):
        raise NotFound("There is nothing at this address.")


@router.get("/intakes/new")
def new_intake_page(
    permit: Annotated[Permit, requires(Action.INTAKE_CREATE)],
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
) -> Response:
    """The form staff use to create an intake link."""
    _require_intake_create(signed_in)
    # A search for the client (and a client already chosen) come back as query parameters.
    params = request.query_params
    found = {name: params.get(name) or "" for name in ("client_q", "client_id")}
    return render(request, "intake/staff_new.html", _staff_form_context(db, signed_in, found))


@router.post("/intakes/new")
def new_intake_submit(
    permit: Annotated[Permit, requires(Action.INTAKE_CREATE)],
    request: Request,
    db: DbSession,
    signed_in: CurrentSignedIn,
    form: PostedForm,
) -> Response:
    """Create the link and show it once."""
    _require_intake_create(signed_in)
    values: dict[str, Any] = _form_values(form)
    values["instruments"] = [v for v in form.getlist("instruments") if isinstance(v, str)]
    try:
        with refusable(db):
            client_id = _uuid_or_none(values.get("client_id", ""), "client_id")
            reviewer_id = _uuid_or_none(values.get("reviewer_id", ""), "reviewer_id")
            try:
                days = int(values.get("expires_in_days", "14"))
            except ValueError:
                raise InvalidInput("Link valid for: enter a number of days from 1 to 90.") from None
            new_client = None
            if client_id is None:
                new_client = service.NewClientDetails(
                    given_name=values.get("given_name", ""),
                    family_name=values.get("family_name", ""),
                    email=values.get("email") or None,
                    phone=values.get("phone") or None,
                    preferred_language=values.get("preferred_language", "en"),
                )
            if not 1 <= days <= 90:
                raise InvalidInput("Link valid for: enter a number of days from 1 to 90.")
            created = service.create_intake(
                db,
                actor=signed_in.user,
                client_id=client_id,
                new_client=new_client,
                instruments=values["instruments"] or None,
                reviewer_id=reviewer_id,
                reason=values.get("reason") or None,
                expires_in=timedelta(days=days),
                now=utcnow(),
                send=_sending(values.get("send_by", ""), get_settings_from(request)),
            )
    except InvalidInput as exc:
        context = _staff_form_context(db, signed_in, values)
        context["error"] = exc.message
        return render(request, "intake/staff_new.html", context, status_code=422)
    link = str(request.base_url).rstrip("/") + created.path
    return render(
        request,
        "intake/staff_created.html",
        {
            "user": signed_in.user,
            "csrf_token": signed_in.csrf_token,
            "link": link,
            "intake": created.intake,
            "sent_to": created.sent_to,
            "sent_by": created.sent_by.value if created.sent_by else None,
        },
        status_code=201,
    )


def _sending(choice: str, settings: Settings) -> service.LinkSending | None:
    """The way the form asks for the link to go: shown only (""), by email or by text."""
    if not choice:
        return None
    if choice not in (OutboxChannel.EMAIL, OutboxChannel.SMS):
        raise InvalidInput("Sending the link: choose one of the ways offered.")
    if choice == OutboxChannel.SMS:
        require_texts_ready(settings)
    # The link starts with the clinic's configured address, never the request's Host header
    # (anyone could put any address there).
    return service.LinkSending(by=OutboxChannel(choice), link_base=_case_url_base(settings))


def _uuid_or_none(raw: str, name: str) -> uuid.UUID | None:
    if not raw.strip():
        return None
    try:
        return uuid.UUID(raw.strip())
    except ValueError:
        raise InvalidInput(f"{name}: choose from the list.") from None


# ---------------------------------------------------------------- the client's flow


def _consent_page(
    request: Request,
    db: DbSession,
    intake: Intake,
    saved: service.SavedSoFar,
    token: str,
    *,
    errors: list[FieldError] | None = None,
    processing: bool | None = None,
    reading: str | None = None,
    status_code: int = 200,
) -> Response:
    text = consent_text(intake.consent_text_version or current_consent_text().version)
    consents = saved.consents
    if processing is None:
        stored = consents.get("intake_processing")
        processing = bool(stored and stored.granted)
    if reading is None:
        stored_reading = consents.get("software_reading")
        reading = None if stored_reading is None else ("yes" if stored_reading.granted else "no")
    context = _base_context(db, intake, token, service.CONSENT_STEP)
    context.update(
        {"text": text, "errors": errors or [], "processing": processing, "reading": reading}
    )
    return render(request, "intake/consent.html", context, status_code=status_code)


@router.get("/intake/{token}")
def intake_start(
    permit: Annotated[Permit, requires(public=True)], token: str, request: Request, db: DbSession
) -> Response:
    """The consent page, or where the client left off."""
    try:
        intake, saved = service.open_intake_with_saved(db, token, utcnow())
    except UNAVAILABLE as exc:
        return _unavailable(request, exc)
    state = service.progress(db, intake, saved)
    if service.CONSENT_STEP not in state.done or request.query_params.get("consent") == "1":
        return _consent_page(request, db, intake, saved, token)
    return _redirect(step_url(token, state.next_step, state.next_part))


@router.post("/intake/{token}/consent")
def intake_consent(
    permit: Annotated[Permit, requires(public=True)],
    token: str,
    request: Request,
    db: DbSession,
    posted: PostedForm,
) -> Response:
    """Record consent per purpose, with the version of the text shown."""
    now = utcnow()
    try:
        intake, saved = service.open_intake_with_saved(db, token, now)
    except UNAVAILABLE as exc:
        return _unavailable(request, exc)
    form = _form_values(posted)
    processing = form.get("intake_processing") == "yes"
    reading = form.get("software_reading")
    try:
        with refusable(db):
            service.record_consent(
                db, intake, processing=processing, software_reading=reading, now=now, saved=saved
            )
    except service.IntakeFormInvalid as exc:
        return _consent_page(
            request,
            db,
            intake,
            saved,
            token,
            errors=exc.errors,
            processing=processing,
            reading=reading,
            status_code=422,
        )
    state = service.progress(db, intake, saved)
    return _redirect(step_url(token, state.next_step, state.next_part))


def _question_page(
    request: Request,
    db: DbSession,
    intake: Intake,
    saved: service.SavedSoFar,
    token: str,
    instrument_id: str,
    part: int,
    answers: dict[str, int],
    *,
    errors: list[FieldError] | None = None,
    status_code: int = 200,
) -> Response:
    definition = get_instrument(instrument_id)
    parts = parts_of(definition)
    items = asked_items(definition, parts[part], answers)
    questions = [
        {
            "item": item,
            "label": question_label(definition, item),
            "name": item.id,
            "options": [
                {
                    "value": option.value,
                    "text": option.text,
                    "id": input_id(definition, item, option.value),
                }
                for option in definition.options_for(item)
            ],
            "value": answers.get(item.id),
            "error": next(
                (
                    e.message
                    for e in errors or []
                    if e.field_id.startswith(f"{definition.id}-{item.id}-")
                ),
                None,
            ),
            "because": _because(definition, item),
        }
        for item in items
    ]
    skipped_note = None
    if part > 0 and len(items) < len(parts[part]):
        skipped = [question_label(definition, i) for i in parts[part] if i not in items]
        skipped_note = (
            f"Because of your earlier answers, {', '.join(skipped)} "
            f"{'is' if len(skipped) == 1 else 'are'} not asked."
        )
    context = _base_context(db, intake, token, instrument_id)
    context.update(
        {
            "definition": definition,
            "questions": questions,
            "part": part,
            "part_count": len(parts),
            "errors": errors or [],
            "skipped_note": skipped_note,
            "has_skip_logic": len(parts) > 1,
            "added_because": service.follow_up_reason(db, intake, instrument_id, saved),
        }
    )
    return render(request, "intake/question.html", context, status_code=status_code)


def _because(definition: Any, item: Any) -> str | None:
    if item.asked_if is None:
        return None
    condition_item = next(i for i in definition.items if i.id == item.asked_if.item)
    option = next(
        (o for o in definition.options_for(condition_item) if o.value == item.asked_if.equals),
        None,
    )
    if option is None:
        return None
    return (
        f"Asked because you answered \u201c{option.text}\u201d to "
        f"{question_label(definition, condition_item).lower()}."
    )


def _part_param(request: Request, instrument_id: str, default: int) -> int:
    raw = request.query_params.get("part")
    if raw is None:
        return default
    try:
        part = int(raw)
    except ValueError:
        raise NotFound("This questionnaire has no such page.") from None
    if not 0 <= part < service.part_count(instrument_id):
        raise NotFound("This questionnaire has no such page.")
    return part


@router.get("/intake/{token}/questions/{instrument_id}")
def intake_questions(
    permit: Annotated[Permit, requires(public=True)],
    token: str,
    instrument_id: str,
    request: Request,
    db: DbSession,
) -> Response:
    """One page of one questionnaire, answers saved so far filled in."""
    now = utcnow()
    try:
        intake, saved = service.open_intake_with_saved(db, token, now)
    except UNAVAILABLE as exc:
        return _unavailable(request, exc)
    if instrument_id not in intake.instruments:
        raise NotFound("This intake does not include that questionnaire.")
    state = service.progress(db, intake, saved)
    if service.CONSENT_STEP not in state.done:
        return _redirect(step_url(token, service.CONSENT_STEP))
    answers = dict(state.answers.get(instrument_id, {}))
    default = state.next_part if state.next_step == instrument_id else 0
    part = _part_param(request, instrument_id, default)
    definition = get_instrument(instrument_id)
    if not asked_items(definition, parts_of(definition)[part], answers):
        # A page whose questions the earlier answers skip: go to the first page instead.
        return _redirect(step_url(token, instrument_id))
    if answers:
        service.audit_client_read(db, intake, now)
    return _question_page(request, db, intake, saved, token, instrument_id, part, answers)


@router.post("/intake/{token}/questions/{instrument_id}")
def intake_questions_save(
    permit: Annotated[Permit, requires(public=True)],
    token: str,
    instrument_id: str,
    request: Request,
    db: DbSession,
    posted: PostedForm,
) -> Response:
    """Save one page of answers and go on; a missing answer names its question."""
    now = utcnow()
    try:
        intake, saved = service.open_intake_with_saved(db, token, now)
    except UNAVAILABLE as exc:
        return _unavailable(request, exc)
    form = _form_values(posted)
    try:
        part = int(form.get("part", "0"))
    except ValueError:
        part = -1
    try:
        with refusable(db):
            next_part = service.save_instrument_part(
                db, intake, instrument_id, part, form, now, saved
            )
    except service.IntakeFormInvalid as exc:
        state = service.progress(db, intake, saved)
        answers = dict(state.answers.get(instrument_id, {}))
        # Keep what the client did choose on this page, so they only fix what is missing.
        definition = get_instrument(instrument_id)
        for item in parts_of(definition)[part]:
            raw = form.get(item.id)
            if raw is not None and raw.isascii() and raw.isdigit() and len(raw) <= 3:
                answers[item.id] = int(raw)
        return _question_page(
            request,
            db,
            intake,
            saved,
            token,
            instrument_id,
            part,
            answers,
            errors=exc.errors,
            status_code=422,
        )
    if next_part is not None:
        return _redirect(step_url(token, instrument_id, next_part))
    state = service.progress(db, intake, saved)
    return _redirect(step_url(token, state.next_step, state.next_part))


@router.get("/intake/{token}/words")
def intake_words(
    permit: Annotated[Permit, requires(public=True)], token: str, request: Request, db: DbSession
) -> Response:
    """The "in your own words" page."""
    now = utcnow()
    try:
        intake, saved = service.open_intake_with_saved(db, token, now)
    except UNAVAILABLE as exc:
        return _unavailable(request, exc)
    state = service.progress(db, intake, saved)
    if service.CONSENT_STEP not in state.done:
        return _redirect(step_url(token, service.CONSENT_STEP))
    if intake.own_words:
        service.audit_client_read(db, intake, now)
    context = _base_context(db, intake, token, service.WORDS_STEP)
    context.update({"text": intake.own_words or "", "reading": state.software_reading})
    return render(request, "intake/words.html", context)


@router.post("/intake/{token}/words")
def intake_words_save(
    permit: Annotated[Permit, requires(public=True)],
    token: str,
    request: Request,
    db: DbSession,
    posted: PostedForm,
) -> Response:
    """Save the client's own words and go on."""
    now = utcnow()
    try:
        intake, saved = service.open_intake_with_saved(db, token, now)
    except UNAVAILABLE as exc:
        return _unavailable(request, exc)
    form = _form_values(posted)
    text = form.get("own_words", "")
    try:
        with refusable(db):
            service.save_own_words(db, intake, text, now, saved)
    except service.IntakeFormInvalid as exc:
        state = service.progress(db, intake, saved)
        context = _base_context(db, intake, token, service.WORDS_STEP)
        context.update({"text": text, "reading": state.software_reading, "errors": exc.errors})
        return render(request, "intake/words.html", context, status_code=422)
    state = service.progress(db, intake, saved)
    return _redirect(step_url(token, state.next_step, state.next_part))


def _review_context(
    db: DbSession, intake: Intake, saved: service.SavedSoFar, token: str
) -> dict[str, Any]:
    state = service.progress(db, intake, saved)
    sections = []
    for name in intake.instruments:
        definition = get_instrument(name)
        answers = state.answers.get(name, {})
        rows = []
        for item in definition.items:
            if item.id not in answers:
                continue
            chosen = next(
                (o.text for o in definition.options_for(item) if o.value == answers[item.id]), ""
            )
            rows.append(
                {"label": question_label(definition, item), "text": item.text, "answer": chosen}
            )
        sections.append(
            {
                "step": name,
                "title": definition.short_name,
                "rows": rows,
                "done": name in state.done,
                "url": step_url(token, name),
            }
        )
    context = _base_context(db, intake, token, service.REVIEW_STEP)
    context.update(
        {
            "sections": sections,
            "state": state,
            "own_words": intake.own_words or "",
            "missing": [
                {"title": service.step_title(step), "url": step_url(token, step)}
                for step in state.steps
                if step != service.REVIEW_STEP and step not in state.done
            ],
        }
    )
    return context


@router.get("/intake/{token}/review")
def intake_review(
    permit: Annotated[Permit, requires(public=True)], token: str, request: Request, db: DbSession
) -> Response:
    """Everything the client answered, to check before sending."""
    now = utcnow()
    try:
        intake, saved = service.open_intake_with_saved(db, token, now)
    except UNAVAILABLE as exc:
        return _unavailable(request, exc)
    state = service.progress(db, intake, saved)
    if service.CONSENT_STEP not in state.done:
        return _redirect(step_url(token, service.CONSENT_STEP))
    service.audit_client_read(db, intake, now)
    return render(request, "intake/review.html", _review_context(db, intake, saved, token))


@router.post("/intake/{token}/submit")
def intake_submit(
    permit: Annotated[Permit, requires(public=True)], token: str, request: Request, db: DbSession
) -> Response:
    """Submit: the response is the "what happens next" page, with crisis resources if needed."""
    now = utcnow()
    try:
        intake, saved = service.open_intake_with_saved(db, token, now)
    except UNAVAILABLE as exc:
        return _unavailable(request, exc)
    settings = get_settings_from(request)
    try:
        with refusable(db):
            prepared = service.prepare_submission(db, intake, saved)
    except service.IntakeFormInvalid as exc:
        context = _review_context(db, intake, saved, token)
        context["errors"] = exc.errors
        return render(request, "intake/review.html", context, status_code=422)
    # The risk reader takes tens of milliseconds: end the transaction (nothing was written yet)
    # so that it runs holding no connection, row lock or SQLite write lock; storing it checks
    # that the intake did not change meanwhile.
    db.commit()
    prepared = service.read_submission(prepared)
    outcome = service.submit_intake(
        db,
        intake,
        now=now,
        case_url_base=_case_url_base(settings),
        oncall_webhook="oncall" in settings.webhooks,
        prepared=prepared,
    )
    text = consent_text(intake.consent_text_version or current_consent_text().version)
    organization = db.get(Organization, intake.organization_id)
    return render(
        request,
        "intake/done.html",
        {
            "crisis": outcome.crisis,
            "resources": outcome.crisis_resources,
            "next_steps": text.next_steps,
            "clinic_name": organization.name if organization else "the clinic",
            "needs_human_reading": outcome.needs_human_reading,
        },
    )


def _case_url_base(settings: Settings) -> str:
    # Not the request's Host header: a client could put any address there, and this link goes
    # into an email to a clinician.
    return settings.effective_public_url
